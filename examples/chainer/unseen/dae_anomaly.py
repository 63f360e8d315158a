#!/usr/bin/env python
"""Lecture 3 hands-on: denoising + sparse autoencoder, anomaly detection AUROC.

Train on MNIST digits other than --anomaly-digit; the anomaly score is the
reconstruction error; AUROC (NumPy, rank formula) on test normal vs anomalous.

Covers: chainer.Sequential with links and plain functions (F.relu, lambda),
Chain + init_scope holding Sequentials, a loss method with chainer.reporter
report, optimizer.update(model.loss, x), Adam(alpha=, weight_decay_rate=),
masking noise via F.dropout in train mode only, F.mean_squared_error,
F.bernoulli_nll, F.mean / F.sum(axis=) / F.absolute, numpy -> Variable,
chainer.reporter.Reporter + DictSummary, using_config('train', False),
no_backprop_mode, get_mnist(withlabel=True).
"""
from __future__ import print_function

import argparse
import time

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import reporter as reporter_module


class DAE(chainer.Chain):

    def __init__(self, n_hidden=256, n_latent=32, noise=0.3, sparsity=1e-3):
        super(DAE, self).__init__()
        self.noise = noise
        self.sparsity = sparsity
        with self.init_scope():
            self.encoder = chainer.Sequential(
                L.Linear(784, n_hidden), F.relu,
                L.Linear(n_hidden, n_latent), lambda h: F.leaky_relu(h, slope=0.1))
            self.decoder = chainer.Sequential(
                L.Linear(n_latent, n_hidden), F.relu,
                L.Linear(n_hidden, 784))

    def forward(self, x):
        if chainer.config.train:
            x = F.dropout(x, ratio=self.noise) * (1 - self.noise)
        z = self.encoder(x)
        return z, self.decoder(z)

    def loss(self, x):
        z, logits = self.forward(x)
        rec = F.bernoulli_nll(x, logits, reduce='sum') / len(x)
        l1 = F.mean(F.sum(F.absolute(z), axis=1))
        loss = rec + self.sparsity * l1
        reporter_module.report({'loss': loss, 'rec': rec, 'l1': l1}, self)
        return loss

    def score(self, x):
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            _, logits = self.forward(x)
            y = F.sigmoid(logits)
            return F.mean((y - x) ** 2, axis=1).array


def auroc(score_normal, score_anomal):
    s = np.concatenate([score_normal, score_anomal])
    order = s.argsort()
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    n0, n1 = len(score_normal), len(score_anomal)
    return (ranks[n0:].sum() - n1 * (n1 + 1) / 2.0) / (n0 * n1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--anomaly-digit', type=int, default=4)
    p.add_argument('--epoch', type=int, default=5)
    p.add_argument('--batchsize', type=int, default=128)
    p.add_argument('--n-train', type=int, default=15000)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    start = time.time()
    np.random.seed(args.seed)

    train, test = chainer.datasets.get_mnist(withlabel=True)
    xtr, ttr = chainer.dataset.concat_examples(train)
    xte, tte = chainer.dataset.concat_examples(test)
    xtr = xtr[ttr != args.anomaly_digit][:args.n_train]
    print('# normal training images', len(xtr))

    model = DAE()
    opt = chainer.optimizers.Adam(alpha=1e-3, weight_decay_rate=1e-5)
    opt.setup(model)

    rep = reporter_module.Reporter()
    rep.add_observer('dae', model)
    for epoch in range(1, args.epoch + 1):
        perm = np.random.permutation(len(xtr))
        summary = reporter_module.DictSummary()
        for i in range(0, len(perm), args.batchsize):
            x = chainer.Variable(xtr[perm[i:i + args.batchsize]])
            obs = {}
            with rep.scope(obs):
                opt.update(model.loss, x)
            summary.add(obs)
        m = summary.compute_mean()
        print('epoch %d loss %.3f rec %.3f l1 %.3f' % (
            epoch, float(m['dae/loss']), float(m['dae/rec']), float(m['dae/l1'])))

    s_norm = model.score(xte[tte != args.anomaly_digit])
    s_anom = model.score(xte[tte == args.anomaly_digit])
    print('mean score normal %.5f anomalous %.5f' % (s_norm.mean(), s_anom.mean()))
    print('RESULT auroc=%.4f test_mse_normal=%.5f time=%.1fs' % (
        auroc(s_norm, s_anom), s_norm.mean(), time.time() - start))


if __name__ == '__main__':
    main()
