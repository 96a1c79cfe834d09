"""Model: a network assembled from layers, with gathered params/grads, modes, devices and files.

A subclass builds its layers in ``__init__`` (as attributes or lists of
layers) and writes ``forward``/``backward``. Everything else comes from here:

* ``params``/``grads``: every distinct parameter once, in the order the layers
  hold them. A weight shared by several layers (tying, by identity) appears once
  and its gradient is the sum over all its uses. The grouping is computed once;
  reading ``grads`` sums the tied uses into a fixed buffer.
* ``train()``/``eval()`` set ``training`` on every layer inside.
* ``to_gpu()``/``to_cpu()`` move each distinct array once, keeping ties.
* ``save(path)``/``zeronlp.load(path)``: constructor arguments are recorded
  automatically, so a model file rebuilds the same architecture.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np

from .. import backend
from ..io import ModelFileError, read_npz, write_npz
from ..layers.base import Layer
from ..memory import check_fits, estimate_model_bytes, limit_allocations
from ..optim import RowSparseGrad, add_grad

_REGISTRY: dict[str, type] = {}


class Model(Layer):
    """Base of every network. Subclasses define layers in ``__init__`` and ``forward``/``backward``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        def recording_init(self, *args, _init=init, _sig=signature, **kw):
            if not hasattr(self, "_config"):  # the outermost constructor records its arguments
                bound = _sig.bind(self, *args, **kw)
                bound.apply_defaults()
                self._config = {k: v for k, v in list(bound.arguments.items())[1:]}
                self._config_class = type(self).__name__
            _init(self, *args, **kw)

        recording_init.__doc__ = init.__doc__
        recording_init.__wrapped__ = init
        cls.__init__ = recording_init

    # ------------------------------------------------------------------ gathering
    def _groups(self):
        """Distinct parameters and, for each, the grad arrays of all its uses. Computed once."""
        cached = self.__dict__.get("_param_groups")
        if cached is not None:
            return cached
        params, uses = [], []
        index = {}
        for layer in self.sublayers():
            for p, g in zip(layer.params, layer.grads):
                if id(p) in index:
                    uses[index[id(p)]].append(g)
                else:
                    index[id(p)] = len(params)
                    params.append(p)
                    uses.append([g])
        buffers = [g[0] if len(g) == 1 else _tied_buffer(p, g) for p, g in zip(params, uses)]
        self.__dict__["_param_groups"] = (params, uses, buffers)
        return params, uses, buffers

    def _forget_groups(self):
        self.__dict__.pop("_param_groups", None)

    @property
    def params(self):
        """Every distinct parameter array, once."""
        return self._groups()[0]

    @params.setter
    def params(self, value):  # Layer.__init__ assigns []; a model's params are always gathered
        if value:
            raise AttributeError("a Model's params are gathered from its layers and cannot be set")

    @property
    def grads(self):
        """Gradient of each distinct parameter; tied uses summed into a fixed buffer on every read."""
        params, uses, buffers = self._groups()
        for buffer, group in zip(buffers, uses):
            if len(group) > 1 and isinstance(buffer, RowSparseGrad):
                buffer.set_sum(group)  # every use row-sparse: the sum stays row-sparse
            elif len(group) > 1:
                buffer[...] = 0
                for g in group:
                    add_grad(buffer, g)
        return buffers

    @grads.setter
    def grads(self, value):
        if value:
            raise AttributeError("a Model's grads are gathered from its layers and cannot be set")

    def num_params(self) -> int:
        return int(sum(p.size for p in self.params))

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True):
        """Training mode for every layer inside (dropout active). Returns the model."""
        for layer in self.walk():
            layer.training = mode
        return self

    def eval(self):
        """Evaluation mode for every layer inside (dropout off). Returns the model."""
        return self.train(False)

    # ------------------------------------------------------------------ devices
    def _map_arrays(self, convert):
        converted = {}
        for layer in self.walk():
            for lst in (layer.__dict__.get("params", []), layer.__dict__.get("grads", [])):
                for i, arr in enumerate(lst):
                    if id(arr) not in converted:
                        moved = arr.moved(convert) if isinstance(arr, RowSparseGrad) else convert(arr)
                        converted[id(arr)] = (arr, moved)  # keep arr alive so ids stay unique
                    lst[i] = converted[id(arr)][1]
        self._forget_groups()
        return self

    def to_gpu(self):
        """Move every parameter to the GPU (CuPy), each shared array once."""
        return self._map_arrays(backend.to_gpu)

    def to_cpu(self):
        """Move every parameter to host memory (NumPy)."""
        return self._map_arrays(backend.to_cpu)

    @property
    def xp(self):
        """The array module (NumPy or CuPy) the parameters live on."""
        params = self.params
        return backend.get_array_module(params[0]) if params else np

    # ------------------------------------------------------------------ files
    @property
    def config(self) -> dict:
        """The constructor arguments this model was built with."""
        return dict(self.__dict__.get("_config", {}))

    def save(self, path, *, vocab=None, meta: dict | None = None, arrays: dict | None = None,
             dtype=None) -> None:
        """Write one ``.npz``: parameters, constructor arguments, optional vocabulary (list of words),
        optional JSON ``meta`` and extra named ``arrays`` (e.g. optimizer state). Atomic."""
        config = self.config
        try:
            json.dumps(config)
        except TypeError as e:
            raise TypeError(f"{type(self).__name__} has constructor arguments that cannot be stored as JSON: {e}")
        payload = {}
        for i, p in enumerate(self.params):
            a = backend.to_cpu(p)
            payload[f"param_{i}"] = a.astype(dtype) if dtype is not None else a
        for name, a in (arrays or {}).items():
            payload[f"extra_{name}"] = backend.to_cpu(a)
        header = {
            "kind": "model",
            "class": type(self).__name__,
            "config": config,
            "param_shapes": [list(p.shape) for p in self.params],
            "param_dtypes": [str(p.dtype) for p in self.params],
            "vocab": list(vocab) if vocab is not None else None,
            "meta": meta or {},
        }
        write_npz(path, payload, header)

    def load_params(self, arrays: dict, path="<arrays>") -> None:
        """Copy saved parameters into this model, checking count, shapes and dtype kinds."""
        params = self.params
        names = sorted((n for n in arrays if n.startswith("param_")), key=lambda n: int(n[6:]))
        if len(names) != len(params):
            raise ModelFileError(path, f"holds {len(names)} parameters, {type(self).__name__} has {len(params)}")
        xp = self.xp
        for name, p in zip(names, params):
            a = arrays[name]
            if a.shape != p.shape:
                raise ModelFileError(path, f"parameter {name} has shape {a.shape}, the model expects {p.shape}")
            if a.dtype.kind != "f":
                raise ModelFileError(path, f"parameter {name} has dtype {a.dtype}, not a float")
            p[...] = xp.asarray(a.astype(p.dtype))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"{type(self).__name__}({args})  # {self.num_params():,} parameters"


def _tied_buffer(param, uses):
    """The buffer summing a tied weight's uses: row-sparse when every use is, else dense."""
    if all(isinstance(g, RowSparseGrad) for g in uses):
        return RowSparseGrad(param.shape, like=param)
    return backend.get_array_module(param).zeros_like(param)


_SMALL_SIZE = 2 ** 16
_BUILD_SLACK = 512 * 2**20  # interpreter, temporaries and allocator overhead while a model is built


def _check_stored_params(path, arrays: dict, header: dict) -> dict:
    """The ``param_i`` arrays, checked against the header before anything is built: contiguous
    names, the count and shapes of ``param_shapes``, float dtypes, finite values. name -> array."""
    names = [n for n in arrays if n.startswith("param_")]
    try:
        order = sorted(int(n[6:]) for n in names)
    except ValueError:
        raise ModelFileError(path, "has a parameter array with a malformed name") from None
    if order != list(range(len(order))):
        raise ModelFileError(path, f"has parameter arrays with missing or repeated indices: {order[:10]}")
    stored = {f"param_{i}": arrays[f"param_{i}"] for i in order}
    shapes = header.get("param_shapes")
    if shapes is not None:
        if not isinstance(shapes, list) or not all(
                isinstance(s, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in s)
                for s in shapes):
            raise ModelFileError(path, "has malformed param_shapes in its header")
        if len(shapes) != len(stored):
            raise ModelFileError(path, f"its header lists {len(shapes)} parameters but it stores {len(stored)}")
        for (n, a), shape in zip(stored.items(), shapes):
            if tuple(a.shape) != tuple(shape):
                raise ModelFileError(path, f"parameter {n} has shape {a.shape}, its header says {tuple(shape)}")
    for n, a in stored.items():
        if a.dtype.kind != "f":
            raise ModelFileError(path, f"parameter {n} has dtype {a.dtype}, not a float")
        if not np.isfinite(a).all():
            what = "NaN" if np.isnan(a).any() else "Inf"
            raise ModelFileError(path, f"parameter {n} {tuple(a.shape)} holds {what}: "
                                       "the model is broken (did its training diverge?)")
    return stored


def _check_config_sizes(path, name, config: dict, stored: dict) -> None:
    """Every integer constructor argument (a size, a count of layers, heads, positions...) of a genuine
    model is at most its number of stored parameter values (or a modest 65,536 for tiny models): a larger
    one is a hostile or corrupt header. Combinations of plausible sizes are caught while building."""
    total = sum(int(a.size) for a in stored.values())
    limit = max(total, _SMALL_SIZE)
    for key, value in config.items():
        if isinstance(value, float) and not np.isfinite(value):
            raise ModelFileError(path, f"its header gives {name} {key}={value!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > limit \
                and float(value).is_integer():
            raise ModelFileError(path, f"its header gives {name} {key}={value!r}, but the file stores only "
                                       f"{total:,} parameter values: not a genuine {name} file")


def _import_all_models() -> dict:
    """Import every module of ``zeronlp.models`` (each registers its classes) and return the registry: a file
    may hold a model whose module nothing has imported yet (a translation or fastText model, say)."""
    import importlib
    import pkgutil

    from .. import models

    for info in pkgutil.iter_modules(models.__path__):
        importlib.import_module(f"{models.__name__}.{info.name}")
    return _REGISTRY


def load(path, expect: type | None = None, with_info: bool = False):
    """Rebuild a model saved with ``Model.save``. ``expect`` checks its class.

    Returns the model, or ``(model, info)`` with ``with_info=True`` where ``info``
    holds ``vocab``, ``meta`` and the extra ``arrays``. Any file that is not a
    zeronlp model of a known class and matching shapes raises ``ModelFileError``.
    """
    arrays, header = read_npz(path)
    if header.get("kind") != "model":
        raise ModelFileError(path, f"is a zeronlp {header.get('kind')!r} file, not a model")
    name = header.get("class")
    cls = _REGISTRY.get(name) or _import_all_models().get(name)
    if cls is None:
        raise ModelFileError(path, f"holds a model of unknown class {name!r}")
    if expect is not None and not issubclass(cls, expect):
        raise ModelFileError(path, f"holds a {name}, not a {expect.__name__}")
    config = header.get("config")
    if not isinstance(config, dict):
        raise ModelFileError(path, "has no constructor arguments in its header")
    stored = _check_stored_params(path, arrays, header)
    _check_config_sizes(path, name, config, stored)
    need = estimate_model_bytes([a.shape for a in stored.values()])  # parameters and gradients, float32
    check_fits(need, f"{path}: the {name} it holds")
    try:
        # the header is untrusted: building may map at most a few times what its arrays need
        with limit_allocations(4 * need + _BUILD_SLACK):
            model = cls(**config)
    except MemoryError:
        raise ModelFileError(path, f"its header asks for a {name} far larger than the "
                                   f"{sum(a.size for a in stored.values()):,} parameters it stores") from None
    except (TypeError, ValueError) as e:
        raise ModelFileError(path, f"cannot rebuild {name} from its stored arguments ({e})") from None
    model.load_params(arrays, path)
    if not with_info:
        return model
    vocab, meta = header.get("vocab"), header.get("meta") or {}
    if vocab is not None and (not isinstance(vocab, list) or not all(isinstance(w, str) for w in vocab)):
        raise ModelFileError(path, "has a vocabulary that is not a list of words")
    if not isinstance(meta, dict):
        raise ModelFileError(path, "has metadata that is not a JSON object")
    info = {
        "vocab": vocab,
        "meta": meta,
        "arrays": {n[6:]: a for n, a in arrays.items() if n.startswith("extra_")},
        "path": str(Path(path)),
    }
    return model, info
