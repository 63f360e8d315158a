"""``chainer.dataset.convert``: turning a list of examples into batched arrays on a device.

``concat_examples`` is Chainer's default converter: a list of tuples of arrays becomes a tuple
of arrays with a new leading batch axis (dicts likewise; plain arrays become one array),
optionally padded to a common shape, and sent to a device.
"""

from __future__ import annotations

import numpy

from ...backend import Device as _ShinsouDevice
from ...backend import to_device_array

try:  # CuPy is optional
    import cupy as _cupy  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the machine
    _cupy = None

__all__ = ["Converter", "concat_examples", "concat_examples_func", "converter", "to_device"]


def _array_types():
    return (numpy.ndarray,) if _cupy is None else (numpy.ndarray, _cupy.ndarray)


class _Device:
    """A Chainer-style device (``xp``, ``send``), used when chainer.backend gives none."""

    def __init__(self, device: _ShinsouDevice):
        self.device = device

    @property
    def xp(self):
        return self.device.xp

    def send(self, arrays):
        """Copy an array, or the arrays in nested tuples/lists/dicts, to this device."""
        if isinstance(arrays, tuple | list):
            return type(arrays)(self.send(a) for a in arrays)
        if isinstance(arrays, dict):
            return {k: self.send(v) for k, v in arrays.items()}
        if isinstance(arrays, _array_types()):
            return to_device_array(arrays, self.device)
        return arrays

    def __eq__(self, other):
        return isinstance(other, _Device) and self.device == other.device

    def __hash__(self):
        return hash(self.device)

    def __repr__(self):
        return "<CpuDevice (numpy)>" if self.device.type == "cpu" else f"<GpuDevice {self.device}>"


def _get_device(spec):
    """A device object with ``xp`` and ``send`` from a Chainer device specifier, or None.

    Accepted: None (leave arrays where they are), a device object (anything with ``send``),
    a negative int (CPU), an int >= 0 (that CUDA GPU), ``"@numpy"``, ``"@cupy:N"``, the
    ``numpy`` module. chainer.backend's ``get_device`` is used when shinsou.chainer has it.
    """
    if spec is None:
        return None
    if hasattr(spec, "send") and hasattr(spec, "xp"):
        return spec
    try:
        from .. import backend as chainer_backend  # chainer-core's module, when present

        return chainer_backend.get_device(spec)
    except (ImportError, AttributeError):
        pass
    if spec is numpy or spec == "@numpy":
        return _Device(_ShinsouDevice("cpu"))
    if isinstance(spec, int | numpy.integer) and not isinstance(spec, bool):
        return _Device(_ShinsouDevice("cpu") if spec < 0 else _ShinsouDevice("cuda", int(spec)))
    if isinstance(spec, str) and spec.startswith("@cupy:") and spec[6:].isdigit():
        return _Device(_ShinsouDevice("cuda", int(spec[6:])))
    raise ValueError(
        f"chainer.dataset: invalid device specifier {spec!r}; expected None, an int (negative "
        "for CPU, N for GPU N), '@numpy', '@cupy:N' or a chainer.backend.Device"
    )


def to_device(device, x):
    """Send the array ``x`` to ``device``.

    Args:
        device: None (``x`` is returned as it is), a negative int (CPU), an int >= 0 (that GPU),
            ``"@numpy"``, ``"@cupy:N"`` or a device object.
        x: an array (NumPy or CuPy).

    Returns:
        The array on the device (the same object when it is already there).

    >>> a = numpy.arange(3)
    >>> to_device(None, a) is a, to_device(-1, a) is a
    (True, True)
    """
    device = _get_device(device)
    if device is None:
        return x
    return device.send(x)


class Converter:
    """Base of converters: ``converter(batch, device)`` gives the batch as arrays on the device.

    Subclasses override ``__call__``; the decorator :func:`converter` turns a function into one.
    """

    def __call__(self, batch, device):
        raise NotImplementedError(f"{type(self).__name__} (a Converter) must define __call__")


class _ArbitraryCallableConverter(Converter):
    """A converter wrapping a function; the device argument (2nd positional or ``device=``) is
    turned into a device object (or None) before the call."""

    def __init__(self, base_callable):
        if not callable(base_callable):
            raise TypeError(f"converter: can only wrap a callable, got {type(base_callable)}")
        self.base_callable = base_callable
        self.__doc__ = base_callable.__doc__
        self.__wrapped__ = base_callable

    def __call__(self, *args, **kwargs):
        if len(args) >= 2:
            args = list(args)
            args[1] = _get_device(args[1])
        elif "device" in kwargs:
            kwargs["device"] = _get_device(kwargs["device"])
        return self.base_callable(*args, **kwargs)

    def __repr__(self):
        return f"<converter {getattr(self.base_callable, '__name__', self.base_callable)}>"


def converter():
    """Decorator that makes a converter function a :class:`Converter`.

    The function takes ``(batch, device)``; ``device`` arrives as a device object with ``xp``
    and ``send`` (or None), also when the caller passes an int such as ``-1`` or ``0``.

    >>> @converter()
    ... def first_only(batch, device):
    ...     return to_device(device, numpy.asarray([b[0] for b in batch]))
    >>> first_only([(1, 2), (3, 4)], -1)
    array([1, 3])
    """

    def wrap(func):
        return _ArbitraryCallableConverter(func)

    return wrap


def concat_examples_func(batch, device=None, padding=None):
    """Concatenate a list of examples into arrays with a leading batch axis.

    For examples that are tuples ``(x_i, y_i)`` the result is the tuple
    ``(stack(x_i), stack(y_i))``; for dicts, a dict of stacked values; for arrays, one stacked
    array. Non-array elements (Python numbers, lists, NumPy scalars) go through
    ``numpy.asarray`` first. With ``padding`` (a scalar, or a tuple/dict of per-element values,
    None for "no padding" there) examples of different shapes are placed at the start of an
    array of the elementwise-maximum shape, filled with the padding value: for 1-D examples of
    lengths ``L_i``, the result has shape ``(B, max_i L_i)``.

    Args:
        batch: a non-empty list of examples (tuples, dicts or arrays), as iterators give.
        device: where to send the arrays (see :func:`to_device`); None leaves them.
        padding: None (shapes must agree), or the padding value(s).

    Returns:
        An array, a tuple of arrays or a dict of arrays, like the examples.

    Raises:
        ValueError: the batch is empty, or shapes differ without padding.

    >>> concat_examples([(numpy.array([1, 2]), 0), (numpy.array([3]), 1)], padding=-1)
    (array([[ 1,  2],
           [ 3, -1]]), array([0, 1]))
    """
    if len(batch) == 0:
        raise ValueError("concat_examples: the batch is empty (expected a list of examples)")
    first = batch[0]
    if isinstance(first, tuple):
        if not isinstance(padding, tuple):
            padding = [padding] * len(first)
        return tuple(
            to_device(device, _concat_arrays([example[i] for example in batch], padding[i]))
            for i in range(len(first))
        )
    if isinstance(first, dict):
        if not isinstance(padding, dict):
            padding = {key: padding for key in first}
        return {
            key: to_device(device, _concat_arrays([ex[key] for ex in batch], padding[key]))
            for key in first
        }
    return to_device(device, _concat_arrays(batch, padding))


def _xp_of(array):
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return numpy


def _concat_arrays(arrays, padding):
    if not isinstance(arrays[0], _array_types()):
        arrays = numpy.asarray(arrays)
    if padding is not None:
        return _concat_arrays_with_padding(arrays, padding)
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            "concat_examples: examples have different shapes "
            f"{sorted(shapes, key=str)[:4]}; pass padding= to pad them to a common shape"
        )
    xp = _xp_of(arrays[0])
    return xp.concatenate([a[None] for a in arrays])


def _concat_arrays_with_padding(arrays, padding):
    ndims = {a.ndim for a in arrays}
    if len(ndims) > 1:
        raise ValueError(
            f"concat_examples: cannot pad examples with different numbers of axes {sorted(ndims)}"
        )
    shape = numpy.array(arrays[0].shape, dtype=int)
    for a in arrays[1:]:
        numpy.maximum(shape, numpy.array(a.shape, dtype=int), out=shape)
    xp = _xp_of(arrays[0])
    result = xp.full((len(arrays), *shape.tolist()), padding, dtype=arrays[0].dtype)
    for i, a in enumerate(arrays):
        result[(i, *(slice(d) for d in a.shape))] = a
    return result


# Chainer's concat_examples is a Converter instance (it takes int devices as well as objects).
concat_examples = _ArbitraryCallableConverter(concat_examples_func)
