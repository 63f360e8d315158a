"""The random state shinsou's initialisers and dropout draw from (``shinsou.manual_seed``)."""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "get_rng", "get_state", "set_state"]

_rng = np.random.default_rng()
_gpu_rngs: dict = {}


def manual_seed(seed: int) -> None:
    """Seed every generator shinsou uses (CPU and, if present, GPU) for reproducible runs."""
    global _rng
    _rng = np.random.default_rng(seed)
    _gpu_rngs.clear()
    _gpu_rngs["seed"] = seed


def get_rng(xp=np):
    """The generator for array module ``xp`` (NumPy's Generator or CuPy's)."""
    if xp is np:
        return _rng
    key = "cupy"
    if key not in _gpu_rngs:  # pragma: no cover - GPU
        seed = _gpu_rngs.get("seed")
        _gpu_rngs[key] = xp.random.default_rng(seed)
    return _gpu_rngs[key]


def get_state() -> dict:
    """The CPU generator's state (a plain dict: save it in snapshots)."""
    return _rng.bit_generator.state


def set_state(state: dict) -> None:
    """Restore a state from ``get_state``."""
    _rng.bit_generator.state = state
