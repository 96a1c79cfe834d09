"""Chapter 9: the Transformer (attention only, no recurrence) learns the date formats and addition,
and a small decoder-only Transformer models Penn Treebank.

    python examples/ch09_transformer.py [--task date|addition] [--epochs 3] [--plot heads.png]
    python examples/ch09_transformer.py --quick            # smoke test
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp import seq2seq
from zeronlp.data.sequence import load_data
from zeronlp.models import make_transformer
from zeronlp.plot import plot_attention_heads


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", choices=["date", "addition"], default="date")
    parser.add_argument("--epochs", type=int, default=None, help="default: 3 for dates, 10 for addition")
    parser.add_argument("--plot", help="save every head's cross-attention for one date here")
    parser.add_argument("--quick", action="store_true", help="tiny data, tiny model, one epoch (smoke test)")
    args = parser.parse_args(argv)

    zeronlp.seed(1984)
    epochs = args.epochs or (3 if args.task == "date" else 10)
    size, preset = None, "toy"  # d_model 64, 4 heads, 2 + 2 layers, d_ff 256
    if args.quick:
        size, preset, epochs = 300, "tiny", 1

    data = load_data(args.task, seed=1984, size=size)
    model = make_transformer(len(data.vocab), preset)
    print(model)
    # the book's recipe (Adam 0.001, clipping 5, batch 128); a Transformer's rate decays linearly to 0
    config = seq2seq.make_config(args.task, model="transformer", epochs=epochs)
    history = seq2seq.make_trainer(config, data, model=model).fit()
    print(f"transformer: test accuracy {100 * history['accuracy'][-1]:.2f}% after {epochs} epochs")

    task = seq2seq.Task(data.vocab, data.question_width, data.answer_width, data.reverse)
    questions = ["Wednesday, February 26, 1997", "sep 27, 1994", "10/2/82"] if args.task == "date" \
        else ["16+75", "999+1", "52+608"]
    for question, answer in zip(questions, seq2seq.answer(model, task, questions, beam_width=3)):
        print(f"  {question} -> {answer}")
    if args.plot:
        inputs, outputs, _ = seq2seq.attention_map(model, task, questions[0])
        weights = zeronlp.to_cpu(model.head_attention_weights)[0]  # (layers, heads, output, input)
        plot_attention_heads(inputs, outputs, weights, args.plot, title=questions[0])
        print(f"attention heads saved to {args.plot}")
    return history["accuracy"][-1]


if __name__ == "__main__":
    main()
