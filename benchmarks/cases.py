"""Benchmark cases. Each returns (shinsou seconds, PyTorch seconds) for one step."""

from __future__ import annotations

import numpy as np
import torch

import shinsou as ss
import shinsou.functional as F
from common import compare

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def _copy_weights(ss_model, torch_model):
    with torch.no_grad():
        for p, tp in zip(ss_model.parameters(), torch_model.parameters()):
            tp.copy_(torch.from_numpy(p.numpy()))


@case
def mlp_step():
    """MLP 784-1000-500-250-10 ReLU, batch 128, SGD momentum 0.9, softmax CE: one train step"""
    sizes = (784, 1000, 500, 250, 10)
    rng = np.random.default_rng(0)
    x = rng.random((128, 784), dtype=np.float32)
    t = rng.integers(0, 10, 128)

    ss.manual_seed(0)
    net = ss.models.MLP(sizes)
    opt = ss.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    sx, st = ss.tensor(x), ss.tensor(t)

    tnet = torch.nn.Sequential(
        *[
            m
            for a, b in zip(sizes[:-1], sizes[1:])
            for m in (torch.nn.Linear(a, b), torch.nn.ReLU())
        ][:-1]
    )
    _copy_weights(net, tnet)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9)
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)

    def ss_step():
        opt.zero_grad()
        F.cross_entropy(net(sx), st).backward()
        opt.step()

    def torch_step():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tnet(tx), tt).backward()
        topt.step()

    return compare(ss_step, torch_step, number=30, rounds=7)


@case
def overhead():
    """tiny step: y = relu(a + a).sum() on 10 floats, then backward (per-op overhead)"""
    a = ss.randn(10, requires_grad=True)
    ta = torch.randn(10, requires_grad=True)

    def ss_step():
        a.grad = None
        (a + a).relu().sum().backward()

    def torch_step():
        ta.grad = None
        (ta + ta).relu().sum().backward()

    return compare(ss_step, torch_step, number=500, rounds=7)


@case
def mnist_mlp_epoch():
    """mnist-mlp loop: 40 shuffled batches of 128, 784-1000-500-10 ReLU, dropout 0.5, Adam"""
    from shinsou.data import DataLoader, TensorDataset
    from shinsou.training import Trainer, supervised_step

    rng = np.random.default_rng(0)
    x = rng.random((128 * 40, 784), dtype=np.float32)
    t = rng.integers(0, 10, 128 * 40)

    ss.manual_seed(0)
    net = ss.models.MLP((784, 1000, 500, 10), dropout=0.5)
    opt = ss.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, t), 128, shuffle=True, seed=0)
    trainer = Trainer(net, opt, loader)

    tnet = torch.nn.Sequential(
        torch.nn.Linear(784, 1000),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(1000, 500),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(500, 10),
    )
    _copy_weights(net, tnet)
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-3)
    tloader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(t)),
        batch_size=128,
        shuffle=True,
    )

    def ss_epoch():
        for batch in loader:
            supervised_step(trainer, batch)

    def torch_epoch():
        for bx, bt in tloader:
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tnet(bx), bt).backward()
            topt.step()

    return compare(ss_epoch, torch_epoch, number=1, rounds=5)
