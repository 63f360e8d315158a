#!/usr/bin/env python
"""Lecture 0 hands-on: Variables, automatic differentiation, a perceptron, XOR.

Covers: chainer.Variable arithmetic (+, -, *, /, **, unary -, matmul @ via
F.matmul), y.grad / backward(retain_grad=True), chainer.grad with
enable_double_backprop, x.grad_var, F.sum / F.exp / F.log / F.tanh /
F.sigmoid / F.sigmoid_cross_entropy / F.binary_accuracy, a single-layer
perceptron trained with a hand-written update over link.params() and
namedparams(), an XOR MLP built with chainer.Sequential vs. a ChainList, SGD,
F.mean_squared_error, chainer.config / using_config, and
serializers.save_npz / load_npz of a Sequential.
"""
from __future__ import print_function

import argparse
import time

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import Variable


def autodiff_checks():
    x = Variable(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    y = x ** 2 - 2 * x + 1 / (x + 1) - (-x) * 0.5
    y.grad = np.ones(3, dtype=np.float32)
    y.backward(retain_grad=True)
    # dy/dx = 2x - 2 - 1/(x+1)^2 + 0.5
    expect = 2 * x.array - 2 - 1 / (x.array + 1) ** 2 + 0.5
    ok1 = np.allclose(x.grad, expect, atol=1e-5)

    a = Variable(np.array(1.5, dtype=np.float32))
    z = F.exp(a) * F.log(a) + F.tanh(a)
    gx, = chainer.grad([z], [a], enable_double_backprop=True)
    ggx, = chainer.grad([gx], [a])
    av = 1.5
    g_expect = np.exp(av) * np.log(av) + np.exp(av) / av + 1 - np.tanh(av) ** 2
    gg_expect = (np.exp(av) * np.log(av) + 2 * np.exp(av) / av
                 - np.exp(av) / av ** 2
                 - 2 * np.tanh(av) * (1 - np.tanh(av) ** 2))
    ok2 = np.allclose(gx.array, g_expect, rtol=1e-4)
    ok3 = np.allclose(ggx.array, gg_expect, rtol=1e-4)

    W = Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    v = Variable(np.ones((3, 1), dtype=np.float32))
    s = F.sum(F.matmul(W, v) / 3)
    s.backward()
    ok4 = np.allclose(W.grad, np.ones((2, 3)) / 3) and np.allclose(
        v.grad, W.array.sum(0, keepdims=True).T / 3)
    print('autodiff checks', ok1, ok2, ok3, ok4)
    return ok1 and ok2 and ok3 and ok4


class Perceptron(chainer.Chain):
    def __init__(self):
        super(Perceptron, self).__init__()
        with self.init_scope():
            self.fc = L.Linear(2, 1)

    def __call__(self, x):
        return self.fc(x)


class XorNet(chainer.ChainList):
    def __init__(self, n_hidden):
        super(XorNet, self).__init__(L.Linear(2, n_hidden), L.Linear(n_hidden, 1))

    def __call__(self, x):
        return self[1](F.tanh(self[0](x)))


def train_perceptron(x, t, lr=0.5, steps=300):
    model = Perceptron()
    for _ in range(steps):
        y = model(x)
        loss = F.sigmoid_cross_entropy(y, t)
        model.cleargrads()
        loss.backward()
        for name, param in model.namedparams():
            param.array -= lr * param.grad
    with chainer.using_config('train', False):
        acc = F.binary_accuracy(model(x), t)
    return float(acc.array), float(loss.array)


def train_xor(x, t, model, steps, lr):
    opt = chainer.optimizers.SGD(lr=lr)
    opt.setup(model)
    for _ in range(steps):
        y = model(x)
        loss = F.mean_squared_error(F.sigmoid(y), t.astype(np.float32))
        model.cleargrads()
        loss.backward()
        opt.update()
    with chainer.no_backprop_mode():
        p = F.sigmoid(model(x)).array
    return float(((p > 0.5) == (t == 1)).mean()), float(loss.array), p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--n-seeds', type=int, default=20)
    ap.add_argument('--steps', type=int, default=2000)
    args = ap.parse_args()
    start = time.time()
    ok = autodiff_checks()

    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    t_and = np.array([[0], [0], [0], [1]], dtype=np.int32)
    t_or = np.array([[0], [1], [1], [1]], dtype=np.int32)
    t_xor = np.array([[0], [1], [1], [0]], dtype=np.int32)
    np.random.seed(args.seed)
    acc_and, _ = train_perceptron(x, t_and)
    acc_or, _ = train_perceptron(x, t_or)
    acc_xor_lin, _ = train_perceptron(x, t_xor)
    print('perceptron acc AND %.2f OR %.2f XOR %.2f' % (acc_and, acc_or,
                                                        acc_xor_lin))

    solved = 0
    final_losses = []
    for s in range(args.n_seeds):
        np.random.seed(args.seed + s)
        if s % 2 == 0:
            model = XorNet(4)
        else:
            model = chainer.Sequential(L.Linear(2, 4), F.tanh, L.Linear(4, 1))
        acc, loss, p = train_xor(x, t_xor, model, args.steps, lr=2.0)
        solved += acc == 1.0
        final_losses.append(loss)
    # save / load a Sequential
    seq = chainer.Sequential(L.Linear(2, 4), F.tanh, L.Linear(4, 1))
    train_xor(x, t_xor, seq, 200, 2.0)
    chainer.serializers.save_npz('xor_seq.npz', seq)
    seq2 = chainer.Sequential(L.Linear(2, 4), F.tanh, L.Linear(4, 1))
    chainer.serializers.load_npz('xor_seq.npz', seq2)
    same = np.allclose(seq(x).array, seq2(x).array)
    print('RESULT autodiff_ok=%s perceptron_and=%.2f perceptron_or=%.2f '
          'perceptron_xor=%.2f xor_mlp_solved=%d/%d median_loss=%.4f '
          'seq_roundtrip=%s time=%.1fs' % (
              ok, acc_and, acc_or, acc_xor_lin, solved, args.n_seeds,
              float(np.median(final_losses)), same, time.time() - start))


if __name__ == '__main__':
    main()
