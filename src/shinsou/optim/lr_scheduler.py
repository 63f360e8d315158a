"""Learning-rate schedules (PyTorch's names and values).

Each scheduler computes the learning rate of epoch (or iteration) e in closed form from the
groups' base rates η₀, and ``step()`` moves to the next e:

    StepLR         η₀ γ^⌊e / step_size⌋
    MultiStepLR    η₀ γ^(number of milestones ≤ e)
    ExponentialLR  η₀ γ^e
    CosineAnnealingLR  η_min + (η₀ − η_min)(1 + cos(π e / T_max)) / 2
    LinearLR       η₀ (s + (f − s) min(e, T) / T)   (linear warm-up from s·η₀ to f·η₀)
    LambdaLR       η₀ λ(e)
    SequentialLR   one schedule after another, switching at the milestones

Because every schedule is closed-form, two schedulers must not drive the same optimizer at
once; compose them with ``SequentialLR`` or ``LambdaLR``.
"""

from __future__ import annotations

import bisect
import math

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LambdaLR",
    "SequentialLR",
]


class LRScheduler:
    """Base class: subclasses define ``lr_at(e) -> list of lrs`` (one per group).

    >>> import shinsou as ss
    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, epoch: int) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch (or iteration) and set each group's lr."""
        self.last_epoch += 1
        self._set(self.lr_at(self.last_epoch))

    def _set(self, lrs) -> None:
        for g, lr in zip(self.optimizer.param_groups, lrs):
            g["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self) -> list:
        """The learning rates set by the last ``step`` (one per group)."""
        return self._last_lr

    def state_dict(self) -> dict:
        return {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "lr_lambdas", "schedulers")
        }

    def load_state_dict(self, state: dict) -> None:
        self.__dict__.update(state)
        self._set(self.lr_at(self.last_epoch))


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be positive, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * self.gamma ** (e // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each epoch in ``milestones``."""

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * self.gamma ** bisect.bisect_right(self.milestones, e) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * self.gamma**e for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from η₀ to ``eta_min`` over ``T_max`` epochs (Loshchilov & Hutter 2017)."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        c = (1 + math.cos(math.pi * e / self.T_max)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the rate linearly from ``start_factor`` to ``end_factor`` over ``total_iters``
    steps, then keep ``end_factor`` — the usual linear warm-up."""

    def __init__(
        self,
        optimizer,
        start_factor: float = 1 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError("LinearLR: need 0 < start_factor <= 1 and 0 <= end_factor <= 1")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        frac = min(e, self.total_iters) / self.total_iters if self.total_iters else 1.0
        f = self.start_factor + (self.end_factor - self.start_factor) * frac
        return [b * f for b in self.base_lrs]


class LambdaLR(LRScheduler):
    """η₀ · lr_lambda(e); one function for all groups or a list with one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        n = len(optimizer.param_groups)
        self.lr_lambdas = (
            list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        )
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: {len(self.lr_lambdas)} functions for {n} groups")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * f(e) for b, f in zip(self.base_lrs, self.lr_lambdas)]


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (restarted at its
    epoch 0), and so on: e.g. ``SequentialLR(opt, [LinearLR(...), CosineAnnealingLR(...)],
    milestones=[5])`` for warm-up followed by cosine decay."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        if len(schedulers) != len(milestones) + 1:
            raise ValueError(
                f"SequentialLR: {len(schedulers)} schedulers need "
                f"{len(schedulers) - 1} milestones, got {len(milestones)}"
            )
        for s in schedulers:
            if s.optimizer is not optimizer:
                raise ValueError("SequentialLR: every scheduler must wrap the same optimizer")
        self.schedulers, self.milestones = list(schedulers), list(milestones)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        i = bisect.bisect_right(self.milestones, e)
        start = self.milestones[i - 1] if i else 0
        return self.schedulers[i].lr_at(e - start)
