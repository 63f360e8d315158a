"""More shape ops (chunk, unbind, flip, roll, repeat, tile, Tensor.unfold, pad modes,
unfold/fold): NumPy reference, float64 gradcheck, PyTorch parity and double backward."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import check_op

TF = torch.nn.functional


def _weighted_join(parts, dim, join):
    # every piece weighted by its position and joined again, so each gradient path counts
    return join([p * (i + 1) for i, p in enumerate(parts)], dim)


@pytest.mark.parametrize(
    "shape,chunks,dim",
    [((5, 3), 2, 0), ((6, 3), 4, 0), ((2, 7), 3, -1), ((4,), 4, 0), ((4,), 6, 0), ((0, 2), 3, 0)],
    ids=str,
)
def test_chunk(shape, chunks, dim):
    check_op(
        lambda x: _weighted_join(F.chunk(x, chunks, dim), dim, F.concat),
        lambda x: _weighted_join(torch.chunk(x, chunks, dim), dim, torch.cat),
        None,
        [shape],
    )
    a = np.arange(float(np.prod(shape))).reshape(shape)
    ours = ss.tensor(a).chunk(chunks, dim)
    theirs = torch.chunk(torch.tensor(a), chunks, dim)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("shape,dim", [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -2), ((1,), 0)])
def test_unbind(shape, dim):
    check_op(
        lambda x: _weighted_join(F.unbind(x, dim), dim, F.stack),
        lambda x: _weighted_join(torch.unbind(x, dim), dim, torch.stack),
        lambda x: np.stack(
            [p * (i + 1) for i, p in enumerate(np.moveaxis(x, dim, 0))], axis=dim % x.ndim
        ),
        [shape],
    )


def test_split_chunk_unbind_are_one_node_and_unused_pieces_get_zeros():
    x = ss.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    for parts in (F.split(x, [1, 2]), x.chunk(3), x.unbind(0), x.unbind(1)):
        assert len({id(p.grad_fn) for p in parts}) == 1 and parts[0].grad_fn is not None
        assert [p.output_nr for p in parts] == list(range(len(parts)))
    a, b, c = x.unbind(0)
    (b * 3).sum().backward()  # a and c get no gradient: zeros in their rows
    assert x.grad.tolist() == [[0, 0], [3, 3], [0, 0]]
    # a second derivative through one piece only
    x = ss.tensor([1.0, 2.0, 3.0], requires_grad=True)
    p, q = F.split(x, [2, 1])
    (g,) = ss.autograd.grad((q**3).sum(), [x], create_graph=True)
    assert g.tolist() == [0.0, 0.0, 27.0]
    (h,) = ss.autograd.grad(g.sum(), [x])
    assert h.tolist() == [0.0, 0.0, 18.0]


def test_split_pieces_cannot_be_changed_in_place_while_recording():
    x = ss.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a, b = F.split(x, 2)
    with pytest.raises(RuntimeError, match=r"is a view \(Split\)"):
        a.mul_(2)


@pytest.mark.parametrize(
    "shape,dims",
    [((3, 4), (0,)), ((3, 4), (1, 0)), ((2, 3, 4), (-1,)), ((2, 3, 4), [0, 2]), ((5,), 0)],
    ids=str,
)
def test_flip(shape, dims):
    tdims = (dims,) if isinstance(dims, int) else tuple(dims)
    check_op(
        lambda x: F.flip(x, dims),
        lambda x: torch.flip(x, tdims),
        lambda x: np.flip(x, tdims),
        [shape],
    )
    check_op(lambda x: x.flip(dims), lambda x: x.flip(tdims), None, [shape], seed=1)


def test_flip_is_a_copy():
    x = ss.tensor([1.0, 2.0])
    y = x.flip(0)
    y += 1
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [3.0, 2.0]


@pytest.mark.parametrize(
    "shape,shifts,dims",
    [
        ((5,), 2, None),
        ((3, 4), -5, None),
        ((3, 4), 1, 0),
        ((3, 4), (1, -1), (0, 1)),
        ((2, 3, 4), (7, 2), (-1, 0)),
        ((2, 3), (1, 1), (1, 1)),  # the same dim twice: shifts add
        ((), 3, None),
    ],
    ids=str,
)
def test_roll(shape, shifts, dims):
    check_op(
        lambda x: F.roll(x, shifts, dims),
        lambda x: torch.roll(x, shifts, dims),
        lambda x: np.roll(x, shifts, dims),
        [shape],
    )


def test_roll_a_scalar_along_dim_0():  # PyTorch refuses dims=0 on a 0-d tensor; NumPy too
    check_op(lambda x: F.roll(x, 2, 0), None, lambda x: x.copy(), [()])


@pytest.mark.parametrize(
    "shape,sizes",
    [
        ((2, 3), (2, 1)),
        ((2, 3), (1, 3)),
        ((3,), (2, 2)),  # more sizes than dims: leading dims are added
        ((2, 1, 3), (1, 4, 2)),
        ((2, 3), (1, 1)),
        ((2, 3), (0, 2)),
        ((), (3,)),
    ],
    ids=str,
)
def test_repeat(shape, sizes):
    check_op(
        lambda x: x.repeat(*sizes),
        lambda x: x.repeat(*sizes),
        lambda x: np.tile(x, sizes),
        [shape],
    )
    check_op(lambda x: F.repeat(x, sizes), lambda x: x.repeat(sizes), None, [shape], seed=2)


def test_repeat_is_a_new_tensor_even_with_ones():
    x = ss.tensor([1.0, 2.0])
    y = x.repeat(1)
    y += 1
    assert x.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "shape,dims", [((2, 3), (2,)), ((2, 3), (2, 1)), ((3,), (2, 2)), ((2, 3), ()), ((2,), 3)]
)
def test_tile(shape, dims):
    tdims = (dims,) if isinstance(dims, int) else dims
    check_op(
        lambda x: F.tile(x, dims),
        lambda x: torch.tile(x, tdims),
        lambda x: np.tile(x, tdims),
        [shape],
    )


@pytest.mark.parametrize(
    "shape,dim,size,step",
    [((7,), 0, 2, 1), ((7,), 0, 3, 2), ((3, 8), 1, 4, 3), ((5, 2, 3), 0, 2, 2), ((4, 3), -2, 4, 1)],
    ids=str,
)
def test_tensor_unfold(shape, dim, size, step):
    check_op(
        lambda x: x.unfold(dim, size, step),
        lambda x: x.unfold(dim, size, step),
        lambda x: torch.from_numpy(x).unfold(dim, size, step).numpy(),
        [shape],
    )


PADS = [
    ((2, 5), (2, 1)),
    ((2, 3, 4), (3, 0, 1, 2)),
    ((1, 2, 4, 3), (1, 2, 2, 3)),
    ((2, 3, 4), (0, 0, 1, 1)),
    ((1, 2, 3, 4, 3), (1, 1, 0, 2, 1, 0)),
    ((2, 3), (0, 0)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PADS, ids=str)
def test_pad_modes(shape, pad, mode):
    if mode == "reflect" and len(shape) == 5:
        pad = tuple(min(p, 1) for p in pad)  # reflect needs widths < size
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    widths = [(0, 0)] * len(shape)
    for k in range(len(pad) // 2):
        widths[len(shape) - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    check_op(
        lambda x: F.pad(x, pad, mode=mode),
        lambda x: TF.pad(x, pad, mode=mode),
        lambda x: np.pad(x, widths, mode=np_mode),
        [shape],
    )


def test_pad_modes_by_hand_and_numpy_style_widths():
    row = ss.tensor([[1.0, 2.0, 3.0, 4.0]])
    assert F.pad(row, (2, 2), mode="reflect").tolist() == [[3, 2, 1, 2, 3, 4, 3, 2]]
    assert F.pad(row, (2, 2), mode="replicate").tolist() == [[1, 1, 1, 2, 3, 4, 4, 4]]
    assert F.pad(row, (2, 2), mode="circular").tolist() == [[3, 4, 1, 2, 3, 4, 1, 2]]
    assert F.pad(row, ((1, 0), (0, 1)), mode="replicate").tolist() == [
        [1, 2, 3, 4, 4],
        [1, 2, 3, 4, 4],
    ]
    assert F.pad(row, (1, 0), "constant", 9.0).tolist() == [[9, 1, 2, 3, 4]]


@pytest.mark.parametrize(
    "shape,kernel,dilation,padding,stride",
    [
        ((2, 3, 5, 4), 2, 1, 0, 1),
        ((1, 2, 6, 7), (3, 2), 1, 1, (2, 1)),
        ((2, 1, 7, 7), 3, 2, (2, 1), 2),
        ((1, 2, 4, 5), (1, 3), (1, 2), 0, 1),
        ((2, 4, 4), 2, 1, 1, 3),  # unbatched (C, H, W)
    ],
    ids=str,
)
def test_unfold_and_fold(shape, kernel, dilation, padding, stride):
    kw = dict(dilation=dilation, padding=padding, stride=stride)
    y = check_op(
        lambda x: F.unfold(x, kernel, **kw),
        lambda x: TF.unfold(x, kernel, **kw),
        lambda x: TF.unfold(torch.from_numpy(x), kernel, **kw).numpy(),
        [shape],
    )
    size = shape[-2:]
    check_op(
        lambda c: F.fold(c, size, kernel, **kw),
        lambda c: TF.fold(c, size, kernel, **kw),
        lambda c: TF.fold(torch.from_numpy(c), size, kernel, **kw).numpy(),
        [y.shape],
        seed=1,
    )


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 5))
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = F.unfold(ss.tensor(x), **kw)
    c = rng.standard_normal(cols.shape)
    # <unfold(x), c> == <x, fold(c)>
    lhs = float((cols.numpy() * c).sum())
    rhs = float((x * F.fold(ss.tensor(c), (6, 5), **kw).numpy()).sum())
    assert abs(lhs - rhs) < 1e-10 * max(1.0, abs(lhs))


@pytest.mark.parametrize(
    "call,err,msg",
    [
        (lambda x: F.chunk(x, 0), ValueError, r"chunk: chunks must be a positive int, got 0"),
        (lambda x: F.unbind(x, 2), ValueError, r"unbind: axis 2 is out of range"),
        (lambda x: F.flip(x, (0, 0)), ValueError, r"flip: dims \(0, 0\) name a dimension twice"),
        (lambda x: F.flip(x, 3), ValueError, r"flip: axis 3 is out of range"),
        (lambda x: F.roll(x, (1, 2)), ValueError, r"roll: without dims, give one shift"),
        (lambda x: F.roll(x, (1, 2), 0), ValueError, r"roll: shifts \(1, 2\) and dims 0 must"),
        (lambda x: x.repeat(2), ValueError, r"repeat: 1 repeat sizes \(2,\) for a tensor with 2"),
        (lambda x: x.unfold(1, 4, 1), ValueError, r"unfold: size 4 does not fit dimension 1"),
        (lambda x: x.unfold(0, 1, 0), ValueError, r"unfold: step must be positive, got 0"),
        (
            lambda x: F.pad(x, (3, 0), mode="reflect"),
            ValueError,
            r"pad: reflect padding \(3, 0\) of axis 1 must be smaller than its size 3",
        ),
        (
            lambda x: F.pad(x, (0, 4), mode="circular"),
            ValueError,
            r"pad: circular padding \(0, 4\) of axis 1 must be at most its size 3",
        ),
        (lambda x: F.pad(x, (1, 1), mode="wrap"), ValueError, r"pad: mode must be one of"),
        (
            lambda x: F.pad(x, (1, 1), mode="reflect", value=1.0),
            ValueError,
            r"pad: value is only used by mode 'constant'",
        ),
        (
            lambda x: F.unfold(x, 2),
            ValueError,
            r"unfold: expected a 3-D or 4-D input \(N, C, H, W\), got shape \(2, 3\)",
        ),
        (
            lambda x: F.unfold(x.reshape(1, 1, 2, 3), 3),
            ValueError,
            r"unfold: kernel \(3, 3\) with dilation \(1, 1\) does not fit the input \(2, 3\)",
        ),
        (
            lambda x: F.fold(ss.zeros(1, 5, 4), 3, 2),
            ValueError,
            r"fold: input's dimension 1 \(5\) must be divisible by the kernel's 2×2 = 4",
        ),
        (
            lambda x: F.fold(ss.zeros(1, 4, 5), 3, 2),
            ValueError,
            r"fold: input's dimension 2 \(5\) must be the number of blocks 2×2 = 4",
        ),
        (lambda x: F.unfold(x[None, None], 0), ValueError, r"unfold: kernel_size must be pos"),
        (lambda x: F.unfold(x[None, None], 1, stride=(1, 0)), ValueError, r"unfold: stride"),
    ],
)
def test_errors_name_the_op(call, err, msg):
    with pytest.raises(err, match=msg):
        call(ss.zeros(2, 3))


@pytest.mark.parametrize("left", [False, True])
def test_pad_and_unpad_sequences_are_one_op_each_and_adjoint(left):
    """functional.ragged: B sequences to (B, L, *) and back, one node each way; float64
    gradcheck and double backward; against torch's pad_sequence (right and left)."""
    from shinsou.functional.ragged import pad_sequences, unpad_sequences

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    xs = [ss.tensor(a, requires_grad=True) for a in arrays]
    p = pad_sequences(xs, length=5, value=-1.0, left=left)
    assert p.shape == (3, 5, 2) and p._ctx is not None
    tp = torch.nn.utils.rnn.pad_sequence(
        [torch.tensor(a) for a in arrays], batch_first=True, padding_value=-1.0,
        padding_side="left" if left else "right",
    )  # fmt: skip
    want = np.full((3, 5, 2), -1.0)
    want[:, 5 - tp.shape[1] if left else 0 :][:, : tp.shape[1]] = tp.numpy()
    np.testing.assert_array_equal(p.numpy(), want)
    back = unpad_sequences(p, [3, 1, 4], left=left)
    assert len({id(t._ctx) for t in back}) == 1  # the B pieces come from one node
    for a, b in zip(arrays, back):
        np.testing.assert_array_equal(b.numpy(), a)
    ss.gradcheck(lambda *xs: pad_sequences(xs, 5, 0.5, left) ** 2, xs)
    ss.autograd.gradgradcheck(lambda *xs: pad_sequences(xs, 5, 0.5, left) ** 2, xs)
    P = ss.tensor(rng.standard_normal((3, 5, 2)), requires_grad=True)

    def pieces(P):
        return F.concat([(t**2).reshape(-1) for t in unpad_sequences(P, [3, 1, 4], left)])

    ss.gradcheck(pieces, [P])
    ss.autograd.gradgradcheck(pieces, [P])
    with pytest.raises(ValueError, match="length 2 is shorter than the longest sequence 4"):
        pad_sequences(xs, length=2)
    with pytest.raises(ValueError, match=r"B lengths of at most L.*\[3, 1, 6\]"):
        unpad_sequences(P, [3, 1, 6])
