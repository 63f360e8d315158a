"""The CuPy backend: the same ops on the GPU give the CPU's results (collected only with a GPU)."""

import numpy as np
import pytest

import shinsou as ss
import shinsou.functional as F


def _pair(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return ss.tensor(x, requires_grad=True), ss.tensor(x, device="cuda", requires_grad=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: (x * x + 1).sum(),
        lambda x: F.relu(x).mean(),
        lambda x: F.softmax(x, axis=1).max(),
        lambda x: F.logsumexp(x, axis=0).sum(),
        lambda x: (x @ x.T).tanh().sum(),
        lambda x: F.cross_entropy(x, ss.tensor([0, 1, 2, 3], device=x.device)),
        lambda x: x[np.array([0, 0, 2])].sigmoid().sum(),
        lambda x: F.gelu(x).sum(),
    ],
)
def test_gpu_matches_cpu(fn):
    c, g = _pair((4, 5))
    assert g.device.type == "cuda"
    yc, yg = fn(c), fn(g)
    np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-5, atol=1e-6)
    yc.backward()
    yg.backward()
    np.testing.assert_allclose(g.grad.get(), c.grad, rtol=1e-5, atol=1e-6)


def test_module_to_cuda_trains():
    ss.manual_seed(0)
    net = ss.nn.Sequential(ss.nn.Linear(5, 8), ss.nn.ReLU(), ss.nn.Dropout(0.1), ss.nn.Linear(8, 3))
    net.to("cuda")
    assert all(p.device.type == "cuda" for p in net.parameters())
    opt = ss.optim.Adam(net.parameters(), lr=1e-2)
    x = ss.randn(16, 5, device="cuda")
    t = ss.tensor(np.arange(16) % 3, device="cuda")
    first = None
    for _ in range(50):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), t)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first * 0.5


def test_tensor_to_and_back_carries_gradient():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to("cuda") * 3).cpu().sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
