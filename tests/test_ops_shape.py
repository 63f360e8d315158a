"""Shape ops and indexing: NumPy reference, float64 gradcheck, PyTorch."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import check_op


@pytest.mark.parametrize(
    "shape,new",
    [((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)), ((6,), (1, 6, 1)), ((0, 3), (3, 0)), ((), (1, 1))],
)
def test_reshape(shape, new):
    check_op(lambda x: x.reshape(new), [shape], lambda x: x.reshape(new), lambda x: x.reshape(new))


@pytest.mark.parametrize(
    "shape,perm",
    [((2, 3, 4), (2, 0, 1)), ((2, 3), (1, 0)), ((1, 3, 1), (0, 2, 1)), ((0, 2, 3), (1, 2, 0))],
)
def test_transpose_permute(shape, perm):
    check_op(
        lambda x: x.permute(perm), [shape], lambda x: x.transpose(perm), lambda x: x.permute(perm)
    )


def test_T_and_swapaxes():
    check_op(lambda x: x.T, [(3, 4)], lambda x: x.T, lambda x: x.T)
    check_op(
        lambda x: x.swapaxes(0, 2),
        [(2, 3, 4)],
        lambda x: np.swapaxes(x, 0, 2),
        lambda x: x.transpose(0, 2),
    )


@pytest.mark.parametrize(
    "shape,target",
    [((3, 1), (3, 4)), ((4,), (2, 3, 4)), ((1,), (5,)), ((), (2, 2)), ((1, 3), (0, 3))],
)
def test_broadcast_to(shape, target):
    check_op(
        lambda x: F.broadcast_to(x, target),
        [shape],
        lambda x: np.broadcast_to(x, target),
        lambda x: x.broadcast_to(target),
    )


def test_expand_with_minus_one():
    check_op(
        lambda x: x.expand(2, -1, 4),
        [(1, 3, 1)],
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        lambda x: x.expand(2, -1, 4),
    )


@pytest.mark.parametrize(
    "shape,axis", [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), (0, 2)), ((2, 1), -1)]
)
def test_squeeze(shape, axis):
    ref = (lambda x: x.squeeze()) if axis is None else (lambda x: x.squeeze(axis))
    check_op(lambda x: x.squeeze(axis), [shape], lambda x: np.squeeze(x, axis), ref)


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_unsqueeze(axis):
    check_op(
        lambda x: x.unsqueeze(axis),
        [(2, 3)],
        lambda x: np.expand_dims(x, axis),
        lambda x: x.unsqueeze(axis),
    )


@pytest.mark.parametrize("start,end", [(0, -1), (1, -1), (1, 2), (0, 0)])
def test_flatten(start, end):
    check_op(
        lambda x: x.flatten(start, end),
        [(2, 3, 4, 5)],
        lambda x: torch.flatten(torch.tensor(x), start, end).numpy(),
        lambda x: torch.flatten(x, start, end),
    )


INDICES = [
    (1,),
    (slice(1, 3),),
    (slice(None, None, 2), 1),
    (Ellipsis, 0),
    (None, 1),
    (np.array([0, 2, 2, 0]),),
    (np.array([[0, 1], [3, 3]]),),
    (slice(None), np.array([1, 1, 0])),
    (np.array([0, 1]), np.array([2, 2])),
    (np.array([True, False, True, True]),),
    (-1, slice(None, None, -1)),
]


@pytest.mark.parametrize("index", INDICES, ids=[str(i) for i in range(len(INDICES))])
def test_getitem(index):
    def t_index(i):
        if isinstance(i, np.ndarray):
            return torch.tensor(i)
        if isinstance(i, slice) and i.step is not None and i.step < 0:
            return None
        return i

    if any(isinstance(i, slice) and i.step is not None and i.step < 0 for i in index):
        torch_fn = None  # torch has no negative-step slicing
    else:
        torch_fn = lambda x: x[tuple(t_index(i) for i in index)]  # noqa: E731
    check_op(lambda x: x[index], [(4, 3)], lambda x: x[index], torch_fn)


def test_getitem_mask_tensor_and_list():
    x = ss.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    m = x > 2.5
    y = x[m]
    assert y.tolist() == [3.0, 4.0, 5.0]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [1, 1, 1]])
    x.grad = None
    x[[1, 1]].sum().backward()  # a repeated row collects both gradients
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [2, 2, 2]])
    with pytest.raises(IndexError, match=r"index into a tensor of shape \(2, 3\)"):
        x[5]


@pytest.mark.parametrize(
    "shapes,axis",
    [
        ([(2, 3), (4, 3)], 0),
        ([(2, 3), (2, 1), (2, 0)], 1),
        ([(2, 3, 4)] * 3, -1),
        ([(0, 2), (3, 2)], 0),
    ],
)
def test_concat(shapes, axis):
    check_op(
        lambda *xs: F.concat(xs, axis=axis),
        shapes,
        lambda *xs: np.concatenate(xs, axis=axis),
        lambda *xs: torch.cat(xs, dim=axis),
    )


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack(axis):
    check_op(
        lambda *xs: F.stack(xs, axis=axis),
        [(2, 3)] * 3,
        lambda *xs: np.stack(xs, axis=axis),
        lambda *xs: torch.stack(xs, dim=axis),
    )


@pytest.mark.parametrize("sizes,axis", [(2, 0), (3, 1), ([1, 4], 1), ([2, 0, 3], 1)])
def test_split(sizes, axis):
    # check each piece (and a weighted sum of all, so every gradient path is exercised)
    def ss_fn(x):
        parts = F.split(x, sizes, axis=axis)
        return F.concat([p * (i + 1) for i, p in enumerate(parts)], axis=axis)

    def t_fn(x):
        parts = torch.split(x, sizes, dim=axis)
        return torch.cat([p * (i + 1) for i, p in enumerate(parts)], dim=axis)

    check_op(ss_fn, [(5, 5)], None, t_fn)
    x = ss.tensor(np.arange(25.0).reshape(5, 5))
    ours = [p.numpy() for p in F.split(x, sizes, axis=axis)]
    theirs = [p.numpy() for p in torch.split(torch.tensor(x.numpy()), sizes, dim=axis)]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("pad", [(1, 2), (1, 0, 2, 1), (0, 0, 0, 0, 1, 1)])
def test_pad_torch_style(pad):
    check_op(
        lambda x: F.pad(x, pad, value=0.5),
        [(2, 3, 4)],
        lambda x: torch.nn.functional.pad(torch.tensor(x), pad, value=0.5).numpy(),
        lambda x: torch.nn.functional.pad(x, pad, value=0.5),
    )


def test_pad_numpy_style():
    widths = ((1, 0), (0, 2))
    check_op(lambda x: F.pad(x, widths), [(2, 3)], lambda x: np.pad(x, widths))


def test_shape_errors_are_clear():
    x = ss.zeros(2, 3)
    with pytest.raises(
        ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) into \(4, 2\)"
    ):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(2, 3\) to \(3, 3\)"):
        F.broadcast_to(x, (3, 3))
    with pytest.raises(
        ValueError, match=r"concat: shapes \(2, 3\), \(2, 4\) differ outside axis 0"
    ):
        F.concat([x, ss.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"stack: all tensors need the same shape"):
        F.stack([x, ss.zeros(3, 2)])
    with pytest.raises(
        ValueError, match=r"sizes \[1, 1\] do not add up to 3 \(axis 1 of \(2, 3\)\)"
    ):
        F.split(ss.zeros(2, 3), [1, 1], axis=1)
    with pytest.raises(ValueError, match=r"squeeze: axis 1 has size 3, not 1"):
        x.squeeze(1)
