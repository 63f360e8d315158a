#!/usr/bin/env python
"""Train an MLP on MNIST with a hand-written training loop (no Trainer).

A Chainer 7 script in the style of Chainer's hands-on material: a ``SerialIterator`` gives
mini-batches, ``concat_examples`` stacks them into arrays, ``optimizer.update(model, x, t)``
does one step (loss, ``cleargrads``, ``backward``, update), and the test set is evaluated
under ``chainer.using_config('train', False)`` and ``chainer.no_backprop_mode()``. Runs
unchanged both ways::

    python examples/chainer/train_mnist_loop.py -e 5                      # real Chainer 7
    python -m shinsou.chainer examples/chainer/train_mnist_loop.py -e 5   # on shinsou

``--manual`` writes the step out as ``model.cleargrads(); loss.backward(); optimizer.update()``
instead. At the end the model and optimizer are saved with ``serializers.save_npz``
(``<out>/mlp.model``, ``<out>/mlp.state``), loaded into a fresh model and checked.
Per-epoch numbers are written to ``<out>/log`` (a JSON list, like LogReport's).
"""

import argparse
import json
import os
import time

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import serializers
from chainer.dataset import concat_examples


class MLP(chainer.Chain):
    """784 → n_units → n_units → n_out with ReLUs and dropout."""

    def __init__(self, n_units, n_out):
        super(MLP, self).__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_units)
            self.l2 = L.Linear(n_units, n_units)
            self.l3 = L.Linear(n_units, n_out)

    def forward(self, x):
        h1 = F.dropout(F.relu(self.l1(x)), ratio=0.2)
        h2 = F.dropout(F.relu(self.l2(h1)), ratio=0.2)
        return self.l3(h2)


def evaluate(model, iterator, device):
    """Mean loss and accuracy of ``model`` (an L.Classifier) over one pass of ``iterator``."""
    iterator.reset()
    total_loss = total_acc = 0.0
    count = 0
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for batch in iterator:
            x, t = concat_examples(batch, device)
            y = model.predictor(x)
            total_loss += float(F.softmax_cross_entropy(y, t).array) * len(t)
            total_acc += float(F.accuracy(y, t).array) * len(t)
            count += len(t)
    return total_loss / count, total_acc / count


def main():
    parser = argparse.ArgumentParser(description="Chainer example: MNIST MLP, hand loop")
    parser.add_argument("--batchsize", "-b", type=int, default=100, help="Mini-batch size")
    parser.add_argument("--epoch", "-e", type=int, default=5, help="Number of epochs")
    parser.add_argument("--device", "-d", type=str, default="-1", help="-1 (CPU) or GPU id")
    parser.add_argument("--out", "-o", default="result_loop", help="Output directory")
    parser.add_argument("--unit", "-u", type=int, default=300, help="Number of hidden units")
    parser.add_argument("--lr", type=float, default=0.1, help="MomentumSGD's learning rate")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--manual", action="store_true", help="cleargrads/backward/update")
    parser.add_argument("--train-size", type=int, default=None, help="Use the first N images")
    parser.add_argument("--test-size", type=int, default=None, help="Test on the first N images")
    args = parser.parse_args()

    device = chainer.get_device(args.device)
    numpy.random.seed(args.seed)
    if not os.path.exists(args.out):
        os.makedirs(args.out)

    model = L.Classifier(MLP(args.unit, 10))
    model.to_device(device)
    device.use()
    optimizer = chainer.optimizers.MomentumSGD(lr=args.lr, momentum=0.9)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(1e-4))

    train, test = chainer.datasets.get_mnist()
    if args.train_size is not None:
        train = chainer.datasets.SubDataset(train, 0, args.train_size)
    if args.test_size is not None:
        test = chainer.datasets.SubDataset(test, 0, args.test_size)
    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, args.batchsize, repeat=False, shuffle=False)

    log = []
    start = time.time()
    sum_loss = sum_acc = 0.0
    count = 0
    print("epoch  main/loss  main/accuracy  validation/main/loss  validation/main/accuracy")
    while train_iter.epoch < args.epoch:
        batch = train_iter.next()
        x, t = concat_examples(batch, device)
        if args.manual:
            loss = model(x, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
        else:
            optimizer.update(model, x, t)
            loss = model.loss
        sum_loss += float(loss.array) * len(t)
        sum_acc += float(model.accuracy.array) * len(t)
        count += len(t)

        if train_iter.is_new_epoch:
            test_loss, test_acc = evaluate(model, test_iter, device)
            entry = {
                "epoch": train_iter.epoch,
                "iteration": optimizer.t,
                "main/loss": sum_loss / count,
                "main/accuracy": sum_acc / count,
                "validation/main/loss": test_loss,
                "validation/main/accuracy": test_acc,
                "elapsed_time": time.time() - start,
            }
            log.append(entry)
            print(
                "{:<6d} {:<10.4f} {:<14.4f} {:<20.4f} {:.4f}".format(
                    entry["epoch"], entry["main/loss"], entry["main/accuracy"], test_loss, test_acc
                )
            )
            sum_loss = sum_acc = 0.0
            count = 0

    with open(os.path.join(args.out, "log"), "w") as f:
        json.dump(log, f, indent=4)

    # Save the model and the optimizer, then load them into a fresh model and check.
    serializers.save_npz(os.path.join(args.out, "mlp.model"), model)
    serializers.save_npz(os.path.join(args.out, "mlp.state"), optimizer)
    loaded = L.Classifier(MLP(args.unit, 10))
    serializers.load_npz(os.path.join(args.out, "mlp.model"), loaded)
    loaded.to_device(device)
    _, loaded_acc = evaluate(loaded, test_iter, device)
    print("reloaded model: validation/main/accuracy {:.4f}".format(loaded_acc))
    assert abs(loaded_acc - log[-1]["validation/main/accuracy"]) < 1e-6


if __name__ == "__main__":
    main()
