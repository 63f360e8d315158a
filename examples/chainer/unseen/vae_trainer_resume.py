#!/usr/bin/env python
"""Lecture 3b hands-on: variational autoencoder on MNIST (Chainer VAE example
style), Trainer with snapshot and resume across processes, anomaly AUROC.

Covers: F.gaussian (reparameterisation), F.gaussian_kl_divergence,
F.bernoulli_nll, F.split_axis, L.Linear, a loss-function object passed as
loss_fun to StandardUpdater(loss_func=...) and to Evaluator(eval_func=...),
chainer.datasets.TransformDataset, SubDataset(order=...), SerialIterator,
extensions.snapshot() (default snapshot_iter_{.updater.iteration}) and
--resume with serializers.load_npz(args.resume, trainer), extensions.
FailOnNonNumber, LogReport, PrintReport,
extensions.ParameterStatistics, chainer.report(observer=).
Reported: final validation loss and anomaly AUROC of the -ELBO score for
--anomaly-digit against the other digits (the VAE sees all digits but the
anomaly one).
"""
from __future__ import print_function

import argparse
import time

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions


class VAE(chainer.Chain):

    def __init__(self, n_in=784, n_h=256, n_latent=16):
        super(VAE, self).__init__()
        with self.init_scope():
            self.le1 = L.Linear(n_in, n_h)
            self.le2 = L.Linear(n_h, 2 * n_latent)
            self.ld1 = L.Linear(n_latent, n_h)
            self.ld2 = L.Linear(n_h, n_in)

    def encode(self, x):
        h = F.tanh(self.le1(x))
        mu, ln_var = F.split_axis(self.le2(h), 2, axis=1)
        return mu, ln_var

    def decode(self, z, sigmoid=True):
        h = self.ld2(F.tanh(self.ld1(z)))
        return F.sigmoid(h) if sigmoid else h

    def get_loss_func(self, beta=1.0, k=1):
        def lf(x):
            mu, ln_var = self.encode(x)
            batchsize = len(mu)
            rec_loss = 0
            for _ in range(k):
                z = F.gaussian(mu, ln_var)
                rec_loss += F.bernoulli_nll(x, self.decode(z, sigmoid=False)) \
                    / (k * batchsize)
            kl = beta * F.gaussian_kl_divergence(mu, ln_var) / batchsize
            loss = rec_loss + kl
            chainer.report({'loss': loss, 'rec_loss': rec_loss, 'kl': kl},
                           observer=self)
            return loss
        return lf

    def neg_elbo(self, x):
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            mu, ln_var = self.encode(x)
            logits = self.decode(mu, sigmoid=False)
            rec = F.sum(F.bernoulli_nll(x, logits, reduce='no'), axis=1)
            kl = F.sum(F.gaussian_kl_divergence(mu, ln_var, reduce='no'),
                       axis=1)
            return (rec + kl).array


def auroc(neg, pos):
    s = np.concatenate([neg, pos])
    r = np.empty(len(s))
    r[s.argsort()] = np.arange(1, len(s) + 1)
    return (r[len(neg):].sum() - len(pos) * (len(pos) + 1) / 2.) / (
        len(neg) * len(pos))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--epoch', type=int, default=4)
    p.add_argument('--batchsize', type=int, default=100)
    p.add_argument('--n-train', type=int, default=15000)
    p.add_argument('--anomaly-digit', type=int, default=7)
    p.add_argument('--out', default='result_vae')
    p.add_argument('--resume', default='')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    start = time.time()
    np.random.seed(args.seed)

    train, test = chainer.datasets.get_mnist(withlabel=True)
    keep = [i for i in range(args.n_train * 2)
            if train[i][1] != args.anomaly_digit][:args.n_train]
    rest = sorted(set(range(len(train))) - set(keep))
    train = chainer.datasets.SubDataset(train, 0, len(keep),
                                        order=np.array(keep + rest))
    # images only, binarised on the fly
    train_x = chainer.datasets.TransformDataset(
        train, lambda ex: (ex[0] > 0.5).astype(np.float32))
    xte, tte = chainer.dataset.concat_examples(test)
    xte = (xte > 0.5).astype(np.float32)
    val_x = xte[tte != args.anomaly_digit][:2000]

    model = VAE()
    optimizer = chainer.optimizers.Adam(alpha=1e-3)
    optimizer.setup(model)

    train_iter = chainer.iterators.SerialIterator(train_x, args.batchsize)
    val_iter = chainer.iterators.SerialIterator(val_x, args.batchsize,
                                                repeat=False, shuffle=False)
    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, device=-1, loss_func=model.get_loss_func())
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)
    trainer.extend(extensions.Evaluator(val_iter, model, device=-1,
                                        eval_func=model.get_loss_func(k=4)))
    trainer.extend(extensions.snapshot(), trigger=(1, 'epoch'))
    trainer.extend(extensions.FailOnNonNumber())
    trainer.extend(extensions.ParameterStatistics(model.le1, trigger=(1, 'epoch')))
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(
        ['epoch', 'iteration', 'main/loss', 'validation/main/loss',
         'main/rec_loss', 'main/kl', 'le1/W/data/std']))
    if args.resume:
        chainer.serializers.load_npz(args.resume, trainer)
        print('resumed at epoch', trainer.updater.epoch, 'iteration',
              trainer.updater.iteration)
    trainer.run()

    s_norm = model.neg_elbo(xte[tte != args.anomaly_digit])
    s_anom = model.neg_elbo(xte[tte == args.anomaly_digit])
    log = trainer.get_extension('LogReport').log
    print('RESULT val_loss=%.3f auroc=%.4f neg_elbo_normal=%.2f '
          'log_entries=%d iteration=%d time=%.1fs' % (
              log[-1]['validation/main/loss'], auroc(s_norm, s_anom),
              s_norm.mean(), len(log), trainer.updater.iteration,
              time.time() - start))


if __name__ == '__main__':
    main()
