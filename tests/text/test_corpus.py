"""preprocess, Vocab, text files as corpora, load_corpus."""
from __future__ import annotations

import json

import numpy as np
import pytest

from zeronlp.text import Vocab, load_corpus, preprocess, read_text_corpus, tokenize
from zeronlp.text.corpus import read_lines


def test_preprocess_book_example():
    corpus, word_to_id, id_to_word = preprocess("You say goodbye and I say hello.")
    assert corpus.tolist() == [0, 1, 2, 3, 4, 1, 5, 6]
    assert corpus.dtype == np.int32
    assert word_to_id == {"you": 0, "say": 1, "goodbye": 2, "and": 3, "i": 4, "hello": 5, ".": 6}
    assert id_to_word == {i: w for w, i in word_to_id.items()}


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_preprocess_empty(text):
    with pytest.raises(ValueError, match="no words"):
        preprocess(text)


def test_preprocess_type():
    with pytest.raises(TypeError, match="str"):
        preprocess(b"bytes")


def test_vocab_unfiltered_matches_preprocess_order():
    words = "the cat sat on the mat the end".split()
    v = Vocab.build(words, unk=None)
    assert v.words == ["the", "cat", "sat", "on", "mat", "end"]
    assert v.counts.tolist() == [3, 1, 1, 1, 1, 1]
    assert v.unk_id is None and len(v) == 6 and "cat" in v and "dog" not in v
    with pytest.raises(KeyError, match="'dog'"):
        v.encode(["cat", "dog"])
    with pytest.raises(KeyError, match="'dog'"):
        v["dog"]


def test_vocab_min_count_max_size_and_unk():
    words = "a b a c c c d <unk> e e".split()
    v = Vocab.build(words, min_count=2)
    assert v.words == ["a", "c", "<unk>", "e"]  # <unk> keeps its first-appearance place
    assert v.counts.tolist() == [2, 3, 3, 2]  # b, d, <unk>
    assert v.encode(["a", "zzz", "e"]).tolist() == [0, 2, 3]
    assert v["zzz"] == v.unk_id == 2
    v = Vocab.build("x y y z z z w".split(), max_size=3)
    assert v.words == ["y", "z", "<unk>"]  # two most frequent, ids by first appearance, <unk> appended
    assert v.counts.tolist() == [2, 3, 2]
    v = Vocab.build("p q r s".split(), max_size=3)  # ties: earliest first appearance wins
    assert v.words == ["p", "q", "<unk>"]
    assert sum(Vocab.build("p q r s p".split(), max_size=2).counts) == 5


def test_vocab_bad_arguments():
    with pytest.raises(ValueError, match="min_count"):
        Vocab.build(["a"], min_count=0)
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build(["a"], max_size=0)
    with pytest.raises(ValueError, match="no tokens"):
        Vocab.build([])
    with pytest.raises(TypeError, match="split it first"):
        Vocab.build("a b c")
    with pytest.raises(ValueError, match="unk=None"):
        Vocab.build("a a b".split(), min_count=2, unk=None)
    with pytest.raises(ValueError, match="more than once"):
        Vocab(["a", "a"], unk=None)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        Vocab(["a"])


def test_vocab_decode_and_json_round_trip():
    v = Vocab.build("one two three two".split())
    assert v.decode(np.array([2, 0, 1])) == ["three", "one", "two"]
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        v.decode([4])
    again = Vocab.from_list(json.loads(json.dumps(v.to_list())))
    assert again == v and again.unk_id == v.unk_id
    assert Vocab.from_list(["a", "b"]).unk is None
    assert "Vocab(4 words" in repr(v)


def test_tokenize():
    assert tokenize("Hello, world! It's a well-known fact.", "words", lowercase=True) == [
        "hello", ",", "world", "!", "it's", "a", "well-known", "fact", "."]
    assert tokenize(" a  b\t", "whitespace") == ["a", "b"]
    with pytest.raises(ValueError, match="tokenizer"):
        tokenize("a", "chars")


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_text_file_corpus_with_fractions(tmp_path):
    lines = [f"w{i} common w{i + 1}" for i in range(10)]
    path = _write(tmp_path / "c.txt", "\n".join(lines[:5]) + "\n\n  \n" + "\n".join(lines[5:]) + "\n")
    tc = read_text_corpus(path, valid_fraction=0.2, test_fraction=0.1)
    assert "<eos>" in tc.vocab and "<unk>" in tc.vocab
    assert tc.vocab.decode(tc.train[:4]) == ["w0", "common", "w1", "<eos>"]
    assert len(tc.train) == 7 * 4 and len(tc.valid) == 2 * 4 and len(tc.test) == 4
    # vocabulary from train only: w8, w9 and w10 (valid/test) are unknown there
    assert tc.vocab.decode(tc.test) == ["<unk>", "common", "<unk>", "<eos>"]
    assert tc.vocab.decode(tc.valid[:3]) == ["w7", "common", "<unk>"]


def test_load_corpus_triple_and_separate_files(tmp_path):
    train = _write(tmp_path / "train.txt", "the cat sat\nthe dog ran\n")
    test = _write(tmp_path / "test.txt", "the bird sat\n")
    corpus, word_to_id, id_to_word = load_corpus(str(train))
    assert [id_to_word[int(i)] for i in corpus] == "the cat sat <eos> the dog ran <eos>".split()
    assert word_to_id["the"] == 0 and corpus.dtype == np.int32
    ids, w2, _ = load_corpus(train, "test", test=str(test))
    assert [id_to_word[int(i)] for i in ids] == "the <unk> sat <eos>".split() and w2 == word_to_id
    with pytest.raises(ValueError, match="no valid split"):
        load_corpus(train, "valid")
    ids[:] = -1  # results are copies
    assert load_corpus(train, "test", test=str(test))[0].min() >= 0


def test_load_corpus_rereads_changed_file(tmp_path):
    path = _write(tmp_path / "a.txt", "a b\n")
    assert len(load_corpus(path)[1]) == 4  # a b <eos> <unk>
    _write(path, "a b c d e f\n")
    assert len(load_corpus(path)[1]) == 8


def test_load_corpus_ptb():
    corpus, word_to_id, id_to_word = load_corpus("ptb", "test")
    assert len(corpus) == 82_430 and len(word_to_id) == 10_000 and id_to_word[0] == "aer"
    with pytest.raises(ValueError, match="takes no options"):
        load_corpus("ptb", min_count=2)


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'nope.txt': no such file, and not a built-in corpus .*'ptb'"):
        load_corpus("nope.txt")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_corpus(tmp_path)
    with pytest.raises(ValueError, match="is empty"):
        load_corpus(_write(tmp_path / "empty.txt", ""))
    with pytest.raises(ValueError, match="no tokens"):
        load_corpus(_write(tmp_path / "blank.txt", "  \n\n\t\n"))
    with pytest.raises(ValueError, match="not UTF-8 text"):
        read_lines(_write(tmp_path / "latin.txt", "café\n", "latin-1"))
    with pytest.raises(ValueError, match="binary"):
        read_lines(_write(tmp_path / "bin.txt", b"\x00\x01abc"))
    with pytest.raises(IsADirectoryError):
        read_lines(tmp_path)
    with pytest.raises(ValueError, match="split must be"):
        load_corpus("ptb", "dev")
    with pytest.raises(ValueError, match="valid_fraction"):
        read_text_corpus(_write(tmp_path / "x.txt", "a\n"), valid_fraction=1.5)
    with pytest.raises(ValueError, match="too few"):
        read_text_corpus(tmp_path / "x.txt", valid_fraction=0.2)
    assert read_lines(_write(tmp_path / "bom.txt", "\ufeffhi there\n")) == ["hi there"]
