"""Switching gradient recording on and off (``no_grad`` / ``enable_grad``)."""

from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled"]


class _Mode(threading.local):
    # One flag per thread, as in PyTorch: ``no_grad`` in one thread (an evaluation, a data
    # loader's worker) must not stop another thread's ops from recording; every thread starts
    # with recording on. Ops read it on every call, so it is a plain attribute.
    enabled = True


_GradMode = _Mode()


def is_grad_enabled() -> bool:
    """True when ops record the graph for backward."""
    return _GradMode.enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets gradient recording on or off.

    >>> import shinsou as ss
    >>> x = ss.tensor([1.0], requires_grad=True)
    >>> with ss.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        return wrapper


class _FixedMode(set_grad_enabled):
    """A mode usable as ``with m():``, ``@m()`` and, like PyTorch's, bare ``@m``."""

    mode_value = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is None:
            return self
        self.__init__()
        return self(func)  # bare decorator: ``@no_grad`` on ``func``

    def __init__(self, func=None):
        super().__init__(self.mode_value)


class no_grad(_FixedMode):
    """Ops inside record no graph: for evaluation and for optimizer updates.

    >>> import shinsou as ss
    >>> @ss.no_grad
    ... def evaluate(x):
    ...     return x * 2
    >>> evaluate(ss.tensor([1.0], requires_grad=True)).requires_grad
    False
    """

    mode_value = False


class enable_grad(_FixedMode):
    """Turn recording back on inside a ``no_grad`` block."""

    mode_value = True
