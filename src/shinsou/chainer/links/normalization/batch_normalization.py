"""``L.BatchNormalization`` with Chainer's persistents ``avg_mean``, ``avg_var`` and ``N``."""

from __future__ import annotations

import numpy

from ... import functions as F
from ... import initializers
from ...configuration import config
from ...link import Link
from ...variable import Parameter


def step_decay(link, finetune: bool) -> float:
    """A batch-normalizing link's decay for this training step: ``link.decay``, or 1 − 1/N
    with ``finetune`` (``link.N`` counts the finetune steps, this one included)."""
    if not finetune:
        return link.decay
    link.N += 1
    return 1.0 - 1.0 / link.N


class BatchNormalization(Link):
    """Batch normalization: in training (``chainer.config.train``) the batch statistics,
    with avg_mean/avg_var ← decay·avg + (1 − decay)·stat (unbiased variance); in test mode
    the running averages. ``forward(x, finetune=True)`` averages over all batches seen
    (decay = 1 − 1/N). Defaults are Chainer's: decay 0.9, eps 2e-5, γ = 1, β = 0,
    avg_mean = 0, avg_var = 1.

    Args:
        size: the channel count, or a shape (None: from the first input, with ``axis``).
        axis: the axes to average over (default: all but axis 1..1+len(size)).

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> bn = L.BatchNormalization(3)
    >>> bn(np.random.rand(4, 3).astype(np.float32)).shape, bn.N
    ((4, 3), 0)
    """

    gamma = None
    beta = None

    def __init__(
        self,
        size=None,
        decay=0.9,
        eps=2e-5,
        dtype=None,
        use_gamma=True,
        use_beta=True,
        initial_gamma=None,
        initial_beta=None,
        axis=None,
        initial_avg_mean=None,
        initial_avg_var=None,
    ):
        super().__init__()
        if size is None and axis is None:
            raise RuntimeError("BatchNormalization: size or axis is required")
        self._initial_avg_mean = initial_avg_mean
        self._initial_avg_var = initial_avg_var
        self.N = 0
        self.register_persistent("N")
        self.decay = decay
        self.eps = eps
        if isinstance(axis, int):
            axis = (axis,)
        self.axis = axis
        from ... import get_dtype

        self._highprec_dtype = get_dtype(dtype)
        if self._highprec_dtype == numpy.float16:
            self._highprec_dtype = numpy.dtype(numpy.float32)
        with self.init_scope():
            if use_gamma:
                g = initializers._get_initializer(1 if initial_gamma is None else initial_gamma)
                g.dtype = self._highprec_dtype
                self.gamma = Parameter(g)
            if use_beta:
                b = initializers._get_initializer(0 if initial_beta is None else initial_beta)
                b.dtype = self._highprec_dtype
                self.beta = Parameter(b)
        if size is None:
            self.avg_mean = None
            self.avg_var = None
        else:
            self._initialize_params(size)
        self.register_persistent("avg_mean")
        self.register_persistent("avg_var")

    def _init_array(self, initializer, default, shape):
        init = initializers._get_initializer(default if initializer is None else initializer)
        return initializers.generate_array(init, shape, self.xp, dtype=self._highprec_dtype)

    def _initialize_params(self, shape):
        self.avg_mean = self._init_array(self._initial_avg_mean, 0, shape)
        self._initial_avg_mean = None
        self.avg_var = self._init_array(self._initial_avg_var, 1, shape)
        self._initial_avg_var = None
        if self.gamma is not None:
            self.gamma.initialize(shape)
        if self.beta is not None:
            self.beta.initialize(shape)

    def forward(self, x, **kwargs):
        finetune = kwargs.pop("finetune", False)
        if "test" in kwargs:
            raise ValueError(
                "BatchNormalization: the test argument is not supported anymore; use "
                "chainer.using_config('train', False)"
            )
        if kwargs:
            raise TypeError(f"BatchNormalization.forward got unexpected arguments {sorted(kwargs)}")
        if self.avg_mean is None:
            shape = tuple(d for i, d in enumerate(x.shape) if i not in self.axis)
            self._initialize_params(shape)
        xp = self.xp
        gamma = (
            self.gamma
            if self.gamma is not None
            else xp.ones(self.avg_mean.shape, self._highprec_dtype)
        )
        beta = (
            self.beta
            if self.beta is not None
            else xp.zeros(self.avg_mean.shape, self._highprec_dtype)
        )
        if config.train:
            decay = step_decay(self, finetune)
            return F.batch_normalization(
                x,
                gamma,
                beta,
                eps=self.eps,
                running_mean=self.avg_mean,
                running_var=self.avg_var,
                decay=decay,
                axis=self.axis,
            )
        return F.fixed_batch_normalization(
            x, gamma, beta, self.avg_mean, self.avg_var, self.eps, axis=self.axis
        )

    def start_finetuning(self):
        """Restart the count of ``finetune`` batches."""
        self.N = 0


class BatchRenormalization(BatchNormalization):
    """Batch renormalization (Ioffe 2017): in training, ``F.batch_renormalization`` with
    the running averages (updated in place, as ``BatchNormalization`` updates them), the
    batch statistics corrected by r = clip(σ_B / σ, 1/rmax, rmax) and
    d = clip((μ_B − μ) / σ, −dmax, dmax); in test mode the running averages, as
    ``BatchNormalization``. ``rmax=1, dmax=0`` (the defaults) is batch normalization.
    ``initial_avg_mean`` / ``initial_avg_var`` set avg_mean / avg_var (Chainer 7.8.1 passes
    them to BatchNormalization one position off: there avg_mean starts at initial_avg_var).

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> brn = L.BatchRenormalization(3, rmax=3.0, dmax=5.0)
    >>> brn(np.random.rand(4, 3).astype(np.float32)).shape
    (4, 3)
    """

    def __init__(self, size, rmax=1, dmax=0, decay=0.9, eps=2e-5, dtype=None, use_gamma=True,
                 use_beta=True, initial_gamma=None, initial_beta=None,
                 initial_avg_mean=None, initial_avg_var=None):  # fmt: skip
        super().__init__(
            size, decay, eps, dtype, use_gamma, use_beta, initial_gamma, initial_beta,
            initial_avg_mean=initial_avg_mean, initial_avg_var=initial_avg_var,
        )  # fmt: skip
        self.rmax, self.dmax = rmax, dmax

    def forward(self, x, finetune=False):
        xp = self.xp
        gamma = self.gamma if self.gamma is not None else xp.ones(self.avg_mean.shape, x.dtype)
        beta = self.beta if self.beta is not None else xp.zeros(self.avg_mean.shape, x.dtype)
        if not config.train:
            return F.fixed_batch_normalization(x, gamma, beta, self.avg_mean, self.avg_var,
                                               self.eps)  # fmt: skip
        return F.batch_renormalization(
            x, gamma, beta, self.rmax, self.dmax, self.eps, self.avg_mean, self.avg_var,
            step_decay(self, finetune), update_statistics=True,
        )  # fmt: skip
