"""chainer.initializers against real Chainer 7.8.1: after the same ``numpy.random.seed`` each
initializer makes exactly the array Chainer made (``chainer_ref/initializers.npz``, from
``chainer_ref/make_initializers.py``): same draws, scales, dtypes and shapes."""

import os
import sys

import numpy as np
import pytest

import shinsou.chainer as chainer
from shinsou.chainer import initializers

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chainer_ref")
sys.path.insert(0, REF)

from make_initializers import INITIALIZERS, key  # noqa: E402

_NPZ = np.load(os.path.join(REF, "initializers.npz"))


@pytest.mark.parametrize("i", range(len(INITIALIZERS)), ids=[f"{n}{k}" for n, k, _ in INITIALIZERS])
def test_initializer_matches_chainer(i):
    name, kwargs, shape = INITIALIZERS[i]
    np.random.seed(3)
    got = initializers.generate_array(getattr(initializers, name)(**kwargs), shape, np)
    want = _NPZ[key(i, name)]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_generate_array_dtype_rules_and_errors():
    assert initializers.generate_array(initializers.Zero(), (2,), np).dtype == np.float32
    with chainer.using_config("dtype", np.float64):
        assert initializers.generate_array(initializers.One(), 2, np).dtype == np.float64
    with pytest.raises(ValueError, match="dtype mismatch"):
        initializers.generate_array(initializers.Zero(np.float32), (1,), np, dtype=np.float64)
    with pytest.raises(ValueError, match="square"):
        initializers.generate_array(initializers.Identity(), (2, 3), np)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        initializers.generate_array(initializers.LeCunNormal(), (3,), np)
    with pytest.raises(ValueError, match="cannot make an orthogonal"):
        initializers.generate_array(initializers.Orthogonal(mode="projection"), (2, 5), np)
    assert initializers.get_fans((4, 3, 2, 2)) == (12, 16)
    a = np.empty((2, 2), np.float32)
    initializers.Constant(np.array([1.0, 2.0]))(a)
    np.testing.assert_array_equal(a, [[1, 2], [1, 2]])
