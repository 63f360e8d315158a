#!/usr/bin/env python
"""DCGAN on MNIST with a custom ``StandardUpdater`` (two optimizers, Chainer 7 style).

In the shape of Chainer's ``examples/dcgan``: a generator ``z (B, n_hidden) → (B, 1, 28, 28)``
made of a fully connected layer and two transposed convolutions with batch normalization, a
discriminator of two strided convolutions, and ``DCGANUpdater.update_core`` that takes one
step of each with the softplus losses

    L_dis = mean(softplus(-D(x))) + mean(softplus(D(G(z))))
    L_gen = mean(softplus(-D(G(z))))

(``optimizer = self.get_optimizer('gen')`` / ``'dis'``). It runs unchanged both ways::

    python examples/chainer/train_dcgan.py -e 5                      # real Chainer 7
    python -m shinsou.chainer examples/chainer/train_dcgan.py -e 5   # on shinsou

At the end of training it writes an ``n x n`` grid of generated digits to
``<out>/preview.png`` (through matplotlib when it is installed, otherwise a grayscale PNG
written with zlib), and ``<out>/log`` holds ``gen/loss`` and ``dis/loss`` per epoch plus
``dis/real`` and ``dis/fake``: the discriminator's mean sigmoid output on real and on generated
images.
"""

import argparse
import os
import struct
import zlib

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions


class Generator(chainer.Chain):
    def __init__(self, n_hidden, ch=64):
        super(Generator, self).__init__()
        self.n_hidden = n_hidden
        self.ch = ch
        with self.init_scope():
            w = chainer.initializers.Normal(0.02)
            self.l0 = L.Linear(n_hidden, 7 * 7 * ch * 2, initialW=w)
            self.dc1 = L.Deconvolution2D(ch * 2, ch, 4, stride=2, pad=1, initialW=w)
            self.dc2 = L.Deconvolution2D(ch, 1, 4, stride=2, pad=1, initialW=w)
            self.bn0 = L.BatchNormalization(7 * 7 * ch * 2)
            self.bn1 = L.BatchNormalization(ch)

    def make_hidden(self, batchsize):
        xp = self.xp
        return xp.random.uniform(-1, 1, (batchsize, self.n_hidden)).astype(numpy.float32)

    def forward(self, z):
        h = F.relu(self.bn0(self.l0(z)))
        h = F.reshape(h, (len(z), self.ch * 2, 7, 7))
        h = F.relu(self.bn1(self.dc1(h)))
        return F.sigmoid(self.dc2(h))


class Discriminator(chainer.Chain):
    def __init__(self, ch=64):
        super(Discriminator, self).__init__()
        with self.init_scope():
            w = chainer.initializers.Normal(0.02)
            self.c0 = L.Convolution2D(1, ch // 2, 4, stride=2, pad=1, initialW=w)
            self.c1 = L.Convolution2D(ch // 2, ch, 4, stride=2, pad=1, initialW=w)
            self.bn1 = L.BatchNormalization(ch)
            self.l2 = L.Linear(7 * 7 * ch, 1, initialW=w)

    def forward(self, x):
        h = F.leaky_relu(self.c0(x), slope=0.2)
        h = F.leaky_relu(self.bn1(self.c1(h)), slope=0.2)
        return self.l2(h)


class DCGANUpdater(training.updaters.StandardUpdater):
    def __init__(self, *args, **kwargs):
        self.gen, self.dis = kwargs.pop("models")
        super(DCGANUpdater, self).__init__(*args, **kwargs)

    def loss_dis(self, dis, y_real, y_fake):
        batchsize = len(y_fake)
        L1 = F.sum(F.softplus(-y_real)) / batchsize
        L2 = F.sum(F.softplus(y_fake)) / batchsize
        loss = L1 + L2
        chainer.report(
            {
                "loss": loss,
                "real": F.mean(F.sigmoid(y_real)),
                "fake": F.mean(F.sigmoid(y_fake)),
            },
            dis,
        )
        return loss

    def loss_gen(self, gen, y_fake):
        batchsize = len(y_fake)
        loss = F.sum(F.softplus(-y_fake)) / batchsize
        chainer.report({"loss": loss}, gen)
        return loss

    def update_core(self):
        gen_optimizer = self.get_optimizer("gen")
        dis_optimizer = self.get_optimizer("dis")

        batch = self.get_iterator("main").next()
        x_real, _ = self.converter(batch, self.device)
        gen, dis = self.gen, self.dis
        batchsize = len(x_real)

        y_real = dis(x_real)
        z = chainer.Variable(gen.make_hidden(batchsize))
        x_fake = gen(z)
        y_fake = dis(x_fake)

        dis_optimizer.update(self.loss_dis, dis, y_real, y_fake)
        gen_optimizer.update(self.loss_gen, gen, y_fake)


def write_png(path, image):
    """Write a 2-D uint8 array as an 8-bit grayscale PNG (matplotlib when present)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.imsave(path, image, cmap="gray", vmin=0, vmax=255)
        return
    except ImportError:
        pass
    h, w = image.shape
    raw = b"".join(b"\x00" + image[i].tobytes() for i in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))


def out_generated_image(gen, rows, cols, seed, dst):
    """An extension: an image grid of ``rows x cols`` digits generated from fixed noise."""

    @chainer.training.make_extension()
    def make_image(trainer):
        numpy.random.seed(seed)
        z = chainer.Variable(gen.make_hidden(rows * cols))
        with chainer.using_config("train", False), chainer.no_backprop_mode():
            x = gen(z)
        x = chainer.backends.cuda.to_cpu(x.array)
        numpy.random.seed()
        x = numpy.asarray(numpy.clip(x * 255, 0.0, 255.0), dtype=numpy.uint8)
        x = x.reshape((rows, cols, 28, 28)).transpose(0, 2, 1, 3).reshape((rows * 28, cols * 28))
        if not os.path.exists(dst):
            os.makedirs(dst)
        write_png(os.path.join(dst, "preview.png"), x)

    return make_image


def main():
    parser = argparse.ArgumentParser(description="Chainer example: DCGAN on MNIST")
    parser.add_argument("--batchsize", "-b", type=int, default=50, help="Mini-batch size")
    parser.add_argument("--epoch", "-e", type=int, default=5, help="Number of epochs")
    parser.add_argument("--device", "-d", type=str, default="-1", help="-1 (CPU) or GPU id")
    parser.add_argument("--out", "-o", default="result_dcgan", help="Output directory")
    parser.add_argument("--n_hidden", "-n", type=int, default=32, help="Size of the noise z")
    parser.add_argument("--ch", type=int, default=32, help="Channels of the networks")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--train-size", type=int, default=None, help="Use the first N images")
    parser.add_argument("--grid", type=int, default=8, help="The preview is grid x grid")
    args = parser.parse_args()

    device = chainer.get_device(args.device)
    print("Device: {}".format(device))
    print("# Minibatch-size: {}".format(args.batchsize))
    print("# n_hidden: {}".format(args.n_hidden))
    print("# epoch: {}".format(args.epoch))
    print("")
    numpy.random.seed(args.seed)

    gen = Generator(n_hidden=args.n_hidden, ch=args.ch)
    dis = Discriminator(ch=args.ch)
    gen.to_device(device)
    dis.to_device(device)
    device.use()

    def make_optimizer(model, alpha=0.0002, beta1=0.5):
        optimizer = chainer.optimizers.Adam(alpha=alpha, beta1=beta1)
        optimizer.setup(model)
        optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(0.0001), "hook_dec")
        return optimizer

    opt_gen = make_optimizer(gen)
    opt_dis = make_optimizer(dis)

    train, _ = chainer.datasets.get_mnist(ndim=3)
    if args.train_size is not None:
        train = chainer.datasets.SubDataset(train, 0, args.train_size)
    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)

    updater = DCGANUpdater(
        models=(gen, dis),
        iterator=train_iter,
        optimizer={"gen": opt_gen, "dis": opt_dis},
        device=device,
    )
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)
    trainer.extend(extensions.LogReport())
    trainer.extend(
        extensions.PrintReport(
            ["epoch", "iteration", "gen/loss", "dis/loss", "dis/real", "dis/fake", "elapsed_time"]
        )
    )
    trainer.extend(
        extensions.snapshot_object(gen, "gen_epoch_{.updater.epoch}.npz"),
        trigger=(args.epoch, "epoch"),
    )
    trainer.extend(
        out_generated_image(gen, args.grid, args.grid, args.seed, args.out),
        trigger=(args.epoch, "epoch"),
    )
    trainer.run()


if __name__ == "__main__":
    main()
