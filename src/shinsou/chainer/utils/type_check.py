"""``chainer.utils.type_check``: the checks of ``check_type_forward``, on concrete values.

Chainer builds symbolic expressions; here ``in_types`` holds the actual shapes and dtypes
of the inputs, so ``x_type.ndim == 2`` is simply True or False and ``expect(...)`` raises
``InvalidType`` naming the first condition that failed. ``FunctionNode``/``Function`` call
``check_type_forward`` when ``chainer.config.type_check`` is on (the default).

>>> import numpy as np
>>> types = TypeInfoTuple([np.zeros((2, 3), np.float32)])
>>> expect(types.size() == 1, types[0].dtype.kind == "f", types[0].ndim == 2)
>>> try:
...     expect(types[0].ndim == 3)
... except InvalidType as e:
...     print(str(e)[-25:])
(condition 1 of 1 failed)
"""

from __future__ import annotations

import numpy

__all__ = ["InvalidType", "TypeInfo", "TypeInfoTuple", "expect", "same_types", "eval", "argname"]


class InvalidType(Exception):
    """A condition of ``check_type_forward`` does not hold for the inputs."""


class TypeInfo:
    """Shape, dtype and ndim of one input."""

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = numpy.dtype(dtype)
        self.ndim = len(self.shape)
        self.name = None

    def size(self):
        return int(numpy.prod(self.shape))


class TypeInfoTuple(tuple):
    """The TypeInfo of every input; ``size()`` is their number."""

    def __new__(cls, arrays):
        return super().__new__(
            cls, [a if isinstance(a, TypeInfo) else TypeInfo(a.shape, a.dtype) for a in arrays]
        )

    def size(self):
        return len(self)


def expect(*conditions):
    """Raise ``InvalidType`` unless every condition is true."""
    for i, c in enumerate(conditions):
        if not bool(c):
            raise InvalidType(
                "Invalid operation is performed in: check_type_forward "
                f"(condition {i + 1} of {len(conditions)} failed)"
            )


def same_types(*types):
    """True when all the given TypeInfos have the same dtype."""
    return len({t.dtype for t in types}) <= 1


def eval(expr):  # noqa: A001 - Chainer's name
    """The value of an expression (values are already concrete here)."""
    return expr


def argname(in_types, names):
    """Name the inputs (used in Chainer's messages)."""
    for t, name in zip(in_types, names):
        t.name = name


_argname = argname
