#!/usr/bin/env python
"""Lecture 1 hands-on: MLP on MNIST with chainer.training.Trainer.

Covers: Chain + init_scope, L.Linear(None, n) (lazy in_size), L.Classifier,
MomentumSGD + optimizer.setup + WeightDecay hook, split_dataset_random,
SerialIterator, StandardUpdater, Trainer with Evaluator / LogReport /
PrintReport / observe_lr / ExponentialShift / snapshot, resume from a snapshot,
serializers.save_npz / load_npz round trip, using_config('train', False),
no_backprop_mode.
"""
from __future__ import print_function

import argparse
import json
import os
import time

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import serializers
from chainer import training
from chainer.training import extensions


class MLP(chainer.Chain):

    def __init__(self, n_units, n_out):
        super(MLP, self).__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_units)
            self.l2 = L.Linear(None, n_units)
            self.l3 = L.Linear(None, n_out)

    def forward(self, x):
        h1 = F.relu(self.l1(x))
        h2 = F.relu(self.l2(h1))
        return self.l3(h2)


def make_trainer(args, train, test, out):
    model = L.Classifier(MLP(args.unit, 10))
    optimizer = chainer.optimizers.MomentumSGD(lr=args.lr, momentum=0.9)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(args.weight_decay))

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(
        test, args.batchsize, repeat=False, shuffle=False)

    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, device=-1)
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=out)
    trainer.extend(extensions.Evaluator(test_iter, model, device=-1))
    trainer.extend(extensions.ExponentialShift('lr', 0.5),
                   trigger=(1, 'epoch'))
    trainer.extend(extensions.snapshot(
        filename='snapshot_epoch_{.updater.epoch}'), trigger=(1, 'epoch'))
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.observe_lr())
    trainer.extend(extensions.PrintReport(
        ['epoch', 'main/loss', 'validation/main/loss',
         'main/accuracy', 'validation/main/accuracy', 'lr', 'elapsed_time']))
    return trainer, model


def evaluate(predictor, dataset, batchsize=500):
    correct = 0
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(0, len(dataset), batchsize):
            x, t = chainer.dataset.concat_examples(dataset[i:i + batchsize])
            y = predictor(x)
            correct += int((y.array.argmax(axis=1) == t).sum())
    return correct / float(len(dataset))


def main():
    parser = argparse.ArgumentParser(description='Chainer example: MNIST')
    parser.add_argument('--batchsize', '-b', type=int, default=100)
    parser.add_argument('--epoch', '-e', type=int, default=3)
    parser.add_argument('--unit', '-u', type=int, default=300)
    parser.add_argument('--lr', type=float, default=0.05)
    parser.add_argument('--weight-decay', type=float, default=1e-4)
    parser.add_argument('--n-train', type=int, default=20000)
    parser.add_argument('--n-test', type=int, default=5000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', '-o', default='result_mlp')
    args = parser.parse_args()

    start = time.time()
    np.random.seed(args.seed)
    train, test = chainer.datasets.get_mnist()
    train, _ = chainer.datasets.split_dataset_random(
        train, args.n_train, seed=args.seed)
    test, _ = chainer.datasets.split_dataset(test, args.n_test)
    print('# train', len(train), 'test', len(test))

    trainer, model = make_trainer(args, train, test, args.out)
    trainer.run()

    with open(os.path.join(args.out, 'log')) as f:
        log = json.load(f)
    last = log[-1]
    print('log epochs:', [e['epoch'] for e in log])

    # save / load round trip of the model
    path = os.path.join(args.out, 'mlp.npz')
    serializers.save_npz(path, model)
    model2 = L.Classifier(MLP(args.unit, 10))
    serializers.load_npz(path, model2)
    acc = evaluate(model2.predictor, test)
    acc_orig = evaluate(model.predictor, test)
    same = np.allclose(model.predictor.l1.W.array, model2.predictor.l1.W.array)

    # resume: a fresh trainer restored from the snapshot one epoch before
    # the end runs the last epoch again
    np.random.seed(args.seed + 1)
    trainer2, model3 = make_trainer(args, train, test, args.out + '_resume')
    serializers.load_npz(os.path.join(
        args.out, 'snapshot_epoch_{}'.format(args.epoch - 1)), trainer2)
    resumed_epoch = trainer2.updater.epoch
    resumed_lr = trainer2.updater.get_optimizer('main').lr
    trainer2.run()
    acc_resumed = evaluate(model3.predictor, test)

    print('RESULT test_acc=%.4f loaded_acc=%.4f weights_equal=%s '
          'val_loss=%.4f resumed_from_epoch=%d resumed_lr=%.4g '
          'resumed_final_acc=%.4f iters_after_resume=%d time=%.1fs' % (
              acc_orig, acc, same, last['validation/main/loss'],
              resumed_epoch, resumed_lr, acc_resumed,
              trainer2.updater.iteration, time.time() - start))


if __name__ == '__main__':
    main()
