#!/usr/bin/env python
"""Lecture 5 hands-on: LSTM language model on Penn Treebank, truncated BPTT.

Covers: get_ptb_words / get_ptb_words_vocabulary, a custom Iterator subclass
(parallel sequential iterator with epoch / epoch_detail / is_new_epoch /
serialize), L.EmbedID, L.LSTM (stateful, reset_state), L.Linear, F.dropout,
a StandardUpdater subclass doing BPTT with loss.unchain_backward(),
L.Classifier with a custom lossfun and compute_accuracy=False,
GradientClipping hook, SGD(lr=), Evaluator with eval_hook and model.copy(),
LogReport(postprocess=...) computing perplexity, PrintReport,
extensions.snapshot_object, F.softmax_cross_entropy(..., reduce='no').
"""
from __future__ import division, print_function

import argparse
import time

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions


class RNNLM(chainer.Chain):

    def __init__(self, n_vocab, n_units, dropout=0.2):
        super(RNNLM, self).__init__()
        self.dropout = dropout
        with self.init_scope():
            self.embed = L.EmbedID(n_vocab, n_units)
            self.l1 = L.LSTM(n_units, n_units)
            self.l2 = L.Linear(n_units, n_vocab)
        for param in self.params():
            param.array[...] = np.random.uniform(-0.1, 0.1, param.shape)

    def reset_state(self):
        self.l1.reset_state()

    def forward(self, x):
        h0 = self.embed(x)
        h1 = self.l1(F.dropout(h0, ratio=self.dropout))
        return self.l2(F.dropout(h1, ratio=self.dropout))


class ParallelSequentialIterator(chainer.dataset.Iterator):

    def __init__(self, dataset, batch_size, repeat=True):
        super(ParallelSequentialIterator, self).__init__()
        self.dataset = dataset
        self.batch_size = batch_size
        self.epoch = 0
        self.is_new_epoch = False
        self.repeat = repeat
        length = len(dataset)
        self.offsets = [i * length // batch_size for i in range(batch_size)]
        self.iteration = 0
        self._previous_epoch_detail = -1.

    def __next__(self):
        length = len(self.dataset)
        if not self.repeat and self.iteration * self.batch_size >= length:
            raise StopIteration
        cur_words = self.get_words()
        self._previous_epoch_detail = self.epoch_detail
        self.iteration += 1
        next_words = self.get_words()
        epoch = self.iteration * self.batch_size // length
        self.is_new_epoch = self.epoch < epoch
        if self.is_new_epoch:
            self.epoch = epoch
        return list(zip(cur_words, next_words))

    @property
    def epoch_detail(self):
        return self.iteration * self.batch_size / len(self.dataset)

    @property
    def previous_epoch_detail(self):
        if self._previous_epoch_detail < 0:
            return None
        return self._previous_epoch_detail

    def get_words(self):
        return [self.dataset[(offset + self.iteration) % len(self.dataset)]
                for offset in self.offsets]

    def serialize(self, serializer):
        self.iteration = serializer('iteration', self.iteration)
        self.epoch = serializer('epoch', self.epoch)
        try:
            self._previous_epoch_detail = serializer(
                'previous_epoch_detail', self._previous_epoch_detail)
        except KeyError:
            self._previous_epoch_detail = self.epoch_detail


class BPTTUpdater(training.updaters.StandardUpdater):

    def __init__(self, train_iter, optimizer, bprop_len, device):
        super(BPTTUpdater, self).__init__(train_iter, optimizer, device=device)
        self.bprop_len = bprop_len

    def update_core(self):
        loss = 0
        train_iter = self.get_iterator('main')
        optimizer = self.get_optimizer('main')
        for i in range(self.bprop_len):
            batch = train_iter.__next__()
            x, t = self.converter(batch, self.device)
            loss += optimizer.target(chainer.Variable(x), chainer.Variable(t))
        optimizer.target.cleargrads()
        loss.backward()
        loss.unchain_backward()
        optimizer.update()


def compute_perplexity(result):
    result['perplexity'] = np.exp(result['main/loss'])
    if 'validation/main/loss' in result:
        result['val_perplexity'] = np.exp(result['validation/main/loss'])


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batchsize', type=int, default=20)
    p.add_argument('--bproplen', type=int, default=35)
    p.add_argument('--epoch', type=int, default=2)
    p.add_argument('--unit', type=int, default=128)
    p.add_argument('--n-train', type=int, default=100000)
    p.add_argument('--n-valid', type=int, default=20000)
    p.add_argument('--n-test', type=int, default=5000)
    p.add_argument('--gradclip', type=float, default=5)
    p.add_argument('--lr', type=float, default=1.0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='result_ptb')
    args = p.parse_args()
    start = time.time()
    np.random.seed(args.seed)

    train, val, test = chainer.datasets.get_ptb_words()
    vocab = chainer.datasets.get_ptb_words_vocabulary()
    n_vocab = max(train) + 1
    print('#vocab', n_vocab, len(vocab), '#train', len(train))
    train = train[:args.n_train]
    val = val[:args.n_valid]

    train_iter = ParallelSequentialIterator(train, args.batchsize)
    val_iter = ParallelSequentialIterator(val, 10, repeat=False)

    rnn = RNNLM(n_vocab, args.unit)
    model = L.Classifier(rnn)
    model.compute_accuracy = False

    optimizer = chainer.optimizers.SGD(lr=args.lr)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(args.gradclip))

    updater = BPTTUpdater(train_iter, optimizer, args.bproplen, -1)
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)

    eval_model = model.copy()
    eval_rnn = eval_model.predictor
    trainer.extend(extensions.Evaluator(
        val_iter, eval_model, device=-1,
        eval_hook=lambda _: eval_rnn.reset_state()))
    trainer.extend(extensions.ExponentialShift('lr', 0.5), trigger=(1, 'epoch'))
    trainer.extend(extensions.LogReport(postprocess=compute_perplexity,
                                        trigger=(1, 'epoch')))
    trainer.extend(extensions.PrintReport(
        ['epoch', 'iteration', 'perplexity', 'val_perplexity', 'elapsed_time']),
        trigger=(1, 'epoch'))
    trainer.extend(extensions.snapshot_object(model, 'model_epoch_{.updater.epoch}'),
                   trigger=(1, 'epoch'))
    trainer.run()

    # test perplexity on the first part of the test set, one long stream,
    # per-token losses with reduce='no'
    rnn.reset_state()
    test = test[:args.n_test]
    total = 0.0
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(len(test) - 1):
            y = rnn(test[i:i + 1])
            total += float(F.softmax_cross_entropy(
                y, test[i + 1:i + 2], reduce='no').array.sum())
    test_ppl = np.exp(total / (len(test) - 1))
    log = trainer.get_extension('LogReport').log[-1]
    print('RESULT val_perplexity=%.2f test_perplexity=%.2f train_perplexity=%.2f '
          'time=%.1fs' % (log['val_perplexity'], test_ppl, log['perplexity'],
                          time.time() - start))


if __name__ == '__main__':
    main()
