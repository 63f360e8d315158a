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

from . import activation as A
from . import array as R
from .connection import linear
from .noise import dropout

__all__ = [
    "n_step_lstm",
    "n_step_bilstm",
    "n_step_gru",
    "n_step_bigru",
    "n_step_rnn",
    "n_step_birnn",
]


def _interleave(ws):
    # Chainer stacks the four gate matrices per unit: (H, 4, ...) -> (4H, ...) in the
    # order a, i, f, o that F.lstm reads
    w = R.stack(ws, axis=1)
    return R.reshape(w, (w.shape[0] * w.shape[1],) + tuple(w.shape[2:]))


def _lstm_step(x, h, c, w, b):
    xw = _interleave([w[2], w[0], w[1], w[3]])
    hw = _interleave([w[6], w[4], w[5], w[7]])
    xb = _interleave([b[2], b[0], b[1], b[3]])
    hb = _interleave([b[6], b[4], b[5], b[7]])
    c_new, h_new = A.lstm(c, linear(x, xw, xb) + linear(h, hw, hb))
    return h_new, c_new


def _gru_step(x, h, c, w, b):
    gx = linear(x, R.concat([w[0], w[1], w[2]], axis=0), R.concat([b[0], b[1], b[2]], axis=0))
    gh = linear(h, R.concat([w[3], w[4], w[5]], axis=0), R.concat([b[3], b[4], b[5]], axis=0))
    wr, wz, wx = R.split_axis(gx, 3, axis=1)
    ur, uz, ux = R.split_axis(gh, 3, axis=1)
    r = A.sigmoid(wr + ur)
    z = A.sigmoid(wz + uz)
    h_bar = A.tanh(wx + r * ux)
    return (1 - z) * h_bar + z * h, None


def _rnn_step(act):
    def step(x, h, c, w, b):
        return act(linear(x, w[0], b[0]) + linear(h, w[1], b[1])), None

    return step


def _one_direction(step, xs, h, c, w, b):
    hs = []
    for x in xs:
        batch = x.shape[0]
        split = h.shape[0] > batch
        if split:
            h, h_rest = R.split_axis(h, [batch], axis=0)
            if c is not None:
                c, c_rest = R.split_axis(c, [batch], axis=0)
        h, c = step(x, h, c, w, b)
        hs.append(h)
        if split:
            h = R.concat([h, h_rest], axis=0)
            if c is not None:
                c = R.concat([c, c_rest], axis=0)
    return h, c, hs


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


def _n_step(name, step, n_weights, n_layers, dropout_ratio, hx, cx, ws, bs, xs, bi):
    directions = 2 if bi else 1
    _check(name, hx, ws, bs, xs, n_layers, directions, n_weights)
    hx = R.separate(hx)
    cx = R.separate(cx) if cx is not None else [None] * len(hx)
    xs_next = list(xs)
    hy, cy = [], []
    for layer in range(n_layers):
        inputs = xs_next if layer == 0 else [dropout(x, dropout_ratio) for x in xs_next]
        k = directions * layer
        h, c, h_fwd = _one_direction(step, inputs, hx[k], cx[k], ws[k], bs[k])
        hy.append(h)
        cy.append(c)
        if bi:
            if layer > 0:
                inputs = [dropout(x, dropout_ratio) for x in xs_next]
            h, c, h_bwd = _one_direction(
                step, inputs[::-1], hx[k + 1], cx[k + 1], ws[k + 1], bs[k + 1]
            )
            h_bwd.reverse()
            xs_next = [R.concat([f, bw], axis=1) for f, bw in zip(h_fwd, h_bwd)]
            hy.append(h)
            cy.append(c)
        else:
            xs_next = h_fwd
    hy = R.stack(hy)
    cy = R.stack(cy) if cx[0] is not None else None
    return hy, cy, tuple(xs_next)


def n_step_lstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs):
    """Stacked LSTM over time-major ``xs``; returns (hy, cy, ys)."""
    return _n_step("n_step_lstm", _lstm_step, 8, n_layers, dropout_ratio, hx, cx, ws, bs, xs, False)


def n_step_bilstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs):
    """Stacked bidirectional LSTM; ys[t] joins the forward and backward h: (B_t, 2H)."""
    return _n_step(
        "n_step_bilstm", _lstm_step, 8, n_layers, dropout_ratio, hx, cx, ws, bs, xs, True
    )


def n_step_gru(n_layers, dropout_ratio, hx, ws, bs, xs):
    """Stacked GRU over time-major ``xs``; returns (hy, ys)."""
    hy, _, ys = _n_step(
        "n_step_gru", _gru_step, 6, n_layers, dropout_ratio, hx, None, ws, bs, xs, False
    )
    return hy, ys


def n_step_bigru(n_layers, dropout_ratio, hx, ws, bs, xs):
    """Stacked bidirectional GRU; returns (hy, ys)."""
    hy, _, ys = _n_step(
        "n_step_bigru", _gru_step, 6, n_layers, dropout_ratio, hx, None, ws, bs, xs, True
    )
    return hy, ys


def _activation(activation):
    if activation == "tanh":
        return A.tanh
    if activation == "relu":
        return A.relu
    raise ValueError(f"n_step_rnn: activation must be 'tanh' or 'relu', got {activation!r}")


def n_step_rnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation="tanh"):
    """Stacked Elman RNN over time-major ``xs``; returns (hy, ys)."""
    step = _rnn_step(_activation(activation))
    hy, _, ys = _n_step("n_step_rnn", step, 2, n_layers, dropout_ratio, hx, None, ws, bs, xs, False)
    return hy, ys


def n_step_birnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation="tanh"):
    """Stacked bidirectional Elman RNN; returns (hy, ys)."""
    step = _rnn_step(_activation(activation))
    hy, _, ys = _n_step(
        "n_step_birnn", step, 2, n_layers, dropout_ratio, hx, None, ws, bs, xs, True
    )
    return hy, ys
