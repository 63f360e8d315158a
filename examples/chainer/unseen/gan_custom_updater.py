#!/usr/bin/env python
"""Lecture 4 hands-on: a GAN on MNIST with a custom Updater (DCGAN-example style).

Covers: two Chains (generator with make_hidden, discriminator), a
StandardUpdater subclass with update_core and a dict of optimizers,
get_optimizer / get_iterator, F.softplus losses, reporter.report(..., observer),
Adam(alpha=, beta1=), WeightDecay hook on the discriminator,
chainer.initializers.Normal(scale), L.BatchNormalization,
F.leaky_relu(slope=), F.sigmoid, Trainer + LogReport + PrintReport,
a custom extension with @training.make_extension, using_config('train', False).

Quality score: a small MLP classifier (trained in the script on real MNIST)
computes a class-based "MNIST score" exp(E KL(p(y|x) || p(y))) on generated
samples (like the Inception score; 10 is the maximum), and the share of
samples classified with confidence > 0.9.
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


class Generator(chainer.Chain):

    def __init__(self, n_hidden=32, n_units=256):
        super(Generator, self).__init__()
        self.n_hidden = n_hidden
        w = chainer.initializers.Normal(0.02)
        with self.init_scope():
            self.l0 = L.Linear(n_hidden, n_units, initialW=w)
            self.bn0 = L.BatchNormalization(n_units)
            self.l1 = L.Linear(n_units, n_units * 2, initialW=w)
            self.bn1 = L.BatchNormalization(n_units * 2)
            self.l2 = L.Linear(n_units * 2, 784, initialW=w)

    def make_hidden(self, batchsize):
        return np.random.uniform(-1, 1, (batchsize, self.n_hidden)).astype(
            np.float32)

    def forward(self, z):
        h = F.relu(self.bn0(self.l0(z)))
        h = F.relu(self.bn1(self.l1(h)))
        return F.sigmoid(self.l2(h))


class Discriminator(chainer.Chain):

    def __init__(self, n_units=256):
        super(Discriminator, self).__init__()
        w = chainer.initializers.Normal(0.02)
        with self.init_scope():
            self.l0 = L.Linear(784, n_units * 2, initialW=w)
            self.l1 = L.Linear(n_units * 2, n_units, initialW=w)
            self.l2 = L.Linear(n_units, 1, initialW=w)

    def forward(self, x):
        h = F.leaky_relu(self.l0(x), slope=0.2)
        h = F.leaky_relu(self.l1(h), slope=0.2)
        return self.l2(h)


class GANUpdater(training.updaters.StandardUpdater):

    def __init__(self, *args, **kwargs):
        self.gen, self.dis = kwargs.pop('models')
        super(GANUpdater, self).__init__(*args, **kwargs)

    def loss_dis(self, dis, y_fake, y_real):
        batchsize = len(y_fake)
        L1 = F.sum(F.softplus(-y_real)) / batchsize
        L2 = F.sum(F.softplus(y_fake)) / batchsize
        loss = L1 + L2
        chainer.report({'loss': loss}, dis)
        return loss

    def loss_gen(self, gen, y_fake):
        batchsize = len(y_fake)
        loss = F.sum(F.softplus(-y_fake)) / batchsize
        chainer.report({'loss': loss}, gen)
        return loss

    def update_core(self):
        gen_optimizer = self.get_optimizer('gen')
        dis_optimizer = self.get_optimizer('dis')
        batch = self.get_iterator('main').next()
        x_real = chainer.Variable(self.converter(batch))
        gen, dis = self.gen, self.dis
        batchsize = len(batch)

        y_real = dis(x_real)
        z = chainer.Variable(gen.make_hidden(batchsize))
        x_fake = gen(z)
        y_fake = dis(x_fake)

        dis_optimizer.update(self.loss_dis, dis, y_fake, y_real)
        gen_optimizer.update(self.loss_gen, gen, y_fake)


class MLP(chainer.ChainList):
    def __init__(self):
        super(MLP, self).__init__(L.Linear(784, 200), L.Linear(200, 10))

    def forward(self, x):
        return self[1](F.relu(self[0](x)))


def train_judge(x, t, epochs=2):
    clf = L.Classifier(MLP())
    opt = chainer.optimizers.Adam()
    opt.setup(clf)
    for _ in range(epochs):
        perm = np.random.permutation(len(x))
        for i in range(0, len(x), 100):
            idx = perm[i:i + 100]
            opt.update(clf, x[idx], t[idx])
    return clf.predictor


def mnist_score(judge, images):
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        p = F.softmax(judge(images)).array
    py = p.mean(axis=0, keepdims=True)
    kl = (p * (np.log(p + 1e-12) - np.log(py + 1e-12))).sum(axis=1)
    return float(np.exp(kl.mean())), float((p.max(axis=1) > 0.9).mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batchsize', type=int, default=100)
    p.add_argument('--epoch', type=int, default=5)
    p.add_argument('--n-train', type=int, default=10000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='result_gan')
    args = p.parse_args()
    start = time.time()
    np.random.seed(args.seed)

    train, test = chainer.datasets.get_mnist(withlabel=False)
    train = train[:args.n_train]
    gen, dis = Generator(), Discriminator()

    def make_optimizer(model, alpha=2e-4, beta1=0.5):
        optimizer = chainer.optimizers.Adam(alpha=alpha, beta1=beta1)
        optimizer.setup(model)
        return optimizer
    opt_gen = make_optimizer(gen)
    opt_dis = make_optimizer(dis)
    opt_dis.add_hook(chainer.optimizer_hooks.WeightDecay(1e-5), 'hook_dec')

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    updater = GANUpdater(models=(gen, dis), iterator=train_iter,
                         optimizer={'gen': opt_gen, 'dis': opt_dis},
                         device=-1)
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)

    @training.make_extension(trigger=(1, 'epoch'))
    def sample_stats(trainer):
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            x = gen(gen.make_hidden(500)).array
        chainer.reporter.report({'mean_pixel': float(x.mean())})

    trainer.extend(sample_stats)
    trainer.extend(extensions.LogReport(trigger=(1, 'epoch')))
    trainer.extend(extensions.PrintReport(
        ['epoch', 'iteration', 'gen/loss', 'dis/loss', 'mean_pixel',
         'elapsed_time']))
    trainer.run()

    # judge: real-MNIST classifier
    rtrain, rtest = chainer.datasets.get_mnist()
    xr, tr = chainer.dataset.concat_examples(rtrain[:20000])
    judge = train_judge(xr, tr)
    xt, tt = chainer.dataset.concat_examples(rtest[:2000])
    real_score, real_conf = mnist_score(judge, xt)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        fake = gen(gen.make_hidden(2000)).array
    fake_score, fake_conf = mnist_score(judge, fake)
    log = trainer.get_extension('LogReport').log[-1]
    print('RESULT mnist_score_fake=%.3f conf90_fake=%.3f mnist_score_real=%.3f '
          'gen_loss=%.3f dis_loss=%.3f mean_pixel=%.3f time=%.1fs' % (
              fake_score, fake_conf, real_score, log['gen/loss'],
              log['dis/loss'], log['mean_pixel'], time.time() - start))


if __name__ == '__main__':
    main()
