"""Containers: ``Sequential`` and ``ModuleList``."""

from __future__ import annotations

from collections import OrderedDict

from .module import Module

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
