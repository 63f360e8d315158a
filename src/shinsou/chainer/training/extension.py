"""``chainer.training.extension``: the ``Extension`` base class and ``make_extension``.

An extension is called as ``ext(trainer)`` after an update whenever its trigger fires;
``priority`` orders the extensions of one iteration (writers first: PRIORITY_WRITER = 300,
then editors 200, then readers 100); ``initialize(trainer)`` runs once before the loop,
``finalize()`` once after it; ``serialize`` saves the extension's state into a snapshot.

>>> @make_extension(trigger=(1, "epoch"))
... def hello(trainer):
...     pass
>>> hello.default_name, hello.trigger, hello.priority
('hello', (1, 'epoch'), 100)
"""

from __future__ import annotations

__all__ = ["Extension", "make_extension", "PRIORITY_WRITER", "PRIORITY_EDITOR", "PRIORITY_READER"]

PRIORITY_WRITER = 300
PRIORITY_EDITOR = 200
PRIORITY_READER = 100


class Extension:
    """Base class of trainer extensions (see the module docstring)."""

    trigger = 1, "iteration"
    priority = PRIORITY_READER
    name = None

    @property
    def default_name(self):
        """The name under which the trainer registers it: the class name by default."""
        return type(self).__name__

    def __call__(self, trainer):
        raise NotImplementedError("Extension implementation must override __call__.")

    def __getattr__(self, name):
        if name == "invoke_before_training":
            raise AttributeError(
                "invoke_before_training has been removed since Chainer v2.0.0. Use "
                "Extension.initialize instead."
            )
        raise AttributeError(f"{type(self).__name__} object has no attribute {name}")

    def finalize(self):
        """Called once when the training loop ends (also after an error)."""

    def initialize(self, trainer):
        """Called once before the training loop (also when resuming)."""

    def on_error(self, trainer, exc, tb):
        """Called when the training loop raised ``exc``."""

    def serialize(self, serializer):
        """Save or load the extension's state (nothing by default)."""


def make_extension(
    trigger=None,
    default_name=None,
    priority=None,
    finalizer=None,
    initializer=None,
    on_error=None,
    **kwargs,
):
    """Decorator giving a function the attributes of an extension."""
    if kwargs:
        if "invoke_before_training" in kwargs:
            raise ValueError(
                "invoke_before_training has been removed since Chainer v2.0.0. Use "
                "initializer= instead."
            )
        raise TypeError(f"make_extension: unexpected arguments {sorted(kwargs)}")
    if trigger is None:
        trigger = Extension.trigger
    if priority is None:
        priority = Extension.priority

    def decorator(ext):
        ext.trigger = trigger
        ext.default_name = default_name or ext.__name__
        ext.priority = priority
        ext.finalize = finalizer
        ext.on_error = on_error
        ext.initialize = initializer
        return ext

    return decorator
