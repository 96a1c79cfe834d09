"""The layer contract of the book, kept strictly (see DESIGN.md).

A layer owns ``params`` and ``grads``: lists of arrays of equal shapes made once
in ``__init__``. ``forward`` keeps what ``backward`` needs; ``backward`` returns
the gradient of each input and overwrites ``grads`` in place.
"""
from __future__ import annotations


class Layer:
    """Base of every layer: ``params``, ``grads`` and the ``training`` mode, nothing more."""

    def __init__(self):
        self.params = []
        self.grads = []
        self.training = True

    def sublayers(self):
        """The layers this one is built from (attributes and lists of layers), in definition order, each once:
        a layer an attribute names again (a forward's cache holding the layer it ran) is not a second use."""
        found, seen = [], set()
        for value in vars(self).values():
            for v in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(v, Layer) and id(v) not in seen:
                    seen.add(id(v))
                    found.append(v)
        return found

    def walk(self):
        """This layer and, depth first, every layer inside it."""
        yield self
        for sub in self.sublayers():
            yield from sub.walk()

    def _require_forward(self, *names):
        """Raise a clear error when ``backward`` is called before ``forward``."""
        for name in names:
            if getattr(self, name, None) is None:
                raise RuntimeError(f"{type(self).__name__}.backward called before forward")

    def __repr__(self):
        shapes = ", ".join("x".join(map(str, p.shape)) for p in self.params)
        return f"{type(self).__name__}({shapes})"
