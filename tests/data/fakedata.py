"""Fixtures for the data-directory tests: the project's shared data, and small fake datasets
served by an HTTP server on 127.0.0.1 (never the internet).

Import the fixtures into a test module: ``from tests.data.fakedata import shared_data, fake_data``.
"""
from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path

import pytest

from zeronlp.data import datasets

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()
"""The project's shared data (``<repo>/../shared/data``), read-only: tests never write there."""

NSMC_TRAIN = "id\tdocument\tlabel\n1\t아 더빙.. 진짜 짜증나네요 목소리\t0\n2\t\t1\n3\t\"최고\" 영화\t1\n"
NSMC_TEST = "id\tdocument\tlabel\n4\t굳 ㅋ\t1\n5\t별로\t0\n"
MR_POS = "a gorgeous , witty film . \n\x85and a moving one . \n".encode("latin-1")
MR_NEG = "simplistic , silly and tedious . \nit's so laddish . \ncafé noir . \n".encode("latin-1")
MULTI30K = {"train": (["Zwei Hunde spielen.", "Ein Mann fährt Fahrrad."], ["Two dogs play.", "A man rides a bike."]),
            "val": (["Ein Kind."], ["A child."]),
            "test_2016_flickr": (["Eine Frau.", "Ein Hund.", "Schnee."], ["A woman.", "A dog.", "Snow."])}
IMDB_KEPT = {
    "aclImdb/README": b"Large Movie Review Dataset (fake)\n",
    "aclImdb/imdb.vocab": b"the\nmovie\n",
    "aclImdb/train/pos/0_9.txt": b"Great film.<br /><br />Loved it.",
    "aclImdb/train/pos/1_10.txt": "Caf\u00e9 scenes, superb.".encode("utf-8"),
    "aclImdb/train/neg/0_2.txt": b"Dull.",
    "aclImdb/test/pos/0_8.txt": b"Fine acting.",
    "aclImdb/test/neg/0_1.txt": b"Awful.<br />Avoid.",
    "aclImdb/test/neg/1_3.txt": b"Meh.",
}
IMDB_DROPPED = {
    "aclImdb/train/unsup/0_0.txt": b"unlabelled",
    "aclImdb/train/labeledBow.feat": b"0 0:1\n",
    "aclImdb/train/urls_pos.txt": b"http://example\n",
    "aclImdb/imdbEr.txt": b"0.1\n",
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tar(path: Path, files: dict, mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def build_downloads(folder: Path) -> dict:
    """Write the canonical downloads (raw NSMC, aclImdb_v1.tar.gz, rt-polaritydata.tar.gz, Multi30k .gz)
    under ``folder/<name>/``; return {name: registry entry with these files' checksums}."""
    nsmc, imdb, mr, m30k = (folder / n for n in ("nsmc", "imdb", "mr", "multi30k"))
    for d in (nsmc, imdb, mr, m30k):
        d.mkdir(parents=True)
    (nsmc / "ratings_train.txt").write_bytes(NSMC_TRAIN.encode())
    (nsmc / "ratings_test.txt").write_bytes(NSMC_TEST.encode())
    _tar(imdb / "aclImdb_v1.tar.gz", {**IMDB_DROPPED, **IMDB_KEPT})
    _tar(mr / "rt-polaritydata.tar.gz", {"rt-polaritydata.README.1.0.txt": b"readme",
                                         "rt-polaritydata/rt-polarity.pos": MR_POS,
                                         "rt-polaritydata/rt-polarity.neg": MR_NEG})
    sums = {}
    for stem, (de, en) in MULTI30K.items():
        for lang, lines in (("de", de), ("en", en)):
            data = "".join(line + "\n" for line in lines).encode()
            (m30k / f"{stem}.{lang}.gz").write_bytes(gzip.compress(data))
            sums[f"{stem}.{lang}"] = _sha(data)
    real = datasets.DATASETS
    return {
        "nsmc": dataclasses.replace(real["nsmc"], sha256={"ratings_train.txt": _sha(NSMC_TRAIN.encode()),
                                                          "ratings_test.txt": _sha(NSMC_TEST.encode())}),
        "imdb": dataclasses.replace(real["imdb"], digest=datasets.content_digest(IMDB_KEPT),
                                    digest_files=len(IMDB_KEPT)),
        "mr": dataclasses.replace(real["mr"], sha256={"rt-polarity.neg": _sha(MR_NEG), "rt-polarity.pos": _sha(MR_POS)}),
        "multi30k": dataclasses.replace(real["multi30k"], sha256=sums),
    }


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def fake_data(tmp_path, monkeypatch):
    """Empty data directory and cache in tmp_path, the registry pointed at fake files served over HTTP
    on 127.0.0.1. Yields a namespace: data (data dir), cache, served (the served folder), url, registry."""
    served = tmp_path / "served"
    registry = build_downloads(served)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name, ds in registry.items():
        urls = tuple(f"{url}/{name}/{u.rsplit('/', 1)[-1]}" for u in ds.urls)
        registry[name] = dataclasses.replace(ds, urls=urls)
        monkeypatch.setitem(datasets.DATASETS, name, registry[name])
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("ZERONLP_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ZERONLP_CACHE", str(tmp_path / "cache"))
    try:
        yield type("FakeData", (), {"data": tmp_path / "data", "cache": tmp_path / "cache", "served": served,
                                    "url": url, "registry": registry})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


_SESSION_CACHE: list = []


@pytest.fixture
def shared_data(monkeypatch, tmp_path_factory):
    """ZERONLP_DATA = <repo>/../shared/data (skip when absent); caches in one temporary folder per session."""
    if not (SHARED_DATA / "nsmc").is_dir():
        pytest.skip(f"the project's shared data is not at {SHARED_DATA} (expected <repo>/../shared/data)")
    if not _SESSION_CACHE:
        _SESSION_CACHE.append(tmp_path_factory.mktemp("zeronlp-cache"))
    monkeypatch.setenv("ZERONLP_DATA", str(SHARED_DATA))
    monkeypatch.setenv("ZERONLP_CACHE", str(_SESSION_CACHE[0]))
    return SHARED_DATA
