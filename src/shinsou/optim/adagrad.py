"""AdaGrad (Duchi, Hazan & Singer 2011)."""

from __future__ import annotations

from ..backend import get_array_module
from .foreach import foreach
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Per-coordinate learning rates that shrink with the accumulated squared gradient
    (PyTorch's formulation):

        h_t = h_{t−1} + g_t²,    η_t = η / (1 + (t − 1) · lr_decay),
        θ ← θ − η_t g_t / (√h_t + ε)

    with h_0 = ``initial_accumulator_value`` and g_t the gradient (+ λθ for weight decay λ;
    negated first for ``maximize``).
    Coordinates with large past gradients take small steps, rare ones large steps.

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η.
        lr_decay: decay of η with the step count t.
        weight_decay: L2 penalty λ ≥ 0, added to the gradient as λθ.
        initial_accumulator_value: h_0 ≥ 0.
        eps: ε > 0 added to √h_t for numerical stability.
        maximize: ascend the objective (use −g_t) instead of descending.

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.array.round(3)   # 1 − 0.1 · 2 / √4
    array([0.9], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        if not group["initial_accumulator_value"] >= 0:
            raise ValueError(
                "Adagrad: initial_accumulator_value must be >= 0, "
                f"got {group['initial_accumulator_value']}"
            )

    def _update(self) -> None:
        for group in self.param_groups:
            tasks = []
            for p, g in self._grads(group):
                state = self.state.get(p)
                if state is None:
                    xp = get_array_module(p.array)
                    h0 = group["initial_accumulator_value"]
                    state = self.state[p] = {"step": 0, "sum": xp.full(p.shape, h0, p.dtype)}
                state["step"] += 1
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                tasks.append((p.array, g, state["sum"], clr))

            def update(w, g, h, clr, eps=group["eps"]):
                xp = get_array_module(w)
                t = g * g
                h += t
                xp.sqrt(h, out=t)
                t += eps
                xp.divide(g, t, out=t)
                t *= clr
                w -= t

            foreach(update, tasks)
