"""``chainer.optimizer``: ``Optimizer``, ``GradientMethod``, ``UpdateRule`` and hyperparameters.

An optimizer is bound to a Link by ``setup(link)``; ``GradientMethod.setup`` gives every
Parameter its own ``update_rule`` (``param.update_rule``), whose ``hyperparam`` inherits each
value from the optimizer's (``optimizer.lr = 0.1`` changes every rule that does not override
``lr``; ``param.update_rule.hyperparam.lr = 0.0`` overrides it for that parameter only).

One ``update()`` (Chainer's order):

1. with ``update(lossfun, *args)``: ``loss = lossfun(*args)``, ``target.cleargrads()``,
   ``loss.backward()``;
2. a parameter without a gradient gets zeros (``reallocate_cleared_grads``);
3. the optimizer's ``'pre'`` hooks (``WeightDecay``, ``GradientClipping``...), ``t += 1``;
4. each enabled rule: its own ``'pre'`` hooks, ``update_core(param)``, its ``'post'`` hooks;
5. the optimizer's ``'post'`` hooks.

``serialize`` writes ``t``, ``epoch`` and, per parameter path, the rule's ``t`` and state
(``predictor/l1/W/t``, ``predictor/l1/W/m``...): the keys Chainer writes in a snapshot.

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> import shinsou.chainer.links as L
>>> from shinsou.chainer import optimizers
>>> link = L.Linear(2, 1, initialW=np.ones((1, 2), np.float32))
>>> opt = optimizers.SGD(lr=0.5).setup(link)
>>> x = np.array([[1.0, 2.0]], dtype=np.float32)
>>> opt.update(lambda: chainer.functions.sum(link(x)))  # dL/dW = x, dL/db = 1
>>> link.W.array, link.b.array, opt.t
(array([[0.5, 0. ]], dtype=float32), array([-0.5], dtype=float32), 1)
"""

from __future__ import annotations

import collections
import copy
import math
import warnings

import numpy

__all__ = [
    "Hyperparameter",
    "HyperparameterProxy",
    "UpdateRule",
    "Optimizer",
    "GradientMethod",
    "WeightDecay",
    "Lasso",
    "GradientClipping",
    "GradientHardClipping",
    "GradientNoise",
]


class _Hookable:
    """Named hooks called before ('pre') or after ('post') an update."""

    def __init__(self, owner, invalid_timing_fallback=False):
        self._owner = owner
        self._pre = collections.OrderedDict()
        self._post = collections.OrderedDict()
        self._fallback = invalid_timing_fallback

    def add_hook(self, hook, name, timing):
        if not callable(hook):
            raise TypeError(f"{self._owner}.add_hook: the hook must be callable, got {hook!r}")
        if timing not in ("pre", "post", "auto"):
            raise ValueError(
                f"{self._owner}.add_hook: timing must be 'pre', 'post' or 'auto', got {timing!r}"
            )
        if timing == "auto":
            timing = getattr(hook, "timing", "pre")
            if timing not in ("pre", "post"):
                if not self._fallback:
                    raise ValueError(
                        f"{self._owner}.add_hook: the hook's timing attribute must be 'pre' "
                        f"or 'post', got {timing!r}"
                    )
                warnings.warn(
                    "Hook timing attribute not in ('pre', 'post'), defaulting timing to 'pre'.",
                    stacklevel=3,
                )
                timing = "pre"
        if name is None:
            name = getattr(hook, "name", getattr(hook, "__name__", None))
            if name is None:
                raise ValueError(f"{self._owner}.add_hook: the hook has no name; pass name=")
        if name in self._pre or name in self._post:
            raise KeyError(f'hook "{name}" already exists')
        (self._pre if timing == "pre" else self._post)[name] = hook

    def remove_hook(self, name):
        if name in self._pre:
            del self._pre[name]
        elif name in self._post:
            del self._post[name]
        else:
            raise KeyError(f"{self._owner}.remove_hook: there is no hook named {name!r}")

    def hooks(self, timing):
        if timing == "pre":
            return list(self._pre.values())
        if timing == "post":
            return list(self._post.values())
        raise ValueError(f"timing must be either 'pre' or 'post', got {timing!r}")


class Hyperparameter:
    """A set of hyperparameters; a value not set here is looked up in the parent.

    >>> parent = Hyperparameter(); parent.lr = 0.1
    >>> child = Hyperparameter(parent)
    >>> child.lr
    0.1
    >>> child.lr = 0.5; (child.lr, parent.lr)
    (0.5, 0.1)
    """

    def __init__(self, parent=None):
        self._parent = parent

    def __getattr__(self, name):
        if "_parent" not in self.__dict__:
            raise AttributeError("_parent is not set up yet")
        parent = self.__dict__["_parent"]
        if parent is None:
            raise AttributeError(f"Hyperparameter has no value {name!r}")
        return getattr(parent, name)

    def __repr__(self):
        d = self.get_dict()
        return "Hyperparameter(%s)" % ", ".join(f"{k}={d[k]}" for k in sorted(d))

    @property
    def parent(self):
        return self._parent

    def get_dict(self):
        """All values, the parent's overridden by this one's."""
        d = {} if self._parent is None else self._parent.get_dict()
        for k, v in self.__dict__.items():
            if k != "_parent":
                d[k] = v
        return d


class HyperparameterProxy:
    """A class attribute that reads and writes ``self.hyperparam.<name>``."""

    def __init__(self, attr_name):
        self._attr_name = attr_name
        self.__doc__ = f"Alias to ``self.hyperparam.{attr_name}``"

    def __get__(self, obj, type=None):
        if obj is None:
            return self
        return getattr(obj.hyperparam, self._attr_name)

    def __set__(self, obj, value):
        setattr(obj.hyperparam, self._attr_name, value)


class UpdateRule:
    """How one parameter is updated; ``state`` holds its arrays (moments...).

    Subclasses define ``init_state(param)`` (fill ``self.state``) and
    ``update_core_cpu(param)`` (change ``param.array`` in place from ``param.grad``; written
    with ``param.xp`` it serves CuPy too), or ``update_core(param)`` for both devices.
    ``update(param)`` counts ``t``, makes the state, divides out a loss scale and runs the
    rule's own hooks around ``update_core``.
    """

    is_elementwise = False

    def __init__(self, parent_hyperparam=None):
        self._state = None
        self.enabled = True
        self.hyperparam = Hyperparameter(parent_hyperparam)
        self.t = 0
        self._hookable = _Hookable(type(self).__name__)

    @property
    def state(self):
        return self._state

    def add_hook(self, hook, name=None, timing="auto"):
        """Add ``hook(rule, param)`` called before ('pre') or after ('post') the update."""
        self._hookable.add_hook(hook, name, timing)

    def remove_hook(self, name):
        self._hookable.remove_hook(name)

    def update(self, param):
        """Update ``param`` from its gradient (nothing if the rule is disabled)."""
        if not self.enabled:
            return
        self.t += 1
        if param.array is not None:
            self._init_states(param)
            loss_scale = getattr(param, "_loss_scale", None)
            if loss_scale is not None and param.grad is not None:
                param.grad /= loss_scale
        for hook in self._hookable.hooks("pre"):
            hook(self, param)
        self.update_core(param)
        for hook in self._hookable.hooks("post"):
            hook(self, param)

    def update_core(self, param):
        """Update ``param`` in place: ``update_core_cpu`` for NumPy, ``update_core_gpu`` for
        CuPy (which runs the same array code as the CPU one unless overridden)."""
        if param.xp is numpy:
            self.update_core_cpu(param)
        else:
            self.update_core_gpu(param)

    def update_core_cpu(self, param):
        raise NotImplementedError(f"{type(self).__name__} does not define update_core_cpu")

    def update_core_gpu(self, param):
        self.update_core_cpu(param)

    def init_state(self, param):
        """Fill ``self.state`` for ``param`` (no state by default)."""

    def _init_states(self, param):
        if self._state is None:
            self._state = {}
            self.init_state(param)
        # the state follows the parameter to its device (loaded from a file: NumPy arrays;
        # after link.to_gpu()/to_cpu(): the other device)
        from ._graph import ARRAY_TYPES
        from .backend import _send

        xp = param.xp
        if xp is numpy:
            for k, v in self._state.items():
                if isinstance(v, ARRAY_TYPES) and not isinstance(v, numpy.ndarray):
                    self._state[k] = _send(v, numpy)
        else:
            dev = param.array.device.id
            for k, v in self._state.items():
                if isinstance(v, ARRAY_TYPES) and (
                    isinstance(v, numpy.ndarray) or v.device.id != dev
                ):
                    self._state[k] = _send(v, xp, dev)

    def serialize(self, serializer):
        """``t`` and each state array, under the parameter's path."""
        from .serializer import Deserializer

        self.t = serializer("t", self.t)
        if self._state is None:
            if isinstance(serializer, Deserializer):
                # learn the state's names from a one-element dummy parameter
                from .variable import Variable

                self._state = {}
                dummy = copy.copy(self)
                arr = numpy.empty(1, dtype=numpy.float32)
                dummy.init_state(Variable(arr, grad=arr.copy()))
                for key in list(self._state):
                    try:
                        value = serializer(key, None)
                    except KeyError:
                        if self.enabled:
                            raise
                        value = None
                    if value is None:
                        self._state = None
                        break
                    self._state[key] = value
        else:
            for key in self._state:
                self._state[key] = serializer(key, self._state[key])

    def use_fp32_update(self, flag=True):
        if flag:
            raise NotImplementedError(
                "shinsou.chainer does not provide chainer.UpdateRule.use_fp32_update yet"
            )


class Optimizer:
    """Base class of optimizers: ``setup(link)``, ``update()``, hooks, ``t`` and ``epoch``."""

    target = None
    t = 0
    epoch = 0
    _hookable = None
    _loss_scale = None
    use_auto_new_epoch = False

    def setup(self, link):
        """Bind the optimizer to ``link`` (resets ``t`` and ``epoch``); returns self."""
        from .link import Link

        if not isinstance(link, Link):
            raise TypeError(
                f"{type(self).__name__}.setup: the optimization target must be a Link, got "
                f"{type(link).__name__}"
            )
        self.target = link
        self.t = 0
        self.epoch = 0
        self._hookable = _Hookable(type(self).__name__, invalid_timing_fallback=True)
        return self

    def update(self, lossfun=None, *args, **kwds):
        raise NotImplementedError

    def new_epoch(self, auto=False):
        """Count one more epoch (the updater calls it with ``auto=True``)."""
        if auto:
            if not self.use_auto_new_epoch:
                raise RuntimeError(
                    "invalid new_epoch call with auto=True.\n"
                    "Fix the updater to set optimizer.use_auto_new_epoch = True."
                )
        elif self.use_auto_new_epoch:
            raise RuntimeError(
                "duplicated new_epoch with the updater.\n"
                "Pass auto_new_epoch=False to the updater or stop calling new_epoch "
                "outside the updater."
            )
        self.epoch += 1

    def _check_set_up(self):
        if self._hookable is None:
            raise RuntimeError(f"{type(self).__name__} is not set up. Call `setup` method.")

    def add_hook(self, hook, name=None, timing="auto"):
        """Add an optimizer hook: ``hook(optimizer)``, or ``hook(rule, param)`` for each
        parameter when ``hook.call_for_each_param`` is True. ``timing='auto'`` takes the
        hook's ``timing`` attribute ('pre' when absent)."""
        self._check_set_up()
        self._hookable.add_hook(hook, name, timing)

    def remove_hook(self, name):
        self._check_set_up()
        self._hookable.remove_hook(name)

    def call_hooks(self, timing="pre"):
        self._check_set_up()
        for hook in self._hookable.hooks(timing):
            self.call_hook(hook)

    def call_hook(self, hook):
        if getattr(hook, "call_for_each_param", False):
            for param in self.target.params():
                hook(param.update_rule, param)
        else:
            hook(self)

    def serialize(self, serializer):
        """``t``, ``epoch`` and every parameter's update-rule state."""
        self.t = serializer("t", self.t)
        self.epoch = serializer("epoch", self.epoch)
        for name, param in self.target.namedparams():
            rule = getattr(param, "update_rule", None)
            if rule is not None:
                rule.serialize(serializer[name])

    _loss_scaling_is_dynamic = False
    _loss_scaling_isnan = False
    _loss_scale_max = 65504  # the largest float16

    def loss_scaling(self, interval=1000, scale=None):
        """Scale the loss before backward (the rules divide the gradients back).

        With ``scale``: a fixed scale. Without: dynamic scaling, as Chainer does: the scale
        starts at 1; after an update whose gradients are all finite it is multiplied by 2
        (until a non-finite gradient has been seen, then by 2^(1/interval)); when a
        gradient is not finite the update is skipped and the scale halved; it stays in
        [1, 65504].
        """
        if scale is None:
            if interval < 1:
                raise ValueError(f"interval must be greater than or equal to 1. Actual: {interval}")
            self._loss_scaling_is_dynamic = True
            self._loss_scale = 1.0
            self._loss_scaling_multiplier = math.pow(2.0, 1.0 / interval)
            self._loss_scaling_isnan_ever = False
        else:
            if scale <= 0:
                raise ValueError(f"loss_scale must be a positive number. Actual: {scale}")
            self._loss_scale = scale

    def set_loss_scale(self, loss_scale):
        """A fixed loss scale (``loss_scaling(scale=loss_scale)``)."""
        self.loss_scaling(scale=loss_scale)

    def check_nan_in_grads(self):
        """With dynamic loss scaling: note (and warn) when a gradient is not finite."""
        self._loss_scaling_isnan = False
        if not self._loss_scaling_is_dynamic:
            return
        for name, param in self.target.namedparams():
            g = param.grad
            if g is None:
                continue
            xp = param.xp
            if not xp.all(xp.isfinite(g)):
                self._loss_scaling_isnan = True
                self._loss_scaling_isnan_ever = True
                warnings.warn(
                    f"Non finite number found in param.grad of {name} (iteration: {self.t}, "
                    f"loss_scale: {self._loss_scale})",
                    stacklevel=3,
                )

    def is_safe_to_update(self):
        return not self._loss_scaling_isnan

    def update_loss_scale(self):
        """With dynamic loss scaling: the next scale (see ``loss_scaling``)."""
        if not self._loss_scaling_is_dynamic:
            return
        if self._loss_scaling_isnan:
            multiplier = 0.5
        elif self._loss_scaling_isnan_ever:
            multiplier = self._loss_scaling_multiplier
        else:
            multiplier = 2.0
        self._loss_scale = max(1, min(self._loss_scale_max, self._loss_scale * multiplier))


class GradientMethod(Optimizer):
    """An optimizer that updates each parameter from its gradient by an ``UpdateRule``."""

    def __init__(self):
        super().__init__()
        self.hyperparam = Hyperparameter()

    def setup(self, link):
        super().setup(link)
        for param in link.params():
            param.update_rule = self.create_update_rule()
        return self

    def create_update_rule(self):
        raise NotImplementedError

    def reallocate_cleared_grads(self):
        """Give zeros to an (initialized) parameter without a gradient, and make every
        gradient a writable array of its own (hooks change gradients in place; the engine
        may hand the same array, or a read-only broadcast, to several leaves)."""
        seen = set()
        for param in self.target.params(False):
            g = param.grad
            if g is None:
                param.grad = param.xp.zeros_like(param.array)
            elif id(g) in seen or not g.flags.writeable:
                g = g.copy()
                param.grad = g
            seen.add(id(param.grad))

    def call_hook(self, hook):
        super().call_hook(hook)
        self.reallocate_cleared_grads()

    def update(self, lossfun=None, *args, **kwds):
        """One step; with ``lossfun``: cleargrads, ``lossfun(*args, **kwds).backward()``
        first (see the module docstring for the order)."""
        self._check_set_up()
        if lossfun is not None:
            loss = lossfun(*args, **kwds)
            self.target.cleargrads()
            loss.backward(loss_scale=self._loss_scale)
            del loss
        # a leaf reached by ``backward(loss_scale=s)`` remembers s (``param._loss_scale``):
        # WeightDecay scales its rate by it and the rule divides the gradient by it
        self.reallocate_cleared_grads()
        self.check_nan_in_grads()
        self.call_hooks("pre")
        self.t += 1
        if self.is_safe_to_update():
            for param in self.target.params():
                rule = param.update_rule
                if rule is not None:
                    rule.update(param)
        self.reallocate_cleared_grads()
        self.call_hooks("post")
        self.update_loss_scale()

    def use_cleargrads(self, use=True):
        warnings.warn("GradientMethod.use_cleargrads is deprecated.", DeprecationWarning, 2)

    def use_fp32_update(self, flag=True):
        if flag:
            raise NotImplementedError(
                "shinsou.chainer does not provide chainer.GradientMethod.use_fp32_update yet"
            )


def _deprecated_hook(name):
    from . import optimizer_hooks

    base = getattr(optimizer_hooks, name)

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"chainer.optimizer.{name} is deprecated from v4. "
            f"Use chainer.optimizer_hooks.{name} instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        base.__init__(self, *args, **kwargs)

    return type(name, (base,), {"__init__": __init__, "__module__": __name__})


WeightDecay = _deprecated_hook("WeightDecay")
Lasso = _deprecated_hook("Lasso")
GradientClipping = _deprecated_hook("GradientClipping")
GradientHardClipping = _deprecated_hook("GradientHardClipping")
GradientNoise = _deprecated_hook("GradientNoise")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.optimizer.{name} yet")
