"""Benchmark cases. Each returns (shinsou seconds, PyTorch seconds) for one step."""

from __future__ import annotations

import numpy as np
import torch

import shinsou as ss
import shinsou.functional as F
from common import compare

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def _copy_weights(ss_model, torch_model):
    with torch.no_grad():
        for p, tp in zip(ss_model.parameters(), torch_model.parameters()):
            tp.copy_(torch.from_numpy(p.numpy()))


def _mlp():
    """The MLP 784-1000-500-250-10 in shinsou and in PyTorch with the same weights, and a
    batch of 128."""
    sizes = (784, 1000, 500, 250, 10)
    rng = np.random.default_rng(0)
    x = rng.random((128, 784), dtype=np.float32)
    t = rng.integers(0, 10, 128)
    ss.manual_seed(0)
    net = ss.models.MLP(sizes)
    tnet = torch.nn.Sequential(
        *[
            m
            for a, b in zip(sizes[:-1], sizes[1:])
            for m in (torch.nn.Linear(a, b), torch.nn.ReLU())
        ][:-1]
    )
    _copy_weights(net, tnet)
    return net, tnet, x, t


@case
def mlp_step():
    """MLP 784-1000-500-250-10 ReLU, batch 128, SGD momentum 0.9, softmax CE: one train step"""
    net, tnet, x, t = _mlp()
    opt = ss.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    sx, st = ss.tensor(x), ss.tensor(t)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9)
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)

    def ss_step():
        opt.zero_grad()
        F.cross_entropy(net(sx), st).backward()
        opt.step()

    def torch_step():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tnet(tx), tt).backward()
        topt.step()

    return compare(ss_step, torch_step, number=30, rounds=7)


def _gradient_penalty_pair(net, tnet, x, t, number, rounds, lam=0.1):
    """Steps of loss + λ‖∂loss/∂x‖² (a double backward: create_graph=True), SGD momentum."""
    opt = ss.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9)
    sx, st = ss.tensor(x, requires_grad=True), ss.tensor(t)
    tx, tt = torch.tensor(x, requires_grad=True), torch.from_numpy(t)

    def ss_step():
        opt.zero_grad()
        loss = F.cross_entropy(net(sx), st)
        (g,) = ss.autograd.grad(loss, sx, create_graph=True)
        (loss + lam * (g * g).sum()).backward()
        opt.step()

    def torch_step():
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tnet(tx), tt)
        (g,) = torch.autograd.grad(loss, tx, create_graph=True)
        (loss + lam * (g * g).sum()).backward()
        topt.step()

    return compare(ss_step, torch_step, number=number, rounds=rounds)


@case
def mlp_gradpen_step():
    """MLP 784-1000-500-250-10 ReLU, batch 128: loss + 0.1‖∂loss/∂x‖² (create_graph=True), SGD momentum"""  # noqa: E501
    return _gradient_penalty_pair(*_mlp(), number=10, rounds=7)


@case
def overhead_create_graph():
    """tiny step with create_graph=True: g = ∂(relu(a·a)).sum()/∂a, then backward of g.sum()"""
    a = ss.randn(10, requires_grad=True)
    ta = torch.randn(10, requires_grad=True)

    def ss_step():
        a.grad = None
        (g,) = ss.autograd.grad((a * a).relu().sum(), a, create_graph=True)
        g.sum().backward()

    def torch_step():
        ta.grad = None
        (g,) = torch.autograd.grad((ta * ta).relu().sum(), ta, create_graph=True)
        g.sum().backward()

    return compare(ss_step, torch_step, number=300, rounds=7)


@case
def overhead():
    """tiny step: y = relu(a + a).sum() on 10 floats, then backward (per-op overhead)"""
    a = ss.randn(10, requires_grad=True)
    ta = torch.randn(10, requires_grad=True)

    def ss_step():
        a.grad = None
        (a + a).relu().sum().backward()

    def torch_step():
        ta.grad = None
        (ta + ta).relu().sum().backward()

    return compare(ss_step, torch_step, number=500, rounds=7)


@case
def mnist_mlp_epoch():
    """mnist-mlp loop: 40 shuffled batches of 128, 784-1000-500-10 ReLU, dropout 0.5, Adam"""
    from shinsou.data import DataLoader, TensorDataset
    from shinsou.training import Trainer, supervised_step

    rng = np.random.default_rng(0)
    x = rng.random((128 * 40, 784), dtype=np.float32)
    t = rng.integers(0, 10, 128 * 40)

    ss.manual_seed(0)
    net = ss.models.MLP((784, 1000, 500, 10), dropout=0.5)
    opt = ss.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, t), 128, shuffle=True, seed=0)
    trainer = Trainer(net, opt, loader)

    tnet = torch.nn.Sequential(
        torch.nn.Linear(784, 1000),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(1000, 500),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(500, 10),
    )
    _copy_weights(net, tnet)
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-3)
    tloader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(t)),
        batch_size=128,
        shuffle=True,
    )

    def ss_epoch():
        for batch in loader:
            supervised_step(trainer, batch)

    def torch_epoch():
        for bx, bt in tloader:
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tnet(bx), bt).backward()
            topt.step()

    return compare(ss_epoch, torch_epoch, number=1, rounds=5)


def _step_pair(net, tnet, x, t, number, rounds, lr=1e-3):
    """Adam training steps of a shinsou net and its PyTorch twin on the same batch."""
    opt = ss.optim.Adam(net.parameters(), lr=lr)
    topt = torch.optim.Adam(tnet.parameters(), lr=lr)
    sx, st = ss.tensor(x), ss.tensor(t)
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)

    def ss_step():
        opt.zero_grad()
        F.cross_entropy(net(sx), st).backward()
        opt.step()

    def torch_step():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tnet(tx), tt).backward()
        topt.step()

    return compare(ss_step, torch_step, number=number, rounds=rounds)


def _image_batch(channels, size):
    """A seeded batch of 128 random images (128, C, size, size) with labels in 0..9; the
    nets built after it are seeded too."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, channels, size, size)).astype(np.float32)
    t = rng.integers(0, 10, 128)
    ss.manual_seed(0)
    return x, t


def _lenet():
    """The LeNet-style CNN in shinsou and in PyTorch with the same weights, and a batch."""
    from shinsou import nn

    x, t = _image_batch(1, 28)

    def layers(m):
        return [
            m.Conv2d(1, 32, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
            m.Conv2d(32, 64, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
            m.Flatten(), m.Linear(64 * 7 * 7, 1024), m.ReLU(), m.Linear(1024, 10),
        ]  # fmt: skip

    net, tnet = nn.Sequential(*layers(nn)), torch.nn.Sequential(*layers(torch.nn))
    _copy_weights(net, tnet)
    return net, tnet, x, t


@case
def lenet_step():
    """LeNet-style CNN, batch 128 of 1×28×28: conv5×5-32, pool, conv5×5-64, pool, fc 1024, fc 10; Adam step"""  # noqa: E501
    return _step_pair(*_lenet(), number=3, rounds=5)


@case
def lenet_gradpen_step():
    """the LeNet-style CNN above, batch 128: loss + 0.1‖∂loss/∂x‖² (create_graph=True through conv and pooling), SGD momentum"""  # noqa: E501
    return _gradient_penalty_pair(*_lenet(), number=2, rounds=5)


@case
def vgg_step():
    """VGG-style CNN with batch norm, batch 128 of 3×32×32: (conv3×3-BN-ReLU)×2 + pool per block, 32-64-128 channels, fc 10; Adam step"""  # noqa: E501
    from shinsou import nn

    x, t = _image_batch(3, 32)

    def layers(m):
        out, c = [], 3
        for w in (32, 64, 128):
            for _ in range(2):
                out += [m.Conv2d(c, w, 3, padding=1, bias=False), m.BatchNorm2d(w), m.ReLU()]
                c = w
            out.append(m.MaxPool2d(2))
        return out + [m.Flatten(), m.Linear(128 * 4 * 4, 10)]

    net, tnet = nn.Sequential(*layers(nn)), torch.nn.Sequential(*layers(torch.nn))
    _copy_weights(net, tnet)
    return _step_pair(net, tnet, x, t, number=2, rounds=5)


@case
def mnist_cnn_step():
    """the mnist-cnn recipe's net (VGGNet 32-64-128, one conv per block, BN, fc 256), batch 128; Adam step"""  # noqa: E501
    from shinsou.models import VGGNet

    x, t = _image_batch(1, 28)
    net = VGGNet(1, 10, 28, widths=(32, 64, 128), convs_per_block=1, hidden=256, dropout=0.0)
    m = torch.nn
    tlayers, c = [], 1
    for w in (32, 64, 128):
        tlayers += [m.Conv2d(c, w, 3, padding=1, bias=False), m.BatchNorm2d(w), m.ReLU(),
                    m.MaxPool2d(2)]  # fmt: skip
        c = w
    tnet = m.Sequential(
        *tlayers, m.Flatten(), m.Linear(128 * 3 * 3, 256), m.ReLU(), m.Dropout(0.0),
        m.Linear(256, 10),
    )  # fmt: skip
    _copy_weights(net, tnet)
    return _step_pair(net, tnet, x, t, number=3, rounds=5)


@case
def hinton_ae_step():
    """the mnist-autoencoder recipe's net: 784-1000-500-250-30-250-500-1000-784, logistic units, linear code, sigmoid output; batch 128 in [0, 1], BCE summed per image, Adam step"""  # noqa: E501
    sizes = (784, 1000, 500, 250, 30)
    rng = np.random.default_rng(0)
    x = rng.random((128, 784), dtype=np.float32)
    ss.manual_seed(0)
    net = ss.models.Autoencoder(sizes, activation="sigmoid", code_activation=False)
    m = torch.nn
    widths = sizes + sizes[-2::-1]  # encoder then decoder widths
    tlayers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        tlayers.append(m.Linear(a, b))
        if i != len(sizes) - 2:  # every layer but the code layer ends in a sigmoid
            tlayers.append(m.Sigmoid())
    tnet = m.Sequential(*tlayers)
    _copy_weights(net, tnet)
    opt = ss.optim.Adam(net.parameters(), lr=1e-3)
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-3)
    sx, tx = ss.tensor(x), torch.from_numpy(x)

    def ss_step():
        opt.zero_grad()
        (F.binary_cross_entropy(net(sx), sx, reduction="sum") / 128).backward()
        opt.step()

    def torch_step():
        topt.zero_grad()
        (torch.nn.functional.binary_cross_entropy(tnet(tx), tx, reduction="sum") / 128).backward()
        topt.step()

    return compare(ss_step, torch_step, number=3, rounds=5)


# issue 14: the DCGAN training step
def _dcgan_step(gen, dis):
    """One GANUpdater step of ``gen``/``dis`` against the same step of their PyTorch twins
    (``gan_quality.torch_dcgan``: same layers and weights), batch 64: a D step then a G step
    (non-saturating), Adam lr 2e-4 β1 0.5."""
    from gan_quality import torch_dcgan

    from shinsou.training import GANUpdater

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 1, 28, 28)).astype(np.float32)
    tg, td = torch_dcgan(gen, dis)
    adam = dict(lr=2e-4, betas=(0.5, 0.999))
    up = GANUpdater(
        gen, dis, ss.optim.Adam(gen.parameters(), **adam), ss.optim.Adam(dis.parameters(), **adam),
        gen.noise_dim,
    )  # fmt: skip
    tog, tod = torch.optim.Adam(tg.parameters(), **adam), torch.optim.Adam(td.parameters(), **adam)
    sx, tx = ss.tensor(x), torch.from_numpy(x)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)
    nz = gen.noise_dim

    def ss_step():
        up.update((sx,))

    def torch_step():  # what GANUpdater does: fakes for D under no_grad, fresh noise for G,
        # D's weights held out of the G step's graph
        tod.zero_grad()
        with torch.no_grad():
            fake = tg(torch.randn(64, nz))
        (bce(td(tx), ones) + bce(td(fake), zeros)).backward()
        tod.step()
        tog.zero_grad()
        td.requires_grad_(False)
        bce(td(tg(torch.randn(64, nz))), ones).backward()
        td.requires_grad_(True)
        tog.step()

    return compare(ss_step, torch_step, number=2, rounds=5)


@case
def dcgan_step():
    """DCGAN for 1×28×28 at the paper's width 64 (G: z 100 -> fc 128×7×7 -> deconv 64 -> deconv 1, BN, ReLU, tanh; D: conv 64 -> conv 128 + BN, LeakyReLU 0.2 -> fc 1), batch 64: a D step then a G step (non-saturating), Adam lr 2e-4 β1 0.5"""  # noqa: E501
    ss.manual_seed(0)
    return _dcgan_step(ss.models.DCGANGenerator(100), ss.models.DCGANDiscriminator())


@case
def dcgan_recipe_step():
    """The same step with the nets `shinsou train mnist-dcgan` trains by default (``recipes.gan_images.build_nets`` of its options)"""  # noqa: E501
    from shinsou import recipes
    from shinsou.recipes.gan_images import build_nets

    ss.manual_seed(0)
    return _dcgan_step(*build_nets(recipes.get("mnist-dcgan").config().options))


# rnn-layers block: issue 15
class _SSLanguageModel(ss.nn.Module):
    def __init__(self, vocab, hidden, layers):
        super().__init__()
        self.embed = ss.nn.Embedding(vocab, hidden)
        self.lstm = ss.nn.LSTM(hidden, hidden, layers)
        self.out = ss.nn.Linear(hidden, vocab)

    def forward(self, ids, state):
        y, state = self.lstm(self.embed(ids), state)
        return self.out(y), state


class _TorchLanguageModel(torch.nn.Module):
    def __init__(self, vocab, hidden, layers):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, hidden)
        self.lstm = torch.nn.LSTM(hidden, hidden, layers)
        self.out = torch.nn.Linear(hidden, vocab)

    def forward(self, ids, state):
        y, state = self.lstm(self.embed(ids), state)
        return self.out(y), state


@case
def lstm_lm_step():
    """PTB small LSTM LM: embedding 10,000×200, 2-layer LSTM 200, 20 steps × batch 20,
    linear 200→10,000, CE, SGD lr 1, clipping 5, state carried (detached): one train step"""
    V, H, L, T, N = 10_000, 200, 2, 20, 20
    rng = np.random.default_rng(0)
    ids = rng.integers(0, V, (T + 1, N))
    ss.manual_seed(0)
    net, tnet = _SSLanguageModel(V, H, L), _TorchLanguageModel(V, H, L)
    for p in net.parameters():  # Zaremba et al.'s init, ±0.1
        ss.nn.init.uniform_(p, -0.1, 0.1)
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(net.named_parameters(), tnet.named_parameters()):
            assert name == tname, (name, tname)
            tp.copy_(torch.from_numpy(p.numpy()))
    opt = ss.optim.SGD(net.parameters(), lr=1.0)
    topt = torch.optim.SGD(tnet.parameters(), lr=1.0)
    sx, sy = ss.tensor(ids[:-1]), ss.tensor(ids[1:].reshape(-1))
    tx, ty = torch.from_numpy(ids[:-1]), torch.from_numpy(ids[1:].reshape(-1))
    s_state = [(ss.zeros(L, N, H), ss.zeros(L, N, H))]
    t_state = [(torch.zeros(L, N, H), torch.zeros(L, N, H))]

    def ss_step():
        opt.zero_grad()
        logits, (h, c) = net(sx, s_state[0])
        F.cross_entropy(logits.reshape(-1, V), sy).backward()
        ss.optim.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        s_state[0] = (h.detach(), c.detach())

    def torch_step():
        topt.zero_grad()
        logits, (h, c) = tnet(tx, t_state[0])
        torch.nn.functional.cross_entropy(logits.reshape(-1, V), ty).backward()
        torch.nn.utils.clip_grad_norm_(tnet.parameters(), 5.0)
        topt.step()
        t_state[0] = (h.detach(), c.detach())

    return compare(ss_step, torch_step, number=5, rounds=5)


class _SSTranslator(ss.nn.Module):
    def __init__(self, vs, vt, d, heads, layers, ff):
        super().__init__()
        self.src_emb, self.tgt_emb = ss.nn.Embedding(vs, d), ss.nn.Embedding(vt, d)
        self.pe = ss.nn.PositionalEncoding(d, dropout=0.1, batch_first=True)
        self.transformer = ss.nn.Transformer(d, heads, layers, layers, ff, batch_first=True)
        self.out = ss.nn.Linear(d, vt)
        self.scale = d**0.5

    def forward(self, src, tgt, tgt_mask, src_pad, tgt_pad):
        s = self.pe(self.src_emb(src) * self.scale)
        t = self.pe(self.tgt_emb(tgt) * self.scale)
        h = self.transformer(
            s, t, tgt_mask=tgt_mask, src_key_padding_mask=src_pad,
            tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad,
        )  # fmt: skip
        return self.out(h)


class _TorchTranslator(torch.nn.Module):
    def __init__(self, vs, vt, d, heads, layers, ff):
        super().__init__()
        self.src_emb, self.tgt_emb = torch.nn.Embedding(vs, d), torch.nn.Embedding(vt, d)
        pe = ss.nn.positional.sinusoidal_table(512, d)
        self.register_buffer("pe", torch.from_numpy(pe), persistent=False)
        self.drop = torch.nn.Dropout(0.1)
        self.transformer = torch.nn.Transformer(d, heads, layers, layers, ff, batch_first=True)
        self.out = torch.nn.Linear(d, vt)
        self.scale = d**0.5

    def forward(self, src, tgt, tgt_mask, src_pad, tgt_pad):
        s = self.drop(self.src_emb(src) * self.scale + self.pe[: src.shape[1]])
        t = self.drop(self.tgt_emb(tgt) * self.scale + self.pe[: tgt.shape[1]])
        h = self.transformer(
            s, t, tgt_mask=tgt_mask, src_key_padding_mask=src_pad,
            tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad,
        )  # fmt: skip
        return self.out(h)


def _translation_batch(rng, n, vocab, lo=8, hi=16):
    """n padded sentences (id 0 = <pad>) of lengths in [lo, hi], mean ~12."""
    lens = rng.integers(lo, hi + 1, n)
    ids = rng.integers(4, vocab, (n, hi))
    ids[np.arange(hi)[None, :] >= lens[:, None]] = 0
    return ids[:, : lens.max()]


@case
def transformer_step():
    """Transformer d_model 128, 2+2 layers, 4 heads, FF 512, vocab 4,100 per side, batch 64
    pairs of ~12 tokens, causal + padding masks, dropout 0.1, label smoothing 0.1, Adam"""
    V, d, heads, layers, ff, N = 4100, 128, 4, 2, 512, 64
    rng = np.random.default_rng(0)
    src, tgt = _translation_batch(rng, N, V), _translation_batch(rng, N, V)
    tin, tout = tgt[:, :-1], tgt[:, 1:].reshape(-1)
    T = tin.shape[1]
    ss.manual_seed(0)
    net, tnet = (
        _SSTranslator(V, V, d, heads, layers, ff),
        _TorchTranslator(V, V, d, heads, layers, ff),
    )
    tparams = dict(tnet.named_parameters())
    with torch.no_grad():
        for name, p in net.named_parameters():
            tparams[name].copy_(torch.from_numpy(p.numpy()))
    opt = ss.optim.Adam(net.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    mask = ss.nn.Transformer.generate_square_subsequent_mask(T)
    s_args = (ss.tensor(src), ss.tensor(tin), mask, ss.tensor(src == 0), ss.tensor(tin == 0))
    t_args = (torch.from_numpy(src), torch.from_numpy(tin), torch.from_numpy(mask.numpy()),
              torch.from_numpy(src == 0), torch.from_numpy(tin == 0))  # fmt: skip
    sy, ty = ss.tensor(tout), torch.from_numpy(tout)

    def ss_step():
        opt.zero_grad()
        logits = net(*s_args)
        F.cross_entropy(logits.reshape(-1, V), sy, ignore_index=0, label_smoothing=0.1).backward()
        opt.step()

    def torch_step():
        topt.zero_grad()
        logits = tnet(*t_args)
        torch.nn.functional.cross_entropy(
            logits.reshape(-1, V), ty, ignore_index=0, label_smoothing=0.1
        ).backward()
        topt.step()

    return compare(ss_step, torch_step, number=5, rounds=5)
