"""``chainer.utils.argument``: keyword-argument helpers of Chainer's API."""

from __future__ import annotations


def check_unexpected_kwargs(kwargs, **unexpected):
    """Raise ``ValueError(message)`` for each keyword in ``unexpected`` that is present."""
    for key, message in unexpected.items():
        if key in kwargs:
            raise ValueError(message)


def parse_kwargs(kwargs, *name_and_values, **unexpected):
    """Pop the given ``(name, default)`` keywords; any other keyword is an error."""
    values = [kwargs.pop(name, default) for name, default in name_and_values]
    if kwargs:
        check_unexpected_kwargs(kwargs, **unexpected)
        caller = "the function"
        args = ", ".join(repr(k) for k in sorted(kwargs))
        raise TypeError(f"{caller} got unexpected keyword argument(s) {args}")
    return tuple(values)


def assert_kwargs_empty(kwargs):
    """Raise if ``kwargs`` is not empty."""
    if kwargs:
        raise TypeError(f"got unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
