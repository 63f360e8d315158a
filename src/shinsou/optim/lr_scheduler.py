"""Learning-rate schedules (PyTorch's names, arguments and values).

Each scheduler computes the learning rate of epoch (or iteration) e in closed form from each
group's base rate η₀ (``group["initial_lr"]``, the lr when the first scheduler was made), and
``step()`` moves to the next e:

    StepLR             η₀ γ^⌊e / step_size⌋
    MultiStepLR        η₀ γ^(number of milestones ≤ e)
    ExponentialLR      η₀ γ^e
    CosineAnnealingLR  η_min + (η₀ − η_min)(1 + cos(π e / T_max)) / 2
    LinearLR           η₀ (s + (f − s) min(e, T) / T)   (linear warm-up from s·η₀ to f·η₀)
    LambdaLR           η₀ λ(e)
    SequentialLR       one schedule after another, each restarted at its e = 0 at its milestone

Call ``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per iteration for
per-iteration schedules). Because every schedule is closed-form, two schedulers must not drive
the same optimizer at once (PyTorch would multiply them); compose them with ``SequentialLR``
or ``LambdaLR``.
"""

from __future__ import annotations

import bisect
import copy
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
    """Base class: subclasses define ``lr_at(e)``, the list of lrs (one per group) at epoch e.

    Args:
        optimizer: the optimizer whose groups' ``"lr"`` is set; each group gets an
            ``"initial_lr"`` (its current lr) unless it already has one.
        last_epoch: the epoch to resume from (-1: start); the constructor steps once, so the
            optimizer's lr is that of epoch ``last_epoch + 1`` afterwards.

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    # attributes that are not part of state_dict (objects, functions)
    _not_state = ("optimizer", "lr_lambdas", "schedulers")

    def __init__(self, optimizer, last_epoch: int = -1):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"{type(self).__name__}: expected an optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, epoch: int) -> list:  # pragma: no cover - abstract
        """The learning rate of each group at ``epoch``."""
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
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Every attribute except the optimizer and functions (copied)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in self._not_state}

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict`` and set the groups' lr of the restored epoch."""
        self.__dict__.update(copy.deepcopy(state))
        self._set(self.lr_at(self.last_epoch))


class StepLR(LRScheduler):
    """Multiply the rate by γ every ``step_size`` epochs:  η_e = η₀ γ^⌊e / step_size⌋.

    Args:
        optimizer: the optimizer to schedule.
        step_size: the period, in epochs (> 0).
        gamma: the factor γ.
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.StepLR(opt, step_size=3, gamma=0.1)
    >>> for _ in range(3): sched.step()
    >>> sched.get_last_lr()
    [0.1]
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be positive, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * self.gamma ** (e // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the rate by γ at each milestone:  η_e = η₀ γ^|{m ∈ milestones : m ≤ e}|.

    Args:
        optimizer: the optimizer to schedule.
        milestones: epochs at which to decay (a repeated milestone decays twice).
        gamma: the factor γ.
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); sched.step()
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * self.gamma ** bisect.bisect_right(self.milestones, e) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the rate by γ every epoch:  η_e = η₀ γ^e.

    Args:
        optimizer: the optimizer to schedule.
        gamma: the factor γ.
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); opt.param_groups[0]["lr"]
    0.25
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * self.gamma**e for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from η₀ to η_min over T_max epochs (Loshchilov & Hutter 2017, without
    restarts):

        η_e = η_min + (η₀ − η_min) (1 + cos(π e / T_max)) / 2

    Past T_max the cosine goes on (back up to η₀ at 2 T_max), as in PyTorch.

    Args:
        optimizer: the optimizer to schedule.
        T_max: the number of epochs of the decay (> 0).
        eta_min: the final rate η_min.
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.CosineAnnealingLR(opt, T_max=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); sched.step()
    >>> lrs
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        c = (1 + math.cos(math.pi * e / self.T_max)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the rate linearly from ``start_factor`` s to ``end_factor`` f over
    ``total_iters`` T steps, then keep f — the usual linear warm-up:

        η_e = η₀ (s + (f − s) · min(e, T) / T)

    Args:
        optimizer: the optimizer to schedule.
        start_factor: s in (0, 1].
        end_factor: f in [0, 1].
        total_iters: T, the number of steps to go from s to f.
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); sched.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer,
        start_factor: float = 1 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        if total_iters < 0:
            raise ValueError(f"LinearLR: total_iters must be >= 0, got {total_iters}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        frac = min(e, self.total_iters) / self.total_iters if self.total_iters else 1.0
        f = self.start_factor + (self.end_factor - self.start_factor) * frac
        return [b * f for b in self.base_lrs]


class LambdaLR(LRScheduler):
    """A rate given by a function of the epoch:  η_e = η₀ λ(e).

    Args:
        optimizer: the optimizer to schedule.
        lr_lambda: a function of the epoch, or a list with one function per group.
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.LambdaLR(opt, lambda e: 1 / (1 + e))
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.3333333333333333]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        n = len(optimizer.param_groups)
        self.lr_lambdas = (
            list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        )
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: {len(self.lr_lambdas)} functions for {n} groups")
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be callable, got {type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        return [b * f(e) for b, f in zip(self.base_lrs, self.lr_lambdas)]


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` restarted at its
    epoch 0, and so on:

        η_e = schedulers[i](e − milestones[i−1])   for milestones[i−1] ≤ e < milestones[i]

    Args:
        optimizer: the optimizer that every scheduler wraps.
        schedulers: the schedules, in order.
        milestones: the epochs at which to switch (increasing, ``len(schedulers) − 1``).
        last_epoch: the epoch to resume from (-1: start).

    Linear warm-up for 2 epochs, then cosine decay over 4:

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> warm = ss.optim.LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> cos = ss.optim.CosineAnnealingLR(opt, T_max=4)
    >>> sched = ss.optim.SequentialLR(opt, [warm, cos], milestones=[2])
    >>> lrs = []
    >>> for _ in range(7):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); sched.step()
    >>> lrs
    [0.5, 0.75, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError("SequentialLR: needs at least one scheduler")
        if len(schedulers) != len(milestones) + 1:
            raise ValueError(
                f"SequentialLR: {len(schedulers)} schedulers need "
                f"{len(schedulers) - 1} milestones, got {len(milestones)}"
            )
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"SequentialLR: milestones must increase, got {milestones}")
        for i, s in enumerate(schedulers):
            if getattr(s, "optimizer", None) is not optimizer:
                raise ValueError(
                    f"SequentialLR: every scheduler must wrap the same optimizer "
                    f"(scheduler {i}, {type(s).__name__}, does not)"
                )
        self.schedulers, self.milestones = schedulers, milestones
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        i = bisect.bisect_right(self.milestones, e)
        start = self.milestones[i - 1] if i else 0
        return self.schedulers[i].lr_at(e - start)
