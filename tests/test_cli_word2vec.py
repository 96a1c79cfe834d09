"""``zeronlp word2vec train``, in-process."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from zeronlp.cli import main

TEXT = ("you say goodbye and i say hello .\n"
        "the king and the queen say hello to the man and the woman .\n"
        "i take the car and you go home .\n") * 20


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("model", ["cbow", "skipgram"])
def test_train_saves_vectors_gensim_can_read(corpus_file, tmp_path, capsys, model):
    out_path = tmp_path / "vectors.bin"
    rc = main(["word2vec", "train", "--model", model, "--corpus", str(corpus_file), "--window", "2", "--dim", "8",
               "--epochs", "2", "--batch-size", "64", "--seed", "0", "--out", str(out_path), "--binary", "--json"])
    assert rc == 0
    figures = _last_json(capsys.readouterr().out)
    assert {"seconds", "words_per_second", "loss"} <= set(figures)
    assert np.isfinite(figures["loss"]) and figures["words_per_second"] > 0
    assert "you" in figures["similar"] and "king:man=queen:?" in figures["analogy"]
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors.load_word2vec_format(str(out_path), binary=True)
    assert kv.vector_size == 8 and "queen" in kv.key_to_index


def test_book_preset_hierarchical_softmax_and_text_output(corpus_file, tmp_path, capsys):
    out_path = tmp_path / "vectors.txt"
    rc = main(["word2vec", "train", "--preset", "book", "--hs", "--corpus", str(corpus_file), "--window", "1",
               "--dim", "6", "--epochs", "1", "--out", str(out_path)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "[query] you:" in printed and "words/s" in printed
    header = out_path.read_text(encoding="utf-8").splitlines()[0]
    assert header.split()[1] == "6"


def test_ptb_fraction_of_an_epoch(capsys):
    rc = main(["word2vec", "train", "--max-words", "20000", "--dim", "10", "--json"])
    assert rc == 0
    figures = _last_json(capsys.readouterr().out)
    assert figures["vocab_size"] == 10000 and set(figures["similar"]) == {"you", "year", "car", "toyota"}


@pytest.mark.parametrize("argv, message", [
    (["--window", "0"], "--window: expected a positive integer"),
    (["--subsample", "1.5"], "--subsample"),
    (["--binary"], "--binary needs --out"),
    (["--min-count", "3"], "--min-count applies to text files"),
    (["--negative", "3", "--hs"], "not allowed with argument"),
    (["--corpus", "/no/such/file.txt"], "unknown corpus"),
])
def test_bad_arguments_give_one_line_errors(argv, message, capsys):
    rc = main(["word2vec", "train", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_empty_corpus_and_corpus_smaller_than_the_window(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert main(["word2vec", "train", "--corpus", str(empty)]) == 2
    assert "empty" in capsys.readouterr().err
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("just three words\n", encoding="utf-8")
    assert main(["word2vec", "train", "--corpus", str(tiny), "--window", "5"]) == 2
    assert "smaller window" in capsys.readouterr().err


def test_unwritable_output_fails_before_training(tmp_path, capsys):
    rc = main(["word2vec", "train", "--out", str(tmp_path / "missing" / "v.txt")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_ch03_quick(capsys):
    history = _example("ch03_simple_word2vec").main(["--quick"])
    assert history["epoch_loss"][-1] < history["epoch_loss"][0]
    assert "SimpleCBOW" in capsys.readouterr().out


def test_example_ch04_quick(capsys):
    history = _example("ch04_word2vec_ptb").main(["--quick"])
    assert history["words"] >= 2000
    assert "[query] you:" in capsys.readouterr().out


def test_query_words(corpus_file, capsys):
    rc = main(["word2vec", "train", "--corpus", str(corpus_file), "--window", "1", "--dim", "4", "--epochs", "1",
               "--query", "king", "car", "--json"])
    assert rc == 0
    assert set(_last_json(capsys.readouterr().out)["similar"]) == {"king", "car"}
    rc = main(["word2vec", "train", "--corpus", str(corpus_file), "--query", "king", "zebra", "quagga"])
    err = capsys.readouterr().err
    assert rc == 2 and "'zebra', 'quagga' not in the vocabulary" in err
