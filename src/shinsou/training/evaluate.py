"""Evaluation on a held-out set: loss and accuracy without gradients, in eval mode."""

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
        (N, ...), as NumPy arrays in loader order.
    """
    was_training = model.training
    model.eval()
    outs, targets = [], []
    try:
        with no_grad():
            for batch in loader:
                outs.append(model(batch[0]).numpy())
                targets.append(batch[1].numpy())
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict: the loader yields no batches")
    return np.concatenate(outs), np.concatenate(targets)


def evaluate(model, loader, loss_fn: Callable = F.cross_entropy, prefix: str = "val") -> dict:
    """Mean loss (weighted by batch size) and, for class scores with integer labels, the
    accuracy of ``model`` on ``loader``: ``{"val/loss": ..., "val/accuracy": ...}``.

    >>> from shinsou.data import DataLoader, TensorDataset
    >>> net = ss.nn.Linear(2, 2)
    >>> ds = TensorDataset(np.eye(2, dtype=np.float32), np.array([0, 1]))
    >>> sorted(evaluate(net, DataLoader(ds, batch_size=2)))
    ['val/accuracy', 'val/loss']
    """
    was_training = model.training
    model.eval()
    total, n, correct, classify = 0.0, 0, 0, True
    try:
        with no_grad():
            for batch in loader:
                x, t = batch[0], batch[1]
                y = model(x)
                b = len(t)
                total += loss_fn(y, t).item() * b
                n += b
                if classify and y.ndim == 2 and t.ndim == 1 and t.dtype.kind in "iu":
                    correct += int((y.array.argmax(axis=1) == t.array).sum())
                else:
                    classify = False
    finally:
        model.train(was_training)
    if n == 0:
        raise ValueError("evaluate: the loader yields no examples")
    out = {f"{prefix}/loss": total / n}
    if classify:
        out[f"{prefix}/accuracy"] = correct / n
    return out


class Evaluate(Extension):
    """Evaluate on ``loader`` at each trigger (default every epoch) and add
    ``<prefix>/loss`` and ``<prefix>/accuracy`` to the trainer's observation. From a hand loop,
    call ``evaluate(model, loader)`` instead."""

    priority = 300  # before the log reads the observation

    def __init__(
        self,
        loader,
        model=None,
        loss_fn: Callable | None = None,
        prefix="val",
        trigger=(1, "epoch"),
    ):
        self.loader = loader
        self.model = model
        self.loss_fn = loss_fn
        self.prefix = prefix
        self.trigger = trigger

    def __call__(self, trainer) -> None:
        model = self.model if self.model is not None else trainer.model
        loss_fn = self.loss_fn if self.loss_fn is not None else trainer.loss_fn
        trainer.observation.update(evaluate(model, self.loader, loss_fn, self.prefix))
