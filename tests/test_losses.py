"""Losses and accuracy: NumPy reference, float64 gradcheck, PyTorch, and bad-input errors."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import check_op

TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]
LABELS = np.array([0, 2, 1, 2, 0])
LABELS_IGN = np.array([0, -100, 1, 2, -100])


def _reduce(per, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](per)


def np_log_softmax(x, axis=1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


W3 = np.array([0.5, 2.0, 1.5])  # class weights for the C = 3 cases
W4 = np.array([1.5, 0.25, 3.0, 1.0])  # ... and for C = 4


def _per_position(a, c):
    """(N, C, d1, ...) -> (N·d1·..., C), positions in C order (as the labels' reshape(-1))."""
    return np.moveaxis(a, 1, -1).reshape(-1, c)


def np_cross_entropy(x, t, w=None, smoothing=0.0, reduction="mean", ignore_index=-100):
    """torch's definition for integer labels on (N, C, d...) logits:
    L_n = (1-ε) w[t_n] (-lsm[n, t_n]) + (ε/C) Σ_c w_c (-lsm[n, c]), 0 where ignored;
    "mean" divides Σ_n L_n by Σ_n w[t_n] over the counted positions."""
    c = x.shape[1]
    w = np.ones(c) if w is None else w
    lsm = _per_position(np_log_softmax(x), c)
    tt = t.reshape(-1)
    valid = tt != ignore_index
    tc = np.where(valid, tt, 0)
    wt = np.where(valid, w[tc], 0.0)
    per = (1 - smoothing) * wt * -lsm[np.arange(len(tc)), tc] - smoothing / c * (lsm @ w)
    per = np.where(valid, per, 0.0)
    return {"mean": per.sum() / wt.sum(), "sum": per.sum(), "none": per.reshape(t.shape)}[reduction]


def np_nll_loss(x, t, w=None, reduction="mean", ignore_index=-100):
    """torch's nll_loss on (N, C, d...): L_n = -w[t_n] x[n, t_n], 0 where ignored; "mean"
    divides Σ_n L_n by Σ_n w[t_n] over the counted positions."""
    c = x.shape[1]
    w = np.ones(c) if w is None else w
    xs, tt = _per_position(x, c), t.reshape(-1)
    valid = tt != ignore_index
    tc = np.where(valid, tt, 0)
    wt = np.where(valid, w[tc], 0.0)
    per = np.where(valid, -wt * xs[np.arange(len(tc)), tc], 0.0)
    return {"mean": per.sum() / wt.sum(), "sum": per.sum(), "none": per.reshape(t.shape)}[reduction]


# ----------------------------------------------------------------------------- regression


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), (), (2, 1, 3), (0, 3)], ids=str)
def test_mse(reduction, shape):
    if shape == (0, 3) and reduction == "mean":
        return  # the mean of nothing is NaN
    check_op(
        lambda y, t: F.mse_loss(y, t, reduction),
        lambda y, t: TF.mse_loss(y, t, reduction=reduction),
        lambda y, t: _reduce((y - t) ** 2, reduction),
        [shape, shape],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), (2, 3, 2), (1, 1)], ids=str)
def test_squared_error_half_norm(reduction, shape):
    # E = ½ Σ_n ‖y_n − d_n‖²; "mean" divides by the batch size N; "none" is per example
    def ref(y, d):
        per = 0.5 * ((y - d) ** 2).reshape(len(y), -1).sum(axis=1)
        return {"sum": per.sum(), "mean": per.sum() / len(y), "none": per}[reduction]

    check_op(lambda y, d: F.squared_error(y, d, reduction), None, ref, [shape, shape])


def test_squared_error_gradient_is_y_minus_d():
    y = ss.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True)
    d = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    F.squared_error(y, d).backward()
    np.testing.assert_array_equal(y.grad, y.numpy() - d)  # dE/dy = y - d
    assert F.squared_error(y, d).item() == pytest.approx(0.5 * (1 + 4 + 0.25 + 4))
    assert F.squared_error(ss.zeros(0, 3), ss.zeros(0, 3)).item() == 0.0


# ----------------------------------------------------------------------------- classification


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "labels,smoothing",
    [(LABELS, 0.0), (LABELS_IGN, 0.0), (LABELS, 0.2), (LABELS_IGN, 0.1), (LABELS, 1.0)],
    ids=["plain", "ignore", "smooth", "ignore+smooth", "smooth=1"],
)
def test_cross_entropy(labels, smoothing, reduction):
    def ref(x, t):
        lsm = np_log_softmax(x)
        valid = t != -100
        tc = np.where(valid, t, 0)
        per = -(1 - smoothing) * lsm[np.arange(len(x)), tc] - smoothing * lsm.mean(axis=1)
        per = np.where(valid, per, 0.0)
        return {"mean": per.sum() / valid.sum(), "sum": per.sum(), "none": per}[reduction]

    check_op(
        lambda x, t: F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
        lambda x, t: TF.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
        ref,
        [(5, 3)],
        aux=[labels],
    )


def test_cross_entropy_other_ignore_index_and_label_containers():
    labels = np.array([1, 7, 0, 7])
    for lab in (labels, labels.tolist(), ss.tensor(labels), labels.astype(np.int32)):
        check_op(
            lambda x, lab=lab: F.cross_entropy(x, lab, ignore_index=7),
            lambda x: TF.cross_entropy(x, torch.tensor(labels), ignore_index=7),
            None,
            [(4, 2)],
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_spatial(reduction, smoothing):
    lab = np.random.default_rng(0).integers(0, 4, (2, 3, 5))
    lab[0, 1, :2] = -100  # ignored positions
    check_op(
        lambda x, t: F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
        lambda x, t: TF.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
        None,
        [(2, 4, 3, 5)],
        aux=[lab],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)], ids=str)
def test_cross_entropy_soft_targets(shape, smoothing, reduction):
    c = shape[1]
    probs = np.random.default_rng(1).dirichlet(np.ones(c), size=(shape[0],) + shape[2:])
    probs = np.moveaxis(probs, -1, 1).copy()  # (N, C, ...)

    def ref(x):
        t = probs * (1 - smoothing) + smoothing / c
        return _reduce(-(t * np_log_softmax(x)).sum(axis=1), reduction)

    check_op(
        lambda x: F.cross_entropy(x, probs, reduction=reduction, label_smoothing=smoothing),
        lambda x: TF.cross_entropy(
            x, torch.tensor(probs, dtype=x.dtype), reduction=reduction, label_smoothing=smoothing
        ),
        ref,
        [shape],
    )


def test_cross_entropy_soft_targets_get_a_gradient_too():
    # both logits and target probabilities are differentiable (as in PyTorch)
    check_op(
        lambda x, t: F.cross_entropy(x, t),
        lambda x, t: TF.cross_entropy(x, t),
        lambda x, t: -(t * np_log_softmax(x)).sum(axis=1).mean(),
        [(4, 3), (4, 3)],
        ranges=[None, (0.0, 1.0)],
    )


def test_cross_entropy_equals_log_softmax_plus_nll():
    x = ss.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    a = F.cross_entropy(x, LABELS).item()
    b = F.nll_loss(F.log_softmax(x, axis=1), LABELS).item()
    assert a == pytest.approx(b, rel=1e-6)


def test_cross_entropy_when_every_label_is_ignored_is_nan_like_torch():
    x = ss.tensor(np.zeros((3, 2)), requires_grad=True)
    y = F.cross_entropy(x, [-100, -100, -100])
    assert np.isnan(y.item())
    assert np.isnan(TF.cross_entropy(torch.zeros(3, 2), torch.tensor([-100] * 3)).item())
    assert F.cross_entropy(x, [-100] * 3, reduction="sum").item() == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("labels", [LABELS, LABELS_IGN], ids=["plain", "ignore"])
def test_nll_loss(labels, reduction):
    def ref(x, t):
        valid = t != -100
        per = np.where(valid, -x[np.arange(len(x)), np.where(valid, t, 0)], 0.0)
        return {"mean": per.sum() / valid.sum(), "sum": per.sum(), "none": per}[reduction]

    check_op(
        lambda x, t: F.nll_loss(x, t, reduction=reduction),
        lambda x, t: TF.nll_loss(x, t, reduction=reduction),
        ref,
        [(5, 3)],
        aux=[labels],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (6,), (2, 1, 3)], ids=str)
def test_binary_cross_entropy(reduction, shape):
    def ref(p, t):
        return _reduce(-(t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)

    # gradients flow to both the probabilities and the target, as in PyTorch
    check_op(
        lambda p, t: F.binary_cross_entropy(p, t, reduction),
        lambda p, t: TF.binary_cross_entropy(p, t, reduction=reduction),
        ref,
        [shape, shape],
        ranges=[(0.05, 0.95), (0.0, 1.0)],
    )


def test_binary_cross_entropy_clamps_logs_like_pytorch():
    p = np.array([0.0, 1.0, 0.5, 1e-30], np.float32)
    t = np.array([1.0, 0.0, 1.0, 1.0], np.float32)
    x, tx = ss.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    ours, theirs = (
        F.binary_cross_entropy(x, t, "none"),
        TF.binary_cross_entropy(tx, torch.tensor(t), reduction="none"),
    )
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(ss.tensor([1.5]), ss.tensor([1.0]))


@pytest.mark.parametrize("pos_weight", [None, 2.5, "vector"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction, pos_weight):
    pw = np.array([0.5, 2.0, 3.0]) if pos_weight == "vector" else pos_weight  # (C,) broadcasts
    w = 1.0 if pw is None else pw

    def ref(x, t):
        ls = -np.log1p(np.exp(-x))  # log σ(x)
        l1s = -np.log1p(np.exp(x))  # log(1 - σ(x))
        return _reduce(-(w * t * ls + (1 - t) * l1s), reduction)

    def ss_fn(x, t):
        p = None if pw is None else (pw if np.isscalar(pw) else ss.tensor(pw, dtype=x.dtype))
        return F.binary_cross_entropy_with_logits(x, t, reduction, p)

    def t_fn(x, t):
        p = None if pw is None else torch.tensor(pw, dtype=x.dtype)
        return TF.binary_cross_entropy_with_logits(x, t, reduction=reduction, pos_weight=p)

    check_op(ss_fn, t_fn, ref, [(4, 3), (4, 3)], ranges=[(-4.0, 4.0), (0.0, 1.0)])


def test_bce_with_logits_pos_weight_array_keeps_the_input_dtype():
    x = ss.tensor(np.zeros((2, 2), np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, np.ones((2, 2)), pos_weight=np.array([2.0, 3.0]))
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32


def test_bce_with_logits_is_stable_and_accurate_in_the_tails():
    x = ss.tensor([-1000.0, 1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ss.tensor([1.0, 0.0]), "none")
    np.testing.assert_allclose(loss.numpy(), [1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [-1.0, 1.0])
    # confident and right: the loss is tiny but must keep its relative precision (log1p)
    a = np.array([20.0, 30.0, -25.0, 15.0], np.float32)
    t = np.array([1.0, 1.0, 0.0, 1.0], np.float32)
    ours = F.binary_cross_entropy_with_logits(ss.tensor(a), t, "none").numpy()
    theirs = TF.binary_cross_entropy_with_logits(
        torch.tensor(a), torch.tensor(t), reduction="none"
    ).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert ours[0] > 0


def test_losses_on_the_composites_agree_with_the_fused_forms():
    rng = np.random.default_rng(5)
    x = ss.tensor(rng.standard_normal((6, 4)))
    t = rng.uniform(0, 1, (6, 4))
    fused = F.binary_cross_entropy_with_logits(x, t).item()
    composite = F.binary_cross_entropy(F.sigmoid(x), t).item()
    assert fused == pytest.approx(composite, rel=1e-10)


EMPTY_CASES = [
    (
        "cross_entropy",
        (0, 3),
        lambda x, r: F.cross_entropy(x, np.zeros(0, np.int64), reduction=r),
        lambda x, r: TF.cross_entropy(x, torch.zeros(0, dtype=torch.long), reduction=r),
    ),
    (
        "cross_entropy_ncd",
        (2, 3, 0),
        lambda x, r: F.cross_entropy(x, np.zeros((2, 0), np.int64), reduction=r),
        lambda x, r: TF.cross_entropy(x, torch.zeros(2, 0, dtype=torch.long), reduction=r),
    ),
    (
        "cross_entropy_soft",
        (0, 3),
        lambda x, r: F.cross_entropy(x, np.zeros((0, 3)), reduction=r),
        lambda x, r: TF.cross_entropy(x, torch.zeros(0, 3), reduction=r),
    ),
    (
        "nll_loss",
        (0, 3),
        lambda x, r: F.nll_loss(x, np.zeros(0, np.int64), reduction=r),
        lambda x, r: TF.nll_loss(x, torch.zeros(0, dtype=torch.long), reduction=r),
    ),
    (
        "bce",
        (0, 3),
        lambda x, r: F.binary_cross_entropy(F.sigmoid(x), np.zeros((0, 3)), r),
        lambda x, r: TF.binary_cross_entropy(torch.sigmoid(x), torch.zeros(0, 3), reduction=r),
    ),
    (
        "bce_logits",
        (0, 3),
        lambda x, r: F.binary_cross_entropy_with_logits(x, np.zeros((0, 3)), r),
        lambda x, r: TF.binary_cross_entropy_with_logits(x, torch.zeros(0, 3), reduction=r),
    ),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,shape,ss_fn,t_fn", EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_losses_of_an_empty_batch_follow_torch(name, shape, ss_fn, t_fn, reduction):
    # "sum" is 0, "none" is empty and "mean" is NaN (0 / 0), as in PyTorch
    x, tx = (
        ss.tensor(np.zeros(shape, np.float32), requires_grad=True),
        torch.zeros(shape, requires_grad=True),
    )
    y, ty = ss_fn(x, reduction), t_fn(tx, reduction)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad.shape == shape


def test_accuracy():
    y = ss.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert F.accuracy(y, ss.tensor([1, 0, 0])) == pytest.approx(2 / 3)
    assert isinstance(F.accuracy(y, [1, 0, 1]), float) and F.accuracy(y, [1, 0, 1]) == 1.0
    assert F.accuracy(ss.tensor([1, 1]), [1, 0]) == 0.5  # predicted labels
    assert F.accuracy(y, [1, -1, -1], ignore_index=-1) == 1.0
    assert F.accuracy(np.zeros((2, 3, 4)), np.zeros((2, 4), np.int64)) == 1.0  # (N, C, d)
    x = ss.tensor(np.random.default_rng(0).standard_normal((8, 5)))
    lab = np.random.default_rng(1).integers(0, 5, 8)
    ref = (torch.tensor(x.numpy()).argmax(1) == torch.tensor(lab)).float().mean().item()
    assert F.accuracy(x, lab) == pytest.approx(ref)
    with pytest.raises(ValueError, match=r"predictions of shape \(3, 2\) do not fit labels \(2,\)"):
        F.accuracy(y, [1, 0])


# ----------------------------------------------------------------------------- class weights


def _tw(w, x):
    """Class weights for torch, in the logits' dtype."""
    return None if w is None else torch.tensor(w, dtype=x.dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "labels,smoothing",
    [(LABELS, 0.0), (LABELS_IGN, 0.0), (LABELS, 0.1), (LABELS_IGN, 0.1)],
    ids=["plain", "ignore", "smooth", "ignore+smooth"],
)
def test_cross_entropy_weighted(labels, smoothing, reduction):
    check_op(
        lambda x, t: F.cross_entropy(
            x, t, weight=W3, reduction=reduction, label_smoothing=smoothing
        ),
        lambda x, t: TF.cross_entropy(
            x, t, weight=_tw(W3, x), reduction=reduction, label_smoothing=smoothing
        ),
        lambda x, t: np_cross_entropy(x, t, W3, smoothing, reduction),
        [(5, 3)],
        aux=[labels],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_cross_entropy_spatial_against_numpy(weighted, smoothing, reduction):
    # (N, C, d1, d2) logits with (N, d1, d2) labels, some positions ignored
    w = W4 if weighted else None
    lab = np.random.default_rng(2).integers(0, 4, (2, 3, 5))
    lab[1, 0, 1:4] = -100
    check_op(
        lambda x, t: F.cross_entropy(
            x, t, weight=w, reduction=reduction, label_smoothing=smoothing
        ),
        lambda x, t: TF.cross_entropy(
            x, t, weight=_tw(w, x), reduction=reduction, label_smoothing=smoothing
        ),
        lambda x, t: np_cross_entropy(x, t, w, smoothing, reduction),
        [(2, 4, 3, 5)],
        aux=[lab],
    )


def test_cross_entropy_weighted_other_ignore_index():
    lab = np.array([1, 7, 0, 7, 2])
    check_op(
        lambda x, t: F.cross_entropy(x, t, weight=W3, ignore_index=7, label_smoothing=0.1),
        lambda x, t: TF.cross_entropy(x, t, weight=_tw(W3, x), ignore_index=7, label_smoothing=0.1),
        lambda x, t: np_cross_entropy(x, t, W3, 0.1, "mean", ignore_index=7),
        [(5, 3)],
        aux=[lab],
    )


def test_cross_entropy_weighted_mean_divides_by_the_weights_of_the_labels():
    # two examples, labels 0 and 2, weights 1 and 3: mean = (L_0 + 3 L_1) / (1 + 3), not / 2
    x = ss.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    w = [1.0, 1.0, 3.0]
    per = F.cross_entropy(x, [0, 2], reduction="none").numpy()
    weighted = F.cross_entropy(x, [0, 2], weight=w, reduction="none").numpy()
    np.testing.assert_allclose(weighted, [per[0], 3 * per[1]], rtol=1e-6)
    mean = F.cross_entropy(x, [0, 2], weight=w).item()
    assert mean == pytest.approx((per[0] + 3 * per[1]) / 4, rel=1e-6)
    assert F.cross_entropy(x, [0, 2], weight=w, reduction="sum").item() == pytest.approx(
        per[0] + 3 * per[1], rel=1e-6
    )
    # ignored examples count neither in the sum nor in the denominator
    assert F.cross_entropy(x, [0, -100], weight=w).item() == pytest.approx(per[0], rel=1e-6)
    # all ignored: 0 / 0 is NaN as in torch, with a zero gradient; the sum is 0
    xg = ss.tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    y = F.cross_entropy(xg, [-100, -100], weight=w)
    ty = TF.cross_entropy(torch.zeros(2, 3), torch.tensor([-100, -100]), weight=torch.tensor(w))
    assert np.isnan(y.item()) and np.isnan(ty.item())
    y.backward()
    np.testing.assert_array_equal(xg.grad, np.zeros((2, 3), np.float32))
    assert F.cross_entropy(xg, [-100, -100], weight=w, reduction="sum").item() == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)], ids=str)
def test_cross_entropy_weighted_soft_targets(shape, smoothing, reduction):
    # torch: L_n = -Σ_c w_c t'_c log p_c with t' = (1-ε) t + ε/C; "mean" divides by N·d...
    c = shape[1]
    probs = np.random.default_rng(3).dirichlet(np.ones(c), size=(shape[0],) + shape[2:])
    probs = np.moveaxis(probs, -1, 1).copy()  # (N, C, ...)
    wb = W3.reshape((1, c) + (1,) * (len(shape) - 2))

    def ref(x):
        t = probs * (1 - smoothing) + smoothing / c
        return _reduce(-(wb * t * np_log_softmax(x)).sum(axis=1), reduction)

    check_op(
        lambda x: F.cross_entropy(
            x, probs, weight=W3, reduction=reduction, label_smoothing=smoothing
        ),
        lambda x: TF.cross_entropy(
            x,
            torch.tensor(probs, dtype=x.dtype),
            weight=_tw(W3, x),
            reduction=reduction,
            label_smoothing=smoothing,
        ),
        ref,
        [shape],
    )


def test_cross_entropy_weighted_soft_targets_get_a_gradient_too():
    check_op(
        lambda x, t: F.cross_entropy(x, t, weight=W3),
        lambda x, t: TF.cross_entropy(x, t, weight=_tw(W3, x)),
        lambda x, t: -(W3 * t * np_log_softmax(x)).sum(axis=1).mean(),
        [(4, 3), (4, 3)],
        ranges=[None, (0.0, 1.0)],
    )


def test_class_weights_may_be_a_list_array_or_tensor_and_take_the_input_dtype():
    rng = np.random.default_rng(4)
    xa = rng.standard_normal((6, 3)).astype(np.float32)
    lab = np.array([0, 1, 2, 2, -100, 1])
    tx = torch.tensor(xa, requires_grad=True)
    ref = TF.cross_entropy(tx, torch.tensor(lab), weight=torch.tensor(W3, dtype=torch.float32))
    ref.backward()
    wt = ss.tensor(W3, requires_grad=True)  # float64 and requiring grad: used as a constant
    for w in (W3, W3.tolist(), W3.astype(np.float32), wt, ss.tensor(W3, dtype=np.float32)):
        x = ss.tensor(xa, requires_grad=True)
        y = F.cross_entropy(x, lab, weight=w)
        y.backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
        np.testing.assert_allclose(y.item(), ref.item(), rtol=1e-5)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-7)
        xn = ss.tensor(xa.astype(np.float64))
        assert F.nll_loss(F.log_softmax(xn, axis=1), lab, weight=w).dtype == np.float64
    assert wt.grad is None  # no gradient reaches the class weights


def _unweighted_fused_reference(x, t, eps, reduction, gy):
    """The fused op's arithmetic from before class weights existed, kept verbatim in NumPy:
    weight=None must still give exactly these bits (forward and gradient)."""
    n, c = x.shape
    lsm = x - np.amax(x, axis=1, keepdims=True)
    lsm -= np.log(np.exp(lsm).sum(axis=1, keepdims=True))
    valid = t != -100
    tc = np.where(valid, t, 0)
    nll = -lsm[np.arange(n), tc]
    if eps:
        nll = (1 - eps) * nll - (eps / c) * lsm.sum(axis=1)
    nll = np.where(valid, nll, 0).astype(x.dtype, copy=False)
    count = int(valid.sum())
    out = {"none": nll, "sum": nll.sum(), "mean": nll.sum() / count}[reduction]
    g = np.exp(lsm)
    g[np.arange(n), tc] -= 1 - eps
    if eps:
        g -= eps / c
    scale = gy / max(count, 1) if reduction == "mean" else gy
    g *= (scale * valid)[:, None].astype(g.dtype, copy=False)
    return out, g


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weight_none_is_bit_identical_to_the_unweighted_path(dtype, smoothing, reduction):
    rng = np.random.default_rng(6)
    xa = rng.standard_normal((7, 4)).astype(dtype)
    lab = np.array([0, 3, -100, 1, 2, -100, 3])
    gy = np.asarray(rng.standard_normal(7 if reduction == "none" else ()), dtype)
    want_y, want_g = _unweighted_fused_reference(xa, lab, smoothing, reduction, gy)
    for kw in ({}, {"weight": None}):
        x = ss.tensor(xa, requires_grad=True)
        y = F.cross_entropy(x, lab, reduction=reduction, label_smoothing=smoothing, **kw)
        y.backward(gy)
        np.testing.assert_array_equal(y.numpy(), want_y)
        np.testing.assert_array_equal(x.grad, want_g)
    # the spatial path reshapes onto the same fused op: same bits as the flattened (N·d, C)
    xs = rng.standard_normal((2, 4, 3)).astype(dtype)
    ls = np.array([[0, -100, 3], [1, 2, 2]])
    y = F.cross_entropy(xs, ls, weight=None, reduction=reduction, label_smoothing=smoothing)
    flat = np.moveaxis(xs, 1, -1).reshape(-1, 4)
    gflat = np.asarray(np.ones(6) if reduction == "none" else 1.0, dtype)
    want_y, _ = _unweighted_fused_reference(flat, ls.reshape(-1), smoothing, reduction, gflat)
    np.testing.assert_array_equal(
        y.numpy().reshape(-1) if reduction == "none" else y.numpy(), want_y
    )
    # weights of 1 give the unweighted values (up to rounding: other arithmetic)
    x1, x2 = ss.tensor(xa, requires_grad=True), ss.tensor(xa, requires_grad=True)
    a = F.cross_entropy(x1, lab, reduction=reduction, label_smoothing=smoothing)
    b = F.cross_entropy(x2, lab, np.ones(4), reduction=reduction, label_smoothing=smoothing)
    a.backward(gy)
    b.backward(gy)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x2.grad, x1.grad, rtol=tol, atol=tol)


def test_nll_loss_weight_none_is_bit_identical_to_the_unweighted_path():
    xa = np_log_softmax(np.random.default_rng(7).standard_normal((6, 3))).astype(np.float32)
    lab = np.array([2, -100, 0, 1, 1, 0])
    valid = lab != -100
    per = np.where(valid, -xa[np.arange(6), np.where(valid, lab, 0)], 0).astype(np.float32)
    for reduction, want in [("none", per), ("sum", per.sum()), ("mean", per.sum() / 5)]:
        for kw in ({}, {"weight": None}):
            y = F.nll_loss(xa, lab, reduction=reduction, **kw)
            np.testing.assert_array_equal(y.numpy(), want)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("labels", [LABELS, LABELS_IGN], ids=["plain", "ignore"])
def test_nll_loss_weighted(labels, reduction):
    check_op(
        lambda x, t: F.nll_loss(x, t, weight=W3, reduction=reduction),
        lambda x, t: TF.nll_loss(x, t, weight=_tw(W3, x), reduction=reduction),
        lambda x, t: np_nll_loss(x, t, W3, reduction),
        [(5, 3)],
        aux=[labels],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", [(2, 4, 5), (2, 4, 3, 2)], ids=str)
def test_nll_loss_per_position(shape, weighted, reduction):
    # (N, C, d1, ...) log-probabilities with (N, d1, ...) labels, some ignored
    w = W4 if weighted else None
    lab = np.random.default_rng(8).integers(0, 4, (shape[0],) + shape[2:])
    lab.flat[[1, 4]] = -100
    check_op(
        lambda x, t: F.nll_loss(x, t, weight=w, reduction=reduction),
        lambda x, t: TF.nll_loss(x, t, weight=_tw(w, x), reduction=reduction),
        lambda x, t: np_nll_loss(x, t, w, reduction),
        [shape],
        aux=[lab],
    )


def test_cross_entropy_equals_log_softmax_plus_nll_per_position_with_weights():
    x = ss.tensor(np.random.default_rng(9).standard_normal((3, 4, 2, 5)))
    lab = np.random.default_rng(10).integers(0, 4, (3, 2, 5))
    lab[0, 0, 0] = -100
    a = F.cross_entropy(x, lab, weight=W4).item()
    b = F.nll_loss(F.log_softmax(x, axis=1), lab, weight=W4).item()
    assert a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "case",
    [
        ("cross_entropy", (0, 3), (0,)),
        ("cross_entropy", (2, 3, 0), (2, 0)),
        ("nll_loss", (0, 3), (0,)),
        ("nll_loss", (2, 3, 0), (2, 0)),
    ],
    ids=["ce", "ce_ncd", "nll", "nll_ncd"],
)
def test_weighted_losses_of_an_empty_batch_follow_torch(case, reduction):
    name, shape, tshape = case
    x, tx = (
        ss.tensor(np.zeros(shape, np.float32), requires_grad=True),
        torch.zeros(shape, requires_grad=True),
    )
    y = getattr(F, name)(x, np.zeros(tshape, np.int64), weight=W3, reduction=reduction)
    ty = getattr(TF, name)(
        tx, torch.zeros(tshape, dtype=torch.long), weight=_tw(W3, tx), reduction=reduction
    )
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad.shape == shape


def test_weight_of_the_wrong_shape_names_the_loss_and_both_shapes():
    x = ss.zeros(4, 3)
    lab = np.zeros(4, np.int64)
    for w, got in [([1.0, 2.0], r"\(2,\)"), (np.ones((3, 1)), r"\(3, 1\)"), (2.0, r"\(\)")]:
        msg = rf"weight must be 1-D with one entry per class: expected shape \(3,\), got {got}"
        with pytest.raises(ValueError, match=r"cross_entropy: " + msg):
            F.cross_entropy(x, lab, weight=w)
        with pytest.raises(ValueError, match=r"cross_entropy: " + msg):
            F.cross_entropy(x, np.full((4, 3), 1 / 3), weight=w)  # soft targets
        with pytest.raises(ValueError, match=r"nll_loss: " + msg):
            F.nll_loss(x, lab, weight=w)
    with pytest.raises(ValueError, match=r"cross_entropy: .*expected shape \(4,\), got \(3,\)"):
        F.cross_entropy(ss.zeros(2, 4, 5), np.zeros((2, 5), np.int64), weight=W3)
    with pytest.raises(ValueError, match=r"nll_loss: .*expected shape \(4,\), got \(3,\)"):
        F.nll_loss(ss.zeros(2, 4, 5), np.zeros((2, 5), np.int64), weight=ss.tensor(W3))


def test_loss_layers_with_class_weights():
    rng = np.random.default_rng(11)
    x = ss.tensor(rng.standard_normal((6, 3)).astype(np.float32))
    lab = np.array([0, 1, 2, 7, 1, 2])
    ce = ss.nn.CrossEntropyLoss(W3.tolist(), ignore_index=7, label_smoothing=0.1)
    want = F.cross_entropy(x, lab, W3, ignore_index=7, label_smoothing=0.1).item()
    assert ce(x, lab).item() == pytest.approx(want, rel=1e-6)
    tce = torch.nn.CrossEntropyLoss(
        torch.tensor(W3, dtype=torch.float32), ignore_index=7, label_smoothing=0.1
    )
    assert ce(x, lab).item() == pytest.approx(
        tce(torch.tensor(x.numpy()), torch.tensor(lab)).item(), rel=1e-5
    )
    assert repr(ce) == (
        "CrossEntropyLoss(weight=[0.5, 2. , 1.5], reduction='mean', ignore_index=7, "
        "label_smoothing=0.1)"
    )
    nll = ss.nn.NLLLoss(weight=W3, reduction="sum")
    lp = F.log_softmax(x, axis=1)
    assert nll(lp, lab.clip(0, 2)).item() == pytest.approx(
        F.nll_loss(lp, lab.clip(0, 2), W3, reduction="sum").item(), rel=1e-6
    )
    assert repr(nll) == "NLLLoss(weight=[0.5, 2. , 1.5], reduction='sum')"
    assert repr(ss.nn.NLLLoss()) == "NLLLoss(reduction='mean')"
    # the weight is a buffer, as in torch: saved in state_dict, cast and moved with .to()
    assert list(ce.state_dict()) == ["weight"] and list(ss.nn.CrossEntropyLoss().state_dict()) == []
    np.testing.assert_array_equal(nll.state_dict()["weight"], W3)
    ce.to(np.float64)
    assert ce.weight.dtype == np.float64
    assert ce(x.astype(np.float64), lab).dtype == np.float64
    assert ss.nn.CrossEntropyLoss([1, 2, 3]).weight.dtype == np.float32  # ints become floats
    with pytest.raises(ValueError, match=r"NLLLoss: weight must be 1-D .*got shape \(2, 3\)"):
        ss.nn.NLLLoss(np.ones((2, 3)))


# ----------------------------------------------------------------------------- bad input


def test_loss_shape_mismatch_errors_name_the_loss_and_shapes():
    x = ss.zeros(32, 10)
    for name, f in [
        ("mse_loss", F.mse_loss),
        ("squared_error", F.squared_error),
        ("binary_cross_entropy", F.binary_cross_entropy),
        ("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits),
    ]:
        with pytest.raises(
            ValueError,
            match=rf"{name}: input has shape \(32, 10\) but target has shape \(32,\)",
        ):
            f(x, ss.zeros(32))
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: expected target of shape \(32,\) "
        r"for input \(32, 10\), got \(32, 1\)",
    ):
        F.cross_entropy(x, np.zeros((32, 1), np.int64))
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: expected target of shape \(2, 5\) for input \(2, 4, 5\), got \(2,\)",
    ):
        F.cross_entropy(ss.zeros(2, 4, 5), np.zeros(2, np.int64))
    with pytest.raises(
        ValueError,
        match=r"nll_loss: expected target of shape \(32,\) for input \(32, 10\), got \(31,\)",
    ):
        F.nll_loss(x, np.zeros(31, np.int64))
    with pytest.raises(ValueError, match=r"cross_entropy: expected logits of shape \(N, C\)"):
        F.cross_entropy(ss.zeros(10), 3)
    with pytest.raises(
        ValueError,
        match=r"nll_loss: expected log-probabilities of shape \(N, C\) or \(N, C, d1, \.\.\.\), "
        r"got \(3,\)",
    ):
        F.nll_loss(ss.zeros(3), np.zeros((), np.int64))
    with pytest.raises(
        ValueError,
        match=r"nll_loss: expected target of shape \(2, 4\) for input \(2, 3, 4\), got \(2,\)",
    ):
        F.nll_loss(ss.zeros(2, 3, 4), np.zeros(2, np.int64))


def test_label_dtype_errors():
    x = ss.zeros(32, 10)
    # nll_loss has no soft-label mode: float labels are a mistake
    with pytest.raises(
        TypeError,
        match=r"nll_loss: target must hold integer class labels, got dtype float32 "
        r"\(convert with \.astype\('int64'\)\)",
    ):
        F.nll_loss(x, np.zeros(32, np.float32))
    with pytest.raises(TypeError, match=r"nll_loss: target must hold integer class labels"):
        F.nll_loss(x, ss.tensor(np.zeros(32)))
    with pytest.raises(TypeError, match=r"cross_entropy: target must hold integer class labels"):
        F.cross_entropy(x, np.zeros(32, bool))
    # cross_entropy reads float targets as class probabilities: they must be shaped like x
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: input has shape \(32, 10\) but target has shape \(32,\)",
    ):
        F.cross_entropy(x, np.zeros(32, np.float32))
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: input has shape \(32, 10\) but target has shape \(32, 3\)",
    ):
        F.cross_entropy(x, np.zeros((32, 3), np.float32))
    with pytest.raises(TypeError, match=r"cross_entropy: input must be floating point"):
        F.cross_entropy(ss.tensor(np.zeros((2, 3), np.int64)), [0, 1])
    with pytest.raises(TypeError, match=r"mse_loss: input must be floating point"):
        F.mse_loss(ss.tensor([1, 2]), ss.tensor([1, 2]))


def test_label_out_of_range_names_the_label_and_class_count():
    x = ss.zeros(32, 10)
    with pytest.raises(
        ValueError, match=r"cross_entropy: label 10 is out of range for 10 classes \[0, 10\)"
    ):
        F.cross_entropy(x, np.full(32, 10))
    with pytest.raises(ValueError, match=r"nll_loss: label -3 is out of range for 10 classes"):
        F.nll_loss(x, np.full(32, -3))
    lab = np.zeros((2, 5), np.int64)
    lab[1, 3] = 4
    with pytest.raises(ValueError, match=r"cross_entropy: label 4 is out of range for 4 classes"):
        F.cross_entropy(ss.zeros(2, 4, 5), lab)
    # ignore_index is not a label; labels beside it are still checked
    F.cross_entropy(x, np.full(32, -100))
    with pytest.raises(ValueError, match=r"label 12 is out of range for 10 classes"):
        F.cross_entropy(x, np.array([-100] * 31 + [12]))
    with pytest.raises(ValueError, match=r"label -100 is out of range"):
        F.cross_entropy(x, np.full(32, -100), ignore_index=0)


def test_bad_reduction_and_smoothing():
    x = ss.zeros(4, 3)
    for call in [
        lambda: F.cross_entropy(x, np.zeros(4, np.int64), reduction="avg"),
        lambda: F.nll_loss(x, np.zeros(4, np.int64), reduction="avg"),
        lambda: F.mse_loss(x, x, reduction="avg"),
        lambda: F.squared_error(x, x, reduction="avg"),
        lambda: F.binary_cross_entropy_with_logits(x, x, reduction="avg"),
    ]:
        with pytest.raises(
            ValueError, match=r"reduction must be 'mean', 'sum' or 'none', got 'avg'"
        ):
            call()
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        F.cross_entropy(x, np.zeros(4, np.int64), label_smoothing=1.5)
