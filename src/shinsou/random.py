"""The random state shinsou's initialisers and dropout draw from (``shinsou.manual_seed``).

There are two generators: NumPy's ``Generator`` for CPU arrays, and, once something draws on
the GPU, one CuPy generator (``get_rng(cupy)``), created from the ``manual_seed`` seed.

Snapshots and resuming: ``get_state()`` returns ``{"cpu": <NumPy bit_generator state>,
"gpu_seed": int | None}`` and ``set_state`` restores it, so a resumed run continues exactly
as the uninterrupted one would have. CuPy cannot export its generator's state, so when a GPU
generator is in use, taking a state *re-seeds* it: ``get_state`` draws a fresh 63-bit seed
from the CPU generator, restarts the GPU generator from that seed and stores the seed in the
state; ``set_state`` restores the CPU state and restarts the GPU generator from the stored
seed. Both runs therefore go on from identical states. Consequences: on a GPU, taking a state
changes the random streams that follow it (a run with snapshots draws different numbers than
one without, reproducibly), and two ``get_state()`` calls in a row give different states.
Without a GPU generator ``get_state`` draws nothing, so CPU runs are the same with or without
snapshots. ``set_state`` also accepts a bare NumPy ``bit_generator.state`` dict (what
``get_state`` returned before the GPU seed was added) and then leaves the GPU generator as is.

>>> ss.manual_seed(0)
>>> state = get_state()
>>> a = get_rng().random(3)
>>> set_state(state)
>>> bool((get_rng().random(3) == a).all()), state["gpu_seed"]
(True, None)
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "get_rng", "get_state", "set_state"]

_rng = np.random.default_rng()
_manual_seed: int | None = None  # the last manual_seed(seed)
# The GPU generator is created lazily by get_rng(xp) from _gpu_seed. _gpu_live says whether
# the GPU stream has started (a generator was created, or a state with a GPU seed was taken or
# restored): only then does get_state draw a seed for it, so the decision depends on the
# random state itself and not on whether the generator object happens to exist yet.
_gpu_seed: int | None = None
_gpu_live = False
_gpu_rng = None


def manual_seed(seed: int) -> None:
    """Seed every generator shinsou uses (CPU and, if present, GPU) for reproducible runs."""
    global _rng, _manual_seed, _gpu_seed, _gpu_live, _gpu_rng
    _rng = np.random.default_rng(seed)
    _manual_seed = _gpu_seed = seed
    _gpu_live, _gpu_rng = False, None


def get_rng(xp=np):
    """The generator for array module ``xp`` (NumPy's Generator, or CuPy's for any other
    array module: there is one GPU generator)."""
    global _gpu_live, _gpu_rng
    if xp is np:
        return _rng
    if _gpu_rng is None:
        _gpu_rng = xp.random.default_rng(_gpu_seed)
        _gpu_live = True
    return _gpu_rng


def get_state() -> dict:
    """The random state as a plain dict, to save in snapshots: ``{"cpu": <NumPy
    bit_generator state>, "gpu_seed": int | None}``.

    When a GPU generator is in use this re-seeds it from a seed drawn from the CPU generator
    (see the module docstring); otherwise it changes nothing.
    """
    global _gpu_seed, _gpu_live, _gpu_rng
    seed = None
    if _gpu_live:
        # CuPy's state cannot be read out: restart the GPU stream from a seed we can store
        seed = int(_rng.integers(2**63))
        _gpu_seed, _gpu_rng = seed, None  # re-created from the seed on next use
    return {"cpu": _rng.bit_generator.state, "gpu_seed": seed}


def set_state(state: dict) -> None:
    """Restore a state from ``get_state`` (or a bare NumPy ``bit_generator.state`` dict)."""
    global _gpu_seed, _gpu_live, _gpu_rng
    if "bit_generator" in state:  # saved before the GPU seed existed: CPU only
        _rng.bit_generator.state = state
        return
    _rng.bit_generator.state = state["cpu"]
    seed = state["gpu_seed"]
    if seed is None:  # no GPU stream had started: it starts later from the manual seed
        _gpu_seed, _gpu_live = _manual_seed, False
    else:
        _gpu_seed, _gpu_live = int(seed), True
    _gpu_rng = None
