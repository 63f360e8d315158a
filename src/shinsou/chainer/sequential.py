"""``chainer.Sequential``: links and plain functions called one after another.

``Sequential(L.Linear(784, 100), F.relu, L.Linear(100, 10))(x)`` applies each layer to the
previous output (a tuple output is passed as several arguments). Only the Links are children
(they own the parameters); functions are kept in the layer list only.

Chainer 7 numbers the child links in an order of its own when more than two links are
appended (it inserts each new link right after the *first* link of the list, not the last).
The parameter paths (``/0/W``, ``/1/W``, ...) of files saved by Chainer depend on it, so it
is kept here as is, for ``save_npz``/``load_npz`` compatibility:

>>> import shinsou.chainer as chainer
>>> import shinsou.chainer.links as L
>>> s = chainer.Sequential(L.Linear(2, 3), L.Linear(3, 4), L.Linear(4, 5))
>>> [(name, p.shape) for name, p in s.namedparams() if name.endswith("W")]
[('/0/W', (3, 2)), ('/1/W', (5, 4)), ('/2/W', (4, 3))]
"""

from __future__ import annotations

from .link import ChainList, Link

__all__ = ["Sequential"]


class Sequential(ChainList):
    """A chain of layers (Links or callables), applied in order."""

    def __init__(self, *layers):
        super().__init__()
        self.__dict__["_layers"] = []
        for layer in layers:
            self.append(layer)

    def __len__(self):
        return len(self._layers)

    def __getitem__(self, i):
        return self._layers[i]

    def __setitem__(self, i, layer):
        if i >= len(self):
            raise ValueError(f"{i} should be less than {len(self)}")
        if not callable(layer):
            raise ValueError(f"all elements of a Sequential must be callable, got {layer!r}")
        if self._layers[i] is not layer:
            del self[i]
            self.insert(i, layer)

    def __delitem__(self, i):
        layer = self._layers.pop(i)
        if isinstance(layer, Link):
            for k, link in enumerate(self._children):
                if link.name == layer.name:
                    del self._children[k]
                    break
            for j, child in enumerate(self._children[k:]):
                child.name = str(k + j)

    def __iter__(self):
        return iter(self._layers)

    def __reversed__(self):
        return reversed(self._layers)

    def __contains__(self, item):
        return any(item is layer for layer in self._layers)

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"Sequential + supports only Sequential, got {type(other).__name__}")
        ret = Sequential()
        for layer in list(self) + list(other):
            ret.append(layer)
        return ret

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"Sequential += supports only Sequential, got {type(other).__name__}")
        for layer in list(other):
            self.append(layer)
        return self

    def forward(self, *x):
        if not self._layers:
            raise RuntimeError("Sequential does not have any layer")
        for layer in self._layers:
            x = layer(*x) if isinstance(x, tuple) else layer(x)
        return x

    def append(self, layer):
        self.insert(len(self), layer)

    def extend(self, sequential):
        for layer in list(sequential):
            self.append(layer)

    def insert(self, i, layer):
        n = len(self._layers)
        if not -n <= i < n + 1:
            raise IndexError(f"Sequential.insert: index out of range: {i}")
        if i < 0:
            i += n
        if not callable(layer):
            raise ValueError(f"all elements of a Sequential must be callable, got {layer!r}")
        self._layers.insert(i, layer)
        if isinstance(layer, Link):
            if i == 0:
                self._children.insert(0, layer)
            else:
                # Chainer 7's placement: after the first Link before position i
                first = 0
                for j in range(i - 1, -1, -1):
                    if isinstance(self._layers[j], Link):
                        first = j
                self._children.insert(first + 1, layer)
            for k, child in enumerate(self._children):
                child.name = str(k)

    def remove(self, layer):
        for k, item in enumerate(self._layers):
            if item is layer:
                del self[k]
                return
        raise ValueError(f"Sequential.remove: there is no layer {layer!r}")

    def remove_by_layer_type(self, type_name):
        for layer in list(self._layers):
            name = (
                type(layer).__name__ if isinstance(layer, Link) else getattr(layer, "__name__", "")
            )
            if name == type_name:
                self.remove(layer)

    def pop(self, i=-1):
        layer = self._layers[i]
        del self[i]
        return layer

    def clear(self):
        for _ in range(len(self)):
            self.pop()

    def index(self, layer):
        for k, item in enumerate(self._layers):
            if item is layer:
                return k
        raise ValueError("Sequential.index: the layer is not in the Sequential")

    def count(self, layer):
        return sum(1 for item in self._layers if item is layer)

    def count_by_layer_type(self, type_name):
        n = 0
        for layer in self._layers:
            name = (
                type(layer).__name__ if isinstance(layer, Link) else getattr(layer, "__name__", "")
            )
            n += name == type_name
        return n

    def copy(self, mode="share"):
        ret = Sequential()
        for layer in self._layers:
            ret.append(layer.copy(mode) if isinstance(layer, Link) else layer)
        return ret

    def flatten(self):
        """A Sequential with nested Sequentials expanded in place."""
        ret = Sequential()
        for layer in self._layers:
            if isinstance(layer, Sequential):
                ret.extend(layer.flatten())
            else:
                ret.append(layer)
        return ret

    def __str__(self):
        lines = []
        for i, layer in enumerate(self._layers):
            for line in f"({i}): {layer},".splitlines():
                lines.append(f"  {line}\n")
        body = "".join(lines)
        return f"{type(self).__name__}({chr(10) + body if body else ''})"
