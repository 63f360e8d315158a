"""A PTB-style LSTM language model with truncated BPTT, on random ids."""

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer.backends import cuda

np.random.seed(0)
results = []  # numbers compared with real Chainer 7.8.1 by tests/test_chainer_scripts.py


class RNNForLM(chainer.Chain):
    def __init__(self, n_vocab, n_units):
        super(RNNForLM, self).__init__()
        with self.init_scope():
            self.embed = L.EmbedID(n_vocab, n_units)
            self.l1 = L.LSTM(n_units, n_units)
            self.l2 = L.LSTM(n_units, n_units)
            self.l3 = L.Linear(n_units, n_vocab)
        for param in self.params():
            param.data[...] = np.random.uniform(-0.1, 0.1, param.data.shape)

    def reset_state(self):
        self.l1.reset_state()
        self.l2.reset_state()

    def forward(self, x):
        h0 = self.embed(x)
        h1 = self.l1(F.dropout(h0))
        h2 = self.l2(F.dropout(h1))
        y = self.l3(F.dropout(h2))
        return y


data = np.random.randint(0, 20, 200).astype(np.int32)
model = L.Classifier(RNNForLM(20, 8))
model.compute_accuracy = False
bprop_len, batch = 5, 4
pos = 0
for _it in range(4):
    loss = 0
    for _i in range(bprop_len):
        x = data[pos : pos + batch]
        t = data[pos + 1 : pos + 1 + batch]
        pos += batch
        loss += model(x, t)
    model.cleargrads()
    loss.backward()
    loss.unchain_backward()
    for p in model.params():
        p.array -= 1.0 * p.grad
    results.append(float(loss.array) / bprop_len)
evaluator = model.copy()
evaluator.predictor.reset_state()
with chainer.using_config("train", False):
    s = 0
    for i in range(3):
        s += float(evaluator(data[i : i + 1], data[i + 1 : i + 2]).array)
results += [float(np.exp(s / 3)), float(cuda.to_cpu(np.ones(1))[0])]
