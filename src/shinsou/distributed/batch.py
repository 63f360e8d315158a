"""The global batch and each rank's share of it."""

from __future__ import annotations

from .comm import get_communicator

__all__ = ["local_batch_size"]


def local_batch_size(global_batch: int, size: int | None = None) -> int:
    """b = B / P: each of P ranks' share of a global batch of B examples, so that P ranks
    take the steps one process takes with batch B. An error when P does not divide B.

    >>> local_batch_size(128, size=2)
    64
    """
    p = get_communicator().size if size is None else size
    if global_batch % p:
        raise ValueError(
            f"distributed: the batch size {global_batch} is not divisible by the {p} ranks "
            f"(each rank takes batch_size / ranks examples); choose a multiple of {p}"
        )
    return global_batch // p
