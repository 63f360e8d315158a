"""Array manipulation functions of ``chainer.functions`` (differentiable)."""

from __future__ import annotations

import numpy

from ...functional.ragged import pad_sequences, unpad_sequences
from ._core import T, V, arr, sf
from ..variable import Variable

__all__ = [
    "reshape",
    "transpose",
    "concat",
    "stack",
    "hstack",
    "vstack",
    "dstack",
    "split_axis",
    "separate",
    "broadcast_to",
    "broadcast",
    "expand_dims",
    "squeeze",
    "swapaxes",
    "rollaxis",
    "moveaxis",
    "flatten",
    "where",
    "pad",
    "tile",
    "repeat",
    "get_item",
    "cast",
    "select_item",
    "copy",
    "pad_sequence",
    "transpose_sequence",
    "flip",
    "fliplr",
    "flipud",
    "resize_images",
    "space2depth",
    "depth2space",
    "permutate",
    "diagonal",
]


def reshape(x, shape):
    """x with a new shape (one entry may be -1)."""
    if isinstance(shape, int):
        shape = (shape,)
    return V(sf.reshape(T(x), tuple(shape)))


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    t = T(x)
    if axes is None:
        axes = tuple(range(t.ndim))[::-1]
    return V(sf.permute(t, tuple(a % t.ndim for a in axes)) if t.ndim else t)


def concat(xs, axis=1):
    """Join along ``axis`` (axis 1 by default, as in Chainer)."""
    return V(sf.concat([T(x) for x in xs], dim=axis))


def stack(xs, axis=0):
    """Join along a new ``axis``."""
    return V(sf.stack([T(x) for x in xs], dim=axis))


def hstack(xs):
    """numpy.hstack: along axis 1 (axis 0 for 1-D inputs)."""
    ts = [T(x) for x in xs]
    return V(sf.concat(ts, dim=0 if ts[0].ndim == 1 else 1))


def vstack(xs):
    """numpy.vstack: along axis 0, 1-D inputs as rows."""
    ts = [T(x) for x in xs]
    ts = [t.reshape(1, -1) if t.ndim == 1 else t for t in ts]
    return V(sf.concat(ts, dim=0))


def dstack(xs):
    """numpy.dstack: along axis 2 (1-D (n,) as (1, n, 1), 2-D as (h, w, 1))."""
    out = []
    for t in (T(x) for x in xs):
        if t.ndim == 1:
            t = t.reshape(1, -1, 1)
        elif t.ndim == 2:
            t = t.reshape(t.shape + (1,))
        out.append(t)
    return V(sf.concat(out, dim=2))


def split_axis(x, indices_or_sections, axis, force_tuple=True):
    """Split along ``axis`` into equal sections (an int) or at the given indices, as
    ``numpy.split``; returns a tuple of Variables (one Variable if ``force_tuple`` is
    False and there is one piece)."""
    t = T(x)
    n = t.shape[axis]
    if isinstance(indices_or_sections, (int, numpy.integer)):
        k = int(indices_or_sections)
        if n % k:
            raise ValueError(
                f"split_axis: axis {axis} of size {n} does not divide into {k} sections"
            )
        sizes = [n // k] * k
    else:
        idx = [int(i) for i in arr(indices_or_sections)]
        bounds = [0] + [min(max(i, 0), n) for i in idx] + [n]
        sizes = [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
    pieces = sf.split(t, sizes, dim=axis) if len(sizes) > 1 else (t,)
    out = tuple(V(p) for p in pieces)
    if not force_tuple and len(out) == 1:
        return out[0]
    return out


def separate(x, axis=0):
    """The slices of x along ``axis``, as a tuple of Variables (the axis removed)."""
    t = T(x)
    return tuple(V(p) for p in sf.unbind(t, dim=axis))


def broadcast_to(x, shape):
    return V(sf.broadcast_to(T(x), tuple(shape)))


def broadcast(*args):
    """Broadcast the inputs to one shape; a tuple of Variables (one Variable for one input)."""
    ts = [T(a) for a in args]
    shape = numpy.broadcast_shapes(*[t.shape for t in ts])
    out = tuple(V(sf.broadcast_to(t, shape)) for t in ts)
    return out[0] if len(out) == 1 else out


def expand_dims(x, axis):
    return V(sf.unsqueeze(T(x), axis))


def squeeze(x, axis=None):
    """Drop size-1 axes (all, or those in ``axis``)."""
    t = T(x)
    if axis is None:
        return V(t.reshape(tuple(n for n in t.shape if n != 1)))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = {a % t.ndim for a in axes}
    for a in axes:
        if t.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {t.shape[a]}, not 1")
    return V(t.reshape(tuple(n for i, n in enumerate(t.shape) if i not in axes)))


def swapaxes(x, axis1, axis2):
    return V(sf.swapaxes(T(x), axis1, axis2))


def rollaxis(x, axis, start=0):
    """numpy.rollaxis: move ``axis`` to position ``start``."""
    t = T(x)
    n = t.ndim
    axis %= n
    if start < 0:
        start += n
    order = list(range(n))
    order.remove(axis)
    order.insert(start if start <= axis else start - 1, axis)
    return V(sf.permute(t, tuple(order)))


def moveaxis(x, source, destination):
    """numpy.moveaxis."""
    t = T(x)
    n = t.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [s % n for s in src]
    dst = [d % n for d in dst]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return V(sf.permute(t, tuple(order)))


def flatten(x):
    """x as a 1-D Variable (Chainer flattens everything, batch included)."""
    return V(T(x).reshape(-1))


def where(condition, x, y):
    """x where ``condition`` is true, else y (condition gets no gradient)."""
    c = arr(condition)
    xt, yt = T(x), T(y)
    return V(sf.where(T(c), xt, yt))


def pad(x, pad_width, mode="constant", **keywords):
    """numpy.pad of x: ``pad_width`` an int, a (before, after) pair or one pair per axis.
    Only ``mode='constant'`` (``constant_values``, default 0)."""
    if mode != "constant":
        raise ValueError(f"pad: shinsou.chainer supports mode='constant' only, got {mode!r}")
    t = T(x)
    value = keywords.get("constant_values", 0)
    widths = numpy.broadcast_to(numpy.asarray(pad_width, dtype=int), (t.ndim, 2))
    if numpy.ndim(value) != 0:
        raise ValueError("pad: only a scalar constant_values is supported")
    return V(sf.pad(t, [tuple(int(v) for v in w) for w in widths], value=float(value)))


def tile(x, reps):
    """numpy.tile."""
    t = T(x)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    if len(reps) < t.ndim:
        reps = (1,) * (t.ndim - len(reps)) + reps
    elif len(reps) > t.ndim:
        t = t.reshape((1,) * (len(reps) - t.ndim) + t.shape)
    return V(sf.repeat(t, *reps))


def repeat(x, repeats, axis=None):
    """numpy.repeat: each element ``repeats`` times along ``axis`` (None: flattened)."""
    t = T(x)
    if axis is None:
        t = t.reshape(-1)
        axis = 0
    axis %= t.ndim
    n = t.shape[axis]
    reps = numpy.broadcast_to(numpy.asarray(repeats, dtype=numpy.int64).reshape(-1), (n,))
    if (reps == reps[0]).all():
        r = int(reps[0]) if n else 0
        u = sf.unsqueeze(t, axis + 1)
        shape = t.shape[: axis + 1] + (r,) + t.shape[axis + 1 :]
        u = sf.broadcast_to(u, shape)
        return V(u.reshape(t.shape[:axis] + (n * r,) + t.shape[axis + 1 :]))
    index = numpy.repeat(numpy.arange(n), reps)
    return V(sf.index_select(t, axis, T(t.xp.asarray(index))))


def _index(i):
    if isinstance(i, Variable):
        return i.array
    if isinstance(i, tuple):
        return tuple(_index(k) for k in i)
    if isinstance(i, list):
        return numpy.asarray(i)
    return i


def get_item(x, slices):
    """x[slices] (basic and advanced indexing; integer-array indices are not differentiated)."""
    return V(sf.getitem(T(x), _index(slices)))


def cast(x, typ):
    """x as dtype ``typ`` (the gradient is cast back)."""
    t = T(x)
    if t.dtype == numpy.dtype(typ):
        return x if isinstance(x, Variable) else V(t)
    return V(sf.to_dtype(t, typ))


def select_item(x, t):
    """y[i] = x[i, t[i]] for x (N, C) and t (N,)."""
    xt = T(x)
    tt = arr(t)
    if xt.ndim != 2 or numpy.ndim(tt) != 1 or len(tt) != xt.shape[0]:
        raise ValueError(
            f"select_item: x must be (N, C) and t (N,), got {xt.shape} and {numpy.shape(tt)}"
        )
    idx = T(xt.xp.asarray(tt).astype(numpy.int64).reshape(-1, 1))
    return V(sf.gather(xt, 1, idx).reshape(-1))


def copy(x, dst):
    """x copied to device ``dst`` (an id, -1 for the CPU, or a device spec); the gradient
    comes back to x's device."""
    from ..backend import get_device

    t = T(x)
    if isinstance(dst, int) and not isinstance(dst, bool):
        dst = "@numpy" if dst < 0 else f"@cupy:{dst}"
    dev = get_device(dst)
    target = "cpu" if dev.xp is numpy else f"cuda:{dev.device_id}"
    return V(sf.to_device(t, target))


def pad_sequence(xs, length=None, padding=0):
    """Stack variable-length sequences (n_i, ...) into (B, length, ...), padding with
    ``padding``."""
    ts = [T(x) for x in xs]
    n = max(t.shape[0] for t in ts)
    if length is None:
        length = n
    elif length < n:
        raise ValueError(f"pad_sequence: length {length} is shorter than the longest sequence {n}")
    return V(pad_sequences(ts, length, float(padding)))  # one op for the whole batch


def transpose_sequence(xs):
    """Turn B sequences sorted by decreasing length (n_b, ...) into max(n) time steps
    (B_t, ...), B_t the number of sequences longer than t; a tuple of Variables."""
    ts = [T(x) for x in xs]
    if not ts:
        return ()
    lengths = [t.shape[0] for t in ts]
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise ValueError("transpose_sequence: the sequences must be sorted by decreasing length")
    # three ops whatever B and T: pad to (B, T, ...), swap to (T, B, ...), and cut step t's
    # first B_t rows (the sequences still running; sorted, so they come first)
    if lengths[0] == 0:
        return ()
    steps = pad_sequences(ts).transpose(0, 1)
    batch = [sum(1 for n in lengths if n > t) for t in range(lengths[0])]
    return tuple(V(s) for s in unpad_sequences(steps, batch))


def flip(x, axis):
    return V(sf.flip(T(x), (axis,)))


def fliplr(x):
    return V(sf.flip(T(x), (1,)))


def flipud(x):
    return V(sf.flip(T(x), (0,)))


def resize_images(x, output_shape, mode="bilinear", align_corners=True):
    """Resize (N, C, H, W) to output_shape = (OH, OW): bilinear with corners aligned
    (Chainer's default), or ``mode='nearest'``."""
    t = T(x)
    if mode == "bilinear":
        return V(
            sf.interpolate(
                t, size=tuple(output_shape), mode="bilinear", align_corners=align_corners
            )
        )
    if mode == "nearest":
        return V(sf.interpolate(t, size=tuple(output_shape), mode="nearest"))
    raise ValueError(f"resize_images: mode must be 'bilinear' or 'nearest', got {mode!r}")


def space2depth(X, r):
    """(N, C, H, W) → (N, C·r², H/r, W/r), blocks of r×r pixels to channels (Chainer's order)."""
    t = T(X)
    n, c, h, w = t.shape
    y = t.reshape(n, c, h // r, r, w // r, r)
    y = sf.permute(y, (0, 3, 5, 1, 2, 4))
    return V(y.reshape(n, r * r * c, h // r, w // r))


def depth2space(X, r):
    """(N, C·r², H, W) → (N, C, H·r, W·r), the inverse of ``space2depth``."""
    t = T(X)
    n, c, h, w = t.shape
    oc = c // (r * r)
    y = t.reshape(n, r, r, oc, h, w)
    y = sf.permute(y, (0, 3, 4, 1, 5, 2))
    return V(y.reshape(n, oc, h * r, w * r))


def permutate(x, indices, axis=0, inv=False):
    """x reordered along ``axis`` by ``indices`` (y[i] = x[indices[i]]; inverse with inv)."""
    t = T(x)
    idx = numpy.asarray(arr(indices)).astype(numpy.int64)
    if inv:
        idx = numpy.argsort(idx)
    return V(sf.index_select(t, axis, T(t.xp.asarray(idx))))


def diagonal(x, offset=0, axis1=0, axis2=1):
    """numpy.diagonal: the entries x[..., i, i + offset] of the (axis1, axis2) planes, as the
    last axis (differentiable)."""
    t = T(x)
    a1, a2 = axis1 % t.ndim, axis2 % t.ndim
    n1, n2 = t.shape[a1], t.shape[a2]
    n = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    i = numpy.arange(n)
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    rest = tuple(a for a in range(t.ndim) if a not in (a1, a2))
    moved = sf.permute(t, rest + (a1, a2))
    return V(sf.getitem(moved, (Ellipsis, r, c)))
