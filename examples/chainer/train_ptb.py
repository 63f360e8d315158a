#!/usr/bin/env python
"""A two-layer LSTM language model on the Penn Treebank with truncated BPTT (Chainer 7 style).

In the shape of Chainer's ``examples/ptb/train_ptb.py``: ``ParallelSequentialIterator`` reads
``batchsize`` positions of the word sequence in parallel (one word each per ``next()``),
``BPTTUpdater.update_core`` accumulates the loss over ``bproplen`` steps, backpropagates,
cuts the graph (``unchain_backward``) and updates, with ``GradientClipping``. Validation
perplexity is ``exp(mean cross entropy)``, written into the log by LogReport's
``postprocess``; the test perplexity is computed at the end. Runs unchanged both ways::

    python examples/chainer/train_ptb.py -e 1                      # real Chainer 7
    python -m shinsou.chainer examples/chainer/train_ptb.py -e 1   # on shinsou

``--train-size``/``--valid-size``/``--test-size`` cut the word sequences to their first N
words. ``<out>/log`` holds ``perplexity`` and ``val_perplexity``; ``<out>/result.json`` the
test perplexity.
"""

import argparse
import json
import os

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions


class RNNForLM(chainer.Chain):
    """EmbedID → LSTM → LSTM → Linear, dropout between the layers."""

    def __init__(self, n_vocab, n_units):
        super(RNNForLM, self).__init__()
        with self.init_scope():
            self.embed = L.EmbedID(n_vocab, n_units)
            self.l1 = L.LSTM(n_units, n_units)
            self.l2 = L.LSTM(n_units, n_units)
            self.l3 = L.Linear(n_units, n_vocab)
        for param in self.params():
            param.array[...] = numpy.random.uniform(-0.1, 0.1, param.shape)

    def reset_state(self):
        self.l1.reset_state()
        self.l2.reset_state()

    def forward(self, x):
        h0 = self.embed(x)
        h1 = self.l1(F.dropout(h0))
        h2 = self.l2(F.dropout(h1))
        return self.l3(F.dropout(h2))


class ParallelSequentialIterator(chainer.dataset.Iterator):
    """Batches of ``batch_size`` words read at evenly spaced offsets of the sequence."""

    def __init__(self, dataset, batch_size, repeat=True):
        super(ParallelSequentialIterator, self).__init__()
        self.dataset = dataset
        self.batch_size = batch_size
        self.repeat = repeat
        length = len(dataset)
        self.offsets = [i * length // batch_size for i in range(batch_size)]
        self.reset()

    def reset(self):
        self.epoch = 0
        self.is_new_epoch = False
        self.iteration = 0
        self._previous_epoch_detail = -1.0

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
        return [
            self.dataset[(offset + self.iteration) % len(self.dataset)] for offset in self.offsets
        ]

    def serialize(self, serializer):
        self.iteration = serializer("iteration", self.iteration)
        self.epoch = serializer("epoch", self.epoch)
        self.is_new_epoch = serializer("is_new_epoch", self.is_new_epoch)
        self._previous_epoch_detail = serializer(
            "previous_epoch_detail", self._previous_epoch_detail
        )


class BPTTUpdater(training.updaters.StandardUpdater):
    """Truncated backpropagation through time over ``bprop_len`` steps."""

    def __init__(self, train_iter, optimizer, bprop_len, device):
        super(BPTTUpdater, self).__init__(train_iter, optimizer, device=device)
        self.bprop_len = bprop_len

    def update_core(self):
        loss = 0
        train_iter = self.get_iterator("main")
        optimizer = self.get_optimizer("main")
        for _ in range(self.bprop_len):
            batch = train_iter.__next__()
            x, t = self.converter(batch, self.device)
            loss += optimizer.target(x, t)
        optimizer.target.cleargrads()
        loss.backward()
        loss.unchain_backward()
        optimizer.update()


def compute_perplexity(result):
    result["perplexity"] = numpy.exp(result["main/loss"])
    if "validation/main/loss" in result:
        result["val_perplexity"] = numpy.exp(result["validation/main/loss"])


def main():
    parser = argparse.ArgumentParser(description="Chainer example: PTB language model")
    parser.add_argument("--batchsize", "-b", type=int, default=20, help="Parallel sequences")
    parser.add_argument("--bproplen", "-l", type=int, default=35, help="Truncation length")
    parser.add_argument("--epoch", "-e", type=int, default=1, help="Number of epochs")
    parser.add_argument("--device", "-d", type=str, default="-1", help="-1 (CPU) or GPU id")
    parser.add_argument("--gradclip", "-c", type=float, default=5, help="Gradient norm limit")
    parser.add_argument("--out", "-o", default="result_ptb", help="Output directory")
    parser.add_argument("--unit", "-u", type=int, default=100, help="LSTM units")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--log-interval", type=int, default=10, help="Iterations a log entry")
    parser.add_argument("--train-size", type=int, default=None, help="First N training words")
    parser.add_argument("--valid-size", type=int, default=None, help="First N validation words")
    parser.add_argument("--test-size", type=int, default=None, help="First N test words")
    args = parser.parse_args()

    device = chainer.get_device(args.device)
    print("Device: {}".format(device))
    numpy.random.seed(args.seed)

    train, val, test = chainer.datasets.get_ptb_words()
    n_vocab = max(train) + 1  # train is just an array of integers
    if args.train_size is not None:
        train = train[: args.train_size]
    if args.valid_size is not None:
        val = val[: args.valid_size]
    if args.test_size is not None:
        test = test[: args.test_size]
    print("#vocab = {}, #words train/valid/test = {}/{}/{}".format(
        n_vocab, len(train), len(val), len(test)))  # fmt: skip

    train_iter = ParallelSequentialIterator(train, args.batchsize)
    val_iter = ParallelSequentialIterator(val, 1, repeat=False)
    test_iter = ParallelSequentialIterator(test, 1, repeat=False)

    rnn = RNNForLM(n_vocab, args.unit)
    model = L.Classifier(rnn)
    model.compute_accuracy = False  # only the loss matters for a language model
    model.to_device(device)
    device.use()

    optimizer = chainer.optimizers.SGD(lr=1.0)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(args.gradclip))

    updater = BPTTUpdater(train_iter, optimizer, args.bproplen, device)
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)

    eval_model = model.copy()  # the evaluator keeps its own LSTM state
    eval_rnn = eval_model.predictor
    trainer.extend(
        extensions.Evaluator(
            val_iter, eval_model, device=device, eval_hook=lambda _: eval_rnn.reset_state()
        )
    )
    interval = args.log_interval
    trainer.extend(
        extensions.LogReport(postprocess=compute_perplexity, trigger=(interval, "iteration"))
    )
    trainer.extend(
        extensions.PrintReport(["epoch", "iteration", "perplexity", "val_perplexity"]),
        trigger=(interval, "iteration"),
    )
    trainer.run()

    # Evaluate the final model on the test set
    eval_rnn.reset_state()
    evaluator = extensions.Evaluator(test_iter, eval_model, device=device)
    result = evaluator()
    test_perplexity = float(numpy.exp(float(result["main/loss"])))
    print("test perplexity: {:.2f}".format(test_perplexity))
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump({"test_perplexity": test_perplexity}, f, indent=4)


if __name__ == "__main__":
    main()
