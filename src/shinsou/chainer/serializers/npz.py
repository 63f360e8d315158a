"""NPZ (de)serialization compatible with Chainer 7's ``chainer.serializers.npz``.

>>> import io
>>> import numpy as np
>>> import shinsou.chainer.links as L
>>> from shinsou.chainer import serializers
>>> src, dst = L.Linear(3, 2), L.Linear(3, 2)
>>> buf = io.BytesIO()
>>> serializers.save_npz(buf, src)
>>> _ = buf.seek(0)
>>> serializers.load_npz(buf, dst)
>>> bool((dst.W.array == src.W.array).all())
True
"""

from __future__ import annotations

import numpy

from .._graph import ARRAY_TYPES
from ..serializer import Deserializer, Serializer

__all__ = ["DictionarySerializer", "NpzDeserializer", "save_npz", "load_npz", "serialize"]


def _to_cpu(value):
    from ..backend import _send

    if isinstance(value, ARRAY_TYPES):
        return _send(value, numpy)
    return numpy.asarray(value)


class DictionarySerializer(Serializer):
    """Flattens an object into ``target``: a dict from paths (``l1/W``) to arrays."""

    def __init__(self, target=None, path=""):
        self.target = {} if target is None else target
        self.path = path

    def __getitem__(self, key):
        return DictionarySerializer(self.target, self.path + key.strip("/") + "/")

    def __call__(self, key, value):
        key = key.lstrip("/")
        self.target[self.path + key] = _to_cpu(value) if value is not None else numpy.asarray(None)
        return value


def serialize(obj):
    """The flat dict of ``obj``'s values (what ``save_npz`` writes)."""
    s = DictionarySerializer()
    s.save(obj)
    return s.target


def save_npz(file, obj, compression=True):
    """Save ``obj`` (a Link, an optimizer, ... or a dict of arrays) to ``file`` (.npz)."""
    if isinstance(file, str) or hasattr(file, "__fspath__"):
        with open(file, "wb") as f:
            save_npz(f, obj, compression)
        return
    target = obj if isinstance(obj, dict) else serialize(obj)
    if compression:
        numpy.savez_compressed(file, **target)
    else:
        numpy.savez(file, **target)


class NpzDeserializer(Deserializer):
    """Reads values from an opened npz (``numpy.load``) into an object.

    Args:
        npz: the opened file (a mapping from paths to arrays).
        path: the path the object's values lie under.
        strict: a missing key is an error (else it is skipped).
        ignore_names: a name, a callable ``f(name) -> bool``, or a list of them: values not
            to load.
    """

    def __init__(self, npz, path="", strict=True, ignore_names=None):
        self.npz = npz
        self.path = path
        self.strict = strict
        self.ignore_names = [] if ignore_names is None else ignore_names

    def __getitem__(self, key):
        return NpzDeserializer(
            self.npz, self.path + key.strip("/") + "/", self.strict, self.ignore_names
        )

    def __call__(self, key, value):
        key = self.path + key.lstrip("/")
        if not self.strict and key not in self.npz:
            return value
        names = self.ignore_names
        if not isinstance(names, (tuple, list)):
            names = (names,)
        for name in names:
            if isinstance(name, str):
                if key == name:
                    return value
            elif callable(name):
                if name(key):
                    return value
            else:
                raise ValueError("ignore_names must be a string, a callable or a list of them")
        try:
            dataset = self.npz[key]
        except KeyError:
            raise KeyError(f"load_npz: {key!r} is not in the file") from None
        if dataset.dtype == object and dataset.shape == () and dataset[()] is None:
            return None
        if value is None:
            return dataset
        if isinstance(value, numpy.ndarray):
            if value.shape != dataset.shape:
                raise ValueError(
                    f"load_npz: {key} has shape {dataset.shape} in the file, but the target "
                    f"has shape {value.shape}"
                )
            numpy.copyto(value, dataset)
            return value
        if isinstance(value, ARRAY_TYPES):  # cupy
            value.set(numpy.asarray(dataset, dtype=value.dtype))
            return value
        arr = numpy.asarray(dataset)
        vtype = type(value)
        if (
            issubclass(arr.dtype.type, numpy.number)
            and not (issubclass(arr.dtype.type, numpy.integer) and vtype is int)
            and not numpy.can_cast(arr.dtype, vtype, casting="safe")
        ):
            raise TypeError(
                f"Cannot safely deserialize from numpy array with dtype={arr.dtype} into a "
                f"variable of type {vtype}."
            )
        return vtype(arr)


def load_npz(file, obj, path="", strict=True, ignore_names=None):
    """Load ``obj`` from an .npz written by ``save_npz`` (here or in Chainer)."""
    with numpy.load(file, allow_pickle=True) as f:
        NpzDeserializer(f, path=path, strict=strict, ignore_names=ignore_names).load(obj)
