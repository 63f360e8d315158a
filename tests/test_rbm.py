"""RBMs: free energy, conditionals, the CD-k loss gradient, AIS against the exact partition
function, a small convergence run on MNIST, and the DBN."""

import itertools

import numpy as np
import pytest

import shinsou as ss
from shinsou.datasets import load_mnist
from shinsou.models import (
    ais_betas,
    DBN,
    RBM,
    ais_log_partition,
    base_rate_bias,
    exact_log_partition,
    log_likelihood,
)


def _set(rbm, w, b, c):
    with ss.no_grad():
        rbm.weight.copy_(ss.tensor(w))
        rbm.visible_bias.copy_(ss.tensor(b))
        rbm.hidden_bias.copy_(ss.tensor(c))


def _random_rbm(n_v, n_h, seed, scale=1.0, visible="bernoulli"):
    r = np.random.default_rng(seed)
    rbm = RBM(n_v, n_h, visible=visible, dtype=np.float64)
    _set(rbm, r.normal(0, scale, (n_h, n_v)), r.normal(0, 1, n_v), r.normal(0, 1, n_h))
    return rbm


def _softplus(x):
    return np.logaddexp(0, x)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_free_energy_matches_numpy_formula(visible):
    rbm = _random_rbm(5, 3, 0, visible=visible)
    w, b, c = rbm.weight.numpy(), rbm.visible_bias.numpy(), rbm.hidden_bias.numpy()
    v = np.random.default_rng(1).random((4, 5))
    f = rbm.free_energy(ss.tensor(v)).numpy()
    vis = -v @ b if visible == "bernoulli" else 0.5 * ((v - b) ** 2).sum(1)
    np.testing.assert_allclose(f, vis - _softplus(v @ w.T + c).sum(1), rtol=1e-12)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_free_energy_is_minus_log_sum_over_hidden_of_exp_minus_energy(visible):
    rbm = _random_rbm(4, 3, 2, visible=visible)
    v = np.random.default_rng(3).integers(0, 2, (3, 4)).astype(np.float64)
    hs = np.array(list(itertools.product([0.0, 1.0], repeat=3)))  # (8, 3)
    brute = []
    for row in v:
        e = rbm.energy(ss.tensor(np.repeat(row[None], len(hs), 0)), ss.tensor(hs)).numpy()
        brute.append(-np.log(np.exp(-e).sum()))
    np.testing.assert_allclose(rbm.free_energy(ss.tensor(v)).numpy(), brute, rtol=1e-10)


def test_conditionals_match_energy_ratios():
    rbm = _random_rbm(4, 3, 4)
    w, b, c = rbm.weight.numpy(), rbm.visible_bias.numpy(), rbm.hidden_bias.numpy()
    v = np.array([[1.0, 0, 1, 1]])
    h = np.array([[0.0, 1, 1]])
    ph = rbm.p_h_given_v(ss.tensor(v)).numpy()
    pv = rbm.p_v_given_h(ss.tensor(h)).numpy()
    np.testing.assert_allclose(ph, 1 / (1 + np.exp(-(v @ w.T + c))), rtol=1e-12)
    np.testing.assert_allclose(pv, 1 / (1 + np.exp(-(h @ w + b))), rtol=1e-12)
    # p(h_0 = 1 | v) from the joint: exp(-E(v, h0=1)) / Σ over h0 (others fixed)
    h1, h0 = h.copy(), h.copy()
    h1[0, 0], h0[0, 0] = 1, 0
    e1 = rbm.energy(ss.tensor(v), ss.tensor(h1)).item()
    e0 = rbm.energy(ss.tensor(v), ss.tensor(h0)).item()
    assert ph[0, 0] == pytest.approx(1 / (1 + np.exp(e1 - e0)), rel=1e-12)
    g = _random_rbm(4, 3, 4, visible="gaussian")
    np.testing.assert_allclose(g.p_v_given_h(ss.tensor(h)).numpy(), h @ w + b, rtol=1e-12)


def test_sampling_frequencies_and_seed():
    rbm = _random_rbm(3, 2, 5)
    v = ss.tensor(np.tile([[1.0, 0.0, 1.0]], (4000, 1)))
    ss.manual_seed(0)
    p, h = rbm.sample_h(v)
    assert set(np.unique(h.numpy())) <= {0.0, 1.0} and not h.requires_grad
    np.testing.assert_allclose(h.numpy().mean(0), p.numpy()[0], atol=0.03)
    ss.manual_seed(0)
    np.testing.assert_array_equal(rbm.sample_h(v)[1].numpy(), h.numpy())
    g = _random_rbm(3, 2, 5, visible="gaussian")
    mean, s = g.sample_v(ss.tensor(np.ones((4000, 2))))
    np.testing.assert_allclose(s.numpy().mean(0), mean.numpy()[0], atol=0.06)
    np.testing.assert_allclose(s.numpy().std(0), 1.0, atol=0.05)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_cd1_gradient_is_the_analytic_estimate(visible):
    rbm = _random_rbm(6, 4, 6, scale=0.5, visible=visible)
    v = np.random.default_rng(7).integers(0, 2, (5, 6)).astype(np.float64)
    ss.manual_seed(11)
    loss = rbm.contrastive_divergence(ss.tensor(v), k=1)
    loss.backward()
    ss.manual_seed(11)
    vm = rbm.gibbs(ss.tensor(v), 1).numpy()  # the same negative samples
    w, c = rbm.weight.numpy(), rbm.hidden_bias.numpy()
    hd, hm = 1 / (1 + np.exp(-(v @ w.T + c))), 1 / (1 + np.exp(-(vm @ w.T + c)))
    n = len(v)
    np.testing.assert_allclose(rbm.weight.grad.numpy(), -(hd.T @ v - hm.T @ vm) / n, atol=1e-12)
    np.testing.assert_allclose(rbm.visible_bias.grad.numpy(), -(v - vm).mean(0), atol=1e-12)
    np.testing.assert_allclose(rbm.hidden_bias.grad.numpy(), -(hd - hm).mean(0), atol=1e-12)


def test_persistent_chain_is_advanced_in_place():
    rbm = _random_rbm(6, 4, 8)
    chain = ss.zeros(7, 6, dtype=np.float64)
    ss.manual_seed(3)
    rbm.contrastive_divergence(ss.ones(2, 6, dtype=np.float64), k=2, persistent=chain)
    ss.manual_seed(3)
    expected = rbm.gibbs(ss.zeros(7, 6, dtype=np.float64), 2)
    np.testing.assert_array_equal(chain.numpy(), expected.numpy())


def test_state_dict_round_trip_and_names():
    rbm = _random_rbm(5, 3, 10)
    assert sorted(rbm.state_dict()) == ["hidden_bias", "visible_bias", "weight"]
    assert rbm.num_parameters() == 5 * 3 + 5 + 3
    other = RBM(5, 3, dtype=np.float64)
    other.load_state_dict(rbm.state_dict())
    v = ss.tensor(np.random.default_rng(0).random((2, 5)))
    np.testing.assert_array_equal(other.free_energy(v).numpy(), rbm.free_energy(v).numpy())
    assert "rbms.1.weight" in DBN((5, 3, 2)).state_dict()


def test_bad_input_is_named():
    rbm = RBM(4, 2)
    with pytest.raises(ValueError, match=r"RBM.*\(N, 4\).*\(3, 5\)"):
        rbm.free_energy(ss.zeros(3, 5))
    with pytest.raises(ValueError, match="visible"):
        RBM(4, 2, visible="poisson")
    with pytest.raises(ValueError, match="Bernoulli"):
        exact_log_partition(RBM(4, 2, visible="gaussian"))
    loader = [ss.tensor(np.zeros((2, 4), np.uint8))]
    with pytest.raises(TypeError, match=r"pretrain_layer.*\[0, 1\].*uint8"):
        DBN((4, 2)).pretrain_layer(0, loader, 1, lambda p: ss.optim.SGD(p, lr=0.1))


def test_exact_log_partition_against_brute_force_over_both_layers():
    rbm = _random_rbm(5, 4, 9)
    vs = np.array(list(itertools.product([0.0, 1.0], repeat=5)))
    log_z = np.log(np.exp(-rbm.free_energy(ss.tensor(vs)).numpy()).sum())
    assert exact_log_partition(rbm) == pytest.approx(log_z, abs=1e-10)
    # probabilities sum to one
    p = np.exp([log_likelihood(rbm, vs[i : i + 1], log_z) for i in range(len(vs))])
    assert p.sum() == pytest.approx(1.0, abs=1e-10)


def test_ais_agrees_with_exact_log_partition_within_0_1_nats():
    # a structured RBM: hidden units are "stroke" detectors over a 5x5 picture, 12 hidden
    r = np.random.default_rng(0)
    n_v, n_h = 25, 12
    w = r.normal(0, 0.3, (n_h, n_v))
    for j in range(n_h):  # each hidden unit likes a row or a column
        mask = np.zeros((5, 5))
        mask[j % 5, :] = 1 if j < 6 else 0
        mask[:, j % 5] = 1 if j >= 6 else mask[:, j % 5]
        w[j] += 3.0 * mask.ravel() - 1.0
    rbm = RBM(n_v, n_h, dtype=np.float64)
    _set(rbm, w, r.normal(-0.5, 0.3, n_v), r.normal(-2, 0.3, n_h))
    exact = exact_log_partition(rbm)
    data = (r.random((200, n_v)) < 0.3).astype(np.float64)
    ss.manual_seed(0)
    betas = ais_betas(200, 800, 1000)  # the paper's schedule shape, 2,000 steps
    est = ais_log_partition(rbm, n_chains=100, betas=betas, base_bias=base_rate_bias(data))
    assert abs(est.log_z - exact) < 0.1, (est, exact)
    assert est.lower <= est.log_z <= est.upper
    assert est.upper - est.lower < 0.3
    assert est.log_weights.shape == (100,)


@pytest.mark.parametrize("steps", [1, 2])
def test_ais_with_few_steps_is_plain_importance_sampling_and_unbiased(steps):
    # with one or two steps AIS is (nearly) importance sampling from the base model: with
    # many chains and strong weights it must still land on the exact value
    r = np.random.default_rng(0)
    rbm = RBM(8, 4, dtype=np.float64)
    _set(rbm, r.normal(0, 2, (4, 8)), r.normal(0, 1, 8), r.normal(0, 1, 4))
    ss.manual_seed(1)
    est = ais_log_partition(rbm, n_chains=20000, betas=steps, base_bias=np.full(8, 0.3))
    exact = exact_log_partition(rbm)
    assert est.lower < exact < est.upper
    assert abs(est.log_z - exact) < 0.05


def test_ais_rejects_a_bad_schedule():
    with pytest.raises(ValueError, match="betas"):
        ais_log_partition(RBM(3, 2), betas=[0.0, 0.7, 0.5, 1.0])


def _mnist_binary(n):
    x, _ = load_mnist("train")
    return (x[:n].reshape(n, -1) > 127).astype(np.float32)


def test_cd1_on_mnist_lowers_reconstruction_error_and_free_energy_gap():
    ss.manual_seed(0)
    x = _mnist_binary(600)
    train, held = ss.tensor(x[:500]), ss.tensor(x[500:])
    rbm = RBM(784, 16)
    opt = ss.optim.SGD(rbm.parameters(), lr=0.1, momentum=0.5)
    noise = ss.tensor((np.random.default_rng(0).random((100, 784)) < 0.5).astype(np.float32))

    def gap():  # mean F(held-out digits) - mean F(noise): < 0 once digits are preferred
        with ss.no_grad():
            return (rbm.free_energy(held).mean() - rbm.free_energy(noise).mean()).item()

    err0, gap0 = rbm.reconstruction_error(held), gap()
    for _ in range(4):
        for i in range(0, 500, 50):
            loss = rbm.contrastive_divergence(train[i : i + 50], k=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
    err1, gap1 = rbm.reconstruction_error(held), gap()
    assert err1 < 0.7 * err0, (err0, err1)
    assert gap1 < gap0 - 50, (gap0, gap1)
    with ss.no_grad():  # Hinton's overfitting monitor: train vs held-out free energy stays close
        train_gap = (rbm.free_energy(train).mean() - rbm.free_energy(held).mean()).item()
    assert abs(train_gap) < 10, train_gap


def test_dbn_pretrains_copies_weights_to_mlp_and_fine_tunes():
    ss.manual_seed(0)
    x, y = load_mnist("train")
    xs = (x[:200].reshape(200, -1) > 127).astype(np.float32)
    dbn = DBN((784, 32, 16))
    loader = ss.data.DataLoader(ss.data.TensorDataset(xs, y[:200]), batch_size=50, shuffle=True)
    for i in range(2):
        hist = dbn.pretrain_layer(i, loader, 3, lambda p: ss.optim.SGD(p, lr=0.1, momentum=0.5))
        assert len(hist) == 3 and hist[-1] < hist[0]
    mlp = dbn.to_mlp(num_classes=10)
    np.testing.assert_array_equal(mlp[0].weight.numpy(), dbn.rbms[0].weight.numpy())
    np.testing.assert_array_equal(mlp[2].bias.numpy(), dbn.rbms[1].hidden_bias.numpy())
    h = ss.tensor(xs[:5])
    for layer in list(mlp)[:4]:  # the Linear+Sigmoid stack is the mean-field up pass
        h = layer(h)
    np.testing.assert_allclose(h.numpy(), dbn.up(ss.tensor(xs[:5])).numpy(), rtol=1e-6)
    opt = ss.optim.Adam(mlp.parameters(), lr=0.01)
    xt, yt = ss.tensor(xs), ss.tensor(y[:200])
    losses = []
    for _ in range(50):
        loss = ss.functional.cross_entropy(mlp(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0], losses
    samples = dbn.generate(3, gibbs_steps=5)
    assert samples.shape == (3, 784) and 0 <= samples.numpy().min() <= samples.numpy().max() <= 1
