"""Chainer's ``Link``, ``Chain`` and ``ChainList``: layers that own Parameters.

* ``Link`` holds Parameters (registered by assigning them inside ``with self.init_scope():``
  or by ``add_param``) and persistent values (``add_persistent``: saved and loaded, not
  trained, such as BatchNormalization's running statistics).
* ``Chain`` also holds child links by name; ``ChainList`` holds them by position.
* ``link(x)`` calls ``link.forward(x)``.

Parameter paths follow Chainer (``/l1/W``, ``/predictor/0/b``), in the same order:
a link's own parameters by sorted name, then its children (by sorted name in a Chain, by
position in a ChainList).

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> import shinsou.chainer.links as L
>>> class MLP(chainer.Chain):
...     def __init__(self):
...         super().__init__()
...         with self.init_scope():
...             self.l1 = L.Linear(3, 4)
...             self.l2 = L.Linear(4, 2)
...     def forward(self, x):
...         return self.l2(chainer.functions.relu(self.l1(x)))
>>> model = MLP()
>>> [name for name, _ in model.namedparams()]
['/l1/W', '/l1/b', '/l2/W', '/l2/b']
>>> model(np.zeros((5, 3), dtype=np.float32)).shape
(5, 2)
"""

from __future__ import annotations

import collections
import contextlib
import copy as _copy
import warnings

import numpy

from ._graph import ARRAY_TYPES
from .link_hook import (
    _ForwardPostprocessCallbackArgs,
    _ForwardPreprocessCallbackArgs,
    _get_link_hooks,
)
from .variable import Parameter

__all__ = ["Link", "Chain", "ChainList"]


def _shape_dtype(value):
    if isinstance(value, int) or (
        isinstance(value, tuple) and all(isinstance(v, int) for v in value)
    ):
        return value, numpy.float32
    if isinstance(value, tuple) and len(value) == 2:
        return value
    raise TypeError(
        f"Link(**params): a parameter must be given as a shape or (shape, dtype), got {value!r}"
    )


class Link:
    """A layer with Parameters and persistent values (see the module docstring)."""

    def __init__(self, **params):
        d = self.__dict__
        d["_params"] = set()
        d["_persistent"] = set()
        d["_within_init_scope"] = False
        d["name"] = None
        d["_gpu"] = False
        d["_device_id"] = None
        for name, value in params.items():
            shape, dtype = _shape_dtype(value)
            self.add_param(name, shape, dtype=dtype)

    def _check_init(self):
        if "_params" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: Link.__init__() has not been called (call "
                "super().__init__() first in your __init__)"
            )

    # ------------------------------------------------------------------ registration
    @property
    def within_init_scope(self):
        """True inside ``with self.init_scope():``."""
        return getattr(self, "_within_init_scope", False)

    @contextlib.contextmanager
    def init_scope(self):
        """Inside this block, assigning a Parameter (or a Link, in a Chain) registers it."""
        self._check_init()
        old = self._within_init_scope
        self.__dict__["_within_init_scope"] = True
        try:
            yield
        finally:
            self.__dict__["_within_init_scope"] = old

    def __setattr__(self, name, value):
        if self.within_init_scope and isinstance(value, Parameter):
            value.name = name
            self._params.add(name)
            self._persistent.discard(name)
            if value._t is None and self._gpu:
                value._initial_gpu = True
                value._initial_device_id = self._device_id
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._params.discard(name)
        self._persistent.discard(name)
        object.__delattr__(self, name)

    def add_param(self, name, shape=None, dtype=numpy.float32, initializer=None):
        """Register a new Parameter ``name`` (uninitialized if ``shape`` is None)."""
        from . import initializers

        self._check_init()
        if name in self.__dict__:
            raise AttributeError(f"cannot register a new parameter {name}: attribute exists")
        if initializer is None:
            initializer = initializers.NaN(dtype)
        param = Parameter(initializer, shape)
        with self.init_scope():
            setattr(self, name, param)

    def add_persistent(self, name, value):
        """Register ``value`` as the persistent attribute ``name`` (serialized, not trained)."""
        self._check_init()
        if name in self.__dict__:
            raise AttributeError(f"cannot register a new persistent value {name}: attribute exists")
        self._persistent.add(name)
        self._params.discard(name)
        self.__dict__[name] = value

    def register_persistent(self, name):
        """Make the existing attribute ``name`` persistent."""
        if not hasattr(self, name):
            raise AttributeError(
                f"cannot register non-existent attribute {name} as a persistent value"
            )
        self._persistent.add(name)
        self._params.discard(name)

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        self._check_init()
        forward = getattr(self, "forward", None)
        if forward is None:
            raise NotImplementedError(f"{type(self).__name__} defines no forward()")
        hooks = _get_link_hooks()
        local = self.__dict__.get("_local_link_hooks")
        if local:
            hooks = collections.OrderedDict(hooks)
            hooks.update(local)
        if not hooks:
            return forward(*args, **kwargs)
        pre = _ForwardPreprocessCallbackArgs(self, "forward", args, kwargs)
        for hook in list(hooks.values()):
            hook.forward_preprocess(pre)
        out = forward(*args, **kwargs)
        post = _ForwardPostprocessCallbackArgs(self, "forward", args, kwargs, out)
        for hook in list(hooks.values()):
            hook.forward_postprocess(post)
        return out

    # ------------------------------------------------------------------ traversal
    def params(self, include_uninit=True):
        """All Parameters under this link (its own by sorted name, then its children's)."""
        d = self.__dict__
        for name in sorted(self._params):
            if include_uninit or d[name].array is not None:
                yield d[name]

    def namedparams(self, include_uninit=True):
        """(path, Parameter) pairs, paths like ``/l1/W``."""
        d = self.__dict__
        for name in sorted(self._params):
            if include_uninit or d[name].array is not None:
                yield "/" + name, d[name]

    def links(self, skipself=False):
        """This link (unless ``skipself``) and every link under it."""
        if not skipself:
            yield self

    def namedlinks(self, skipself=False):
        """(path, link) pairs: ``'/'`` for this one, ``/child/...`` for the rest."""
        if not skipself:
            yield "/", self

    def children(self):
        """The direct child links."""
        return iter(())

    # ------------------------------------------------------------------ gradients, copies
    def cleargrads(self):
        """Set every parameter's gradient to None (before a new backward)."""
        for p in self.params():
            p.cleargrad()

    def zerograds(self):
        """Set every (initialized) parameter's gradient to zeros (deprecated in Chainer)."""
        warnings.warn(
            "Link.zerograds is deprecated; use Link.cleargrads instead",
            DeprecationWarning,
            stacklevel=2,
        )
        for p in self.params():
            p.zerograd()

    def addgrads(self, link):
        """Add the gradients of ``link`` (same structure) to this link's."""
        src = link.__dict__
        for name in self._params:
            self.__dict__[name].addgrad(src[name])

    def copyparams(self, link, copy_persistent=True):
        """Copy the parameter values (and persistents) of ``link`` into this link."""
        src = link.__dict__
        dst = self.__dict__
        for name in self._params:
            dst[name].copydata(src[name])
        if copy_persistent:
            for name in self._persistent:
                v = src[name]
                if isinstance(dst[name], ARRAY_TYPES) and isinstance(v, ARRAY_TYPES):
                    from .backend import copyto

                    copyto(dst[name], v)
                else:
                    dst[name] = _copy.deepcopy(v)

    def copy(self, mode="share"):
        """A copy of the hierarchy: ``share`` (same arrays), ``copy`` (deep copy) or
        ``init`` (deep copy, parameters re-initialized)."""
        if mode == "share":
            ret = _copy.copy(self)
            d = ret.__dict__
            d["_params"] = set(self._params)
            d["_persistent"] = set(self._persistent)
            d["name"] = None
            for name in ret._params:
                p = _copy.copy(d[name])
                p._t = _share_tensor(p._t)
                d[name] = p
            return ret
        if mode == "copy":
            return _copy.deepcopy(self)
        if mode == "init":
            ret = _copy.deepcopy(self)
            for p in ret.params(include_uninit=False):
                p.initialize(p.shape)
            return ret
        raise ValueError(f"Link.copy: mode must be 'init', 'copy' or 'share', got {mode!r}")

    def repeat(self, n_repeat, mode="init"):
        """A Sequential of ``n_repeat`` copies of this link (see ``copy`` for ``mode``)."""
        from .sequential import Sequential

        if mode not in ("init", "copy", "share"):
            raise ValueError(f"Link.repeat: mode must be 'init', 'copy' or 'share', got {mode!r}")
        ret = Sequential()
        for _ in range(max(n_repeat, 0)):
            ret.append(self.copy(mode))
        return ret

    def count_params(self):
        """The number of scalars in all (initialized) parameters."""
        n = 0
        for name, p in self.namedparams():
            if p.array is None:
                warnings.warn(
                    f"Parameter '{name}' has not been initialized, so it is not counted",
                    stacklevel=2,
                )
                continue
            n += p.size
        return n

    # ------------------------------------------------------------------ devices
    @property
    def xp(self):
        """``numpy`` or ``cupy``: where this link's arrays live."""
        from .backend import _xp

        return _xp(self._gpu)

    @property
    def device(self):
        from .backend import CpuDevice, GpuDevice

        return CpuDevice() if not self._gpu else GpuDevice(self._device_id or 0)

    def to_cpu(self):
        """Move every parameter and persistent array to the CPU."""
        return self._to(numpy, None)

    def to_gpu(self, device=None):
        """Move every parameter and persistent array to GPU ``device`` (CuPy)."""
        from .backends import cuda

        cuda.check_cuda_available()
        if device is None:
            device = cuda.cupy.cuda.Device().id
        elif not isinstance(device, int):
            device = int(getattr(device, "id", device))
        return self._to(cuda.cupy, device)

    def to_device(self, device):
        """Move to a device: ``'@numpy'``, ``'@cupy:0'``, an int or a Device."""
        from .backend import get_device

        dev = get_device(device)
        return self._to(dev.xp, None if dev.xp is numpy else dev.device_id)

    def to_intel64(self):
        raise NotImplementedError(
            "shinsou.chainer does not provide chainer.Link.to_intel64 (iDeep)"
        )

    def _to(self, xp, device_id):
        from .backend import _send

        for link in self.links():
            d = link.__dict__
            d["_gpu"] = xp is not numpy
            d["_device_id"] = device_id
            for name in link._params:
                d[name]._move(xp, device_id)
            for name in link._persistent:
                v = d[name]
                if isinstance(v, ARRAY_TYPES):
                    d[name] = _send(v, xp, device_id)
        return self

    # ------------------------------------------------------------------ update switches
    def enable_update(self):
        for p in self.params():
            rule = p.update_rule
            if rule is not None:
                rule.enabled = True

    def disable_update(self):
        for p in self.params():
            rule = p.update_rule
            if rule is not None:
                rule.enabled = False

    @property
    def update_enabled(self):
        for p in self.params():
            rule = p.update_rule
            if rule is not None and rule.enabled:
                return True
        return False

    # ------------------------------------------------------------------ serialization
    def serialize(self, serializer):
        """Save or load the parameters and persistent values through ``serializer``."""
        d = self.__dict__
        for name in sorted(self._params):
            param = d[name]
            data = serializer(name, param.array)
            if param.array is None and data is not None:
                param.initialize(data.shape)
                from .backend import copyto

                copyto(param.array, numpy.asarray(data))
        for name in sorted(self._persistent):
            d[name] = serializer(name, d[name])

    def __str__(self):
        return f"{type(self).__name__}()"

    @property
    def local_link_hooks(self):
        """The hooks registered to this link (name → hook), in order."""
        hooks = self.__dict__.get("_local_link_hooks")
        if hooks is None:
            hooks = self.__dict__["_local_link_hooks"] = collections.OrderedDict()
        return hooks

    def add_hook(self, hook, name=None):
        """Register a ``LinkHook`` to this link (under ``name``, default ``hook.name``);
        returns the link."""
        from .link_hook import LinkHook

        if not isinstance(hook, LinkHook):
            raise TypeError(f"add_hook: the hook must be a LinkHook, got {type(hook).__name__}")
        name = hook.name if name is None else name
        hooks = self.local_link_hooks
        if name in hooks:
            raise KeyError(f"Hook {name} already exists")
        hooks[name] = hook
        hook.added(self)
        return self

    def delete_hook(self, name):
        """Unregister the hook ``name``."""
        hooks = self.local_link_hooks
        if name not in hooks:
            raise KeyError(f"Hook {name} does not exist")
        hooks[name].deleted(self)
        del hooks[name]


def _share_tensor(t):
    """A new leaf Tensor sharing ``t``'s array (Link.copy('share')): grads separate."""
    if t is None:
        return None
    from ..core.tensor import Tensor

    s = Tensor._from_op(t.array, None)
    s.requires_grad = t.requires_grad
    s._vc = t._vc
    return s


class Chain(Link):
    """A Link with named child links (registered in ``init_scope`` or by ``add_link``)."""

    def __init__(self, **links):
        super().__init__()
        self.__dict__["_children"] = set()
        for name, link in links.items():
            self.add_link(name, link)

    def __getitem__(self, name):
        return getattr(self, name)

    def __setattr__(self, name, value):
        if self.within_init_scope and isinstance(value, Link):
            if hasattr(self, name):
                raise AttributeError(f"cannot register a new link {name}: attribute exists")
            value.name = name
            self._children.add(name)
        super().__setattr__(name, value)

    def __delattr__(self, name):
        self._children.discard(name)
        super().__delattr__(name)

    def add_link(self, name, link):
        """Register ``link`` as the child ``name``."""
        if name in self.__dict__:
            raise AttributeError(f"cannot register a new link {name}: attribute exists")
        if not isinstance(link, Link):
            raise TypeError(f"Chain.add_link: {name} must be a Link, got {type(link).__name__}")
        with self.init_scope():
            setattr(self, name, link)

    def copy(self, mode="share"):
        ret = super().copy(mode)
        d = ret.__dict__
        d["_children"] = set(self._children)
        for name in ret._children:
            c = d[name].copy(mode)
            c.name = name
            d[name] = c
        return ret

    def params(self, include_uninit=True):
        yield from super().params(include_uninit)
        d = self.__dict__
        for name in sorted(self._children):
            yield from d[name].params(include_uninit)

    def namedparams(self, include_uninit=True):
        yield from super().namedparams(include_uninit)
        d = self.__dict__
        for name in sorted(self._children):
            for path, p in d[name].namedparams(include_uninit):
                yield "/" + name + path, p

    def links(self, skipself=False):
        if not skipself:
            yield self
        d = self.__dict__
        for name in sorted(self._children):
            yield from d[name].links()

    def namedlinks(self, skipself=False):
        if not skipself:
            yield "/", self
        d = self.__dict__
        for name in sorted(self._children):
            child = d[name]
            yield "/" + name, child
            for path, link in child.namedlinks(True):
                yield "/" + name + path, link

    def children(self):
        d = self.__dict__
        for name in sorted(self._children):
            yield d[name]

    def copyparams(self, link, copy_persistent=True):
        super().copyparams(link, copy_persistent)
        src = link.__dict__
        for name in self._children:
            self.__dict__[name].copyparams(src[name], copy_persistent)

    def addgrads(self, link):
        super().addgrads(link)
        src = link.__dict__
        for name in self._children:
            self.__dict__[name].addgrads(src[name])

    def serialize(self, serializer):
        super().serialize(serializer)
        d = self.__dict__
        for name in sorted(self._children):
            d[name].serialize(serializer[name])

    def __str__(self):
        lines = []
        for child in self.children():
            for line in f"({child.name}): {child},".splitlines():
                lines.append(f"  {line}\n")
        body = "".join(lines)
        return f"{type(self).__name__}({chr(10) + body if body else ''})"


class ChainList(Link):
    """A Link with a list of child links (``append``, indexing, iteration)."""

    def __init__(self, *links):
        super().__init__()
        self.__dict__["_children"] = []
        for link in links:
            self.add_link(link)

    def __setattr__(self, name, value):
        if self.within_init_scope and isinstance(value, Link):
            raise TypeError(
                'cannot register a new link within a "with chainlist.init_scope():" block'
            )
        super().__setattr__(name, value)

    def __getitem__(self, index):
        return self._children[index]

    def __setitem__(self, index, value):
        if isinstance(index, int):
            value.name = str(index)
            self._children[index] = value
        elif isinstance(index, slice):
            self._children[index] = value
            for i, c in enumerate(self._children):
                c.name = str(i)
        else:
            raise TypeError(
                f"ChainList indices must be integers or slices, not {type(index).__name__}"
            )

    def __delitem__(self, index):
        del self._children[index]
        for i, c in enumerate(self._children):
            c.name = str(i)

    def __iter__(self):
        return iter(self._children)

    def __len__(self):
        return len(self._children)

    def insert(self, index, link):
        """Insert ``link`` at position ``index``."""
        if not isinstance(link, Link):
            raise TypeError(f"ChainList: only Links can be added, got {type(link).__name__}")
        self._children.insert(index, link)
        for i, c in enumerate(self._children):
            c.name = str(i)

    def append(self, link):
        self.insert(len(self._children), link)

    def add_link(self, link):
        """Append ``link`` to the list."""
        self.append(link)

    def extend(self, links):
        for link in links:
            self.append(link)

    def pop(self, index=-1):
        link = self._children.pop(index)
        for i, c in enumerate(self._children):
            c.name = str(i)
        return link

    def remove(self, link):
        for i, c in enumerate(self._children):
            if c is link:
                del self[i]
                return
        raise ValueError("ChainList.remove: the link is not in the list")

    def index(self, link):
        for i, c in enumerate(self._children):
            if c is link:
                return i
        raise ValueError("ChainList.index: the link is not in the list")

    def count(self, link):
        return sum(1 for c in self._children if c is link)

    def reverse(self):
        self._children.reverse()
        for i, c in enumerate(self._children):
            c.name = str(i)

    def __contains__(self, link):
        return any(c is link for c in self._children)

    def copy(self, mode="share"):
        ret = super().copy(mode)
        children = [c.copy(mode) for c in self._children]
        for i, c in enumerate(children):
            c.name = str(i)
        ret.__dict__["_children"] = children
        return ret

    def params(self, include_uninit=True):
        yield from super().params(include_uninit)
        for link in self._children:
            yield from link.params(include_uninit)

    def namedparams(self, include_uninit=True):
        yield from super().namedparams(include_uninit)
        for i, link in enumerate(self._children):
            for path, p in link.namedparams(include_uninit):
                yield f"/{i}{path}", p

    def links(self, skipself=False):
        if not skipself:
            yield self
        for c in self._children:
            yield from c.links()

    def namedlinks(self, skipself=False):
        if not skipself:
            yield "/", self
        for i, c in enumerate(self._children):
            yield f"/{i}", c
            for path, link in c.namedlinks(True):
                yield f"/{i}{path}", link

    def children(self):
        yield from self._children

    def copyparams(self, link, copy_persistent=True):
        super().copyparams(link, copy_persistent)
        for i, c in enumerate(self._children):
            c.copyparams(link[i], copy_persistent)

    def addgrads(self, link):
        super().addgrads(link)
        for i, c in enumerate(self._children):
            c.addgrads(link[i])

    def serialize(self, serializer):
        super().serialize(serializer)
        for i, c in enumerate(self._children):
            c.serialize(serializer[str(i)])

    def __str__(self):
        lines = []
        for i, child in enumerate(self._children):
            for line in f"({i}): {child},".splitlines():
                lines.append(f"  {line}\n")
        body = "".join(lines)
        return f"{type(self).__name__}({chr(10) + body if body else ''})"
