"""Evaluation on a held-out set: chosen metrics (default loss and accuracy) without
gradients, in eval mode."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import functional as F
from ..core.grad_mode import no_grad
from .extension import Extension

__all__ = ["predict", "evaluate", "Evaluate"]


def predict(model, loader) -> tuple[np.ndarray, np.ndarray]:
    """Run ``model`` (in eval mode, no gradients) over ``loader``.

    Returns:
        (outputs, targets): the model's outputs (N, ...) and the loader's second field
        (N, ...) (its inputs when batches hold inputs only), as NumPy arrays in loader order.
    """
    was_training = model.training
    model.eval()
    outs, targets = [], []
    try:
        with no_grad():
            for batch in loader:
                outs.append(model(_input(batch)).numpy())
                targets.append(_target(batch).numpy())
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict: the loader yields no batches")
    return np.concatenate(outs), np.concatenate(targets)


def _target(batch):
    # (x, t, ...) -> t; a batch of inputs only, (x,) or x, is its own target (an autoencoder)
    if isinstance(batch, tuple | list):
        return batch[1] if len(batch) > 1 else batch[0]
    return batch


def _input(batch):
    return batch[0] if isinstance(batch, tuple | list) else batch


def evaluate(
    model,
    loader,
    loss_fn: Callable = F.cross_entropy,
    prefix: str = "val",
    metrics: dict[str, Callable] | None = None,
    distributed: bool | None = None,
) -> dict:
    """The metrics of ``model`` (in eval mode, without gradients) on ``loader``, each the
    mean over examples (each batch weighted by its size B_b):
    ``{prefix + "/" + name: finish(Σ_b B_b · metric(y_b, t_b) / Σ_b B_b)}``.

    Args:
        model: maps a batch's inputs x (``batch[0]``) to outputs y.
        loader: yields ``(x, t, ...)``; a batch of inputs only (``(x,)``) is its own target
            t = x (reconstruction).
        loss_fn: the ``loss`` metric when ``metrics`` is not given.
        prefix: the split's name in the keys (``val``, ``test``).
        metrics: ``{name: fn(y, t)}`` giving a batch's mean (float or 0-d Tensor), e.g.
            ``{"loss": F.mse_loss}`` or the ready ones in ``shinsou.training.metrics``
            (``accuracy``, ``reconstruction_error``, ``perplexity``: a ``Metric`` whose
            ``finish`` maps the mean, exp for perplexity). Default: ``loss`` (``loss_fn``)
            and, for class scores (B, C) with integer labels (B,), ``accuracy``.
        distributed: each rank of a data-parallel job evaluated its own shard: add the
            sums and counts of all ranks before dividing, Σ_r Σ_b B_b·metric / Σ_r Σ_b B_b
            (the mean over all examples, not a mean of the ranks' means). Default: when
            ``loader.sampler`` is a ``DistributedSampler`` of more than one rank.

    >>> from shinsou.data import DataLoader, TensorDataset
    >>> net = ss.nn.Linear(2, 2)
    >>> ds = TensorDataset(np.eye(2, dtype=np.float32), np.array([0, 1]))
    >>> sorted(evaluate(net, DataLoader(ds, batch_size=2)))
    ['val/accuracy', 'val/loss']
    >>> from shinsou.training.metrics import reconstruction_error
    >>> ae = DataLoader(TensorDataset(np.eye(2, dtype=np.float32)), batch_size=2)
    >>> list(evaluate(net, ae, metrics={"mse": reconstruction_error}))
    ['val/mse']
    """
    from .metrics import Metric, _as_float

    chosen = dict(metrics) if metrics is not None else None
    was_training = model.training
    model.eval()
    # every name from the start: the ranks of a data-parallel job add the same keys
    sums: dict[str, float] = dict.fromkeys(chosen if chosen is not None else ["loss"], 0.0)
    n, correct, classify = 0, 0, chosen is None
    try:
        with no_grad():
            for batch in loader:
                x, t = _input(batch), _target(batch)
                y = model(x)
                b = len(t)
                n += b
                if chosen is None:
                    sums["loss"] = sums.get("loss", 0.0) + loss_fn(y, t).item() * b
                    if classify and y.ndim == 2 and t.ndim == 1 and t.dtype.kind in "iu":
                        correct += int((y.numpy().argmax(axis=1) == t.numpy()).sum())
                    else:
                        classify = False
                else:
                    for name, fn in chosen.items():
                        sums[name] = sums.get(name, 0.0) + _as_float(fn(y, t)) * b
    finally:
        model.train(was_training)
    if distributed is None:
        distributed = getattr(getattr(loader, "sampler", None), "num_replicas", 1) > 1
    if distributed:  # each rank saw its shard: add sums and counts, then divide
        sums, n, correct, classify = _over_ranks(sums, n, correct, classify)
    if n == 0:
        raise ValueError("evaluate: the loader yields no examples")
    if chosen is None:
        out = {f"{prefix}/loss": sums["loss"] / n}
        if classify:
            out[f"{prefix}/accuracy"] = correct / n
        return out
    out = {}
    for name, fn in chosen.items():
        mean = sums[name] / n
        out[f"{prefix}/{name}"] = fn.finish(mean) if isinstance(fn, Metric) else mean
    return out


def _over_ranks(sums: dict, n: int, correct: int, classify: bool):
    """(sums, n, correct, classify) added over the ranks (classify: on every rank)."""
    import numpy as np

    from ..distributed import get_communicator

    comm = get_communicator()
    keys = sorted(sums)
    vec = np.array([sums[k] for k in keys] + [n, correct, 1.0 if classify else 0.0])
    vec = comm.allreduce(vec, "sum")
    out = dict(zip(keys, vec[: len(keys)].tolist()))
    return out, int(round(vec[-3])), int(round(vec[-2])), int(round(vec[-1])) == comm.size


class Evaluate(Extension):
    """Evaluate on ``loader`` at each trigger (default every epoch) and add
    ``<prefix>/<metric>`` to the trainer's observation: by default ``loss`` and (for a
    classifier) ``accuracy``; ``metrics={name: fn(y, t)}`` chooses others (see
    ``evaluate``). The model is ``model`` or the trainer's (its updater's first). From a hand
    loop, call ``evaluate(model, loader, metrics=...)`` instead. In data-parallel training
    give it a loader over ``DistributedSampler(val_set, shuffle=False, pad=False)``: each
    rank evaluates its shard and the sums are added over the ranks."""

    priority = 300  # before the log reads the observation

    def __init__(
        self,
        loader,
        model=None,
        loss_fn: Callable | None = None,
        prefix="val",
        trigger=(1, "epoch"),
        metrics: dict[str, Callable] | None = None,
    ):
        self.loader = loader
        self.metrics = metrics
        self.model = model
        self.loss_fn = loss_fn
        self.prefix = prefix
        self.trigger = trigger

    def __call__(self, trainer) -> None:
        model = self.model if self.model is not None else trainer.model
        loss_fn = self.loss_fn if self.loss_fn is not None else trainer.loss_fn
        trainer.observation.update(
            evaluate(model, self.loader, loss_fn, self.prefix, metrics=self.metrics)
        )
