"""``default_collate``: turn a list of examples into one batch, the way PyTorch's
``torch.utils.data.default_collate`` does, recursing into dicts, tuples and lists."""

from __future__ import annotations

import collections.abc
from numbers import Number

import numpy as np

from ..core.tensor import Tensor

__all__ = ["default_collate"]


def default_collate(batch):
    """Collate a list of B examples into a batch.

    By the type of the first example's element:

    - Tensor or NumPy array (or NumPy scalar): stacked along a new axis 0 → an array of
      shape (B, ...); every example's element must have the same shape;
    - Python ``float`` → a float64 array (B,); ``int`` → int64; ``bool`` → bool
      (as PyTorch makes tensors of them);
    - ``str``/``bytes``: kept as a list of B strings;
    - dict (any Mapping): a dict with the same keys, each collated on its own;
    - namedtuple: the same namedtuple type with each field collated;
    - tuple: a tuple of the collated positions (PyTorch returns a list here; a tuple keeps
      ``x, t = batch`` unpacking and the DataLoader's tuple batches); list: a list.
      Every example must have the same length.

    The leaves are NumPy arrays; the DataLoader turns them into Tensors (``as_tensor=True``).
    Ragged elements (sequences of different lengths) raise a ValueError that names where
    they are (e.g. ``['tokens']``) and their shapes: pad them with ``pad_sequence`` in a
    ``collate_fn`` or use a ``BucketBatchSampler``.

    >>> b = default_collate([{"x": np.zeros(3), "y": 1, "name": "a"},
    ...                      {"x": np.ones(3), "y": 0, "name": "b"}])
    >>> b["x"].shape, b["y"], b["name"]
    ((2, 3), array([1, 0]), ['a', 'b'])
    >>> [a.shape for a in default_collate([(np.zeros(2), 0.5), (np.ones(2), 1.5)])]
    [(2, 2), (2,)]
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, str | bytes):
        raise TypeError(f"default_collate: expected a list of examples, got {type(batch).__name__}")
    if len(batch) == 0:
        raise ValueError("default_collate: empty batch")
    return _collate(list(batch), "")


def _collate(batch: list, where: str):
    elem = batch[0]
    at = f" at {where}" if where else ""
    if isinstance(elem, str | bytes):  # before arrays: np.str_ is a NumPy scalar too
        return list(batch)
    if isinstance(elem, Tensor | np.ndarray | np.generic):
        arrays = []
        for e in batch:
            if isinstance(e, Tensor):
                e = e.numpy()
            elif not isinstance(e, np.ndarray | np.generic):
                raise TypeError(
                    f"default_collate: mixed element types{at}: {type(elem).__name__} and "
                    f"{type(e).__name__}"
                )
            arrays.append(np.asarray(e))
        if arrays[0].dtype.kind in "OUS":
            raise TypeError(
                f"default_collate: arrays of dtype {arrays[0].dtype}{at} cannot be batched"
            )
        shapes = [a.shape for a in arrays]
        if any(s != shapes[0] for s in shapes):
            distinct = sorted(set(shapes))
            raise ValueError(
                f"default_collate: the elements{at} have different shapes {distinct[:6]}"
                f"{' ...' if len(distinct) > 6 else ''} and cannot be stacked; pad them "
                "(collate_fn with shinsou.data.pad_sequence) or batch similar lengths "
                "(BucketBatchSampler)"
            )
        return np.stack(arrays)
    if isinstance(elem, bool):
        return np.array(batch, dtype=bool)
    if isinstance(elem, int):
        return np.array(batch, dtype=np.int64)
    if isinstance(elem, float):
        return np.array(batch, dtype=np.float64)
    if isinstance(elem, collections.abc.Mapping):
        for e in batch:
            if not isinstance(e, collections.abc.Mapping) or e.keys() != elem.keys():
                raise ValueError(
                    f"default_collate: the examples{at} are dicts with different keys: "
                    f"{sorted(map(str, elem))} and "
                    f"{sorted(map(str, e)) if isinstance(e, collections.abc.Mapping) else e!r}"
                )
        out = {k: _collate([e[k] for e in batch], f"{where}[{k!r}]") for k in elem}
        try:
            return type(elem)(out)
        except TypeError:  # a Mapping type that cannot be built from a dict
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(
            *(_collate(list(s), f"{where}.{f}") for f, s in zip(elem._fields, zip(*batch)))
        )
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(e) != n for e in batch):
            lengths = sorted({len(e) for e in batch})
            raise ValueError(
                f"default_collate: the examples{at} are sequences of different lengths "
                f"{lengths}; each element in the batch should have the same length"
            )
        parts = [_collate(list(s), f"{where}[{i}]") for i, s in enumerate(zip(*batch))]
        return tuple(parts) if isinstance(elem, tuple) else parts
    if isinstance(elem, Number):  # other numbers (Fraction, Decimal...)
        return np.array([float(e) for e in batch])
    raise TypeError(
        f"default_collate: cannot batch elements of type {type(elem).__name__}{at}; "
        "pass a collate_fn"
    )
