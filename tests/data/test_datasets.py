"""The data directory: registry, checksums, verification cache, fetch over HTTP (127.0.0.1) and --from."""
from __future__ import annotations

import dataclasses
import gzip
import lzma
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from tests.data.fakedata import IMDB_KEPT, MR_POS, NSMC_TRAIN, SHARED_DATA, fake_data, shared_data  # noqa: F401
from zeronlp.data import datasets, multi30k, reviews

NAMES = ("nsmc", "imdb", "mr", "multi30k")


def _leftovers(root: Path) -> list:
    return [p.name for p in root.iterdir() if p.name.startswith(".")] if root.is_dir() else []


def test_registry_names_files_licence_and_urls():
    assert set(datasets.DATASETS) == set(NAMES)
    for ds in datasets.DATASETS.values():
        assert ds.files and ds.licence and ds.origin and ds.urls
        assert all(u.startswith("https://") for u in ds.urls)
        assert ds.digest or set(ds.sha256) == {datasets._plain(f) for f in ds.files}
    assert datasets.get("mr").encoding == "latin-1"
    with pytest.raises(ValueError, match="unknown dataset 'sst'; known: imdb, mr, multi30k, nsmc"):
        datasets.get("sst")


def test_data_dir_env_then_xdg_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("ZERONLP_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_dir() == tmp_path / "xdg" / "zeronlp" / "data"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.data_dir() == tmp_path / "home" / ".cache" / "zeronlp" / "data"
    monkeypatch.setenv("ZERONLP_DATA", str(tmp_path / "mine"))
    assert datasets.dataset_dir("mr") == tmp_path / "mine" / "mr"


@pytest.mark.slow
def test_shared_data_verifies(shared_data):
    reviews.load_imdb("test")  # the one full read of IMDB: verifies and caches the parse for the session
    for name in NAMES:
        assert datasets.status(name)["state"] == "verified", name
        assert datasets.status(name, check=False)["state"] == "verified"  # remembered


def test_missing_dataset_is_one_line_naming_directory_and_command(fake_data):
    with pytest.raises(datasets.DatasetMissingError) as e:
        reviews.load_nsmc("train")
    message = str(e.value)
    assert "\n" not in message
    assert str(fake_data.data / "nsmc") in message and "ratings_train.txt.xz" in message
    assert "`zeronlp data fetch nsmc`" in message and "--from PATH" in message
    assert datasets.status("nsmc")["state"] == "missing"


@pytest.mark.parametrize("name", NAMES)
def test_fetch_over_http_converts_verifies_and_installs(fake_data, name, capsys):
    result = datasets.fetch(name, progress=False)
    folder = fake_data.data / name
    assert result == {"name": name, "path": str(folder), "files": list(fake_data.registry[name].files),
                      "fetched": True}
    assert sorted(os.listdir(folder)) == sorted(fake_data.registry[name].files + (() if name == "imdb" else ("SHA256SUMS",)))
    assert _leftovers(fake_data.data) == []
    assert datasets.status(name, check=False)["state"] == "verified"
    assert "downloading http://127.0.0.1" in capsys.readouterr().out
    again = datasets.fetch(name, progress=False)
    assert again["fetched"] is False


def test_fetched_layout_matches_the_shipped_one(fake_data):
    for name in NAMES:
        datasets.fetch(name, progress=False)
    nsmc = fake_data.data / "nsmc"
    assert lzma.decompress((nsmc / "ratings_train.txt.xz").read_bytes()) == NSMC_TRAIN.encode()
    assert (nsmc / "SHA256SUMS").read_text().splitlines()[0].endswith("  ratings_train.txt")
    assert (fake_data.data / "mr" / "rt-polarity.pos").read_bytes() == MR_POS
    assert gzip.decompress((fake_data.data / "multi30k" / "val.de.gz").read_bytes()) == "Ein Kind.\n".encode()
    with tarfile.open(fake_data.data / "imdb" / "aclImdb.tar.xz") as tf:   # unsup/, .feat, urls dropped
        assert sorted(m.name for m in tf if m.isfile()) == sorted(IMDB_KEPT)
    assert multi30k.load_multi30k("test")[1] == ["A woman.", "A dog.", "Snow."]
    assert reviews.load_mr().texts[-1] == "\x85and a moving one . "


def test_checksum_mismatch_on_fetch_names_the_file_and_writes_nothing(fake_data, monkeypatch):
    bad = dataclasses.replace(fake_data.registry["mr"], sha256={"rt-polarity.neg": "0" * 64,
                                                                 "rt-polarity.pos": fake_data.registry["mr"].sha256["rt-polarity.pos"]})
    monkeypatch.setitem(datasets.DATASETS, "mr", bad)
    with pytest.raises(datasets.ChecksumError, match="rt-polarity.neg: SHA256 .* does not match"):
        datasets.fetch("mr", progress=False)
    assert not (fake_data.data / "mr").exists() and _leftovers(fake_data.data) == []


def test_imdb_digest_mismatch_on_fetch(fake_data, monkeypatch):
    monkeypatch.setitem(datasets.DATASETS, "imdb", dataclasses.replace(fake_data.registry["imdb"], digest="f" * 64))
    with pytest.raises(datasets.ChecksumError, match="content digest .* over 8 files does not match"):
        datasets.fetch("imdb", progress=False)
    assert not (fake_data.data / "imdb").exists() and _leftovers(fake_data.data) == []


def test_http_errors_are_one_line(fake_data, monkeypatch):
    ds = fake_data.registry["nsmc"]
    monkeypatch.setitem(datasets.DATASETS, "nsmc", dataclasses.replace(ds, urls=(ds.urls[0] + ".missing",)))
    with pytest.raises(datasets.FetchError, match=r"cannot download http://127\.0\.0\.1:\d+/nsmc/ratings_train.txt.missing: HTTP 404"):
        datasets.fetch("nsmc", progress=False)
    assert _leftovers(fake_data.data) == []


def test_damaged_file_is_named_on_load_and_listed_corrupt(fake_data):
    datasets.fetch("mr", progress=False)
    path = fake_data.data / "mr" / "rt-polarity.pos"
    path.write_bytes(MR_POS + b"extra line\n")
    with pytest.raises(datasets.ChecksumError, match=f"{path}: SHA256 .* does not match the recorded"):
        reviews.load_mr()
    state = datasets.status("mr")
    assert state["state"] == "corrupt" and str(path) in state["problem"]
    datasets.fetch("mr", progress=False)  # a corrupt dataset is fetched again
    assert len(reviews.load_mr()) == 5


def test_verification_is_remembered_by_size_and_mtime(fake_data, monkeypatch):
    datasets.fetch("nsmc", progress=False)
    assert datasets.is_verified("nsmc", "ratings_train.txt.xz")
    path = fake_data.data / "nsmc" / "ratings_train.txt.xz"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert not datasets.is_verified("nsmc", "ratings_train.txt.xz")
    assert datasets.status("nsmc", check=False)["state"] == "present"
    reviews.load_nsmc("train")  # hashes again and remembers
    assert datasets.is_verified("nsmc", "ratings_train.txt.xz")


def test_fetch_from_a_folder_of_canonical_downloads(fake_data):
    for name in NAMES:  # folder with the raw files / canonical archives
        datasets.fetch(name, source=fake_data.served / name, progress=False)
        assert datasets.status(name)["state"] == "verified"


def test_fetch_from_a_folder_laid_out_like_the_data_directory(fake_data, monkeypatch, tmp_path):
    for name in NAMES:
        datasets.fetch(name, progress=False)
    other = tmp_path / "other"
    monkeypatch.setenv("ZERONLP_DATA", str(other))
    for name in NAMES:  # the root of another data directory
        datasets.fetch(name, source=fake_data.data, progress=False)
        assert datasets.status(name)["state"] == "verified"
    assert (other / "nsmc" / "ratings_test.txt.xz").is_file()
    shipped = fake_data.data / "imdb" / "aclImdb.tar.xz"   # the shipped archive is copied, not re-compressed
    assert (other / "imdb" / "aclImdb.tar.xz").read_bytes() == shipped.read_bytes()


def test_fetch_from_an_archive(fake_data, tmp_path):
    datasets.fetch("imdb", source=fake_data.served / "imdb" / "aclImdb_v1.tar.gz", progress=False)
    datasets.fetch("mr", source=fake_data.served / "mr" / "rt-polaritydata.tar.gz", progress=False)
    zipped = shutil.make_archive(str(tmp_path / "nsmc"), "zip", fake_data.served / "nsmc")
    datasets.fetch("nsmc", source=zipped, progress=False)
    assert [datasets.status(n)["state"] for n in ("imdb", "mr", "nsmc")] == ["verified"] * 3


def test_fetch_from_a_source_without_the_files(fake_data, tmp_path):
    with pytest.raises(datasets.FetchError, match="does not hold nsmc's files: missing ratings_test.txt"):
        datasets.fetch("nsmc", source=fake_data.served / "nsmc" / "ratings_train.txt", progress=False)
    with pytest.raises(datasets.FetchError, match="does not hold imdb's files: missing the aclImdb/ tree"):
        datasets.fetch("imdb", source=fake_data.served / "mr", progress=False)
    with pytest.raises(datasets.FetchError, match="no such file or directory"):
        datasets.fetch("mr", source=tmp_path / "nowhere", progress=False)
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not an archive")
    with pytest.raises(datasets.FetchError, match="broken.tar.gz: not a readable archive"):
        datasets.fetch("mr", source=broken, progress=False)
    cut = tmp_path / "cut.tar.gz"   # a truncated download: the tar header reads, the member does not
    cut.write_bytes((fake_data.served / "mr" / "rt-polaritydata.tar.gz").read_bytes()[:-60])
    with pytest.raises(datasets.FetchError, match="cut.tar.gz: not a readable archive"):
        datasets.fetch("mr", source=cut, progress=False)
    assert not (fake_data.data / "nsmc").exists() and _leftovers(fake_data.data) == []


def test_truncated_gzip_in_the_data_directory_is_named(fake_data):
    datasets.fetch("multi30k", progress=False)
    path = fake_data.data / "multi30k" / "train.en.gz"
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(datasets.ChecksumError, match=f"{path}: not a valid .gz file"):
        multi30k.load_multi30k("train")
    assert datasets.status("multi30k")["state"] == "corrupt"


def test_fetch_never_writes_into_verified_shared_data(shared_data):
    before = {p: p.stat().st_mtime_ns for p in SHARED_DATA.rglob("*")}
    for name in NAMES:
        assert datasets.fetch(name, progress=False, log=lambda line: None)["fetched"] is False
    assert {p: p.stat().st_mtime_ns for p in SHARED_DATA.rglob("*")} == before
