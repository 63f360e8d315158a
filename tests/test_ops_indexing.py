"""Indexing ops (gather, scatter, index_select, masked ops, nonzero, one_hot, embedding):
NumPy reference, float64 gradcheck, PyTorch parity and double backward."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import check_op, check_second_derivatives

TF = torch.nn.functional


def np_gather(x, dim, index):
    """Reference by loops: y[i] = x[i with i_dim <- index[i]]."""
    y = np.empty(index.shape, dtype=x.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        y[pos] = x[tuple(src)]
    return y


def np_scatter(x, dim, index, src, add=False):
    y = x.copy()
    for pos in np.ndindex(*index.shape):
        dst = list(pos)
        dst[dim] = index[pos]
        v = src[pos] if isinstance(src, np.ndarray) else src
        if add:
            y[tuple(dst)] += v
        else:
            y[tuple(dst)] = v
    return y


def _index(shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


def _unique_index(shape, dim, size, seed=0):
    """Indices with no repeats along ``dim`` (so scatter's result is well defined)."""
    rng = np.random.default_rng(seed)
    moved = (shape[dim],) + tuple(n for d, n in enumerate(shape) if d != dim)
    out = np.empty(moved, np.int64)
    for pos in np.ndindex(*moved[1:]):
        out[(slice(None),) + pos] = rng.permutation(size)[: shape[dim]]
    return np.moveaxis(out, 0, dim)


GATHER = [
    ((3, 4), 0, (2, 4)),
    ((3, 4), 1, (3, 6)),  # repeats: gradients add up
    ((3, 4), -1, (2, 3)),  # index smaller than x outside dim
    ((2, 3, 4), 1, (2, 5, 4)),
    ((2, 3, 4), 2, (1, 2, 1)),
    ((3, 4), 0, (0, 4)),  # empty
    ((5,), 0, (7,)),
]


@pytest.mark.parametrize("shape,dim,ishape", GATHER, ids=str)
def test_gather(shape, dim, ishape):
    idx = _index(ishape, shape[dim])
    check_op(
        lambda x, i: F.gather(x, dim, i),
        lambda x, i: torch.gather(x, dim, i),
        lambda x, i: np_gather(x, dim, i),
        [shape],
        aux=[idx],
    )


def test_gather_method_and_scalar():
    check_op(
        lambda x, i: x.gather(0, i), lambda x, i: x.gather(0, i), None, [()], aux=[np.array(0)]
    )
    x = ss.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert F.gather(x, 1, [[1], [0]]).tolist() == [[2.0], [3.0]]  # a list is an index too


@pytest.mark.parametrize(
    "shape,dim,ishape,sshape",
    [
        ((4, 3), 0, (2, 3), (2, 3)),
        ((4, 3), 1, (4, 2), (4, 2)),
        ((4, 3), -2, (3, 2), (5, 3)),  # src larger than index: only its corner is used
        ((2, 3, 4), 2, (2, 2, 3), (2, 3, 3)),
        ((3, 2), 0, (0, 2), (1, 2)),
    ],
    ids=str,
)
def test_scatter(shape, dim, ishape, sshape):
    idx = _unique_index(ishape, dim % len(shape), shape[dim])
    check_op(
        lambda x, s, i: F.scatter(x, dim, i, s),
        lambda x, s, i: torch.scatter(x, dim, i, s),
        lambda x, s, i: np_scatter(x, dim % len(shape), i, s),
        [shape, sshape],
        aux=[idx],
        # PyTorch 2.13's backward fails when src is larger than index (its gradient comes
        # out in index's shape): forward against PyTorch, gradients by central differences
        torch_grad=sshape == ishape,
    )


def test_scatter_a_number():
    idx = _unique_index((2, 3), 0, 4)
    check_op(
        lambda x, i: F.scatter(x, 0, i, 2.5),
        lambda x, i: torch.scatter(x, 0, i, 2.5),
        lambda x, i: np_scatter(x, 0, i, 2.5),
        [(4, 3)],
        aux=[idx],
    )
    check_op(
        lambda x, i: x.scatter(1, i, value=-1.0),
        lambda x, i: x.scatter(1, i, -1.0),
        lambda x, i: np_scatter(x, 1, i, -1.0),
        [(2, 3)],
        aux=[np.array([[2], [0]])],
    )


@pytest.mark.parametrize(
    "shape,dim,ishape,sshape",
    [
        ((4, 3), 0, (6, 3), (6, 3)),  # repeated targets add up
        ((4, 3), 1, (4, 5), (4, 5)),
        ((4, 3), -1, (2, 2), (3, 4)),
        ((2, 3, 4), 1, (2, 5, 4), (2, 5, 4)),
        ((5,), 0, (0,), (2,)),
    ],
    ids=str,
)
def test_scatter_add(shape, dim, ishape, sshape):
    idx = _index(ishape, shape[dim], seed=3)
    check_op(
        lambda x, s, i: F.scatter_add(x, dim, i, s),
        lambda x, s, i: torch.scatter_add(x, dim, i, s),
        lambda x, s, i: np_scatter(x, dim % len(shape), i, s, add=True),
        [shape, sshape],
        aux=[idx],
        torch_grad=sshape == ishape,  # as in test_scatter: PyTorch's backward fails there
    )


def test_scatter_gradients_by_hand():
    x = ss.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = ss.tensor([10.0, 20.0], requires_grad=True)
    y = F.scatter(x, 0, ss.tensor([2, 0]), s)
    assert y.tolist() == [20.0, 2.0, 10.0]
    (y * ss.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]  # overwritten positions get nothing
    assert s.grad.tolist() == [3.0, 1.0]
    x.grad = s.grad = None
    F.scatter_add(x, 0, ss.tensor([1, 1]), s).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0] and s.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "shape,dim,index",
    [
        ((4, 3), 0, [3, 0, 3]),
        ((4, 3), 1, [2]),
        ((2, 3, 4), -1, [0, 3, 3, 1, 0]),
        ((2, 3, 4), 1, []),
        ((5,), 0, 4),  # a 0-d index keeps the dimension, with size 1
        ((), 0, [0]),  # a 0-d input gives a 0-d result
    ],
    ids=str,
)
def test_index_select(shape, dim, index):
    idx = np.array(index, dtype=np.int64)
    check_op(
        lambda x, i: F.index_select(x, dim, i),
        lambda x, i: torch.index_select(x, dim, i),
        lambda x, i: np.take(x, i.reshape(-1), axis=dim) if x.ndim else x.copy(),
        [shape],
        aux=[idx],
    )


@pytest.mark.parametrize(
    "shape,mshape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((0, 2), (2,))]
)
def test_masked_fill(shape, mshape):
    mask = np.random.default_rng(1).random(mshape) < 0.5
    check_op(
        lambda x, m: F.masked_fill(x, m, -0.5),
        lambda x, m: x.masked_fill(m, -0.5),
        lambda x, m: np.where(m, -0.5, x),
        [shape],
        aux=[mask],
    )


def test_masked_fill_with_a_tensor_value_gets_its_gradient():
    mask = np.array([[True, False, True], [False, False, True]])
    check_op(
        lambda x, v, m: x.masked_fill(m, v),
        lambda x, v, m: x.masked_fill(m, v),
        lambda x, v, m: np.where(m, v, x),
        [(2, 3), ()],
        aux=[mask],
    )
    # a 0-d value that needs no gradient is used as a number
    y = F.masked_fill(ss.ones(2), ss.tensor([True, False]), ss.tensor(4.0))
    assert y.tolist() == [4.0, 1.0]


@pytest.mark.parametrize(
    "shape,mshape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (3, 4)), ((2, 3), (0, 1, 3))]
)
def test_masked_select(shape, mshape):
    mask = np.random.default_rng(2).random(mshape) < 0.5
    check_op(
        lambda x, m: F.masked_select(x, m),
        lambda x, m: torch.masked_select(x, m),
        lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
            np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))
        ],
        [shape],
        aux=[mask],
    )


@pytest.mark.parametrize(
    "a",
    [
        np.array([[0.0, 1.5], [-2.0, 0.0]]),
        np.array([0, 3, 0, 7]),
        np.array([[True, False, True]]),
        np.zeros((2, 0, 3)),
        np.array(5.0),
        np.array(0),
    ],
    ids=str,
)
def test_nonzero_where_argwhere(a):
    t = torch.from_numpy(a)
    y = F.nonzero(ss.tensor(a))
    assert y.dtype == np.int64 and y.requires_grad is False
    np.testing.assert_array_equal(y.numpy(), torch.nonzero(t).numpy())
    assert y.shape == tuple(torch.nonzero(t).shape)
    np.testing.assert_array_equal(ss.tensor(a).argwhere().numpy(), torch.argwhere(t).numpy())
    for ours in (ss.tensor(a).nonzero(as_tuple=True), ss.where(ss.tensor(a))):
        theirs = torch.nonzero(t, as_tuple=True)
        assert len(ours) == len(theirs)
        for o, th in zip(ours, theirs):
            assert o.dtype == np.int64
            np.testing.assert_array_equal(o.numpy(), th.numpy())


def test_nonzero_of_a_float_that_requires_grad_is_not_recorded():
    x = ss.tensor([0.0, 2.0], requires_grad=True)
    (i,) = ss.where(x > 1)
    assert i.tolist() == [1] and i.grad_fn is None
    assert x[ss.where(x > 1)].tolist() == [2.0]  # ready for indexing
    with pytest.raises(TypeError, match="where: give both a and b, or neither"):
        ss.where(x > 1, x)


@pytest.mark.parametrize(
    "t,n", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3), (4, 6), ([[0]], -1)], ids=str
)
def test_one_hot(t, n):
    a = np.array(t, dtype=np.int64)
    y = F.one_hot(ss.tensor(a), n)
    ref = TF.one_hot(torch.from_numpy(a), n).numpy()
    assert y.dtype == np.int64 and y.shape == ref.shape
    np.testing.assert_array_equal(y.numpy(), ref)


def _emb_index():
    return np.array([[4, 0, 1], [1, 1, 3]], dtype=np.int64)


@pytest.mark.parametrize("ishape", [(2, 3), (7,), (), (0, 2)], ids=str)
def test_embedding(ishape):
    idx = np.random.default_rng(4).integers(0, 5, size=ishape).astype(np.int64)
    check_op(
        lambda w, i: F.embedding(i, w),
        lambda w, i: TF.embedding(i, w),
        lambda w, i: w[i],
        [(5, 3)],
        aux=[idx],
        torch_grad=0 not in ishape,  # PyTorch's backward fails on an empty input
    )


@pytest.mark.parametrize("padding_idx", [1, -1, 0])
def test_embedding_padding_row_gets_no_gradient(padding_idx):
    # PyTorch leaves the padding row's gradient at zero although the row is read in forward:
    # a gradient by definition, not the derivative, so central differences do not apply to
    # it; compare with PyTorch to first and second order instead, and gradgradcheck (the
    # gradient is linear in the upstream gradient, consistently so).
    idx = _emb_index()
    w = np.random.default_rng(5).standard_normal((5, 3))

    def ours(wt):
        return F.embedding(ss.tensor(idx), wt, padding_idx=padding_idx)

    def theirs(wt):
        return TF.embedding(torch.from_numpy(idx), wt, padding_idx=padding_idx)

    x = ss.tensor(w.astype(np.float32), requires_grad=True)
    t = torch.tensor(w.astype(np.float32), requires_grad=True)
    np.testing.assert_array_equal(ours(x).numpy(), theirs(t).detach().numpy())
    g = np.random.default_rng(6).standard_normal((2, 3, 3)).astype(np.float32)
    ours(x).backward(g)
    theirs(t).backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert not x.grad.numpy()[padding_idx % 5].any()
    check_second_derivatives(ours, theirs, [w])
    ss.autograd.gradgradcheck(ours, [ss.tensor(w, requires_grad=True)])


def test_embedding_gradient_counts_repeats():
    w = ss.tensor(np.zeros((4, 2)), requires_grad=True)
    F.embedding(ss.tensor([1, 1, 3, 1]), w).sum().backward()
    assert w.grad.tolist() == [[0, 0], [3, 3], [0, 0], [1, 1]]


@pytest.mark.parametrize(
    "call,err,msg",
    [
        (
            lambda x: F.gather(x, 1, ss.tensor([[0, 3]])),
            IndexError,
            r"gather: index 3 is out of range for dim 1 with size 3",
        ),
        (
            lambda x: F.gather(x, 0, ss.tensor([[-1]])),
            IndexError,
            r"gather: index -1 is out of range for dim 0 with size 2",
        ),
        (
            lambda x: F.gather(x, 0, ss.tensor([0, 1])),
            ValueError,
            r"gather: index must have as many dimensions as the input: index \(2,\), input "
            r"\(2, 3\)",
        ),
        (
            lambda x: F.gather(x, 0, ss.tensor([[0, 1, 0, 1]])),
            ValueError,
            r"gather: index \(1, 4\) is larger than the input \(2, 3\) at dim 1",
        ),
        (
            lambda x: F.gather(x, 0, ss.tensor([[0.0]])),
            TypeError,
            r"gather: index must be an integer tensor, got dtype float32",
        ),
        (lambda x: F.gather(x, 2, ss.tensor([[0]])), ValueError, r"gather: axis 2 is out of"),
        (
            lambda x: F.scatter(x, 1, ss.tensor([[5]]), ss.ones(1, 1)),
            IndexError,
            r"scatter: index 5 is out of range for dim 1 with size 3",
        ),
        (
            lambda x: F.scatter(x, 1, ss.tensor([[0, 1]]), ss.ones(1, 1)),
            ValueError,
            r"scatter: index \(1, 2\) must be no larger than src \(1, 1\)",
        ),
        (
            lambda x: F.scatter(x, 1, ss.tensor([[0]]), ss.ones(1, 1, dtype="float64")),
            TypeError,
            r"scatter: src dtype float64 differs from the input's float32",
        ),
        (
            lambda x: F.scatter_add(x, 0, ss.tensor([[2]]), ss.ones(1, 1)),
            IndexError,
            r"scatter_add: index 2 is out of range for dim 0 with size 2",
        ),
        (
            lambda x: F.index_select(x, 1, ss.tensor([0, 3])),
            IndexError,
            r"index_select: index 3 is out of range for dim 1 with size 3",
        ),
        (
            lambda x: F.index_select(x, 0, ss.tensor([[0]])),
            ValueError,
            r"index_select: index must be 1-D, got shape \(1, 1\)",
        ),
        (
            lambda x: F.masked_fill(x, ss.tensor([True, False]), 0.0),
            ValueError,
            r"masked_fill: mask of shape \(2,\) does not broadcast to the input's shape \(2, 3\)",
        ),
        (
            lambda x: F.masked_fill(x, ss.tensor([1, 0, 1]), 0.0),
            TypeError,
            r"masked_fill: mask must be a boolean tensor, got dtype int64",
        ),
        (
            lambda x: F.masked_select(x, ss.tensor([True, False])),
            ValueError,
            r"masked_select: mask of shape \(2,\) and input of shape \(2, 3\) do not broadcast",
        ),
        (
            lambda x: F.one_hot(ss.tensor([0, 3]), 3),
            IndexError,
            r"one_hot: class value 3 is out of range for num_classes=3",
        ),
        (
            lambda x: F.one_hot(ss.tensor([-1]), 3),
            IndexError,
            r"one_hot: class value -1 is out of range",
        ),
        (
            lambda x: F.one_hot(ss.tensor([0.0])),
            TypeError,
            r"one_hot: t must be an integer tensor",
        ),
        (
            lambda x: F.one_hot(ss.tensor(np.zeros(0, np.int64))),
            ValueError,
            r"one_hot: cannot infer num_classes from an empty tensor",
        ),
        (
            lambda x: F.embedding(ss.tensor([0, 2]), x),
            IndexError,
            r"embedding: index 2 is out of range for dim 0 of the weight with size 2",
        ),
        (
            lambda x: F.embedding(ss.tensor([0]), x, padding_idx=2),
            ValueError,
            r"embedding: padding_idx 2 is out of range for 2 rows",
        ),
        (
            lambda x: F.embedding(ss.tensor([0]), x[0]),
            ValueError,
            r"embedding: weight must be 2-D \(V, D\), got shape \(3,\)",
        ),
    ],
)
def test_errors_name_the_op_dim_and_value(call, err, msg):
    with pytest.raises(err, match=msg):
        call(ss.zeros(2, 3))
