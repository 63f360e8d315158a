"""shinsou.random: the CPU generator, the GPU generator (a fake array module stands in for
CuPy), and states that resume both streams identically."""

from types import SimpleNamespace

import numpy as np
import pytest

import shinsou as ss
from shinsou import random as sr

# get_rng keys every array module other than NumPy as "the GPU": this stands in for CuPy
FAKE_CUPY = SimpleNamespace(random=SimpleNamespace(default_rng=np.random.default_rng))


@pytest.fixture(autouse=True)
def _own_random_state(monkeypatch):
    """Give each test fresh module state and put the session's back afterwards."""
    for name, value in [
        ("_rng", np.random.default_rng()),
        ("_manual_seed", None),
        ("_gpu_seed", None),
        ("_gpu_live", False),
        ("_gpu_rng", None),
    ]:
        monkeypatch.setattr(sr, name, value)


def _draws():
    """What a training step would draw next: CPU, GPU, CPU again."""
    return (
        sr.get_rng().random(3),
        sr.get_rng(FAKE_CUPY).random(4),
        sr.get_rng().integers(0, 100, 5),
    )


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_a_gpu_run_resumes_from_a_saved_state_identically(tmp_path):
    ss.manual_seed(0)
    _draws()
    first = sr.get_state()
    _draws()
    sr.get_rng().random(2)  # CPU only between two snapshots: the GPU stream stays in the state
    state = sr.get_state()
    assert isinstance(state["gpu_seed"], int) and 0 <= state["gpu_seed"] < 2**63
    assert state["gpu_seed"] != first["gpu_seed"]
    ss.save({"rng": state}, tmp_path / "s.npz")
    uninterrupted = _draws() + _draws()

    # "another process": other seeds, a GPU generator that has drawn, then the saved state
    ss.manual_seed(123)
    sr.get_rng(FAKE_CUPY).random(7)
    sr.set_state(ss.load(tmp_path / "s.npz")["rng"])
    _assert_same(_draws() + _draws(), uninterrupted)

    # also when the GPU generator did not exist yet in the resumed process
    sr._gpu_rng, sr._gpu_live = None, False
    sr.set_state(state)
    _assert_same(_draws() + _draws(), uninterrupted)


def test_get_state_reseeds_the_gpu_generator_from_one_cpu_draw():
    ss.manual_seed(5)
    sr.get_rng().random(3)
    sr.get_rng(FAKE_CUPY).random(2)
    state = sr.get_state()
    ref = np.random.default_rng(5)
    ref.random(3)
    assert state["gpu_seed"] == int(ref.integers(2**63))  # exactly one draw from the CPU
    np.testing.assert_array_equal(sr.get_rng().random(4), ref.random(4))
    np.testing.assert_array_equal(
        sr.get_rng(FAKE_CUPY).random(4), np.random.default_rng(state["gpu_seed"]).random(4)
    )


def test_without_a_gpu_generator_the_cpu_stream_is_untouched():
    ss.manual_seed(0)
    got = [sr.get_rng().random(3)]
    states = [sr.get_state(), sr.get_state()]
    got.append(sr.get_rng().random(5))
    ref = np.random.default_rng(0)
    _assert_same(got, [ref.random(3), ref.random(5)])
    assert states[0] == states[1] and states[0]["gpu_seed"] is None
    after3 = np.random.default_rng(0)
    after3.random(3)
    assert states[0]["cpu"] == after3.bit_generator.state


def test_a_state_from_before_the_gpu_started_restarts_it_from_the_manual_seed():
    ss.manual_seed(7)
    state = sr.get_state()  # no GPU generator yet: the uninterrupted run creates it later
    uninterrupted = _draws()
    ss.manual_seed(7)
    sr.get_rng(FAKE_CUPY).random(9)  # the resumed process already drew on the GPU
    sr.set_state(state)
    _assert_same(_draws(), uninterrupted)


def test_a_bare_numpy_state_from_the_previous_version_still_loads():
    ss.manual_seed(3)
    gpu = sr.get_rng(FAKE_CUPY)
    gpu.random(2)
    old = sr.get_rng().bit_generator.state  # what get_state returned before
    cpu_next = sr.get_rng().random(4)
    gpu_next = np.random.default_rng(3)
    gpu_next.random(2 + 3)
    sr.get_rng().random(10)
    gpu.random(3)
    sr.set_state(old)
    np.testing.assert_array_equal(sr.get_rng().random(4), cpu_next)
    # the GPU generator is left as it was (its state was never saved)
    assert sr.get_rng(FAKE_CUPY) is gpu
    np.testing.assert_array_equal(gpu.random(4), gpu_next.random(4))
