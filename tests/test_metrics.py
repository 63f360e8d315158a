"""shinsou.metrics against scikit-learn: ROC, DET and precision-recall curves and their areas
(random and tied scores), the errors, and PCA (with an MNIST reconstruction check)."""

import re

import numpy as np
import pytest
import sklearn.decomposition as sk_decomposition
import sklearn.metrics as sk_metrics

import shinsou as ss
from shinsou import metrics


def _data(kind, n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]  # both classes always
    if kind == "random":
        s = rng.normal(size=n) + 0.8 * y
    elif kind == "tied":  # few distinct values: many ties, within and across classes
        s = rng.integers(0, 5, n).astype(np.float64) + (y * rng.integers(0, 2, n))
    else:  # all equal
        s = np.full(n, 0.25)
    return y, s


KINDS = ["random", "tied", "constant"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve_matches_sklearn(kind, drop):
    y, s = _data(kind)
    got = metrics.roc_curve(y, s, drop_intermediate=drop)
    want = sk_metrics.roc_curve(y, s, drop_intermediate=drop)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert got[2][0] == np.inf


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_score_matches_sklearn_and_mann_whitney(kind, seed):
    y, s = _data(kind, seed=seed)
    got = metrics.roc_auc_score(y, s)
    assert abs(got - sk_metrics.roc_auc_score(y, s)) < 1e-12
    # Mann-Whitney U by brute force over all (positive, negative) pairs
    sp, sn = s[y == 1][:, None], s[y == 0][None, :]
    u = np.sum(sp > sn) + 0.5 * np.sum(sp == sn)
    assert got == u / (sp.size * sn.size)
    fpr, tpr, _ = metrics.roc_curve(y, s)
    assert abs(metrics.auc(fpr, tpr) - got) < 1e-12


def test_roc_auc_known_values():
    assert metrics.roc_auc_score([0, 0, 1, 1], [0.0, 1.0, 2.0, 3.0]) == 1.0
    assert metrics.roc_auc_score([0, 0, 1, 1], [3.0, 2.0, 1.0, 0.0]) == 0.0
    assert metrics.roc_auc_score([1, 0, 1, 0], [1.0, 1.0, 1.0, 1.0]) == 0.5
    # labels -1/1, booleans and pos_label
    assert metrics.roc_auc_score([-1, 1, 1], [0.1, 0.9, 0.2]) == 1.0
    assert metrics.roc_auc_score(np.array([False, True, True]), [0.1, 0.9, 0.2]) == 1.0
    assert metrics.roc_auc_score(["cat", "dog", "dog"], [0.1, 0.9, 0.2], pos_label="cat") == 0.0


def test_tensors_accepted():
    y, s = _data("random")
    want = sk_metrics.roc_auc_score(y, s)
    got = metrics.roc_auc_score(ss.tensor(y), ss.tensor(s, requires_grad=True))
    assert abs(got - want) < 1e-12


def test_pca_accepts_tensors_and_float32():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(20, 5)).astype(np.float32)
    ours = metrics.PCA(2).fit(ss.tensor(X))
    ref = sk_decomposition.PCA(2, svd_solver="full").fit(X)
    assert ours.components_.dtype == np.float32
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-5)
    # float32 projections: 2.3e-5 apart on an AVX2-only CPU (its LAPACK/BLAS kernels sum in
    # another order), within 1e-5 on an AVX-512 one
    np.testing.assert_allclose(ours.transform(ss.tensor(X)), ref.transform(X), atol=1e-4)


def test_auc_matches_sklearn():
    rng = np.random.default_rng(3)
    x = np.sort(rng.random(9))
    y = rng.random(9)
    assert abs(metrics.auc(x, y) - sk_metrics.auc(x, y)) < 1e-12
    assert abs(metrics.auc(x[::-1], y[::-1]) - sk_metrics.auc(x, y)) < 1e-12
    assert metrics.auc([0, 1], [1, 1]) == 1.0


@pytest.mark.parametrize("kind", KINDS)
def test_precision_recall_matches_sklearn(kind):
    y, s = _data(kind)
    got = metrics.precision_recall_curve(y, s)
    want = sk_metrics.precision_recall_curve(y, s)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-15)
        assert g.shape == w.shape
    ap = metrics.average_precision_score(y, s)
    assert abs(ap - sk_metrics.average_precision_score(y, s)) < 1e-12


@pytest.mark.parametrize("kind", KINDS + ["top_negative"])
@pytest.mark.parametrize("drop", [False, True])
def test_det_curve_matches_sklearn(kind, drop):
    if kind == "top_negative":  # the highest score is a negative: the +inf threshold stays
        y, s = np.array([0, 1, 0, 1, 1]), np.array([0.9, 0.8, 0.3, 0.3, 0.1])
    else:
        y, s = _data(kind)
    got = metrics.det_curve(y, s, drop_intermediate=drop)
    want = sk_metrics.det_curve(y, s, drop_intermediate=drop)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-15)
        assert g.shape == w.shape


@pytest.mark.parametrize(
    "fn",
    [
        metrics.roc_curve,
        metrics.roc_auc_score,
        metrics.precision_recall_curve,
        metrics.average_precision_score,
        metrics.det_curve,
    ],
)
def test_errors(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=f"{name}: needs labels of exactly two classes"):
        fn([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=f"{name}: labels and scores differ in length: 3 labels"):
        fn([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match=f"{name}: scores must be finite, got nan at index 1"):
        fn([0, 1, 1], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match=f"{name}: expected 1-D"):
        fn([[0, 1]], [[0.1, 0.2]])
    with pytest.raises(ValueError, match=f"{name}: labels are \\[1, 2\\].*pos_label"):
        fn([1, 2, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=f"{name}: pos_label=5 is not among"):
        fn([0, 1, 1], [0.1, 0.2, 0.3], pos_label=5)


def test_auc_errors():
    with pytest.raises(ValueError, match="auc: x is neither increasing nor decreasing"):
        metrics.auc([0, 1, 0.5], [0, 1, 1])
    with pytest.raises(ValueError, match="auc: needs at least 2 points"):
        metrics.auc([0.5], [1.0])
    with pytest.raises(ValueError, match="auc: expected x and y of one shape"):
        metrics.auc([0, 1], [0, 1, 1])


# ---------------------------------------------------------------- PCA


@pytest.mark.parametrize("shape,k", [((40, 7), 3), ((6, 10), 4), ((30, 5), None)])
def test_pca_matches_sklearn(shape, k):
    rng = np.random.default_rng(0)
    X = rng.normal(size=shape) @ rng.normal(size=(shape[1], shape[1])) + 3.0
    ours = metrics.PCA(k).fit(X)
    ref = sk_decomposition.PCA(k, svd_solver="full").fit(X)
    # the axes agree up to sign; with svd_flip's convention, exactly
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(ref.components_), atol=1e-10)
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-10)
    np.testing.assert_allclose(ours.mean_, ref.mean_, atol=1e-12)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-10
    )
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-10)
    Xn = rng.normal(size=(5, shape[1]))
    np.testing.assert_allclose(ours.transform(Xn), ref.transform(Xn), atol=1e-10)
    Z = ours.fit_transform(X)
    np.testing.assert_allclose(Z, ref.transform(X), atol=1e-10)
    np.testing.assert_allclose(ours.inverse_transform(Z), ref.inverse_transform(Z), atol=1e-10)
    assert ours.n_components_ == ref.n_components_


def test_pca_fraction_of_variance_matches_sklearn():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 8)) * np.arange(1, 9)
    ours = metrics.PCA(0.9).fit(X)
    ref = sk_decomposition.PCA(0.9, svd_solver="full").fit(X)
    assert ours.n_components_ == ref.n_components_
    assert ours.explained_variance_ratio_.sum() >= 0.9


def test_pca_reconstruction_error_formula():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(25, 6))
    pca = metrics.PCA(2).fit(X)
    diff = X - pca.inverse_transform(pca.transform(X))
    assert pca.reconstruction_error(X) == pytest.approx(np.mean(np.sum(diff**2, axis=1)))
    # the error of the centred data is the variance left out, times (N - 1) / N
    full = metrics.PCA().fit(X)
    left = full.explained_variance_[2:].sum() * (len(X) - 1) / len(X)
    assert pca.reconstruction_error(X) == pytest.approx(left, rel=1e-10)
    assert full.reconstruction_error(X) < 1e-20


def test_pca_errors():
    with pytest.raises(ValueError, match="PCA: n_components must be"):
        metrics.PCA(0)
    with pytest.raises(ValueError, match="PCA: n_components must be"):
        metrics.PCA(1.5)
    with pytest.raises(RuntimeError, match="PCA.transform: call fit"):
        metrics.PCA(2).transform(np.zeros((3, 4)))
    shape = re.escape("PCA.fit: expected X of shape (N, D), got (3, 2, 2)")
    with pytest.raises(ValueError, match=shape):
        metrics.PCA(2).fit(np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match="PCA.fit: n_components=5 is more than min"):
        metrics.PCA(5).fit(np.ones((4, 3)))
    pca = metrics.PCA(2).fit(np.random.default_rng(0).normal(size=(6, 4)))
    shape = re.escape("PCA.transform: expected X of shape (N, 4), got (2, 3)")
    with pytest.raises(ValueError, match=shape):
        pca.transform(np.zeros((2, 3)))
    shape = re.escape("PCA.inverse_transform: expected codes of shape (N, 2)")
    with pytest.raises(ValueError, match=shape):
        pca.inverse_transform(np.zeros((2, 3)))


def test_pca_mnist_reconstruction():
    images, _ = ss.datasets.load_mnist("train", download=False)
    # (2000, 784) in [0, 1]; float32 keeps the SVD quick (PCA works in the data's precision)
    X = images[:2000].reshape(2000, -1).astype(np.float32) / 255.0
    e30 = metrics.PCA(30).fit(X).reconstruction_error(X)
    e2 = metrics.PCA(2).fit(X).reconstruction_error(X)
    # PCA-30 on MNIST leaves about 13.4 per image here (the paper: 13.87 on the test set),
    # PCA-2 about 43
    assert 11.0 < e30 < 16.0
    assert e30 < 0.4 * e2


# ---------------------------------------------------------------- pictures

PNG = b"\x89PNG\r\n\x1a\n"


def test_probit_and_equal_error_rate():
    from statistics import NormalDist

    from shinsou.viz.detection import _equal_error_rate

    p = np.array([0.001, 0.2, 0.5, 0.9])
    assert np.allclose(ss.viz.probit(p), [NormalDist().inv_cdf(v) for v in p], atol=1e-12)
    # fpr falls 1 -> 0, fnr rises 0 -> 1 with a crossing at 0.3 between points 1 and 2
    fpr, fnr = np.array([1.0, 0.4, 0.2, 0.0]), np.array([0.0, 0.2, 0.4, 1.0])
    assert _equal_error_rate(fpr, fnr) == pytest.approx(0.3)
    # a perfect detector: both rates reach 0 together
    fpr, fnr, _ = metrics.det_curve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert _equal_error_rate(fpr, fnr) == 0.0


def test_pictures_are_written(tmp_path):
    y, s = _data("random", n=200)
    y2, s2 = _data("tied", n=200, seed=1)
    curves = {"random scores": (y, s), "tied scores": (y2, s2)}
    paths = [
        ss.viz.plot_roc(curves, tmp_path / "roc.png", title="ROC of two detectors"),
        ss.viz.plot_det(curves, tmp_path / "det.png"),
    ]
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 30)
    codes = rng.normal(size=(300, 2)) + 4 * np.c_[np.cos(labels), np.sin(labels)]
    paths.append(ss.viz.plot_embedding_2d(codes, labels, tmp_path / "codes.png"))
    paths.append(
        ss.viz.plot_embedding_2d(
            ss.tensor(codes), labels, tmp_path / "n.png", class_names="abcdefghij", max_points=50
        )
    )
    for p in paths:
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 1000
    with pytest.raises(ValueError, match="plot_roc: expected a non-empty dict"):
        ss.viz.plot_roc({}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="plot_det: curves\\['a'\\] should be a pair"):
        ss.viz.plot_det({"a": (y,)}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="plot_roc: needs labels of exactly two classes|roc_curve"):
        ss.viz.plot_roc({"a": (np.ones(4), np.arange(4.0))}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="plot_embedding_2d: expected codes of shape \\(N, 2\\)"):
        ss.viz.plot_embedding_2d(np.zeros((4, 3)), np.zeros(4), tmp_path / "x.png")
    with pytest.raises(ValueError, match="plot_embedding_2d: expected labels of shape \\(4,\\)"):
        ss.viz.plot_embedding_2d(np.zeros((4, 2)), np.zeros(5), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
