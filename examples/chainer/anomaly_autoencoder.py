#!/usr/bin/env python
"""Anomaly detection with an autoencoder trained on one MNIST digit (Chainer 7 style).

The autoencoder ``784 → n_units → n_latent → n_units → 784`` (sigmoid output) is trained with
the Trainer on the training images of one class only (``--normal``, default 1), as
``L.Classifier(model, lossfun=F.mean_squared_error)`` on pairs ``(x, x)``. On the test set,
the anomaly score of an image is its reconstruction error

    score(x) = mean_i (x_i - AE(x)_i)^2

and images of every other class are the anomalies. The script reports the AUROC of the score
(computed here with NumPy: the Mann-Whitney statistic, ties counted one half), the fraction of
pairs (anomaly, normal) in which the anomaly has the higher score. It runs unchanged both ways::

    python examples/chainer/anomaly_autoencoder.py -e 10                      # real Chainer 7
    python -m shinsou.chainer examples/chainer/anomaly_autoencoder.py -e 10   # on shinsou

``--fashion`` uses Fashion-MNIST instead (``--normal`` is then a clothing class).
``<out>/log`` is the Trainer's log; ``<out>/result.json`` holds the test AUROC and the mean
scores of normal and anomalous images.
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


class AutoEncoder(chainer.Chain):
    def __init__(self, n_in=784, n_units=128, n_latent=16):
        super(AutoEncoder, self).__init__()
        with self.init_scope():
            self.enc1 = L.Linear(n_in, n_units)
            self.enc2 = L.Linear(n_units, n_latent)
            self.dec1 = L.Linear(n_latent, n_units)
            self.dec2 = L.Linear(n_units, n_in)

    def encode(self, x):
        return self.enc2(F.relu(self.enc1(x)))

    def decode(self, z):
        return F.sigmoid(self.dec2(F.relu(self.dec1(z))))

    def forward(self, x):
        return self.decode(self.encode(x))


def auroc(scores, labels):
    """Area under the ROC curve of ``scores`` for binary ``labels`` (1 = positive).

    Equal to P(score of a positive > score of a negative) + P(equal) / 2, computed from the
    ranks of the scores (average ranks for ties).
    """
    scores = numpy.asarray(scores, dtype=numpy.float64)
    labels = numpy.asarray(labels).astype(bool)
    order = numpy.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = numpy.empty(len(scores), dtype=numpy.float64)
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    n_pos = labels.sum()
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("auroc needs both classes in labels")
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def reconstruction_errors(model, x, batchsize, device):
    errors = []
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for i in range(0, len(x), batchsize):
            xb = device.send(x[i : i + batchsize])
            y = model(xb)
            err = F.mean(F.squared_difference(y, xb), axis=1)
            errors.append(chainer.backends.cuda.to_cpu(err.array))
    return numpy.concatenate(errors)


def main():
    parser = argparse.ArgumentParser(description="Chainer example: autoencoder anomalies")
    parser.add_argument("--batchsize", "-b", type=int, default=100, help="Mini-batch size")
    parser.add_argument("--epoch", "-e", type=int, default=10, help="Number of epochs")
    parser.add_argument("--device", "-d", type=str, default="-1", help="-1 (CPU) or GPU id")
    parser.add_argument("--out", "-o", default="result_anomaly", help="Output directory")
    parser.add_argument("--unit", "-u", type=int, default=128, help="Hidden units")
    parser.add_argument("--latent", type=int, default=16, help="Size of the code")
    parser.add_argument("--normal", type=int, default=1, help="The class trained on")
    parser.add_argument("--fashion", action="store_true", help="Use Fashion-MNIST")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--train-size", type=int, default=None, help="Normal images to train on")
    parser.add_argument("--test-size", type=int, default=None, help="Test on the first N images")
    args = parser.parse_args()

    device = chainer.get_device(args.device)
    print("Device: {}".format(device))
    print("# normal class: {}".format(args.normal))
    print("# epoch: {}".format(args.epoch))
    print("")
    numpy.random.seed(args.seed)

    get = chainer.datasets.get_fashion_mnist if args.fashion else chainer.datasets.get_mnist
    train, test = get(withlabel=True)
    x_train, t_train = chainer.dataset.concat_examples(train)
    x_test, t_test = chainer.dataset.concat_examples(test)
    x_normal = x_train[t_train == args.normal]
    if args.train_size is not None:
        x_normal = x_normal[: args.train_size]
    if args.test_size is not None:
        x_test, t_test = x_test[: args.test_size], t_test[: args.test_size]
    print("# train: {} normal images; test: {} images".format(len(x_normal), len(x_test)))

    model = AutoEncoder(x_normal.shape[1], args.unit, args.latent)
    classifier = L.Classifier(model, lossfun=F.mean_squared_error)
    classifier.compute_accuracy = False
    classifier.to_device(device)
    device.use()
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(classifier)

    train_iter = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x_normal, x_normal), args.batchsize
    )
    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(["epoch", "main/loss", "elapsed_time"]))
    trainer.run()

    scores = reconstruction_errors(model, x_test, args.batchsize, device)
    is_anomaly = (t_test != args.normal).astype(numpy.int32)
    result = {
        "auroc": auroc(scores, is_anomaly),
        "score/normal": float(scores[is_anomaly == 0].mean()),
        "score/anomaly": float(scores[is_anomaly == 1].mean()),
        "n_test": int(len(scores)),
    }
    print("test AUROC (class {} vs the rest): {:.4f}".format(args.normal, result["auroc"]))
    print(
        "mean score: normal {:.5f}, anomalous {:.5f}".format(
            result["score/normal"], result["score/anomaly"]
        )
    )
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump(result, f, indent=4)


if __name__ == "__main__":
    main()
