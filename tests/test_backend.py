"""Backend and tensor basics: devices, dtypes, factories, conversion."""

import numpy as np
import pytest

import shinsou as ss
from shinsou.backend import Device, get_array_module


def test_device_parsing():
    assert Device("cpu") == "cpu" and str(Device("cuda")) == "cuda:0"
    assert Device("cuda:1").index == 1
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        Device("tpu")
    assert ss.tensor([1.0]).device == Device("cpu")
    assert get_array_module(np.zeros(1)) is np


def test_cuda_reports_availability_honestly():
    assert isinstance(ss.cuda.is_available(), bool)
    if not ss.cuda.is_available():
        assert ss.cuda.device_count() == 0
        with pytest.raises(RuntimeError, match="needs CuPy and a CUDA GPU"):
            ss.tensor([1.0]).to("cuda")


def test_dtypes_follow_pytorch():
    assert ss.tensor([1.0, 2.0]).dtype == np.float32
    assert ss.tensor([1, 2]).dtype == np.int64
    assert ss.tensor(np.zeros(2)).dtype == np.float64  # arrays keep their dtype
    assert ss.tensor([1, 2], dtype="float64").dtype == np.float64
    assert (ss.tensor([1.0], dtype="float32") * 2.5).dtype == np.float32
    assert (ss.tensor([1, 2]) * 1.5).dtype == np.float32
    x = ss.tensor([1.0], requires_grad=True)
    y = x.double() * 2
    y.backward(np.ones(1))
    assert y.dtype == np.float64 and x.grad.dtype == np.float32


def test_tensor_copies_its_data_and_from_numpy_shares():
    a = np.ones(3, np.float32)
    t = ss.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1
    s = ss.from_numpy(a)
    assert s.numpy()[0] == 5


def test_factories_and_seed():
    ss.manual_seed(3)
    a = ss.randn(2, 3).numpy()
    ss.manual_seed(3)
    np.testing.assert_array_equal(a, ss.randn(2, 3).numpy())
    assert ss.zeros(2, 3).shape == (2, 3) and ss.ones((4,)).dtype == np.float32
    assert ss.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ss.full((2,), 7.0).tolist() == [7.0, 7.0]
    r = ss.randint(0, 3, (100,)).numpy()
    assert r.min() >= 0 and r.max() < 3


def test_item_and_errors():
    assert ss.tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="one-element"):
        ss.tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ss.tensor([1, 2], requires_grad=True)


def test_repr():
    assert repr(ss.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(ss.tensor([1.0], requires_grad=True))
    assert "grad_fn=Mul" in repr(ss.tensor([1.0], requires_grad=True) * 2)


def test_matmul_and_linear_shape_errors_name_op_and_shapes():
    import shinsou.functional as F

    with pytest.raises(
        ValueError,
        match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not match: "
        r"inner dimensions 3 != 4",
    ):
        ss.zeros(2, 3) @ ss.zeros(4, 5)
    with pytest.raises(ValueError, match=r"matmul: both operands need at least 1 dimension"):
        F.matmul(ss.tensor(1.0), ss.zeros(2))
    with pytest.raises(
        ValueError,
        match=r"linear: input of shape \(2, 3\) does not fit weight "
        r"of shape \(4, 5\)",
    ):
        F.linear(ss.zeros(2, 3), ss.zeros(4, 5))


def test_casts_and_device_moves_are_differentiable():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("float64")
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert x.to("cpu") is x and x.float() is x
    assert ss.tensor([1.5]).long().dtype == np.int64
