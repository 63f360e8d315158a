"""``chainer.utils.WalkerAlias``: O(1) sampling from a discrete distribution (Walker's alias
method), drawing from NumPy's global generator the way Chainer 7 does, so a seeded script
samples the same ids as under Chainer.

Table: the probabilities, scaled by n, are visited in increasing order; each bucket i keeps
its own value with probability ``threshold[i]`` and otherwise an "alias" taken from a
larger one (whose remaining mass shrinks accordingly). A sample draws u ~ U(0, n), bucket
⌊u⌋, and takes the alias when u − ⌊u⌋ exceeds the bucket's threshold.

>>> import numpy as np
>>> sampler = WalkerAlias([0.0, 1.0, 0.0])
>>> sampler.sample((4,)).tolist()
[1, 1, 1, 1]
"""

from __future__ import annotations

import numpy

__all__ = ["WalkerAlias"]


class WalkerAlias:
    """Sampler of ids 0..n−1 with probabilities proportional to ``probs``."""

    def __init__(self, probs):
        p = numpy.array(probs, numpy.float32)
        p /= numpy.sum(p)
        n = len(p)
        threshold = numpy.ndarray(n, numpy.float32)
        values = numpy.ndarray(n * 2, numpy.int32)
        filled = 0  # buckets whose own value is set (in increasing probability)
        aliased = 0  # buckets whose alias is set
        for prob, i in sorted(zip(p, range(n))):
            mass = prob * n
            while mass > 1 and aliased < filled:
                values[aliased * 2 + 1] = i  # bucket `aliased` borrows from id i
                mass -= 1.0 - threshold[aliased]
                aliased += 1
            threshold[filled] = mass
            values[filled * 2] = i
            filled += 1
        values[aliased * 2 + 1 :: 2] = 0
        self.threshold = threshold
        self.values = values
        self._gpu = False

    @property
    def use_gpu(self):
        return self._gpu

    def to_gpu(self):
        from ..backends import cuda

        cuda.check_cuda_available()
        self.threshold = cuda.to_gpu(self.threshold)
        self.values = cuda.to_gpu(self.values)
        self._gpu = True
        return self

    def to_cpu(self):
        from ..backends import cuda

        self.threshold = cuda.to_cpu(self.threshold)
        self.values = cuda.to_cpu(self.values)
        self._gpu = False
        return self

    def sample(self, shape):
        """An int32 array of ``shape`` of sampled ids."""
        from ..backend import get_array_module

        xp = get_array_module(self.threshold)
        thr = self.threshold
        u = xp.random.uniform(0, len(thr), shape)
        index = u.astype(numpy.int32)
        right = (thr[index] < (u.astype(thr.dtype) - index.astype(thr.dtype))).astype(numpy.int32)
        return self.values[index * 2 + right]
