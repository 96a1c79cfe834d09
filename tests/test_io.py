"""Model and vectors files: modes, symlinks, atomic writes, and what a foreign file is called."""
import os
import pickle
import stat

import numpy as np
import pytest

import zeronlp
from zeronlp.io import ModelFileError, atomic_write, read_npz, write_npz
from zeronlp.models.mlp import TwoLayerNet
from zeronlp.text.vectors import WordVectors


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def test_new_file_honours_the_umask(tmp_path, umask_027):
    path = tmp_path / "m.npz"
    TwoLayerNet(2, 3, 2).save(path)
    assert _mode(path) == 0o640  # 0o666 less the umask, not mkstemp's 0o600


def test_vectors_file_honours_the_umask_and_is_atomic(tmp_path, umask_027):
    wv = WordVectors(np.ones((2, 3), dtype=np.float32), ["a", "b"])
    path = tmp_path / "v.txt"
    wv.save_word2vec(path)
    assert _mode(path) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["v.txt"]  # no temporary file left behind
    with pytest.raises(ZeroDivisionError):  # a failing write leaves the old file intact
        atomic_write(path, lambda f: (f.write(b"half"), 1 / 0))
    assert WordVectors.load_word2vec(path).words == ["a", "b"]
    assert [p.name for p in tmp_path.iterdir()] == ["v.txt"]


def test_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "m.npz"
    TwoLayerNet(2, 3, 2).save(path)
    os.chmod(path, 0o604)
    TwoLayerNet(2, 3, 2).save(path)
    assert _mode(path) == 0o604


def test_symlink_is_written_through(tmp_path):
    target = tmp_path / "real" / "model.npz"
    target.parent.mkdir()
    TwoLayerNet(2, 3, 2).save(target)
    os.chmod(target, 0o644)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    TwoLayerNet(2, 5, 2).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert zeronlp.load(target).config["hidden_size"] == 5
    assert _mode(target) == 0o644


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "new.npz")
    TwoLayerNet(2, 3, 2).save(link)
    assert link.is_symlink() and (tmp_path / "new.npz").is_file()


def test_unwritable_directory_names_the_users_path(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(ModelFileError, match=r"locked/m\.npz: cannot be written"):
            TwoLayerNet(2, 3, 2).save(locked / "m.npz")
    finally:
        os.chmod(locked, 0o700)
    with pytest.raises(ModelFileError, match="is a directory"):
        TwoLayerNet(2, 3, 2).save(locked)


# ------------------------------------------------------------------------ naming foreign files
def test_random_bytes_are_not_a_zeronlp_file(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ModelFileError, match="random.npz: is not a zeronlp file") as e:
        zeronlp.load(path)
    assert "pickle" not in str(e.value)


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_files_are_named_as_such(tmp_path, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    WordVectors(np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5, ["a", "b"]).save_word2vec(path, binary=binary)
    kind = "binary" if binary else "text"
    with pytest.raises(ModelFileError, match=f"a word2vec {kind} vectors file.*zeronlp vectors") as e:
        zeronlp.load(path)
    assert "pickle" not in str(e.value)


def test_truly_pickled_files_still_say_so(tmp_path):
    npz = tmp_path / "obj.npz"
    np.savez(npz, **{"__zeronlp__": np.array('{"format": "zeronlp", "version": 1}'),
                     "x": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ModelFileError, match="pickled"):
        read_npz(npz)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelFileError, match="pickled Python object"):
        zeronlp.load(raw)


def test_empty_npy_directory_and_truncated_files(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ModelFileError, match="is empty"):
        zeronlp.load(tmp_path / "empty.npz")
    np.save(tmp_path / "a.npy", np.ones(3))
    with pytest.raises(ModelFileError, match=r"single NumPy array \(\.npy\)"):
        zeronlp.load(tmp_path / "a.npy")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        zeronlp.load(tmp_path)
    TwoLayerNet(2, 3, 2).save(tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[:len(data) // 2])
    with pytest.raises(ModelFileError, match="not a valid .npz"):
        zeronlp.load(tmp_path / "cut.npz")


def test_oversized_arrays_are_refused_before_loading(tmp_path, monkeypatch):
    import zeronlp.memory as memory

    path = tmp_path / "big.npz"
    write_npz(path, {"a": np.zeros((1000, 100), dtype=np.float32)}, {"kind": "x"}, compress=True)
    monkeypatch.setattr(memory, "available_memory", lambda: 100_000)
    with pytest.raises(ValueError, match=r"big.npz: loading its arrays needs about 390.6 KiB, only 97.7 KiB"):
        read_npz(path)
