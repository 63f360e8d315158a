"""``SpectralNormalization`` (Miyato et al. 2018) as a link hook, as in Chainer 7.

Before each forward the link's weight W is replaced by W / σ(W), σ the largest singular
value of W seen as a matrix (out, rest) — (in, rest) for deconvolutions — estimated by
``n_power_iteration`` steps of the power method from a persistent vector ``W_u``:

    v = normalize(uᵀ W),  u = normalize(W v),  σ = uᵀ W v

σ is differentiated through W (u and v are constants); in training mode the new u is
stored in ``W_u``. With ``use_gamma`` a learned scale γ (initialised to σ) multiplies it.

>>> import numpy as np
>>> import shinsou.chainer.links as L
>>> from shinsou.chainer.link_hooks import SpectralNormalization
>>> layer = L.Linear(4, 3).add_hook(SpectralNormalization())
>>> layer(np.ones((2, 4), np.float32)).shape, layer.W_u.shape
((2, 3), (3,))
"""

from __future__ import annotations

from .. import functions as F
from ..configuration import config
from ..link_hook import LinkHook
from ..variable import Parameter


def _l2normalize(xp, v, eps):
    return v / (xp.linalg.norm(v) + eps)


class SpectralNormalization(LinkHook):
    """Divide the link's weight by its spectral norm before every forward."""

    name = "SpectralNormalization"

    def __init__(
        self,
        n_power_iteration=1,
        eps=1e-6,
        use_gamma=False,
        factor=None,
        weight_name="W",
        name=None,
    ):
        if n_power_iteration <= 0:
            raise ValueError("SpectralNormalization: n_power_iteration must be positive")
        self.n_power_iteration = n_power_iteration
        self.eps = eps
        self.use_gamma = use_gamma
        self.factor = factor
        self.weight_name = weight_name
        self.vector_name = weight_name + "_u"
        self._initialized = False
        self.axis = 0
        if name is not None:
            self.name = name

    def __enter__(self):
        raise NotImplementedError(
            "SpectralNormalization is not a context manager: use link.add_hook"
        )

    def __exit__(self, *exc):
        raise NotImplementedError

    def added(self, link):
        from ..links.connection.convolution_2d import Deconvolution2D, DeconvolutionND

        if not hasattr(link, self.weight_name):
            raise ValueError(f"SpectralNormalization: weight '{self.weight_name}' does not exist")
        if isinstance(link, (Deconvolution2D, DeconvolutionND)):
            self.axis = 1
        if getattr(link, self.weight_name).array is not None:
            self._prepare_parameters(link)

    def deleted(self, link):
        delattr(link, self.vector_name)
        if self.use_gamma:
            del link.gamma

    def forward_preprocess(self, cb_args):
        link = cb_args.link
        if not self._initialized:
            self._prepare_parameters(link, cb_args.args[0])
        self.original_weight = getattr(link, self.weight_name)
        object.__setattr__(link, self.weight_name, self.normalize_weight(link))

    def forward_postprocess(self, cb_args):
        object.__setattr__(cb_args.link, self.weight_name, self.original_weight)

    def _prepare_parameters(self, link, input_variable=None):
        W = getattr(link, self.weight_name)
        if W.array is None and input_variable is not None:
            link._initialize_params(input_variable.shape[1])
        W = getattr(link, self.weight_name)
        if W.shape[self.axis] == 0:
            raise ValueError(
                f"SpectralNormalization: expected {self.weight_name}.shape[{self.axis}] > 0"
            )
        u = link.xp.random.normal(size=(W.shape[self.axis],)).astype(dtype=W.dtype)
        link.__dict__[self.vector_name] = u
        link.register_persistent(self.vector_name)
        if self.use_gamma:
            _, s, _ = link.xp.linalg.svd(self.reshape_W(W.array))
            with link.init_scope():
                link.gamma = Parameter(link.xp.asarray(s[0]))
        self._initialized = True

    def reshape_W(self, W):
        """W as a matrix: (shape[axis], rest)."""
        if self.axis != 0:
            axes = [self.axis] + [i for i in range(W.ndim) if i != self.axis]
            W = W.transpose(axes)
        if W.ndim == 2:
            return W
        return W.reshape(W.shape[0], -1)

    def normalize_weight(self, link):
        """W / σ(W) (times γ), updating the persistent u in training mode."""
        W = getattr(link, self.weight_name)
        u = getattr(link, self.vector_name)
        Wm = self.reshape_W(W)
        xp = link.xp
        m = Wm.array
        for _ in range(self.n_power_iteration):
            v = _l2normalize(xp, xp.dot(u, m), self.eps)
            u = _l2normalize(xp, xp.dot(m, v), self.eps)
        sigma = F.matmul(F.matmul(u, Wm), v)
        if self.factor is not None:
            sigma = sigma / self.factor
        W = link.gamma * W / sigma if self.use_gamma else W / sigma
        self.v = v
        if config.train:
            getattr(link, self.vector_name)[...] = u
        return W
