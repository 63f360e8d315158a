"""word2vec: the negative-sampling loss, the fused SGD step, subsampling, the noise
distribution, windows, and a tiny training whose neighbours come out right."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from optest import check_op

import shinsou as ss
import shinsou.functional as F
from shinsou.data import (
    NoiseDistribution,
    cbow_examples,
    skipgram_pairs,
    subsample,
    subsample_keep_prob,
)
from shinsou.training import train_word2vec


def _np_loss(v, u, n):
    def log_sigmoid(x):
        return -np.logaddexp(0.0, -x)

    pos = (v * u).sum(axis=1)
    neg = np.einsum("bkd,bd->bk", n, v)
    return (-log_sigmoid(pos) - log_sigmoid(-neg).sum(axis=1)).mean()


def _torch_loss(v, u, n):
    pos = (v * u).sum(dim=1)
    neg = torch.bmm(n, v.unsqueeze(2)).squeeze(2)
    tf = torch.nn.functional
    return (-tf.logsigmoid(pos) - tf.logsigmoid(-neg).sum(dim=1)).mean()


@pytest.mark.parametrize("b,k,d", [(4, 3, 5), (1, 1, 2), (3, 0, 4)])
def test_negative_sampling_loss_against_numpy_and_torch(b, k, d):
    check_op(F.negative_sampling_loss, _torch_loss, _np_loss, shapes=[(b, d), (b, d), (b, k, d)])


def test_negative_sampling_loss_reductions_and_errors():
    rng = np.random.default_rng(0)
    v, u, n = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 2, 4))
    per = F.negative_sampling_loss(ss.tensor(v), ss.tensor(u), ss.tensor(n), reduction="none")
    assert per.shape == (3,)
    total = F.negative_sampling_loss(ss.tensor(v), ss.tensor(u), ss.tensor(n), reduction="sum")
    np.testing.assert_allclose(total.item(), per.numpy().sum(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"negatives of shape \(3, K, 4\)"):
        F.negative_sampling_loss(ss.tensor(v), ss.tensor(u), ss.tensor(n[:, :, :3]))
    with pytest.raises(ValueError, match="same shape"):
        F.negative_sampling_loss(ss.tensor(v), ss.tensor(u[:2]), ss.tensor(n))


def _random_model(mode, v=7, d=4, seed=0):
    m = ss.models.Word2Vec(v, d, mode=mode)
    rng = np.random.default_rng(seed)
    m.in_embed.weight.array[...] = rng.normal(size=(v, d)).astype(np.float32)
    m.out_embed.weight.array[...] = rng.normal(size=(v, d)).astype(np.float32)
    return m


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_sgd_step_is_sgd_on_the_autograd_loss(mode):
    """The fused step changes the weights by −lr × the autograd gradient of the summed loss
    (repeated ids within the batch included) and returns the mean loss."""
    m = _random_model(mode)
    rng = np.random.default_rng(1)
    b = 6
    if mode == "skipgram":
        inputs, mask = np.array([0, 1, 1, 2, 3, 0]), None
    else:
        inputs = rng.integers(0, 7, (b, 4))
        mask = rng.random((b, 4)) < 0.7
        mask[:, 0] = True
    targets = np.array([2, 3, 3, 4, 5, 6])
    negatives = rng.integers(0, 7, (b, 3))
    loss = m.loss(ss.tensor(inputs), ss.tensor(targets), ss.tensor(negatives),
                  None if mask is None else ss.tensor(mask), reduction="sum")  # fmt: skip
    loss.backward()
    want_in = m.in_embed.weight.numpy() - 0.1 * m.in_embed.weight.grad.numpy()
    want_out = m.out_embed.weight.numpy() - 0.1 * m.out_embed.weight.grad.numpy()
    mean = m.sgd_step(inputs, targets, negatives, 0.1, mask)
    np.testing.assert_allclose(mean, loss.item() / b, rtol=1e-5)
    np.testing.assert_allclose(m.in_embed.weight.numpy(), want_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.out_embed.weight.numpy(), want_out, rtol=1e-5, atol=1e-6)


def test_model_loss_against_torch_embeddings():
    m = _random_model("cbow")
    inputs = np.array([[0, 1, 2], [3, 4, 0]])
    mask = np.array([[True, True, False], [True, True, True]])
    targets, negatives = np.array([5, 6]), np.array([[1, 2], [3, 3]])
    ours = m.loss(ss.tensor(inputs), ss.tensor(targets), ss.tensor(negatives), ss.tensor(mask))
    w_in = torch.tensor(m.in_embed.weight.numpy(), requires_grad=True)
    w_out = torch.tensor(m.out_embed.weight.numpy(), requires_grad=True)
    mk = torch.tensor(mask, dtype=torch.float32).unsqueeze(2)
    v = (w_in[torch.tensor(inputs)] * mk).sum(1) / mk.sum(1)
    ref = _torch_loss(v, w_out[torch.tensor(targets)], w_out[torch.tensor(negatives)])
    ref.backward()
    ours.backward()
    np.testing.assert_allclose(ours.item(), ref.item(), rtol=1e-5)
    np.testing.assert_allclose(m.in_embed.weight.grad.numpy(), w_in.grad.numpy(), atol=1e-6)
    np.testing.assert_allclose(m.out_embed.weight.grad.numpy(), w_out.grad.numpy(), atol=1e-6)


def test_model_checks_its_inputs():
    m = ss.models.Word2Vec(5, 2)
    with pytest.raises(ValueError, match=r"skipgram.*inputs \(B,\)"):
        m.loss(ss.tensor([[0, 1]]), ss.tensor([2]), ss.tensor([[3]]))
    with pytest.raises(ValueError, match="negatives"):
        m.sgd_step(np.array([0]), np.array([2]), np.array([3]), 0.1)
    with pytest.raises(ValueError, match="mode"):
        ss.models.Word2Vec(5, 2, mode="glove")


def test_subsampling_probabilities():
    counts = np.array([900, 90, 9, 1, 0])
    t = 1e-2
    f = counts / counts.sum()
    keep = subsample_keep_prob(counts, t)
    expected = np.minimum(1, np.sqrt(t / f[:4]) + t / f[:4])
    np.testing.assert_allclose(keep[:4], expected)
    assert keep[4] == 1.0 and keep[0] < keep[1] < keep[2] <= 1.0
    assert (subsample_keep_prob(counts, 0) == 1).all()
    # the kept fraction of each word is its probability
    rng = np.random.default_rng(0)
    sentence = np.repeat(np.arange(4), counts[:4] * 200)
    kept = np.concatenate(subsample([sentence], keep, rng))
    frac = np.bincount(kept, minlength=4) / (counts[:4] * 200)
    np.testing.assert_allclose(frac, keep[:4], atol=0.015)


def test_noise_distribution():
    counts = np.array([100, 10, 1, 0, 50])
    d = NoiseDistribution(counts)
    w = counts**0.75
    np.testing.assert_allclose(d.probs, w / w.sum())
    draws = d.sample(200_000, np.random.default_rng(0))
    freq = np.bincount(draws, minlength=5) / draws.size
    np.testing.assert_allclose(freq, d.probs, atol=4e-3)
    assert freq[3] == 0  # a word never seen is never drawn
    with pytest.raises(ValueError, match="NoiseDistribution"):
        NoiseDistribution([0, 0])


def test_skipgram_windows():
    rng = np.random.default_rng(0)
    sents = [[0, 1, 2, 3], [4, 5]]
    c, o = skipgram_pairs(sents, 2, rng, dynamic=False)
    pairs = sorted(zip(c.tolist(), o.tolist()))
    expected = sorted(
        [(s[i], s[j]) for s in sents for i in range(len(s)) for j in range(len(s))
         if i != j and abs(i - j) <= 2]
    )  # fmt: skip
    assert pairs == expected  # never across sentences
    # dynamic windows: a word d away is a context with probability (W − d + 1) / W
    long = [np.arange(20_000)]  # ids = positions
    c, o = skipgram_pairs(long, 4, np.random.default_rng(1))
    dist = np.abs(c - o)
    share = np.array([(dist == d).sum() for d in range(1, 5)]) / (2 * 20_000)
    np.testing.assert_allclose(share, [(4 - d + 1) / 4 for d in range(1, 5)], atol=0.02)


def test_cbow_windows():
    ctx, mask, centre = cbow_examples([[7, 8, 9, 10]], 2, np.random.default_rng(0), False)
    assert centre.tolist() == [7, 8, 9, 10]
    rows = [sorted(ctx[i][mask[i]].tolist()) for i in range(4)]
    assert rows == [[8, 9], [7, 9, 10], [7, 8, 10], [8, 9]]
    ctx, mask, centre = cbow_examples([[1], [2, 3]], 3, np.random.default_rng(0))
    assert centre.tolist() == [2, 3]  # a one-word sentence has no context


def _two_groups(n_sent=400, seed=0):
    """Words 0-4 only co-occur with each other, words 5-9 likewise."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 5, 8) + 5 * (i % 2) for i in range(n_sent)]


@pytest.mark.parametrize("mode,lr", [("skipgram", 0.05), ("cbow", 0.1)])
def test_tiny_training_finds_the_groups(mode, lr):
    m = ss.models.Word2Vec(10, 8, mode=mode, words=[f"w{i}" for i in range(10)])
    m.reset_parameters(np.random.default_rng(0))
    out = train_word2vec(m, _two_groups(), epochs=5, lr=lr, window=3, negatives=3,
                         batch_size=64, sample=0)  # fmt: skip
    assert out["loss"][-1] < out["loss"][0]
    for w in range(10):
        top = [int(n[1:]) for n, _ in m.most_similar(f"w{w}", k=4)]
        assert all(t // 5 == w // 5 for t in top), (w, top)


def test_most_similar_queries():
    m = ss.models.Word2Vec(4, 2, words=["a", "b", "c", "d"])
    m.in_embed.weight.array[...] = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], np.float32)
    assert [w for w, _ in m.most_similar("a", k=2)] == ["b", "c"]
    assert [w for w, _ in m.most_similar(["a", "c"], k=1)] == ["b"]
    assert m.most_similar(np.array([0.0, 1.0]), k=1)[0][0] == "c"
    assert m.most_similar(0, k=1, exclude=["b"])[0][0] == "c"
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        m.most_similar("z")


def test_model_parameters_and_state_dict_round_trip(tmp_path):
    m = ss.models.Word2Vec(6, 3, mode="cbow")
    assert sum(p.numel() for p in m.parameters()) == 2 * 6 * 3
    w = m.in_embed.weight.numpy()
    assert np.abs(w).max() <= 0.5 / 3 and (m.out_embed.weight.numpy() == 0).all()
    m.out_embed.weight.array[...] = 1.0
    ss.save(m, tmp_path / "w2v.npz")
    m2 = ss.models.Word2Vec(6, 3, mode="cbow")
    m2.load_state_dict(ss.load(tmp_path / "w2v.npz"))
    np.testing.assert_array_equal(m2.in_embed.weight.numpy(), w)
    assert (m2.out_embed.weight.numpy() == 1).all()
    assert m2.context_logits([0, 1]).shape == (6,)
