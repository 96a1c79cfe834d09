"""``zeronlp lm generate``: text from a saved language model, reproducible with --seed, clear errors."""
from __future__ import annotations

import json

import pytest

from zeronlp.cli import main
from zeronlp.models import Seq2seq, TwoLayerNet
from zeronlp.models.rnnlm import Rnnlm

WORDS = ["<eos>", "you", "say", "goodbye", "and", "i", "hello", "the", "N", "<unk>", "$"]


@pytest.fixture
def lm_file(tmp_path):
    path = tmp_path / "lm.npz"
    Rnnlm(len(WORDS), 6, 6).save(path, vocab=WORDS)
    return path


def test_generate_text_json_and_seed(capsys, lm_file):
    argv = ["lm", "generate", "--model", str(lm_file), "--start", "you say", "--length", "12", "--seed", "3",
            "--temperature", "1.5", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["words"][:2] == ["you", "say"] and len(first["words"]) == 14
    assert not {"N", "<unk>", "$"} & set(first["words"])
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == first
    assert main(["lm", "generate", "--model", str(lm_file), "--length", "5", "--top-k", "2", "--top-p", "0.9"]) == 0
    assert capsys.readouterr().out.startswith("you")


def test_generate_errors(capsys, lm_file, tmp_path):
    mlp, s2s = tmp_path / "mlp.npz", tmp_path / "s2s.npz"
    TwoLayerNet(2, 3, 2).save(mlp)
    Seq2seq(13, 4, 4).save(s2s, vocab=list("0123456789+ _"))
    for argv, message in [
        (["lm", "generate", "--model", str(lm_file), "--start", "zebra"], "'zebra'"),
        (["lm", "generate", "--model", str(lm_file), "--top-p", "2"], "top_p"),
        (["lm", "generate", "--model", str(lm_file), "--temperature", "-1"], "temperature"),
        (["lm", "generate", "--model", str(mlp)], "not a language model"),
        (["lm", "generate", "--model", str(s2s)], "Seq2seq, not a language model"),
        (["seq2seq", "predict", "--model", str(lm_file), "1+1"], "Rnnlm, not a seq2seq model"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
