"""Real datasets in a data directory: the registry, where the files live, checksums, ``fetch``.

The **data directory** is ``$ZERONLP_DATA``, else ``$XDG_CACHE_HOME/zeronlp/data``
(``~/.cache/zeronlp/data``). It is laid out like the project's shared data: one
folder per dataset, holding the files as shipped::

    nsmc/ratings_train.txt.xz  ratings_test.txt.xz  SHA256SUMS
    imdb/aclImdb.tar.xz
    mr/rt-polarity.pos  rt-polarity.neg  SHA256SUMS
    multi30k/{train,val,test_2016_flickr}.{de,en}.gz  SHA256SUMS

Every file is checked against the SHA256 recorded here (of the *decompressed*
content for ``.xz``/``.gz`` files, as in the shipped ``SHA256SUMS``); IMDB's
archive against a content digest: sha256 over its regular files sorted by path,
of ``path + "\\0" + bytes``, so a re-compressed archive still verifies. A check is
remembered by file size and mtime in ``<cache_dir>/datasets-verified.json``, so
repeated loads do not hash again.

``fetch(name)`` downloads the canonical public files (``Dataset.urls``), converts
them into the shipped layout, verifies the result and only then moves each file
into place (a temporary folder inside the data directory, then ``os.replace``);
``fetch(name, source=PATH)`` takes them from a local folder or archive instead.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..io import atomic_write
from ..progress import Progress
from .ptb import ChecksumError as _ChecksumError
from .ptb import cache_dir

ENV = "ZERONLP_DATA"


class ChecksumError(_ChecksumError):
    """A data file whose content does not match its recorded checksum; the message names the file."""


class DatasetMissingError(FileNotFoundError):
    """A dataset (or one of its files) is not in the data directory; one line naming the fix."""


class FetchError(OSError):
    """A download or a ``--from`` source that cannot give the dataset's files."""


@dataclass(frozen=True)
class Dataset:
    """What the library knows about one dataset: its files, checksums, encoding, licence and origin."""

    name: str
    title: str
    files: tuple                 # file names inside the dataset folder, as shipped
    sha256: dict = field(default_factory=dict)  # decompressed file name -> SHA256 (the SHA256SUMS lines)
    digest: str | None = None    # content digest of the tar archive in ``files`` (IMDB)
    digest_files: int = 0        # number of regular files the digest covers
    encoding: str = "utf-8"
    licence: str = ""
    origin: str = ""
    urls: tuple = ()             # canonical public downloads that ``fetch`` converts into ``files``
    member: str = ""             # regex of the archive members that make up the dataset (IMDB)


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset(
        "nsmc", "Naver Sentiment Movie Corpus (Korean), 150,000 / 50,000 reviews, labels 0/1",
        ("ratings_train.txt.xz", "ratings_test.txt.xz"),
        {"ratings_train.txt": "e03b7d14e9e41be8d464a28057cd25d7396c53e67aa7fd5f7e552c59b0ee2940",
         "ratings_test.txt": "8ac9f64052f11dbf6ae0acb5e038f03d90a76f0eda7820cfb3a92d02edfcebda"},
        licence="CC0 1.0", origin="Lucy Park, e9t/nsmc (https://github.com/e9t/nsmc)",
        urls=("https://raw.githubusercontent.com/e9t/nsmc/master/ratings_train.txt",
              "https://raw.githubusercontent.com/e9t/nsmc/master/ratings_test.txt")),
    Dataset(
        "imdb", "Large Movie Review Dataset, 25,000 / 25,000 English reviews, pos/neg",
        ("aclImdb.tar.xz",),
        digest="07b909cba6ff2e98d3be2f36a0d9396f2cda9b908ed1d2240f2c54ec6c9818f5", digest_files=50_002,
        licence="no licence stated; cite Maas et al. (2011)",
        origin="Maas et al. (2011), Learning Word Vectors for Sentiment Analysis",
        urls=("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",),
        member=r"(?:^|/)(aclImdb/(?:README|imdb\.vocab|(?:train|test)/(?:pos|neg)/[^/]+\.txt))$"),
    Dataset(
        "mr", "Sentence polarity v1.0 (movie reviews), 5,331 + 5,331 sentences, no split",
        ("rt-polarity.neg", "rt-polarity.pos"),
        {"rt-polarity.neg": "4ace77d558c3714723843f1d65b60c01e3417b208180f0728808d76ad0eeeaca",
         "rt-polarity.pos": "2da124ec187a9d5a29c9f04e91c540e02baed5af8868f550a26bd6fd4dbf8bf0"},
        encoding="latin-1", licence="no licence stated; cite Pang & Lee (2005)",
        origin="Pang & Lee (2005), Seeing stars (http://www.cs.cornell.edu/people/pabo/movie-review-data/)",
        urls=("https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz",)),
    Dataset(
        "multi30k", "Multi30k task 1 German-English, 29,000 / 1,014 / 1,000 sentence pairs",
        tuple(f"{s}.{lang}.gz" for s in ("test_2016_flickr", "train", "val") for lang in ("de", "en")),
        {"test_2016_flickr.de": "4be6b5b3236b79c25475c6bb829800a7ce559e9ba7a1f6c2394fe4d40be46d16",
         "test_2016_flickr.en": "399a4382932c1aadd3ceb9bef1008d388a64c76d4ae4e9d4728c6f4301cac182",
         "train.de": "2c2b73fd2b548fbcde3a875e0a78d6ee94d498bfdee6bd3eae3945779e9ddf72",
         "train.en": "460a15fbd157e34a7a9957ee388c1ca247fe47af3ef25fb50442af6c274e0fc6",
         "val.de": "660e09eb7e1da2f856ea13ee5ad3cf6d36b3d5b0b733c857e94c5747a3dfc660",
         "val.en": "1f2a23d992769b5b3d209b0a10dd0b77c08cceb1f20dfb97ed0aafa49d107227"},
        licence="research use; Flickr30K terms, cite Elliott et al. (2016)",
        origin="Elliott et al. (2016), Multi30K (https://github.com/multi30k/dataset, data/task1/raw)",
        urls=tuple(f"https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/{s}.{lang}.gz"
                   for s in ("train", "val", "test_2016_flickr") for lang in ("de", "en"))),
)}
"""The registry, by name. Looked up at call time, so a test may replace an entry."""

_COMPRESSED = {".xz": lzma.decompress, ".gz": gzip.decompress}
_ARCHIVE = re.compile(r"\.(tar|tgz|tar\.gz|tar\.xz|txz|tar\.bz2|zip)$", re.IGNORECASE)


def get(name: str) -> Dataset:
    """The registry entry of ``name``; ValueError naming the known datasets otherwise."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def data_dir() -> Path:
    """``$ZERONLP_DATA``, else ``$XDG_CACHE_HOME/zeronlp/data``, else ``~/.cache/zeronlp/data``."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "zeronlp" / "data"


def dataset_dir(name: str) -> Path:
    """Folder of ``name`` inside the data directory (it may not exist)."""
    return data_dir() / get(name).name


def missing_message(name: str, what: str) -> str:
    where = f"${ENV}" if os.environ.get(ENV) else f"the default; set ${ENV} to use another"
    return (f"dataset {name!r}: {what} in {dataset_dir(name)} (data directory: {where}); "
            f"run `zeronlp data fetch {name}`, or `zeronlp data fetch {name} --from PATH` with a local copy")


def file_path(name: str, file: str) -> Path:
    """Path of one of the dataset's files; DatasetMissingError (one line, with the fix) if absent."""
    path = dataset_dir(name) / file
    if not path.is_file():
        raise DatasetMissingError(missing_message(name, f"{file} not found"))
    return path


def read_file(name: str, file: str) -> bytes:
    """The (decompressed) content of one file of the dataset, checked against its recorded SHA256."""
    ds, path = get(name), file_path(name, file)
    data = _decompress(path.read_bytes(), path)
    expected = ds.sha256.get(_plain(file))
    if expected is not None and _verified(path) != expected:
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected:
            raise ChecksumError(f"{path}: SHA256 {digest} does not match the recorded {expected}; "
                                f"the file is damaged, run `zeronlp data fetch {name} --force`")
        record_verified(path, digest)
    return data


def read_tar(name: str, file: str) -> dict[str, bytes]:
    """Every regular file of the dataset's tar archive, path -> bytes, checked against its content digest."""
    ds, path = get(name), file_path(name, file)
    files = _tar_files(path)
    if ds.digest is not None and _verified(path) != ds.digest:
        digest = content_digest(files)
        if digest != ds.digest:
            raise ChecksumError(f"{path}: content digest {digest} over {len(files):,} files does not match "
                                f"the recorded {ds.digest} ({ds.digest_files:,} files); "
                                f"run `zeronlp data fetch {name} --force`")
        record_verified(path, digest)
    return files


def content_digest(files: dict[str, bytes]) -> str:
    """sha256 over ``path + "\\0" + bytes`` of every file, sorted by path (IMDB's recorded digest)."""
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode("utf-8") + b"\0")
        h.update(files[p])
    return h.hexdigest()


def is_verified(name: str, file: str) -> bool:
    """True when the file's current size and mtime were verified before (no hashing)."""
    ds, path = get(name), dataset_dir(name) / file
    expected = ds.digest if _ARCHIVE.search(file) else ds.sha256.get(_plain(file))
    return path.is_file() and expected is not None and _verified(path) == expected


def verify(name: str) -> None:
    """Check every file of ``name`` (cheap when done before); DatasetMissingError or ChecksumError."""
    for file in get(name).files:
        if not is_verified(name, file):
            read_tar(name, file) if _ARCHIVE.search(file) else read_file(name, file)


def status(name: str, check: bool = True) -> dict:
    """``{name, state, path, title, problem}``; state is verified, present (not checked), missing or corrupt."""
    ds = get(name)
    folder = dataset_dir(name)
    out = {"name": name, "state": "verified", "path": str(folder), "title": ds.title, "problem": None}
    absent = [f for f in ds.files if not (folder / f).is_file()]
    if absent:
        out.update(state="missing", problem=f"missing {', '.join(absent)}; run `zeronlp data fetch {name}`")
    elif not check:
        if not all(is_verified(name, f) for f in ds.files):
            out["state"] = "present"
    else:
        try:
            verify(name)
        except (ChecksumError, OSError, lzma.LZMAError, zlib.error, EOFError, tarfile.TarError) as e:
            out.update(state="corrupt", problem=str(e))
    return out


# -- verification cache: realpath -> [size, mtime_ns, digest] ----------------------------------------

def _verify_cache_path() -> Path:
    return cache_dir() / "datasets-verified.json"


def _read_verify_cache() -> dict:
    try:
        table = json.loads(_verify_cache_path().read_text("utf-8"))
        return table if isinstance(table, dict) else {}
    except (OSError, ValueError):
        return {}


def _verified(path: Path) -> str | None:
    """The digest recorded for ``path`` when its size and mtime are unchanged since, else None."""
    entry = _read_verify_cache().get(str(Path(path).resolve()))
    st = path.stat()
    if isinstance(entry, list) and len(entry) == 3 and entry[:2] == [st.st_size, st.st_mtime_ns]:
        return entry[2]
    return None


def record_verified(path: Path, digest: str) -> None:
    """Remember that ``path`` (at its current size and mtime) has ``digest``; a failure costs only speed."""
    st = Path(path).stat()
    table = _read_verify_cache()
    table[str(Path(path).resolve())] = [st.st_size, st.st_mtime_ns, digest]
    try:
        _verify_cache_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write(_verify_cache_path(), lambda f: f.write(json.dumps(table, separators=(",", ":")).encode("utf-8")))
    except (OSError, ValueError):
        pass


def _plain(file: str) -> str:
    for suffix in _COMPRESSED:
        if file.endswith(suffix):
            return file[: -len(suffix)]
    return file


def _decompress(data: bytes, path) -> bytes:
    for suffix, decompress in _COMPRESSED.items():
        if str(path).endswith(suffix):
            try:
                return decompress(data)
            except (lzma.LZMAError, zlib.error, OSError, EOFError) as e:
                raise ChecksumError(f"{path}: not a valid {suffix} file ({e})") from None
    return data


def _tar_files(path: Path) -> dict[str, bytes]:
    try:
        with tarfile.open(path, "r:*") as tf:
            return {m.name: tf.extractfile(m).read() for m in tf if m.isfile()}
    except (tarfile.TarError, lzma.LZMAError, zlib.error, OSError, EOFError) as e:
        raise ChecksumError(f"{path}: not a readable tar archive ({e})") from None


# -- fetch ----------------------------------------------------------------------------------------------

def fetch(name: str, source=None, *, force: bool = False, progress: bool = True, log=print) -> dict:
    """Put ``name`` into the data directory: from its URLs, or from ``source`` (a folder or an archive).

    Returns ``{name, path, files, fetched}``; ``fetched`` is False when the dataset was already there
    and verified (``force=True`` fetches anyway). Nothing is written in place before all is verified.
    """
    ds = get(name)
    target = dataset_dir(name)
    if not force and status(name)["state"] == "verified":
        log(f"{name}: already present and verified in {target}")
        return {"name": name, "path": str(target), "files": list(ds.files), "fetched": False}
    if source is not None and not Path(source).exists():
        raise FetchError(f"--from {source}: no such file or directory")
    root = data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".fetch-{name}-", dir=root))
    except OSError as e:
        raise FetchError(f"cannot write to the data directory {root}: {e.strerror or e}") from None
    try:
        if source is None:
            (staging / "download").mkdir()
            for url in ds.urls:
                _download(url, staging / "download" / url.rsplit("/", 1)[-1], progress, log)
            source = staging / "download"
        found, origin = _collect(ds, Path(source))
        out = staging / "out"
        out.mkdir()
        _convert(ds, found, out, progress, origin)
        del found
        _check_converted(ds, out)
        target.mkdir(parents=True, exist_ok=True)
        for file in os.listdir(out):
            os.replace(out / file, target / file)
        for file in ds.files:
            record_verified(target / file, ds.digest if _ARCHIVE.search(file) else ds.sha256[_plain(file)])
    except OSError as e:
        raise FetchError(f"fetch {name}: {e.strerror or e}" + (f": {e.filename}" if e.filename else "")) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"{name}: {len(ds.files)} file(s) verified and installed in {target}")
    return {"name": name, "path": str(target), "files": list(ds.files), "fetched": True}


def _download(url: str, dest: Path, progress: bool, log) -> None:
    from .. import __version__

    log(f"downloading {url}")
    request = urllib.request.Request(url, headers={"User-Agent": f"zeronlp/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            with Progress(total, desc=dest.name, unit="B", enabled=progress) as bar:
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    done += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as e:
        raise FetchError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise FetchError(f"cannot download {url}: {getattr(e, 'reason', None) or e}") from None
    if total is not None and done != total:
        raise FetchError(f"cannot download {url}: got {done:,} of {total:,} bytes")


def _sources(path: Path):
    """(archive or None, iterable of (relative path, read())) to search in turn: a folder's plain files (3 levels deep),
    then each archive inside it; or the one archive ``path``."""
    if path.is_file():
        if not _ARCHIVE.search(path.name):
            yield None, [(path.name, path.read_bytes)]
            return
        yield path, _archive_members(path)
        return
    plain, archives = [], []
    for here, dirs, files in os.walk(path):
        depth = len(Path(here).relative_to(path).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if depth < 3 else []
        for f in sorted(files):
            p = Path(here) / f
            (archives if _ARCHIVE.search(f) else plain).append(p)
    yield None, [(p.relative_to(path).as_posix(), p.read_bytes) for p in plain]
    for a in archives:
        yield a, _archive_members(a)


def _archive_members(path: Path):
    errors = (tarfile.TarError, zipfile.BadZipFile, lzma.LZMAError, zlib.error, EOFError, OSError)

    def guarded(read):
        def call():
            try:
                return read()
            except errors as e:
                raise FetchError(f"{path}: not a readable archive ({e})") from None
        return call

    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        yield info.filename, guarded(lambda info=info: zf.read(info))
            return
        with tarfile.open(path, "r:*") as tf:
            for m in tf:
                if m.isfile():
                    yield m.name, guarded(lambda m=m: tf.extractfile(m).read())
    except errors as e:
        raise FetchError(f"{path}: not a readable archive ({e})") from None


def _collect(ds: Dataset, path: Path) -> tuple[dict, Path | None]:
    """The dataset's files found under ``path`` and the archive that held them all (IMDB), if any.

    Archive members: {path: bytes}; plain files: {name: (decompressed bytes, the file's own bytes
    when it already is the shipped file, else None)}."""
    wanted = set(ds.sha256)
    found: dict = {}
    for origin, members in _sources(path):
        got: dict = {}
        for rel, read in members:
            if ds.member:
                m = re.search(ds.member, rel)
                if m and m.group(1) not in got:
                    got[m.group(1)] = read()
                continue
            base = rel.rsplit("/", 1)[-1]
            key = _plain(base)
            if key in wanted and key not in found and key not in got:
                raw = read()
                got[key] = (_decompress(raw, rel), raw if base in ds.files else None)
        found.update(got)
        if (ds.member and found) or (not ds.member and wanted <= set(found)):
            return found, origin
    need = "the aclImdb/ tree" if ds.member else ", ".join(sorted(wanted - set(found)))
    raise FetchError(f"{path} does not hold {ds.name}'s files: missing {need} (give a folder laid out "
                     f"like the data directory's {ds.name}/, or the canonical download "
                     f"{', '.join(u.rsplit('/', 1)[-1] for u in ds.urls)})")


def _convert(ds: Dataset, found: dict, out: Path, progress: bool, origin: Path | None) -> None:
    """Write the shipped layout into ``out``: xz (NSMC), gzip (Multi30k), plain (MR), tar.xz (IMDB);
    a file that already is the shipped one (same name, verified content) is copied as it is."""
    if ds.member:
        digest = content_digest(found)
        if digest != ds.digest:
            raise ChecksumError(f"{ds.name}: content digest {digest} over {len(found):,} files does not match the "
                                f"recorded {ds.digest} ({ds.digest_files:,} files); the source is not "
                                f"{ds.name}'s published data")
        if origin is not None and origin.name == ds.files[0]:
            shutil.copyfile(origin, out / ds.files[0])
        else:
            _write_tar(out / ds.files[0], found, progress)
        return
    lines = []
    for file in ds.files:
        data, shipped = found[_plain(file)]
        digest = hashlib.sha256(data).hexdigest()
        if digest != ds.sha256[_plain(file)]:
            raise ChecksumError(f"{_plain(file)}: SHA256 {digest} does not match the recorded "
                                f"{ds.sha256[_plain(file)]}; the source is not {ds.name}'s published file")
        if shipped is not None:
            data = shipped
        elif file.endswith(".xz"):
            data = lzma.compress(data, preset=6)
        elif file.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        (out / file).write_bytes(data)
        lines.append(f"{digest}  {_plain(file)}\n")
    (out / "SHA256SUMS").write_text("".join(lines), "utf-8")


def _write_tar(path: Path, files: dict[str, bytes], progress: bool) -> None:
    with tarfile.open(path, "w:xz", preset=6) as tf, \
            Progress(len(files), desc=f"compress {path.name}", unit="file", enabled=progress) as bar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(files[name]), 1306886400, 0o644
            tf.addfile(info, io.BytesIO(files[name]))
            bar.update(1)


def _check_converted(ds: Dataset, out: Path) -> None:
    """Verify the converted files before anything is moved into place."""
    for file in ds.files:
        path = out / file
        if ds.member:
            digest = content_digest(_tar_files(path))
            if digest != ds.digest:
                raise ChecksumError(f"{file}: content digest {digest} does not match the recorded {ds.digest}; "
                                    f"the source is not {ds.name}'s published data")
        elif hashlib.sha256(_decompress(path.read_bytes(), path)).hexdigest() != ds.sha256[_plain(file)]:
            raise ChecksumError(f"{file}: the converted file does not verify")  # pragma: no cover
