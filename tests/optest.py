"""One helper that checks an op three ways in a few lines.

``check_op(ss_fn, shapes, np_fn=..., torch_fn=...)``:

1. **NumPy reference** — ``ss_fn`` on float64 tensors equals ``np_fn`` on the same arrays
   (rtol 1e-7).
2. **float64 gradcheck** — backward matches central differences (``shinsou.gradcheck``).
3. **PyTorch** — on float32 copies of the same inputs, ``ss_fn`` and ``torch_fn`` agree in
   forward and, for a random upstream gradient, in every input's gradient. Tolerance: relative
   1e-5 per element, plus an absolute 1e-6 × max(1, max |reference|) so that elements that
   are (numerically) zero do not demand a relative match on rounding noise.

Inputs are drawn from a seeded generator: standard normal by default, or uniform in a
``(low, high)`` range per input (``ranges``) for ops that need positive or bounded inputs.
Shapes may include size-1 and empty axes.
"""

from __future__ import annotations

import numpy as np
import torch

import shinsou as ss

RTOL = 1e-5


def make_inputs(shapes, ranges=None, seed=0):
    rng = np.random.default_rng(seed)
    ranges = ranges or [None] * len(shapes)
    out = []
    for shape, rg in zip(shapes, ranges):
        if rg is None:
            out.append(rng.standard_normal(shape))
        else:
            out.append(rng.uniform(rg[0], rg[1], size=shape))
    return out


def _close(actual, expected, what, rtol=RTOL):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-6 * scale, err_msg=what)


def check_op(
    ss_fn,
    shapes,
    np_fn=None,
    torch_fn=None,
    ranges=None,
    seed=0,
    grad=True,
    torch_grad=True,
    gradcheck_kw=None,
):
    """Check ``ss_fn`` against NumPy, float64 central differences and PyTorch (see module)."""
    arrays = make_inputs(shapes, ranges, seed)

    # 1. forward against NumPy, in float64
    xs64 = [ss.tensor(a, requires_grad=grad) for a in arrays]
    y64 = ss_fn(*xs64)
    if np_fn is not None:
        ref = np_fn(*arrays)
        np.testing.assert_allclose(
            y64.numpy(), ref, rtol=1e-7, atol=1e-12, err_msg="forward vs NumPy"
        )
        assert y64.dtype == np.float64, f"float64 in, {y64.dtype} out"

    # 2. gradients against central differences
    if grad:
        ss.gradcheck(
            ss_fn, [ss.tensor(a, requires_grad=True) for a in arrays], **(gradcheck_kw or {})
        )

    # 3. float32 forward and backward against PyTorch
    if torch_fn is not None:
        a32 = [a.astype(np.float32) for a in arrays]
        xs = [ss.tensor(a, requires_grad=grad) for a in a32]
        ts = [torch.tensor(a, requires_grad=grad and torch_grad) for a in a32]
        y, ty = ss_fn(*xs), torch_fn(*ts)
        assert y.dtype == np.float32, f"float32 in, {y.dtype} out"
        _close(y.numpy(), ty.detach().numpy(), "forward vs PyTorch")
        if grad and torch_grad:
            g = np.random.default_rng(seed + 1).standard_normal(y.shape).astype(np.float32)
            y.backward(g)
            ty.backward(torch.tensor(g))
            for i, (x, t) in enumerate(zip(xs, ts)):
                tg = np.zeros(t.shape, np.float32) if t.grad is None else t.grad.numpy()
                sg = np.zeros(x.shape, np.float32) if x.grad is None else x.grad
                _close(sg, tg, f"gradient of input {i} vs PyTorch")
    return y64
