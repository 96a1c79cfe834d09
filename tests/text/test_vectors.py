"""WordVectors: lookups, most_similar, analogy, evaluations (vs gensim), word2vec text/binary files."""
from __future__ import annotations

import os

import numpy as np
import pytest

from zeronlp.text.vectors import WordVectors

QUESTIONS = """\
: capital
athens greece paris france
paris france athens greece
Athens Greece Tokyo Japan
athens greece oslo norway
: plural
cat cats dog dogs
dog dogs cat cats
bad line here
"""

PAIRS = "# comment\ncat\tdog\t7.0\ncat\tcats\t9.0\nparis\tathens\t5.0\ngreece\tdogs\t1.0\ncat\tunicorn\t3.0\nbroken line\n"


def _toy():
    rng = np.random.default_rng(3)
    base = {w: rng.normal(size=16) for w in ["athens", "paris", "tokyo", "cat", "dog"]}
    capital, plural = rng.normal(size=16) * 3, rng.normal(size=16) * 3
    words, vecs = [], []
    for w, v in base.items():
        words.append(w)
        vecs.append(v)
    for w, c in [("greece", "athens"), ("france", "paris"), ("japan", "tokyo")]:
        words.append(w)
        vecs.append(base[c] + capital)
    words += ["cats", "dogs", "noise"]
    vecs += [base["cat"] + plural, base["dog"] + plural, rng.normal(size=16)]
    return WordVectors(np.array(vecs, dtype=np.float32), words)


def test_lookup_and_errors():
    wv = _toy()
    assert len(wv) == 11 and wv.dim == 16 and "cat" in wv and "unicorn" not in wv
    np.testing.assert_array_equal(wv["cat"], wv.vectors[3])
    with pytest.raises(KeyError, match="'unicorn'"):
        wv["unicorn"]
    with pytest.raises(KeyError, match="'unicorn'"):
        wv.most_similar("unicorn")
    with pytest.raises(KeyError, match="'zebra'"):
        wv.analogy("cat", "cats", "zebra")
    with pytest.raises(ValueError, match="2-D"):
        WordVectors(np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="2 words for 3"):
        WordVectors(np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(ValueError, match="'a' appears more than once"):
        WordVectors(np.zeros((2, 2)), ["a", "a"])
    with pytest.raises(ValueError, match="whitespace"):
        WordVectors(np.zeros((1, 2)), ["a b"])
    with pytest.raises(ValueError, match="topn"):
        wv.most_similar("cat", topn=0)
    assert "11 words x 16 dims" in repr(wv)


def test_most_similar_matches_brute_force_cosine():
    wv = _toy()
    result = wv.most_similar("cat", topn=3)
    v = wv.vectors.astype(np.float64)
    cos = v @ v[3] / np.linalg.norm(v, axis=1) / np.linalg.norm(v[3])
    cos[3] = -np.inf
    order = np.argsort(-cos)[:3]
    assert [w for w, _ in result] == [wv.words[i] for i in order]
    np.testing.assert_allclose([s for _, s in result], cos[order], rtol=1e-5)
    assert len(wv.most_similar("cat", topn=100)) == 10  # everything but the query
    assert wv.most_similar(wv["cat"], topn=1)[0][0] == "cat"  # a vector query excludes nothing
    assert wv.similarity("cat", "cat") == pytest.approx(1.0, abs=1e-6)


def test_zero_vector_is_safe():
    wv = WordVectors(np.array([[0, 0], [1, 0], [0, 1]], dtype=np.float32), ["z", "x", "y"])
    assert all(np.isfinite(s) for _, s in wv.most_similar("z"))


def test_analogy_book_convention():
    wv = _toy()
    # a:b = c:?  ->  b - a + c ; query words excluded
    assert wv.analogy("athens", "greece", "paris", topn=1)[0][0] == "france"
    assert wv.analogy("cat", "cats", "dog")[0][0] == "dogs"
    assert {"cat", "cats", "dog"}.isdisjoint(w for w, _ in wv.analogy("cat", "cats", "dog", topn=8))


def test_evaluate_analogies_sections_and_oov(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(QUESTIONS)
    res = _toy().evaluate_analogies(path)
    capital, plural = res["sections"]
    assert capital["section"] == "capital" and capital["total"] == 3 and capital["skipped"] == 1
    assert capital["correct"] == 3 and capital["accuracy"] == 1.0
    assert plural["total"] == 2 and plural["correct"] == 2
    assert res["total"] == {"correct": 5, "total": 5, "skipped": 1, "accuracy": 1.0}
    assert res["invalid_lines"] == 1
    strict = _toy().evaluate_analogies(path, case_insensitive=False)
    assert strict["total"]["skipped"] == 2  # 'Athens Greece Tokyo Japan' now unknown
    small = _toy().evaluate_analogies(path, restrict_vocab=5)  # only athens paris tokyo cat dog
    assert small["total"]["total"] == 0 and small["total"]["accuracy"] is None
    bad = tmp_path / "bad.txt"
    bad.write_text("a b c d\n")
    with pytest.raises(ValueError, match="before any"):
        _toy().evaluate_analogies(bad)


def test_evaluate_word_pairs(tmp_path):
    from scipy import stats

    path = tmp_path / "pairs.tsv"
    path.write_text(PAIRS)
    wv = _toy()
    res = wv.evaluate_word_pairs(path)
    assert res["pairs"] == 4 and res["oov"] == 1 and res["oov_ratio"] == pytest.approx(0.2)
    assert res["invalid_lines"] == 1
    model = [wv.similarity(a, b) for a, b in [("cat", "dog"), ("cat", "cats"), ("paris", "athens"),
                                              ("greece", "dogs")]]
    assert res["spearman"] == pytest.approx(stats.spearmanr([7, 9, 5, 1], model)[0])
    empty = tmp_path / "empty.tsv"
    empty.write_text("# nothing\n")
    with pytest.raises(ValueError, match="no word pairs"):
        wv.evaluate_word_pairs(empty)


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip(tmp_path, binary):
    wv = WordVectors(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32),
                     ["a", "b", "ünï", "<eos>", "N"])
    path = tmp_path / "v.bin"
    wv.save_word2vec(path, binary=binary)
    back = WordVectors.load_word2vec(path, binary=binary)
    assert back.words == wv.words
    np.testing.assert_array_equal(back.vectors, wv.vectors)


def test_word2vec_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        WordVectors.load_word2vec(tmp_path / "none.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n")
    with pytest.raises(ValueError, match="'V D'"):
        WordVectors.load_word2vec(bad)
    bad.write_text("2 3\na 1 2 3\n")
    with pytest.raises(ValueError, match="header says 2 words but 1"):
        WordVectors.load_word2vec(bad)
    bad.write_text("1 3\na 1 2\n")
    with pytest.raises(ValueError, match="line 2 has 2 values"):
        WordVectors.load_word2vec(bad)
    bad.write_bytes(b"2 3\na " + np.zeros(3, "<f4").tobytes())
    with pytest.raises(ValueError, match="truncated"):
        WordVectors.load_word2vec(bad, binary=True)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours_and_we_read_gensims(tmp_path, binary):
    gensim_models = pytest.importorskip("gensim.models")
    KeyedVectors = gensim_models.KeyedVectors
    wv = _toy()
    ours = tmp_path / "ours"
    wv.save_word2vec(ours, binary=binary)
    kv = KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert list(kv.index_to_key) == wv.words
    np.testing.assert_allclose(kv.vectors, wv.vectors, rtol=0, atol=0)
    theirs = tmp_path / "theirs"
    kv.save_word2vec_format(str(theirs), binary=binary)
    back = WordVectors.load_word2vec(theirs, binary=binary)
    assert back.words == wv.words
    np.testing.assert_allclose(back.vectors, wv.vectors, rtol=1e-6)
    got = kv.most_similar("cat", topn=3)
    assert [w for w, _ in wv.most_similar("cat", topn=3)] == [w for w, _ in got]


def test_evaluations_match_gensim_on_its_test_files():
    gensim = pytest.importorskip("gensim")
    from gensim.models import KeyedVectors

    data = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
    questions, pairs = os.path.join(data, "questions-words.txt"), os.path.join(data, "wordsim353.tsv")
    if not (os.path.exists(questions) and os.path.exists(pairs)):
        pytest.skip("gensim's test data is not installed")
    # vectors with real structure: second word = first word + section offset + noise
    rng = np.random.default_rng(1)
    vectors, offset = {}, None
    with open(questions, encoding="utf-8") as f:
        for line in f:
            if line.startswith(":"):
                offset = rng.normal(size=24) * 2
                continue
            for a, b in (line.lower().split()[:2], line.lower().split()[2:]):
                if len(vectors) < 400:
                    vectors.setdefault(a, rng.normal(size=24))
                    vectors.setdefault(b, vectors[a] + offset + rng.normal(size=24) * 0.8)
    with open(pairs, encoding="utf-8") as f:  # the word-pair words, with random vectors
        for line in f:
            if not line.startswith("#"):
                for w in line.lower().split("\t")[:2]:
                    if len(vectors) < 700:
                        vectors.setdefault(w, rng.normal(size=24))
    words, vecs = list(vectors), list(vectors.values())
    wv = WordVectors(np.array(vecs, dtype=np.float32), words)
    kv = KeyedVectors(24)
    kv.add_vectors(wv.words, wv.vectors)
    ours = wv.evaluate_analogies(questions, restrict_vocab=350)
    score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=350)
    assert 0.05 < ours["total"]["accuracy"] < 1
    assert ours["total"]["accuracy"] == pytest.approx(score)
    theirs = {s["section"]: len(s["correct"]) for s in sections if s["section"] != "Total accuracy"}
    assert {s["section"]: s["correct"] for s in ours["sections"] if s["total"]} == \
        {k: v for k, v in theirs.items() if v or k in {s["section"] for s in ours["sections"] if s["total"]}}
    res = wv.evaluate_word_pairs(pairs)
    pearson, spearman, oov_percent = kv.evaluate_word_pairs(pairs)
    assert res["spearman"] == pytest.approx(spearman[0], abs=1e-9)
    assert res["pearson"] == pytest.approx(pearson[0], abs=1e-6)
    assert 100 * res["oov_ratio"] == pytest.approx(oov_percent)


# ------------------------------------------------------------------------ hardening (issue 15)
def test_non_finite_vectors_are_rejected_naming_the_word(tmp_path):
    vecs = np.ones((3, 2), dtype=np.float32)
    vecs[1, 0] = np.nan
    with pytest.raises(ValueError, match="the vector of word 'b' holds NaN"):
        WordVectors(vecs, ["a", "b", "c"])
    path = tmp_path / "nan.txt"
    path.write_text("3 2\na 1 1\nb nan 1\nc 1 inf\n")
    with pytest.raises(ValueError, match=r"nan.txt: the vector of word 'b' holds NaN \(2 non-finite"):
        WordVectors.load_word2vec(path)
    path.write_bytes(b"1 2\nthe " + np.array([np.inf, 0], "<f4").tobytes() + b"\n")
    with pytest.raises(ValueError, match="word 'the' holds Inf"):
        WordVectors.load_word2vec(path, binary=True)


def test_text_and_binary_mismatch_is_named(tmp_path):
    wv = WordVectors(np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32) * 1e-6,
                     ["-06", "a", "b", "c"])
    text, binary = tmp_path / "v.txt", tmp_path / "v.bin"
    wv.save_word2vec(text)
    wv.save_word2vec(binary, binary=True)
    with pytest.raises(ValueError, match="v.txt: this is a word2vec text file, but it is being read as binary: "
                                         "drop --binary"):
        WordVectors.load_word2vec(text, binary=True)
    with pytest.raises(ValueError, match="v.bin: this is a word2vec binary file, but it is being read as text: "
                                         "add --binary"):
        WordVectors.load_word2vec(binary)


def test_directory_and_npz_are_named(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory, not a word vectors file"):
        WordVectors.load_word2vec(tmp_path)
    np.savez(tmp_path / "m.npz", a=np.ones(2))
    with pytest.raises(ValueError, match=r"m.npz: is a .npz archive"):
        WordVectors.load_word2vec(tmp_path / "m.npz")
    with pytest.raises(IsADirectoryError, match="is a directory, not an analogies file"):
        _toy().evaluate_analogies(tmp_path)


def test_analogies_file_without_usable_questions_is_an_error(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": capital\nathens greece paris\nthis line has five words\n")
    with pytest.raises(ValueError, match=r"q.txt: no usable analogy question .*2 malformed lines"):
        _toy().evaluate_analogies(path)


def test_finite_vectors_near_the_float32_limit_give_true_cosines():
    import warnings

    vectors = WordVectors(np.array([[3e38, 3e38], [1, 2], [0, 0]], np.float32), ["huge", "small", "zero"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        assert vectors.similarity("huge", "small") == pytest.approx(3 / np.sqrt(10), rel=1e-6)
        assert vectors.most_similar("small", topn=2) == [("huge", pytest.approx(3 / np.sqrt(10), rel=1e-6)),
                                                         ("zero", 0.0)]
