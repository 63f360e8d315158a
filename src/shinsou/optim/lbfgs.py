"""L-BFGS (Liu & Nocedal 1989), with an optional strong-Wolfe line search."""

from __future__ import annotations

import copy
import math
from numbers import Real

import numpy as np

from ..backend import get_array_module, to_device_array
from ..core.grad_mode import no_grad
from .optimizer import Optimizer

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """Limited-memory BFGS (PyTorch's algorithm). Each ``step(closure)`` runs up to
    ``max_iter`` quasi-Newton iterations on the full-batch loss the closure computes.

    With s_k = θ_{k+1} − θ_k and y_k = g_{k+1} − g_k kept for the last ``history_size``
    iterations (pairs with y_kᵀ s_k ≤ 1e-10 are skipped), the direction d = −H g is found by
    the two-loop recursion with H₀ = (yᵀs / yᵀy) I from the newest pair:

        q ← −g;   for k newest → oldest:  α_k = ρ_k s_kᵀ q,   q ← q − α_k y_k    (ρ_k = 1/y_kᵀ s_k)
        r ← H₀ q; for k oldest → newest:  β_k = ρ_k y_kᵀ r,   r ← r + (α_k − β_k) s_k
        θ ← θ + t d   (d = r)

    The step t is η (η · min(1, 1/‖g‖₁) on the very first iteration), or, with
    ``line_search_fn="strong_wolfe"``, the result of a line search that brackets and zooms
    (cubic interpolation) until f(θ + t d) ≤ f(θ) + 10⁻⁴ t gᵀd and |∇f(θ + t d)ᵀd| ≤ 0.9 |gᵀd|.
    The iterations stop early when max|g| ≤ ``tolerance_grad``, when gᵀd > −``tolerance_change``,
    when max|t d| or the change of the loss is ≤ ``tolerance_change``, or after ``max_eval``
    closure calls. The history is kept between ``step`` calls.

    Args:
        params: Parameters (one group only: L-BFGS works on all of them as one flat vector).
        lr: learning rate η (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure calls per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when every |∂L/∂θ_i| is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss change is at most this (1e-9).
        history_size: the number m of (s, y) pairs kept (default 100).
        line_search_fn: None (a fixed step) or ``"strong_wolfe"``.

    ``step(closure)`` requires the closure: it must zero the gradients, compute the loss,
    call ``backward`` and return the loss. Parameters without a gradient count as zeros.

    >>> x = ss.nn.Parameter(ss.tensor([3.0, -1.0], dtype="float64"))
    >>> opt = ss.optim.LBFGS([x], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = ((x - 1.0) ** 2).sum(); loss.backward(); return loss
    >>> _ = opt.step(closure); x.array.round(6)     # a quadratic: solved in one step
    array([1., 1.])
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ):
        if max_eval is None and isinstance(max_iter, int) and not isinstance(max_iter, bool):
            max_eval = max_iter * 5 // 4
        super().__init__(
            params,
            dict(
                lr=lr,
                max_iter=max_iter,
                max_eval=max_eval,
                tolerance_grad=tolerance_grad,
                tolerance_change=tolerance_change,
                history_size=history_size,
                line_search_fn=line_search_fn,
            ),
        )
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups): "
                f"got {len(self.param_groups)} groups, pass the parameters as one list"
            )
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, group: dict) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(group)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        for key in ("max_iter", "max_eval", "history_size"):
            v = group[key]
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"LBFGS: {key} must be a positive int, got {v!r}")
        for key in ("tolerance_grad", "tolerance_change"):
            v = group[key]
            if isinstance(v, bool) or not isinstance(v, Real) or not 0 <= v < math.inf:
                raise ValueError(f"LBFGS: {key} must be a number >= 0, got {v!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                "LBFGS: line_search_fn must be None or 'strong_wolfe', "
                f"got {group['line_search_fn']!r}"
            )

    # ------------------------------------------------------------------ flat vectors
    def _xp(self):
        return get_array_module(self._params[0].array)

    def _flat_grad(self):
        xp = self._xp()
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(xp.zeros(p.array.size, p.array.dtype))
            else:
                parts.append(p.grad.array.reshape(-1))
        return xp.concatenate(parts)  # always a new array: gradients are never written

    def _add_grad(self, t, d) -> None:
        offset = 0
        for p in self._params:
            n = p.array.size
            p.array[...] += (t * d[offset : offset + n]).reshape(p.array.shape)
            offset += n

    def _clone_params(self):
        return [p.array.copy() for p in self._params]

    def _set_params(self, xs) -> None:
        for p, x in zip(self._params, xs):
            p.array[...] = x

    def _evaluate(self, closure) -> float:
        return float(self._run_closure(closure))

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = self._evaluate(closure)
        flat_grad = self._flat_grad()
        self._set_params(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations.

        Args:
            closure: a function that zeroes the gradients, computes the loss, calls
                ``backward`` and returns the loss (required).

        Returns:
            The loss the closure returned on its first call (before any update).
        """
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that recomputes the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search_fn = group["history_size"], group["line_search_fn"]

        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._run_closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        xp = get_array_module(flat_grad)
        if xp.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        with no_grad():
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = -flat_grad
                    old_dirs, old_stps, ro = [], [], []
                    H_diag = 1
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = y.dot(s)
                    if ys > 1e-10:  # keep the pair only where the curvature is positive
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / y.dot(y)
                    # the two-loop recursion: d = −H g
                    al = [None] * len(old_dirs)
                    q = -flat_grad
                    for i in range(len(old_dirs) - 1, -1, -1):
                        al[i] = old_stps[i].dot(q) * ro[i]
                        q = q - al[i] * old_dirs[i]
                    d = r = q * H_diag
                    for i in range(len(old_dirs)):
                        be_i = old_dirs[i].dot(r) * ro[i]
                        r += (al[i] - be_i) * old_stps[i]
                prev_flat_grad = flat_grad.copy()
                prev_loss = loss

                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
                else:
                    t = lr
                gtd = flat_grad.dot(d)  # directional derivative
                if gtd > -tolerance_change:
                    break

                ls_func_evals = 0
                if line_search_fn is not None:
                    x_init = self._clone_params()

                    def obj_func(x, t, d):
                        return self._directional_evaluate(closure, x, t, d)

                    loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                        obj_func, x_init, t, d, loss, flat_grad, gtd
                    )
                    self._add_grad(t, d)
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                else:
                    self._add_grad(t, d)
                    opt_cond = False
                    if n_iter != max_iter:
                        loss = self._evaluate(closure)
                        flat_grad = self._flat_grad()
                        opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                        ls_func_evals = 1
                current_evals += ls_func_evals
                state["func_evals"] += ls_func_evals

                if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                    break
                if xp.abs(d * t).max() <= tolerance_change:
                    break
                if abs(loss - prev_loss) < tolerance_change:
                    break

        state.update(
            d=d,
            t=t,
            old_dirs=old_dirs,
            old_stps=old_stps,
            ro=ro,
            H_diag=H_diag,
            prev_flat_grad=prev_flat_grad,
            prev_loss=prev_loss,
        )
        return orig_loss

    # ------------------------------------------------------------------ serialisation
    def state_dict(self) -> dict:
        """The hyper-parameters and the history (as NumPy copies); the flat vectors ``d``,
        ``prev_flat_grad`` and the (s, y) pairs have one entry per parameter element."""
        out = super().state_dict()
        out["state"] = {k: _to_cpu(v) for k, v in out["state"].items()}
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict``; arrays go back onto the parameters' device and dtype."""
        state = state_dict.get("state", {}) if isinstance(state_dict, dict) else {}
        super().load_state_dict({**state_dict, "state": {}})
        saved = state.get(0, state.get("0"))
        self.state = {}
        if saved is not None:
            p = self._params[0]
            xp = get_array_module(p.array)

            def restore(v):
                if isinstance(v, list):
                    return [restore(e) for e in v]
                if isinstance(v, np.ndarray) and v.ndim:
                    return xp.array(to_device_array(v, p.device), dtype=p.dtype, copy=True)
                return copy.deepcopy(v)

            self.state[p] = {k: restore(v) for k, v in saved.items()}


def _to_cpu(v):
    if isinstance(v, dict):
        return {k: _to_cpu(e) for k, e in v.items()}
    if isinstance(v, list):
        return [_to_cpu(e) for e in v]
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return np.array(to_device_array(v, "cpu"), copy=True)
    return copy.deepcopy(v)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped
    to ``bounds`` (default [min(x1, x2), max(x1, x2)]); their midpoint if the cubic has no
    minimum."""
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square**0.5  # keeps the dtype of the inputs (float32 stays float32)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search along d for a step t satisfying the strong Wolfe conditions (sufficient
    decrease with c1, curvature with c2): a bracketing phase, then zoom by cubic
    interpolation (Nocedal & Wright, algorithms 3.5 and 3.6, as PyTorch implements them).

    Returns (f_new, g_new, t, number of function evaluations)."""
    xp = get_array_module(d)
    d_norm = xp.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:  # reached the maximum number of iterations
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom until the bracket holds a point satisfying the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # safeguard: do not let t get too close to the ends of the bracket
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    t = bracket[low_pos]
    return bracket_f[low_pos], bracket_g[low_pos], t, ls_func_evals
