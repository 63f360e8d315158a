"""Attention (issue 16): scaled dot-product attention (NumPy, gradcheck, double backward,
PyTorch), MultiheadAttention against PyTorch with the same weights (outputs and every
gradient, with masks, both layouts), Bahdanau and Luong attention, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from optest import assert_close_to, check_op

import shinsou as ss
import shinsou.functional as F

TF = torch.nn.functional


def _torch_sdpa(*args, **kwargs):
    # the math backend: PyTorch's fused CPU kernel has no double backward
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel(SDPBackend.MATH):
        return TF.scaled_dot_product_attention(*args, **kwargs)


def _np_sdpa(q, k, v, allowed=None, bias=None, causal=False, scale=None):
    s = (1 / np.sqrt(q.shape[-1])) if scale is None else scale
    z = q @ np.swapaxes(k, -1, -2) * s
    if causal:
        allowed = np.tri(q.shape[-2], k.shape[-2], dtype=bool)
    if allowed is not None:
        z = np.where(allowed, z, -np.inf)
    if bias is not None:
        z = z + bias
    e = np.exp(z - z.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ v


# ------------------------------------------------------------------ scaled_dot_product_attention
@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 4), (5, 4), (5, 2)],  # no batch dims
        [(2, 3, 4), (2, 5, 4), (2, 5, 3)],
        [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)],  # (N, heads, L, d)
    ],
)
def test_sdpa_plain(shapes):
    check_op(F.scaled_dot_product_attention, _torch_sdpa, _np_sdpa, shapes)


def test_sdpa_scale_and_causal():
    shapes = [(2, 4, 3), (2, 4, 3), (2, 4, 2)]
    check_op(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7),
        lambda q, k, v: _torch_sdpa(q, k, v, is_causal=True, scale=0.7),
        lambda q, k, v: _np_sdpa(q, k, v, causal=True, scale=0.7),
        shapes,
    )


def test_sdpa_bool_mask_broadcast():
    rng = np.random.default_rng(3)
    allowed = rng.random((2, 1, 3, 5)) > 0.4
    allowed[..., 0] = True  # every query sees at least one key (PyTorch gives NaN otherwise)
    check_op(
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
        lambda q, k, v, m: _torch_sdpa(q, k, v, attn_mask=m),
        lambda q, k, v, m: _np_sdpa(q, k, v, allowed=m),
        [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)],
        aux=[allowed],
    )


def test_sdpa_float_mask():
    bias = np.random.default_rng(4).standard_normal((3, 5))
    bias[1, 2] = -np.inf
    check_op(
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m.to(q.dtype)),
        lambda q, k, v, m: _torch_sdpa(q, k, v, attn_mask=m.to(q.dtype)),
        lambda q, k, v, m: _np_sdpa(q, k, v, bias=m),
        [(2, 3, 4), (2, 5, 4), (2, 5, 3)],
        aux=[bias],
    )


def test_sdpa_learned_float_mask_gets_gradient():
    check_op(
        lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b),
        lambda q, k, v, b: _torch_sdpa(q, k, v, attn_mask=b),
        lambda q, k, v, b: _np_sdpa(q, k, v, bias=b),
        [(2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5)],
    )


def test_sdpa_fully_masked_row_is_zero_with_zero_gradient():
    q = ss.randn(1, 2, 3, requires_grad=True)
    k = ss.randn(1, 4, 3, requires_grad=True)
    allowed = ss.tensor([[True, True, False, False], [False, False, False, False]])
    out = F.scaled_dot_product_attention(q, k, k, attn_mask=allowed)
    assert np.isfinite(out.numpy()).all()
    assert np.all(out.numpy()[0, 1] == 0)
    out.sum().backward()
    assert np.all(q.grad.numpy()[0, 1] == 0) and np.isfinite(k.grad.numpy()).all()


def test_sdpa_dropout_statistics():
    ss.manual_seed(0)
    q = ss.zeros(1, 4, 2)  # uniform weights 1/4 over 4 keys
    v = ss.ones(1, 4, 1)
    out = F.scaled_dot_product_attention(q, q, v.expand(1, 4, 1), dropout_p=0.5)
    # each output = Σ_j (1/4)·m_j/(1-p) with m_j ∈ {0, 1}: a multiple of 0.5
    vals = out.numpy().ravel() * 2
    assert np.allclose(vals, np.round(vals)) and not np.allclose(out.numpy(), 1.0)


def test_sdpa_errors():
    q = ss.randn(2, 3, 4)
    with pytest.raises(ValueError, match="scaled_dot_product_attention.*feature size"):
        F.scaled_dot_product_attention(q, ss.randn(2, 5, 3), ss.randn(2, 5, 3))
    with pytest.raises(ValueError, match="same sequence length"):
        F.scaled_dot_product_attention(q, ss.randn(2, 5, 4), ss.randn(2, 6, 4))
    with pytest.raises(ValueError, match="attn_mask of shape"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ss.ones(2, 2) > 0)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ss.ones(3, 3) > 0, is_causal=True)


# ------------------------------------------------------------------------- MultiheadAttention
def load_from_torch(m, tm):
    m.load_state_dict({k: ss.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _close(a, b, what):
    assert_close_to(a.numpy(), b.detach().numpy(), what)


def _compare_mha(m, tm, inputs, kwargs_ss, kwargs_t, self_attn=False):
    """Forward, the returned weights and the gradients of inputs and parameters."""
    rng = np.random.default_rng(9)
    xs = [ss.tensor(a, requires_grad=True) for a in inputs]
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    if self_attn:
        xs, ts = [xs[0]] * 3, [ts[0]] * 3
    out, w = m(*xs, **kwargs_ss)
    tout, tw = tm(*ts, **kwargs_t)
    _close(out, tout, "output")
    if tw is None:
        assert w is None
    else:
        _close(w, tw, "weights")
    g = rng.standard_normal(out.shape).astype(np.float32)
    loss = (out * ss.tensor(g)).sum()
    tloss = (tout * torch.from_numpy(g)).sum()
    if w is not None:
        gw = rng.standard_normal(w.shape).astype(np.float32)
        loss = loss + (w * ss.tensor(gw)).sum()
        tloss = tloss + (tw * torch.from_numpy(gw)).sum()
    loss.backward()
    tloss.backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.grad is not None:
            _close(x.grad, t.grad, f"gradient of input {i}")
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        _close(p.grad, tparams[name].grad, f"gradient of {name}")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("self_attn", [False, True])
def test_mha_matches_torch(batch_first, self_attn):
    torch.manual_seed(0)
    E, H, L, S, N = 8, 2, 4, 4 if self_attn else 6, 3
    tm = torch.nn.MultiheadAttention(E, H, batch_first=batch_first)
    m = ss.nn.MultiheadAttention(E, H, batch_first=batch_first)
    load_from_torch(m, tm)
    rng = np.random.default_rng(1)
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    ins = [rng.standard_normal(shape(L)).astype(np.float32)] + [
        rng.standard_normal(shape(S)).astype(np.float32) for _ in range(2)
    ]
    kpm = np.zeros((N, S), bool)
    kpm[0, -2:] = True
    kw = dict(key_padding_mask=kpm)
    _compare_mha(
        m,
        tm,
        ins,
        {"key_padding_mask": ss.tensor(kpm)},
        {"key_padding_mask": torch.from_numpy(kpm)},
        self_attn,
    )
    assert kw  # the same mask went to both


@pytest.mark.parametrize("mask_kind", ["bool", "float", "causal", "float3d"])
def test_mha_attn_masks(mask_kind):
    torch.manual_seed(1)
    E, H, L, N = 8, 2, 5, 2
    tm = torch.nn.MultiheadAttention(E, H, batch_first=True)
    m = ss.nn.MultiheadAttention(E, H, batch_first=True)
    load_from_torch(m, tm)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((N, L, E)).astype(np.float32)
    if mask_kind == "bool":
        am = rng.random((L, L)) > 0.6
        np.fill_diagonal(am, False)
    elif mask_kind == "float":
        am = rng.standard_normal((L, L)).astype(np.float32)
    elif mask_kind == "float3d":
        am = rng.standard_normal((N * H, L, L)).astype(np.float32)
    else:
        am = np.triu(np.full((L, L), -np.inf, np.float32), 1)
    kw_s = {"attn_mask": ss.tensor(am), "average_attn_weights": mask_kind != "float3d"}
    kw_t = {"attn_mask": torch.from_numpy(am), "average_attn_weights": mask_kind != "float3d"}
    if mask_kind == "causal":
        kw_s = {"is_causal": True}  # ours builds the causal mask itself
    _compare_mha(m, tm, [x], kw_s, kw_t, self_attn=True)


def test_mha_kdim_vdim_no_bias_unbatched_and_no_weights():
    torch.manual_seed(2)
    tm = torch.nn.MultiheadAttention(6, 3, kdim=4, vdim=5, bias=False)
    m = ss.nn.MultiheadAttention(6, 3, kdim=4, vdim=5, bias=False)
    assert sorted(n for n, _ in m.named_parameters()) == sorted(n for n, _ in tm.named_parameters())
    load_from_torch(m, tm)
    rng = np.random.default_rng(3)
    ins = [rng.standard_normal(s).astype(np.float32) for s in [(3, 2, 6), (4, 2, 4), (4, 2, 5)]]
    _compare_mha(m, tm, ins, {}, {})
    uns = [a[:, 0] for a in ins]  # unbatched (L, E)
    _compare_mha(m, tm, uns, {"need_weights": False}, {"need_weights": False})


def test_mha_dropout_train_and_eval():
    torch.manual_seed(3)
    tm = torch.nn.MultiheadAttention(8, 4, dropout=0.5, batch_first=True).eval()
    m = ss.nn.MultiheadAttention(8, 4, dropout=0.5, batch_first=True)
    load_from_torch(m, tm)
    x = np.random.default_rng(4).standard_normal((2, 3, 8)).astype(np.float32)
    m.eval()
    _compare_mha(m, tm, [x], {"average_attn_weights": False}, {"average_attn_weights": False}, True)
    m.train()
    ss.manual_seed(0)
    xs = ss.tensor(x)
    a, b = m(xs, xs, xs)[0], m(xs, xs, xs)[0]
    assert not np.allclose(a.numpy(), b.numpy())  # dropout draws a new mask each call


def test_mha_parameters_repr_state_dict():
    m = ss.nn.MultiheadAttention(16, 4, dropout=0.1)
    tm = torch.nn.MultiheadAttention(16, 4, dropout=0.1)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.num_parameters() == sum(p.numel() for p in tm.parameters())
    assert "num_heads=4" in repr(m)
    m2 = ss.nn.MultiheadAttention(16, 4)
    m2.load_state_dict(m.state_dict())
    x = ss.randn(3, 2, 16)
    m.eval(), m2.eval()
    assert np.array_equal(m(x, x, x)[0].numpy(), m2(x, x, x)[0].numpy())


def test_mha_errors():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        ss.nn.MultiheadAttention(10, 3)
    m = ss.nn.MultiheadAttention(8, 2, batch_first=True)
    x = ss.randn(2, 3, 8)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=8.*query \(\.\.\., E=8\)"):
        m(ss.randn(2, 3, 7), x, x)
    with pytest.raises(ValueError, match="key_padding_mask must be"):
        m(x, x, x, key_padding_mask=ss.ones(2, 4) > 0)
    with pytest.raises(ValueError, match="2-D attn_mask must be"):
        m(x, x, x, attn_mask=ss.ones(2, 2) > 0)
    with pytest.raises(ValueError, match="batch sizes"):
        m(x, ss.randn(3, 3, 8), ss.randn(3, 3, 8))
    with pytest.raises(TypeError, match="floating-point"):
        m(ss.ones(2, 3, 8, dtype=ss.int64), x, x)


# -------------------------------------------------------------------- Bahdanau and Luong
def _np_softmax_masked(z, allowed):
    z = np.where(allowed, z, -np.inf)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _rnn_data(Dq=4, Dk=6, S=5, N=3, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((N, Dq))
    k = rng.standard_normal((N, S, Dk))
    allowed = np.ones((N, S), bool)
    allowed[0, 3:] = False
    allowed[2, 1:] = False
    return q, k, allowed


def test_bahdanau_formula_mask_and_gradcheck():
    q, k, allowed = _rnn_data()
    att = ss.nn.BahdanauAttention(4, 6, hidden_dim=7).double()
    ctx, w = att(ss.tensor(q), ss.tensor(k), mask=ss.tensor(allowed))
    Wq, Wk = att.query_proj.weight.numpy(), att.key_proj.weight.numpy()
    b, v = att.key_proj.bias.numpy(), att.v.weight.numpy()[0]
    score = np.tanh((q @ Wq.T)[:, None] + k @ Wk.T + b) @ v
    ref_w = _np_softmax_masked(score, allowed)
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-10)
    np.testing.assert_allclose(ctx.numpy(), np.einsum("ns,nsd->nd", ref_w, k), rtol=1e-10)
    assert np.all(w.numpy()[~allowed] == 0)
    # projected keys computed once give the same result
    ctx2, _ = att(ss.tensor(q), ss.tensor(k), mask=ss.tensor(allowed),
                  projected_keys=att.project_keys(ss.tensor(k)))  # fmt: skip
    np.testing.assert_allclose(ctx2.numpy(), ctx.numpy(), rtol=1e-12)
    m = ss.tensor(allowed)
    ins = [ss.tensor(q, requires_grad=True), ss.tensor(k, requires_grad=True)]
    ss.gradcheck(lambda a, b_: att(a, b_, mask=m)[0], ins)
    ss.autograd.gradgradcheck(lambda a, b_: att(a, b_, mask=m)[0], ins)


@pytest.mark.parametrize("mode", ["dot", "general", "concat"])
def test_luong_formula_values_and_gradcheck(mode):
    Dk = 4 if mode == "dot" else 6
    q, k, allowed = _rnn_data(Dk=Dk, seed=1)
    vals = np.random.default_rng(5).standard_normal((3, 5, 2))
    att = ss.nn.LuongAttention(4, Dk, mode=mode, hidden_dim=3).double()
    ctx, w = att(ss.tensor(q), ss.tensor(k), ss.tensor(vals), mask=ss.tensor(allowed))
    if mode == "dot":
        score = np.einsum("nd,nsd->ns", q, k)
    elif mode == "general":
        score = np.einsum("nd,de,nse->ns", q, att.W.weight.numpy(), k)
    else:
        W, v = att.W.weight.numpy(), att.v.weight.numpy()[0]
        cat = np.concatenate([np.broadcast_to(q[:, None], (3, 5, 4)), k], -1)
        score = np.tanh(cat @ W.T) @ v
    ref_w = _np_softmax_masked(score, allowed)
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-10)
    np.testing.assert_allclose(ctx.numpy(), np.einsum("ns,nsd->nd", ref_w, vals), rtol=1e-10)
    m = ss.tensor(allowed)
    ins = [ss.tensor(a, requires_grad=True) for a in (q, k, vals)]
    ss.gradcheck(lambda a, b, c: att(a, b, c, mask=m)[0], ins)
    ss.autograd.gradgradcheck(lambda a, b, c: att(a, b, c, mask=m)[0], ins)


def test_rnn_attention_errors_and_repr():
    att = ss.nn.BahdanauAttention(4, 6)
    with pytest.raises(ValueError, match=r"BahdanauAttention.*expected query \(N, 4\)"):
        att(ss.randn(2, 5), ss.randn(2, 3, 6))
    with pytest.raises(ValueError, match=r"expected keys \(N=2, S, 6\)"):
        att(ss.randn(2, 4), ss.randn(2, 3, 5))
    with pytest.raises(ValueError, match="boolean mask"):
        att(ss.randn(2, 4), ss.randn(2, 3, 6), mask=ss.ones(2, 3))
    with pytest.raises(ValueError, match="mode must be one of"):
        ss.nn.LuongAttention(4, mode="bilinear")
    with pytest.raises(ValueError, match="query_dim == key_dim"):
        ss.nn.LuongAttention(4, 5, mode="dot")
    assert "mode='general'" in repr(ss.nn.LuongAttention(4))
    assert ss.nn.LuongAttention(4, 6, mode="general").num_parameters() == 24


def test_mha_double_backward_float64():
    ss.manual_seed(4)
    m = ss.nn.MultiheadAttention(4, 2, batch_first=True).double()
    rng = np.random.default_rng(6)
    q = ss.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    kv = ss.tensor(rng.standard_normal((2, 4, 4)), requires_grad=True)
    pad = ss.tensor(np.array([[False, False, False, True], [False] * 4]))
    causal = np.triu(np.ones((3, 4), bool), 1)

    def f(a, b):
        return m(a, b, b, key_padding_mask=pad, attn_mask=causal)[0]

    ss.gradcheck(f, [q, kv])
    ss.autograd.gradgradcheck(f, [q, kv])
