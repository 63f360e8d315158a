"""DataLoader: batches from a Dataset, shuffled reproducibly, in the three feeding modes the
lectures name (full batch, mini-batch, online), and resumable in the middle of an epoch."""

from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..core.tensor import Tensor
from .dataset import Dataset, collate

__all__ = ["DataLoader", "MODES"]

#: The ways to feed a net: the whole training set per step, ``batch_size`` examples per
#: step, or one example per step.
MODES = ("full-batch", "mini-batch", "online")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Gradient descent comes in three flavours that differ only in how many examples each step
    sees, and here they are one knob, ``mode``:

    - ``"full-batch"``: every step uses all N examples (batch gradient descent; one step per
      epoch, the exact gradient of the training loss);
    - ``"mini-batch"``: ``batch_size`` examples per step (the usual choice);
    - ``"online"``: one example per step (stochastic / online learning, as in the perceptron
      rule).

    Shuffling is reproducible: epoch ``e`` visits the examples in the order
    ``np.random.default_rng([seed, e]).permutation(N)``, so a run resumed from a snapshot sees
    exactly the batches an uninterrupted run would. ``seed=None`` draws a seed from
    ``shinsou.manual_seed``'s generator.

    Args:
        dataset: a ``Dataset`` (array-backed ones are batched with one fancy-indexing call).
        batch_size: examples per batch in ``"mini-batch"`` mode.
        shuffle: visit examples in a new random order each epoch.
        seed: the shuffling seed.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        mode: ``"mini-batch"`` (default), ``"full-batch"`` or ``"online"``.
        device: put batches on this device ("cpu", "cuda", ...).
        as_tensor: yield ``Tensor``s (default) or plain arrays.

    Yields:
        tuples ``(x, t, ...)`` with a leading batch axis of length B.

    >>> from shinsou.data import TensorDataset
    >>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    >>> [len(t) for x, t in DataLoader(ds, batch_size=4)]
    [4, 4, 2]
    >>> len(DataLoader(ds, mode="full-batch")), len(DataLoader(ds, mode="online"))
    (1, 10)
    >>> first = [t.numpy().tolist() for _, t in DataLoader(ds, batch_size=5, shuffle=True, seed=1)]
    >>> again = [t.numpy().tolist() for _, t in DataLoader(ds, batch_size=5, shuffle=True, seed=1)]
    >>> first == again and sorted(sum(first, [])) == list(range(10))
    True
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        *,
        seed: int | None = None,
        drop_last: bool = False,
        mode: str = "mini-batch",
        device=None,
        as_tensor: bool = True,
    ):
        if mode not in MODES:
            raise ValueError(f"DataLoader: mode must be one of {MODES}, got {mode!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader: expected a Dataset (with __len__ and __getitem__), got "
                f"{type(dataset).__name__}"
            )
        if mode == "full-batch":
            batch_size = max(len(dataset), 1)
        elif mode == "online":
            batch_size = 1
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.mode = mode
        self.device = device
        self.as_tensor = as_tensor
        if seed is None:
            seed = int(_random.get_rng().integers(2**63 - 1))
        self.seed = int(seed)
        self._epoch = -1  # the epoch being (or last) iterated
        self._batch = 0  # batches handed out in that epoch
        self._resume: tuple[int, int] | None = None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """The example indices of ``epoch`` in visiting order."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    @property
    def epoch(self) -> int:
        """The epoch being (or last) iterated, counting from 0; -1 before the first."""
        return self._epoch

    def __iter__(self):
        if self._resume is not None:
            epoch, start = self._resume
            self._resume = None
        else:
            epoch, start = self._epoch + 1, 0
        self._epoch, self._batch = epoch, start
        order = self.order(epoch)
        n_batches = len(self)
        while self._batch < n_batches:
            idx = order[self._batch * self.batch_size : (self._batch + 1) * self.batch_size]
            self._batch += 1
            yield self._fetch(idx)

    def _fetch(self, idx: np.ndarray) -> tuple:
        ds = self.dataset
        if hasattr(ds, "__getitems__"):
            batch = ds.__getitems__(idx)
        else:
            batch = collate([ds[int(i)] for i in idx])
        if not isinstance(batch, tuple):
            batch = (batch,)
        if not self.as_tensor:
            return batch
        return tuple(Tensor(np.ascontiguousarray(b), device=self.device) for b in batch)

    def state_dict(self) -> dict:
        """Where the loader stands: ``{"seed", "epoch", "batch"}`` (batches already handed out
        in ``epoch``). Restoring it makes the next ``iter()`` continue from there."""
        return {"seed": self.seed, "epoch": self._epoch, "batch": self._batch}

    def load_state_dict(self, state: dict) -> None:
        """Continue where ``state`` left off: the rest of its epoch, or the next epoch if it
        had finished."""
        self.seed = int(state["seed"])
        epoch, batch = int(state["epoch"]), int(state["batch"])
        self._epoch, self._batch = epoch, batch
        self._resume = (epoch, batch) if 0 <= epoch and batch < len(self) else (epoch + 1, 0)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, mode={self.mode!r}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
