"""Gradient checking by float64 central differences."""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "numerical_grad"]


def numerical_grad(fn, inputs, grad_out, eps=1e-6):
    """dL/dx_i for L = Σ fn(*inputs) ⊙ grad_out, by central differences
    (f(x + ε e_k) - f(x - ε e_k)) / 2ε for every element k of every float input."""
    grads = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            grads.append(None)
            continue
        data = x.array
        g = np.zeros(data.shape, dtype=np.float64)
        # index the array itself (not a reshape(-1), which copies non-contiguous data)
        for k in np.ndindex(*data.shape):
            old = data[k].item()
            data[k] = old + eps
            fp = _scalar(fn(*inputs), grad_out)
            data[k] = old - eps
            fm = _scalar(fn(*inputs), grad_out)
            data[k] = old
            g[k] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def _scalar(out, grad_out):
    d = out.array if isinstance(out, Tensor) else out
    return float((np.asarray(_cpu(d), dtype=np.float64) * grad_out).sum())


def _cpu(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s backward against float64 central differences.

    Every float Tensor in ``inputs`` that requires grad is checked. The output is contracted
    with a random tensor r, so the whole Jacobian is exercised: L = Σ fn(inputs) ⊙ r, and
    dL/dx from backward must equal the numerical estimate to |a - n| <= atol + rtol |n|.

    Args:
        fn: function of Tensors returning one Tensor.
        inputs: sequence of Tensors (those to check must be float64 and require grad).
    Returns:
        True if all gradients match (else raises ``AssertionError`` naming the input, or
        returns False when ``raise_exception=False``).

    >>> import shinsou as ss
    >>> x = ss.tensor([[0.5, -1.0]], dtype="float64", requires_grad=True)
    >>> ss.gradcheck(lambda a: (a * a).sum(axis=1), [x])
    True
    """
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {x.dtype}; use float64 for a fair check")
    out = fn(*inputs)
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(out.shape)
    for x in inputs:
        if isinstance(x, Tensor):
            x.grad = None
    if out.requires_grad:
        out.backward(Tensor(r.astype(out.dtype)).array if out.device.type == "cpu" else r)
    num = numerical_grad(fn, inputs, r, eps)
    for i, (x, n) in enumerate(zip(inputs, num)):
        if n is None:
            continue
        a = np.zeros_like(n) if x.grad is None else np.asarray(_cpu(x.grad.array), dtype=np.float64)
        if a.shape != n.shape:
            msg = f"gradcheck: input {i}: gradient shape {a.shape} != input shape {n.shape}"
        elif np.allclose(a, n, atol=atol, rtol=rtol):
            continue
        else:
            err = np.abs(a - n).max()
            msg = (
                f"gradcheck: input {i} {tuple(n.shape)}: backward and numerical gradients "
                f"differ (max abs err {err:.3g})\nbackward:\n{a}\nnumerical:\n{n}"
            )
        if raise_exception:
            raise AssertionError(msg)
        return False
    return True


def gradgradcheck(
    fn,
    inputs,
    grad_outputs=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: the backward pass of ``fn``, recorded with
    ``create_graph=True``, must itself pass ``gradcheck``.

    With a random upstream gradient v (the ``grad_outputs``, also checked as an input), the
    first derivatives g_i = v · ∂fn/∂x_i are computed with a graph, contracted with fixed
    random tensors w_i into the scalar G = Σ_i Σ g_i ⊙ w_i, and G's gradients with respect to
    every x_i and v (from the double backward) are compared with float64 central
    differences of G.

    >>> x = ss.tensor([[0.5, -1.0]], dtype="float64", requires_grad=True)
    >>> ss.autograd.gradgradcheck(lambda a: (a * a * a).sum(axis=1), [x])
    True
    """
    from .autograd import grad as _grad

    inputs = list(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for i, x in enumerate(diff):
        if x.dtype != np.float64:
            raise TypeError(f"gradgradcheck: input {i} is {x.dtype}; use float64")
    rng = np.random.default_rng(seed + 7)
    out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else list(out)
    if grad_outputs is None:
        grad_outputs = [
            Tensor(rng.standard_normal(o.shape), requires_grad=True, device=o.device) for o in outs
        ]
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    weights = [Tensor(rng.standard_normal(x.shape), device=x.device) for x in diff]
    n_in = len(inputs)

    def first_grads(*args):
        xs, vs = list(args[:n_in]), list(args[n_in:])
        o = fn(*xs)
        os_ = [o] if isinstance(o, Tensor) else list(o)
        xs_diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = _grad(os_, xs_diff, vs, create_graph=True, allow_unused=True)
        total = None
        for g, w in zip(gs, weights):
            if g is None:
                continue
            term = (g * w).sum()
            total = term if total is None else total + term
        if total is None:
            return Tensor(np.zeros(()), device=diff[0].device if diff else "cpu")
        return total

    return gradcheck(
        first_grads,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        seed=seed,
        raise_exception=raise_exception,
    )
