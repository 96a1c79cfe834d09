"""Model: gathering with tied weights, modes, save/load and the files it must refuse."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import zeronlp
from zeronlp.io import ModelFileError
from zeronlp.layers import Affine, Dropout, MatMul, SoftmaxWithLoss
from zeronlp.models import Model, TwoLayerNet
from zeronlp.models.base import load


class TiedNet(Model):
    """x -> MatMul(W) -> MatMul(W) : the same (D, D) weight used twice."""

    def __init__(self, size: int = 3):
        super().__init__()
        W = np.random.default_rng(0).standard_normal((size, size))
        self.first, self.second = MatMul(W), MatMul(W)
        self.drop = Dropout(0.5)
        self.loss_layer = SoftmaxWithLoss()

    def forward(self, x, t):
        return self.loss_layer.forward(self.second.forward(self.first.forward(x)), t)

    def backward(self, dout=1):
        return self.first.backward(self.second.backward(self.loss_layer.backward(dout)))


def test_tied_weight_counted_once_and_gradients_summed():
    model = TiedNet()
    assert len(model.params) == 1 and len(model.grads) == 1
    x, t = np.random.default_rng(1).standard_normal((2, 3)), np.array([0, 2])
    from zeronlp.gradcheck import check_layer

    errors = check_layer(model, [x, t])
    assert errors["param0"] < 1e-7
    grads = model.grads
    np.testing.assert_allclose(grads[0], model.first.grads[0] + model.second.grads[0])
    assert model.grads[0] is grads[0], "the summed buffer is stable across reads"


def test_a_layer_named_again_by_a_cache_is_one_use():
    """A forward that keeps the layer it ran in a cache tuple (Doc2Vec does) must not count its gradient twice."""

    class CachingNet(Model):
        def __init__(self):
            super().__init__()
            self.layer = MatMul(np.random.default_rng(0).standard_normal((3, 3)))
            self.loss_layer = SoftmaxWithLoss()
            self.cache = None

        def forward(self, x, t):
            self.cache = (self.layer, [self.layer])
            return self.loss_layer.forward(self.layer.forward(x), t)

        def backward(self, dout=1):
            return self.cache[0].backward(self.loss_layer.backward(dout))

    model = CachingNet()
    model.forward(np.ones((2, 3)), np.array([0, 1]))
    model._forget_groups()  # the grouping is made while the cache names the layer again
    assert model.sublayers() == [model.layer, model.loss_layer]
    assert len(model.params) == 1
    model.backward()
    assert model.grads[0] is model.layer.grads[0]


def test_two_layer_net_gradients_and_modes():
    from zeronlp.gradcheck import check_layer

    zeronlp.seed(0)
    net = TwoLayerNet(2, 5, 3)
    for p in net.params:  # the book's 0.01 init makes input gradients too small to difference
        p[...] = np.random.default_rng(2).standard_normal(p.shape)
    x = np.random.default_rng(0).standard_normal((4, 2))
    errors = check_layer(net, [x, np.array([0, 1, 2, 1])])
    assert max(errors.values()) < 1e-6
    model = TiedNet()
    assert model.eval() is model and not model.drop.training
    assert model.train().drop.training


def test_save_load_gives_identical_predictions(tmp_path):
    zeronlp.seed(0)
    net = TwoLayerNet(2, 10, 3)
    net.params[0][...] += np.random.default_rng(0).standard_normal(net.params[0].shape).astype(np.float32)
    path = tmp_path / "net.npz"
    net.save(path, vocab=["a", "b"], meta={"note": "hi"}, arrays={"extra": np.arange(3)})
    x = np.random.default_rng(1).standard_normal((5, 2)).astype(np.float32)
    loaded, info = load(path, with_info=True)
    assert isinstance(loaded, TwoLayerNet) and loaded.config == net.config
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    assert info["vocab"] == ["a", "b"] and info["meta"] == {"note": "hi"}
    np.testing.assert_array_equal(info["arrays"]["extra"], np.arange(3))
    assert zeronlp.load(path, expect=TwoLayerNet).params[0].dtype == np.float32
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"], "no temporary file left behind"


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError, match="junk.npz"):
        zeronlp.load(path)


def test_pickled_npz_is_refused_without_running_it(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, param_0=np.array([{"evil": 1}], dtype=object),
             __zeronlp__=np.array(json.dumps({"format": "zeronlp", "kind": "model"})))
    with pytest.raises(ValueError, match="pickled"):
        zeronlp.load(path)


def test_foreign_npz_and_wrong_shapes_and_classes_are_refused(tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a zeronlp model"):
        zeronlp.load(foreign)
    zeronlp.seed(0)
    path = tmp_path / "net.npz"
    TwoLayerNet(2, 10, 3).save(path)
    with pytest.raises(ModelFileError, match="not a TiedNet"):
        zeronlp.load(path, expect=TiedNet)
    # Same header, parameters of another shape: rewrite the file's header config.
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(str(arrays["__zeronlp__"][()]))
    header["config"]["hidden_size"] = 7
    arrays["__zeronlp__"] = np.array(json.dumps(header))
    bad = tmp_path / "bad_shape.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ModelFileError, match="shape"):
        zeronlp.load(bad)
    header["class"] = "NoSuchModel"
    arrays["__zeronlp__"] = np.array(json.dumps(header))
    np.savez(bad, **arrays)
    with pytest.raises(ModelFileError, match="unknown class"):
        zeronlp.load(bad)


def test_truncated_file_is_refused(tmp_path):
    zeronlp.seed(0)
    path = tmp_path / "net.npz"
    TwoLayerNet(2, 4, 3).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="net.npz"):
        zeronlp.load(path)
    with pytest.raises(FileNotFoundError):
        zeronlp.load(tmp_path / "missing.npz")
    assert zipfile  # the zip layer errors are mapped too


def test_failed_write_leaves_no_file(tmp_path):
    class Unstorable(TwoLayerNet):
        pass

    net = Unstorable(2, 3, 3)
    target = tmp_path / "out.npz"
    with pytest.raises(ValueError):
        net.save(target, arrays={"bad": np.array([object()], dtype=object)})
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="does not exist"):
        net.save(tmp_path / "nodir" / "m.npz")


def test_constructor_checks_sizes():
    with pytest.raises(ValueError, match="hidden_size"):
        TwoLayerNet(2, 0, 3)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        TwoLayerNet(2, 4, 3).predict(np.zeros((1, 3), dtype=np.float32))
    assert "TwoLayerNet(input_size=2" in repr(TwoLayerNet(2, 4, 3))
    assert Affine  # imported for readers: the net is Affine-Sigmoid-Affine


def test_load_refuses_a_foreign_vocabulary_or_metadata(tmp_path):
    import json

    from zeronlp.io import read_npz, write_npz

    path = tmp_path / "m.npz"
    TwoLayerNet(2, 3, 2).save(path, vocab=["a", "b"])
    arrays, header = read_npz(path)
    for change, message in (({"vocab": [1, 2]}, "vocabulary"), ({"meta": "text"}, "metadata")):
        bad = {k: v for k, v in header.items() if k not in ("format", "version")}
        write_npz(tmp_path / "bad.npz", arrays, {**bad, **change})
        with pytest.raises(ValueError, match=message):
            zeronlp.load(tmp_path / "bad.npz", with_info=True)
    assert json.dumps(header)  # the original stays loadable
    zeronlp.load(path, with_info=True)


def test_perplexity_of_a_diverged_model_is_inf():
    import math

    from zeronlp.evaluate import perplexity

    class Diverged:
        def forward(self, xs, ts):
            return 1e6

    assert perplexity(Diverged(), np.arange(50) % 5, batch_size=2, time_size=3) == math.inf


def test_load_finds_a_model_class_whose_module_was_not_imported(tmp_path):
    """A fresh process that loads a translation model has imported only zeronlp.models' __init__."""
    import subprocess
    import sys

    from zeronlp.models.translation_transformer import TranslationTransformer

    path = tmp_path / "tr.npz"
    TranslationTransformer(7, 5, d_model=8, num_heads=2, num_layers=1, d_ff=8, max_len=8).save(path)
    code = f"import zeronlp; print(type(zeronlp.load({str(path)!r})).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "TranslationTransformer", out.stderr[-1000:]
