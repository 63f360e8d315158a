"""``Module``: the base of every layer and model."""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

import numpy as np

from ..backend import Device, to_device_array
from ..core.tensor import Tensor
from .parameter import Parameter

__all__ = ["Module", "RemovableHandle"]


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook away again (also
    usable as a context manager)."""

    _next_id = 0

    def __init__(self, hooks: OrderedDict):
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class Module:
    """Base class of layers and models.

    Assigning a ``Parameter`` or a ``Module`` to an attribute registers it, so
    ``parameters()``, ``state_dict()``, ``to(device)`` and ``train()/eval()`` see it.
    Subclasses create parameters in ``__init__``, initialise them in ``reset_parameters()``,
    compute in ``forward`` and describe themselves in ``extra_repr()``.

    >>> import shinsou as ss
    >>> class Affine(ss.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = ss.nn.Parameter(ss.ones(2))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> m = Affine()
    >>> [name for name, _ in m.named_parameters()]
    ['w']
    >>> m(ss.tensor([1.0, 2.0]))
    tensor([1., 2.], grad_fn=Mul)
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        """Register Parameters and Modules; re-assigning a registered name keeps its place.

        As in PyTorch: a new Parameter or Module for an existing name takes the old one's
        position in ``named_parameters``/``named_modules``/``state_dict`` (``model.fc = ...``,
        ``seq[0] = ...``); a registered parameter accepts only a Parameter or None (a plain
        Tensor is an error: it would silently stop being trained), a child module only a
        Module or None, and a buffer only a Tensor or None (it stays a buffer). None keeps
        the name registered, empty.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        params, mods, bufs = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            mods.pop(name, None)
            bufs.pop(name, None)
            params[name] = value  # an existing key keeps its position
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign '{type(value).__name__}' as "
                    f"parameter '{name}' (nn.Parameter or None expected); to change its "
                    f"values, assign to .data or use copy_ under no_grad()"
                )
            params[name] = None
        elif isinstance(value, Module):
            params.pop(name, None)
            bufs.pop(name, None)
            mods[name] = value
        elif name in mods:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign '{type(value).__name__}' as child "
                    f"module '{name}' (nn.Module or None expected)"
                )
            mods[name] = None
        elif name in bufs:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: cannot assign '{type(value).__name__}' as buffer "
                    f"'{name}' (Tensor or None expected)"
                )
            bufs[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, to keep the slot empty, as for ``bias=False``)."""
        if param is None:  # registered, empty (PyTorch): state_dict and parameters skip it
            object.__setattr__(self, name, None)
            self._modules.pop(name, None)
            self._buffers.pop(name, None)
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, value: Tensor | None, persistent: bool = True) -> None:
        """Register non-trainable state (running statistics): moved and cast by ``.to()``,
        listed by ``buffers()``, and saved in ``state_dict`` unless ``persistent=False``
        (derived values such as a cached mask or table, rebuilt in ``__init__``)."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(
                f"register_buffer: name must be a non-empty string without '.', got {name!r}"
            )
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"register_buffer: cannot assign a {type(value).__name__} as buffer {name!r} "
                "(a Tensor or None expected)"
            )
        object.__setattr__(self, name, value)
        self._buffers[name] = value
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        setattr(self, name, module)
        if module is None:
            self._modules[name] = None

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            args = self._run_forward_pre_hooks(args)
        wrap_outputs = None
        if self._backward_hooks or self._backward_pre_hooks:
            from .hooks import setup_backward_hooks

            args, wrap_outputs = setup_backward_hooks(self, args)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        if wrap_outputs is not None:
            out = wrap_outputs(out)
        return out

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward of this module (as in
        PyTorch); a non-None return value replaces the output. Returns a handle whose
        ``remove()`` unregisters the hook — the way to look at intermediate feature maps.

        >>> net = ss.nn.Sequential(ss.nn.Linear(2, 3), ss.nn.ReLU())
        >>> seen = []
        >>> handle = net[0].register_forward_hook(lambda m, inp, out: seen.append(out.shape))
        >>> _ = net(ss.zeros(4, 2)); handle.remove(); _ = net(ss.zeros(1, 2))
        >>> seen
        [(4, 3)]
        """
        if not callable(hook):
            raise TypeError(f"register_forward_hook: expected a callable, got {hook!r}")
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, with dotted names."""
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers appears once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in mods:
            for pname, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = ""):
        for mname, m in self.named_modules(prefix):
            for bname, b in m._buffers.items():
                if b is not None:
                    yield (f"{mname}.{bname}" if mname else bname), b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Total number of scalar parameters."""
        return int(
            sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
        )

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics); returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._from_op(p.xp.zeros_like(p.array), None)

    def requires_grad_(self, flag: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter."""
        for p in self.parameters():
            p.requires_grad = flag
        return self

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every module (children first), e.g. for custom init."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ devices and dtypes
    def to(self, device=None, dtype=None) -> Module:
        """Move (and/or cast) every parameter and buffer in place; returns self.

        As in PyTorch, the first argument may be a device (``"cuda"``, a ``Device``) or a
        floating dtype (``np.float64``, ``"float64"``): ``net.to(np.float64)``.
        """
        if isinstance(device, str) and device.split(":")[0] not in ("cpu", "cuda"):
            device, dtype = None, device
        elif device is not None and not isinstance(device, (str, Device)):
            try:
                device, dtype = None, np.dtype(device)
            except TypeError:
                pass  # not a dtype: Device() below names what was given
        if device is not None:
            Device(device).check()
        for t in list(self.parameters()) + [b for _, b in self.named_buffers()]:
            data = t.array
            if device is not None:
                data = to_device_array(data, device)
            if dtype is not None and data.dtype.kind == "f":
                data = data.astype(dtype)
            t.array = data
            if t.grad is not None:
                g = t.grad.array
                g = to_device_array(g, device) if device is not None else g
                t._grad = Tensor._from_op(g.astype(data.dtype) if dtype is not None else g, None)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Module:
        return self.to(f"cuda:{index}")

    def float(self) -> Module:
        return self.to(dtype=np.float32)

    def double(self) -> Module:
        return self.to(dtype=np.float64)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict:
        """Parameters and buffers by dotted name, as NumPy arrays (copies)."""
        out = OrderedDict()
        for name, t in self._state_items():
            out[name] = np.array(t.numpy(), copy=True)
        return out

    def load_state_dict(self, state: dict, strict: bool = True) -> tuple[list, list]:
        """Copy arrays from ``state`` into this module's parameters and buffers.

        Raises a KeyError listing missing and unexpected keys (when ``strict``) and a
        ValueError naming the key and both shapes on a shape mismatch; nothing is changed
        unless every key fits. Returns (missing, unexpected) key lists.
        """
        own = dict(self._state_items())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing keys: " + ", ".join(missing))
            if unexpected:
                parts.append("unexpected keys: " + ", ".join(unexpected))
            raise KeyError(f"{type(self).__name__}.load_state_dict: " + "; ".join(parts))
        staged = []
        for k, t in own.items():
            if k not in state:
                continue
            v = state[k]
            v = v.numpy() if isinstance(v, Tensor) else np.asarray(v)
            if v.shape != t.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: '{k}' has shape {v.shape} in the "
                    f"state dict but {t.shape} in the model"
                )
            staged.append((t, v))
        for t, v in staged:
            t.array = (
                t.xp.asarray(v, dtype=t.dtype).copy()
                if t.xp is not np
                else np.array(v, dtype=t.dtype, copy=True)
            )
        return missing, unexpected

    # ------------------------------------------------------------------ nn-layers block
    def _state_items(self):
        """(dotted name, Tensor) of what goes into ``state_dict``, in PyTorch's order: each
        module's parameters, then its persistent buffers, then its children's, depth first
        (a parameter shared by two layers appears once)."""
        seen = set()
        for mname, m in self.named_modules():
            for pname, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{pname}" if mname else pname), p
            for bname, b in m._buffers.items():
                if b is not None and bname not in m._non_persistent_buffers_set:
                    yield (f"{mname}.{bname}" if mname else bname), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (persistent or not) of this module and, with ``recurse``, below it."""
        if recurse:
            for _, b in self.named_buffers():
                yield b
        else:
            yield from (b for b in self._buffers.values() if b is not None)

    def get_submodule(self, target: str) -> Module:
        """The module at dotted path ``target`` ("" is this module): ``net.get_submodule(
        "features.0")``. Raises AttributeError naming the part of the path that is missing.

        >>> net = ss.nn.Sequential(ss.nn.Sequential(ss.nn.Linear(2, 2)))
        >>> net.get_submodule("0.0")
        Linear(in_features=2, out_features=2, bias=True)
        """
        if target == "":
            return self
        mod: Module = self
        path = ""
        for item in target.split("."):
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(
                    f"{type(mod).__name__} has no submodule `{item}` (looking up "
                    f"`{target}` in {type(self).__name__}{' at ' + path if path else ''})"
                )
            mod = mod._modules[item]
            path = f"{path}.{item}" if path else item
        return mod

    def _get_leaf(self, target: str, store: str, what: str):
        mpath, _, name = target.rpartition(".")
        mod = self.get_submodule(mpath)
        table = getattr(mod, store)
        if name not in table or table[name] is None:
            raise AttributeError(f"{type(mod).__name__} has no {what} `{name}` (`{target}`)")
        return table[name]

    def get_parameter(self, target: str):
        """The Parameter at dotted path ``target``, e.g. ``"0.weight"``."""
        return self._get_leaf(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``, e.g. ``"bn.running_mean"``."""
        return self._get_leaf(target, "_buffers", "buffer")

    def _run_forward_pre_hooks(self, args: tuple) -> tuple:
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        return args

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward (as PyTorch); a non-None return
        value (a tuple, or one value) replaces the positional arguments. Returns a handle
        with ``remove()``.

        >>> lin = ss.nn.Linear(2, 2)
        >>> h = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        >>> lin(ss.ones(1, 2)).tolist() == [lin.bias.tolist()]
        True
        """
        if not callable(hook):
            raise TypeError(f"register_forward_pre_hook: expected a callable, got {hook!r}")
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` in backward, once the gradients of
        this module's Tensor arguments are known (as PyTorch): ``grad_input`` has one entry
        per positional argument (None for non-Tensors; zeros for a Tensor that needs no
        gradient beside one that does; all None, and the hook runs as soon as the output
        gradients are known, when none needs one), ``grad_output`` one per output Tensor.
        A non-None return value (a tuple like ``grad_input``) replaces the gradients passed
        on to the inputs. Gradients of the
        module's parameters are not in ``grad_input``. Returns a handle with ``remove()``.

        >>> lin = ss.nn.Linear(2, 1)
        >>> seen = []
        >>> h = lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
        >>> lin(ss.ones(3, 2, requires_grad=True)).sum().backward(); seen
        [(3, 1)]
        """
        if not callable(hook):
            raise TypeError(f"register_full_backward_hook: expected a callable, got {hook!r}")
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def register_full_backward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` in backward when the gradients of this module's
        outputs are known, before they enter the module; a non-None return value replaces
        them. Returns a handle with ``remove()``."""
        if not callable(hook):
            raise TypeError(f"register_full_backward_pre_hook: expected a callable, got {hook!r}")
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [
            f"({name}): " + repr(m).replace("\n", "\n  ")
            for name, m in self._modules.items()
            if m is not None
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
