"""``zeronlp count similar`` in-process: toy text files, unknown words, --out, and the PTB quality target."""
from __future__ import annotations

import json

import numpy as np
import pytest

from zeronlp.cli import main
from zeronlp.text.vectors import WordVectors

TEXT = "\n".join(["you say goodbye and i say hello .", "we say hello and they say goodbye ."] * 5) + "\n"


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "toy.txt"
    path.write_text(TEXT)
    return path


def _json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_similar_on_a_text_file_with_unknown_word(corpus_file, tmp_path, capsys):
    out = tmp_path / "vec.txt"
    status = main(["count", "similar", "you", "nosuchword", "hello", "--corpus", str(corpus_file),
                   "--dim", "3", "--topn", "2", "--window", "1", "--out", str(out), "--json", "--seed", "0"])
    assert status == 0
    result = _json(capsys)
    assert set(result["similar"]) == {"you", "hello"} and result["unknown"] == ["nosuchword"]
    assert len(result["similar"]["you"]) == 2 and result["vocab_size"] == 11  # 9 words, <eos>, <unk>
    assert set(result["seconds"]) == {"load", "co_matrix", "ppmi", "svd", "total"}
    wv = WordVectors.load_word2vec(out)
    assert len(wv) == 11 and wv.dim == 3


def test_all_unknown_is_exit_1(corpus_file, capsys):
    assert main(["count", "similar", "zzz", "--corpus", str(corpus_file), "--dim", "2", "--json"]) == 1
    captured = capsys.readouterr()  # --json: the human lines on stderr, only the JSON line on stdout
    assert "[zzz] is not in the vocabulary" in captured.err
    assert len(captured.out.splitlines()) == 1 and json.loads(captured.out)["unknown"] == ["zzz"]


def test_errors(corpus_file, tmp_path, capsys):
    assert main(["count", "similar", "you", "--corpus", str(tmp_path / "missing.txt")]) == 2
    assert "unknown corpus" in capsys.readouterr().err
    assert main(["count", "similar", "you", "--corpus", str(corpus_file), "--dim", "50"]) == 2
    assert "larger than the vocabulary" in capsys.readouterr().err
    assert main(["count", "similar", "you", "--out", str(tmp_path / "no" / "v.txt")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["count", "similar"]) == 2
    assert main(["count", "similar", "you", "--max-vocab", "5"]) == 2  # ptb takes no text-file options
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["count", "similar", "you", "--corpus", str(empty)]) == 2
    assert "empty" in capsys.readouterr().err


def test_ptb_quality_target(capsys):
    status = main(["count", "similar", "you", "year", "car", "toyota", "--corpus", "ptb", "--json", "--seed", "0"])
    assert status == 0
    similar = _json(capsys)["similar"]
    assert {"we", "i", "they"} & {w for w, _ in similar["you"]}
    assert {"month", "quarter", "week"} & {w for w, _ in similar["year"]}
    assert all(len(v) == 5 and np.isfinite([s for _, s in v]).all() for v in similar.values())


def test_example_ch02_runs_quick(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "ch02_count_based.py"
    spec = importlib.util.spec_from_file_location("ch02_count_based", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--quick"])
    out = capsys.readouterr().out
    assert "cos(you, i) = 0.7071" in out and "PTB: 20,000 tokens" in out
    assert set(results) == {"you", "year"} and all(len(v) == 5 for v in results.values())


def test_absurd_window_is_refused_with_the_estimate(capsys):
    """PTB with --window 100000 would count ~1.9e11 pairs (NumPy: 'Unable to allocate 1.28 TiB')."""
    assert main(["count", "similar", "you", "--window", "100000"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--window 100000 on 929,589 tokens (10,000 words, SVD auto) needs about 5.8 TiB, only" in err
