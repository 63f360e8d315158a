"""``Orthogonal``: a scaled orthogonal matrix from the QR decomposition of a Gaussian."""

from __future__ import annotations

import math

import numpy

from ..initializer import Initializer

_CHECKS = {
    "auto": (False, False),
    "projection": (True, False),
    "embedding": (False, True),
    "basis": (True, True),
}


class Orthogonal(Initializer):
    """``scale`` · Q, with Q (out, in) having orthonormal rows or columns.

    The array is seen as an (out, Π rest) matrix; Q comes from the QR decomposition of a
    standard Gaussian matrix (the transposed one when in > out), with signs fixed by R's
    diagonal. ``mode`` ('auto', 'projection', 'embedding', 'basis') says which of in > out
    and in < out are allowed.
    """

    def __init__(self, scale=1.1, dtype=None, mode="auto", rng=None):
        if mode not in _CHECKS:
            raise ValueError(f"Orthogonal: mode must be one of {sorted(_CHECKS)}, got {mode!r}")
        self.scale = scale
        self.mode = mode
        self._checks = _CHECKS[mode]
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        from ..backend import copyto

        rng = numpy.random if self.rng is None else self.rng
        if not array.shape:
            array[...] = self.scale * (2 * int(rng.randint(2)) - 1)
            return
        if not array.size:
            raise ValueError("Orthogonal: the array to initialize must be non-empty")
        out_dim = len(array)
        in_dim = math.prod(array.shape[1:])
        if (in_dim > out_dim and self._checks[0]) or (in_dim < out_dim and self._checks[1]):
            raise ValueError(
                f"Orthogonal: cannot make an orthogonal {self.mode} of shape {array.shape} "
                f"({in_dim}-dim input, {out_dim}-dim output)"
            )
        transpose = in_dim > out_dim
        a = numpy.asarray(rng.normal(size=(out_dim, in_dim)))
        if transpose:
            a = a.T
        q, r = numpy.linalg.qr(a)
        q *= numpy.copysign(self.scale, numpy.diag(r))
        if transpose:
            q = q.T
        copyto(array, q.reshape(array.shape).astype(array.dtype, copy=False))
