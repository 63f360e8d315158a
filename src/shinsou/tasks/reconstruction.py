"""Reconstruction (autoencoders): the input is its own target."""

from __future__ import annotations

from .base import Task

__all__ = ["Reconstruction"]


class Reconstruction(Task):
    """Learn x -> x̂ ≈ x; metric: mean squared reconstruction error mean((x̂ − x)²) on
    batches of inputs only (``evaluate`` takes the input as the target). Commands:
    ``reconstruct`` (a recipe implements ``reconstruct(run_dir, path)``)."""

    name = "reconstruction"
    title = "Reconstruction (autoencoders)"
    commands = ("reconstruct",)

    def metrics(self) -> dict:
        from ..training.metrics import reconstruction_error

        return {"reconstruction_error": reconstruction_error}
