#!/usr/bin/env python
"""Lecture 2 hands-on: a LeNet-like CNN on Fashion-MNIST, hand-written loop.

Covers: old-style Chain (links passed to super().__init__ as keywords),
L.Convolution2D with positional and keyword args, L.BatchNormalization,
F.max_pooling_2d(ksize=, stride=), F.dropout(ratio=), Adam + GradientClipping
hook, SerialIterator with is_new_epoch, concat_examples, cleargrads/backward/
update, optimizer.update(lossfun, *args), F.softmax_cross_entropy, F.accuracy,
chainer.using_config('train', False), chainer.no_backprop_mode(),
get_fashion_mnist(ndim=3) and get_fashion_mnist_labels().
"""
from __future__ import print_function

import argparse
import time

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer.dataset import concat_examples


class LeNet(chainer.Chain):

    def __init__(self, n_out=10):
        super(LeNet, self).__init__(
            conv1=L.Convolution2D(1, 16, ksize=5, stride=1, pad=2),
            bn1=L.BatchNormalization(16),
            conv2=L.Convolution2D(16, 32, 5, pad=2),
            fc3=L.Linear(32 * 7 * 7, 128),
            fc4=L.Linear(128, n_out),
        )

    def __call__(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.max_pooling_2d(h, ksize=2, stride=2)
        h = F.max_pooling_2d(F.relu(self.conv2(h)), 2)
        h = F.dropout(F.relu(self.fc3(h)), ratio=0.3)
        return self.fc4(h)


def evaluate(model, dataset, batchsize):
    it = chainer.iterators.SerialIterator(dataset, batchsize, repeat=False,
                                          shuffle=False)
    loss_sum, acc_sum, n = 0.0, 0.0, 0
    preds = []
    with chainer.using_config('train', False):
        with chainer.no_backprop_mode():
            for batch in it:
                x, t = concat_examples(batch)
                y = model(x)
                loss_sum += float(F.softmax_cross_entropy(y, t).array) * len(t)
                acc_sum += float(F.accuracy(y, t).array) * len(t)
                preds.append(F.argmax(y, axis=1).array)
                n += len(t)
    return loss_sum / n, acc_sum / n, np.concatenate(preds)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batchsize', type=int, default=64)
    p.add_argument('--epoch', type=int, default=2)
    p.add_argument('--n-train', type=int, default=8000)
    p.add_argument('--n-test', type=int, default=2000)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()

    start = time.time()
    np.random.seed(args.seed)
    train, test = chainer.datasets.get_fashion_mnist(ndim=3)
    labels = chainer.datasets.get_fashion_mnist_labels()
    train = train[:args.n_train]   # list of (x, t) tuples
    test = test[:args.n_test]

    model = LeNet()
    optimizer = chainer.optimizers.Adam(alpha=1e-3)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(5.0))

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    sum_loss, sum_acc, count = 0.0, 0.0, 0
    step = 0
    while train_iter.epoch < args.epoch:
        batch = train_iter.next()
        x, t = concat_examples(batch)
        if step % 2 == 0:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            acc = F.accuracy(y, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
        else:
            def lossfun(x, t):
                y = model(x)
                lossfun.acc = F.accuracy(y, t)
                return F.softmax_cross_entropy(y, t)
            loss = None
            optimizer.update(lossfun, x, t)
            acc = lossfun.acc
            loss = F.softmax_cross_entropy(model(x), t)  # for the log only
        step += 1
        sum_loss += float(loss.array) * len(t)
        sum_acc += float(acc.array) * len(t)
        count += len(t)
        if train_iter.is_new_epoch:
            tl, ta, _ = evaluate(model, test, 500)
            print('epoch %d  train loss %.4f acc %.4f  test loss %.4f acc %.4f'
                  % (train_iter.epoch, sum_loss / count, sum_acc / count,
                     tl, ta))
            sum_loss, sum_acc, count = 0.0, 0.0, 0

    tl, ta, pred = evaluate(model, test, 500)
    t_true = np.array([t for _, t in test])
    per_class = ['%s:%.2f' % (labels[c][:6], (pred[t_true == c] == c).mean())
                 for c in range(10)]
    print('per-class acc', ' '.join(per_class))
    print('RESULT test_acc=%.4f test_loss=%.4f time=%.1fs'
          % (ta, tl, time.time() - start))


if __name__ == '__main__':
    main()
