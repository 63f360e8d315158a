#!/usr/bin/env python
"""Lecture notebook idioms: custom DatasetMixin, MultiprocessIterator,
L.Classifier(lossfun=...), Trainer, Evaluator(name=), PrintReport,
PlotReport, dump_graph, LinearShift, build_computational_graph,
cuda.get_array_module / to_cpu, model.to_cpu(), chainer.print_runtime_info().

A softmax-regression + 1-hidden-layer MLP on an MNIST subset where the
dataset is a DatasetMixin that standardises images and does random shifts.
"""
from __future__ import print_function

import argparse
import os
import time

import numpy as np

import chainer
import chainer.computational_graph as c
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.backends import cuda
from chainer.training import extensions


class ShiftedMNIST(chainer.dataset.DatasetMixin):

    def __init__(self, base, train=True, max_shift=2):
        self.base = base
        self.train = train
        self.max_shift = max_shift

    def __len__(self):
        return len(self.base)

    def get_example(self, i):
        x, t = self.base[i]
        x = x.reshape(28, 28)
        if self.train:
            dx, dy = np.random.randint(-self.max_shift, self.max_shift + 1, 2)
            x = np.roll(np.roll(x, dx, axis=0), dy, axis=1)
        x = (x - 0.1307) / 0.3081
        return x.reshape(-1).astype(np.float32), np.int32(t)


class Net(chainer.Chain):
    def __init__(self):
        super(Net, self).__init__()
        with self.init_scope():
            self.fc1 = L.Linear(784, 128, initialW=chainer.initializers.HeNormal())
            self.fc2 = L.Linear(128, 10, nobias=False)

    def __call__(self, x):
        return self.fc2(F.dropout(F.relu(self.fc1(x)), 0.2))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--epoch', type=int, default=3)
    p.add_argument('--batchsize', type=int, default=128)
    p.add_argument('--n-train', type=int, default=12000)
    p.add_argument('--n-test', type=int, default=3000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='result_idioms')
    args = p.parse_args()
    start = time.time()
    np.random.seed(args.seed)
    chainer.print_runtime_info()

    train, test = chainer.datasets.get_mnist()
    train = ShiftedMNIST(train[:args.n_train], train=True)
    test = ShiftedMNIST(test[:args.n_test], train=False)
    print('example', train.get_example(0)[0].shape, test[0][1])

    model = L.Classifier(Net(), lossfun=F.softmax_cross_entropy,
                         accfun=F.accuracy)
    model.to_cpu()
    optimizer = chainer.optimizers.MomentumSGD(lr=0.1, momentum=0.9)
    optimizer.setup(model)

    train_iter = chainer.iterators.MultiprocessIterator(
        train, args.batchsize, n_processes=1, shuffle=True)
    test_iter = chainer.iterators.SerialIterator(
        test, 500, repeat=False, shuffle=False)
    updater = training.updaters.StandardUpdater(train_iter, optimizer,
                                                device=-1)
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)
    trainer.extend(extensions.Evaluator(test_iter, model, device=-1),
                   name='val')
    n_iter = args.epoch * (len(train) // args.batchsize)
    trainer.extend(extensions.LinearShift('lr', (0.1, 0.01), (0, n_iter)))
    trainer.extend(extensions.dump_graph('main/loss'))
    trainer.extend(extensions.LogReport(trigger=(1, 'epoch')))
    trainer.extend(extensions.PrintReport(
        ['epoch', 'main/loss', 'val/main/loss', 'main/accuracy',
         'val/main/accuracy', 'lr']))
    trainer.extend(extensions.PlotReport(
        ['main/loss', 'val/main/loss'], 'epoch', file_name='loss.png'))
    trainer.run()
    train_iter.finalize()

    # computational graph of one forward pass, written as dot
    x, t = chainer.dataset.concat_examples([test[i] for i in range(8)])
    loss = model(x, t)
    g = c.build_computational_graph([loss])
    with open(os.path.join(args.out, 'graph_manual.dot'), 'w') as f:
        f.write(g.dump())
    has_dot = os.path.exists(os.path.join(args.out, 'cg.dot'))

    xp = cuda.get_array_module(x)
    correct = 0
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for batch in chainer.iterators.SerialIterator(test, 1000, repeat=False,
                                                      shuffle=False):
            xb, tb = chainer.dataset.concat_examples(batch)
            y = cuda.to_cpu(model.predictor(xb).array)
            correct += int((y.argmax(axis=1) == tb).sum())
    acc = correct / float(len(test))
    print('RESULT test_acc=%.4f xp_is_numpy=%s dump_graph_written=%s '
          'final_lr=%.4f time=%.1fs' % (acc, xp is np, has_dot,
                                         optimizer.lr, time.time() - start))


if __name__ == '__main__':
    main()
