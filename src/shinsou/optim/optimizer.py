"""``Optimizer``: parameter groups, per-parameter state, and state_dict round trips."""

from __future__ import annotations

import copy

import numpy as np

from ..backend import get_array_module, to_device_array
from ..core.tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of optimizers.

    Args:
        params: an iterable of Parameters, or of dicts (parameter groups) each holding
            ``"params"`` and any hyper-parameters that override ``defaults`` for that group.
        defaults: the hyper-parameters of the optimizer.

    State for parameter ``p`` lives in ``self.state[p]`` (a dict of arrays and counters).
    Subclasses implement ``step()`` and validate their hyper-parameters.

    Gradients are read, never written in place: a ``.grad`` array may be shared by several
    parameters.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Parameters "
                "(e.g. model.parameters()), got a single Tensor"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        """Add a group: {"params": [...], "lr": ..., ...}; missing keys take the defaults."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' key")
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
        """Check a group's hyper-parameters; subclasses extend it."""
        name = type(self).__name__
        for key in ("lr", "weight_decay", "eps", "momentum", "lr_decay", "dampening"):
            if key in group and group[key] < 0:
                raise ValueError(f"{name}: {key} must be >= 0, got {group[key]}")

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
            if maximize:
                g = -g
            if wd:
                g = g + wd * p.data
            yield p, g

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None, or to fresh zero arrays)."""
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = get_array_module(p.data).zeros_like(p.data)

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ serialisation
    def state_dict(self) -> dict:
        """{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]} with
        parameters numbered in group order (PyTorch's layout); arrays are NumPy copies."""
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
                            if hasattr(v, "shape") and hasattr(v, "dtype") and np.ndim(v)
                            else v
                        )
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by ``state_dict``.

        The saved groups must match this optimizer's groups in number and sizes, and each
        state array must match its parameter's shape; otherwise a ValueError says what differs
        and nothing is changed.
        """
        name = type(self).__name__
        groups = state_dict.get("param_groups")
        if groups is None or "state" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected keys 'state' and 'param_groups'")
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
            params.extend(zip(saved["params"], own["params"]))
        new_state = {}
        for idx, p in params:
            s = state_dict["state"].get(idx, state_dict["state"].get(str(idx)))
            if s is None:
                continue
            restored = {}
            xp = get_array_module(p.data)
            for k, v in s.items():
                if isinstance(v, np.ndarray) and v.ndim:
                    if v.shape != p.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: state '{k}' of parameter {idx} "
                            f"has shape {v.shape}, the parameter has {p.shape}"
                        )
                    v = xp.asarray(v, dtype=p.dtype).copy()
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
