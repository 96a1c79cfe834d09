"""Embedded Penn Treebank: the book's figures, checksum, caches."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp.data import ptb


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERONLP_CACHE", str(tmp_path / "cache"))
    ptb.clear_cache()
    yield tmp_path / "cache"
    ptb.clear_cache()


def test_book_figures(fresh_cache):
    corpus, word_to_id, id_to_word = ptb.load_data("train")
    assert corpus.dtype == np.int32 and corpus.shape == (929_589,)
    assert len(word_to_id) == len(id_to_word) == 10_000 == ptb.vocab_size()
    assert id_to_word[0] == "aer" and word_to_id["aer"] == 0
    assert corpus[:3].tolist() == [0, 1, 2]
    assert all(word_to_id[id_to_word[i]] == i for i in range(0, 10_000, 97))
    # ids follow first appearance: each new id is one more than the largest seen so far
    first = np.maximum.accumulate(corpus)
    assert np.all(np.diff(first) <= 1)
    eos = word_to_id["<eos>"]
    assert id_to_word[int(corpus[-1])] == "<eos>" and int((corpus == eos).sum()) == 42_068
    test, w2, i2 = ptb.load_data("test")
    valid, _, _ = ptb.load_data("valid")
    assert test.shape == (82_430,) and valid.shape == (73_760,)
    assert w2 == word_to_id and i2 == id_to_word
    assert ptb.tokens(ptb.read_text("test"))[:3] == ["no", "it", "was"]
    assert " ".join(i2[int(i)] for i in test[:3]) == "no it was"
    assert list(fresh_cache.glob("ptb-*.npz"))


def test_second_load_reads_disk_cache_and_returns_copies(fresh_cache):
    a, w, _ = ptb.load_data("valid")
    ptb.clear_cache()  # in-memory gone; the .npz remains
    b, w2, _ = ptb.load_data("valid")
    np.testing.assert_array_equal(a, b)
    b[:] = 0
    w2["aer"] = -1
    c, w3, _ = ptb.load_data("valid")
    np.testing.assert_array_equal(a, c)
    assert w3["aer"] == 0


def test_corrupt_cache_is_rebuilt(fresh_cache):
    ptb.load_data("test")
    ptb.clear_cache()
    (path,) = fresh_cache.glob("ptb-*.npz")
    path.write_bytes(b"not a zip file")
    corpus, _, _ = ptb.load_data("test")
    assert corpus.shape == (82_430,)


def test_unwritable_cache_falls_back(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ZERONLP_CACHE", str(blocker / "sub"))  # cannot mkdir under a file
    ptb.clear_cache()
    try:
        corpus, _, _ = ptb.load_data("test")
        assert corpus.shape == (82_430,)
    finally:
        ptb.clear_cache()


def test_checksum_is_verified(monkeypatch):
    monkeypatch.setitem(ptb.SHA256, "valid", "0" * 64)
    with pytest.raises(ptb.ChecksumError, match="SHA256"):
        ptb.read_text("valid")


def test_bad_split():
    with pytest.raises(ValueError, match="split must be one of"):
        ptb.load_data("dev")
