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
        """The layers this one is built from (attributes and lists of layers), in definition order."""
        found = []
        for value in vars(self).values():
            if isinstance(value, Layer):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                found.extend(v for v in value if isinstance(v, Layer))
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
