"""Multi30k task 1 de-en: the shared data's figures, pairs, and the loader's errors."""
from __future__ import annotations

import dataclasses
import gzip
import hashlib

import pytest

from tests.data.fakedata import fake_data, shared_data  # noqa: F401
from zeronlp.data import datasets
from zeronlp.data.multi30k import load_multi30k, load_sentences


def test_shared_multi30k_pairs_per_split(shared_data):
    sizes = {split: len(load_multi30k(split)[0]) for split in ("train", "valid", "test")}
    assert sizes == {"train": 29_000, "valid": 1_014, "test": 1_000}
    de, en = load_multi30k("train")
    assert len(de) == len(en) == 29_000
    assert de[0] == "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche."
    assert en[0] == "Two young, White males are outside near many bushes."
    assert not any("\n" in s or "\r" in s for s in de + en)
    en2, de2 = load_multi30k("test", src="en", tgt="de")
    assert de2[0] == "Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt." and en2[0].startswith("A man in an orange hat")


def test_fetched_pairs_and_carriage_returns(fake_data, monkeypatch):
    datasets.fetch("multi30k", progress=False)
    assert load_multi30k("train") == (["Zwei Hunde spielen.", "Ein Mann fährt Fahrrad."],
                                      ["Two dogs play.", "A man rides a bike."])
    assert load_multi30k("valid") == (["Ein Kind."], ["A child."])
    # a file with CRLF line ends loses the "\r"; U+2028 inside a sentence does not split it
    data = "Ein Hund\u2028läuft.\r\nSchnee.\r\n".encode()
    (fake_data.data / "multi30k" / "val.de.gz").write_bytes(gzip.compress(data))
    sums = {**fake_data.registry["multi30k"].sha256, "val.de": hashlib.sha256(data).hexdigest()}
    monkeypatch.setitem(datasets.DATASETS, "multi30k", dataclasses.replace(fake_data.registry["multi30k"], sha256=sums))
    assert load_sentences("valid", "de") == ["Ein Hund\u2028läuft.", "Schnee."]


def test_missing_and_bad_arguments(fake_data):
    with pytest.raises(datasets.DatasetMissingError, match="`zeronlp data fetch multi30k`"):
        load_multi30k("train")
    with pytest.raises(ValueError, match="split must be one of 'train', 'valid', 'test', got 'val'"):
        load_sentences("val")
    with pytest.raises(ValueError, match="lang must be one of 'de', 'en', got 'fr'"):
        load_sentences("train", "fr")
    with pytest.raises(ValueError, match="src and tgt must differ, both are 'de'"):
        load_multi30k("train", "de", "de")
