"""``chainer.LinkHook``: code run before and after a Link's forward.

A hook is registered to one link (``link.add_hook(hook)``) or, as a context manager
(``with hook:``), to every link called inside the block (this thread). Its
``forward_preprocess(args)`` and ``forward_postprocess(args)`` receive the link, the name of
the method ("forward"), its arguments and (after) its output.
"""

from __future__ import annotations

import collections
import threading

__all__ = ["LinkHook"]

_local = threading.local()


def _get_link_hooks():
    """The hooks registered with ``with hook:`` in this thread (name → hook)."""
    hooks = getattr(_local, "link_hooks", None)
    if hooks is None:
        hooks = _local.link_hooks = collections.OrderedDict()
    return hooks


class _ForwardPreprocessCallbackArgs:
    def __init__(self, link, forward_name, args, kwargs):
        self.link = link
        self.forward_name = forward_name
        self.args = args
        self.kwargs = kwargs


class _ForwardPostprocessCallbackArgs:
    def __init__(self, link, forward_name, args, kwargs, out):
        self.link = link
        self.forward_name = forward_name
        self.args = args
        self.kwargs = kwargs
        self.out = out


class LinkHook:
    """Base class of link hooks: override ``added``, ``deleted``, ``forward_preprocess``,
    ``forward_postprocess``."""

    name = "LinkHook"

    def __enter__(self):
        hooks = _get_link_hooks()
        if self.name in hooks:
            raise KeyError(f"hook {self.name} already exists")
        hooks[self.name] = self
        self.added(None)
        return self

    def __exit__(self, *exc):
        hooks = _get_link_hooks()
        hooks[self.name].deleted(None)
        del hooks[self.name]

    def added(self, link):
        """Called when the hook is registered (``link`` None for a global hook)."""

    def deleted(self, link):
        """Called when the hook is unregistered."""

    def forward_preprocess(self, args):
        """Called before the link's forward."""

    def forward_postprocess(self, args):
        """Called after the link's forward (``args.out`` is its output)."""
