"""Chapter 4: CBOW (or skip-gram) with negative sampling on the Penn Treebank, then the book's queries.

    python examples/ch04_word2vec_ptb.py                 # the book's recipe (batch 100, Adam, 10 epochs)
    python examples/ch04_word2vec_ptb.py --preset fast   # large batches, decayed SGD, subsampling
    python examples/ch04_word2vec_ptb.py --quick         # 2,000 words, a smoke test
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp.data import ptb
from zeronlp.text.word2vec_train import make_config, train_word2vec

QUERIES = ["you", "year", "car", "toyota"]
ANALOGIES = [("king", "man", "queen"), ("take", "took", "go"), ("car", "cars", "child"), ("good", "better", "bad")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["book", "fast"], default="book", help="training recipe (default book)")
    parser.add_argument("--model", choices=["cbow", "skipgram"], default="cbow")
    parser.add_argument("--quick", action="store_true", help="train on 2,000 words only")
    parser.add_argument("--out", help="save the vectors in word2vec text format")
    args = parser.parse_args(argv)

    zeronlp.seed(0)
    corpus, word_to_id, id_to_word = ptb.load_data("train")
    config = make_config(args.preset, model=args.model, epochs=1 if args.quick else None)
    model, vectors, history = train_word2vec(corpus, id_to_word, config, verbose=not args.quick,
                                             max_words=2000 if args.quick else None)
    print(f"{config.model}, preset {args.preset}: {history['seconds']:.1f}s, "
          f"{history['words_per_second']:,.0f} words/s, last epoch loss {history['epoch_loss'][-1]:.3f}")
    for word in QUERIES:
        print(f"[query] {word}:", ", ".join(f"{w} {s:.3f}" for w, s in vectors.most_similar(word, topn=5)))
    for a, b, c in ANALOGIES:
        print(f"[analogy] {a}:{b} = {c}:?", ", ".join(w for w, _ in vectors.analogy(a, b, c, topn=5)))
    if args.out:
        vectors.save_word2vec(args.out)
    return history


if __name__ == "__main__":
    main()
