"""Tensor factories: values, dtypes and shapes against PyTorch, seeding, and validation."""

import numpy as np
import pytest
import torch

import shinsou as ss


def test_full_infers_dtype_like_torch():
    for v in (7, 7.0, True):
        assert ss.full((2, 3), v).dtype == np.dtype(str(torch.full((2, 3), v).dtype)[6:])
    assert ss.full(3, 2.5).tolist() == [2.5, 2.5, 2.5]
    assert ss.full((2,), 1, dtype="float64").dtype == np.float64


@pytest.mark.parametrize(
    "args",
    [(5,), (2, 7), (1, 2.5, 0.5), (0, 1, 0.1), (10, 0, -3), (-1.0, 1.0, 0.25), (0,)],
    ids=str,
)
def test_arange_like_torch(args):
    a, t = ss.arange(*args), torch.arange(*args)
    assert str(a.dtype) == str(t.dtype)[6:]
    np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


def test_arange_errors_and_grad():
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        ss.arange(0, 3, 0)
    with pytest.raises(ValueError, match="arange: the range"):
        ss.arange(0, 3, -1)
    x = ss.arange(0.0, 3.0, requires_grad=True)
    assert x.requires_grad and x.dtype == np.float32


@pytest.mark.parametrize("args", [(0, 1, 5), (-2, 3, 1), (1, 0, 4), (0, 1, 0), (3.5, -1, 7)])
def test_linspace_logspace_like_torch(args):
    a, t = ss.linspace(*args), torch.linspace(*args)
    assert a.dtype == np.float32 and a.shape == tuple(t.shape)
    np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-6, atol=1e-6)
    a, t = ss.logspace(*args, base=2.0), torch.logspace(*args, base=2.0)
    np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-6)
    assert ss.linspace(*args, dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="linspace: steps"):
        ss.linspace(0, 1, -1)


def test_empty_eye():
    e = ss.empty(2, 3)
    assert e.shape == (2, 3) and e.dtype == np.float32
    assert ss.empty((4,), dtype="int64").dtype == np.int64
    np.testing.assert_array_equal(ss.eye(3, 2).numpy(), torch.eye(3, 2).numpy())
    assert ss.eye(2, requires_grad=True).requires_grad


def test_like_factories_take_shape_dtype_device():
    x = ss.zeros(2, 3, dtype="float64")
    for f in (ss.zeros_like, ss.ones_like, ss.empty_like, ss.rand_like, ss.randn_like):
        y = f(x)
        assert y.shape == (2, 3) and y.dtype == np.float64 and y.device == x.device
        assert f(x, dtype="float32").dtype == np.float32
    assert ss.full_like(x, 4).tolist() == [[4.0] * 3] * 2
    assert ss.ones_like(x, requires_grad=True).requires_grad
    r = ss.rand_like(x).numpy()
    assert ((0 <= r) & (r < 1)).all()
    with pytest.raises(TypeError, match="randn_like: needs a floating-point dtype"):
        ss.randn_like(ss.tensor([1, 2]))
    with pytest.raises(TypeError, match="expected a Tensor"):
        ss.zeros_like(np.zeros(3))


def test_randint_like():
    ss.manual_seed(0)
    x = ss.randint_like(ss.zeros(1000), 3, 6)
    assert x.dtype == np.float32 and set(x.tolist()) == {3.0, 4.0, 5.0}
    y = ss.randint_like(ss.tensor([1, 2]), 4)
    assert y.dtype == np.int64 and all(0 <= v < 4 for v in y.tolist())
    with pytest.raises(ValueError, match="randint_like: need low < high"):
        ss.randint_like(x, 3, 3)


def test_random_factories_are_seeded():
    def draw():
        ss.manual_seed(123)
        return [
            ss.randperm(6).tolist(),
            ss.rand_like(ss.zeros(3)).tolist(),
            ss.multinomial(ss.tensor([0.2, 0.3, 0.5]), 3).tolist(),
            ss.bernoulli(ss.full((5,), 0.5)).tolist(),
            ss.normal(0.0, 1.0, (2,)).tolist(),
        ]

    assert draw() == draw()


def test_randperm():
    ss.manual_seed(0)
    p = ss.randperm(10)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(10))
    assert ss.randperm(0).shape == (0,)
    with pytest.raises(ValueError, match="randperm: n must be"):
        ss.randperm(-1)


def test_multinomial_with_replacement_frequencies():
    ss.manual_seed(0)
    w = ss.tensor([[1.0, 0.0, 3.0], [0.0, 5.0, 5.0]])
    s = ss.multinomial(w, 4000, replacement=True)
    assert s.shape == (2, 4000) and s.dtype == np.int64
    f0 = np.bincount(s.numpy()[0], minlength=3) / 4000
    f1 = np.bincount(s.numpy()[1], minlength=3) / 4000
    np.testing.assert_allclose(f0, [0.25, 0.0, 0.75], atol=0.03)  # weights need not sum to 1
    np.testing.assert_allclose(f1, [0.0, 0.5, 0.5], atol=0.03)
    assert f0[1] == 0 and f1[0] == 0  # zero weight: never drawn


def test_multinomial_without_replacement():
    ss.manual_seed(0)
    w = np.array([0.1, 0.0, 0.4, 0.2, 0.3])
    draws = np.stack([ss.multinomial(ss.tensor(w), 4).numpy() for _ in range(2000)])
    for d in draws:  # each category at most once, never the zero-weight one
        assert len(set(d.tolist())) == 4 and 1 not in d
    # the first draw follows the weights; the second the renormalised remainder
    first = np.bincount(draws[:, 0], minlength=5) / len(draws)
    np.testing.assert_allclose(first, w, atol=0.035)
    # P(second = 0 | first = 2) = 0.1 / 0.6
    sel = draws[draws[:, 0] == 2]
    assert abs((sel[:, 1] == 0).mean() - 0.1 / 0.6) < 0.06
    one_d = ss.multinomial(ss.tensor([1.0, 2.0]), 2)
    assert one_d.shape == (2,) and sorted(one_d.tolist()) == [0, 1]


@pytest.mark.parametrize(
    "w,n,kw,match",
    [
        ([[[1.0]]], 1, {}, "expected weights"),
        ([1.0, -1.0], 1, {}, "non-negative"),
        ([1.0, float("nan")], 1, {}, "finite"),
        ([0.0, 0.0], 1, {}, "positive sum"),
        ([1.0, 0.0, 1.0], 3, {}, "cannot draw 3 samples without replacement from 2"),
        ([1.0], 0, {}, "num_samples must be positive"),
    ],
)
def test_multinomial_validates(w, n, kw, match):
    with pytest.raises(ValueError, match="multinomial: .*" + match):
        ss.multinomial(ss.tensor(w), n, **kw)


def test_bernoulli():
    ss.manual_seed(0)
    p = ss.tensor([0.0, 1.0, 0.3] * 2000, dtype="float64", requires_grad=True)
    b = ss.bernoulli(p)
    assert b.dtype == np.float64 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    v = b.numpy().reshape(-1, 3)
    assert (v[:, 0] == 0).all() and (v[:, 1] == 1).all() and abs(v[:, 2].mean() - 0.3) < 0.03
    # as in PyTorch: the result is in the graph with a zero gradient
    assert b.requires_grad
    (b.sum() + p.sum()).backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.ones(p.shape))
    assert ss.bernoulli(ss.zeros(4), p=1.0).tolist() == [1.0] * 4
    with pytest.raises(ValueError, match="bernoulli: probabilities must be in"):
        ss.bernoulli(ss.tensor([1.5]))


def test_normal():
    ss.manual_seed(0)
    x = ss.normal(2.0, 3.0, (20000,))
    assert x.dtype == np.float32 and abs(x.numpy().mean() - 2) < 0.1
    assert abs(x.numpy().std() - 3) < 0.1
    mean = ss.tensor([[0.0], [100.0]], requires_grad=True)
    std = ss.tensor([1.0, 0.0, 2.0])
    y = ss.normal(mean, std)
    assert y.shape == (2, 3) and y.numpy()[1, 1] == 100.0
    y.sum().backward()  # zero gradient, as torch.normal(Tensor, Tensor)
    assert mean.grad.tolist() == [[0.0], [0.0]]
    assert ss.normal(ss.zeros(4, 2), 1.0).shape == (4, 2)
    with pytest.raises(TypeError, match="normal: with a number mean and std, give the size"):
        ss.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="normal: std must be >= 0"):
        ss.normal(0.0, -1.0, (2,))
