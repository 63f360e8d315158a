"""Containers: ``Sequential`` and ``ModuleList``."""

from __future__ import annotations

from collections import OrderedDict

from ..core.tensor import Tensor
from .module import Module
from .parameter import Parameter

__all__ = ["Sequential", "ModuleList"]


class Sequential(Module):
    """Modules applied one after another: y = f_n(... f_2(f_1(x))).

    >>> import shinsou as ss
    >>> net = ss.nn.Sequential(ss.nn.Linear(4, 8), ss.nn.ReLU(), ss.nn.Linear(8, 2))
    >>> net(ss.zeros(3, 4)).shape
    (3, 2)
    >>> net.num_parameters()
    58
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        """``net[i]`` is the i-th module; ``net[a:b]`` a Sequential of those modules, under
        their names in ``net`` (as torch: ``net[1:]`` has modules '1', '2', ...)."""
        if isinstance(i, slice):
            return type(self)(OrderedDict(list(self._modules.items())[i]))
        return self._modules[_name_at(self, i)]

    def __setitem__(self, i: int, module: Module) -> None:
        """Replace the i-th module (negative i counts from the end), keeping its name and its
        place: the way to put a new head on a pre-trained net,
        ``net.classifier[-1] = Linear(4096, 10)``."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: cannot put a {type(module).__name__} in, not a Module")
        setattr(self, _name_at(self, i), module)

    def __delitem__(self, i) -> None:
        """Remove the i-th module (or a slice of them); the rest are renumbered 0, 1, ...
        (as in torch)."""
        items = list(self._modules.items())
        gone = {n for n, _ in (items[i] if isinstance(i, slice) else [items[_pos(self, i)]])}
        _renumber(self, [m for n, m in items if n not in gone])

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named ``str(len(self))``)."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` before position ``index``; modules are renumbered 0, 1, ...

        >>> net = ss.nn.Sequential(ss.nn.Linear(2, 3), ss.nn.Linear(3, 1))
        >>> [type(m).__name__ for m in net.insert(1, ss.nn.ReLU())]
        ['Linear', 'ReLU', 'Linear']
        """
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        _renumber(self, _inserted(self, index, module))
        return self

    def extend(self, modules) -> Sequential:
        """Append every module of ``modules`` (a Sequential, a list, ...)."""
        for m in modules:
            self.append(m)
        return self

    def pop(self, i: int) -> Module:
        """Remove and return the i-th module."""
        m = self[i]
        del self[i]
        return m


def _pos(container, i) -> int:
    """``i`` as a position in [0, len), or an IndexError naming the container."""
    n = len(container._modules)
    if isinstance(i, bool) or not hasattr(i, "__index__"):
        raise TypeError(f"{type(container).__name__}: index must be an int, got {i!r}")
    i = int(i)
    if not -n <= i < n:
        raise IndexError(f"{type(container).__name__}: index {i} out of range for {n} modules")
    return i % n


def _name_at(container, i) -> str:
    return list(container._modules)[_pos(container, i)]


def _renumber(container, modules) -> None:
    """Make ``modules`` the container's children, named '0', '1', ... in that order."""
    for name in list(container._modules):
        delattr(container, name)
    for k, m in enumerate(modules):
        container.add_module(str(k), m)


def _inserted(container, index: int, module: Module) -> list:
    mods = list(container._modules.values())
    n = len(mods)
    if not -n <= index <= n:
        raise IndexError(
            f"{type(container).__name__}.insert: index {index} out of range for {n} modules"
        )
    mods.insert(index, module)  # a negative index counts from the end, as list.insert
    return mods


class ModuleList(Module):
    """A list of modules whose parameters are registered (no forward of its own); indexing,
    slicing (a new ModuleList), ``ml[i] = m``, ``del ml[i]``, ``append``, ``insert``,
    ``extend``, ``+=``, ``len`` and iteration work as on a Python list (and as in torch).

    >>> blocks = ss.nn.ModuleList([ss.nn.Linear(4, 4) for _ in range(3)])
    >>> blocks[0] = ss.nn.Linear(4, 4, bias=False); del blocks[1]
    >>> len(blocks), [n for n, _ in blocks.named_parameters()]
    (2, ['0.weight', '1.weight', '1.bias'])
    """

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``; modules are renumbered 0, 1, ..."""
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.insert: expected a Module, got {type(module).__name__}")
        _renumber(self, _inserted(self, index, module))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)(list(self._modules.values())[i])
        return self._modules[_name_at(self, i)]

    def __setitem__(self, i: int, module: Module) -> None:
        """Replace the i-th module, keeping its name and place."""
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(module).__name__}")
        setattr(self, _name_at(self, i), module)

    def __delitem__(self, i) -> None:
        items = list(self._modules.items())
        gone = {n for n, _ in (items[i] if isinstance(i, slice) else [items[_pos(self, i)]])}
        _renumber(self, [m for n, m in items if n not in gone])

    def pop(self, i: int = -1) -> Module:
        m = self[i]
        del self[i]
        return m

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


# ----------------------------------------------------------------------------- nn-layers block
def _check_key(cls: str, key) -> str:
    if not isinstance(key, str):
        raise TypeError(f"{cls}: keys must be strings, got {type(key).__name__}")
    if not key or "." in key:
        raise KeyError(f"{cls}: a key must be a non-empty string without '.', got {key!r}")
    return key


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order (no forward).
    Entries live only in the dict (``md["fc"]``), so any string key is allowed (except ones
    with a '.', which would break the dotted ``state_dict`` names).

    >>> heads = ss.nn.ModuleDict({"cls": ss.nn.Linear(4, 3), "box": ss.nn.Linear(4, 2)})
    >>> list(heads), [k for k in heads.state_dict()]
    (['cls', 'box'], ['cls.weight', 'cls.bias', 'box.weight', 'box.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(
                f"ModuleDict: expected a Module for {key!r}, got {type(module).__name__}"
            )
        self._modules[_check_key("ModuleDict", key)] = module

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for i, kv in enumerate(pairs):
            if not isinstance(kv, (tuple, list)) or len(kv) != 2:
                raise ValueError(f"ModuleDict.update: element {i} is not a (key, module) pair")
            self[kv[0]] = kv[1]


def _as_parameter(cls: str, value) -> Parameter:
    """A Parameter as is; a plain Tensor becomes a Parameter sharing its data (PyTorch)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value.array)
    raise TypeError(f"{cls}: expected a Parameter or Tensor, got {type(value).__name__}")


class ParameterList(Module):
    """A list of Parameters, registered as "0", "1", ... (as in PyTorch); plain Tensors are
    turned into Parameters.

    >>> ps = ss.nn.ParameterList([ss.nn.Parameter(ss.zeros(2)), ss.ones(3)])
    >>> len(ps), [name for name, _ in ps.named_parameters()], ps[1].shape
    (2, ['0', '1'], (3,))
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _key(self, i: int) -> str:
        n = len(self)
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"ParameterList: index must be an int, got {type(i).__name__}")
        if not -n <= i < n:
            raise IndexError(f"ParameterList: index {i} out of range for {n} parameters")
        return str(i % n)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ParameterList(list(self._parameters.values())[i])
        return self._parameters[self._key(i)]

    def __setitem__(self, i: int, value) -> None:
        self._parameters[self._key(i)] = _as_parameter("ParameterList", value)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value) -> ParameterList:
        self._parameters[str(len(self))] = _as_parameter("ParameterList", value)
        return self

    def extend(self, values) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return ", ".join(f"({i}): {tuple(p.shape)}" for i, p in enumerate(self))


class ParameterDict(Module):
    """A dict of Parameters by name, in insertion order; plain Tensors become Parameters.

    >>> pd = ss.nn.ParameterDict({"scale": ss.ones(1), "shift": ss.zeros(1)})
    >>> list(pd.keys()), [name for name, _ in pd.named_parameters()]
    (['scale', 'shift'], ['scale', 'shift'])
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        key = _check_key("ParameterDict", key)
        self._parameters[key] = _as_parameter("ParameterDict", value)

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def pop(self, key: str) -> Parameter:
        return self._parameters.pop(key)

    def clear(self) -> None:
        self._parameters.clear()

    def update(self, parameters) -> None:
        """Add (key, parameter) pairs from a mapping or an iterable of pairs."""
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for i, kv in enumerate(pairs):
            if not isinstance(kv, (tuple, list)) or len(kv) != 2:
                raise ValueError(f"ParameterDict.update: element {i} is not a (key, value) pair")
            self[kv[0]] = kv[1]

    def extra_repr(self) -> str:
        return ", ".join(f"({k}): {tuple(p.shape)}" for k, p in self.items())


__all__ += ["ModuleDict", "ParameterList", "ParameterDict"]
