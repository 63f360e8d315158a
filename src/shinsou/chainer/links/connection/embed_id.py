"""``L.EmbedID``: a table of vectors looked up by integer id."""

from __future__ import annotations

from ... import functions as F
from ... import initializers
from ...link import Link
from ...variable import Parameter


class EmbedID(Link):
    """W (in_size, out_size) ~ N(0, 1) (Chainer's default); ``ignore_label`` ids map to 0.

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> L.EmbedID(10, 4)(np.array([1, 2, 3], dtype=np.int32)).shape
    (3, 4)
    """

    ignore_label = None

    def __init__(self, in_size, out_size, initialW=None, ignore_label=None):
        super().__init__()
        self.ignore_label = ignore_label
        with self.init_scope():
            if initialW is None:
                initialW = initializers.Normal(1.0)
            self.W = Parameter(initializers._get_initializer(initialW), (in_size, out_size))

    def forward(self, x):
        return F.embed_id(x, self.W, ignore_label=self.ignore_label)
