"""Built corpora: two streaming passes give read_text_corpus's ids; open_corpus memory-maps and verifies."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from zeronlp.cli import main
from zeronlp.text import corpus_build
from zeronlp.text.corpus import load_corpus, read_text_corpus
from zeronlp.text.corpus_build import build_corpus, open_corpus

TEXT = "the cat sat\n\n  on the mat .\nthe dog\t sat é\n   \nrare words once\nthe end"


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(corpus_build, "CHUNK", 7)  # every line crosses a chunk boundary


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("chunks", ["small", "large"])
@pytest.mark.parametrize("options", [{}, {"min_count": 2}, {"max_vocab": 4}, {"lowercase": True, "tokenizer": "words"}])
def test_build_equals_read_text_corpus(tmp_path, monkeypatch, chunks, options):
    if chunks == "small":
        monkeypatch.setattr(corpus_build, "CHUNK", 7)
    path = write(tmp_path, "a.txt", "\ufeff" + TEXT.replace("cat", "Cat,"))
    header = build_corpus([path], tmp_path / "c", verbose=False, **options)
    built = open_corpus(tmp_path / "c")
    renamed = {"max_size" if k == "max_vocab" else k: v for k, v in options.items()}
    expected = read_text_corpus(path, **renamed)
    np.testing.assert_array_equal(built.ids, expected.train)
    assert built.vocab.words == expected.vocab.words
    np.testing.assert_array_equal(built.vocab.counts, expected.vocab.counts)
    assert header["length"] == len(expected.train) and header["vocab_size"] == len(expected.vocab)
    assert isinstance(built.ids, np.memmap) and built.ids.dtype == np.dtype("<i4")
    assert header["files"][0]["lines"] == TEXT.count("\n") + 1


def test_several_files_share_one_vocabulary(tmp_path, small_chunks):
    a, b = write(tmp_path, "a.txt", "x y\ny z\n"), write(tmp_path, "b.txt", "z w\n")
    build_corpus([a, b], tmp_path / "c", verbose=False)
    built = open_corpus(tmp_path / "c")
    assert built.vocab.decode(built.ids) == "x y <eos> y z <eos> z w <eos>".split()
    assert [f["path"] for f in built.header["files"]] == [str(a.resolve()), str(b.resolve())]


@pytest.mark.slow
def test_ptb_built_from_its_text_is_the_embedded_ptb(tmp_path):
    from zeronlp.data import ptb

    path = write(tmp_path, "ptb.train.txt", ptb.read_text("train"))
    header = build_corpus([path], tmp_path / "ptb", verbose=False)
    ids, word_to_id, _ = ptb.load_data("train")
    built = open_corpus(tmp_path / "ptb")
    np.testing.assert_array_equal(built.ids, ids)
    assert built.vocab.word_to_id == word_to_id and header["length"] == 929_589


@pytest.mark.parametrize("bad, line", [(b"ok\nok\n\xff\xfe bad\n", 3), (b"one\ntwo\nthree\nfo\xc3ur\n", 4)])
def test_non_utf8_names_the_file_and_line_and_writes_nothing(tmp_path, small_chunks, bad, line):
    path = write(tmp_path, "bad.txt", bad)
    with pytest.raises(ValueError, match=rf"bad.txt: line {line}: not UTF-8"):
        build_corpus([write(tmp_path, "good.txt", "fine\n"), path], tmp_path / "c", verbose=False)
    assert sorted(os.listdir(tmp_path)) == ["bad.txt", "good.txt"]  # no corpus, no temporary directory


def test_binary_and_missing_files_and_taken_outputs(tmp_path):
    with pytest.raises(ValueError, match="line 2: a NUL byte"):
        build_corpus([write(tmp_path, "bin.txt", b"a\nb\x00c\n")], tmp_path / "c", verbose=False)
    with pytest.raises(FileNotFoundError, match="nope.txt: no such file"):
        build_corpus([tmp_path / "nope.txt"], tmp_path / "c", verbose=False)
    with pytest.raises(ValueError, match="no words"):
        build_corpus([write(tmp_path, "blank.txt", " \n\n")], tmp_path / "c", verbose=False)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    with pytest.raises(ValueError, match="already exists and is not an empty directory"):
        build_corpus([write(tmp_path, "a.txt", "a b\n")], tmp_path / "taken", verbose=False)
    (tmp_path / "empty").mkdir()
    build_corpus([tmp_path / "a.txt"], tmp_path / "empty", verbose=False)  # an empty directory is filled
    assert open_corpus(tmp_path / "empty").header["length"] == 3


@pytest.fixture
def built(tmp_path):
    build_corpus([write(tmp_path, "a.txt", TEXT * 50)], tmp_path / "c", verbose=False)
    return tmp_path / "c"


def test_damaged_corpora_are_refused(built):
    ids = built / "ids.int32"
    data = bytearray(ids.read_bytes())
    data[-1] ^= 1
    ids.write_bytes(bytes(data))  # same length, new mtime: verified again
    with pytest.raises(ValueError, match=r"ids.int32: checksum mismatch"):
        open_corpus(built)
    ids.write_bytes(bytes(data[:-4]))
    with pytest.raises(ValueError, match=r"ids.int32: holds .* ids .* but the header says"):
        open_corpus(built)
    (built / "corpus.json").write_text("{not json")
    with pytest.raises(ValueError, match="corpus.json: not a readable corpus header"):
        open_corpus(built)


def test_verification_is_remembered_until_the_file_changes(built, monkeypatch):
    open_corpus(built)
    key = json.loads((built / "checked.json").read_text())
    assert key[1] == (built / "ids.int32").stat().st_size
    corpus_build._VERIFIED.clear()
    reads, sha256 = [], corpus_build.hashlib.sha256
    monkeypatch.setattr(corpus_build.hashlib, "sha256", lambda: reads.append(1) or sha256())
    open_corpus(built)  # from checked.json: no hashing
    assert reads == []
    os.utime(built / "ids.int32", ns=(1, 1))
    open_corpus(built)
    assert reads == [1]


def test_range_checks_do_not_read_the_map(built):
    ids = open_corpus(built).ids
    assert ids.max() == int(np.asarray(ids).max()) and np.max(ids) == ids.max() and ids.min() == 0
    assert ids[:3].max() == int(np.asarray(ids[:3]).max())  # a view computes as usual


def test_load_corpus_takes_a_built_directory(built, tmp_path):
    ids, word_to_id, id_to_word = load_corpus(built, "train", min_count=1)
    assert isinstance(ids, np.memmap) and len(word_to_id) == len(id_to_word)
    valid = write(tmp_path, "v.txt", "the cat\nunseen words\n")
    v, _, _ = load_corpus(built, "valid", valid=str(valid))
    assert [id_to_word[i] for i in v] == ["the", "cat", "<eos>", "<unk>", "words", "<eos>"]
    with pytest.raises(ValueError, match="has no test split"):
        load_corpus(built, "test")
    with pytest.raises(ValueError, match="built with min_count=1, not 3"):
        load_corpus(built, "train", min_count=3)
    with pytest.raises(IsADirectoryError, match="nor a corpus built by"):
        load_corpus(tmp_path, "train")


def test_language_model_batches_read_the_map(built):
    from zeronlp import lm
    from zeronlp.training import BPTTBatches

    splits, words = lm.load_splits(lm.make_config(corpus=str(built)))
    assert splits["valid"] is None and isinstance(splits["train"], np.memmap)
    source = BPTTBatches(splits["train"], 4, 5)
    xs, ts = source.batch(0)
    assert xs.shape == (4, 5) and not isinstance(xs, np.memmap)


def test_cli_build_and_info(tmp_path, capsys):
    path = write(tmp_path, "a.txt", TEXT)
    assert main(["corpus", "build", str(path), "--out", str(tmp_path / "c"), "--min-count", "2", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["min_count"] == 2 and figures["vocab_size"] == 4  # the, sat, <eos>, <unk>
    assert main(["corpus", "info", str(tmp_path / "c")]) == 0
    assert "checksum verified" in capsys.readouterr().out
    assert main(["corpus", "build", str(write(tmp_path, "b.txt", b"\xff\n")), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "b.txt: line 1: not UTF-8" in err[0]
    assert main(["corpus", "info", str(tmp_path)]) == 2
