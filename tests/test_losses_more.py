"""Losses of issue 11, part 3: L1, SmoothL1, Huber, KLDiv, CosineEmbedding, TripletMargin,
MarginRanking, and the weights of BCELoss / BCEWithLogitsLoss.

Functional forms through ``check_op`` (NumPy, float64 gradcheck, PyTorch, and double backward
when SHINSOU_TEST_GRADGRAD=1); the loss layers against torch.nn on every reduction, with a
float64 gradgradcheck of each (those built only from products and sums always; BCE through
its primitive, and KL with a log/exp, when the double-backward suite is on).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shinsou as ss
import shinsou.functional as F
from optest import GRADGRAD_BY_DEFAULT, assert_close_to, check_op

REDUCTIONS = ["mean", "sum", "none"]


def _np_reduce(v, reduction):
    return v.mean() if reduction == "mean" else v.sum() if reduction == "sum" else v


def rand(*shape, seed=0, low=None, high=None):
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def compare_loss(sm, tm, inputs, aux=(), seed=0):
    """Forward and the gradient of every float input, shinsou vs torch (float32)."""
    xs = [ss.tensor(a, requires_grad=True) for a in inputs]
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    y = sm(*xs, *[ss.tensor(a) for a in aux])
    ty = tm(*ts, *[torch.tensor(a) for a in aux])
    assert_close_to(y.numpy(), ty.detach().numpy(), f"{sm!r} forward vs torch")
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    ty.backward(torch.from_numpy(g))
    for i, (x, t) in enumerate(zip(xs, ts)):
        tg = np.zeros(t.shape, np.float32) if t.grad is None else t.grad.numpy()
        assert_close_to(x.grad.numpy(), tg, f"{sm!r} gradient of input {i} vs torch")


def double_checks(fn, inputs, always=True):
    xs = [ss.tensor(a.astype(np.float64), requires_grad=True) for a in inputs]
    assert ss.gradcheck(fn, xs)
    if always or GRADGRAD_BY_DEFAULT:
        xs = [ss.tensor(a.astype(np.float64), requires_grad=True) for a in inputs]
        assert ss.autograd.gradgradcheck(fn, xs)


# ----------------------------------------------------------------------------- pointwise
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_op(reduction):
    check_op(
        lambda y, t: F.l1_loss(y, t, reduction),
        lambda y, t: TF.l1_loss(y, t, reduction=reduction),
        lambda y, t: _np_reduce(np.abs(y - t), reduction),
        [(3, 4), (3, 4)],
        # torch's second derivative of |d| (zero) is a ZeroTensor that optest cannot read;
        # gradgradcheck still checks ours (zero) against central differences
        torch_gradgrad=False,
    )


@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_loss_op(beta):
    def np_fn(y, t):
        d = np.abs(y - t)
        return (np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta) if beta else d).mean()

    check_op(
        lambda y, t: F.smooth_l1_loss(y, t, beta=beta),
        lambda y, t: TF.smooth_l1_loss(y, t, beta=beta),
        np_fn,
        [(4, 5), (4, 5)],
        ranges=[(-2, 2), (-0.3, 0.3)],
        torch_gradgrad=beta != 0,  # beta = 0 is the L1 loss: torch gives a ZeroTensor
    )


@pytest.mark.parametrize("delta", [1.0, 0.7])
def test_huber_loss_op(delta):
    def np_fn(y, t):
        d = np.abs(y - t)
        return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)).sum()

    check_op(
        lambda y, t: F.huber_loss(y, t, "sum", delta),
        lambda y, t: TF.huber_loss(y, t, "sum", delta),
        np_fn,
        [(4, 5), (4, 5)],
        ranges=[(-2, 2), (-0.3, 0.3)],
    )


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "mean", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_op(reduction, log_target):
    def np_fn(x, t):
        per = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
        if reduction == "batchmean":
            return per.sum() / x.shape[0]
        return _np_reduce(per, reduction)

    check_op(
        lambda x, t: F.kl_div(x, t, reduction, log_target),
        lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target),
        np_fn,
        [(3, 4), (3, 4)],
        ranges=[(-3, -0.1), (-3, -0.1) if log_target else (0.05, 1.0)],
    )


def test_kl_div_zero_target_and_constant_target():
    x = ss.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    t = np.array([[0.0, 0.5, 0.5]], np.float32)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    y = F.kl_div(x, t, reduction="sum")  # a constant target (NumPy): 0 log 0 = 0
    ty = TF.kl_div(tx, torch.tensor(t), reduction="sum")
    assert_close_to(y.numpy(), ty.detach().numpy(), "kl with a zero")
    y.backward()
    ty.backward()
    assert_close_to(x.grad.numpy(), tx.grad.numpy(), "kl gradient")
    with pytest.raises(ValueError, match="kl_div: reduction must be 'batchmean'"):
        F.kl_div(x, t, reduction="avg")


# ----------------------------------------------------------------------------- margin losses
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_loss_op(margin):
    t = np.array([1.0, -1.0, -1.0, 1.0])

    def np_fn(a, b, tt):
        cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
        return np.where(tt == 1, 1 - cos, np.maximum(cos - margin, 0)).mean()

    check_op(
        lambda a, b, tt: F.cosine_embedding_loss(a, b, tt, margin),
        lambda a, b, tt: TF.cosine_embedding_loss(a, b, tt, margin),
        np_fn,
        [(4, 3), (4, 3)],
        aux=[t],
    )


def test_cosine_embedding_loss_unbatched_and_errors():
    a, b = rand(5), rand(5, seed=1)
    y = F.cosine_embedding_loss(ss.tensor(a), ss.tensor(b), ss.tensor(-1.0), margin=-0.5)
    ty = TF.cosine_embedding_loss(torch.tensor(a), torch.tensor(b), torch.tensor(-1.0), -0.5)
    assert_close_to(y.numpy(), ty.numpy(), "unbatched")
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: expected target of shape \(4,\)"):
        F.cosine_embedding_loss(ss.zeros(4, 3), ss.zeros(4, 3), ss.ones(3))
    with pytest.raises(ValueError, match="same shape"):
        F.cosine_embedding_loss(ss.zeros(4, 3), ss.zeros(4, 2), ss.ones(4))


@pytest.mark.parametrize("p, swap", [(2, False), (2, True), (1, False), (3, True)])
def test_triplet_margin_loss_op(p, swap):
    def np_fn(a, pz, ng):
        def dist(u, v):
            return (np.abs(u - v + 1e-6) ** p).sum(-1) ** (1 / p)

        dan = dist(a, ng)
        if swap:
            dan = np.minimum(dan, dist(pz, ng))
        return np.maximum(dist(a, pz) - dan + 0.5, 0).mean()

    check_op(
        lambda a, pz, ng: F.triplet_margin_loss(a, pz, ng, 0.5, p, swap=swap),
        lambda a, pz, ng: TF.triplet_margin_loss(a, pz, ng, 0.5, p, swap=swap),
        np_fn,
        [(5, 3), (5, 3), (5, 3)],
        seed=3,
        torch_gradgrad=p != 1,  # the 1-norm's second derivative: a ZeroTensor in torch
    )


def test_margin_ranking_loss_op():
    t = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    check_op(
        lambda a, b, tt: F.margin_ranking_loss(a, b, tt, 0.2, "sum"),
        lambda a, b, tt: TF.margin_ranking_loss(a, b, tt, 0.2, reduction="sum"),
        lambda a, b, tt: np.maximum(-tt * (a - b) + 0.2, 0).sum(),
        [(5,), (5,)],
        aux=[t],
    )
    with pytest.raises(ValueError, match=r"margin_ranking_loss: expected target of shape \(5,\)"):
        F.margin_ranking_loss(ss.zeros(5), ss.zeros(5), ss.ones(4))


# ----------------------------------------------------------------------------- BCE weights
def test_bce_weight_op():
    w = np.array([0.5, 2.0, 1.0])
    check_op(
        lambda p, t, ww: F.binary_cross_entropy(p, t, weight=ww),
        lambda p, t, ww: TF.binary_cross_entropy(p, t, weight=ww.float()),
        lambda p, t, ww: (-(t * np.log(p) + (1 - t) * np.log(1 - p)) * ww).mean(),
        [(4, 3), (4, 3)],
        ranges=[(0.05, 0.95), (0.0, 1.0)],
        aux=[w],
        torch_grad=True,
    )


def test_bce_with_logits_weight_and_pos_weight_op():
    w = np.array([[0.5], [2.0], [1.0], [0.0]])
    pw = np.array([3.0, 0.5, 1.0])

    def np_fn(x, t, ww, pp):
        ls = np.log1p(np.exp(-x))  # -log σ(x)
        return (((1 - t) * x + (1 + (pp - 1) * t) * ls) * ww).sum()

    check_op(
        lambda x, t, ww, pp: F.binary_cross_entropy_with_logits(
            x, t, "sum", pos_weight=pp, weight=ww
        ),
        lambda x, t, ww, pp: TF.binary_cross_entropy_with_logits(
            x, t, weight=ww.float(), reduction="sum", pos_weight=pp.float()
        ),
        np_fn,
        [(4, 3), (4, 3)],
        ranges=[(-3, 3), (0.0, 1.0)],
        aux=[w, pw],
    )
    with pytest.raises(ValueError, match=r"weight of shape \(5,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(ss.zeros(4, 3), ss.zeros(4, 3), weight=np.ones(5))


# ----------------------------------------------------------------------------- loss layers
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_layers_against_torch(reduction):
    y, t = rand(4, 3), rand(4, 3, seed=1)
    compare_loss(ss.nn.L1Loss(reduction), torch.nn.L1Loss(reduction=reduction), [y, t])
    compare_loss(
        ss.nn.SmoothL1Loss(reduction, beta=0.5),
        torch.nn.SmoothL1Loss(reduction=reduction, beta=0.5),
        [y, t],
    )
    compare_loss(
        ss.nn.HuberLoss(reduction, delta=0.8),
        torch.nn.HuberLoss(reduction=reduction, delta=0.8),
        [y, t],
    )
    logq = np.log(rand(4, 3, low=0.1, high=1.0))
    p = rand(4, 3, seed=2, low=0.0, high=1.0)
    compare_loss(ss.nn.KLDivLoss(reduction), torch.nn.KLDivLoss(reduction=reduction), [logq, p])
    lab = np.array([1.0, -1.0, 1.0, -1.0], np.float32)
    compare_loss(
        ss.nn.CosineEmbeddingLoss(0.1, reduction),
        torch.nn.CosineEmbeddingLoss(0.1, reduction=reduction),
        [y, t],
        aux=[lab],
    )
    compare_loss(
        ss.nn.TripletMarginLoss(margin=2.0, reduction=reduction),
        torch.nn.TripletMarginLoss(margin=2.0, reduction=reduction),
        [y, t, rand(4, 3, seed=3)],
    )
    compare_loss(
        ss.nn.MarginRankingLoss(0.5, reduction),
        torch.nn.MarginRankingLoss(0.5, reduction=reduction),
        [y[:, 0], t[:, 0]],
        aux=[lab],
    )
    pr = rand(4, 3, seed=4, low=0.05, high=0.95)
    w = rand(3, seed=5, low=0.5, high=2.0)
    compare_loss(
        ss.nn.BCELoss(weight=w, reduction=reduction),
        torch.nn.BCELoss(weight=torch.tensor(w), reduction=reduction),
        [pr, p],
    )
    compare_loss(
        ss.nn.BCEWithLogitsLoss(w, reduction, pos_weight=w[::-1].copy()),
        torch.nn.BCEWithLogitsLoss(
            torch.tensor(w), reduction=reduction, pos_weight=torch.tensor(w[::-1].copy())
        ),
        [y, p],
    )


def test_kl_div_batchmean_layer():
    logq = np.log(rand(4, 3, low=0.1, high=1.0))
    p = rand(4, 3, seed=2, low=0.0, high=1.0)
    compare_loss(
        ss.nn.KLDivLoss("batchmean", log_target=True),
        torch.nn.KLDivLoss(reduction="batchmean", log_target=True),
        [logq, np.log(p)],
    )


def test_loss_layers_double_backward():
    y, t = rand(3, 2), rand(3, 2, seed=1)
    lab = np.array([1.0, -1.0, 1.0], np.float32)
    double_checks(ss.nn.L1Loss(), [y, t])
    double_checks(ss.nn.SmoothL1Loss(beta=0.7), [y, t])
    double_checks(ss.nn.HuberLoss(delta=0.7), [y, t])
    double_checks(lambda a, b: ss.nn.CosineEmbeddingLoss(-0.2)(a, b, ss.tensor(lab)), [y, t])
    double_checks(ss.nn.TripletMarginLoss(margin=3.0), [y, t, rand(3, 2, seed=2)])
    double_checks(
        lambda a, b: ss.nn.MarginRankingLoss(0.1)(a, b, ss.tensor(lab)), [y[:, 0], t[:, 0]]
    )
    p = rand(3, 2, seed=3, low=0.1, high=0.9)
    double_checks(lambda x: ss.nn.KLDivLoss("batchmean")(x, ss.tensor(p.astype(np.float64))), [y])
    # through primitives that get their graph-form backward in the double-backward work
    double_checks(ss.nn.KLDivLoss(log_target=True), [y, t], always=False)
    w = np.array([2.0, 0.5])
    double_checks(lambda a: ss.nn.BCELoss(weight=w)(a, ss.tensor(p)), [p], always=False)
    double_checks(
        lambda a: ss.nn.BCEWithLogitsLoss(pos_weight=w)(a, ss.tensor(p)), [y], always=False
    )


def test_loss_layers_repr_state_and_errors():
    assert repr(ss.nn.SmoothL1Loss(beta=0.5)) == "SmoothL1Loss(reduction='mean', beta=0.5)"
    assert repr(ss.nn.TripletMarginLoss()) == (
        "TripletMarginLoss(margin=1.0, p=2.0, eps=1e-06, swap=False, reduction='mean')"
    )
    m = ss.nn.BCEWithLogitsLoss(weight=[1.0, 2.0], pos_weight=[3.0, 1.0])
    tm = torch.nn.BCEWithLogitsLoss(torch.tensor([1.0, 2.0]), pos_weight=torch.tensor([3.0, 1.0]))
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight", "pos_weight"]
    assert m.to(np.float64).pos_weight.dtype == np.float64  # buffers move and cast
    assert list(ss.nn.BCELoss().state_dict()) == list(torch.nn.BCELoss().state_dict()) == []
    with pytest.raises(TypeError, match=r"pass the reduction by name: BCELoss\(reduction='sum'\)"):
        ss.nn.BCELoss("sum")
    with pytest.raises(ValueError, match="HuberLoss: delta must be positive"):
        ss.nn.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match="TripletMarginLoss: margin must be positive"):
        ss.nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be"):
        ss.nn.KLDivLoss("avg")
    with pytest.raises(ValueError, match=r"l1_loss: input has shape \(2,\) but target has shape"):
        ss.nn.L1Loss()(ss.zeros(2), ss.zeros(3))
    with pytest.raises(ValueError, match="triplet_margin_loss: expected anchor, positive"):
        ss.nn.TripletMarginLoss()(ss.zeros(2, 3), ss.zeros(2, 3), ss.zeros(2, 4))
