"""Named tuples that ops with several outputs return, like ``torch.return_types``.

``values, indices = x.max(dim=1)`` unpacks like a tuple; ``x.max(1).indices`` names a field.

>>> import shinsou as ss
>>> r = ss.tensor([[1.0, 5.0], [3.0, 2.0]]).max(dim=1)
>>> type(r).__name__, r.values, r.indices
('max', tensor([5., 3.]), tensor([1, 0]))
"""

from __future__ import annotations

from collections import namedtuple

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median"]


def _values_indices(name: str):
    cls = namedtuple(name, ["values", "indices"])
    cls.__module__ = __name__
    cls.__doc__ = f"What ``{name}`` returns: ``(values, indices)``, a named tuple."
    cls.__repr__ = lambda self: (
        f"shinsou.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"
    )
    return cls


max = _values_indices("max")  # noqa: A001
min = _values_indices("min")  # noqa: A001
sort = _values_indices("sort")
topk = _values_indices("topk")
kthvalue = _values_indices("kthvalue")
median = _values_indices("median")
