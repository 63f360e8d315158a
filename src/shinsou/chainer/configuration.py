"""Chainer's configuration: ``chainer.config``, ``chainer.global_config``, ``using_config``.

``config`` is thread-local: a value set on it holds in the current thread only, and a name not
set there is read from ``global_config``. ``using_config(name, value)`` changes one entry for
the duration of a ``with`` block.

One entry is tied to shinsou itself: ``enable_backprop`` *is* shinsou's gradient-recording
switch (``shinsou.no_grad``), so ``no_backprop_mode()`` and ``shinsou.no_grad()`` are the same
thing, and reading ``chainer.config.enable_backprop`` inside ``shinsou.no_grad()`` gives False.

>>> import shinsou.chainer as chainer
>>> chainer.config.train
True
>>> with chainer.using_config("train", False):
...     chainer.config.train
False
>>> with chainer.no_backprop_mode():
...     chainer.config.enable_backprop
False
"""

from __future__ import annotations

import sys
import threading

import numpy

from ..core.grad_mode import _GradMode

__all__ = [
    "GlobalConfig",
    "LocalConfig",
    "global_config",
    "config",
    "using_config",
    "no_backprop_mode",
    "force_backprop_mode",
]


class GlobalConfig:
    """The process-wide default configuration (``chainer.global_config``)."""

    def __getattr__(self, name):
        if name == "enable_backprop":
            return _GradMode.enabled
        raise AttributeError(f"chainer.global_config has no entry {name!r}")

    def __setattr__(self, name, value):
        if name == "enable_backprop":
            _GradMode.enabled = bool(value)
        object.__setattr__(self, name, value)

    def show(self, file=None):
        """Print the entries, sorted by name."""
        _print_attrs(self, sorted(set(self.__dict__) | {"enable_backprop"}), file)


class LocalConfig:
    """Thread-local configuration (``chainer.config``), falling back to ``global_config``."""

    def __init__(self, global_config):
        object.__setattr__(self, "_global", global_config)
        object.__setattr__(self, "_local", threading.local())

    def __getattr__(self, name):
        if name == "enable_backprop":
            return _GradMode.enabled  # shinsou's own switch: no_grad() shows here too
        d = self._local.__dict__
        if name in d:
            return d[name]
        return getattr(self._global, name)

    def __setattr__(self, name, value):
        if name == "enable_backprop":
            _GradMode.enabled = bool(value)
        setattr(self._local, name, value)

    def __delattr__(self, name):
        delattr(self._local, name)
        if name == "enable_backprop":
            _GradMode.enabled = bool(self._global.__dict__.get("enable_backprop", True))

    def show(self, file=None):
        """Print the entries in effect in this thread, sorted by name."""
        keys = set(self._global.__dict__) | set(self._local.__dict__) | {"enable_backprop"}
        _print_attrs(self, sorted(keys), file)


def _print_attrs(obj, keys, file):
    file = sys.stdout if file is None else file
    width = max(len(k) for k in keys)
    for k in keys:
        file.write(f"{k}{' ' * (width - len(k))} {getattr(obj, k)}\n")


global_config = GlobalConfig()
for _name, _value in dict(
    autotune=False,
    compute_mode=None,
    cudnn_deterministic=False,
    cudnn_fast_batch_normalization=False,
    debug=False,
    dtype=numpy.dtype(numpy.float32),
    in_recomputing=False,
    keep_graph_on_report=False,
    lazy_grad_sum=False,
    schedule_func=None,
    train=True,
    type_check=True,
    use_cudnn="auto",
    use_cudnn_tensor_core="auto",
    use_ideep="never",
    use_static_graph=True,
    warn_nondeterministic=False,
    _will_recompute=False,
).items():
    object.__setattr__(global_config, _name, _value)
object.__setattr__(global_config, "enable_backprop", True)  # shinsou's switch starts on

config = LocalConfig(global_config)


class _ConfigContext:
    def __init__(self, config, name, value):
        self.config = config
        self.name = name
        self.value = value
        self.is_local = False
        self.old_value = None

    def __enter__(self):
        cfg = self.config
        if self.name == "enable_backprop" or hasattr(cfg._local, self.name):
            self.is_local = True
            self.old_value = getattr(cfg, self.name)
        setattr(cfg, self.name, self.value)
        return self

    def __exit__(self, *exc):
        if self.is_local:
            setattr(self.config, self.name, self.old_value)
            if self.name == "enable_backprop":
                try:
                    delattr(self.config._local, "enable_backprop")
                except AttributeError:
                    pass
        else:
            delattr(self.config, self.name)
        return False


def using_config(name, value, config=config):
    """Set ``config.<name> = value`` inside a ``with`` block (this thread only).

    >>> import shinsou.chainer as chainer
    >>> with chainer.using_config("debug", True):
    ...     chainer.is_debug()
    True
    """
    return _ConfigContext(config, name, value)


def no_backprop_mode():
    """Record no graph inside the block (``using_config('enable_backprop', False)``)."""
    return using_config("enable_backprop", False)


def force_backprop_mode():
    """Record the graph inside the block, even within ``no_backprop_mode``."""
    return using_config("enable_backprop", True)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.configuration.{name} yet")
