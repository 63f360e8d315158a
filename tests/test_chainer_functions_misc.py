"""chainer.functions behaviour beyond the reference values: training/test modes of dropout,
the noise of gaussian, device copies, argument checks with clear messages, and that every
function accepts plain arrays and returns Variables."""

import numpy as np
import pytest

import shinsou.chainer as chainer
import shinsou.chainer.functions as F


def test_dropout_train_and_test_modes():
    x = np.ones((200, 50), np.float32)
    y = F.dropout(x, 0.3)
    kept = y.array != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(y.array[kept], 1 / 0.7, rtol=1e-6)
    with chainer.using_config("train", False):
        z = F.dropout(x, 0.3)
    assert isinstance(z, chainer.Variable) and (z.array == 1).all()
    y2, mask = F.dropout(x, 0.5, return_mask=True)
    np.testing.assert_array_equal(y2.array, x * mask)
    with pytest.raises(ValueError, match="ratio must be in"):
        F.dropout(x, 1.0)


def test_gaussian_samples_and_gradients():
    mean = chainer.Variable(np.zeros((400, 5), np.float32))
    ln_var = chainer.Variable(np.full((400, 5), np.log(4.0), np.float32))
    y = F.gaussian(mean, ln_var)
    assert abs(float(y.array.std()) - 2.0) < 0.2
    F.sum(y).backward()
    np.testing.assert_array_equal(mean.grad, 1.0)
    assert ln_var.grad.shape == (400, 5)


def test_copy_to_cpu_keeps_the_graph():
    x = chainer.Variable(np.array([1.0, 2.0], np.float32))
    y = F.copy(x, -1)
    F.sum(y * 3).backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert F.copy(x, "@numpy").array.tolist() == [1.0, 2.0]


def test_clear_errors():
    with pytest.raises(ValueError, match="softmax_cross_entropy: x of shape"):
        F.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.zeros(3, np.int32))
    with pytest.raises(TypeError, match="integer labels"):
        F.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        F.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 5], np.int32))
    with pytest.raises(ValueError, match="linear: x has 3 features"):
        F.linear(np.zeros((2, 3), np.float32), np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match="reduce must be one of"):
        F.hinge(np.zeros((1, 2), np.float32), np.zeros(1, np.int32), reduce="sum")
    with pytest.raises(ValueError, match="does not divide into"):
        F.split_axis(np.zeros((5, 2), np.float32), 2, 0)
    with pytest.raises(RuntimeError, match="uninitialized Parameter"):
        F.relu(chainer.Parameter())


def test_arrays_in_variables_out_and_int_outputs():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for y in (F.relu(x), F.sum(x), F.reshape(x, (3, 2)), F.accuracy(x, np.array([2, 2]))):
        assert isinstance(y, chainer.Variable)
    idx = F.argmax(x, axis=1)
    assert idx.dtype == np.int32 and idx.array.tolist() == [2, 2]
    assert float(F.accuracy(x, np.array([2, 0])).array) == 0.5


def test_log_ndtr_against_math():
    # Chainer's log_ndtr needs SciPy (absent beside the reference Chainer): compare with math
    import math

    x = np.array([-3.0, -0.5, 0.0, 1.2], np.float64)
    want = [math.log(0.5 * math.erfc(-v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(F.log_ndtr(x).array, want, rtol=1e-12)


def test_rrelu_modes_and_gumbel_softmax():
    x = -np.ones((100, 10), np.float32)
    y, r = F.rrelu(x, return_r=True)
    assert 1 / 8 <= r.min() and r.max() <= 1 / 3
    np.testing.assert_allclose(y.array, -r)
    with chainer.using_config("train", False):
        np.testing.assert_allclose(F.rrelu(x).array, -(1 / 8 + 1 / 3) / 2, rtol=1e-6)
    logits = np.log(np.array([[0.7, 0.2, 0.1]] * 2000, np.float32))
    soft = F.gumbel_softmax(logits, tau=0.01).array
    np.testing.assert_allclose(soft.sum(1), 1, rtol=1e-5)
    freq = np.bincount(soft.argmax(1), minlength=3) / 2000
    np.testing.assert_allclose(freq, [0.7, 0.2, 0.1], atol=0.05)
