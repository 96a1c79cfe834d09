"""``zeronlp data list|fetch`` in-process: the shared data, fetch over 127.0.0.1, --from, one-line errors."""
from __future__ import annotations

import dataclasses
import json

from tests.data.fakedata import fake_data, shared_data  # noqa: F401
from zeronlp.cli import main
from zeronlp.data import datasets, reviews


def _json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_list_shared_data_all_verified(shared_data, capsys):
    reviews.load_imdb("test")  # the one full read of IMDB: verifies and caches the parse for the session
    assert main(["data", "list", "--json"]) == 0
    figures = _json(capsys)
    assert figures["data_dir"] == str(shared_data) and figures["origin"] == "$ZERONLP_DATA"
    assert {d["name"]: d["state"] for d in figures["datasets"]} == dict.fromkeys(
        ("nsmc", "imdb", "mr", "multi30k"), "verified")
    assert main(["data", "list", "--no-verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"data directory: {shared_data} ($ZERONLP_DATA)") and "mr        verified  " in out


def test_list_empty_directory_says_missing_and_how_to_fix(fake_data, capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert f"nsmc      missing   {fake_data.data / 'nsmc'}" in out
    assert "run `zeronlp data fetch multi30k`" in out


def test_fetch_over_http_then_list(fake_data, capsys):
    assert main(["data", "fetch", "mr", "nsmc", "--json"]) == 0
    captured = capsys.readouterr()
    figures = json.loads(captured.out.strip().splitlines()[-1])
    assert [d["name"] for d in figures["datasets"]] == ["mr", "nsmc"] and all(d["fetched"] for d in figures["datasets"])
    assert "downloading http://127.0.0.1" in captured.err and "B [" in captured.err   # progress lines
    assert main(["data", "fetch", "mr"]) == 0
    assert "already present and verified" in capsys.readouterr().out
    main(["data", "list", "--json"])
    states = {d["name"]: d["state"] for d in _json(capsys)["datasets"]}
    assert states == {"nsmc": "verified", "imdb": "missing", "mr": "verified", "multi30k": "missing"}


def test_fetch_all_from_a_folder_and_an_archive(fake_data, capsys):
    assert main(["data", "fetch", "imdb", "--from", str(fake_data.served / "imdb" / "aclImdb_v1.tar.gz"), "--quiet"]) == 0
    assert main(["data", "fetch", "all", "--from", str(fake_data.served), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "imdb: already present and verified" in out and "multi30k: 6 file(s) verified and installed" in out


def test_errors_are_one_line_exit_2_and_write_nothing(fake_data, capsys, monkeypatch, tmp_path):
    assert main(["data", "fetch", "sst"]) == 2
    assert "zeronlp data fetch: error: unknown dataset 'sst'; known: imdb, mr, multi30k, nsmc" in _error(capsys)
    assert main(["data", "fetch", "mr", "--from", str(tmp_path / "nowhere")]) == 2
    assert "no such file or directory" in _error(capsys)
    assert main(["data", "fetch", "nsmc", "--from", str(fake_data.served / "mr")]) == 2
    assert "does not hold nsmc's files: missing ratings_test.txt, ratings_train.txt" in _error(capsys)
    bad = dataclasses.replace(fake_data.registry["nsmc"], sha256={**fake_data.registry["nsmc"].sha256,
                                                                   "ratings_test.txt": "0" * 64})
    monkeypatch.setitem(datasets.DATASETS, "nsmc", bad)
    assert main(["data", "fetch", "nsmc", "--quiet"]) == 2
    assert "ratings_test.txt: SHA256" in _error(capsys)
    monkeypatch.setitem(datasets.DATASETS, "mr", dataclasses.replace(
        fake_data.registry["mr"], urls=(fake_data.url + "/nothing-here.tar.gz",)))
    assert main(["data", "fetch", "mr"]) == 2
    err = _error(capsys)
    assert "cannot download http://127.0.0.1" in err and "nothing-here.tar.gz: HTTP 404" in err
    assert not fake_data.data.exists() or sorted(p.name for p in fake_data.data.iterdir()) == []


def test_unwritable_data_directory(fake_data, monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ZERONLP_DATA", str(blocker / "data"))
    assert main(["data", "fetch", "mr", "--quiet"]) == 2
    assert "cannot write to the data directory" in _error(capsys)
