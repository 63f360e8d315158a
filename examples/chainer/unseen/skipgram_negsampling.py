#!/usr/bin/env python
"""Lecture 7 hands-on: word2vec skip-gram with negative sampling on PTB.

Covers: L.EmbedID(initialW=initializers.Uniform(...)), L.NegativeSampling with
word counts (collections.Counter), F.negative_sampling called directly with
keyword arguments and a sampler (link.sampler.sample), F.broadcast_to,
F.reshape, a custom Iterator (window iterator) with a converter decorated by
chainer.dataset.converter(), Trainer + StandardUpdater(converter=...),
Evaluator with converter, LogReport/PrintReport, Adam,
extensions.snapshot_object + load_npz, nearest neighbours by cosine.
"""
from __future__ import print_function

import argparse
import collections
import time

import numpy as np

import chainer
from chainer import reporter
import chainer.functions as F
import chainer.initializers as I
import chainer.links as L
from chainer import training
from chainer.training import extensions


class SkipGram(chainer.Chain):

    def __init__(self, n_vocab, n_units, counts, sample_size=5):
        super(SkipGram, self).__init__()
        with self.init_scope():
            self.embed = L.EmbedID(n_vocab, n_units,
                                   initialW=I.Uniform(1. / n_units))
            self.loss_func = L.NegativeSampling(n_units, counts, sample_size)
        self.loss_func.W.array[...] = 0

    def forward(self, x, contexts):
        e = self.embed(contexts)
        batch_size, n_context, n_units = e.shape
        x = F.broadcast_to(x[:, None], (batch_size, n_context))
        e = F.reshape(e, (batch_size * n_context, n_units))
        x = F.reshape(x, (batch_size * n_context,))
        loss = self.loss_func(e, x)
        reporter.report({'loss': loss}, self)
        return loss


class WindowIterator(chainer.dataset.Iterator):

    def __init__(self, dataset, window, batch_size, repeat=True):
        self.dataset = np.array(dataset, np.int32)
        self.window = window
        self.batch_size = batch_size
        self._repeat = repeat
        self.order = np.random.permutation(
            len(dataset) - window * 2).astype(np.int32)
        self.order += window
        self.current_position = 0
        self.epoch = 0
        self.is_new_epoch = False

    def __next__(self):
        if not self._repeat and self.epoch > 0:
            raise StopIteration
        i = self.current_position
        i_end = i + self.batch_size
        position = self.order[i:i_end]
        w = np.random.randint(self.window - 1) + 1
        offset = np.concatenate([np.arange(-w, 0), np.arange(1, w + 1)])
        pos = position[:, None] + offset[None, :]
        contexts = self.dataset.take(pos)
        center = self.dataset.take(position)
        if i_end >= len(self.order):
            np.random.shuffle(self.order)
            self.epoch += 1
            self.is_new_epoch = True
            self.current_position = 0
        else:
            self.is_new_epoch = False
            self.current_position = i_end
        return center, contexts

    @property
    def epoch_detail(self):
        return self.epoch + float(self.current_position) / len(self.order)

    def serialize(self, serializer):
        self.current_position = serializer('current_position',
                                           self.current_position)
        self.epoch = serializer('epoch', self.epoch)
        self.is_new_epoch = serializer('is_new_epoch', self.is_new_epoch)
        if self.order is not None:
            serializer('order', self.order)


@chainer.dataset.converter()
def convert(batch, device):
    center, contexts = batch
    return center, contexts


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--unit', type=int, default=100)
    p.add_argument('--window', type=int, default=5)
    p.add_argument('--batchsize', type=int, default=1000)
    p.add_argument('--epoch', type=int, default=3)
    p.add_argument('--negative-size', type=int, default=5)
    p.add_argument('--n-train', type=int, default=300000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='result_w2v')
    args = p.parse_args()
    start = time.time()
    np.random.seed(args.seed)

    train, val, _ = chainer.datasets.get_ptb_words()
    vocab = chainer.datasets.get_ptb_words_vocabulary()
    index2word = {wid: word for word, wid in vocab.items()}
    train = train[:args.n_train]
    val = val[:20000]
    counts = collections.Counter(train)
    counts.update(collections.Counter(val))
    n_vocab = len(vocab)
    cs = [counts[w] for w in range(n_vocab)]

    model = SkipGram(n_vocab, args.unit, cs, args.negative_size)
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)

    train_iter = WindowIterator(train, args.window, args.batchsize)
    val_iter = WindowIterator(val, args.window, args.batchsize, repeat=False)
    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, converter=convert, device=-1)
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)
    trainer.extend(extensions.Evaluator(val_iter, model, converter=convert,
                                        device=-1))
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(
        ['epoch', 'main/loss', 'validation/main/loss', 'elapsed_time']))
    trainer.extend(extensions.snapshot_object(model.embed, 'embed.npz'),
                   trigger=(args.epoch, 'epoch'))
    trainer.run()

    # deterministic held-out NS loss: fixed negatives via F.negative_sampling
    emb = L.EmbedID(n_vocab, args.unit)
    chainer.serializers.load_npz(args.out + '/embed.npz', emb)
    np.random.seed(123)
    vt = np.array(val, np.int32)
    ctx, cen = vt[:-1], vt[1:]
    neg = model.loss_func.sampler.sample((len(cen), 5))
    fixed = lambda shape: neg[:shape[0]]  # noqa
    with chainer.no_backprop_mode():
        l_ns = F.negative_sampling(
            emb(ctx), cen, model.loss_func.W, sampler=fixed, sample_size=5,
            reduce='sum')
    ns_loss = float(l_ns.array) / len(cen)

    # nearest neighbours
    w = emb.W.array
    w = w / np.sqrt((w * w).sum(1, keepdims=True) + 1e-12)
    res = []
    for q in ['company', 'year', 'million', 'stock']:
        sim = w.dot(w[vocab[q]])
        top = [index2word[i] for i in (-sim).argsort()[1:6]]
        res.append('%s: %s' % (q, ' '.join(top)))
    print('\n'.join(res))
    log = trainer.get_extension('LogReport').log[-1]
    print('RESULT val_loss=%.4f heldout_ns_loss_per_pair=%.4f time=%.1fs' % (
        log['validation/main/loss'], ns_loss, time.time() - start))


if __name__ == '__main__':
    main()
