#!/usr/bin/env python
"""Train a small convolutional network on MNIST with Chainer's Trainer.

A Chainer 7 script (it imports ``chainer`` and nothing from shinsou), so it runs unchanged
both ways::

    python examples/chainer/train_mnist_cnn.py -e 5                      # real Chainer 7
    python -m shinsou.chainer examples/chainer/train_mnist_cnn.py -e 5   # on shinsou

The network: two 5x5 convolutions (the second with batch normalization), each followed by
ReLU and 2x2 max pooling, then two fully connected layers::

    (B, 1, 28, 28) -conv-> (B, 16, 24, 24) -pool-> (B, 16, 12, 12)
                   -conv,BN-> (B, 32, 8, 8) -pool-> (B, 32, 4, 4) -fc-> (B, 128) -fc-> (B, 10)

``--train-size``/``--test-size`` cut the data to its first N images (a quick run).
The log of every epoch is in ``<out>/log``; the trained model in ``<out>/model.npz``.
"""

import argparse

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions


class CNN(chainer.Chain):
    """conv(16) → pool → conv(32)+BN → pool → fc(n_units) → fc(n_out)."""

    def __init__(self, n_units=128, n_out=10):
        super(CNN, self).__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(None, 16, ksize=5)
            self.conv2 = L.Convolution2D(16, 32, ksize=5, nobias=True)
            self.bn2 = L.BatchNormalization(32)
            self.fc3 = L.Linear(None, n_units)
            self.fc4 = L.Linear(n_units, n_out)

    def forward(self, x):
        h = F.max_pooling_2d(F.relu(self.conv1(x)), 2)
        h = F.max_pooling_2d(F.relu(self.bn2(self.conv2(h))), 2)
        h = F.dropout(F.relu(self.fc3(h)), ratio=0.3)
        return self.fc4(h)


def main():
    parser = argparse.ArgumentParser(description="Chainer example: MNIST CNN")
    parser.add_argument("--batchsize", "-b", type=int, default=100, help="Mini-batch size")
    parser.add_argument("--epoch", "-e", type=int, default=5, help="Number of epochs")
    parser.add_argument("--device", "-d", type=str, default="-1", help="-1 (CPU) or GPU id")
    parser.add_argument("--out", "-o", default="result_cnn", help="Output directory")
    parser.add_argument("--unit", "-u", type=int, default=128, help="Units of the hidden fc")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's alpha")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--train-size", type=int, default=None, help="Use the first N images")
    parser.add_argument("--test-size", type=int, default=None, help="Test on the first N images")
    parser.add_argument("--resume", "-r", type=str, help="Resume from a trainer snapshot")
    args = parser.parse_args()

    device = chainer.get_device(args.device)
    print("Device: {}".format(device))
    print("# Minibatch-size: {}".format(args.batchsize))
    print("# epoch: {}".format(args.epoch))
    print("")
    numpy.random.seed(args.seed)

    model = L.Classifier(CNN(args.unit, 10))
    model.to_device(device)
    device.use()

    optimizer = chainer.optimizers.Adam(alpha=args.lr)
    optimizer.setup(model)

    # images as (1, 28, 28) float32 in [0, 1], labels int32
    train, test = chainer.datasets.get_mnist(ndim=3)
    if args.train_size is not None:
        train = chainer.datasets.SubDataset(train, 0, args.train_size)
    if args.test_size is not None:
        test = chainer.datasets.SubDataset(test, 0, args.test_size)

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, args.batchsize, repeat=False, shuffle=False)

    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)

    trainer.extend(extensions.Evaluator(test_iter, model, device=device))
    trainer.extend(extensions.snapshot(n_retains=1), trigger=(args.epoch, "epoch"))
    trainer.extend(
        extensions.snapshot_object(model.predictor, "model.npz"), trigger=(args.epoch, "epoch")
    )
    trainer.extend(extensions.LogReport())
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
        )
    )

    if args.resume is not None:
        chainer.serializers.load_npz(args.resume, trainer)

    trainer.run()


if __name__ == "__main__":
    main()
