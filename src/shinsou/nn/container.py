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
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]

    def __setitem__(self, i: int, module: Module) -> None:
        """Replace the i-th module (negative i counts from the end), keeping its name: the way
        to put a new head on a pre-trained net, ``net.classifier[-1] = Linear(4096, 10)``."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: cannot put a {type(module).__name__} in, not a Module")
        names = list(self._modules)
        if not -len(names) <= i < len(names):
            raise IndexError(f"Sequential: index {i} out of range for {len(names)} modules")
        setattr(self, names[i], module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (no forward of its own)."""

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

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
