"""Count-based method on PTB: seconds per stage, and the speed-up over book-style Python loops.

    python benchmarks/count_method.py [--quick] [--prefix 20000] [--window 2] [--dim 100]

1. zeronlp on the full PTB train split (``--quick``: its first 100,000 tokens):
   load (cold: decompress + checksum + ids; warm: disk cache), co-occurrence, PPMI, SVD, total.
2. The same co-occurrence and PPMI written as the book writes them (a Python loop over
   tokens, a double loop over the vocabulary), side by side with zeronlp on a PTB prefix
   of ``--prefix`` tokens; results checked equal, ratios printed, and the loops' time on the
   full split extrapolated (co-occurrence linear in tokens, PPMI quadratic in vocabulary).
3. Our randomised SVD against scikit-learn's ``randomized_svd`` on the same sparse PPMI (if installed).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import zeronlp
from zeronlp.data import ptb
from zeronlp.text.count import create_co_matrix, ppmi, randomized_svd


def loop_co_matrix(corpus, vocab_size, window_size=1):
    """Book-style: one Python iteration per token and offset."""
    C = np.zeros((vocab_size, vocab_size), dtype=np.int32)
    for idx, word_id in enumerate(corpus):
        for i in range(1, window_size + 1):
            left, right = idx - i, idx + i
            if left >= 0:
                C[word_id, corpus[left]] += 1
            if right < len(corpus):
                C[word_id, corpus[right]] += 1
    return C


def loop_ppmi(C, eps=1e-8):
    """Book-style: one Python iteration per matrix cell."""
    M = np.zeros_like(C, dtype=np.float32)
    N, S = np.sum(C), np.sum(C, axis=0)
    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            pmi = np.log2(C[i, j] * N / (S[j] * S[i]) + eps)
            M[i, j] = max(0, pmi)
    return M


def timed(fn, *args, repeat: int = 1, **kw):
    """(result, best seconds of ``repeat`` calls)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - start)
    return out, best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--prefix", type=int, default=None, help="PTB tokens for the loop comparison (default 20000)")
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument("--dim", type=int, default=100)
    args = parser.parse_args(argv)
    prefix = args.prefix or (3_000 if args.quick else 20_000)
    zeronlp.seed(0)

    with tempfile.TemporaryDirectory() as cache:  # a cold load first, then a warm one from the disk cache
        os.environ["ZERONLP_CACHE"] = cache
        ptb.clear_cache()
        (corpus, word_to_id, _), cold = timed(ptb.load_data, "train")
        ptb.clear_cache()
        _, warm = timed(ptb.load_data, "train")
    if args.quick:
        corpus = corpus[:100_000]
    V = int(corpus.max()) + 1  # ids follow first appearance
    C, t_co = timed(create_co_matrix, corpus, V, args.window, sparse=True)
    M, t_ppmi = timed(ppmi, C)
    (U, S, _), t_svd = timed(randomized_svd, M, args.dim)
    total = cold + t_co + t_ppmi + t_svd
    print(f"zeronlp on PTB train ({len(corpus):,} tokens, V={V:,}, window {args.window}, dim {args.dim}):")
    print(f"  load {cold:.2f}s cold ({warm:.3f}s warm), co-occurrence {t_co:.2f}s, PPMI {t_ppmi:.2f}s, "
          f"SVD {t_svd:.2f}s, total {total:.2f}s")

    small = corpus[:prefix]
    v = int(small.max()) + 1
    C_loop, t_loop_co = timed(loop_co_matrix, small, v, args.window)
    C_vec, t_vec_co = timed(create_co_matrix, small, v, args.window, repeat=3)
    with np.errstate(divide="ignore", invalid="ignore"):
        M_loop, t_loop_ppmi = timed(loop_ppmi, C_loop)
    M_vec, t_vec_ppmi = timed(ppmi, C_vec, repeat=3)
    assert np.array_equal(C_loop, C_vec), "co-occurrence differs from the loop"
    diff = float(np.abs(M_loop - M_vec).max())
    print(f"book-style loops vs zeronlp (best of 3) on a {prefix:,}-token PTB prefix (V={v:,}), dense:")
    print(f"  co-occurrence {t_loop_co:.3f}s vs {t_vec_co:.4f}s ({t_loop_co / t_vec_co:,.1f}x), "
          f"PPMI {t_loop_ppmi:.2f}s vs {t_vec_ppmi:.4f}s ({t_loop_ppmi / t_vec_ppmi:,.1f}x); "
          f"max |PPMI difference| {diff:.1e} (the book's eps)")
    est = t_loop_co * len(corpus) / prefix + t_loop_ppmi * (V / v) ** 2
    print(f"  extrapolated book-style loops on these {len(corpus):,} tokens: ~{est / 60:,.0f} min "
          f"(co-occurrence ~{t_loop_co * len(corpus) / prefix:,.0f}s, PPMI ~{t_loop_ppmi * (V / v) ** 2:,.0f}s) "
          f"vs {t_co + t_ppmi:.2f}s here")

    try:
        from sklearn.utils.extmath import randomized_svd as sk_randomized_svd
    except ImportError:
        print("scikit-learn not installed: SVD comparison skipped")
        return
    from threadpoolctl import threadpool_limits

    (_, S_sk, _), t_sk = timed(sk_randomized_svd, M, args.dim, n_oversamples=10, n_iter=4, random_state=0)
    with threadpool_limits(limits=1, user_api="blas"):  # the same BLAS setting zeronlp uses here
        _, t_sk1 = timed(sk_randomized_svd, M, args.dim, n_oversamples=10, n_iter=4, random_state=0, repeat=2)
    _, t_ours = timed(randomized_svd, M, args.dim, repeat=2)  # warm, like the scikit-learn calls
    from scipy.sparse.linalg import svds

    (_, S_exact, _), t_exact = timed(svds, M.astype(np.float64), args.dim, random_state=0)
    S_exact = np.sort(S_exact)[::-1]
    err = lambda s: float(np.abs(np.sort(s)[::-1] - S_exact).max() / S_exact[0])  # noqa: E731
    print(f"randomised SVD, k={args.dim}, 4 power iterations (warm, best of 2): zeronlp {t_ours:.2f}s vs "
          f"scikit-learn {t_sk1:.2f}s with one BLAS thread (ratio {t_ours / t_sk1:.2f}), {t_sk:.2f}s with its "
          f"default threads; max singular value error / S_max against ARPACK svds ({t_exact:.1f}s): "
          f"zeronlp {err(S):.1e}, scikit-learn {err(S_sk):.1e}")


if __name__ == "__main__":
    main()
