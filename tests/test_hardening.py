"""Hostile and broken model files: rejected by a ModelFileError naming the file, before allocating."""
import json
import subprocess
import sys

import numpy as np
import pytest

import zeronlp
from zeronlp.io import ModelFileError, read_npz, write_npz
from zeronlp.models.mlp import TwoLayerNet
from zeronlp.models.rnnlm import Rnnlm


def _tamper(src, dst, header=None, arrays=None):
    """Copy model file ``src`` to ``dst`` with header entries and arrays replaced."""
    stored, meta = read_npz(src)
    meta.update(header or {})
    stored.update(arrays or {})
    for key in ("format", "version"):
        meta.pop(key)
    write_npz(dst, stored, meta)
    return dst


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.npz"
    TwoLayerNet(2, 4, 3).save(path)
    return path


def test_huge_size_in_the_header_is_refused_before_building(saved, tmp_path):
    _, meta = read_npz(saved)
    bad = _tamper(saved, tmp_path / "huge.npz", {"config": {**meta["config"], "hidden_size": 10 ** 9}})
    with pytest.raises(ModelFileError, match=r"huge.npz: its header gives TwoLayerNet hidden_size=1000000000"):
        zeronlp.load(bad)


def test_plausible_sizes_whose_product_is_huge_fail_fast(tmp_path):
    """vocab 8,000 x hidden 8,000 (each below the per-size bound) would need ~3.5 GB while building: refused
    as soon as the build maps more than a few times what the file stores."""
    path = tmp_path / "small.npz"
    Rnnlm(5, 3, 4).save(path)
    _, meta = read_npz(path)
    bad = _tamper(path, tmp_path / "product.npz",
                  {"config": {**meta["config"], "vocab_size": 8000, "hidden_size": 8000}})
    code = ("import zeronlp, resource\n"
            f"try:\n    zeronlp.load({str(bad)!r})\nexcept ValueError as e:\n    print('ERR', e)\n"
            "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert "product.npz: its header asks for a Rnnlm far larger than" in out, (out, run.stderr[-2000:])
    assert int(out.split("RSS")[1]) < 2 ** 20  # KiB: it never allocated the declared model (~3.5 GB)


def test_header_shapes_must_match_the_arrays(saved, tmp_path):
    bad = _tamper(saved, tmp_path / "shapes.npz", {"param_shapes": [[2, 400], [400], [400, 3], [3]]})
    with pytest.raises(ModelFileError, match=r"shapes.npz: parameter param_0 has shape \(2, 4\), its header says \(2, 400\)"):
        zeronlp.load(bad)
    bad = _tamper(saved, tmp_path / "count.npz", {"param_shapes": [[2, 4]]})
    with pytest.raises(ModelFileError, match="its header lists 1 parameters but it stores 4"):
        zeronlp.load(bad)
    bad = _tamper(saved, tmp_path / "junk.npz", {"param_shapes": "lots"})
    with pytest.raises(ModelFileError, match="malformed param_shapes"):
        zeronlp.load(bad)


def test_wrong_dtype_and_non_finite_parameters(saved, tmp_path):
    bad = _tamper(saved, tmp_path / "ints.npz", arrays={"param_1": np.zeros(4, dtype=np.int64)})
    with pytest.raises(ModelFileError, match="ints.npz: parameter param_1 has dtype int64, not a float"):
        zeronlp.load(bad)
    W = np.zeros((4, 3), dtype=np.float32)
    W[1, 2] = np.nan
    bad = _tamper(saved, tmp_path / "nan.npz", arrays={"param_2": W})
    with pytest.raises(ModelFileError, match=r"nan.npz: parameter param_2 \(4, 3\) holds NaN"):
        zeronlp.load(bad)
    bad = _tamper(saved, tmp_path / "inf.npz", arrays={"param_3": np.full(3, np.inf, dtype=np.float32)})
    with pytest.raises(ModelFileError, match="param_3 .* holds Inf"):
        zeronlp.load(bad)


def test_missing_parameter_index(saved, tmp_path):
    stored, meta = read_npz(saved)
    stored["param_7"] = stored.pop("param_1")
    for key in ("format", "version"):
        meta.pop(key)
    write_npz(tmp_path / "gap.npz", stored, meta)
    with pytest.raises(ModelFileError, match="missing or repeated indices"):
        zeronlp.load(tmp_path / "gap.npz")


def test_model_too_large_for_the_memory_is_refused(saved, monkeypatch):
    import zeronlp.memory as memory

    monkeypatch.setattr(memory, "available_memory", lambda: 50)
    with pytest.raises(ValueError, match=r"good.npz: (loading its arrays|the TwoLayerNet it holds) needs about"):
        zeronlp.load(saved)


def test_genuine_files_still_load(saved, tmp_path):
    model = zeronlp.load(saved)
    assert model.config == {"input_size": 2, "hidden_size": 4, "output_size": 3}
    path = tmp_path / "lm.npz"
    Rnnlm(7, 3, 5).save(path, vocab=list("abcdefg"))
    model, info = zeronlp.load(path, with_info=True)
    assert info["vocab"] == list("abcdefg") and model.num_params() == Rnnlm(7, 3, 5).num_params()
    assert json.loads(json.dumps(model.config)) == model.config


# ------------------------------------------------------------------------ the Python API
def test_two_layer_net_predict_accepts_array_likes():
    model = TwoLayerNet(2, 4, 3)
    np.testing.assert_allclose(model.predict([[0.1, 0.2]]), model.predict(np.array([[0.1, 0.2]], np.float32)))
    assert model.predict([[1, 2]]).dtype == np.float32
    with pytest.raises(TypeError, match="TwoLayerNet expects an array \\(or nested lists\\) of numbers"):
        model.predict([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="expects numbers"):
        model.predict([["a", "b"]])
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        model.predict([0.1, 0.2])


def test_simple_cbow_shape_error_names_the_layer():
    from zeronlp.models.word2vec import SimpleCBOW

    model = SimpleCBOW(7, 5)
    with pytest.raises(ValueError, match=r"MatMul with W \(7, 5\) expects x of shape \(N, 7\), got \(3, 6\)"):
        model.forward(np.zeros((3, 2, 6)), np.zeros(3, dtype=int))
