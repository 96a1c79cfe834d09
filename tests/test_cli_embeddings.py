"""`zeronlp glove|fasttext|doc2vec`: training, resuming bit for bit, unknown words, inference, bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

import zeronlp
from zeronlp.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(tmp_path):
    r = np.random.default_rng(0)
    words = "the cat cats sat on a mat and dog dogs ran to big red".split()
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(r.choice(words, size=8)) for _ in range(80)) + "\n")
    return path


@pytest.fixture
def documents(tmp_path):
    r = np.random.default_rng(1)
    good, bad = "great fun good loved best".split(), "bad boring awful hated worst".split()
    rows = ["document\tlabel"] + [f"{' '.join(r.choice(good if k % 2 else bad, 6))} the film\t{k % 2}"
                                  for k in range(60)]
    path = tmp_path / "docs.tsv"
    path.write_text("\n".join(rows) + "\n")
    return path


COMMANDS = {
    "glove": lambda c, d: ["glove", "train", "--corpus", str(c), "--dim", "4", "--window", "3", "--epochs", "3",
                           "--batch-size", "32", "--seed", "1"],
    "glove-entry": lambda c, d: ["glove", "train", "--corpus", str(c), "--dim", "4", "--window", "3", "--epochs",
                                 "3", "--batch-size", "32", "--updates", "entry", "--seed", "1"],
    "fasttext": lambda c, d: ["fasttext", "train", "--corpus", str(c), "--dim", "4", "--window", "2", "--epochs",
                              "3", "--batch-size", "16", "--bucket", "5000", "--seed", "2"],
    "fasttext-skipgram": lambda c, d: ["fasttext", "train", "--corpus", str(c), "--model", "skipgram", "--dim", "4",
                                       "--window", "2", "--epochs", "2", "--batch-size", "16", "--min-n", "2",
                                       "--max-n", "4", "--seed", "3"],
    "doc2vec-dbow": lambda c, d: ["doc2vec", "train", "--data", str(d), "--dim", "4", "--epochs", "3",
                                  "--batch-size", "16", "--dbow-words", "--seed", "4"],
    "doc2vec-dm": lambda c, d: ["doc2vec", "train", "--data", str(d), "--mode", "dm", "--dim", "4", "--epochs", "3",
                                "--batch-size", "16", "--seed", "5"],
}
STOP = {"glove": 7, "glove-entry": 5, "fasttext": 11, "fasttext-skipgram": 9, "doc2vec-dbow": 5, "doc2vec-dm": 6}


def _arrays(path):
    if path.suffix == ".txt":
        from zeronlp.text.vectors import WordVectors

        return [WordVectors.load_word2vec(path).vectors]
    return [np.asarray(p) for p in zeronlp.load(path).params]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_stop_and_resume_equals_the_straight_run(command, corpus, documents, tmp_path, capsys):
    argv = COMMANDS[command](corpus, documents)
    out = "v.txt" if command.startswith("glove") else "m.npz"
    assert main(argv + ["--out", str(tmp_path / f"straight-{out}")]) == 0
    ckpt = tmp_path / "c.npz"
    assert main(argv + ["--checkpoint", str(ckpt), "--stop-after", str(STOP[command]), "--json"]) == 0
    captured = capsys.readouterr()
    assert f"stopped after {STOP[command]} steps" in captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["finished"] is False
    zeronlp.seed(12345)
    assert main(argv[:2] + ["--resume", str(ckpt), "--out", str(tmp_path / f"resumed-{out}")]) == 0
    for a, b in zip(_arrays(tmp_path / f"straight-{out}"), _arrays(tmp_path / f"resumed-{out}")):
        np.testing.assert_array_equal(a, b)


def test_glove_json_ends_with_the_figures(corpus, tmp_path, capsys):
    assert main(COMMANDS["glove"](corpus, None) + ["--json", "--out", str(tmp_path / "v.txt")]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"seconds", "words_per_second", "entries", "loss"} <= set(figures)
    assert (tmp_path / "v.txt").read_text().startswith("16 4\n")


def test_fasttext_unknown_words_and_vectors_file(corpus, tmp_path, capsys):
    model = tmp_path / "ft.npz"
    assert main(COMMANDS["fasttext"](corpus, None) + ["--out", str(model), "--vectors", str(tmp_path / "v.txt"),
                                                       "--query", "catz", "--json"]) == 0
    out = capsys.readouterr()
    figures = json.loads(out.out.strip().splitlines()[-1])
    assert "catz" in figures["similar"] and "(unknown word)" in out.err
    assert (tmp_path / "v.txt").read_text().startswith("16 4\n")
    from zeronlp.text.subword_vectors import load_any_vectors

    vectors = load_any_vectors(model)
    assert vectors.most_similar("dogz", topn=3)[0][0] in vectors.words
    assert load_any_vectors(tmp_path / "v.txt").dim == 4


def test_doc2vec_infer(documents, tmp_path, capsys):
    model = tmp_path / "d.npz"
    assert main(COMMANDS["doc2vec-dbow"](None, documents) + ["--out", str(model)]) == 0
    capsys.readouterr()
    assert main(["doc2vec", "infer", "--model", str(model), "great fun film", "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["vectors"]
    assert main(["doc2vec", "infer", "--model", str(model), "great fun film", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["vectors"] == first
    assert len(first) == 1 and len(first[0]) == 4
    from zeronlp.text.doc2vec_train import doc2vec_features

    assert doc2vec_features(model).shape == (60, 4)  # a labelled file: all its documents are train documents
    np.testing.assert_allclose(doc2vec_features(model, ["great fun film"]), first, atol=1e-6)


@pytest.mark.parametrize("argv, message", [
    (["fasttext", "train", "--min-n", "5", "--max-n", "3", "--out", "{tmp}/m.npz"],
     "min_n (5) must not exceed max_n (3)"),
    (["fasttext", "train", "--bucket", "0", "--out", "{tmp}/m.npz"], "--bucket: expected a positive integer"),
    (["glove", "train", "--corpus", "{tmp}/empty.txt"], "the file is empty"),
    (["glove", "train", "--corpus", "{tmp}/one.txt"], "corpus"),
    (["fasttext", "train", "--corpus", "{tmp}/one.txt", "--out", "{tmp}/m.npz"], "fewer than one window"),
    (["doc2vec", "train", "--data", "{tmp}/one.txt"], "Doc2Vec needs at least 2"),
    (["doc2vec", "infer", "--model", "{tmp}/d.npz", "zzz qqq"], "holds no word of the model's vocabulary"),
    (["doc2vec", "infer", "--model", "{tmp}/one.txt", "text"], "one.txt"),
])
def test_bad_input_is_one_line_exit_2(argv, message, documents, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "one.txt").write_text("word\n")
    if "{tmp}/d.npz" in argv:
        argv_d2v = COMMANDS["doc2vec-dbow"](None, documents) + ["--epochs", "1", "--out", str(tmp_path / "d.npz")]
        assert main(argv_d2v) == 0
    capsys.readouterr()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
