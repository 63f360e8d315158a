"""Small models built the same way with real Chainer and with shinsou.chainer (the module
``chainer`` is passed in), for ``make_links.py`` and ``tests/test_chainer_links.py``.

Each entry of ``MODELS`` is (name, build(chainer), inputs(rng), train(chainer, model,
inputs), test(chainer, model, inputs)): ``train`` returns the loss (the model in training
mode), ``test`` the output in test mode (``chainer.config.train`` False).
"""

import numpy as np


def _mlp(chainer):
    L, F = chainer.links, chainer.functions

    class MLP(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(None, 5)
                self.bn = L.BatchNormalization(5)
                self.l2 = L.Linear(5, 3)
                self.unused = L.Linear(None, 2)  # never called: saved uninitialized

        def forward(self, x):
            return self.l2(F.relu(self.bn(self.l1(x))))

    return L.Classifier(MLP())


def _cnn(chainer):
    L, F = chainer.links, chainer.functions

    class CNN(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.conv = L.Convolution2D(None, 4, 3, pad=1)
                self.bn = L.BatchNormalization(4)
                self.deconv = L.Deconvolution2D(4, 2, 4, stride=2, pad=1)
                self.fc = L.Linear(None, 3)

        def forward(self, x):
            h = F.max_pooling_2d(F.relu(self.bn(self.conv(x))), 2)
            h = F.leaky_relu(self.deconv(h))
            return self.fc(F.dropout(h, 0.0))

    return L.Classifier(CNN())


def _rnn(chainer):
    L, F = chainer.links, chainer.functions

    class RNN(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.embed = L.EmbedID(7, 4, ignore_label=-1)
                self.lstm = L.LSTM(4, 5)
                self.cell = L.StatelessLSTM(5, 3)
                self.out = L.Linear(3, 7)

        def forward(self, xs):
            self.lstm.reset_state()
            c = h = None
            loss = 0
            for x, t in zip(xs[:-1], xs[1:]):
                y = self.lstm(self.embed(x))
                c, h = self.cell(c, h, y)
                loss += F.softmax_cross_entropy(self.out(h), t)
            return loss

    return RNN()


def _misc(chainer):
    L, F = chainer.links, chainer.functions

    class Misc(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.ln = L.LayerNormalization(6)
                self.maxout = L.Maxout(6, 4, 3)
                self.highway = L.Highway(4)
                self.prelu = L.PReLU((4,))
                self.scale = L.Scale(axis=1, W_shape=(4,), bias_term=True)
                self.gn = L.GroupNormalization(2, 4)
                self.swish = L.Swish(None)
                self.seq = chainer.Sequential(
                    L.Linear(4, 3), F.tanh, L.Linear(3, 5), L.Linear(5, 2)
                )

        def forward(self, x):
            h = self.highway(self.maxout(self.ln(x)))
            h = self.gn(self.scale(self.prelu(h)))
            return self.seq(self.swish(h))

    return Misc()


def _images(rng):
    return [rng.standard_normal((4, 2, 6, 6)).astype(np.float32), np.array([0, 2, 1, 2], np.int32)]


def _vectors(rng):
    return [rng.standard_normal((6, 4)).astype(np.float32), np.array([0, 1, 2, 1, 0, 2], np.int32)]


def _tokens(rng):
    seq = rng.integers(0, 7, (4, 3)).astype(np.int32)
    seq[2, 1] = -1  # an ignored label
    return [seq]


def _misc_in(rng):
    return [rng.standard_normal((5, 6)).astype(np.float32)]


def _classify_train(chainer, model, ins):
    return model(*ins)


def _classify_test(chainer, model, ins):
    return model.predictor(ins[0])


def _rnn_run(chainer, model, ins):
    return model(list(ins[0]))


def _misc_train(chainer, model, ins):
    y = model(ins[0])
    return chainer.functions.sum(y * y)


def _misc_test(chainer, model, ins):
    return model(ins[0])


MODELS = [
    ("mlp", _mlp, _vectors, _classify_train, _classify_test),
    ("cnn", _cnn, _images, _classify_train, _classify_test),
    ("rnn", _rnn, _tokens, _rnn_run, _rnn_run),
    ("misc", _misc, _misc_in, _misc_train, _misc_test),
]
