"""Loss links: ``NegativeSampling``, ``BlackOut``."""

from __future__ import annotations

import numpy

from .. import functions as F
from ..link import Link
from ..utils.walker_alias import WalkerAlias
from ..variable import Parameter


class NegativeSampling(Link):
    """Negative-sampling loss with a learned output table W (vocab, in_size) = 0 at first;
    the negatives are drawn ∝ counts^power (``WalkerAlias``).

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> ns = L.NegativeSampling(3, [5, 1, 2, 2], sample_size=2)
    >>> loss = ns(np.ones((2, 3), np.float32), np.array([0, 3], np.int32))
    >>> bool(np.isclose(loss.array, 2 * 3 * np.log(2)))  # W = 0: every term is log 2
    True
    """

    def __init__(self, in_size, counts, sample_size, power=0.75, dtype=None):
        super().__init__()
        from .. import get_dtype

        dtype = get_dtype(dtype)
        self.sample_size = sample_size
        p = numpy.array(counts, dtype)
        numpy.power(p, dtype.type(power), p)
        self.sampler = WalkerAlias(p)
        with self.init_scope():
            self.W = Parameter(0, (len(counts), in_size))

    def forward(self, x, t, reduce="sum", **kwargs):
        return F.negative_sampling(
            x, t, self.W, self.sampler.sample, self.sample_size, reduce=reduce, **kwargs
        )

    def _to(self, xp, device_id):
        if xp is numpy:
            self.sampler.to_cpu()
        else:
            self.sampler.to_gpu()
        return super()._to(xp, device_id)


class BlackOut(Link):
    """BlackOut loss with an output table W (vocab, in_size) left NaN, as in Chainer (set it
    before training); negatives drawn ∝ counts (``WalkerAlias``)."""

    sample_data = None  # fixed samples (for tests), else drawn at each call

    def __init__(self, in_size, counts, sample_size):
        super().__init__()
        self.sampler = WalkerAlias(numpy.array(counts, dtype=numpy.float32))
        self.sample_size = sample_size
        with self.init_scope():
            self.W = Parameter(None, (len(counts), in_size))

    def forward(self, x, t):
        if self.sample_data is not None:
            samples = self.sample_data
        else:
            samples = self.sampler.sample((x.shape[0], self.sample_size))
        return F.black_out(x, t, self.W, samples)

    def _to(self, xp, device_id):
        if xp is numpy:
            self.sampler.to_cpu()
        else:
            self.sampler.to_gpu()
        return super()._to(xp, device_id)
