"""Averaged weights (``shinsou.optim.swa_utils``, as ``torch.optim.swa_utils``): an
exponential moving average (EMA) of a model's weights, or their plain running mean (SWA).

An averaged copy of a model changes slowly while the model itself follows the optimizer's
noisy steps; its weights lie nearer the middle of the region the training moves through.
For a GAN's generator, whose weights oscillate in the game with the discriminator, the EMA
copy draws visibly cleaner samples (Yazıcı et al. 2019, "The Unusual Effectiveness of
Averaging in GAN Training"); for classifiers, SWA (Izmailov et al. 2018) finds wider optima.
"""

from __future__ import annotations

import copy

import numpy as np

from ..core.grad_mode import no_grad
from ..nn.module import Module

__all__ = ["AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn"]


def get_ema_avg_fn(decay: float = 0.999):
    """The EMA update of one array, as ``avg_fn(averaged, current, num_averaged)``:

    θ̄ ← decay · θ̄ + (1 − decay) · θ
    """
    _check_decay(decay)

    def ema_update(averaged, current, num_averaged):
        return decay * averaged + (1.0 - decay) * current

    return ema_update


def get_ema_multi_avg_fn(decay: float = 0.999):
    """The EMA update of lists of arrays at once, in place (``multi_avg_fn``)."""
    _check_decay(decay)

    def ema_update(averaged_list, current_list, num_averaged):
        for a, c in zip(averaged_list, current_list):
            a *= decay
            a += (1.0 - decay) * c

    return ema_update


def get_swa_avg_fn():
    """The running mean of every version so far (stochastic weight averaging):

    θ̄ₙ₊₁ = θ̄ₙ + (θ − θ̄ₙ) / (n + 1)
    """

    def swa_update(averaged, current, num_averaged):
        return averaged + (current - averaged) / (num_averaged + 1)

    return swa_update


def _check_decay(decay) -> None:
    if isinstance(decay, bool) or not 0.0 <= float(decay) < 1.0:
        raise ValueError(f"EMA decay must be in [0, 1), got {decay!r}")


class AveragedModel(Module):
    """A copy of ``model`` whose weights are an average of ``model``'s over training.

    ``update_parameters(model)`` (call it after each optimizer step, or each epoch for SWA)
    folds the model's current weights in: the first call copies them, later ones apply
    ``multi_avg_fn(averaged_list, current_list, n)`` (in place on all arrays) or
    ``avg_fn(averaged, current, n) -> new`` (array by array), or by default the running mean
    of ``get_swa_avg_fn``. ``n_averaged`` (a buffer, so it travels in ``state_dict``) counts
    the calls. Calling the averaged model calls the copy (``self.module``).

    Args:
        model: the model to average (deep-copied; the original is not touched).
        device: where the copy lives (default: the model's device).
        avg_fn, multi_avg_fn: the update (at most one of them).
        use_buffers: also average the buffers (batch norm's running mean and variance) with
            the same rule — what a GAN's EMA generator in eval mode wants. Integer buffers
            (``num_batches_tracked``) are copied. With False (PyTorch's default) the copy's
            buffers are kept equal to the model's (for SWA, recompute batch-norm statistics
            for the averaged weights afterwards).

    >>> net = ss.nn.Linear(2, 1)
    >>> ema = ss.optim.swa_utils.AveragedModel(
    ...     net, multi_avg_fn=ss.optim.swa_utils.get_ema_multi_avg_fn(0.9))
    >>> with ss.no_grad():
    ...     _ = net.bias.fill_(1.0)
    >>> ema.update_parameters(net)                       # first call: a copy
    >>> with ss.no_grad():
    ...     _ = net.bias.fill_(2.0)
    >>> ema.update_parameters(net)                       # 0.9 · 1 + 0.1 · 2
    >>> round(float(ema.module.bias.item()), 4), int(ema.n_averaged.item())
    (1.1, 2)
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers: bool = False):  # fmt: skip
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: expected a Module, got {type(model).__name__}")
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        from ..core.tensor import tensor

        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        for p in self.module.parameters():  # the copy is never trained by an optimizer
            p.requires_grad_(False)
        self.register_buffer("n_averaged", tensor(np.array(0, dtype=np.int64)))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model: Module):
        mine = list(self.module.parameters())
        theirs = list(model.parameters())
        if self.use_buffers:
            mine += list(self.module.buffers())
            theirs += list(model.buffers())
        if len(mine) != len(theirs) or any(a.shape != b.shape for a, b in zip(mine, theirs)):
            raise ValueError(
                "AveragedModel.update_parameters: the model's parameters"
                f"{' and buffers' if self.use_buffers else ''} do not match the averaged copy's"
                f" ({len(theirs)} vs {len(mine)} arrays, or other shapes)"
            )
        return [(a.array, b.array) for a, b in zip(mine, theirs)]

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (see the class doc)."""
        pairs = self._pairs(model)
        n = int(self.n_averaged.item())
        floats = [(a, b) for a, b in pairs if np.issubdtype(a.dtype, np.floating)]
        with no_grad():
            for a, b in pairs:
                if n == 0 or not np.issubdtype(a.dtype, np.floating):
                    a[...] = b
            if n > 0 and floats:
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn([a for a, _ in floats], [b for _, b in floats], n)
                else:
                    fn = self.avg_fn or get_swa_avg_fn()
                    for a, b in floats:
                        a[...] = fn(a, b.astype(a.dtype, copy=False), n)
            if not self.use_buffers:  # kept in sync with the model, as in PyTorch
                for a, b in zip(self.module.buffers(), model.buffers()):
                    a.array[...] = b.array
            self.n_averaged.array[...] = n + 1
