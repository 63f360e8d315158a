"""Transformer layers (issue 16) against PyTorch with the same weights: encoder and decoder
layers (pre- and post-norm, relu and gelu, both layouts, every kind of mask), the stacks and
``nn.Transformer``; incremental decoding against the full causal forward; positional
encodings; the Noam warm-up; label-smoothed cross-entropy with ignore_index; errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from optest import assert_close_to

import shinsou as ss
import shinsou.functional as F

D, H, FF = 8, 2, 16


def load_from_torch(m, tm):
    names = list(tm.state_dict())
    assert list(m.state_dict()) == names
    m.load_state_dict({k: ss.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _close(a, b, what):
    assert_close_to(a.numpy(), b.detach().numpy(), what)


def _layout(batch_first, N, S):
    return (N, S, D) if batch_first else (S, N, D)


def _run_both(m, tm, arrays, kw_ss, kw_t, seed=0):
    """Forward both, then backward a random projection; compare outputs, the gradients of
    every input and every parameter."""
    xs = [ss.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = m(*xs, **kw_ss), tm(*ts, **kw_t)
    _close(out, tout, "output")
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    (out * ss.tensor(g)).sum().backward()
    (tout * torch.from_numpy(g)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        _close(x.grad, t.grad, f"gradient of input {i}")
    tp = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        _close(p.grad, tp[name].grad, f"gradient of {name}")


def _masks(N, S, T, rng):
    kpm = np.zeros((N, S), bool)
    kpm[0, -2:] = True
    tkpm = np.zeros((N, T), bool)
    tkpm[1, -1] = True
    causal = np.triu(np.full((T, T), -np.inf, np.float32), 1)
    return kpm, tkpm, causal


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(batch_first, norm_first, activation):
    torch.manual_seed(0)
    kw = dict(dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first)
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, **kw)
    m = ss.nn.TransformerEncoderLayer(D, H, FF, **kw)
    load_from_torch(m, tm)
    rng = np.random.default_rng(1)
    N, S = 3, 5
    x = rng.standard_normal(_layout(batch_first, N, S)).astype(np.float32)
    kpm, _, _ = _masks(N, S, S, rng)
    am = rng.standard_normal((S, S)).astype(np.float32)  # a float mask (added)
    _run_both(
        m, tm, [x],
        {"src_mask": ss.tensor(am), "src_key_padding_mask": ss.tensor(kpm)},
        {"src_mask": torch.from_numpy(am), "src_key_padding_mask": torch.from_numpy(kpm)},
    )  # fmt: skip


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_matches_torch(batch_first, norm_first, activation):
    torch.manual_seed(1)
    kw = dict(dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first)
    tm = torch.nn.TransformerDecoderLayer(D, H, FF, **kw)
    m = ss.nn.TransformerDecoderLayer(D, H, FF, **kw)
    load_from_torch(m, tm)
    rng = np.random.default_rng(2)
    N, S, T = 3, 6, 4
    tgt = rng.standard_normal(_layout(batch_first, N, T)).astype(np.float32)
    mem = rng.standard_normal(_layout(batch_first, N, S)).astype(np.float32)
    kpm, tkpm, causal = _masks(N, S, T, rng)
    bool_causal = np.triu(np.ones((T, T), bool), 1)  # True = not allowed (PyTorch's MHA)
    mm = rng.standard_normal((T, S)).astype(np.float32)
    _run_both(
        m, tm, [tgt, mem],
        {"tgt_mask": ss.tensor(bool_causal), "memory_mask": ss.tensor(mm),
         "tgt_key_padding_mask": ss.tensor(tkpm), "memory_key_padding_mask": ss.tensor(kpm)},
        {"tgt_mask": torch.from_numpy(bool_causal), "memory_mask": torch.from_numpy(mm),
         "tgt_key_padding_mask": torch.from_numpy(tkpm),
         "memory_key_padding_mask": torch.from_numpy(kpm)},
    )  # fmt: skip


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(batch_first, norm_first):
    torch.manual_seed(2)
    kw = dict(dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    tm = torch.nn.Transformer(D, H, 2, 2, FF, **kw)
    m = ss.nn.Transformer(D, H, 2, 2, FF, **kw)
    load_from_torch(m, tm)
    rng = np.random.default_rng(3)
    N, S, T = 2, 5, 4
    src = rng.standard_normal(_layout(batch_first, N, S)).astype(np.float32)
    tgt = rng.standard_normal(_layout(batch_first, N, T)).astype(np.float32)
    kpm, tkpm, causal = _masks(N, S, T, rng)
    _run_both(
        m, tm, [src, tgt],
        {"tgt_mask": m.generate_square_subsequent_mask(T), "src_key_padding_mask": ss.tensor(kpm),
         "memory_key_padding_mask": ss.tensor(kpm), "tgt_key_padding_mask": ss.tensor(tkpm)},
        {"tgt_mask": torch.from_numpy(causal), "src_key_padding_mask": torch.from_numpy(kpm),
         "memory_key_padding_mask": torch.from_numpy(kpm),
         "tgt_key_padding_mask": torch.from_numpy(tkpm)},
    )  # fmt: skip


def test_dropout_layers_in_eval_match_torch_and_train_is_random():
    torch.manual_seed(3)
    tm = torch.nn.Transformer(D, H, 1, 1, FF, dropout=0.3, batch_first=True).eval()
    m = ss.nn.Transformer(D, H, 1, 1, FF, dropout=0.3, batch_first=True)
    load_from_torch(m, tm)
    m.eval()
    rng = np.random.default_rng(4)
    src, tgt = (rng.standard_normal((2, n, D)).astype(np.float32) for n in (5, 3))
    mask = m.generate_square_subsequent_mask(3)
    _run_both(m, tm, [src, tgt], {"tgt_mask": mask}, {"tgt_mask": torch.from_numpy(mask.numpy())})
    m.train()
    a = m(ss.tensor(src), ss.tensor(tgt)).numpy()
    b = m(ss.tensor(src), ss.tensor(tgt)).numpy()
    assert not np.allclose(a, b)


def test_stacks_are_deep_copies_and_init_like_torch():
    layer = ss.nn.TransformerEncoderLayer(D, H, FF)
    enc = ss.nn.TransformerEncoder(layer, 3)
    ws = [lyr.linear1.weight for lyr in enc.layers]
    assert all(w is not layer.linear1.weight for w in ws)
    assert np.array_equal(ws[0].numpy(), ws[2].numpy())  # copies start equal
    with ss.no_grad():
        ws[0].add_(1.0)
    assert not np.array_equal(ws[0].numpy(), ws[1].numpy())
    m = ss.nn.Transformer(16, 4, 2, 2, 32)
    tm = torch.nn.Transformer(16, 4, 2, 2, 32)
    assert m.num_parameters() == sum(p.numel() for p in tm.parameters())
    # Xavier-uniform on every matrix: bound √(6 / (fan_in + fan_out))
    w = m.decoder.layers[1].linear1.weight.numpy()
    assert np.abs(w).max() <= np.sqrt(6 / 48) and np.abs(w).max() > 0.5 * np.sqrt(6 / 48)


def test_custom_activation_callable():
    torch.manual_seed(5)
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation=torch.tanh)
    m = ss.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation=F.tanh)
    load_from_torch(m, tm)
    x = np.random.default_rng(6).standard_normal((4, 2, D)).astype(np.float32)
    _run_both(m, tm, [x], {}, {})


# ------------------------------------------------------------------ incremental decoding
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_forward_step_equals_full_causal_forward(batch_first, norm_first):
    ss.manual_seed(0)
    m = ss.nn.Transformer(D, H, 1, 2, FF, dropout=0.1, batch_first=batch_first,
                          norm_first=norm_first).eval()  # fmt: skip
    rng = np.random.default_rng(7)
    N, S, T = 3, 5, 4
    src = ss.tensor(rng.standard_normal(_layout(batch_first, N, S)).astype(np.float32))
    tgt = rng.standard_normal(_layout(batch_first, N, T)).astype(np.float32)
    kpm = np.zeros((N, S), bool)
    kpm[2, -3:] = True
    kpm = ss.tensor(kpm)
    with ss.no_grad():
        mem = m.encoder(src, src_key_padding_mask=kpm)
        full = m.decoder(ss.tensor(tgt), mem, tgt_mask=m.generate_square_subsequent_mask(T),
                         memory_key_padding_mask=kpm).numpy()  # fmt: skip
        cache, outs = None, []
        for t in range(T):
            x = tgt[:, t : t + 1] if batch_first else tgt[t : t + 1]
            y, cache = m.decoder.forward_step(ss.tensor(x), mem, cache, kpm)
            outs.append(y.numpy())
    step = np.concatenate(outs, 1 if batch_first else 0)
    np.testing.assert_allclose(step, full, rtol=1e-5, atol=1e-5)
    assert cache[0]["k"].shape == (N, H, T, D // H) and cache[1]["mem_k"].shape == (N, H, S, D // H)


def test_reorder_cache_follows_the_beams():
    ss.manual_seed(1)
    m = ss.nn.Transformer(D, H, 1, 2, FF, batch_first=True).eval()
    rng = np.random.default_rng(8)
    mem = m.encoder(ss.tensor(rng.standard_normal((3, 4, D)).astype(np.float32)))
    tgt = rng.standard_normal((3, 3, D)).astype(np.float32)
    order = np.array([2, 2, 0])
    cache = None
    for t in range(2):
        _, cache = m.decoder.forward_step(ss.tensor(tgt[:, t : t + 1]), mem, cache)
    cache = m.decoder.reorder_cache(cache, ss.tensor(order))
    y, _ = m.decoder.forward_step(ss.tensor(tgt[order, 2:3]), F.index_select(mem, 0,
                                  ss.tensor(order)), cache)  # fmt: skip
    full = m.decoder(ss.tensor(tgt[order]), F.index_select(mem, 0, ss.tensor(order)),
                     tgt_mask=m.generate_square_subsequent_mask(3))  # fmt: skip
    np.testing.assert_allclose(y.numpy()[:, 0], full.numpy()[:, 2], rtol=1e-5, atol=1e-5)


def test_forward_step_errors():
    dec = ss.nn.TransformerDecoder(ss.nn.TransformerDecoderLayer(D, H, FF, batch_first=True), 2)
    mem = ss.randn(2, 3, D)
    with pytest.raises(ValueError, match="one new position"):
        dec.forward_step(ss.randn(2, 2, D), mem)
    with pytest.raises(ValueError, match="memory has batch 2"):
        dec.forward_step(ss.randn(3, 1, D), mem)
    _, cache = dec.forward_step(ss.randn(2, 1, D), mem)
    with pytest.raises(ValueError, match="cache has 1 layers"):
        dec.forward_step(ss.randn(2, 1, D), mem, cache[:1])


# ------------------------------------------------------------------ positional encodings
def test_sinusoidal_positional_encoding_formula_and_offset():
    pe = ss.nn.PositionalEncoding(6, dropout=0.0, max_len=20)
    x = ss.zeros(7, 2, 6)
    y = pe(x).numpy()
    pos, i = 5, 2  # dims 2i = 4 and 2i+1 = 5
    np.testing.assert_allclose(y[pos, 1, 4], np.sin(pos / 10000 ** (4 / 6)), rtol=1e-6)
    np.testing.assert_allclose(y[pos, 0, 5], np.cos(pos / 10000 ** (4 / 6)), rtol=1e-6)
    assert i == 2
    shifted = pe(ss.zeros(1, 2, 6), offset=5).numpy()
    np.testing.assert_array_equal(shifted[0], y[5])
    bf = ss.nn.PositionalEncoding(6, dropout=0.0, batch_first=True)
    np.testing.assert_allclose(bf(ss.zeros(2, 7, 6)).numpy()[1], y[:, 1], rtol=1e-6)
    assert list(pe.state_dict()) == []  # the table is not saved
    odd = ss.nn.PositionalEncoding(5, dropout=0.0)(ss.zeros(3, 1, 5)).numpy()
    np.testing.assert_allclose(odd[2, 0, 4], np.sin(2 / 10000 ** (4 / 5)), rtol=1e-6)
    pe.train()
    ss.manual_seed(0)
    assert (ss.nn.PositionalEncoding(6, dropout=0.5)(ss.ones(4, 2, 6)).numpy() == 0).any()


def test_learned_positional_encoding():
    lpe = ss.nn.LearnedPositionalEncoding(10, 4)
    x = ss.randn(3, 2, 4)
    y = lpe(x)
    np.testing.assert_allclose(y.numpy()[:, 0], x.numpy()[:, 0] + lpe.weight.numpy()[:3])
    y.sum().backward()
    g = lpe.weight.grad.numpy()
    assert np.all(g[:3] == 2) and np.all(g[3:] == 0)  # each position used by N = 2 samples
    assert list(lpe.state_dict()) == ["weight"]
    with pytest.raises(ValueError, match=r"LearnedPositionalEncoding\(max_len=10\)"):
        lpe(ss.randn(11, 1, 4))
    with pytest.raises(ValueError, match=r"PositionalEncoding\(d_model=4\) expected input"):
        ss.nn.PositionalEncoding(4)(ss.randn(2, 2, 5))


# ------------------------------------------------------------------ schedule and the loss
def test_noam_schedule_values_and_state_dict():
    def lr(s, d=128, w=10, f=2.0):
        return f * d**-0.5 * min(s**-0.5, s * w**-1.5)

    opt = ss.optim.Adam([ss.nn.Parameter(ss.zeros(1))], lr=123.0)
    sched = ss.optim.NoamLR(opt, d_model=128, warmup_steps=10, factor=2.0)
    got = []
    for _ in range(30):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(got, [lr(s) for s in range(1, 31)], rtol=1e-12)
    assert int(np.argmax(got)) == 9  # the peak at s = warmup_steps
    state = sched.state_dict()
    opt2 = ss.optim.Adam([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    s2 = ss.optim.lr_scheduler.InverseSqrtLR(opt2, d_model=128, warmup_steps=10, factor=2.0)
    s2.load_state_dict(state)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    with pytest.raises(ValueError, match="NoamLR: warmup_steps must be positive"):
        ss.optim.NoamLR(opt, 128, 0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_smoothing_with_ignore_index_matches_torch(reduction):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    t = np.array([1, 0, 4, 0, 2, 3])  # class 0 plays <pad>
    xs, xt = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kw = dict(ignore_index=0, label_smoothing=0.1, reduction=reduction)
    y = F.cross_entropy(xs, ss.tensor(t), **kw)
    ty = torch.nn.functional.cross_entropy(xt, torch.from_numpy(t), **kw)
    _close(y, ty, "loss")
    y.sum().backward()
    ty.sum().backward()
    _close(xs.grad, xt.grad, "gradient")


def test_layer_errors_name_the_layer():
    layer = ss.nn.TransformerEncoderLayer(D, H, FF, batch_first=True)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer\(d_model=8\) expected src"):
        layer(ss.randn(2, 3, 6))
    dec = ss.nn.TransformerDecoderLayer(D, H, FF)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer\(d_model=8\) expected memory"):
        dec(ss.randn(3, 2, D), ss.randn(3, 2, 4))
    with pytest.raises(ValueError, match="activation must be"):
        ss.nn.TransformerEncoderLayer(D, H, activation="swish")
    with pytest.raises(ValueError, match="num_layers must be a positive int"):
        ss.nn.TransformerEncoder(layer, 0)
    m = ss.nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(ValueError, match="batch sizes of src"):
        m(ss.randn(4, 2, D), ss.randn(3, 3, D))
    with pytest.raises(ValueError, match=r"Transformer\(d_model=8\)"):
        m(ss.randn(4, 2, 6), ss.randn(3, 2, 6))


def test_record_weights_keeps_per_head_maps():
    ss.manual_seed(2)
    m = ss.nn.Transformer(D, H, 1, 1, FF, batch_first=True).eval()
    cross = m.decoder.layers[0].multihead_attn
    cross.record_weights = True
    src, tgt = ss.randn(2, 5, D), ss.randn(2, 3, D)
    pad = ss.tensor(np.array([[False] * 3 + [True] * 2, [False] * 5]))
    m(src, tgt, src_key_padding_mask=pad, memory_key_padding_mask=pad)
    w = cross.last_attn_weights.numpy()
    assert w.shape == (2, H, 3, 5) and not cross.last_attn_weights.requires_grad
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
    assert np.all(w[0, :, :, 3:] == 0)
    # the same maps as asking the layer itself for unaveraged weights
    x = m.decoder.layers[0].norm1(tgt + m.decoder.layers[0]._sa_block(tgt, None, None, False))
    mem = m.encoder(src, src_key_padding_mask=pad)
    _, w2 = cross(x, mem, mem, key_padding_mask=pad, average_attn_weights=False)
    np.testing.assert_allclose(w, w2.numpy(), rtol=1e-5, atol=1e-6)
    assert m.encoder.layers[0].self_attn.last_attn_weights is None  # off by default


@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_forward_step_equals_layer_forward(batch_first):
    ss.manual_seed(3)
    layer = ss.nn.TransformerDecoderLayer(D, H, FF, batch_first=batch_first).eval()
    rng = np.random.default_rng(10)
    N, S, T = 2, 4, 3
    tgt = rng.standard_normal(_layout(batch_first, N, T)).astype(np.float32)
    mem = ss.tensor(rng.standard_normal(_layout(batch_first, N, S)).astype(np.float32))
    pad = ss.tensor(np.array([[False, False, True, True], [False] * 4]))
    causal = ss.nn.Transformer.generate_square_subsequent_mask(T)
    full = layer(ss.tensor(tgt), mem, tgt_mask=causal, memory_key_padding_mask=pad).numpy()
    cache, outs = None, []
    for t in range(T):
        x = tgt[:, t : t + 1] if batch_first else tgt[t : t + 1]
        y, cache = layer.forward_step(ss.tensor(x), mem, cache, pad)
        outs.append(y.numpy())
    np.testing.assert_allclose(np.concatenate(outs, 1 if batch_first else 0), full,
                               rtol=1e-5, atol=1e-5)  # fmt: skip
