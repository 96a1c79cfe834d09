"""Chapter 7: a language model writes text, one word at a time, its LSTM state carried between words.

    python examples/ch07_generate.py --model lm.npz     # a model from `zeronlp lm train --out lm.npz`
    python examples/ch07_generate.py                    # trains the book's Rnnlm briefly on PTB first
    python examples/ch07_generate.py --quick            # smoke test
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp.data import ptb
from zeronlp.generate import generate
from zeronlp.models.rnnlm import Rnnlm
from zeronlp.optim import SGD
from zeronlp.training import BPTTBatches, Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="a trained language model (.npz with its vocabulary)")
    parser.add_argument("--start", default="you", help="first word(s) (default: you)")
    parser.add_argument("--length", type=int, default=100, help="words to generate (default 100)")
    parser.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (default 1.0)")
    parser.add_argument("--top-k", type=int, default=None, help="sample among the k most likely words only")
    parser.add_argument("--quick", action="store_true", help="a tiny model and 20 words (smoke test)")
    args = parser.parse_args(argv)
    zeronlp.seed(0)

    if args.model:
        model, info = zeronlp.load(args.model, with_info=True)
        id_to_word = list(info["vocab"])
    else:
        corpus, word_to_id, id_to_word_map = ptb.load_data("train")
        id_to_word = [id_to_word_map[i] for i in range(len(id_to_word_map))]
        words, epochs, size = (2000, 1, 16) if args.quick else (200_000, 2, 100)
        model = Rnnlm(len(id_to_word), size, size)       # the book's Rnnlm: 100-d embedding, 100 LSTM units
        Trainer(model, SGD(lr=20.0), BPTTBatches(corpus[:words], 20, 35), epochs=epochs, max_grad=0.25).fit()
    word_to_id = {w: i for i, w in enumerate(id_to_word)}
    unknown = [w for w in args.start.split() if w not in word_to_id]
    if unknown:
        raise SystemExit(f"start words not in the model's vocabulary: {unknown}")
    skip = [word_to_id[w] for w in ("N", "<unk>", "$") if w in word_to_id]  # the book skips these
    ids = generate(model, [word_to_id[w] for w in args.start.split()], 20 if args.quick else args.length,
                   temperature=args.temperature, top_k=args.top_k, skip_ids=skip)
    text = " ".join(id_to_word[i] for i in ids).replace(" <eos>", ".\n")
    print(text)
    return text


if __name__ == "__main__":
    main()
