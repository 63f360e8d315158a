"""A VAE (gaussian, bernoulli_nll, gaussian_kl_divergence, reporter), on random bits."""

import numpy as np

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import reporter

np.random.seed(0)
results = []  # numbers compared with real Chainer 7.8.1 by tests/test_chainer_scripts.py


class VAE(chainer.Chain):
    def __init__(self, n_in, n_latent, n_h):
        super(VAE, self).__init__()
        with self.init_scope():
            self.le1 = L.Linear(n_in, n_h)
            self.le2_mu = L.Linear(n_h, n_latent)
            self.le2_ln_var = L.Linear(n_h, n_latent)
            self.ld1 = L.Linear(n_latent, n_h)
            self.ld2 = L.Linear(n_h, n_in)

    def encode(self, x):
        h1 = F.tanh(self.le1(x))
        return self.le2_mu(h1), self.le2_ln_var(h1)

    def decode(self, z, sigmoid=True):
        h1 = F.tanh(self.ld1(z))
        h2 = self.ld2(h1)
        return F.sigmoid(h2) if sigmoid else h2

    def get_loss_func(self, beta=1.0, k=1):
        def lf(x):
            mu, ln_var = self.encode(x)
            batchsize = len(mu.array)
            rec_loss = 0
            for _ in range(k):
                z = F.gaussian(mu, ln_var)
                rec_loss += F.bernoulli_nll(x, self.decode(z, sigmoid=False)) / (k * batchsize)
            self.rec_loss = rec_loss
            self.loss = self.rec_loss + beta * F.gaussian_kl_divergence(mu, ln_var) / batchsize
            reporter.report({"rec_loss": self.rec_loss, "loss": self.loss}, observer=self)
            return self.loss

        return lf


model = VAE(10, 2, 6)
x = (np.random.rand(8, 10) > 0.5).astype(np.float32)
lf = model.get_loss_func()
r = chainer.Reporter()
r.add_observer("main", model)
for _it in range(3):
    obs = {}
    with r.scope(obs):
        loss = lf(x)
    model.cleargrads()
    loss.backward()
    for p in model.params():
        p.array -= 0.1 * p.grad
    results += [float(obs[k].array) for k in sorted(obs)]
s = chainer.DictSummary()
s.add(obs)
results += [float(v) for _, v in sorted(s.compute_mean().items())]
