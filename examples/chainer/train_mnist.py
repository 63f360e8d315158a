#!/usr/bin/env python
"""Train a multi-layer perceptron on MNIST with Chainer's Trainer.

A Chainer 7 script in the shape of Chainer's own ``examples/mnist/train_mnist.py``: it
imports ``chainer`` and nothing from shinsou, so it runs unchanged both ways::

    python examples/chainer/train_mnist.py -e 20                  # real Chainer 7
    python -m shinsou.chainer examples/chainer/train_mnist.py -e 20   # on shinsou

Resume an interrupted run from its last snapshot with
``--resume result/snapshot_iter_<N>`` (or ``--autoload``).
"""

import argparse

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions


class MLP(chainer.Chain):
    """784 → n_units → n_units → n_out with ReLUs (input size inferred at the first call)."""

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


def main():
    parser = argparse.ArgumentParser(description="Chainer example: MNIST")
    parser.add_argument(
        "--batchsize", "-b", type=int, default=100, help="Number of images in each mini-batch"
    )
    parser.add_argument(
        "--epoch", "-e", type=int, default=20, help="Number of sweeps over the dataset to train"
    )
    parser.add_argument(
        "--frequency", "-f", type=int, default=-1, help="Frequency of taking a snapshot"
    )
    parser.add_argument(
        "--device",
        "-d",
        type=str,
        default="-1",
        help="Device specifier: -1 or @numpy for the CPU, 0 or @cupy:0 for GPU 0",
    )
    parser.add_argument("--out", "-o", default="result", help="Directory to output the result")
    parser.add_argument("--resume", "-r", type=str, help="Resume the training from snapshot")
    parser.add_argument(
        "--autoload",
        action="store_true",
        help="Automatically load trainer snapshots in case of preemption",
    )
    parser.add_argument("--unit", "-u", type=int, default=1000, help="Number of units")
    parser.add_argument(
        "--seed", type=int, default=0, help="Random seed (initial weights and shuffling)"
    )
    parser.add_argument(
        "--noplot", dest="plot", action="store_false", help="Disable PlotReport extension"
    )
    args = parser.parse_args()

    device = chainer.get_device(args.device)
    print("Device: {}".format(device))
    print("# unit: {}".format(args.unit))
    print("# Minibatch-size: {}".format(args.batchsize))
    print("# epoch: {}".format(args.epoch))
    print("")

    numpy.random.seed(args.seed)

    # Set up a neural network to train: Classifier reports softmax cross entropy loss and
    # accuracy at every iteration, which will be used by the PrintReport extension below.
    model = L.Classifier(MLP(args.unit, 10))
    model.to_device(device)
    device.use()

    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)

    train, test = chainer.datasets.get_mnist()
    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, args.batchsize, repeat=False, shuffle=False)

    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)

    # Evaluate the model with the test dataset for each epoch
    trainer.extend(extensions.Evaluator(test_iter, model, device=device), call_before_training=True)

    # Dump the computational graph of the loss once (out/cg.dot)
    trainer.extend(extensions.DumpGraph("main/loss"))

    # Take a snapshot every `frequency` epochs (at the end by default)
    frequency = args.epoch if args.frequency == -1 else max(1, args.frequency)
    trainer.extend(
        extensions.snapshot(n_retains=1, autoload=args.autoload), trigger=(frequency, "epoch")
    )

    # Write a log of evaluation statistics for each epoch
    trainer.extend(extensions.LogReport(), call_before_training=True)

    # Save two plot images to the result dir
    if args.plot and extensions.PlotReport.available():
        trainer.extend(
            extensions.PlotReport(
                ["main/loss", "validation/main/loss"], "epoch", file_name="loss.png"
            ),
            call_before_training=True,
        )
        trainer.extend(
            extensions.PlotReport(
                ["main/accuracy", "validation/main/accuracy"], "epoch", file_name="accuracy.png"
            ),
            call_before_training=True,
        )

    # Print selected entries of the log to stdout
    trainer.extend(
        extensions.PrintReport(
            [
                "epoch",
                "main/loss",
                "validation/main/loss",
                "main/accuracy",
                "validation/main/accuracy",
                "elapsed_time",
            ]
        ),
        call_before_training=True,
    )

    # Print a progress bar to stdout
    trainer.extend(extensions.ProgressBar())

    if args.resume is not None:
        # Resume from a snapshot
        chainer.serializers.load_npz(args.resume, trainer)

    trainer.run()


if __name__ == "__main__":
    main()
