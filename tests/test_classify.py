"""zeronlp.classify: presets, the text pipeline, linear and neural runs on small slices, model files,
predict/evaluate, and the chapter 10 example."""
from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.data.fakedata import shared_data  # noqa: F401
from zeronlp import classify
from zeronlp.backend import MissingExtra
from zeronlp.classify import text as ctext

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POSITIVE = "great good wonderful excellent loved amazing superb fine".split()
NEGATIVE = "bad awful boring terrible hated dull poor worst".split()
FILLER = "the movie film plot actor story was and it this".split()


def write_reviews(path: Path, n: int = 200, labels=("neg", "pos"), empty: int = 0) -> Path:
    """A separable toy corpus: each review has two words of its class among five filler words."""
    r = np.random.default_rng(0)
    rows = ["document\tlabel"]
    for i in range(n):
        k = i % len(labels)
        words = list(r.choice(FILLER, 5)) + list(r.choice(POSITIVE if k else NEGATIVE, 2))
        r.shuffle(words)
        rows.append(("" if i < empty else " ".join(words)) + f"\t{labels[k]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def toy(tmp_path):
    return write_reviews(tmp_path / "toy.tsv")


def test_presets_defaults_and_overrides(toy):
    assert classify.make_config("nsmc").model == "logreg" and classify.make_config("imdb").model == "nbsvm"
    mr = classify.make_config("mr")
    assert (mr.model, mr.folds, mr.ngram, mr.preset) == ("nbsvm", 10, [1, 2], "mr-nbsvm")
    nsmc = classify.make_config("nsmc", "logreg", C=2.0, ngram=(1, 3))
    assert (nsmc.tokenizer, nsmc.C, nsmc.ngram) == ("morphs", 2.0, [1, 3])
    custom = classify.make_config(str(toy), "cnn")
    assert custom.preset == "default-cnn" and custom.data == str(toy.resolve())
    assert classify.config_from_dict(dataclasses.asdict(custom)) == custom


@pytest.mark.parametrize("kwargs, message", [
    (dict(data="nosuch"), "data must be one of nsmc, imdb, mr"),
    (dict(data="nsmc", model="svm"), "unknown model 'svm'"),
    (dict(data="mr", folds=None), None),  # None keeps the preset's 10 folds
    (dict(data="nsmc", ngram=[2, 1]), "--ngram"),
    (dict(data="nsmc", model="gru", freeze=True), "--freeze"),
    (dict(data="nsmc", embeddings="x.txt"), "apply to the neural models"),
    (dict(data="nsmc", model="cnn", widths=[3, 0]), "--widths"),
])
def test_config_errors_name_the_option(kwargs, message):
    if message is None:
        assert classify.make_config(**kwargs).folds == 10
        return
    with pytest.raises(ValueError, match=message):
        classify.make_config(**kwargs)


def test_mr_needs_folds():
    config = classify.make_config("mr")
    with pytest.raises(ValueError, match="mr has no test split"):
        dataclasses.replace(config, folds=None).validate()


def test_vocabulary_pad_unk_counts_and_cut():
    tokens = [["b", "a", "b", "c"], ["b", "a", "d"], []]
    vocab = ctext.build_vocab(tokens, min_count=2)
    assert vocab.words == ["<pad>", "<unk>", "b", "a"] and vocab.unk_id == 1
    assert vocab.counts.tolist() == [0, 2, 3, 2]  # <unk> counts the dropped tokens
    assert ctext.build_vocab(tokens, max_size=3).words == ["<pad>", "<unk>", "b"]
    ids, cut = ctext.encode(tokens, vocab, max_len=3)
    assert [i.tolist() for i in ids] == [[2, 3, 2], [2, 3, 1], []] and cut == 1
    with pytest.raises(ValueError, match="no tokens"):
        ctext.build_vocab([[], []])


def test_tokenize_cleans_html_and_caches_large_lists(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERONLP_CACHE", str(tmp_path))
    monkeypatch.setattr(ctext, "CACHE_MIN_TEXTS", 2)
    words = ctext.tokenizer_of(classify.make_config("imdb", "lstm"))
    texts = ["Great movie!<br /><br />I &amp; my wife LOVED it.", "", "a b"]
    expected = [["great", "movie", "my", "wife", "loved", "it"], [], []]
    assert ctext.tokenize(texts, words) == expected
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 1
    monkeypatch.setattr(words, "tokenize_all", lambda texts: pytest.fail("not read from the cache"))
    assert ctext.tokenize(texts, words) == expected
    punctuation = ctext.tokenizer_of(classify.make_config("imdb"))  # nbsvm: words and punctuation runs
    assert ctext.tokenize(["Loved it!!! A 10/10"], punctuation, cache=False) == [
        ["loved", "it", "!!!", "a", "10", "/", "10"]]
    chars = ctext.tokenizer_of(dataclasses.replace(classify.make_config("nsmc"), tokenizer="chars"))
    assert ctext.tokenize(["좋아 요"], chars, cache=False) == [["좋", "아", "요"]]


def test_packed_strings_round_trip():
    strings = ["", "좋다", "a b", "\u00e9"]
    assert ctext.unpack_strings(*ctext.pack_strings(strings)) == strings
    blob, offsets = ctext.pack_strings(strings)
    with pytest.raises(ValueError, match="inconsistent"):
        ctext.unpack_strings(blob, offsets[:-1])


def test_confusion_matrix():
    assert classify.confusion_matrix([0, 0, 1, 2], [0, 1, 1, 0], 3).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_morphs_without_kiwipiepy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "kiwipiepy", None)
    with pytest.raises(MissingExtra, match=r"zeronlp\[ko\]"):
        ctext.tokenizer_of(classify.make_config("nsmc"))


def test_linear_model_file_predicts_raw_text(toy, tmp_path):
    result = classify.train(classify.make_config(str(toy), "logreg"))
    assert result.accuracy == 1.0 and result.n_test == 20 and result.confusion.sum() == 20
    path = tmp_path / "lr.npz"
    result.classifier.save(path)
    loaded = classify.load_classifier(path)
    texts = ["a great film", "awful, boring plot", "<b>superb</b> &amp; fine"]
    labels, proba = classify.predict(loaded, texts)
    assert labels == ["pos", "neg", "pos"] and proba.shape == (3, 2)
    np.testing.assert_allclose(proba, classify.predict(result.classifier, texts)[1])
    with pytest.raises(ValueError, match=r"text 2 \('  !! '\) has no tokens"):
        classify.predict(loaded, ["good", "  !! "])


def test_nbsvm_cross_validation_and_three_classes(tmp_path):
    data = write_reviews(tmp_path / "three.tsv", n=90, labels=("a", "b", "c"))
    result = classify.train(classify.make_config(str(data), "nbsvm", folds=3))
    assert len(result.fold_accuracies) == 3 and result.accuracy == pytest.approx(np.mean(result.fold_accuracies))
    assert result.confusion.shape == (3, 3) and result.confusion.sum() == 90
    assert result.classifier.predict_proba_tokens([["great"]]).shape == (1, 3)


def test_empty_documents_are_classified_not_a_crash(tmp_path):
    data = write_reviews(tmp_path / "empty.tsv", n=60, empty=4)
    for model in ("logreg", "gru"):
        config = classify.make_config(str(data), model, epochs=1, wordvec=4, hidden=4, batch_size=8)
        result = classify.train(config, verbose=False) if model == "gru" else classify.train(config)
        figures = classify.evaluate(result.classifier, classify.load_texts(config)[0])
        assert figures["n"] == 54 and figures["confusion"].sum() == 54


@pytest.mark.parametrize("model", ["gru", "cnn"])
def test_neural_model_file_round_trip(model, toy, tmp_path):
    config = classify.make_config(str(toy), model, epochs=2, wordvec=6, hidden=5, filters=3, batch_size=16,
                                  lr=0.01)
    result = classify.train(config, verbose=False)
    assert len(result.history["valid_accuracy"]) == 2 and 0 <= result.accuracy <= 1
    path = tmp_path / f"{model}.npz"
    result.classifier.save(path)
    loaded = classify.load_classifier(path)
    assert loaded.vocab.words[:2] == ["<pad>", "<unk>"] and loaded.label_names == ("neg", "pos")
    texts = ["a great film", "the worst plot of the year, and boring"]
    np.testing.assert_allclose(classify.predict(loaded, texts)[1], classify.predict(result.classifier, texts)[1])


def test_a_model_file_of_another_kind_is_refused(tmp_path):
    from zeronlp.models import TwoLayerNet

    TwoLayerNet(2, 3, 2).save(tmp_path / "net.npz")
    with pytest.raises(ValueError, match="without a text classifier"):
        classify.load_classifier(tmp_path / "net.npz")


@pytest.mark.slow
def test_nsmc_slice_with_morphemes(shared_data):
    pytest.importorskip("kiwipiepy")
    config = classify.make_config("nsmc", max_train=3000, max_test=1000)
    result = classify.train(config)
    assert result.accuracy > 0.75 and result.n_test == 1000


@pytest.mark.slow
def test_example_quick(shared_data, capsys):
    spec = importlib.util.spec_from_file_location("ch10_classify", EXAMPLES / "ch10_classify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(["--quick"])
    assert figures["linear"] > 0.7 and 0.4 < figures["gru"] <= 1.0
    assert "test accuracy" in capsys.readouterr().out
