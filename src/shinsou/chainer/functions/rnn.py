"""The stacked recurrent functions of ``chainer.functions``: ``n_step_lstm``,
``n_step_bilstm``, ``n_step_gru``, ``n_step_bigru``, ``n_step_rnn``, ``n_step_birnn``.

They take the inputs *time-major*: ``xs[t]`` (B_t, I) holds the inputs of step t of the
sequences that are still running (sorted by decreasing length, as ``transpose_sequence``
makes them); ``hx`` (and ``cx``) are (S, B, H), S = layers × directions. Weights per layer
and direction follow Chainer's (cuDNN's) layout:

* LSTM: ``ws[k][0..3]`` (H, I) for the input, forget, cell and output gates from the input,
  ``ws[k][4..7]`` (H, H) the same from h, and the biases ``bs[k][0..7]`` (H,);
* GRU: ``ws[k][0..2]`` reset, update, new from the input, ``ws[k][3..5]`` from h:
  r = σ(W_r x + U_r h), z = σ(W_z x + U_z h), h̃ = tanh(W x + r·(U h + b_U)),
  h' = (1 − z) h̃ + z h;
* RNN: ``ws[k][0]`` (H, I), ``ws[k][1]`` (H, H): h' = act(W x + b0 + U h + b1).

Between layers the inputs go through ``dropout(dropout_ratio)`` (in training mode). The
results are ``(hy, cy, ys)`` (``(hy, ys)`` without a cell), ``ys[t]`` (B_t, H·directions).
"""

from __future__ import annotations

import numpy

from ...creation import zeros_like
from ...functional.ragged import pad_sequences, reverse_within_lengths, unpad_sequences
from ._core import T, V, sf
from .noise import dropout

__all__ = [
    "n_step_lstm",
    "n_step_bilstm",
    "n_step_gru",
    "n_step_bigru",
    "n_step_rnn",
    "n_step_birnn",
]


# each mode's weights as shinsou's fused recurrence takes them (functional.rnn: gates i, f,
# g, o for the LSTM and r, z, n for the GRU, which are Chainer's w0.. orders too): which of
# ws[k] / bs[k] make W_ih, b_ih (the input part) and W_hh, b_hh (the recurrent part)
_PARTS = {
    "lstm": ((0, 1, 2, 3), (4, 5, 6, 7)),
    "gru": ((0, 1, 2), (3, 4, 5)),
    "rnn_tanh": ((0,), (1,)),
    "rnn_relu": ((0,), (1,)),
}


def _joined(arrays, which):
    ts = [T(arrays[i]) for i in which]
    return ts[0] if len(ts) == 1 else sf.concat(ts, axis=0)


def _dropped(padded, batch, ratio):
    """Chainer's dropout between layers, one call per time step (B_t, F) in time order, so
    that a seeded script draws the masks Chainer draws; back to (T, B, F) padded."""
    steps = unpad_sequences(padded, batch)
    return pad_sequences([T(dropout(V(x), ratio)) for x in steps], padded.shape[1])


def _n_step(name, mode, n_weights, n_layers, dropout_ratio, hx, cx, ws, bs, xs, bi):
    """The stacked (bi)directional recurrence over time-major ``xs`` (module docstring),
    each layer and direction one fused shinsou ``recurrence`` over the padded batch
    (T, B, I) with a mask of the running sequences; the backward direction reads each
    sequence reversed within its own length, as Chainer's loop over ``reversed(xs)``
    does (a sequence joins at its own last step, its state carried till then)."""
    directions = 2 if bi else 1
    _check(name, hx, ws, bs, xs, n_layers, directions, n_weights)
    if not len(xs):
        raise ValueError(f"{name}: xs holds no time step")
    batch = [int(T(x).shape[0]) for x in xs]  # B_t, not increasing
    if any(a < b for a, b in zip(batch, batch[1:])):
        raise ValueError(
            f"{name}: the time steps' batches must not grow ({batch}); sort the sequences by "
            "decreasing length (transpose_sequence)"
        )
    steps, full = len(batch), batch[0]
    lengths = [sum(1 for b in batch if b > i) for i in range(full)]  # each sequence's
    x = pad_sequences([T(v) for v in xs])  # (T, B, I): step t's rows, then zeros
    hxt, cxt = T(hx), (T(cx) if cx is not None else None)
    if hxt.shape[1] != full:
        raise ValueError(f"{name}: hx has {hxt.shape[1]} sequences, xs[0] has {full}")
    mask = None
    rev = None
    if batch[-1] < full:  # some sequences end early
        mask = numpy.arange(steps)[:, None] < numpy.asarray(lengths)[None, :]
        rev = tuple(hxt.xp.asarray(i) for i in reverse_within_lengths(lengths, steps))
    ins, hid = _PARTS[mode]
    hy, cy = [], []
    layer_in = x
    for layer in range(n_layers):
        outs = []
        for d in range(directions):
            k = directions * layer + d
            inp = layer_in if layer == 0 else _dropped(layer_in, batch, dropout_ratio)
            xw = sf.linear(inp, _joined(ws[k], ins), _joined(bs[k], ins))  # all steps at once
            if d == 1:
                xw = xw[rev] if rev is not None else xw[::-1]
            w_hh, b_hh = _joined(ws[k], hid), _joined(bs[k], hid)
            if mode == "lstm":
                c0 = cxt[k] if cxt is not None else zeros_like(hxt[k])
                y, h, c = sf.recurrence(mode, xw, hxt[k], c0, w_hh, b_hh, mask)
                cy.append(c)
            else:
                y, h = sf.recurrence(mode, xw, hxt[k], None, w_hh, b_hh, mask)
            if d == 1:
                y = y[rev] if rev is not None else y[::-1]
            outs.append(y)
            hy.append(h)
        layer_in = outs[0] if directions == 1 else sf.concat(outs, axis=2)
    ys = unpad_sequences(layer_in, batch)  # step t: its B_t running sequences
    hy = V(sf.stack(hy))
    cy = V(sf.stack(cy)) if cx is not None else None
    return hy, cy, tuple(V(y) for y in ys)


def _check(name, hx, ws, bs, xs, n_layers, directions, n_weights):
    if len(ws) != n_layers * directions or len(bs) != n_layers * directions:
        raise ValueError(
            f"{name}: ws and bs need {n_layers * directions} entries (layers × directions), "
            f"got {len(ws)} and {len(bs)}"
        )
    if any(len(w) != n_weights for w in ws) or any(len(b) != n_weights for b in bs):
        raise ValueError(f"{name}: each entry of ws and bs must hold {n_weights} arrays")
    if hx.shape[0] != n_layers * directions:
        raise ValueError(f"{name}: hx must be (S={n_layers * directions}, B, H), got {hx.shape}")
    if len(xs) and xs[0].shape[1] != ws[0][0].shape[1]:
        raise ValueError(
            f"{name}: inconsistent input size: xs[0] has {xs[0].shape[1]} features, the "
            f"weights expect {ws[0][0].shape[1]}"
        )


def n_step_lstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs):
    """Stacked LSTM over time-major ``xs``; returns (hy, cy, ys)."""
    return _n_step("n_step_lstm", "lstm", 8, n_layers, dropout_ratio, hx, cx, ws, bs, xs, False)


def n_step_bilstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs):
    """Stacked bidirectional LSTM; ys[t] joins the forward and backward h: (B_t, 2H)."""
    return _n_step("n_step_bilstm", "lstm", 8, n_layers, dropout_ratio, hx, cx, ws, bs, xs, True)


def n_step_gru(n_layers, dropout_ratio, hx, ws, bs, xs):
    """Stacked GRU over time-major ``xs``; returns (hy, ys)."""
    hy, _, ys = _n_step(
        "n_step_gru", "gru", 6, n_layers, dropout_ratio, hx, None, ws, bs, xs, False
    )
    return hy, ys


def n_step_bigru(n_layers, dropout_ratio, hx, ws, bs, xs):
    """Stacked bidirectional GRU; returns (hy, ys)."""
    hy, _, ys = _n_step(
        "n_step_bigru", "gru", 6, n_layers, dropout_ratio, hx, None, ws, bs, xs, True
    )
    return hy, ys


def _activation(activation):
    if activation not in ("tanh", "relu"):
        raise ValueError(f"n_step_rnn: activation must be 'tanh' or 'relu', got {activation!r}")
    return "rnn_" + activation


def n_step_rnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation="tanh"):
    """Stacked Elman RNN over time-major ``xs``; returns (hy, ys)."""
    mode = _activation(activation)
    hy, _, ys = _n_step("n_step_rnn", mode, 2, n_layers, dropout_ratio, hx, None, ws, bs, xs, False)
    return hy, ys


def n_step_birnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation="tanh"):
    """Stacked bidirectional Elman RNN; returns (hy, ys)."""
    mode = _activation(activation)
    hy, _, ys = _n_step(
        "n_step_birnn", mode, 2, n_layers, dropout_ratio, hx, None, ws, bs, xs, True
    )
    return hy, ys
