"""``Optimizer``: parameter groups, per-parameter state, and state_dict round trips."""

from __future__ import annotations

import copy
import math
from numbers import Real

import numpy as np

from ..backend import get_array_module, to_device_array
from ..core.grad_mode import enable_grad, no_grad
from ..core.tensor import Tensor

__all__ = ["Optimizer"]

# hyper-parameters that must be real numbers >= 0 wherever an optimizer has them
_NON_NEGATIVE = ("lr", "momentum", "dampening", "weight_decay", "eps", "lr_decay")


def check_betas(name: str, betas) -> None:
    """Raise ValueError unless ``betas`` is a pair of numbers in [0, 1)."""
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if isinstance(b, bool) or not isinstance(b, int | float) or not 0.0 <= b < 1.0:
            raise ValueError(f"{name}: betas[{i}] must be in [0, 1) (a number), got {b!r}")


class Optimizer:
    """Base class of optimizers: θ ← update(θ, ∇L(θ), state) for each parameter θ.

    Args:
        params: an iterable of Parameters (e.g. ``model.parameters()``), or of dicts
            (parameter groups), each holding ``"params"`` and any hyper-parameters that
            override ``defaults`` for that group.
        defaults: the hyper-parameters of the optimizer (``lr``, ...).

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of Parameters) and every
            hyper-parameter; schedulers change ``group["lr"]`` between steps.
        state: ``state[p]`` holds parameter ``p``'s buffers (arrays on ``p``'s device) and
            step counters; it is filled on the first ``step`` that sees a gradient for ``p``.

    Subclasses implement ``step()`` and extend ``_validate`` for their hyper-parameters.
    Parameters whose ``.grad`` is None are skipped. Gradients are read, never written in
    place (a ``.grad`` array may be shared by several parameters); ``p.array`` and the state
    buffers are updated in place.

    >>> w = ss.nn.Parameter(ss.tensor([1.0, 2.0]))
    >>> b = ss.nn.Parameter(ss.tensor([0.0]))
    >>> opt = ss.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.5]
    >>> opt.state_dict()["param_groups"][1]["params"]    # parameters by index, as in PyTorch
    [1]
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of Parameters "
                "(e.g. model.parameters()), got a single Tensor"
            )
        if isinstance(params, dict):
            raise TypeError(
                f"{name}: params must be an iterable of Parameters or of dicts (parameter "
                "groups), got a single dict: wrap it in a list"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{name} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        """Add a group: ``{"params": [...], "lr": ..., ...}``; missing keys take the defaults.

        Raises ValueError when a parameter is already optimized (in this or another group)
        or a hyper-parameter is out of range.
        """
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' key, "
                f"got {type(group).__name__}"
            )
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: can only optimize floating-point tensors, got {p.dtype}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear more than once")
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        self._validate(full)
        full["params"] = params
        self.param_groups.append(full)

    def _validate(self, group: dict) -> None:
        """Check one group's hyper-parameters (also each group passed to
        ``add_param_group`` and each loaded group); subclasses extend it."""
        name = type(self).__name__
        for key in _NON_NEGATIVE:
            if key not in group:
                continue
            v = group[key]
            if isinstance(v, bool) or not isinstance(v, Real):
                raise TypeError(f"{name}: {key} must be a number, got {v!r}")
            if not v >= 0 or math.isinf(v):  # `not >=` also catches NaN
                raise ValueError(f"{name}: {key} must be >= 0 and finite, got {v}")

    def _param_state(self, p, *buffers: str, **scalars) -> dict:
        """The state of parameter ``p``, made on its first step: ``{"step": 0, **scalars,
        name: zeros like p for each name in buffers}``."""
        state = self.state.get(p)
        if state is None:
            xp = get_array_module(p.array)
            state = self.state[p] = {"step": 0, **scalars}
            for name in buffers:
                state[name] = xp.zeros_like(p.array)
        return state

    @staticmethod
    def _grads(group: dict, l2: bool = True):
        """(parameter, gradient) for each parameter of ``group`` that has a gradient.

        The gradient is negated for ``maximize`` and, when ``l2``, has the L2 term λθ of the
        group's ``weight_decay`` λ added. New arrays are made; ``p.grad`` is never modified.
        """
        wd = group.get("weight_decay", 0) if l2 else 0
        maximize = group.get("maximize", False)
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            g = g.array
            if maximize:
                g = -g
            if wd:
                g = g + wd * p.array
            yield p, g

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter.

        Args:
            set_to_none: set ``p.grad = None`` (the default: frees memory, and the next
                backward assigns fresh arrays). With False, every gradient that exists is
                replaced by a fresh array of zeros (never zeroed in place: it may be shared);
                gradients that are None stay None, as in PyTorch.
        """
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = Tensor._from_op(get_array_module(p.array).zeros_like(p.array), None)

    def step(self, closure=None):
        """One update of every parameter that has a gradient (without recording a graph).

        Args:
            closure: optional function that recomputes the loss (zero_grad, forward,
                backward) and returns it; it runs first, with gradients enabled.

        Returns:
            The closure's loss, or None.
        """
        for hook in list(getattr(self, "_step_pre_hooks", {}).values()):
            hook(self, (closure,) if closure is not None else (), {})
        loss = self._run_closure(closure)
        with no_grad():
            self._update()
        return loss

    def register_step_pre_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` at the start of every ``step`` (PyTorch's
        hook; ``shinsou.distributed`` averages the gradients over the ranks there). Returns a
        handle whose ``remove()`` unregisters it.

        >>> p = ss.nn.Parameter(ss.ones(1))
        >>> opt = ss.optim.SGD([p], lr=0.1)
        >>> seen = []
        >>> handle = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(o))
        >>> opt.step(); handle.remove(); opt.step()
        >>> len(seen)
        1
        """
        if not callable(hook):
            raise TypeError(f"register_step_pre_hook: hook must be callable, got {hook!r}")
        if "_step_pre_hooks" not in self.__dict__:
            self._step_pre_hooks = {}
        return _StepHookHandle(self._step_pre_hooks, hook)

    def _update(self) -> None:  # pragma: no cover - abstract
        """The optimizer's update rule, applied to every group (subclasses define it)."""
        raise NotImplementedError

    @staticmethod
    def _run_closure(closure):
        """Evaluate a ``step(closure)`` closure with gradients enabled (steps run under
        ``no_grad``)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ serialisation
    def state_dict(self) -> dict:
        """The optimizer's state in PyTorch's layout, as NumPy copies.

        Returns:
            ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` with
            parameters numbered 0, 1, ... in group order; only parameters that have state
            appear in ``"state"``.
        """
        index = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index[id(p)] = len(index)
                ids.append(index[id(p)])
            groups.append(
                {**{k: copy.deepcopy(v) for k, v in g.items() if k != "params"}, "params": ids}
            )
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: (
                            np.array(to_device_array(v, "cpu"), copy=True)
                            if hasattr(v, "shape") and hasattr(v, "dtype")
                            else copy.deepcopy(v)
                        )
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by ``state_dict``.

        The saved groups must match this optimizer's groups in number and sizes, and each
        state array must match its parameter's shape; otherwise a ValueError says what differs
        and nothing is changed. Arrays are copied onto each parameter's device and dtype.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(f"{name}.load_state_dict: expected keys 'state' and 'param_groups'")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(groups)} parameter "
                f"groups, this optimizer has {len(self.param_groups)}"
            )
        params = []
        for i, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(saved['params'])} "
                    f"parameters in the state, {len(own['params'])} here"
                )
            self._validate({k: v for k, v in saved.items() if k != "params"})
            params.extend(zip(saved["params"], own["params"]))
        new_state = {}
        for idx, p in params:
            s = state_dict["state"].get(idx, state_dict["state"].get(str(idx)))
            if s is None:
                continue
            restored = {}
            xp = get_array_module(p.array)
            for k, v in s.items():
                if hasattr(v, "shape") and hasattr(v, "dtype") and np.ndim(v):
                    if tuple(v.shape) != p.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: state '{k}' of parameter {idx} "
                            f"has shape {tuple(v.shape)}, the parameter has {p.shape}"
                        )
                    v = xp.array(to_device_array(v, p.device), dtype=p.dtype, copy=True)
                else:
                    v = copy.deepcopy(v)
                restored[k] = v
            new_state[p] = restored
        for saved, own in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    own[k] = copy.deepcopy(v)
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


class _StepHookHandle:
    """The handle of an optimizer step hook: ``remove()`` unregisters it."""

    _next = 0

    def __init__(self, table: dict, hook):
        _StepHookHandle._next += 1
        self.id = _StepHookHandle._next
        self._table = table
        table[self.id] = hook

    def remove(self) -> None:
        self._table.pop(self.id, None)
