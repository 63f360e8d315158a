"""Normalization links: BatchNormalization, LayerNormalization, GroupNormalization."""

from __future__ import annotations

from ... import functions as F
from ... import initializers
from ...link import Link
from ...variable import Parameter
from .batch_normalization import BatchNormalization, BatchRenormalization  # noqa: F401


class LayerNormalization(Link):
    """Layer normalization of (N, size) inputs: γ x̂ + β with γ = 1, β = 0, eps 1e-6
    (Chainer's link default; the function's is 1e-5). ``size=None``: from the first input."""

    def __init__(self, size=None, eps=1e-6, initial_gamma=None, initial_beta=None):
        super().__init__()
        self.eps = eps
        with self.init_scope():
            self.gamma = Parameter(
                initializers._get_initializer(1 if initial_gamma is None else initial_gamma)
            )
            self.beta = Parameter(
                initializers._get_initializer(0 if initial_beta is None else initial_beta)
            )
        if size is not None:
            self._initialize_params(size)

    def _initialize_params(self, size):
        self.gamma.initialize(size)
        self.beta.initialize(size)

    def forward(self, x):
        if self.gamma.array is None:
            self._initialize_params(x.size // x.shape[0])
        return F.layer_normalization(x, self.gamma, self.beta, self.eps)


class GroupNormalization(Link):
    """Group normalization over ``groups`` groups of channels; γ = 1, β = 0, eps 1e-5."""

    def __init__(self, groups, size=None, eps=1e-5, initial_gamma=None, initial_beta=None):
        super().__init__()
        self.groups = groups
        self.eps = eps
        with self.init_scope():
            self.gamma = Parameter(
                initializers._get_initializer(1 if initial_gamma is None else initial_gamma)
            )
            self.beta = Parameter(
                initializers._get_initializer(0 if initial_beta is None else initial_beta)
            )
        if size is not None:
            self.gamma.initialize(size)
            self.beta.initialize(size)

    def forward(self, x):
        if self.gamma.array is None:
            self.gamma.initialize(x.shape[1])
            self.beta.initialize(x.shape[1])
        return F.group_normalization(x, self.groups, self.gamma, self.beta, self.eps)
