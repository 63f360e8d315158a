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


def _brn(chainer):
    """Batch renormalization in an MLP; tight rmax and dmax, so that r and d are clipped in
    some units. (Not initial_avg_mean/var: Chainer 7.8.1 passes them to BatchNormalization
    one position off, so avg_mean gets initial_avg_var; shinsou does what they say.)"""
    L, F = chainer.links, chainer.functions

    class BRN(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(None, 5)
                self.brn = L.BatchRenormalization(5, rmax=1.2, dmax=0.2, decay=0.8)
                self.l2 = L.Linear(5, 3)

        def forward(self, x):
            return self.l2(F.relu(self.brn(self.l1(x))))

    return L.Classifier(BRN())


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
                self.mgu = L.StatelessMGU(3, 3)
                self.smgu = L.StatefulMGU(3, 2)
                self.peep = L.StatefulPeepholeLSTM(3, 3)

        def forward(self, xs):
            self.lstm.reset_state()
            self.smgu.reset_state()
            self.peep.reset_state()
            c = h = None
            loss = 0
            for x, t in zip(xs[:-1], xs[1:]):
                y = self.lstm(self.embed(x))
                c, h = self.cell(c, h, y)
                h = self.mgu(h, h) + self.peep(h)
                loss += F.sum(self.smgu(h))
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
                self.dil = L.DilatedConvolution2D(1, 2, 2, dilate=2)
                self.dw = L.DepthwiseConvolution2D(2, 2, 2)
                self.lconv = L.LocalConvolution2D(None, 2, ksize=2)
                self.param = L.Parameter(np.arange(2, dtype=np.float32))
                self.c1d = L.Convolution1D(1, 2, 3, pad=1)
                self.d1d = L.Deconvolution1D(2, 1, 2, stride=2)
                self.cnd = L.ConvolutionND(2, None, 1, 1)
                self.bil = L.Bilinear(2, 2, 3)
                self.incep = L.Inception(1, 1, 1, 1, 1, 1, 1)
                self.nin = L.MLPConvolution2D(4, (2, 1), 1)

        def forward(self, x):
            h = self.highway(self.maxout(self.ln(x)))
            h = self.gn(self.scale(self.prelu(h)))
            y = self.seq(self.swish(h))  # (5, 2)
            img = F.reshape(F.tile(y, (1, 18)), (5, 1, 6, 6))
            img = self.lconv(self.dw(self.dil(img)))
            seq = self.d1d(F.relu(self.c1d(F.reshape(y, (5, 1, 2)))))  # (5, 1, 4)
            y = y + F.sum(self.bil(y, y * y), axis=1, keepdims=True)
            inc = self.nin(self.incep(F.reshape(y, (5, 1, 2, 1))))  # (5, 1, 2, 1)
            y = y + F.reshape(inc, (5, 2))
            return (
                y
                + F.sum(self.cnd(img), axis=(1, 2, 3))[:, None] * self.param()
                + F.sum(seq, axis=2)
            )

    return Misc()


def _nstep(chainer):
    L, F = chainer.links, chainer.functions

    class NStep(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.lstm = L.NStepLSTM(2, 3, 4, 0.0)
                self.bilstm = L.NStepBiLSTM(2, 3, 2, 0.0)
                self.gru = L.NStepGRU(1, 3, 3, 0.0)
                self.bigru = L.NStepBiGRU(2, 3, 2, 0.0)
                self.rnn = L.NStepRNNTanh(1, 3, 2, 0.0)
                self.birnn = L.NStepBiRNNReLU(1, 3, 2, 0.0)

        def forward(self, x0, x1, x2, h0):
            xs = [x0, x1, x2]  # not sorted by length: the links sort and unsort
            outs = list(self.lstm(None, None, xs))
            outs += list(self.bilstm(None, None, xs))
            outs += list(self.gru(h0, xs))
            outs += list(self.bigru(None, xs))
            outs += list(self.rnn(None, xs))
            outs += list(self.birnn(None, xs))
            total = 0
            for o in outs:
                for v in o if isinstance(o, (list, tuple)) else [o]:
                    total += F.sum(v * v) + F.sum(v)
            return total

    return NStep()


def _nstep_dropout(chainer):
    """Two-layer NStep nets with dropout between the layers: in training mode the masks are
    drawn from NumPy's global generator, one call per time step and direction, as Chainer
    does, so the seeded forward gives Chainer's numbers."""
    L, F = chainer.links, chainer.functions

    class NStepDropout(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.lstm = L.NStepLSTM(2, 3, 4, 0.5)
                self.bigru = L.NStepBiGRU(2, 3, 2, 0.3)

        def forward(self, x0, x1, x2, h0):
            xs = [x0, x1, x2]
            outs = list(self.lstm(None, None, xs)) + list(self.bigru(None, xs))
            total = 0
            for o in outs:
                for v in o if isinstance(o, (list, tuple)) else [o]:
                    total += F.sum(v * v) + F.sum(v)
            return total

    return NStepDropout()


def _w2v(chainer):
    L, F = chainer.links, chainer.functions

    class Word2Vec(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.embed = L.EmbedID(6, 3)
                self.loss = L.NegativeSampling(3, [4, 1, 3, 2, 7, 2], 2)
                self.gru = L.StatelessGRU(3, 2)
                self.sgru = L.GRU(3, 2)
                self.bo = L.BlackOut(3, [4, 1, 3, 2, 7, 2], 3)
                self.bo.W.array[...] = np.linspace(-1, 1, 18, dtype=np.float32).reshape(6, 3)

        def forward(self, ctx, center):
            e = self.embed(ctx)
            loss = self.loss(F.mean(e, axis=1), center)
            loss += F.sum(self.loss(e[:, 0], center, reduce="no"))
            loss += self.bo(e[:, 1], ctx[:, 2])
            self.sgru.reset_state()
            h = None
            for step in range(e.shape[1]):
                x = e[:, step]
                h = self.gru(h if h is not None else x[:, :2] * 0, x)
                loss += F.sum(self.sgru(x) * h)
            return loss

    return Word2Vec()


def _sngan(chainer):
    L, F = chainer.links, chainer.functions
    SN = chainer.link_hooks.SpectralNormalization

    class SNDis(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.c0 = L.Convolution2D(1, 3, 3, 2, 1).add_hook(SN())
                self.dc = L.Deconvolution2D(3, 2, 2, 2).add_hook(SN(n_power_iteration=2))
                self.l1 = L.Linear(None, 4).add_hook(SN(use_gamma=True))
                self.l2 = L.Linear(4, 1).add_hook(SN(factor=2.0))

        def forward(self, x):
            h = F.leaky_relu(self.c0(x))
            h = F.leaky_relu(self.dc(h))
            h = F.reshape(h, (h.shape[0], -1))  # SN inits a lazy Linear from shape[1]
            return self.l2(F.relu(self.l1(h)))

    return SNDis()


def _sn_images(rng):
    return [rng.standard_normal((3, 1, 6, 6)).astype(np.float32)]


def _sn_train(chainer, model, ins):
    y = model(ins[0])
    return chainer.functions.sum(y * y)


def _sn_test(chainer, model, ins):
    return model(ins[0])


def _context(rng):
    return [
        rng.integers(0, 6, (5, 3)).astype(np.int32),
        np.array([1, 0, -1, 5, 2], np.int32),
    ]


def _sequences(rng):
    return [
        rng.standard_normal((2, 3)).astype(np.float32),
        rng.standard_normal((4, 3)).astype(np.float32),
        rng.standard_normal((3, 3)).astype(np.float32),
        rng.standard_normal((1, 3, 3)).astype(np.float32),
    ]


def _nstep_run(chainer, model, ins):
    return model(*ins)


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
    ("brn", _brn, _vectors, _classify_train, _classify_test),
    ("cnn", _cnn, _images, _classify_train, _classify_test),
    ("rnn", _rnn, _tokens, _rnn_run, _rnn_run),
    ("misc", _misc, _misc_in, _misc_train, _misc_test),
    ("nstep", _nstep, _sequences, _nstep_run, _nstep_run),
    ("nstep_dropout", _nstep_dropout, _sequences, _nstep_run, _nstep_run),
    ("w2v", _w2v, _context, _nstep_run, _nstep_run),
    ("sngan", _sngan, _sn_images, _sn_train, _sn_test),
]
