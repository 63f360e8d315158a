"""Recurrent layers (issue 15): RNN/LSTM/GRU and their cells against PyTorch, the fused
recurrence op (gradcheck, double backward), variable lengths, errors, weights from PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from optest import assert_close_to, check_op

import shinsou as ss
import shinsou.functional as F
from shinsou.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence

T_CLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN,
         "rnn_relu": torch.nn.RNN}  # fmt: skip
SS_CLS = {"lstm": ss.nn.LSTM, "gru": ss.nn.GRU, "rnn_tanh": ss.nn.RNN, "rnn_relu": ss.nn.RNN}
G = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _kw(mode):
    return {"nonlinearity": "relu"} if mode == "rnn_relu" else {}


def _pair(mode, *args, **kwargs):
    """A torch layer and ours with the torch weights loaded by name (load_state_dict)."""
    torch.manual_seed(0)
    tm = T_CLS[mode](*args, **kwargs, **_kw(mode))
    m = SS_CLS[mode](*args, **kwargs, **_kw(mode))
    m.load_state_dict({k: ss.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return m, tm


def _close(a, b, what):
    assert_close_to(a.numpy() if hasattr(a, "numpy") else a, b.detach().numpy(), what)


# --------------------------------------------------------------------- layers against torch
@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("layers,bidir", [(1, False), (1, True), (2, False), (2, True)])
@pytest.mark.parametrize("batch_first,var", [(False, None), (True, None), (False, "lengths"),
                                             (True, "lengths"), (True, "packed"),
                                             (False, "packed")])  # fmt: skip
def test_layer_matches_torch(mode, layers, bidir, batch_first, var):
    """Outputs, final states and the gradients of x, h0 (c0) and every weight, float32."""
    T, N, H_in, H = 5, 3, 3, 4
    D = 2 if bidir else 1
    m, tm = _pair(mode, H_in, H, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    rng = np.random.default_rng(1)
    shape = (N, T, H_in) if batch_first else (T, N, H_in)
    x = rng.standard_normal(shape).astype(np.float32)
    h0 = rng.standard_normal((D * layers, N, H)).astype(np.float32)
    c0 = rng.standard_normal((D * layers, N, H)).astype(np.float32)
    lengths = [5, 2, 4]  # unsorted: the packed path needs enforce_sorted=False
    sx, sh0, sc0 = (ss.tensor(a, requires_grad=True) for a in (x, h0, c0))
    tx, th0, tc0 = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    lstm = mode == "lstm"
    s_hx = (sh0, sc0) if lstm else sh0
    t_hx = (th0, tc0) if lstm else th0
    t_in = tx
    if var is not None:
        t_in = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False
        )
    to, th = tm(t_in, t_hx)
    if var is not None:
        to, _ = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=batch_first, total_length=T)
    if var == "lengths":
        so, sh = m(sx, s_hx, lengths=lengths)
    elif var == "packed":
        p = pack_padded_sequence(sx, lengths, batch_first=batch_first, enforce_sorted=False)
        so, sh = m(p, s_hx)
        so, lens = pad_packed_sequence(so, batch_first=batch_first, total_length=T)
        assert lens.tolist() == lengths
    else:
        so, sh = m(sx, s_hx)
    _close(so, to, "output")
    if lstm:
        (sh, sc), (th, tc) = sh, th
        _close(sc, tc, "c_n")
    _close(sh, th, "h_n")
    rng2 = np.random.default_rng(2)
    gy = rng2.standard_normal(so.shape).astype(np.float32)
    gh = rng2.standard_normal(sh.shape).astype(np.float32)
    s_loss = (so * ss.tensor(gy)).sum() + (sh * ss.tensor(gh)).sum()
    t_loss = (to * torch.tensor(gy)).sum() + (th * torch.tensor(gh)).sum()
    if lstm:
        gc = rng2.standard_normal(sh.shape).astype(np.float32)
        s_loss = s_loss + (sc * ss.tensor(gc)).sum()
        t_loss = t_loss + (tc * torch.tensor(gc)).sum()
    s_loss.backward()
    t_loss.backward()
    _close(sx.grad, tx.grad, "dL/dx")
    _close(sh0.grad, th0.grad, "dL/dh0")
    if lstm:
        _close(sc0.grad, tc0.grad, "dL/dc0")
    tp = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        _close(p.grad, tp[name].grad, f"dL/d{name}")
    if var is not None:  # padding never leaks: zero output there and zero input gradient
        valid = np.arange(T)[:, None] < np.array(lengths)[None, :]  # (T, N)
        if batch_first:
            valid = valid.T
        assert np.all(so.numpy()[~valid] == 0)
        assert np.all(sx.grad.numpy()[~valid] == 0)


@pytest.mark.parametrize("layers,bidir", [(1, False), (2, True)])
@pytest.mark.parametrize("batch_first,var", [(False, None), (True, "lengths"), (False, "packed")])
def test_projected_lstm_matches_torch(layers, bidir, batch_first, var):
    """LSTM(proj_size=P): outputs (D·P wide), h_n (P), c_n (H) and the gradients of x, h_0,
    c_0 and every weight (weight_hr_l{k} included) against PyTorch's, float32."""
    T, N, H_in, H, P = 5, 3, 3, 5, 2
    D = 2 if bidir else 1
    m, tm = _pair("lstm", H_in, H, num_layers=layers, bidirectional=bidir,
                  batch_first=batch_first, proj_size=P)  # fmt: skip
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, T, H_in) if batch_first else (T, N, H_in)).astype(np.float32)
    h0 = rng.standard_normal((D * layers, N, P)).astype(np.float32)
    c0 = rng.standard_normal((D * layers, N, H)).astype(np.float32)
    lengths = [5, 2, 4]
    sx, sh0, sc0 = (ss.tensor(a, requires_grad=True) for a in (x, h0, c0))
    tx, th0, tc0 = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    t_in = tx
    if var is not None:
        t_in = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False
        )
    to, (th, tc) = tm(t_in, (th0, tc0))
    if var is not None:
        to, _ = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=batch_first, total_length=T)
    if var == "lengths":
        so, (sh, sc) = m(sx, (sh0, sc0), lengths=lengths)
    elif var == "packed":
        p = pack_padded_sequence(sx, lengths, batch_first=batch_first, enforce_sorted=False)
        so, (sh, sc) = m(p, (sh0, sc0))
        so, _ = pad_packed_sequence(so, batch_first=batch_first, total_length=T)
    else:
        so, (sh, sc) = m(sx, (sh0, sc0))
    assert so.shape[-1] == D * P and sh.shape == (D * layers, N, P) and sc.shape[-1] == H
    _close(so, to, "output")
    _close(sh, th, "h_n")
    _close(sc, tc, "c_n")
    gy, gh, gc = (rng.standard_normal(a.shape).astype(np.float32) for a in (so, sh, sc))
    (
        (so * ss.tensor(gy)).sum() + (sh * ss.tensor(gh)).sum() + (sc * ss.tensor(gc)).sum()
    ).backward()
    (
        (to * torch.tensor(gy)).sum()
        + (th * torch.tensor(gh)).sum()
        + (tc * torch.tensor(gc)).sum()
    ).backward()
    _close(sx.grad, tx.grad, "dL/dx")
    _close(sh0.grad, th0.grad, "dL/dh0")
    _close(sc0.grad, tc0.grad, "dL/dc0")
    tp = dict(tm.named_parameters())
    for name, prm in m.named_parameters():
        _close(prm.grad, tp[name].grad, f"dL/d{name}")


def test_projected_lstm_unbatched_default_state_and_state_dict():
    m, tm = _pair("lstm", 3, 4, num_layers=2, bidirectional=True, proj_size=3)
    assert repr(m) == "LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=3)"
    assert m.weight_hr_l1_reverse.shape == (3, 4) and m.weight_ih_l1.shape == (16, 6)
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    so, (sh, sc) = m(ss.tensor(x))
    to, (th, tc) = tm(torch.tensor(x))
    assert so.shape == (6, 6) and sh.shape == (4, 3) and sc.shape == (4, 4)
    _close(so, to, "output")
    _close(sh, th, "h_n")
    _close(sc, tc, "c_n")
    # saved and loaded (ours and PyTorch's tensors), the same numbers
    m2 = ss.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=3)
    m2.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(m2(ss.tensor(x))[0].numpy(), so.numpy())
    assert sum(p.numel() for p in m.parameters()) == sum(p.numel() for p in tm.parameters())
    with pytest.raises(ValueError, match=r"h_0 must have shape \(4, 2, 3\) .*proj_size"):
        m(ss.zeros(6, 2, 3), (ss.zeros(4, 2, 4), ss.zeros(4, 2, 4)))
    with pytest.raises(ValueError, match=r"c_0 must have shape \(4, 2, 4\) .*hidden_size"):
        m(ss.zeros(6, 2, 3), (ss.zeros(4, 2, 3), ss.zeros(4, 2, 3)))
    with pytest.raises(ValueError, match=r"LSTM: proj_size \(4\) must be smaller than hidden_size"):
        ss.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match=r"GRU: proj_size is supported by the LSTM only"):
        ss.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"proj_size must be >= 0"):
        ss.nn.LSTM(3, 4, proj_size=-1)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_unbatched_and_default_state_match_torch(mode):
    m, tm = _pair(mode, 3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    so, sh = m(ss.tensor(x))
    to, th = tm(torch.tensor(x))
    h0 = rng.standard_normal((4, 4)).astype(np.float32)  # (D·num_layers, H): no batch dim
    s_hx = (ss.tensor(h0), ss.tensor(h0)) if mode == "lstm" else ss.tensor(h0)
    t_hx = (torch.tensor(h0), torch.tensor(h0)) if mode == "lstm" else torch.tensor(h0)
    _close(m(ss.tensor(x), s_hx)[0], tm(torch.tensor(x), t_hx)[0], "output from h0")
    assert so.shape == (6, 8)
    _close(so, to, "output")
    if mode == "lstm":
        _close(sh[0], th[0], "h_n")
        _close(sh[1], th[1], "c_n")
    else:
        assert sh.shape == (4, 4)
        _close(sh, th, "h_n")


def test_no_bias_matches_torch():
    m, tm = _pair("gru", 3, 4, bias=False)
    assert len(list(m.parameters())) == 2
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    _close(m(ss.tensor(x))[0], tm(torch.tensor(x))[0], "output")


# --------------------------------------------------------------------------------- cells
@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("batched,with_state", [(True, True), (True, False), (False, True)])
def test_cell_matches_torch(kind, batched, with_state):
    tcls = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}.get(kind, torch.nn.RNNCell)
    scls = {"lstm": ss.nn.LSTMCell, "gru": ss.nn.GRUCell}.get(kind, ss.nn.RNNCell)
    torch.manual_seed(0)
    tc = tcls(3, 4, **_kw(kind))
    c = scls(3, 4, **_kw(kind))
    c.load_state_dict({k: ss.tensor(v.detach().numpy()) for k, v in tc.state_dict().items()})
    rng = np.random.default_rng(0)
    xs = (2, 3) if batched else (3,)
    hs = (2, 4) if batched else (4,)
    x, h, cc = (rng.standard_normal(s).astype(np.float32) for s in (xs, hs, hs))
    sx, sh, sc = (ss.tensor(a, requires_grad=True) for a in (x, h, cc))
    tx, th, tcc = (torch.tensor(a, requires_grad=True) for a in (x, h, cc))
    if kind == "lstm":
        so = c(sx, (sh, sc) if with_state else None)
        to = tc(tx, (th, tcc) if with_state else None)
        s_out, t_out = so[0] * 2 + so[1], to[0] * 2 + to[1]
    else:
        s_out = c(sx, sh if with_state else None)
        t_out = tc(tx, th if with_state else None)
    _close(s_out, t_out, "cell output")
    s_out.sum().backward()
    t_out.sum().backward()
    _close(sx.grad, tx.grad, "dL/dx")
    if with_state:
        _close(sh.grad, th.grad, "dL/dh")
    tp = dict(tc.named_parameters())
    for name, p in c.named_parameters():
        _close(p.grad, tp[name].grad, f"dL/d{name}")


# ------------------------------------------------------------------ the fused op, float64
def _torch_recurrence(mode, xw, h, c, w, b, mask=None, w_hr=None):
    """The recurrence written with torch ops (the reference of the fused op)."""
    H = w.shape[0] // G[mode]
    ys = []
    for t in range(xw.shape[0]):
        gh = h @ w.T + (b if b is not None else 0)
        if mode == "lstm":
            a = xw[t] + gh
            i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H : 2 * H])
            g, o = torch.tanh(a[:, 2 * H : 3 * H]), torch.sigmoid(a[:, 3 * H :])
            c_new = f * c + i * g
            h_new = o * torch.tanh(c_new)
            if w_hr is not None:
                h_new = h_new @ w_hr.T
        elif mode == "gru":
            r = torch.sigmoid(xw[t][:, :H] + gh[:, :H])
            z = torch.sigmoid(xw[t][:, H : 2 * H] + gh[:, H : 2 * H])
            n = torch.tanh(xw[t][:, 2 * H :] + r * gh[:, 2 * H :])
            h_new = (1 - z) * n + z * h
        else:
            a = xw[t] + gh
            h_new = torch.tanh(a) if mode == "rnn_tanh" else torch.relu(a)
        if mask is None:
            h = h_new
            c = c_new if mode == "lstm" else None
            ys.append(h_new)
        else:
            m = torch.from_numpy(mask[t][:, None].astype(np.float64)).to(xw.dtype)
            h = m * h_new + (1 - m) * h
            if mode == "lstm":
                c = m * c_new + (1 - m) * c
            ys.append(m * h_new)
    parts = [torch.stack(ys).reshape(-1), h.reshape(-1)]
    return torch.cat(parts + ([c.reshape(-1)] if mode == "lstm" else []))


def _flat(outs):
    return F.concat([o.reshape(-1) for o in outs])


MASK = np.array([[1, 1], [0, 1], [0, 1]], dtype=bool)  # lengths 1, 3


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("mask", [None, MASK], ids=["full", "masked"])
def test_fused_recurrence_check_op(mode, mask):
    """NumPy-free check_op: float64 gradcheck, float32 parity with torch, gradgradcheck and
    second derivatives against torch."""
    T, N, H = 3, 2, 2
    g = G[mode]
    lstm = mode == "lstm"
    shapes = [(T, N, g * H), (N, H)] + ([(N, H)] if lstm else []) + [(g * H, H), (g * H,)]

    def ss_fn(xw, h, *rest):
        c = rest[0] if lstm else None
        w, b = rest[-2], rest[-1]
        return _flat(F.recurrence(mode, xw, h, c, w, b, mask))

    def torch_fn(xw, h, *rest):
        c = rest[0] if lstm else None
        return _torch_recurrence(mode, xw, h, c, rest[-2], rest[-1], mask)

    kinks = [0.0] if mode == "rnn_relu" else ()
    check_op(ss_fn, torch_fn, None, shapes, gradgrad=True, kinks=kinks, margin=0.05)


@pytest.mark.parametrize("mask", [None, MASK], ids=["full", "masked"])
def test_fused_projected_lstm_check_op(mask):
    """The LSTM with a projection W_hr (P = 2 < H = 3): gradcheck, torch parity (values,
    gradients, second derivatives) of every input, W_hr included."""
    T, N, H, P = 3, 2, 3, 2
    shapes = [(T, N, 4 * H), (N, P), (N, H), (4 * H, P), (4 * H,), (P, H)]

    def ss_fn(xw, h, c, w, b, w_hr):
        return _flat(F.recurrence("lstm", xw, h, c, w, b, mask, w_hr))

    def torch_fn(xw, h, c, w, b, w_hr):
        return _torch_recurrence("lstm", xw, h, c, w, b, mask, w_hr)

    check_op(ss_fn, torch_fn, None, shapes, gradgrad=True, margin=0.05)


def test_fused_projected_lstm_equals_composite():
    rng = np.random.default_rng(4)
    H, P = 4, 2
    xw, h0, c0, w, b, w_hr = (
        ss.tensor(rng.standard_normal(s), requires_grad=True)
        for s in [(5, 3, 4 * H), (3, P), (3, H), (4 * H, P), (4 * H,), (P, H)]
    )
    a = _flat(F.recurrence("lstm", xw, h0, c0, w, b, MASK3, w_hr))
    r = _flat(F.recurrence_composite("lstm", xw, h0, c0, w, b, MASK3, w_hr))
    np.testing.assert_allclose(a.numpy(), r.numpy(), rtol=1e-12, atol=1e-12)
    ins = [xw, h0, c0, w, b, w_hr]
    for x, y in zip(ss.autograd.grad(a.sum(), ins), ss.autograd.grad(r.sum(), ins)):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"w_hr.*LSTM only.*'gru'"):
        F.recurrence("gru", xw[..., : 3 * H], h0, None, w[: 3 * H], None, None, w_hr)


MASK3 = np.array([[1, 1, 1], [1, 0, 1], [1, 0, 1], [0, 0, 1], [0, 0, 1]], dtype=bool)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_fused_equals_composite_without_bias(mode):
    rng = np.random.default_rng(3)
    H = 3
    xw = ss.tensor(rng.standard_normal((4, 2, G[mode] * H)), requires_grad=True)
    h0 = ss.tensor(rng.standard_normal((2, H)), requires_grad=True)
    c0 = ss.tensor(rng.standard_normal((2, H))) if mode == "lstm" else None
    w = ss.tensor(rng.standard_normal((G[mode] * H, H)), requires_grad=True)
    a = _flat(F.recurrence(mode, xw, h0, c0, w))
    b = _flat(F.recurrence_composite(mode, xw, h0, c0, w))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    ga = ss.autograd.grad(a.sum(), [xw, h0, w])
    gb = ss.autograd.grad(b.sum(), [xw, h0, w])
    for x, y in zip(ga, gb):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_layer_gradgradcheck_float64(mode):
    """Double backward through a tiny bidirectional layer with lengths, float64."""
    m = SS_CLS[mode](2, 2, bidirectional=True).double()
    rng = np.random.default_rng(0)
    x = ss.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = ss.tensor(rng.standard_normal((2, 2, 2)), requires_grad=True)
    w = m.weight_hh_l0

    def f(x, h0, w_hh):
        m.weight_hh_l0 = w_hh
        hx = (h0, h0 * 0.5) if mode == "lstm" else h0
        out, _ = m(x, hx, lengths=[3, 2])
        return out

    ss.gradcheck(f, [x, h0, w])
    ss.autograd.gradgradcheck(f, [x, h0, w])


# -------------------------------------------------------------------- dropout and modes
def test_dropout_between_layers_only_in_training():
    m, tm = _pair("lstm", 3, 4, num_layers=2, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    m.eval()
    tm.eval()
    ev = m(ss.tensor(x))[0]
    _close(ev, tm(torch.tensor(x))[0], "eval output")
    m.train()
    ss.manual_seed(0)
    tr = m(ss.tensor(x))[0].numpy()
    assert not np.allclose(tr, ev.numpy())  # the first layer's output was dropped
    assert np.all(tr != 0)  # but not the last layer's output
    with pytest.warns(UserWarning, match="num_layers=1"):
        one = ss.nn.GRU(3, 4, num_layers=1, dropout=0.5)  # no layer after which to drop
    np.testing.assert_array_equal(one(ss.tensor(x))[0].numpy(), one.eval()(ss.tensor(x))[0].numpy())


# ------------------------------------------------------------------------------- errors
def test_errors_name_the_layer_and_the_expected_shape():
    lstm = ss.nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\).*input_size=3.*\(5, 2, 7\)"):
        lstm(ss.zeros(5, 2, 7))
    with pytest.raises(ValueError, match=r"h_0 must have shape \(2, 2, 4\).*\(1, 2, 4\)"):
        lstm(ss.zeros(5, 2, 3), (ss.zeros(1, 2, 4), ss.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match=r"c_0 must have shape"):
        lstm(ss.zeros(5, 2, 3), (ss.zeros(2, 2, 4), ss.zeros(2, 3, 4)))
    with pytest.raises(ValueError, match=r"GRU\(3, 4\).*length 6 is longer than the sequence"):
        ss.nn.GRU(3, 4)(ss.zeros(5, 2, 3), lengths=[6, 2])
    with pytest.raises(ValueError, match=r"2 lengths for a batch of 3"):
        ss.nn.GRU(3, 4)(ss.zeros(5, 3, 3), lengths=[5, 2])
    with pytest.raises(ValueError, match=r"sorted in decreasing order.*\[2, 5\]"):
        pack_padded_sequence(ss.zeros(5, 2, 3), [2, 5])
    with pytest.raises(ValueError, match=r"length 7 is longer"):
        pack_padded_sequence(ss.zeros(5, 2, 3), [7, 5], enforce_sorted=False)
    with pytest.raises(ValueError, match=r"LSTMCell\(3, 4\) expected input \(N, 3\)"):
        ss.nn.LSTMCell(3, 4)(ss.zeros(2, 5))
    with pytest.raises(ValueError, match=r"nonlinearity"):
        ss.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match=r"floating-point"):
        ss.nn.RNN(3, 4)(ss.zeros(5, 2, 3, dtype=ss.int64))


# ------------------------------------------------------------------ packing and weights
def test_packed_sequence_matches_torch_layout():
    x = np.arange(4 * 3 * 2, dtype=np.float32).reshape(4, 3, 2)
    lengths = [2, 4, 1]
    p = pack_padded_sequence(ss.tensor(x), lengths, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(
        torch.tensor(x), torch.tensor(lengths), enforce_sorted=False
    )
    np.testing.assert_array_equal(p.data.numpy(), tp.data.numpy())
    np.testing.assert_array_equal(p.batch_sizes, tp.batch_sizes.numpy())
    np.testing.assert_array_equal(p.sorted_indices, tp.sorted_indices.numpy())
    np.testing.assert_array_equal(p.unsorted_indices, tp.unsorted_indices.numpy())
    out, lens = pad_packed_sequence(p, batch_first=True, padding_value=-1.0)
    tout, tlens = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=True, padding_value=-1.0)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    assert lens.tolist() == tlens.tolist()
    q = pack_sequence([ss.ones(3, 2), ss.ones(2, 2)])
    assert q.batch_sizes.tolist() == [2, 2, 1]


def test_torch_state_dict_names_and_round_trip():
    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    m = ss.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert list(m.state_dict().keys()) == list(tm.state_dict().keys())
    for (k, v), (_tk, tv) in zip(m.state_dict().items(), tm.state_dict().items()):
        assert v.shape == tuple(tv.shape), k
    k = 1 / np.sqrt(4)
    assert all(float(abs(p).max()) <= k for p in m.parameters())  # U(-1/√H, 1/√H)
    m2 = ss.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    m2.load_state_dict(m.state_dict())
    x = ss.randn(5, 2, 3)
    np.testing.assert_array_equal(m(x)[0].numpy(), m2(x)[0].numpy())
    assert sum(p.numel() for p in m.parameters()) == sum(p.numel() for p in tm.parameters())


# --------------------------------------------------------------------------- convergence
def test_lstm_learns_the_sum_of_a_sequence():
    """An LSTM reads 5 numbers in [-1, 1] (variable lengths 2..5) and outputs their sum."""
    ss.manual_seed(0)
    rng = np.random.default_rng(0)
    lstm, head = ss.nn.LSTM(1, 12, batch_first=True), ss.nn.Linear(12, 1)
    opt = ss.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.03)

    def batch(n):
        x = rng.uniform(-1, 1, (n, 5, 1)).astype(np.float32)
        lens = rng.integers(2, 6, n)
        x[np.arange(5)[None, :] >= lens[:, None]] = 7.0  # padding junk must not matter
        y = np.where(np.arange(5)[None, :] < lens[:, None], x[..., 0], 0).sum(1, keepdims=True)
        return ss.tensor(x), lens, ss.tensor(y.astype(np.float32))

    for _ in range(250):
        x, lens, y = batch(32)
        _, (h, _) = lstm(x, lengths=lens)
        loss = F.mse_loss(head(h[0]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, lens, y = batch(256)
    with ss.no_grad():
        _, (h, _) = lstm(x, lengths=lens)
        err = F.mse_loss(head(h[0]), y).item()
    assert err < 0.05, err  # the variance of the target is about 1.2


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_changing_the_output_in_place_keeps_the_gradient_right(mode):
    """Backward reads saved states, never the output arrays the caller may change."""
    m = SS_CLS[mode](2, 3)
    x = ss.randn(4, 2, 2, requires_grad=True)
    (m(x)[0] * 2).sum().backward()
    g1 = x.grad.numpy().copy()
    x.grad = None
    out = m(x)[0]
    out.mul_(2)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g1, rtol=1e-6)
