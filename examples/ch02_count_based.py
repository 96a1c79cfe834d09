"""Chapter 2: word vectors by counting — the toy sentence, then the Penn Treebank.

    python examples/ch02_count_based.py [--quick]

Co-occurrence matrix -> PPMI -> SVD, and the nearest words by cosine similarity.
``--quick`` runs PTB on its first 20,000 tokens only.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import zeronlp
from zeronlp.data import ptb
from zeronlp.text import WordVectors, cos_similarity, create_co_matrix, most_similar, ppmi, preprocess, svd
from zeronlp.text.count import count_vectors


def toy():
    text = "You say goodbye and I say hello."
    corpus, word_to_id, id_to_word = preprocess(text)
    C = create_co_matrix(corpus, len(word_to_id), window_size=1)
    print("co-occurrence matrix:\n", C)
    print(f"cos(you, i) = {cos_similarity(C[word_to_id['you']], C[word_to_id['i']]):.4f}")
    print("most similar to 'you':", [(w, round(s, 3)) for w, s in most_similar("you", word_to_id, id_to_word, C)])
    W = ppmi(C)
    np.set_printoptions(precision=3)
    print("PPMI:\n", W)
    U, S, _ = svd(W)
    print("first word 'you': co-occurrence", C[0], "PPMI", W[0], "SVD", U[0])
    return U


def penn_treebank(quick: bool):
    window_size, wordvec_size = 2, 100  # the book's settings
    corpus, word_to_id, id_to_word = ptb.load_data("train")
    if quick:  # ids follow first appearance, so a prefix uses ids 0..max only
        corpus = corpus[:20_000]
        vocab = int(corpus.max()) + 1
        id_to_word = {i: id_to_word[i] for i in range(vocab)}
    vocab_size = len(id_to_word)
    timings = {}
    start = time.perf_counter()
    vectors = count_vectors(corpus, vocab_size, window_size, wordvec_size, method="randomized", timings=timings)
    print(f"PTB: {len(corpus):,} tokens, {vocab_size:,} words; " +
          ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()) + f"; total {time.perf_counter() - start:.2f}s")
    wv = WordVectors(vectors, id_to_word)
    results = {}
    for query in ["you", "year", "car", "toyota"]:
        if query in wv:
            results[query] = wv.most_similar(query, topn=5)
            print(f"[{query}]", ", ".join(f"{w} {s:.3f}" for w, s in results[query]))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="PTB on its first 20,000 tokens only (smoke test)")
    args = parser.parse_args(argv)
    zeronlp.seed(0)
    toy()
    return penn_treebank(args.quick)


if __name__ == "__main__":
    main()
