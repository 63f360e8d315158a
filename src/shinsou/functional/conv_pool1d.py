"""1-D convolution and pooling over (N, C, L) sequences, through the 2-D ops with a unit
height: (N, C, L) is viewed as (N, C, 1, L) and the kernel as (1, K), so these share the 2-D
ops' kernels, checks and (double) backward."""

from __future__ import annotations

from ..core.tensor import Tensor
from ._convert import as_tensor
from .conv import conv2d
from .pooling import avg_pool2d, max_pool2d

__all__ = ["conv1d", "max_pool1d", "avg_pool1d"]


def _single(v, name: str, what: str) -> int:
    """An int or a 1-tuple as an int."""
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{name}: {what} must be an int or a 1-tuple, got {v!r}")
        v = v[0]
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError(f"{name}: {what} must be an int, got {v!r}")
    return int(v)


def _as_ncl(name: str, x) -> tuple[Tensor, bool]:
    x = as_tensor(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"{name}: expected input (N, C, L) or (C, L), got {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
    unbatched = x.ndim == 2
    return (x.reshape((1,) + x.shape) if unbatched else x), unbatched


def _to_4d(x: Tensor) -> Tensor:
    n, c, length = x.shape
    return x.reshape(n, c, 1, length)


def _from_4d(y: Tensor, unbatched: bool) -> Tensor:
    n, c, _, length = y.shape
    return y.reshape(c, length) if unbatched else y.reshape(n, c, length)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) over (N, C_in, L):

        y[n, o, t] = b[o] + Σ_{c, k} W[o, c, k] · x_pad[n, g·C_g + c, t·s + k·d]

    with g the group of output channel o, C_g = C_in/groups and
    L_out = ⌊(L + 2p - d·(K-1) - 1)/s⌋ + 1.

    Args:
        x: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_out, C_in/groups, K).
        bias: (C_out,) or None.
        stride, dilation: int >= 1; padding: int, "valid" or "same" (stride 1).
        groups: independent channel groups.
    Returns:
        (N, C_out, L_out) (or (C_out, L_out)).

    >>> F.conv1d(ss.tensor([[[1.0, 2.0, 3.0, 4.0]]]), ss.tensor([[[1.0, -1.0]]])).tolist()
    [[[-1.0, -1.0, -1.0]]]
    """
    name = "conv1d"
    x, unbatched = _as_ncl(name, x)
    weight = as_tensor(weight)
    if weight.ndim != 3:
        raise ValueError(f"{name}: expected weight (C_out, C_in/groups, K), got {weight.shape}")
    s = _single(stride, name, "stride")
    d = _single(dilation, name, "dilation")
    p = padding if isinstance(padding, str) else (0, _single(padding, name, "padding"))
    w4 = weight.reshape(weight.shape[0], weight.shape[1], 1, weight.shape[2])
    y = conv2d(_to_4d(x), w4, bias, (1, s), p, (1, d), groups)
    return _from_4d(y, unbatched)


def max_pool1d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """1-D max pooling: y[n, c, t] = max_{k<K} x_pad[n, c, t·s + k·d] (x_pad padded with
    -inf); the gradient goes to each window's (first) maximum.

    Args:
        x: (N, C, L) or (C, L).
        kernel_size: K; stride: defaults to K; padding: at most K/2; dilation: tap spacing.
        ceil_mode: round L_out up; return_indices: also return the argmax positions in L.
    Returns:
        (N, C, L_out), L_out = ⌊(L + 2p - d(K-1) - 1)/s⌋ + 1; with indices, (y, indices).

    >>> F.max_pool1d(ss.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[3.0, 2.0]]]
    """
    name = "max_pool1d"
    x, unbatched = _as_ncl(name, x)
    k = _single(kernel_size, name, "kernel_size")
    s = k if stride is None else _single(stride, name, "stride")
    p = _single(padding, name, "padding")
    d = _single(dilation, name, "dilation")
    out = max_pool2d(_to_4d(x), (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices)
    if return_indices:
        y, idx = out
        return _from_4d(y, unbatched), _from_4d(idx, unbatched)
    return _from_4d(out, unbatched)


def avg_pool1d(
    x, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad=True
) -> Tensor:
    """1-D average pooling: y[n, c, t] = (1/D) Σ_{k<K} x_pad[n, c, t·s + k] (zero padding),
    D = K, or with ``count_include_pad=False`` the number of in-bounds taps (PyTorch's rule).

    Args:
        x: (N, C, L) or (C, L).
        kernel_size: K; stride: defaults to K; padding: at most K/2.
    Returns:
        (N, C, L_out), L_out = ⌊(L + 2p - K)/s⌋ + 1 (ceil in ceil_mode).

    >>> F.avg_pool1d(ss.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    name = "avg_pool1d"
    x, unbatched = _as_ncl(name, x)
    k = _single(kernel_size, name, "kernel_size")
    s = k if stride is None else _single(stride, name, "stride")
    p = _single(padding, name, "padding")
    y = avg_pool2d(_to_4d(x), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return _from_4d(y, unbatched)
