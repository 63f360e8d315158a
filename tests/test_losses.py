"""Losses and accuracy: NumPy reference, float64 gradcheck, PyTorch, and bad-input errors."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import check_op

TF = torch.nn.functional
LABELS = np.array([0, 2, 1, 2, 0])
LABELS_IGN = np.array([0, -100, 1, 2, -100])


def np_log_softmax(x, axis=1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse(reduction):
    red = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    check_op(
        lambda y, t: F.mse_loss(y, t, reduction),
        [(4, 3), (4, 3)],
        lambda y, t: red((y - t) ** 2),
        lambda y, t: TF.mse_loss(y, t, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_squared_error_half_norm(reduction):
    def ref(y, d):
        per = 0.5 * ((y - d) ** 2).reshape(len(y), -1).sum(axis=1)
        return {"sum": per.sum(), "mean": per.sum() / len(y), "none": per}[reduction]

    check_op(lambda y, d: F.squared_error(y, d, reduction), [(4, 3), (4, 3)], ref)
    y = ss.tensor([[1.0, 2.0]], requires_grad=True)
    F.squared_error(y, ss.tensor([[0.0, 0.0]])).backward()
    np.testing.assert_array_equal(y.grad, [[1.0, 2.0]])  # dE/dy = y - d


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "labels,smoothing", [(LABELS, 0.0), (LABELS_IGN, 0.0), (LABELS, 0.2), (LABELS_IGN, 0.1)]
)
def test_cross_entropy(labels, smoothing, reduction):
    def ref(x):
        lsm = np_log_softmax(x)
        valid = labels != -100
        t = np.where(valid, labels, 0)
        per = -(1 - smoothing) * lsm[np.arange(len(x)), t] - smoothing * lsm.mean(axis=1)
        per = np.where(valid, per, 0.0)
        return {"mean": per.sum() / valid.sum(), "sum": per.sum(), "none": per}[reduction]

    check_op(
        lambda x: F.cross_entropy(x, labels, reduction=reduction, label_smoothing=smoothing),
        [(5, 3)],
        ref,
        lambda x: TF.cross_entropy(
            x, torch.tensor(labels), reduction=reduction, label_smoothing=smoothing
        ),
    )


def test_cross_entropy_spatial_and_soft_targets():
    lab = np.random.default_rng(0).integers(0, 4, (2, 3, 5))
    check_op(
        lambda x: F.cross_entropy(x, lab),
        [(2, 4, 3, 5)],
        None,
        lambda x: TF.cross_entropy(x, torch.tensor(lab)),
    )
    check_op(
        lambda x: F.cross_entropy(x, lab, reduction="none"),
        [(2, 4, 3, 5)],
        None,
        lambda x: TF.cross_entropy(x, torch.tensor(lab), reduction="none"),
    )
    probs = np.random.default_rng(1).dirichlet(np.ones(3), size=5)
    check_op(
        lambda x: F.cross_entropy(x, probs),
        [(5, 3)],
        lambda x: -(probs * np_log_softmax(x)).sum(axis=1).mean(),
        lambda x: TF.cross_entropy(x, torch.tensor(probs, dtype=torch.float32)),
    )


def test_cross_entropy_equals_log_softmax_plus_nll():
    x = ss.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    a = F.cross_entropy(x, LABELS).item()
    b = F.nll_loss(F.log_softmax(x, axis=1), LABELS).item()
    assert a == pytest.approx(b, rel=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("labels", [LABELS, LABELS_IGN])
def test_nll_loss(labels, reduction):
    check_op(
        lambda x: F.nll_loss(x, labels, reduction=reduction),
        [(5, 3)],
        None,
        lambda x: TF.nll_loss(x, torch.tensor(labels), reduction=reduction),
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction):
    t = np.random.default_rng(3).uniform(0, 1, (4, 3))

    def ref(p):
        per = -(t * np.log(p) + (1 - t) * np.log(1 - p))
        return {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]

    check_op(
        lambda p: F.binary_cross_entropy(p, t, reduction),
        [(4, 3)],
        ref,
        lambda p: TF.binary_cross_entropy(p, torch.tensor(t, dtype=p.dtype), reduction=reduction),
        ranges=[(0.05, 0.95)],
    )


def test_binary_cross_entropy_clamps_logs_like_pytorch():
    p = np.array([0.0, 1.0, 0.5], np.float32)
    t = np.array([1.0, 0.0, 1.0], np.float32)
    ours = F.binary_cross_entropy(ss.tensor(p), ss.tensor(t), "none").numpy()
    theirs = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(ss.tensor([1.5]), ss.tensor([1.0]))


@pytest.mark.parametrize("pos_weight", [None, 2.5])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_with_logits(reduction, pos_weight):
    t = np.random.default_rng(4).uniform(0, 1, (4, 3))
    w = 1.0 if pos_weight is None else pos_weight

    def ref(x):
        ls = -np.log1p(np.exp(-x))  # log σ(x)
        l1s = -np.log1p(np.exp(x))  # log(1 - σ(x))
        per = -(w * t * ls + (1 - t) * l1s)
        return {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]

    pw = None if pos_weight is None else torch.tensor(pos_weight)
    check_op(
        lambda x: F.binary_cross_entropy_with_logits(x, t, reduction, pos_weight),
        [(4, 3)],
        ref,
        lambda x: TF.binary_cross_entropy_with_logits(
            x, torch.tensor(t, dtype=x.dtype), reduction=reduction, pos_weight=pw
        ),
    )


def test_bce_with_logits_is_stable():
    x = ss.tensor([-1000.0, 1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ss.tensor([1.0, 0.0]), "none")
    np.testing.assert_allclose(loss.numpy(), [1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [-1.0, 1.0])


def test_accuracy():
    y = ss.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert F.accuracy(y, ss.tensor([1, 0, 0])) == pytest.approx(2 / 3)
    assert F.accuracy(ss.tensor([1, 1]), [1, 0]) == 0.5
    assert F.accuracy(y, [1, -1, -1], ignore_index=-1) == 1.0
    with pytest.raises(ValueError, match=r"predictions of shape \(3, 2\) do not fit labels \(2,\)"):
        F.accuracy(y, [1, 0])


def test_loss_errors_name_the_loss_and_shapes():
    x = ss.zeros(32, 10)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: expected target of shape \(32,\) "
        r"for input \(32, 10\), got \(32, 1\)",
    ):
        F.cross_entropy(x, np.zeros((32, 1), np.int64))
    with pytest.raises(ValueError, match=r"cross_entropy: label 10 is out of range for 10 classes"):
        F.cross_entropy(x, np.full(32, 10))
    with pytest.raises(ValueError, match=r"nll_loss: label -3 is out of range"):
        F.nll_loss(x, np.full(32, -3))
    with pytest.raises(
        TypeError,
        match=r"nll_loss: target must hold integer class labels, got "
        r"dtype float32",
    ):
        F.nll_loss(x, np.zeros(32, np.float32))
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: input has shape \(32, 10\) but target "
        r"has shape \(32, 3\)",
    ):
        F.cross_entropy(x, np.zeros((32, 3), np.float32))
    with pytest.raises(
        ValueError,
        match=r"mse_loss: input has shape \(32, 10\) but target has "
        r"shape \(32,\)",
    ):
        F.mse_loss(x, ss.zeros(32))
    with pytest.raises(TypeError, match=r"cross_entropy: input must be floating point"):
        F.cross_entropy(ss.tensor(np.zeros((2, 3), np.int64)), [0, 1])
    with pytest.raises(ValueError, match=r"reduction must be 'mean', 'sum' or 'none'"):
        F.cross_entropy(x, np.zeros(32, np.int64), reduction="avg")
