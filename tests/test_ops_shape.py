"""Shape ops and indexing: NumPy reference, float64 gradcheck, PyTorch."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import check_op

TF = torch.nn.functional


@pytest.mark.parametrize(
    "shape,new",
    [
        ((2, 3, 4), (6, 4)),
        ((2, 3, 4), (-1,)),
        ((2, 3, 4), (4, -1, 2)),
        ((6,), (1, 6, 1)),
        ((0, 3), (3, 0)),
        ((), (1, 1)),
        ((1, 1), ()),
        ((2, 3), (2, 3)),
    ],
    ids=str,
)
def test_reshape(shape, new):
    check_op(lambda x: x.reshape(new), lambda x: x.reshape(new), lambda x: x.reshape(new), [shape])
    check_op(lambda x: F.reshape(x, *new), lambda x: x.view(new), lambda x: x.reshape(new), [shape])


@pytest.mark.parametrize(
    "shape,perm",
    [
        ((2, 3, 4), (2, 0, 1)),
        ((2, 3, 4), (-1, 0, 1)),
        ((2, 3), (1, 0)),
        ((1, 3, 1), (0, 2, 1)),
        ((0, 2, 3), (1, 2, 0)),
        ((), ()),
    ],
    ids=str,
)
def test_transpose_permute(shape, perm):
    check_op(
        lambda x: x.permute(perm), lambda x: x.permute(perm), lambda x: x.transpose(perm), [shape]
    )
    check_op(
        lambda x: F.transpose(x, *perm),
        lambda x: x.permute(perm),
        lambda x: np.transpose(x, perm),
        [shape],
    )


def test_T_swapaxes_and_default_transpose():
    check_op(lambda x: x.T, lambda x: x.T, lambda x: x.T, [(3, 4)])
    check_op(lambda x: x.transpose(), lambda x: x.permute(2, 1, 0), np.transpose, [(2, 3, 4)])
    check_op(
        lambda x: x.swapaxes(0, -1),
        lambda x: x.transpose(0, 2),
        lambda x: np.swapaxes(x, 0, 2),
        [(2, 3, 4)],
    )


@pytest.mark.parametrize(
    "shape,target",
    [
        ((3, 1), (3, 4)),
        ((4,), (2, 3, 4)),
        ((1,), (5,)),
        ((), (2, 2)),
        ((1, 3), (0, 3)),
        ((2, 1, 1), (2, 3, 4)),
        ((3,), (3,)),
    ],
    ids=str,
)
def test_broadcast_to(shape, target):
    check_op(
        lambda x: F.broadcast_to(x, target),
        lambda x: x.broadcast_to(target),
        lambda x: np.broadcast_to(x, target),
        [shape],
    )


@pytest.mark.parametrize(
    "shape,args", [((1, 3, 1), (2, -1, 4)), ((3, 1), (2, 3, 5)), ((1,), (-1,))], ids=str
)
def test_expand(shape, args):
    check_op(
        lambda x: x.expand(*args),
        lambda x: x.expand(*args),
        lambda x: torch.tensor(x).expand(*args).numpy(),
        [shape],
    )
    check_op(lambda x: F.expand(x, args), lambda x: x.expand(*args), None, [shape], seed=1)


@pytest.mark.parametrize(
    "shape,axis",
    [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), (0, 2)), ((2, 1), -1), ((3,), None)],
    ids=str,
)
def test_squeeze(shape, axis):
    ref = (lambda x: x.squeeze()) if axis is None else (lambda x: x.squeeze(axis))
    check_op(lambda x: x.squeeze(axis), ref, lambda x: np.squeeze(x, axis), [shape])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_unsqueeze(axis):
    check_op(
        lambda x: x.unsqueeze(axis),
        lambda x: x.unsqueeze(axis),
        lambda x: np.expand_dims(x, axis),
        [(2, 3)],
    )


def test_unsqueeze_a_scalar():
    check_op(lambda x: F.unsqueeze(x, 0), lambda x: x.unsqueeze(0), lambda x: x.reshape(1), [()])


@pytest.mark.parametrize(
    "shape,start,end",
    [
        ((2, 3, 4, 5), 0, -1),
        ((2, 3, 4, 5), 1, -1),
        ((2, 3, 4, 5), 1, 2),
        ((2, 3, 4, 5), 0, 0),
        ((2, 3, 4, 5), -2, 3),
        ((2, 0, 4), 1, 2),
        ((), 0, -1),
    ],
    ids=str,
)
def test_flatten(shape, start, end):
    check_op(
        lambda x: x.flatten(start, end),
        lambda x: torch.flatten(x, start, end),
        lambda x: torch.flatten(torch.tensor(x), start, end).numpy(),
        [shape],
    )


INDICES = [
    (1,),
    (-1,),
    (slice(1, 3),),
    (slice(None, None, 2), 1),
    (slice(None), slice(1, None)),
    (Ellipsis, 0),
    (0, Ellipsis),
    (None, 1),
    (slice(None), None, -2),
    (np.array([0, 2, 2, 0]),),  # repeated rows: gradients add up
    (np.array([[0, 1], [3, 3]]),),
    (slice(None), np.array([1, 1, 0])),
    (np.array([0, 1]), np.array([2, 2])),
    (np.array([3, 3]), -1),
    (np.array([True, False, True, True]),),
    (np.array([False] * 4),),  # empty selection
    (np.array([[True, False, True], [False] * 3, [True] * 3, [False, True, False]]),),
    (slice(5, 9),),  # empty slice
    (1, 2),
]


@pytest.mark.parametrize("index", INDICES, ids=[str(i) for i in range(len(INDICES))])
def test_getitem(index):
    def t_index(i):
        return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

    check_op(
        lambda x: x[index],
        lambda x: x[tuple(t_index(i) for i in index)],
        lambda x: x[index],
        [(4, 3)],
    )


def test_getitem_negative_step_and_3d_mixed():
    # torch has no negative-step slicing: NumPy reference and gradcheck only
    check_op(lambda x: x[-1, ::-1], None, lambda x: x[-1, ::-1], [(4, 3)])
    idx = (np.array([1, 0, 1]), slice(None), np.array([2, 0, 2]))
    check_op(
        lambda x: x[idx],
        lambda x: x[torch.tensor(idx[0]), :, torch.tensor(idx[2])],
        lambda x: x[idx],
        [(2, 3, 4)],
    )
    check_op(
        lambda x: F.getitem(x, (Ellipsis, None)),
        lambda x: x[..., None],
        lambda x: x[..., None],
        [(2, 3)],
    )


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
    x.grad = None
    x[ss.tensor([0, 0, 1]), ss.tensor([2, 2, 2])].sum().backward()  # integer index tensors
    np.testing.assert_array_equal(x.grad, [[0, 0, 2], [0, 0, 1]])
    with pytest.raises(IndexError, match=r"index into a tensor of shape \(2, 3\)"):
        x[5]


@pytest.mark.parametrize(
    "shapes,axis",
    [
        ([(2, 3), (4, 3)], 0),
        ([(2, 3), (2, 1), (2, 0)], 1),
        ([(2, 3, 4)] * 3, -1),
        ([(0, 2), (3, 2)], 0),
        ([(5,)], 0),
        ([(1,), (1,)], -1),
    ],
    ids=str,
)
def test_concat(shapes, axis):
    check_op(
        lambda *xs: F.concat(xs, axis=axis),
        lambda *xs: torch.cat(xs, dim=axis),
        lambda *xs: np.concatenate(xs, axis=axis),
        shapes,
    )


def test_concat_with_a_constant_piece():
    check_op(  # the middle piece needs no gradient
        lambda x: F.cat([x, ss.ones(1, 3, dtype=x.dtype), x], axis=0),
        lambda x: torch.cat([x, torch.ones(1, 3, dtype=x.dtype), x]),
        lambda x: np.concatenate([x, np.ones((1, 3)), x]),
        [(2, 3)],
    )


@pytest.mark.parametrize(
    "shape,axis",
    [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1), ((2, 3), -3), ((), 0), ((0, 2), 1)],
    ids=str,
)
def test_stack(shape, axis):
    check_op(
        lambda *xs: F.stack(xs, axis=axis),
        lambda *xs: torch.stack(xs, dim=axis),
        lambda *xs: np.stack(xs, axis=axis),
        [shape] * 3,
    )


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_stack_double_backward(axis):
    """Stack is one node whose graph-form backward is one unbind: second derivatives
    through it (and a constant input, which gets no gradient) against PyTorch's."""
    check_op(
        lambda a, b: F.stack([a, ss.ones(2, 3, dtype=a.dtype), b * a], axis=axis) ** 2,
        lambda a, b: torch.stack([a, torch.ones(2, 3, dtype=a.dtype), b * a], dim=axis) ** 2,
        lambda a, b: np.stack([a, np.ones((2, 3)), b * a], axis=axis) ** 2,
        [(2, 3), (2, 3)],
        gradgrad=True,
    )


@pytest.mark.parametrize(
    "shape,sizes,axis",
    [
        ((5, 5), 2, 0),
        ((5, 5), 3, 1),
        ((5, 5), 5, 1),
        ((5, 5), 7, -1),
        ((5, 5), [1, 4], 1),
        ((5, 5), [2, 0, 3], -1),
        ((0, 3), 2, 0),
        ((4, 2, 3), [1, 1, 2], 0),
    ],
    ids=str,
)
def test_split(shape, sizes, axis):
    # each piece, weighted by its position, is joined back, so every gradient path counts
    def ss_fn(x):
        parts = F.split(x, sizes, axis=axis)
        return F.concat([p * (i + 1) for i, p in enumerate(parts)], axis=axis)

    def t_fn(x):
        parts = torch.split(x, sizes, dim=axis)
        return torch.cat([p * (i + 1) for i, p in enumerate(parts)], dim=axis)

    check_op(ss_fn, t_fn, None, [shape])
    a = np.arange(float(np.prod(shape))).reshape(shape)
    ours = [p.numpy() for p in ss.tensor(a).split(sizes, axis)]
    theirs = [p.numpy() for p in torch.split(torch.tensor(a), sizes, dim=axis)]
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)


def test_split_pieces_have_their_own_gradients():
    x = ss.tensor(np.arange(5.0), requires_grad=True)
    a, b = F.split(x, [2, 3])
    (a.sum() * 2 + (b * b).sum()).backward()
    np.testing.assert_array_equal(x.grad, [2, 2, 4, 6, 8])


@pytest.mark.parametrize(
    "shape,pad",
    [
        ((2, 3, 4), (1, 2)),
        ((2, 3, 4), (1, 0, 2, 1)),
        ((2, 3, 4), (0, 0, 0, 0, 1, 1)),
        ((2, 3), (0, 0)),
        ((0, 3), (1, 1, 2, 0)),
        ((3,), (2, 3)),
    ],
    ids=str,
)
def test_pad_torch_style(shape, pad):
    check_op(
        lambda x: F.pad(x, pad, value=0.5),
        lambda x: TF.pad(x, pad, value=0.5),
        lambda x: TF.pad(torch.tensor(x), pad, value=0.5).numpy(),
        [shape],
    )


@pytest.mark.parametrize(
    "shape,widths",
    [
        ((2, 3), ((1, 0), (0, 2))),
        ((2, 3), [[0, 0], [3, 1]]),
        ((3,), ((2, 2),)),
        ((1, 0), ((1, 1), (2, 0))),
    ],
    ids=str,
)
def test_pad_numpy_style(shape, widths):
    def t_pad(x):  # the same widths as a torch flat tuple, last axis first
        flat = [w for pair in reversed([tuple(p) for p in widths]) for w in pair]
        return TF.pad(x, flat, value=-1.0)

    check_op(
        lambda x: F.pad(x, widths, value=-1.0),
        t_pad,
        lambda x: np.pad(x, [tuple(p) for p in widths], constant_values=-1.0),
        [shape],
    )


def test_shape_errors_are_clear():
    x = ss.zeros(2, 3)
    with pytest.raises(
        ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) into \(4, 2\)"
    ):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(2, 3\) to \(3, 3\)"):
        F.broadcast_to(x, (3, 3))
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(2, 3\) to \(3,\)"):
        F.broadcast_to(x, (3,))
    with pytest.raises(
        ValueError, match=r"concat: shapes \(2, 3\), \(2, 4\) differ outside axis 0"
    ):
        F.concat([x, ss.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"concat: need at least one tensor"):
        F.concat([])
    with pytest.raises(ValueError, match=r"stack: all tensors need the same shape"):
        F.stack([x, ss.zeros(3, 2)])
    with pytest.raises(
        ValueError, match=r"sizes \[1, 1\] do not add up to 3 \(axis 1 of \(2, 3\)\)"
    ):
        F.split(ss.zeros(2, 3), [1, 1], axis=1)
    with pytest.raises(ValueError, match=r"split: the piece size must be positive"):
        F.split(x, 0)
    with pytest.raises(ValueError, match=r"squeeze: axis 1 has size 3, not 1"):
        x.squeeze(1)
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0\) are not a permutation"):
        x.permute(0, 0)  # (transpose(0, 0) swaps dim 0 with itself: x, as in torch)
    with pytest.raises(ValueError, match=r"pad: negative padding is not supported"):
        F.pad(x, (-1, 0))
    with pytest.raises(ValueError, match=r"pad: 1 \(before, after\) pairs for 2 axes"):
        F.pad(x, ((1, 1),))
    with pytest.raises(ValueError, match=r"pad: flat pad \(1, 1, 1\) needs pairs"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match=r"flatten: start_dim 1 comes after end_dim 0"):
        ss.zeros(2, 3, 4).flatten(1, 0)


@pytest.mark.parametrize(
    "call,msg",
    [
        (lambda x: F.concat([x, x], axis=2), "concat: axis 2 is out of range for a tensor with 2"),
        (lambda x: F.stack([x, x], axis=3), "stack: axis 3 is out of range for a tensor with 3"),
        (lambda x: x.unsqueeze(-4), "unsqueeze: axis -4 is out of range"),
        (lambda x: x.transpose(0, 2), "transpose: axis 2 is out of range"),
        (lambda x: x.swapaxes(0, 2), "swapaxes: axis 2 is out of range"),
        (lambda x: x.flatten(2), "flatten: axis 2 is out of range"),
        (lambda x: F.split(x, 1, axis=-3), "split: axis -3 is out of range"),
        (lambda x: F.maxout(x, 1, axis=2), "maxout: axis 2 is out of range"),
    ],
)
def test_out_of_range_axes_are_errors_not_wrapped(call, msg):
    # NumPy-style `axis % ndim` would silently act on another axis
    with pytest.raises(ValueError, match=msg):
        call(ss.zeros(2, 3))
