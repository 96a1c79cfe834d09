"""Chapter 6: the book's Rnnlm (LSTM 100/100) on PTB with truncated BPTT and gradient clipping.

    python examples/ch06_rnnlm.py [--quick] [--out rnnlm.npz]   # the full run reaches test perplexity ~ 136
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp.data import ptb
from zeronlp.evaluate import perplexity
from zeronlp.models import Rnnlm
from zeronlp.optim import SGD
from zeronlp.training import BPTTBatches, Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small slice of PTB (smoke test)")
    parser.add_argument("--out", help="save the trained model (with its vocabulary) here")
    args = parser.parse_args(argv)
    zeronlp.seed(0)
    # the book's settings
    batch_size, wordvec_size, hidden_size, time_size, lr, max_epoch, max_grad = 20, 100, 100, 35, 20.0, 4, 0.25

    corpus, word_to_id, id_to_word = ptb.load_data("train")
    corpus_test, _, _ = ptb.load_data("test")
    if args.quick:
        corpus, corpus_test, max_epoch, wordvec_size, hidden_size = corpus[:3000], corpus_test[:800], 1, 16, 16
    vocab_size = len(word_to_id)

    model = Rnnlm(vocab_size, wordvec_size, hidden_size)
    trainer = Trainer(model, SGD(lr=lr), BPTTBatches(corpus, batch_size, time_size), epochs=max_epoch,
                      max_grad=max_grad, report="perplexity", print_every=20)
    trainer.fit()

    model.reset_state()
    ppl_test = perplexity(model, corpus_test, batch_size=10, time_size=35)  # the book's evaluation
    print(f"test perplexity: {ppl_test:.2f}")
    if args.out:
        model.save(args.out, vocab=[id_to_word[i] for i in range(vocab_size)])
    return ppl_test


if __name__ == "__main__":
    main()
