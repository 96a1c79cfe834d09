"""``zeronlp vectors similar|analogy|evaluate`` in-process, on our files and gensim's."""
from __future__ import annotations

import json

import numpy as np
import pytest

from zeronlp.cli import main
from zeronlp.text.vectors import WordVectors


@pytest.fixture
def vectors(tmp_path):
    rng = np.random.default_rng(0)
    words = ["man", "woman", "king", "queen", "cat", "dog"]
    base = {w: rng.normal(size=8) for w in ["man", "king", "cat", "dog"]}
    female = rng.normal(size=8) * 2
    vecs = [base["man"], base["man"] + female, base["king"], base["king"] + female, base["cat"], base["dog"]]
    wv = WordVectors(np.array(vecs, dtype=np.float32), words)
    text, binary = tmp_path / "v.txt", tmp_path / "v.bin"
    wv.save_word2vec(text)
    wv.save_word2vec(binary, binary=True)
    return text, binary


def _json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("binary", [False, True])
def test_similar_and_unknown(vectors, binary, capsys):
    path = vectors[binary]
    argv = ["vectors", "similar", "king", "unicorn", "--vectors", str(path), "--topn", "2", "--json"]
    assert main(argv + (["--binary"] if binary else [])) == 0
    result = _json(capsys)
    assert result["unknown"] == ["unicorn"] and len(result["similar"]["king"]) == 2
    assert main(["vectors", "similar", "unicorn", "--vectors", str(vectors[0])]) == 1


def test_analogy(vectors, capsys):
    argv = ["vectors", "analogy", "man", "woman", "king", "cat", "dog", "zebra", "--vectors", str(vectors[0]),
            "--json"]
    assert main(argv) == 0
    result = _json(capsys)
    assert result["analogy"][0]["query"] == ["man", "woman", "king"]
    assert result["analogy"][0]["answers"][0][0] == "queen"
    assert result["unknown"] == ["zebra"]
    assert main(["vectors", "analogy", "man", "woman", "--vectors", str(vectors[0])]) == 2
    assert "triples" in capsys.readouterr().err


def test_evaluate(vectors, tmp_path, capsys):
    q = tmp_path / "q.txt"
    q.write_text(": family\nMan Woman King Queen\nman woman king princess\n")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("king\tqueen\t8\nman\twoman\t7\ncat\tdog\t5\ncat\tking\t1\n")
    assert main(["vectors", "evaluate", "--vectors", str(vectors[0]), "--analogies", str(q), "--pairs", str(pairs),
                 "--json"]) == 0
    result = _json(capsys)
    assert result["analogies"]["total"] == {"correct": 1, "total": 1, "skipped": 1, "accuracy": 1.0}
    assert result["pairs"]["pairs"] == 4 and -1 <= result["pairs"]["spearman"] <= 1
    assert main(["vectors", "evaluate", "--vectors", str(vectors[0])]) == 2
    assert main(["vectors", "evaluate", "--vectors", str(vectors[0]), "--pairs", str(tmp_path / "nope")]) == 2
    assert main(["vectors", "similar", "king", "--vectors", str(vectors[1])]) == 2  # binary read as text
    assert "error" in capsys.readouterr().err


def test_reads_gensim_files(vectors, tmp_path, capsys):
    gensim_models = pytest.importorskip("gensim.models")
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(vectors[0]))
    path = tmp_path / "g.bin"
    kv.save_word2vec_format(str(path), binary=True)
    assert main(["vectors", "similar", "queen", "--vectors", str(path), "--binary", "--json"]) == 0
    assert _json(capsys)["similar"]["queen"][0][0] == kv.most_similar("queen", topn=1)[0][0]


# ------------------------------------------------------------------------ hardening (issue 15)
def _error(argv, capsys):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_format_mismatch_directory_and_nan(vectors, tmp_path, capsys):
    text, binary = vectors
    assert "drop --binary" in _error(["vectors", "similar", "man", "--vectors", str(text), "--binary"], capsys)
    assert "add --binary" in _error(["vectors", "similar", "man", "--vectors", str(binary)], capsys)
    assert "is a directory" in _error(["vectors", "similar", "man", "--vectors", str(tmp_path)], capsys)
    nan = tmp_path / "nan.txt"
    nan.write_text("2 2\nthe nan 1\ncat 1 2\n")
    assert "word 'the' holds NaN" in _error(["vectors", "similar", "the", "--vectors", str(nan)], capsys)


def test_evaluate_names_a_directory_and_a_malformed_analogies_file(vectors, tmp_path, capsys):
    text, _ = vectors
    err = _error(["vectors", "evaluate", "--vectors", str(text), "--analogies", str(tmp_path)], capsys)
    assert "is a directory" in err
    bad = tmp_path / "q.txt"
    bad.write_text(": family\nman woman king\n")
    err = _error(["vectors", "evaluate", "--vectors", str(text), "--analogies", str(bad)], capsys)
    assert "q.txt: no usable analogy question" in err
