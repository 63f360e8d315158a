"""Shared helpers of the optimizers (private)."""

from __future__ import annotations

from ..optimizer import GradientMethod, Hyperparameter, HyperparameterProxy, UpdateRule


def defaults(**values):
    """A parentless Hyperparameter holding an optimizer's default values."""
    hp = Hyperparameter()
    for k, v in values.items():
        setattr(hp, k, v)
    return hp


def make_rule_init(default_hp, names):
    """``__init__(self, parent_hyperparam=None, **overrides)`` of an update rule."""

    def __init__(self, parent_hyperparam=None, **kwargs):
        UpdateRule.__init__(self, parent_hyperparam or default_hp)
        for k, v in kwargs.items():
            if k not in names:
                raise TypeError(f"{type(self).__name__}: unexpected hyperparameter {k!r}")
            if v is not None:
                setattr(self.hyperparam, k, v)

    return __init__


class Method(GradientMethod):
    """A GradientMethod whose hyperparameters are ``_names`` (proxied as attributes) and
    whose rule class is ``_rule``."""

    _rule = None
    _names = ()

    def __init__(self, **values):
        super().__init__()
        for k, v in values.items():
            setattr(self.hyperparam, k, v)

    def create_update_rule(self):
        return self._rule(self.hyperparam)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for name in cls._names:
            if name not in cls.__dict__:
                setattr(cls, name, HyperparameterProxy(name))


def check_eps(eps, dtype, opt):
    e = dtype.type(eps)
    if eps != 0 and e == 0:
        raise ValueError(f"eps of {opt} optimizer is too small for {dtype.name} ({eps})")
    return e
