"""One helper that checks an op three ways in a few lines: ``check_op``.

    check_op(ss_fn, torch_fn, np_fn, shapes=[(3, 4), (4,)])

1. **NumPy reference** — ``ss_fn`` on float64 tensors equals ``np_fn`` on the same float64
   arrays to rtol 1e-7 (atol 1e-12 × max(1, max |reference|)), and returns float64.
2. **float64 gradcheck** — every float input's gradient from backward matches central
   differences (``shinsou.gradcheck``: |a - n| <= 1e-5 + 1e-4 |n|, with eps 1e-6).
3. **PyTorch, float32** — on float32 copies of the same inputs, ``ss_fn`` and ``torch_fn``
   agree in the forward value and, for a random (seeded, standard normal) upstream gradient,
   in every float input's gradient. The output and the gradients must be float32 and have
   the reference's shapes.
4. **Double backward** (``gradgrad=True``, the default wherever gradients are checked) —
   the backward pass recorded with ``create_graph=True`` passes ``ss.autograd.gradgradcheck``
   in float64, and in float32 the second derivatives match PyTorch's: with the same random
   upstream gradient v and random weights w_i, the gradients of G = Σ_i Σ w_i ⊙ dL/dx_i with
   respect to every input and to v agree with ``torch.autograd.grad(..., create_graph=True)``
   to 1e-4 (``RTOL2``/``ATOL2``).

**Tolerance rule for PyTorch comparisons** (``assert_close_to``): elementwise

    |ours - torch| <= RTOL · |torch| + ATOL · max(1, max |torch|),   RTOL = 1e-5, ATOL = 1e-6

i.e. relative error 1e-5, plus an absolute floor of 1e-6 scaled by the magnitude of the
reference array, so that elements that are (numerically) zero — sums that cancel, gradients
at the far tail of a sigmoid — do not demand a relative match on float32 rounding noise
(float32's own resolution is 6e-8 relative to the largest value involved).

Inputs are float64 arrays drawn from ``numpy.random.default_rng(seed)``: standard normal by
default, or uniform in ``ranges[i] = (low, high)``; ``positive=True`` draws every input from
(0.5, 2) (log, sqrt, pow bases, divisors). Options that keep central differences away from
points where the op is not differentiable:

* ``kinks=[k, ...]`` moves every element closer than ``margin`` (1e-3) to a kink ``k`` away
  from it, keeping its side (abs and relu at 0, clip at its bounds).
* ``distinct=True`` makes the elements of each input pairwise at least ~0.1 apart (a shuffled
  grid with jitter), so max/min/maxout have no ties.

Non-differentiable auxiliary inputs (integer labels, boolean masks, integer index arrays) go
in ``aux``: a list of NumPy arrays appended after the float inputs, passed to ``np_fn``
unchanged, to ``ss_fn`` as shinsou tensors and to ``torch_fn`` as torch tensors.

Shapes may include ``()`` and size-1 and empty (size-0) axes.
"""

from __future__ import annotations

import os

import numpy as np
import torch

import shinsou as ss

RTOL = 1e-5
ATOL = 1e-6
# On: every primitive has its graph-form backward (``backward_graph``).
# SHINSOU_TEST_GRADGRAD=0 turns the double-backward checks off (to bisect a failure quickly).
GRADGRAD_BY_DEFAULT = os.environ.get("SHINSOU_TEST_GRADGRAD", "1") == "1"
RTOL2 = 1e-4  # second derivatives against PyTorch (float32)
ATOL2 = 1e-4
POS = (0.5, 2.0)


def make_inputs(shapes, ranges=None, seed=0, kinks=(), margin=1e-3, distinct=False):
    """Seeded float64 arrays, one per shape (see the module docstring for the options)."""
    rng = np.random.default_rng(seed)
    ranges = ranges or [None] * len(shapes)
    out = []
    for shape, rg in zip(shapes, ranges):
        if distinct:
            n = int(np.prod(shape, dtype=np.int64))
            lo, hi = rg if rg is not None else (-2.0, 2.0)
            grid = np.linspace(lo, hi, n) if n > 1 else np.full(n, (lo + hi) / 2)
            step = (hi - lo) / max(n - 1, 1)
            a = rng.permutation(grid) + rng.uniform(-0.2, 0.2, n) * step
            a = a.reshape(shape)
        elif rg is None:
            a = rng.standard_normal(shape)
        else:
            a = rng.uniform(rg[0], rg[1], size=shape)
        for k in kinks:
            near = np.abs(a - k) < margin
            side = np.where(a >= k, 1.0, -1.0)
            a = np.where(near, k + side * (margin + np.abs(a - k)), a)
        out.append(np.asarray(a, dtype=np.float64))
    return out


def assert_close_to(actual, expected, what, rtol=RTOL, atol=ATOL):
    """The tolerance rule of the module docstring; shapes must match exactly."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.nanmax(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale, err_msg=what)


def _aux_for(lib, aux):
    if lib == "ss":
        return [ss.tensor(a) for a in aux]
    if lib == "torch":
        return [torch.from_numpy(np.array(a)) for a in aux]
    return list(aux)


def check_op(
    ss_fn,
    torch_fn=None,
    np_fn=None,
    shapes=((3, 4),),
    *,
    ranges=None,
    positive=False,
    kinks=(),
    margin=1e-3,
    distinct=False,
    aux=(),
    seed=0,
    grad=True,
    torch_grad=True,
    gradcheck_kw=None,
    gradgrad=None,
    torch_gradgrad=True,
):
    """Check ``ss_fn`` against NumPy, float64 central differences and PyTorch.

    Args:
        ss_fn, torch_fn, np_fn: the op in shinsou, PyTorch and NumPy, each called as
            ``fn(*float_inputs, *aux_inputs)``; ``torch_fn``/``np_fn`` may be None (skipped).
        shapes: one shape per float input.
        ranges, positive, kinks, margin, distinct, seed: how inputs are drawn (module doc).
        aux: NumPy arrays of non-differentiable inputs (labels, masks, indices).
        grad: check gradients at all (False for ops that record no graph).
        torch_grad: compare gradients with PyTorch (False where PyTorch has none, e.g.
            ``torch.heaviside``); gradcheck still runs.
        gradcheck_kw: extra keyword arguments for ``shinsou.gradcheck`` (and gradgradcheck).
        gradgrad: check double backward (float64 gradgradcheck, and PyTorch's second
            derivatives when ``torch_fn`` and ``torch_grad``).
        torch_gradgrad: compare second derivatives with PyTorch (False where PyTorch's own
            double backward is missing or differs by definition).
    Returns:
        the float64 output Tensor.
    """
    if positive:
        ranges = [POS] * len(shapes)
    arrays = make_inputs(shapes, ranges, seed, kinks, margin, distinct)
    aux = [np.asarray(a) for a in aux]
    ss_aux = _aux_for("ss", aux)

    def f(*xs):
        return ss_fn(*xs, *ss_aux)

    # 1. forward against NumPy, in float64
    xs64 = [ss.tensor(a, requires_grad=grad) for a in arrays]
    y64 = f(*xs64)
    assert y64.dtype == np.float64, f"float64 in, {y64.dtype} out"
    if np_fn is not None:
        ref = np.asarray(np_fn(*[a.copy() for a in arrays], *_aux_for("np", aux)))
        assert y64.shape == ref.shape, f"forward vs NumPy: shape {y64.shape} != {ref.shape}"
        scale = max(1.0, float(np.nanmax(np.abs(ref)))) if ref.size else 1.0
        np.testing.assert_allclose(
            y64.numpy(), ref, rtol=1e-7, atol=1e-12 * scale, err_msg="forward vs NumPy"
        )

    # 2. float64 gradients against central differences
    if grad:
        ss.gradcheck(f, [ss.tensor(a, requires_grad=True) for a in arrays], **(gradcheck_kw or {}))

    # 3. float32 forward and backward against PyTorch
    if torch_fn is not None:
        a32 = [a.astype(np.float32) for a in arrays]
        xs = [ss.tensor(a, requires_grad=grad) for a in a32]
        ts = [torch.tensor(a, requires_grad=grad and torch_grad) for a in a32]
        y, ty = f(*xs), torch_fn(*ts, *_aux_for("torch", aux))
        assert y.dtype == np.float32, f"float32 in, {y.dtype} out"
        assert_close_to(y.numpy(), ty.detach().numpy(), "forward vs PyTorch")
        if grad and torch_grad:
            g = np.random.default_rng(seed + 1).standard_normal(y.shape).astype(np.float32)
            y.backward(g)
            if ty.requires_grad:
                ty.backward(torch.from_numpy(g))
            for i, (x, t) in enumerate(zip(xs, ts)):
                tg = np.zeros(t.shape, np.float32) if t.grad is None else t.grad.numpy()
                sg = np.zeros(x.shape, np.float32) if x.grad is None else x.grad
                assert sg.dtype == np.float32, f"gradient of input {i} is {sg.dtype}"
                assert_close_to(sg, tg, f"gradient of input {i} vs PyTorch")

    # 4. double backward: float64 gradgradcheck, then second derivatives against PyTorch
    if gradgrad is None:
        gradgrad = GRADGRAD_BY_DEFAULT
    if grad and gradgrad:
        ss.autograd.gradgradcheck(
            f, [ss.tensor(a, requires_grad=True) for a in arrays], **(gradcheck_kw or {})
        )
        if torch_fn is not None and torch_grad and torch_gradgrad:
            check_second_derivatives(
                f, lambda *ts: torch_fn(*ts, *_aux_for("torch", aux)), arrays, seed
            )
    return y64


def check_second_derivatives(ss_f, torch_f, arrays, seed=0, rtol=RTOL2, atol=ATOL2):
    """In float32: d/d(x, v) of G = Σ_i Σ w_i ⊙ (v · ∂f/∂x_i), shinsou against PyTorch."""
    rng = np.random.default_rng(seed + 2)
    a32 = [a.astype(np.float32) for a in arrays]
    xs = [ss.tensor(a, requires_grad=True) for a in a32]
    ts = [torch.tensor(a, requires_grad=True) for a in a32]
    y, ty = ss_f(*xs), torch_f(*ts)
    v = rng.standard_normal(y.shape).astype(np.float32)
    ws = [rng.standard_normal(a.shape).astype(np.float32) for a in a32]
    sv = ss.tensor(v, requires_grad=True)
    tv = torch.tensor(v, requires_grad=True)
    sg = ss.autograd.grad(y, xs, sv, create_graph=True, allow_unused=True)
    tg = torch.autograd.grad(ty, ts, tv, create_graph=True, allow_unused=True)
    s_total = sum((g * w).sum() for g, w in zip(sg, ws) if g is not None)
    t_terms = [(g * torch.from_numpy(w)).sum() for g, w in zip(tg, ws) if g is not None]
    if not t_terms or not any(t.requires_grad for t in t_terms):
        # PyTorch's gradient does not depend on the inputs: ours must be constant too
        if isinstance(s_total, ss.Tensor) and s_total.requires_grad:
            s2 = ss.autograd.grad(s_total, xs + [sv], allow_unused=True)
            for i, g in enumerate(s2[:-1]):
                if g is not None:
                    assert_close_to(g.numpy(), np.zeros(g.shape), f"2nd derivative {i}", rtol, atol)
        return
    t_total = sum(t_terms)
    s2 = ss.autograd.grad(s_total, xs + [sv], allow_unused=True)
    t2 = torch.autograd.grad(t_total, ts + [tv], allow_unused=True)
    for i, (a, b, x) in enumerate(zip(s2, t2, xs + [sv])):
        an = np.zeros(x.shape, np.float32) if a is None else a.numpy()
        # force=True: PyTorch returns a lazy ZeroTensor for derivatives that vanish (abs'')
        bn = np.zeros(x.shape, np.float32) if b is None else b.detach().numpy(force=True)
        what = "upstream gradient" if i == len(xs) else f"input {i}"
        assert_close_to(an, bn, f"second derivative w.r.t. {what} vs PyTorch", rtol, atol)
