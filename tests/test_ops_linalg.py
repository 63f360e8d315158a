"""bmm, outer, einsum, tril/triu, norm, normalize, cosine_similarity: NumPy reference,
float64 gradcheck, PyTorch parity and double backward (``check_op``)."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import assert_close_to, check_op, check_second_derivatives

INF = float("inf")


def test_bmm():
    check_op(ss.bmm, torch.bmm, np.matmul, [(3, 2, 4), (3, 4, 5)], gradgrad=True)
    check_op(ss.bmm, torch.bmm, np.matmul, [(2, 0, 3), (2, 3, 1)], gradgrad=True)
    with pytest.raises(ValueError, match="bmm: expected two 3-D"):
        ss.bmm(ss.ones(2, 3), ss.ones(3, 2))
    with pytest.raises(ValueError, match=r"bmm: shapes \(2, 2, 3\) and \(3, 3, 2\)"):
        ss.bmm(ss.ones(2, 2, 3), ss.ones(3, 3, 2))


def test_outer():
    check_op(ss.outer, torch.outer, np.outer, [(3,), (4,)], gradgrad=True)
    check_op(lambda a, b: a.outer(b), torch.outer, np.outer, [(1,), (0,)], gradgrad=True)
    with pytest.raises(ValueError, match="outer: expected two 1-D"):
        ss.outer(ss.ones(2, 2), ss.ones(2))


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->", [(4, 4)]),  # trace
    ("ii", [(4, 4)]),  # trace, implicit
    ("ii->i", [(4, 4)]),  # diagonal
    ("iji->j", [(3, 2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]),  # implicit: sorted letters transpose
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),  # ellipsis with broadcasting
    ("...ij,...jk", [(5, 2, 3), (1, 3, 4)]),
    ("...i->...", [(2, 3, 4)]),
    ("i...->...", [(3, 2)]),
    ("bhid,bhjd->bhij", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),  # size-1 broadcasting
    ("Ab,bC->AC", [(2, 3), (3, 2)]),
    ("i->", [(0,)]),
    ("ii,i->i", [(3, 3), (3,)]),  # a diagonal times a vector
    ("bii->b", [(2, 3, 3)]),  # batched trace
    ("ij,j->i", [(2, 3), (3,)]),
    ("i,i->", [(4,), (4,)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("...,...->...", [(2, 3), (3,)]),  # elementwise product through the ellipsis
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum(eq, shapes):
    check_op(
        lambda *xs: ss.einsum(eq, *xs),
        lambda *xs: torch.einsum(eq, *xs),
        lambda *xs: np.einsum(eq, *xs),
        shapes,
        gradgrad=True,
    )


def test_einsum_forms_and_backward_is_einsum():
    a, b = ss.randn(2, 3), ss.randn(3, 4)
    np.testing.assert_allclose(ss.einsum("ij,jk", [a, b]).numpy(), (a @ b).numpy(), rtol=1e-5)
    x = ss.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    y = ss.einsum("ii->", x)
    assert y.item() == 12.0
    v = ss.tensor(2.0, dtype="float64", requires_grad=True)
    (g,) = ss.autograd.grad(y, [x], v, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), 2 * np.eye(3))  # d trace / dx = I
    assert type(g.grad_fn).__name__ == "Einsum"  # the graph backward is einsum again
    (gv,) = ss.autograd.grad(g.sum(), [v])
    assert gv.item() == 3.0
    # integers beside floats take the float dtype
    assert ss.einsum("i,i->", ss.tensor([1, 2]), ss.tensor([0.5, 0.5])).item() == 1.5


@pytest.mark.parametrize(
    "eq,shapes,match",
    [
        ("ij,jk->ik", [(2, 3)], "has 2 operand"),
        ("ij->ik", [(2, 3)], "output subscript 'k' is not in any operand"),
        ("ij->ii", [(2, 2)], "appears more than once"),
        ("ijk->i", [(2, 3)], "name 3 dimensions"),
        ("ij,jk->ik", [(2, 3), (4, 5)], "subscript 'j' has size 3"),
        ("i1->i", [(2, 3)], "must be letters"),
        ("..i->i", [(2, 3)], "malformed ellipsis"),
    ],
)
def test_einsum_errors(eq, shapes, match):
    with pytest.raises(ValueError, match="einsum: .*" + match):
        ss.einsum(eq, *[ss.ones(*s) for s in shapes])


@pytest.mark.parametrize("k", [0, 1, -1, 3, -5])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 4, 3)], ids=str)
def test_tril_triu(shape, k):
    check_op(
        lambda x: ss.tril(x, k),
        lambda x: torch.tril(x, k),
        lambda x: np.tril(x, k),
        [shape],
        gradgrad=True,
    )
    check_op(
        lambda x: x.triu(k),
        lambda x: torch.triu(x, k),
        lambda x: np.triu(x, k),
        [shape],
        gradgrad=True,
    )


def test_tril_errors_and_ints():
    assert ss.tril(ss.tensor([[1, 2], [3, 4]])).tolist() == [[1, 0], [3, 4]]
    with pytest.raises(ValueError, match="tril: expected a tensor with at least 2"):
        ss.tril(ss.ones(3))
    with pytest.raises(TypeError, match="triu: diagonal must be an int"):
        ss.triu(ss.ones(3, 3), 0.5)


def _np_norm(p, dim, keepdim):
    def f(x):
        a = np.abs(x)
        if p in ("fro", 2):
            r = np.sqrt((a**2).sum(axis=dim, keepdims=keepdim))
        elif p == INF:
            r = a.max(axis=dim, keepdims=keepdim)
        elif p == -INF:
            r = a.min(axis=dim, keepdims=keepdim)
        elif p == 0:
            r = (x != 0).sum(axis=dim, keepdims=keepdim).astype(x.dtype)
        else:
            r = (a**p).sum(axis=dim, keepdims=keepdim) ** (1 / p)
        return r

    return f


NORMS = [
    ("fro", None, False),
    (2, 1, False),
    (2, (0, 1), True),
    (1, 0, False),
    (INF, 1, True),
    (-INF, None, False),
    (0, 1, False),
    (3, 1, False),
    (1.5, -1, False),
    (0.5, 1, False),
    (4, None, True),
    (-1, 1, False),
]


@pytest.mark.parametrize("p,dim,keepdim", NORMS, ids=str)
def test_norm(p, dim, keepdim):
    kinks = [0.0] if p in (1, INF, -INF, 0.5, -1) else ()
    # for p = 1, ±inf the gradient is piecewise constant: PyTorch returns its second
    # derivative as a ZeroTensor that cannot be read out, so only gradgradcheck (which
    # also checks ours is 0) runs
    check_op(
        lambda x: ss.norm(x, p, dim, keepdim),
        lambda x: torch.norm(x, p, dim, keepdim),
        _np_norm(p, dim, keepdim),
        [(3, 4)],
        kinks=kinks,
        margin=0.05,
        distinct=p in (INF, -INF),
        gradgrad=True,
        torch_gradgrad=p not in (1, INF, -INF),
    )


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 1.5, 0.5, INF, -INF, 0], ids=str)
def test_norm_subgradient_at_zero_like_torch(p):
    # row 0 is all zeros (norm 0), row 1 has one zero element and a tie for the max |x|
    x = np.array([[0.0, 0.0, 0.0], [0.0, -2.0, 2.0], [1.0, -0.5, 0.25]])
    xs, xt = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ss.norm(xs, p, 1), torch.norm(xt, p, 1)
    assert_close_to(y.numpy(), ty.detach().numpy(), "forward")
    g = np.array([1.0, -2.0, 0.5])
    y.backward(g)
    if ty.requires_grad:  # torch's 0-"norm" (a count) records no graph at all
        ty.backward(torch.tensor(g))
    tg = np.zeros_like(x) if xt.grad is None else xt.grad.numpy()
    assert_close_to(xs.grad.numpy(), tg, "gradient at 0 vs PyTorch")
    f_ss = lambda a: ss.norm(a, p, 1)  # noqa: E731
    f_t = lambda a: torch.norm(a, p, 1)  # noqa: E731
    if p in (2, "fro", 3):
        # second derivatives away from the zero-norm row (PyTorch's are NaN there: 0 · inf
        # inside its formula; ours are 0, the derivative of its subgradient 0 there)
        check_second_derivatives(f_ss, f_t, [x[1:]])
    if p in (2, "fro", 1, INF, -INF, 0):
        # piecewise-constant cases (and p = 2 on the zero row): the second derivative is 0
        xs = ss.tensor(x[:1] if p in (2, "fro") else x, requires_grad=True)
        v = ss.tensor(np.ones(xs.shape[0]), requires_grad=True)
        (g,) = ss.autograd.grad(f_ss(xs), [xs], v, create_graph=True)
        if g.requires_grad:
            (h,) = ss.autograd.grad((g * g).sum(), [xs], allow_unused=True)
            assert h is None or not np.any(h.numpy())


def test_norm_method_and_errors():
    x = ss.tensor([[3.0, 4.0]])
    assert x.norm().item() == 5.0 and x.norm(dim=1, keepdim=True).shape == (1, 1)
    assert ss.norm(x, axis=1, keepdims=True).shape == (1, 1)
    with pytest.raises(ValueError, match="norm: p must be"):
        ss.norm(x, "abc")
    with pytest.raises(NotImplementedError, match="nuc"):
        ss.norm(x, "nuc")
    with pytest.raises(TypeError, match="norm: expected a floating-point"):
        ss.norm(ss.tensor([1, 2]))


@pytest.mark.parametrize(
    "p,dim,shape", [(2, 1, (3, 4)), (1, 0, (3, 4)), (2, -1, (2, 3, 4)), (3, 1, (2, 5))], ids=str
)
def test_normalize(p, dim, shape):
    def np_fn(x):
        n = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
        return x / np.maximum(n, 1e-12)

    check_op(
        lambda x: F.normalize(x, p, dim),
        lambda x: torch.nn.functional.normalize(x, p, dim),
        np_fn,
        [shape],
        kinks=[0.0] if p == 1 else (),
        margin=0.05,
        gradgrad=True,
    )


def test_normalize_zero_vector_and_eps():
    x = np.array([[0.0, 0.0], [3e-13, 4e-13], [3.0, 4.0]])
    xs, xt = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.normalize(xs, eps=1e-12)
    ty = torch.nn.functional.normalize(xt, eps=1e-12)
    assert_close_to(y.numpy(), ty.detach().numpy(), "forward")
    g = np.array([[1.0, 2.0], [0.5, -1.0], [1.0, 1.0]])
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_close_to(xs.grad.numpy(), xt.grad.numpy(), "gradient vs PyTorch")
    check_second_derivatives(
        lambda a: F.normalize(a, eps=1e-12),
        lambda a: torch.nn.functional.normalize(a, eps=1e-12),
        [x[1:]],
    )


@pytest.mark.parametrize(
    "shapes,dim",
    [([(3, 4), (3, 4)], 1), ([(2, 3, 4), (3, 4)], -1), ([(5, 1), (1, 4)], 0)],
    ids=str,
)
def test_cosine_similarity(shapes, dim):
    def np_fn(a, b):
        a, b = np.broadcast_arrays(a, b)
        na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), 1e-8)
        nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), 1e-8)
        return ((a / na) * (b / nb)).sum(dim)

    check_op(
        lambda a, b: F.cosine_similarity(a, b, dim),
        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim),
        np_fn,
        shapes,
        gradgrad=True,
    )


def test_cosine_similarity_zero_vector_like_torch():
    a = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]])
    sa, sb = ss.tensor(a, requires_grad=True), ss.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, ty = F.cosine_similarity(sa, sb), torch.cosine_similarity(ta, tb)
    assert_close_to(y.numpy(), ty.detach().numpy(), "forward")
    y.sum().backward()
    ty.sum().backward()
    assert_close_to(sa.grad.numpy(), ta.grad.numpy(), "gradient of x1")
    assert_close_to(sb.grad.numpy(), tb.grad.numpy(), "gradient of x2")
