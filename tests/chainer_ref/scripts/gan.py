"""A DCGAN-style training loop (custom update, unchain_backward), on random data."""

import io
import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import Variable

np.random.seed(0)
results = []  # numbers compared with real Chainer 7.8.1 by tests/test_chainer_scripts.py


class Generator(chainer.Chain):
    def __init__(self, n_hidden=4, ch=8):
        super(Generator, self).__init__()
        self.n_hidden = n_hidden
        with self.init_scope():
            w = chainer.initializers.Normal(0.02)
            self.l0 = L.Linear(n_hidden, 2 * 2 * ch, initialW=w)
            self.dc1 = L.Deconvolution2D(ch, ch // 2, 4, 2, 1, initialW=w)
            self.dc2 = L.Deconvolution2D(ch // 2, 1, 4, 2, 1, initialW=w)
            self.bn0 = L.BatchNormalization(2 * 2 * ch)
            self.bn1 = L.BatchNormalization(ch // 2)
        self.ch = ch

    def make_hidden(self, batchsize):
        return np.random.uniform(-1, 1, (batchsize, self.n_hidden, 1, 1)).astype(np.float32)

    def __call__(self, z):
        h = F.reshape(F.relu(self.bn0(self.l0(z))), (len(z), self.ch, 2, 2))
        h = F.relu(self.bn1(self.dc1(h)))
        return F.sigmoid(self.dc2(h))


class Discriminator(chainer.Chain):
    def __init__(self):
        super(Discriminator, self).__init__()
        with self.init_scope():
            self.c0 = L.Convolution2D(1, 4, 3, 1, 1)
            self.c1 = L.Convolution2D(4, 8, 4, 2, 1)
            self.l2 = L.Linear(None, 1)

    def __call__(self, x):
        h = F.leaky_relu(self.c0(x))
        h = F.leaky_relu(self.c1(h))
        return self.l2(h)


gen, dis = Generator(), Discriminator()
x_real = np.random.rand(6, 1, 8, 8).astype(np.float32)
for _it in range(3):
    z = Variable(gen.make_hidden(6))
    x_fake = gen(z)
    y_real, y_fake = dis(x_real), dis(x_fake)
    loss_dis = F.sum(F.softplus(-y_real)) / 6 + F.sum(F.softplus(y_fake)) / 6
    loss_gen = F.sum(F.softplus(-y_fake)) / 6
    gen.cleargrads()
    loss_gen.backward()
    for p in gen.params():
        p.data -= 0.01 * p.grad
    x_fake.unchain_backward()
    dis.cleargrads()
    loss_dis.backward()
    for p in dis.params():
        p.data -= 0.01 * p.grad
    chainer.reporter.report({"gen/loss": loss_gen})
    results += [float(loss_gen.data), float(loss_dis.array)]
with chainer.using_config("train", False), chainer.no_backprop_mode():
    results += gen(Variable(gen.make_hidden(2))).array.ravel()[:8].tolist()
buf = io.BytesIO()
chainer.serializers.save_npz(buf, gen)
buf.seek(0)
g2 = Generator()
chainer.serializers.load_npz(buf, g2)
results.append(float(abs(g2.l0.W.data - gen.l0.W.data).max()))
