"""Chapter 7: seq2seq learns addition from characters; reversed input and the peeky decoder help a lot.

    python examples/ch07_seq2seq.py                      # the book's first run: basic model, plain input (15 %)
    python examples/ch07_seq2seq.py --reverse            # 92 % (book: ~54 %)
    python examples/ch07_seq2seq.py --reverse --peeky    # 99.4 % (book: ~98 %)
    python examples/ch07_seq2seq.py --quick              # smoke test
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp import seq2seq
from zeronlp.data.sequence import load_data
from zeronlp.models import PeekySeq2seq, Seq2seq


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reverse", action="store_true", help="feed the questions reversed")
    parser.add_argument("--peeky", action="store_true", help="use the peeky decoder")
    parser.add_argument("--quick", action="store_true", help="tiny data and one epoch (smoke test)")
    args = parser.parse_args(argv)

    zeronlp.seed(1984)
    wordvec_size, hidden_size, batch_size, max_epoch, max_grad = 16, 128, 128, 25, 5.0  # the book's settings
    size = None
    if args.quick:
        size, hidden_size, max_epoch = 600, 16, 1

    data = load_data("addition", seed=1984, size=size, reverse=args.reverse)
    model_class = PeekySeq2seq if args.peeky else Seq2seq
    model = model_class(len(data.vocab), wordvec_size, hidden_size)
    history = seq2seq.train(model, data, epochs=max_epoch, batch_size=batch_size, max_grad=max_grad)

    print(f"{model_class.__name__}, {'reversed' if args.reverse else 'plain'} input: "
          f"test accuracy {100 * history['accuracy'][-1]:.2f}% after {max_epoch} epochs")
    task = seq2seq.Task(data.vocab, data.question_width, data.answer_width, data.reverse)
    for question, answer in zip(["16+75", "52+607", "999+1"], seq2seq.answer(model, task, ["16+75", "52+607", "999+1"])):
        print(f"  {question} = {answer}")
    return history["accuracy"][-1]


if __name__ == "__main__":
    main()
