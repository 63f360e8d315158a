#!/usr/bin/env python
"""Train a multi-layer perceptron on MNIST on several processes with ChainerMN.

A ChainerMN script in the shape of ChainerMN's own MNIST example: it imports ``chainer`` and
``chainermn`` and nothing from shinsou, so it runs unchanged both ways::

    mpiexec -n 2 python examples/chainer/train_mnist_mn.py                    # real ChainerMN
    mpiexec -n 2 python -m shinsou.chainer examples/chainer/train_mnist_mn.py  # on shinsou

Data parallelism: every process holds the same model (rank 0's weights, broadcast by the
multi-node optimizer at its first update), trains on its own piece of the training set
(``scatter_dataset``) with ``--batchsize`` examples per process, and the gradients are
averaged over the processes before each step; the evaluator averages the accuracy over the
processes' pieces of the test set. The global batch is ``size * batchsize``.
"""

import argparse

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions

import chainermn


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
    parser = argparse.ArgumentParser(description="ChainerMN example: MNIST")
    parser.add_argument(
        "--batchsize", "-b", type=int, default=100, help="Number of images in each mini-batch"
    )
    parser.add_argument("--communicator", type=str, default="naive", help="Type of communicator")
    parser.add_argument(
        "--epoch", "-e", type=int, default=20, help="Number of sweeps over the dataset to train"
    )
    parser.add_argument("--gpu", "-g", action="store_true", help="Use GPU")
    parser.add_argument("--out", "-o", default="result", help="Directory to output the result")
    parser.add_argument("--resume", "-r", default="", help="Resume the training from snapshot")
    parser.add_argument("--unit", "-u", type=int, default=1000, help="Number of units")
    parser.add_argument(
        "--seed", type=int, default=0, help="Random seed (initial weights and data split)"
    )
    parser.add_argument(
        "--noprogress", dest="progress", action="store_false", help="No progress bar"
    )
    args = parser.parse_args()

    # Prepare the ChainerMN communicator
    if args.gpu:
        if args.communicator == "naive":
            print("Error: 'naive' communicator does not support GPU.\n")
            exit(-1)
        comm = chainermn.create_communicator(args.communicator)
        device = comm.intra_rank
    else:
        if args.communicator != "naive":
            print(
                "Warning: using naive communicator because only naive supports CPU-only execution"
            )
        comm = chainermn.create_communicator("naive")
        device = -1

    if comm.rank == 0:
        print("==========================================")
        print("Num process (COMM_WORLD): {}".format(comm.size))
        if args.gpu:
            print("Using GPUs")
        print("Using {} communicator".format(args.communicator))
        print("Num unit: {}".format(args.unit))
        print("Num Minibatch-size: {}".format(args.batchsize))
        print("Num epoch: {}".format(args.epoch))
        print("==========================================")

    numpy.random.seed(args.seed)

    model = L.Classifier(MLP(args.unit, 10))
    if device >= 0:
        chainer.cuda.get_device_from_id(device).use()
        model.to_gpu()

    # Create a multi node optimizer from a standard Chainer optimizer
    optimizer = chainermn.create_multi_node_optimizer(chainer.optimizers.Adam(), comm)
    optimizer.setup(model)

    # Split and distribute the dataset. Only worker 0 loads the whole dataset; it is
    # evenly split and distributed to all workers.
    if comm.rank == 0:
        train, test = chainer.datasets.get_mnist()
    else:
        train, test = None, None
    train = chainermn.scatter_dataset(train, comm, shuffle=True, seed=args.seed)
    test = chainermn.scatter_dataset(test, comm, shuffle=True, seed=args.seed)

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, args.batchsize, repeat=False, shuffle=False)

    updater = training.StandardUpdater(train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)

    # Create a multi node evaluator from a standard Chainer evaluator: every worker runs
    # it, and the results are averaged over the workers
    evaluator = extensions.Evaluator(test_iter, model, device=device)
    evaluator = chainermn.create_multi_node_evaluator(evaluator, comm)
    trainer.extend(evaluator)

    # Some display and output extensions are necessary only for one worker
    if comm.rank == 0:
        trainer.extend(extensions.DumpGraph("main/loss"))
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
        if args.progress:
            trainer.extend(extensions.ProgressBar())

    if args.resume:
        chainer.serializers.load_npz(args.resume, trainer)

    trainer.run()


if __name__ == "__main__":
    main()
