"""Fuzzing the CLI in-process: random option values and random or hostile files for every command family.

Whatever the input, a command ends with exit status 0 or 2 (1 only where documented: no query word
known), never a traceback or an "internal error", and leaves no file behind when it fails (nor any
temporary file ever). The option values come from a seeded generator (``ZERONLP_FUZZ_SEED``, and
``ZERONLP_FUZZ_RUNS`` runs per command, default 6, for longer local runs); the available memory is
pretended to be 1 GiB and allocations are capped, so an absurd size must be refused by the memory
estimate, quickly, instead of allocating.
"""
from __future__ import annotations

import json
import os
import struct
import zipfile

import numpy as np
import pytest

from zeronlp import memory
from zeronlp.cli import main
from zeronlp.io import read_npz
from zeronlp.models import TwoLayerNet
from tests.test_hardening import _tamper

pytestmark = pytest.mark.slow  # about 30 s: run by the full suite, not by -m "not slow"

RUNS = int(os.environ.get("ZERONLP_FUZZ_RUNS", "6"))
SEED = int(os.environ.get("ZERONLP_FUZZ_SEED", "2026"))
WORDS = "the cat sat on a mat and dog ran to big red".split()

# option values: small valid ones, invalid ones, and absurd sizes that must be refused fast
SMALL = ["1", "2", "3"]
BAD = ["0", "-1", "nan", "inf", "-inf", "abc", "", " ", "1e400", "0x10", "1.5", "--", "\u00e9"]
ABSURD = ["100000000", "1000000000000", "99999999999999999999"]
FLOATS = ["0.5", "1e-3", "1e9", "1e308", "0", "-0.1", "nan"]
INVALID = set(BAD) | set(ABSURD) | {"1e9", "1e308", "-0.1", "x", "x.xyz", "BADOUT", "FILE", "1", "-1", "-inf", ""}


def _sizes():
    return SMALL + BAD + ABSURD


# per command: (fixed small argv, {option: pool of values}); "FILE" in a pool is replaced by a hostile file
def _commands(d):
    corpus = str(d / "toy.txt")
    lm = ["--corpus", corpus, "--epochs", "1", "--batch-size", "2", "--time-size", "3", "--wordvec", "4",
          "--hidden", "4", "--eval-interval", "0"]
    s2s = ["--size", "40", "--hidden", "4", "--wordvec", "3", "--epochs", "1", "--batch-size", "16", "--examples", "1"]
    w2v = ["--corpus", corpus, "--epochs", "1", "--dim", "4", "--window", "2", "--batch-size", "8"]
    return {
        "spiral": (["spiral", "--epochs", "1", "--hidden", "3"],
                   {"--epochs": SMALL + BAD, "--batch-size": _sizes(), "--hidden": _sizes(), "--lr": FLOATS,
                    "--seed": SMALL + BAD, "--threads": SMALL + BAD, "--stop-after": SMALL + BAD,
                    "--out": ["OUT", "BADOUT"], "--plot": ["PLOT", "BADOUT", "x.xyz"], "--resume": ["FILE"]}),
        "lm train": (["lm", "train", *lm],
                     {"--model": ["simple", "rnn", "lstm", "gru", "better", "transformer", "x"],
                      "--max-words": _sizes(), "--batch-size": _sizes(), "--time-size": _sizes(),
                      "--wordvec": _sizes(), "--hidden": _sizes(), "--layers": SMALL + BAD, "--lr": FLOATS,
                      "--dropout": ["0", "0.5", "1", "-1", "nan"], "--max-grad": FLOATS,
                      "--heads": SMALL + BAD, "--d-model": _sizes(), "--d-ff": _sizes(),
                      "--schedule": ["none", "plateau", "linear", "x"], "--tie": [None], "--corpus": ["FILE"],
                      "--valid": ["FILE"], "--threads": SMALL + BAD, "--out": ["OUT", "BADOUT"],
                      "--resume": ["FILE"], "--checkpoint": ["OUT", "BADOUT"], "--stop-after": SMALL}),
        "lm eval": (["lm", "eval", "--model", str(d / "lm.npz"), "--corpus", corpus],
                    {"--model": ["FILE"], "--corpus": ["FILE", "ptb"], "--batch-size": _sizes(),
                     "--time-size": _sizes(), "--max-words": _sizes(), "--split": ["test", "valid", "train"],
                     "--threads": SMALL + BAD}),
        "lm generate": (["lm", "generate", "--model", str(d / "lm.npz"), "--start", "the", "--length", "5"],
                        {"--model": ["FILE"], "--start": ["the cat", "", " ", "zebra", "the <eos>"],
                         "--length": SMALL + BAD, "--temperature": FLOATS, "--top-k": _sizes(),
                         "--top-p": FLOATS, "--greedy": [None], "--skip": ["", "the cat sat on a mat and dog"],
                         "--seed": SMALL + BAD}),
        "seq2seq train": (["seq2seq", "train", *s2s],
                          {"--task": ["addition", "date", "FILE", "x"],
                           "--model": ["basic", "peeky", "attention", "transformer", "x"],
                           "--size": _sizes(), "--hidden": _sizes(), "--wordvec": _sizes(),
                           "--batch-size": _sizes(), "--lr": FLOATS, "--max-grad": FLOATS, "--reverse": [None],
                           "--d-model": SMALL + BAD + ABSURD, "--heads": SMALL + BAD, "--layers": SMALL + BAD,
                           "--d-ff": SMALL + BAD + ABSURD, "--examples": SMALL + BAD + ABSURD,
                           "--threads": SMALL + BAD, "--out": ["OUT", "BADOUT"], "--plot": ["PLOT", "x.xyz"],
                           "--resume": ["FILE"]}),
        "seq2seq eval": (["seq2seq", "eval", "--model", str(d / "s2s.npz"), "--data", str(d / "add.txt")],
                         {"--model": ["FILE"], "--data": ["FILE"], "--beam": _sizes(), "--examples": _sizes()}),
        "seq2seq predict": (["seq2seq", "predict", "--model", str(d / "s2s.npz"), "1+1"],
                            {"--model": ["FILE"], "--beam": _sizes(), "POS": ["", " ", "1+1", "9" * 40, "x"]}),
        "seq2seq attention": (["seq2seq", "attention", "--model", str(d / "att.npz"), "1+1", "--plot", "a.png"],
                              {"--model": ["FILE"], "--plot": ["PLOT", "BADOUT", "x.xyz"], "POS": ["", "1+1", "x"]}),
        "word2vec train": (["word2vec", "train", *w2v],
                           {"--model": ["cbow", "skipgram", "x"], "--preset": ["fast", "book"],
                            "--window": _sizes(), "--dim": _sizes(), "--negative": _sizes(), "--hs": [None],
                            "--subsample": FLOATS, "--batch-size": _sizes(), "--lr": FLOATS,
                            "--min-count": _sizes(), "--max-words": _sizes(), "--corpus": ["FILE"],
                            "--query": ["cat", "zebra"], "--threads": SMALL + BAD,
                            "--out": ["OUT", "BADOUT"], "--binary": [None], "--resume": ["FILE"]}),
        "count similar": (["count", "similar", "cat", "--corpus", corpus, "--dim", "2"],
                          {"--corpus": ["FILE"], "--window": _sizes(), "--dim": _sizes(), "--topn": _sizes(),
                           "--method": ["auto", "full", "randomized", "x"], "--min-count": _sizes(),
                           "--max-vocab": _sizes(), "--lowercase": [None], "--threads": SMALL + BAD,
                           "--out": ["OUT", "BADOUT"]}),
        "vectors similar": (["vectors", "similar", "cat", "--vectors", str(d / "vec.txt")],
                            {"--vectors": ["FILE"], "--topn": _sizes(), "--binary": [None]}),
        "vectors analogy": (["vectors", "analogy", "cat", "dog", "mat", "--vectors", str(d / "vec.txt")],
                            {"--vectors": ["FILE"], "--topn": _sizes(), "--binary": [None]}),
        "vectors evaluate": (["vectors", "evaluate", "--vectors", str(d / "vec.txt"), "--analogies",
                              str(d / "questions.txt")],
                             {"--vectors": ["FILE"], "--analogies": ["FILE"], "--pairs": ["FILE"],
                              "--restrict-vocab": _sizes()}),
    }


# ---------------------------------------------------------------------------- files
def _npy_bytes(shape_text: str, dtype: str = "<f4", data: bytes = b"\0" * 16) -> bytes:
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape_text}, }}"
    header = header + " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Genuine small inputs in ``d`` and hostile files in ``d / 'hostile'``."""
    d = tmp_path_factory.mktemp("fuzz")
    r = np.random.default_rng(0)
    text = "\n".join(" ".join(r.choice(WORDS, size=8)) for _ in range(40)) + "\n"
    (d / "toy.txt").write_text(text)
    corpus = str(d / "toy.txt")
    assert main(["lm", "train", "--corpus", corpus, "--epochs", "1", "--batch-size", "2", "--time-size", "3",
                 "--wordvec", "4", "--hidden", "4", "--eval-interval", "0", "--out", str(d / "lm.npz")]) == 0
    for name, model in (("s2s.npz", "basic"), ("att.npz", "attention")):
        assert main(["seq2seq", "train", "--model", model, "--size", "40", "--hidden", "4", "--wordvec", "3",
                     "--epochs", "1", "--examples", "0", "--out", str(d / name)]) == 0
    assert main(["word2vec", "train", "--corpus", corpus, "--epochs", "1", "--dim", "3", "--window", "2",
                 "--out", str(d / "vec.txt")]) == 0
    (d / "add.txt").write_text("16+75  _91  \n52+607 _659 \n")
    (d / "questions.txt").write_text(": family\ncat dog mat sat\nthe a on to\n")

    h = d / "hostile"
    h.mkdir()
    (h / "random.npz").write_bytes(r.bytes(3000))
    (h / "empty.npz").write_bytes(b"")
    good = (d / "lm.npz").read_bytes()
    (h / "truncated.npz").write_bytes(good[: len(good) // 2])
    TwoLayerNet(2, 4, 3).save(d / "mlp.npz")
    _, mlp_meta = read_npz(d / "mlp.npz")
    _tamper(d / "mlp.npz", h / "huge_header.npz", {"config": {**mlp_meta["config"], "hidden_size": 10 ** 9}})
    _, lm_meta = read_npz(d / "lm.npz")
    _tamper(d / "lm.npz", h / "huge_lm_header.npz", {"config": {**lm_meta["config"], "vocab_size": 10 ** 12}})
    embedding = read_npz(d / "lm.npz")[0]["param_0"]
    _tamper(d / "lm.npz", h / "ints.npz", arrays={"param_0": embedding.astype(np.int64)})
    _tamper(d / "lm.npz", h / "nan.npz", arrays={"param_0": np.full_like(embedding, np.nan)})
    _, s2s_meta = read_npz(d / "s2s.npz")
    _tamper(d / "s2s.npz", h / "s2s_bad_meta.npz",
            {"meta": {**s2s_meta["meta"], "question_width": -3, "answer_width": 10 ** 9}})
    _tamper(d / "lm.npz", h / "bad_vocab.npz", {"vocab": [1, 2, None]})
    with zipfile.ZipFile(h / "huge_array.npz", "w") as z:
        z.writestr("param_0.npy", _npy_bytes("(1000000000000,)"))
    with zipfile.ZipFile(h / "object.npz", "w") as z:
        z.writestr("param_0.npy", _npy_bytes("(2,)", "|O"))
    np.save(h / "array.npy", np.zeros(3))
    (h / "w2v.txt").write_text("2 2\ncat 1 2\ndog 3 4\n")
    (h / "w2v.bin").write_bytes(b"2 2\ncat " + np.ones(2, np.float32).tobytes() + b"\ndog "
                                + np.ones(2, np.float32).tobytes() + b"\n")
    (h / "nan_vectors.txt").write_text("2 2\ncat nan 2\ndog 3 4\n")
    (h / "huge_vectors.txt").write_text("1000000000000 1000000000000\ncat 1 2\n")
    (h / "ragged_vectors.txt").write_text("2 3\ncat 1 2\ndog 3 4 5 6\n")
    (h / "latin1.txt").write_bytes("caf\xe9 na\xefve r\xe9sum\xe9\n".encode("latin-1") * 20)
    (h / "binary.txt").write_bytes(r.bytes(2000))
    (h / "blank.txt").write_text("\n\n   \n")
    (h / "one_word.txt").write_text("cat\n")
    (h / "pairs_bad.txt").write_text("no underscore here\n_\n")
    (h / "questions_bad.txt").write_text(": x\na b\n")
    _tamper(d / "lm.npz", h / "meta_str.npz", {"meta": "junk"})
    _tamper(d / "lm.npz", h / "meta_types.npz", {"meta": {"train_config": {"corpus": 5, "valid": [1]}}})
    _tamper(d / "s2s.npz", h / "s2s_width_none.npz", {"meta": {**s2s_meta["meta"], "question_width": None}})
    _tamper(d / "s2s.npz", h / "s2s_meta_list.npz", {"meta": [1, 2]})
    _hostile_checkpoints(d, h)
    (h / "adir").mkdir()
    (h / "missing.txt").write_text("")
    (h / "missing.txt").unlink()
    (h / "link_to_proc").symlink_to("/proc/zeronlp-fuzz")
    return d


def _hostile_checkpoints(d, h):
    """Checkpoints of every train command, with their metadata tampered."""
    corpus = str(d / "toy.txt")
    runs = {"spiral": ["spiral", "--epochs", "2", "--hidden", "3"],
            "lm": ["lm", "train", "--corpus", corpus, "--epochs", "2", "--batch-size", "2", "--time-size", "3",
                   "--wordvec", "4", "--hidden", "4"],
            "s2s": ["seq2seq", "train", "--size", "40", "--hidden", "4", "--epochs", "2", "--examples", "0"],
            "w2v": ["word2vec", "train", "--corpus", corpus, "--epochs", "2", "--dim", "3"]}
    for name, argv in runs.items():
        path = d / f"{name}_ckpt.npz"
        assert main(argv + ["--checkpoint", str(path), "--stop-after", "2"]) == 0
        stored, meta = read_npz(path)
        inner = meta["meta"]
        config = inner["train_config"]
        for label, changed in (("epochs_str", {**inner, "train_config": {**config, "epochs": "abc"}}),
                               ("config_list", {**inner, "train_config": [1, 2]}),
                               ("unknown_field", {**inner, "train_config": {**config, "bogus": 1}}),
                               ("wrong_type", {**inner, "train_config": {k: ([v] if k != "epochs" else v)
                                                                         for k, v in config.items()}}),
                               ("no_epochs", {**inner, "train_config": {k: v for k, v in config.items()
                                                                        if k != "epochs"}}),
                               ("threads", {**inner, "threads": 10 ** 6})):
            _tamper(path, h / f"{name}_ckpt_{label}.npz", {"meta": changed})


def _hostile(d):
    return sorted(p for p in (d / "hostile").iterdir()) + [d / "hostile" / "missing.txt"]


def _fill(value, d, out_dir, r):
    if value == "FILE":
        pool = _hostile(d)
        return str(pool[r.integers(len(pool))])
    if value == "OUT":
        return str(out_dir / "result.npz")
    if value == "PLOT":
        return str(out_dir / "figure.png")
    if value == "BADOUT":
        return ["/proc/zeronlp-fuzz.npz", str(out_dir / "no" / "dir.npz"), str(out_dir), "/"][r.integers(4)]
    return value


def _argv(base, pool, d, out_dir, r):
    """``base`` with 1 to 3 options replaced or added, values drawn from their pools."""
    argv, positional = list(base), []
    names = sorted(pool)
    for name in map(str, r.choice(names, size=min(len(names), int(r.integers(1, 4))), replace=False)):
        good = [v for v in pool[name] if v not in INVALID]
        choices = good if good and r.random() < 0.6 else pool[name]  # mostly runs that get somewhere
        value = _fill(choices[r.integers(len(choices))], d, out_dir, r)
        if name == "POS":
            argv, positional = [a for a in argv if a != "1+1"], ["--", value]
            continue
        if name in argv:
            i = argv.index(name)
            del argv[i:i + 2]
        argv += [name] if value is None else [name, value]
    if r.random() < 0.5:
        argv.append("--json")
    return argv + positional


def _check(argv, status, captured, out_dir, before):
    where = f"zeronlp {' '.join(map(repr, argv))} -> {status}\n{captured.err[-3000:]}"
    assert status in (0, 1, 2), where
    if status == 1:  # documented only for queries whose words are all unknown
        assert "not in the vocabulary" in captured.out + captured.err, where
    assert "Traceback" not in captured.err and "internal error" not in captured.err, where
    assert "RuntimeWarning" not in captured.err, where
    if "--json" in argv and status in (0, 1) and "--help" not in argv:  # one JSON line on stdout, nothing else
        lines = captured.out.strip().splitlines()
        assert len(lines) == 1 and isinstance(json.loads(lines[0]), dict), (where, captured.out[-2000:])
    after = sorted(p.name for p in out_dir.iterdir())
    left = sorted(set(after) - set(before))
    assert not [n for n in left if n.startswith(".")], (where, left)  # temporary files
    if status == 2:  # an error writes nothing (status 1: every query word unknown, the vectors still saved)
        assert not left, (where, left)


@pytest.fixture
def guarded(monkeypatch, tmp_path):
    """1 GiB of pretended memory; allocations capped a few GiB above what the process maps now."""
    monkeypatch.setattr(memory, "available_memory", lambda: 2 ** 30)
    monkeypatch.chdir(tmp_path)
    with memory.limit_allocations(6 * 2 ** 30):
        yield tmp_path


@pytest.mark.parametrize("command", ["spiral", "lm train", "lm eval", "lm generate", "seq2seq train", "seq2seq eval",
                                     "seq2seq predict", "seq2seq attention", "word2vec train", "count similar",
                                     "vectors similar", "vectors analogy", "vectors evaluate"])
def test_random_options_and_files(command, files, guarded, capsys):
    pytest.importorskip("matplotlib")
    base, pool = _commands(files)[command]
    r = np.random.default_rng([SEED, sum(map(ord, command))])
    out_dir = guarded
    for _ in range(RUNS):
        for p in out_dir.iterdir():  # a fresh output directory for every run
            p.unlink()
        argv = _argv(base, pool, files, out_dir, r)
        before = sorted(p.name for p in out_dir.iterdir())
        status = main(argv)
        _check(argv, status, capsys.readouterr(), out_dir, before)


FILE_OPTIONS = [
    ("lm eval", "--model"), ("lm generate", "--model"), ("lm train", "--corpus"), ("lm train", "--resume"),
    ("seq2seq eval", "--model"), ("seq2seq eval", "--data"), ("seq2seq predict", "--model"),
    ("seq2seq attention", "--model"), ("seq2seq train", "--task"), ("seq2seq train", "--resume"),
    ("spiral", "--resume"), ("word2vec train", "--corpus"), ("word2vec train", "--resume"),
    ("count similar", "--corpus"), ("vectors similar", "--vectors"), ("vectors evaluate", "--analogies"),
    ("vectors evaluate", "--pairs"),
]


@pytest.mark.parametrize("command, option", FILE_OPTIONS)
def test_every_hostile_file(command, option, files, guarded, capsys):
    """Each hostile file in each place a command reads a file: exit status 2 (or 0 when the file happens
    to be usable), one line, nothing written."""
    pytest.importorskip("matplotlib")
    base, _ = _commands(files)[command]
    out_dir = guarded
    if option == "--resume":  # alone: other options would only be refused as differing from the checkpoint's
        base = base[:len(command.split())]
    for path in _hostile(files):
        argv = list(base)
        if option in argv:
            i = argv.index(option)
            del argv[i:i + 2]
        argv += [option, str(path), "--out" if command.endswith("train") or command == "spiral" else "--json"]
        if argv[-1] == "--out":
            argv.append(str(out_dir / "result.npz"))
        before = sorted(p.name for p in out_dir.iterdir())
        status = main(argv)
        captured = capsys.readouterr()
        _check(argv, status, captured, out_dir, before)
        if status == 2:
            assert len(captured.err.strip().splitlines()) == 1 or "error:" in captured.err.strip().splitlines()[-1], \
                (argv, captured.err)
        for p in out_dir.iterdir():
            p.unlink()
