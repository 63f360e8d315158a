"""Tensor factories: zeros, ones, full, empty, arange, linspace, logspace, eye, the random
ones (rand, randn, randint, randperm, multinomial, bernoulli, normal) and the *_like forms.

All follow PyTorch's signatures and dtype rules; the random ones draw from shinsou's seeded
generator (``ss.manual_seed``, ``shinsou.random.get_rng``)."""

from __future__ import annotations

import numpy as np

from .backend import Device
from .core.function import Function
from .core.tensor import Tensor, default_float_dtype
from .random import get_rng

__all__ = [
    "zeros",
    "ones",
    "full",
    "arange",
    "eye",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "from_numpy",
    # prims-math
    "empty",
    "linspace",
    "logspace",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "randperm",
    "multinomial",
    "bernoulli",
    "normal",
]


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _make(arr, requires_grad):
    t = Tensor._from_op(arr, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype``)."""
    xp = Device(device).xp
    return _make(xp.zeros(_shape(shape), dtype=dtype or default_float_dtype), requires_grad)


def ones(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """A tensor of ones."""
    xp = Device(device).xp
    return _make(xp.ones(_shape(shape), dtype=dtype or default_float_dtype), requires_grad)


def full(shape, fill_value, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """A tensor of shape ``shape`` filled with ``fill_value``.

    Without ``dtype`` the value decides, as in PyTorch: a bool gives bool, an int int64,
    a float float32.

    >>> ss.full((2,), 7).dtype, ss.full((2,), 7.0).dtype, ss.full((2,), True).dtype
    (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    xp = Device(device).xp
    if isinstance(shape, int):
        shape = (shape,)
    dt = dtype or _scalar_dtype(fill_value)
    return _make(xp.full(tuple(shape), fill_value, dtype=dt), requires_grad)


def _scalar_dtype(value):
    """PyTorch's dtype for a Python scalar: bool, int64 or the default float."""
    if isinstance(value, (bool, np.bool_)):
        return np.bool_
    if isinstance(value, (int, np.integer)):
        return np.int64
    return default_float_dtype


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros with ``t``'s shape, and its dtype and device unless given.

    >>> ss.zeros_like(ss.tensor([1, 2]))
    tensor([0, 0])
    """
    xp = _like_xp(t, device)
    return _make(xp.zeros(t.shape, dtype=dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones with ``t``'s shape, and its dtype and device unless given.

    >>> ss.ones_like(ss.zeros(2, dtype="float64"))
    tensor([1., 1.], dtype=float64)
    """
    xp = _like_xp(t, device)
    return _make(xp.ones(t.shape, dtype=dtype or t.dtype), requires_grad)


def _like_xp(t: Tensor, device):
    if not isinstance(t, Tensor):
        raise TypeError(f"*_like: expected a Tensor to take the shape from, got {type(t).__name__}")
    return t.xp if device is None else Device(device).xp


def arange(start, end=None, step=1, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """Values start, start + step, ... up to but not including ``end`` (``torch.arange``):
    ceil((end - start) / step) of them. ``arange(n)`` counts 0 .. n-1.

    Without ``dtype``: int64 if start, end and step are all ints, else float32 (PyTorch's
    rule; NumPy would give float64).

    >>> ss.arange(4), ss.arange(1, 2.5, 0.5)
    (tensor([0, 1, 2, 3]), tensor([1. , 1.5, 2. ]))
    """
    xp = Device(device).xp
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: the range from {start} to {end} cannot be walked with step {step}"
        )
    if dtype is None:
        ints = all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, end, step)
        )
        dtype = np.int64 if ints else default_float_dtype
    # the values in float64 (or exact integers), then cast: float32 arange would drift
    n = int(np.ceil((end - start) / step))
    if np.dtype(dtype).kind in "iu":
        arr = xp.arange(start, end, step).astype(dtype)
    else:
        arr = (start + xp.arange(n, dtype=np.float64) * step).astype(dtype)
    return _make(arr, requires_grad)


def eye(n, m=None, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """Identity matrix (n, m): ones on the main diagonal (m = n when not given).

    >>> ss.eye(2, 3)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    xp = Device(device).xp
    return _make(xp.eye(n, m, dtype=dtype or default_float_dtype), requires_grad)


def rand(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1) from shinsou's seeded generator."""
    xp = Device(device).xp
    dt = np.dtype(dtype or default_float_dtype)
    return _make(get_rng(xp).random(_shape(shape), dtype=dt), requires_grad)


def randn(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """Standard normal samples from shinsou's seeded generator."""
    xp = Device(device).xp
    dt = np.dtype(dtype or default_float_dtype)
    return _make(get_rng(xp).standard_normal(_shape(shape), dtype=dt), requires_grad)


def randint(low, high, shape, device="cpu") -> Tensor:
    """Random integers in [low, high) (int64)."""
    xp = Device(device).xp
    return _make(get_rng(xp).integers(low, high, size=tuple(shape)), False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with a NumPy array (no copy)."""
    return Tensor._from_op(array, None)


# ---------------------------------------------------------------- more factories (prims-math)
def empty(*size, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """An uninitialised tensor (its values are whatever memory held: fill it before use).

    >>> ss.empty(2, 3).shape
    (2, 3)
    """
    xp = Device(device).xp
    return _make(xp.empty(_shape(size), dtype=dtype or default_float_dtype), requires_grad)


def _check_steps(name, steps):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{name}: steps must be a non-negative int, got {steps!r}")


def linspace(start, end, steps, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included:
    x_i = start + i (end - start) / (steps - 1) (``torch.linspace``; float32 by default).

    >>> ss.linspace(0, 1, 5)
    tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    _check_steps("linspace", steps)
    xp = Device(device).xp
    arr = xp.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _make(arr.astype(dtype or default_float_dtype), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device="cpu", requires_grad=False):
    """``steps`` values from base^start to base^end, evenly spaced in the exponent:
    x_i = base^(start + i (end - start) / (steps - 1)) (``torch.logspace``).

    >>> ss.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    _check_steps("logspace", steps)
    xp = Device(device).xp
    arr = float(base) ** xp.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _make(arr.astype(dtype or default_float_dtype), requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``t``'s shape filled with ``fill_value``, in ``t``'s dtype and device unless given.

    >>> ss.full_like(ss.zeros(2), 3)
    tensor([3., 3.])
    """
    xp = _like_xp(t, device)
    return _make(xp.full(t.shape, fill_value, dtype=dtype or t.dtype), requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor with ``t``'s shape (and dtype and device unless given).

    >>> ss.empty_like(ss.zeros(2, 3)).shape
    (2, 3)
    """
    xp = _like_xp(t, device)
    return _make(xp.empty(t.shape, dtype=dtype or t.dtype), requires_grad)


def _float_dtype(name, dtype):
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{name}: needs a floating-point dtype, got {dt}")
    return dt


def rand_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1) with ``t``'s shape, dtype and device (unless given).

    >>> ss.manual_seed(0); u = ss.rand_like(ss.zeros(100)); bool((u >= 0).all() and (u < 1).all())
    True
    """
    xp = _like_xp(t, device)
    dt = _float_dtype("rand_like", dtype or t.dtype)
    return _make(get_rng(xp).random(t.shape, dtype=dt), requires_grad)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples N(0, 1) with ``t``'s shape, dtype and device (unless given).

    >>> ss.randn_like(ss.zeros(2, 3, dtype="float64")).dtype
    dtype('float64')
    """
    xp = _like_xp(t, device)
    dt = _float_dtype("randn_like", dtype or t.dtype)
    return _make(get_rng(xp).standard_normal(t.shape, dtype=dt), requires_grad)


def randint_like(t: Tensor, low=0, high=None, dtype=None, device=None, requires_grad=False):
    """Random integers in [low, high) with ``t``'s shape, in ``t``'s dtype (so a float
    tensor gives whole-number floats, as in PyTorch) unless given. ``randint_like(t, high)``
    draws from [0, high).

    >>> ss.manual_seed(0); x = ss.randint_like(ss.zeros(3), 5); x.dtype
    dtype('float32')
    """
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint_like: need low < high, got low={low}, high={high}")
    xp = _like_xp(t, device)
    arr = get_rng(xp).integers(low, high, size=t.shape)
    return _make(arr.astype(dtype or t.dtype), requires_grad)


def randperm(n, dtype=np.int64, device="cpu", requires_grad=False) -> Tensor:
    """A random permutation of 0 .. n-1 (``torch.randperm``), from shinsou's seeded generator.

    >>> ss.manual_seed(0); sorted(ss.randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    xp = Device(device).xp
    rng = get_rng(xp)
    if hasattr(rng, "permutation"):
        perm = rng.permutation(int(n))
    else:  # a generator without permutation (CuPy's): the order of n uniform keys
        perm = xp.argsort(rng.random(int(n)))
    return _make(perm.astype(dtype), requires_grad)


def multinomial(input, num_samples: int, replacement: bool = False) -> Tensor:  # noqa: A002
    """Draw category indices with probabilities proportional to the weights in ``input``
    (``torch.multinomial``; the weights need not sum to 1).

    Args:
        input: (k,) or (n, k) non-negative, finite weights with a positive sum per row.
        num_samples: how many indices to draw per row.
        replacement: draw with replacement; without it (the default) each category comes
            at most once per row, in the order drawn (successive draws from the remaining
            categories, renormalised), so num_samples may not exceed the number of
            categories with a nonzero weight (PyTorch would then return zero-weight ones).
    Returns:
        int64 indices, (num_samples,) or (n, num_samples).

    >>> ss.manual_seed(0); ss.multinomial(ss.tensor([0.0, 1.0, 0.0]), 2, replacement=True)
    tensor([1, 1])
    """
    w = input.array if isinstance(input, Tensor) else np.asarray(input)
    xp = _array_module(w)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: expected weights (k,) or (n, k), got shape {w.shape}")
    if w.dtype.kind not in "fiu":
        raise TypeError(f"multinomial: expected numeric weights, got dtype {w.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples must be an int, got {num_samples!r}")
    if num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {num_samples}")
    w2 = w.reshape(1, -1) if w.ndim == 1 else w
    w2 = w2.astype(np.float64)
    if w2.shape[1] == 0:
        raise ValueError("multinomial: there are no categories (size 0 weights)")
    if not bool(xp.isfinite(w2).all()) or bool((w2 < 0).any()):
        raise ValueError("multinomial: weights must be finite and non-negative (no inf, NaN, < 0)")
    total = w2.sum(axis=1, keepdims=True)
    if bool((total <= 0).any()):
        raise ValueError("multinomial: every row of weights needs a positive sum")
    rng = get_rng(xp)
    if replacement:
        cdf = xp.cumsum(w2 / total, axis=1)
        u = rng.random((w2.shape[0], num_samples))
        # index = number of cdf values <= u; zero-weight categories span empty intervals
        idx = xp.stack([xp.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        last = w2.shape[1] - 1 - xp.argmax((w2 > 0)[:, ::-1], axis=1)  # last nonzero weight
        idx = xp.minimum(idx, last[:, None])  # u just under 1 above a cdf ending at 0.99999
    else:
        nonzero = int((w2 > 0).sum(axis=1).min())
        if num_samples > nonzero:
            raise ValueError(
                f"multinomial: cannot draw {num_samples} samples without replacement from "
                f"{nonzero} categories with nonzero weight"
            )
        # successive sampling without replacement = the num_samples smallest keys
        # E_i / w_i with E_i ~ Exp(1) (the exponential race; zero weights never win)
        e = -xp.log1p(-rng.random(w2.shape))  # Exp(1) draws (U in [0, 1): finite)
        with np.errstate(divide="ignore"):
            keys = xp.where(w2 > 0, e / w2, xp.inf)
        idx = xp.argsort(keys, axis=1)[:, :num_samples]
    idx = idx.astype(np.int64)
    return Tensor._from_op(idx[0] if w.ndim == 1 else idx, None)


def _array_module(a):
    from .backend import get_array_module

    return get_array_module(a)


class _Sample(Function):
    """A random draw whose parameters are inputs: the draw is not differentiable in them
    (no reparameterisation), so backward passes zeros, as PyTorch does for bernoulli and
    normal; the zeros are constants."""

    saves_inputs = False

    def __init__(self, sample):
        self.sample = sample

    def forward(self, *params):
        self.shapes = [p.shape for p in params]
        out, self.sample = self.sample, None
        return out

    def backward(self, gy):
        xp = _array_module(gy)
        return tuple(xp.zeros(s, dtype=gy.dtype) for s in self.shapes)

    def backward_graph(self, gy):
        xp = gy.xp
        return tuple(Tensor._from_op(xp.zeros(s, dtype=gy.dtype), None) for s in self.shapes)


def _sampled(sample, params):
    """``sample`` as an op output of the float parameter Tensors (zero gradient)."""
    if any(p.requires_grad for p in params):
        return _Sample(sample)(*params)
    return Tensor._from_op(sample, None)


def bernoulli(input, p=None) -> Tensor:  # noqa: A002
    """Draw 0 or 1 for every element: 1 with probability ``input`` (or with the scalar ``p``
    when given, in ``input``'s shape), as ``torch.bernoulli``. The result has ``input``'s
    dtype; its gradient is zero (the draw is not differentiable).

    >>> ss.manual_seed(0); ss.bernoulli(ss.tensor([0.0, 1.0, 1.0]))
    tensor([0., 1., 1.])
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    xp = x.xp
    probs = x.array if p is None else xp.full(x.shape, float(p))
    if bool(((probs < 0) | (probs > 1) | xp.isnan(probs)).any()):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    dt = x.dtype if x.dtype.kind == "f" else default_float_dtype
    draw = (get_rng(xp).random(x.shape) < probs).astype(dt)
    return _sampled(draw, [x] if x.dtype.kind == "f" else [])


def normal(mean=0.0, std=1.0, size=None, *, dtype=None, device=None, requires_grad=False):
    """Samples from N(mean, std²) (``torch.normal``).

    * ``normal(mean, std, size)`` with numbers: a tensor of shape ``size``.
    * ``normal(mean, std)`` with tensors (or one tensor and one number): one sample per
      element of their broadcast shape; its gradient with respect to mean and std is zero,
      as in PyTorch (use ``mean + std * ss.randn(...)`` for a differentiable sample).

    >>> ss.manual_seed(0); ss.normal(2.0, 0.0, (2,))
    tensor([2., 2.])
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with a number mean and std, give the size of the result")
        if std < 0:
            raise ValueError(f"normal: std must be >= 0, got {std}")
        xp = Device(device or "cpu").xp
        dt = _float_dtype("normal", dtype or default_float_dtype)
        z = get_rng(xp).standard_normal(_shape((size,) if isinstance(size, int) else size))
        return _make((mean + std * z).astype(dt), requires_grad)
    if size is not None:
        raise TypeError("normal: size is only for number mean and std; tensors give the shape")
    xp = tensors[0].xp
    dt = np.result_type(*[t.dtype for t in tensors])
    dt = dt if dt.kind == "f" else default_float_dtype
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    if bool((xp.asarray(s) < 0).any()):
        raise ValueError("normal: std must be >= 0")
    shape = np.broadcast_shapes(xp.shape(m), xp.shape(s))
    draw = (m + s * get_rng(xp).standard_normal(shape)).astype(dt)
    return _sampled(draw, [t for t in tensors if t.dtype.kind == "f"])
