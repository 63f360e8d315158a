#!/usr/bin/env python
"""Lecture 6 hands-on: a bidirectional NStepLSTM reads MNIST images row by row.

Each 28x28 image is a sequence of 28 row vectors; sequences are passed as a
list of arrays (NStep API). The final hidden states of both directions feed a
ChainList MLP head.

Covers: L.NStepBiLSTM(n_layers, in_size, out_size, dropout), hx=None / cx=None,
list-of-sequences input, F.concat(axis=), F.stack / F.separate,
chainer.ChainList with add_link, Link.add_param / chainer.Parameter with an
initializer, RMSprop(lr=), optimizer hook Lasso, a hand-written loop with
chainer.iterators.SerialIterator + concat_examples, F.softmax_cross_entropy(
reduce='mean'), F.accuracy, using_config('train', False), no_backprop_mode,
save_npz / load_npz with a path inside the file (path='...').
"""
from __future__ import print_function

import argparse
import os
import time

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import serializers


class Head(chainer.ChainList):

    def __init__(self, sizes):
        super(Head, self).__init__()
        for a, b in zip(sizes[:-1], sizes[1:]):
            self.add_link(L.Linear(a, b))

    def forward(self, h):
        for i, link in enumerate(self):
            h = link(h)
            if i < len(self) - 1:
                h = F.relu(h)
        return h


class RowReader(chainer.Chain):

    def __init__(self, n_units=64, n_out=10):
        super(RowReader, self).__init__()
        with self.init_scope():
            self.lstm = L.NStepBiLSTM(1, 28, n_units, 0.1)
            self.head = Head([2 * n_units, 64, n_out])
            # a learnable per-row input gain
            self.gain = chainer.Parameter(
                chainer.initializers.Constant(1.0), (28,))

    def forward(self, x):
        # x: (B, 28, 28) array
        xs = F.separate(x * F.broadcast_to(self.gain, x.shape), axis=0)
        hy, cy, ys = self.lstm(None, None, list(xs))
        # hy: (2 * n_layers, B, n_units); last forward and backward states
        h = F.concat([hy[-2], hy[-1]], axis=1)
        return self.head(h)


def evaluate(model, data, batchsize=500):
    x, t = chainer.dataset.concat_examples(data)
    preds = []
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(0, len(x), batchsize):
            preds.append(model(x[i:i + batchsize]).array.argmax(axis=1))
    return float((np.concatenate(preds) == t).mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batchsize', type=int, default=64)
    p.add_argument('--epoch', type=int, default=2)
    p.add_argument('--unit', type=int, default=64)
    p.add_argument('--n-train', type=int, default=8000)
    p.add_argument('--n-test', type=int, default=2000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='result_bilstm')
    args = p.parse_args()
    start = time.time()
    np.random.seed(args.seed)

    train, test = chainer.datasets.get_mnist(ndim=2)
    train = chainer.datasets.SubDataset(train, 0, args.n_train)
    test = chainer.datasets.SubDataset(test, 0, args.n_test)

    model = RowReader(args.unit)
    optimizer = chainer.optimizers.RMSprop(lr=2e-3)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.Lasso(rate=1e-6))

    it = chainer.iterators.SerialIterator(train, args.batchsize, shuffle=True)
    losses = []
    for batch in it:
        x, t = chainer.dataset.concat_examples(batch)
        y = model(x)
        loss = F.softmax_cross_entropy(y, t, reduce='mean')
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.array))
        if it.is_new_epoch:
            print('epoch %d  train loss %.4f  test acc %.4f' % (
                it.epoch, np.mean(losses), evaluate(model, test)))
            losses = []
            if it.epoch >= args.epoch:
                break

    acc = evaluate(model, test)
    if not os.path.exists(args.out):
        os.makedirs(args.out)
    fn = os.path.join(args.out, 'bilstm.npz')
    serializers.save_npz(fn, model)
    head2 = Head([2 * args.unit, 64, 10])
    serializers.load_npz(fn, head2, path='head/')
    same = all(np.array_equal(a.array, b.array) for a, b in
               zip(model.head.params(), head2.params()))
    model2 = RowReader(args.unit)
    serializers.load_npz(fn, model2)
    acc2 = evaluate(model2, test)
    print('RESULT test_acc=%.4f reloaded_acc=%.4f head_equal=%s time=%.1fs' % (
        acc, acc2, same, time.time() - start))


if __name__ == '__main__':
    main()
