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
    ConstantLR         η₀ f for e < T, then η₀
    PolynomialLR       η₀ (1 − min(e, T) / T)^p
    CosineAnnealingWarmRestarts   cosine decay restarted after T_0, T_0 T_mult, ... epochs
    OneCycleLR         warm-up to max_lr then anneal far below η₀ (per iteration), momentum
                       cycled the other way
    ReduceLROnPlateau  η ← max(η f, η_min) when a metric stops improving (``step(metric)``)

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
    # issue 11, part 3
    "ConstantLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "ReduceLROnPlateau",
    # issue 16: the Transformer's warm-up
    "NoamLR",
    "InverseSqrtLR",
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


# --------------------------------------------------------------------- issue 11, part 3


def _check_int(name: str, key: str, v, low: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ValueError(f"{name}: {key} must be an int >= {low}, got {v!r}")


def _check_number(name: str, key: str, v, low: float, high: float) -> None:
    ok = not isinstance(v, bool) and isinstance(v, int | float) and low <= v <= high
    if not ok:
        raise ValueError(f"{name}: {key} must be a number in [{low}, {high}], got {v!r}")


class ConstantLR(LRScheduler):
    """Scale the rate by a constant ``factor`` f until epoch ``total_iters`` T, then use η₀:

        η_e = η₀ f   for e < T,      η_e = η₀   for e ≥ T

    Args:
        optimizer: the optimizer to schedule.
        factor: f in [0, 1] (default 1/3).
        total_iters: T ≥ 0, the number of epochs at the lower rate (default 5).
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(
        self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1
    ):
        _check_number("ConstantLR", "factor", factor, 0.0, 1.0)
        _check_int("ConstantLR", "total_iters", total_iters, 0)
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        f = self.factor if e < self.total_iters else 1.0
        return [b * f for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Polynomial decay to 0 over ``total_iters`` T epochs (then 0):

        η_e = η₀ (1 − min(e, T) / T)^p

    Args:
        optimizer: the optimizer to schedule.
        total_iters: T > 0 (default 5).
        power: the exponent p ≥ 0 (1: linear decay).
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.PolynomialLR(opt, total_iters=4, power=2.0)
    >>> lrs = []
    >>> for _ in range(6):
    ...     lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        _check_int("PolynomialLR", "total_iters", total_iters, 1)
        _check_number("PolynomialLR", "power", power, 0.0, math.inf)
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        f = (1.0 - min(e, self.total_iters) / self.total_iters) ** self.power
        return [b * f for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts, SGDR (Loshchilov & Hutter 2017):

        η = η_min + (η₀ − η_min) (1 + cos(π T_cur / T_i)) / 2

    where T_cur counts the epochs since the last restart and the i-th cycle lasts
    T_i = T_0 T_mult^i epochs; at T_cur = T_i the rate jumps back to η₀.

    ``step()`` advances one epoch (T_cur += 1); ``step(epoch)`` jumps to a given, possibly
    fractional, epoch — e.g. ``step(epoch + i / iters_per_epoch)`` after each iteration to
    anneal within epochs.

    Args:
        optimizer: the optimizer to schedule.
        T_0: the length of the first cycle, in epochs (int > 0).
        T_mult: each cycle is this many times longer than the one before (int ≥ 1).
        eta_min: the lowest rate η_min.
        last_epoch: the epoch to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    >>> lrs = []
    >>> for _ in range(7):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); sched.step()
    >>> lrs      # cycles of 2 and 4 epochs
    [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
    """

    def __init__(
        self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
    ):
        _check_int("CosineAnnealingWarmRestarts", "T_0", T_0, 1)
        _check_int("CosineAnnealingWarmRestarts", "T_mult", T_mult, 1)
        if isinstance(eta_min, bool) or not isinstance(eta_min, int | float):
            raise TypeError(
                f"CosineAnnealingWarmRestarts: eta_min must be a number, got {eta_min!r}"
            )
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        self.T_i, self.T_cur = T_0, last_epoch
        super().__init__(optimizer, last_epoch)

    def _position(self, epoch):
        """(T_cur, T_i) at ``epoch`` (≥ 0, possibly fractional)."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        t_cur, t_i = epoch, self.T_0
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= self.T_mult
        return t_cur, t_i

    def _lrs(self, t_cur, t_i):
        c = (1 + math.cos(math.pi * t_cur / t_i)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]

    def lr_at(self, e):
        return self._lrs(*self._position(e))

    def step(self, epoch=None) -> None:
        """Advance one epoch, or go to ``epoch`` (a number ≥ 0, possibly fractional)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(
                    f"CosineAnnealingWarmRestarts.step: epoch must be >= 0, got {epoch}"
                )
            self.T_cur, self.T_i = self._position(epoch)
        self.last_epoch = math.floor(epoch)
        self._set(self._lrs(self.T_cur, self.T_i))

    def load_state_dict(self, state: dict) -> None:
        self.__dict__.update(copy.deepcopy(state))
        self._set(self._lrs(self.T_cur, self.T_i))


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2018), stepped once per iteration (batch).

    The rate rises from η₀ = ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of the ``total_steps`` steps, then anneals to η_min = η₀ / final_div_factor
    by the last step. With ``three_phase``, it first goes back down to η₀ (symmetrically) and
    only then anneals to η_min. Each phase interpolates from its start value a to its end
    value b with the fraction p ∈ [0, 1] of the phase done:

        cos:     b + (a − b) (1 + cos(π p)) / 2
        linear:  a + (b − a) p

    With ``cycle_momentum``, the momentum (SGD's ``momentum``, or β₁ of Adam-like ``betas``)
    moves the opposite way, between ``max_momentum`` and ``base_momentum``.

    Args:
        optimizer: the optimizer to schedule (its lr is replaced by the schedule's).
        max_lr: the peak rate (or a list, one per group).
        total_steps: the number of steps of the cycle, or give ``epochs`` and
            ``steps_per_epoch``. Stepping past it raises ValueError.
        epochs, steps_per_epoch: total_steps = epochs · steps_per_epoch.
        pct_start: the fraction of the steps spent rising (in [0, 1]).
        anneal_strategy: ``"cos"`` or ``"linear"``.
        cycle_momentum: cycle the momentum too (the optimizer must have ``momentum`` or
            ``betas``).
        base_momentum, max_momentum: the momentum range (numbers or lists per group).
        div_factor: η₀ = max_lr / div_factor.
        final_div_factor: η_min = η₀ / final_div_factor.
        three_phase: use the three-phase schedule.
        last_epoch: the step to resume from (-1: start).

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=0.1, momentum=0.9)
    >>> sched = ss.optim.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="linear",
    ...                             div_factor=10, final_div_factor=10, pct_start=0.4)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
    >>> lrs, opt.param_groups[0]["momentum"]     # the momentum went 0.95 → 0.85 → 0.95
    ([0.1, 1.0, 0.67, 0.34, 0.01], 0.95)
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        name = "OneCycleLR"
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{name}: expected an optimizer, got {type(optimizer).__name__}")
        if total_steps is not None:
            _check_int(name, "total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            _check_int(name, "epochs", epochs, 1)
            _check_int(name, "steps_per_epoch", steps_per_epoch, 1)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch")
        _check_number(name, "pct_start", pct_start, 0.0, 1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        if three_phase:
            self._phases = [
                (float(pct_start * total_steps) - 1, "initial_lr", "max_lr", "max_momentum",
                 "base_momentum"),
                (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                 "max_momentum"),
                (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]  # fmt: skip
        else:
            self._phases = [
                (float(pct_start * total_steps) - 1, "initial_lr", "max_lr", "max_momentum",
                 "base_momentum"),
                (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]  # fmt: skip
        groups = optimizer.param_groups
        max_lrs = _per_group(name, "max_lr", max_lr, len(groups))
        if last_epoch == -1:
            for g, m in zip(groups, max_lrs):
                g["initial_lr"] = m / div_factor
                g["max_lr"] = m
                g["min_lr"] = g["initial_lr"] / final_div_factor
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{name}: cycle_momentum needs an optimizer with 'momentum' or 'betas' "
                    f"({type(optimizer).__name__} has neither); pass cycle_momentum=False"
                )
            self._use_beta1 = "betas" in optimizer.defaults
            bases = _per_group(name, "base_momentum", base_momentum, len(groups))
            maxes = _per_group(name, "max_momentum", max_momentum, len(groups))
            if last_epoch == -1:
                for g, b, m in zip(groups, bases, maxes):
                    self._set_momentum(g, m)
                    g["max_momentum"], g["base_momentum"] = m, b
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, m) -> None:
        if self._use_beta1:
            group["betas"] = (m, *group["betas"][1:])
        else:
            group["momentum"] = m

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def lr_at(self, e):
        if e > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {e} times; total_steps is {self.total_steps}"
            )
        lrs = []
        for g in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if e <= end or i == len(self._phases) - 1:
                    pct = (e - start) / (end - start)
                    lrs.append(self._anneal(g[lr0], g[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(g, self._anneal(g[m0], g[m1], pct))
                    break
                start = end
        return lrs


def _per_group(name, key, value, n):
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise ValueError(
                f"{name}: expected {n} values of {key} (one per group), got {len(value)}"
            )
        return list(value)
    return [value] * n


class ReduceLROnPlateau(LRScheduler):
    """Divide the rate when a metric has stopped improving: ``step(metric)`` after each
    evaluation; after more than ``patience`` evaluations in a row without improvement,

        η ← max(η · factor, min_lr)     (skipped when the change would be ≤ eps)

    and then ``cooldown`` evaluations pass before bad ones count again. "Improvement" of a
    metric a over the best so far, b, for ``mode="min"`` (``"max"`` mirrors it):

        threshold_mode="rel":  a < b (1 − threshold)        "abs":  a < b − threshold

    Args:
        optimizer: the optimizer to schedule.
        mode: ``"min"`` (a loss) or ``"max"`` (an accuracy).
        factor: the factor < 1 applied to the rate.
        patience: the number of evaluations without improvement tolerated.
        threshold: the least change that counts as an improvement.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: evaluations to wait after a reduction before counting again.
        min_lr: the lowest rate (or a list, one per group).
        eps: reductions smaller than this are skipped.

    In a Trainer, ``LRSchedule(sched, metric="val/loss")`` passes the evaluator's metric.

    >>> opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    >>> sched = ss.optim.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [3.0, 2.0, 2.5, 2.1, 2.2, 1.0]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()       # halved after the 2nd evaluation in a row without progress
    [0.5]
    """

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0.0,
        eps: float = 1e-8,
    ):
        name = "ReduceLROnPlateau"
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{name}: expected an optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor < 1.0:
            raise ValueError(f"{name}: factor must be a number < 1.0, got {factor!r}")
        _check_int(name, "patience", patience, 0)
        _check_int(name, "cooldown", cooldown, 0)
        _check_number(name, "threshold", threshold, 0.0, math.inf)
        _check_number(name, "eps", eps, 0.0, math.inf)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.min_lrs = _per_group(name, "min_lr", min_lr, len(optimizer.param_groups))
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics=None) -> None:
        """Record one evaluation of the metric (a number or a one-element Tensor)."""
        if metrics is None:
            raise TypeError("ReduceLROnPlateau.step needs the metric, e.g. sched.step(val_loss)")
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad evaluations in cooldown are not counted
        if self.num_bad_epochs > self.patience:
            for g, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(g["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict``; the groups' lr are set to the saved ones."""
        self.__dict__.update(copy.deepcopy(state))
        for g, lr in zip(self.optimizer.param_groups, self._last_lr):
            g["lr"] = lr


class NoamLR(LRScheduler):
    """Linear warm-up then inverse-square-root decay (Vaswani et al. 2017, the "Noam" rate):

        η_e = factor · d_model^(−1/2) · min(s^(−1/2), s · warmup_steps^(−3/2)),   s = e + 1

    rising linearly for ``warmup_steps`` steps to its peak factor / √(d_model · warmup_steps),
    then falling as 1/√s. The rate does not depend on the optimizer's own lr (the group's
    "lr" is overwritten; use ``factor`` to scale). Step it once per optimizer step (per
    iteration); the count s starts at 1, so the first update already has a non-zero rate.

    Args:
        optimizer: the optimizer to schedule.
        d_model: the model size.
        warmup_steps: the number of warm-up steps (> 0).
        factor: a constant multiplier.
        last_epoch: the step to resume from (-1: start).

    >>> opt = ss.optim.Adam([ss.nn.Parameter(ss.zeros(1))], lr=0.0)
    >>> sched = ss.optim.NoamLR(opt, d_model=512, warmup_steps=4000)
    >>> for _ in range(3999): sched.step()
    >>> round(sched.get_last_lr()[0], 7)          # the peak, at s = 4000
    0.0006988
    """

    def __init__(
        self,
        optimizer,
        d_model: int,
        warmup_steps: int = 4000,
        factor: float = 1.0,
        last_epoch: int = -1,
    ):
        name = type(self).__name__
        if d_model <= 0:
            raise ValueError(f"{name}: d_model must be positive, got {d_model}")
        if warmup_steps <= 0:
            raise ValueError(f"{name}: warmup_steps must be positive, got {warmup_steps}")
        self.d_model, self.warmup_steps, self.factor = d_model, warmup_steps, factor
        super().__init__(optimizer, last_epoch)

    def lr_at(self, e):
        s = e + 1
        lr = self.factor * self.d_model**-0.5 * min(s**-0.5, s * self.warmup_steps**-1.5)
        return [lr for _ in self.base_lrs]


InverseSqrtLR = NoamLR  # the other common name (fairseq's inverse_sqrt)
