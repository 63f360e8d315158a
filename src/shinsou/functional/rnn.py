"""Recurrent ops: one fused op per layer and direction that runs the whole sequence.

The three recurrences (H hidden units, x_t the input at step t, h the state):

* Elman RNN:  h' = act(W_ih x_t + b_ih + W_hh h + b_hh),  act = tanh or relu
* LSTM (gates i, f, g, o in that order in the 4H rows of the weights):

      i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
      g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
      c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')

  and with a projection (PyTorch's ``proj_size`` P < H): h' = W_hr (o ⊙ tanh(c')), the
  state h of size P (W_hh then has P columns, W_hr is (P, H)); c stays of size H.

* GRU (gates r, z, n in that order in the 3H rows):

      r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
      n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
      h' = (1 − z) ⊙ n + z ⊙ h

How the work is split (see ``docs/recurrent.md``): the input projections of all steps,
``xw = x W_ihᵀ + b_ih`` of shape (T, N, G·H), are one GEMM (``linear``) done by the caller;
``recurrence(mode, xw, h0, c0, w_hh, b_hh, mask)`` is one ``Function`` that loops over time
in NumPy. Its forward keeps the gate activations and the states; its backward runs the
backward through time by hand (fused gate derivatives, one small GEMM per step for dh) and
gets dW_hh with one GEMM at the end from the stacked states. Its graph form (for
``create_graph=True``) recomputes the recurrence from its inputs with ordinary shinsou ops
(``recurrence_composite``, also the reference of the tests) and differentiates that.

Variable lengths: ``mask`` (T, N) bool marks the valid steps. At a padded step a sequence's
state is carried unchanged and its output is 0, so the final state is each sequence's state
at its own last step and nothing from the padding reaches a state or a gradient.
"""

from __future__ import annotations

import numpy as np

from ..backend import blas, get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from .activation import _sigmoid_array, relu, sigmoid, tanh
from .arithmetic import linear
from .shape import stack

__all__ = ["recurrence", "recurrence_composite", "recurrent_cell", "lstm_cell", "gru_cell",
           "rnn_tanh_cell", "rnn_relu_cell"]  # fmt: skip

MODES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}  # gates per mode


def _sig(x):
    return _sigmoid_array(x)


class _OneBlasThread:
    """Run the per-step products of the loops on one OpenBLAS thread. They are small ((N, H)
    by (H, G·H)), so a second thread gains little, and when the machine has more busy
    threads than cores a product that waits for a descheduled second thread takes many times
    longer (see ``backend.blas``). CuPy and BLAS libraries other than OpenBLAS: no change."""

    def __init__(self, xp, flops):
        self.restore = None
        if xp is np and flops < (1 << 23):
            n = blas.openblas_threads()
            if n is not None and n > 1:
                self.restore = n

    def __enter__(self):
        if self.restore:
            blas.set_openblas_threads(1)

    def __exit__(self, *exc):
        if self.restore:
            blas.set_openblas_threads(self.restore)


def _over_batch(fn, xp, n: int, nbytes: int) -> None:
    """``fn(lo, hi)`` for the batch rows lo:hi of a loop over time: the sequences of a batch
    never meet, so the two halves of the batch run their loops on shinsou's two threads
    (each half its own per-step products on one BLAS thread), or the whole batch runs
    inline (small work, one thread, CuPy). Each half writes only its own rows."""
    if xp is np:
        blas.halves(fn, n, nbytes)
    else:
        fn(0, n)


class Recurrence(Function):
    """The whole-sequence recurrence of one layer and direction (module docstring).

    Inputs: xw (T, N, G·H), h0 (N, P), [c0 (N, H) for the LSTM], w_hh (G·H, P),
    [b_hh (G·H,)], [w_hr (P, H): the LSTM's projection]. Outputs: y (T, N, P) (the new state
    at each valid step, 0 at padding), h_n (N, P) and, for the LSTM, c_n (N, H). P = H but
    for a projected LSTM.
    """

    def __init__(self, mode: str, has_bias: bool, mask=None, has_proj: bool = False):
        self.mode = mode
        self.has_bias = has_bias
        self.has_proj = has_proj  # an LSTM with a projection W_hr (its last input)
        self.mask = mask  # (T, N) bool or None: a constant, never differentiated

    def _split(self, xs):
        lstm = self.mode == "lstm"
        xw, h0 = xs[0], xs[1]
        c0 = xs[2] if lstm else None
        k = 3 if lstm else 2
        w = xs[k]
        b = xs[k + 1] if self.has_bias else None
        w_hr = xs[-1] if self.has_proj else None
        return xw, h0, c0, w, b, w_hr

    def forward(self, *xs):
        xw, h0, c0, w, b, w_hr = self._split(xs)
        xp = get_array_module(xw)
        with _OneBlasThread(xp, w.size * xw.shape[1]):
            if self.mode == "lstm":
                return self._forward_lstm(xw, h0, c0, w, b, w_hr)
            return self._forward_gru_rnn(xw, h0, w, b)

    def _forward_gru_rnn(self, xw, h0, w, b):
        """The GRU and Elman loops (module docstring)."""
        xp = get_array_module(xw)
        T, N, _ = xw.shape
        H = h0.shape[-1]
        mode, mask = self.mode, self.mask
        dt = xw.dtype
        hs = xp.empty((T + 1, N, H), dt)  # hs[t] is the state before step t (carried)
        hs[0] = h0
        y = xp.empty((T, N, H), dt)
        wt = xp.ascontiguousarray(w.T)  # (H, G·H); a transposed view is slower
        if mode == "gru":
            gates = xp.empty((T, N, 3 * H), dt)  # r, z, n
            ghn = xp.empty((T, N, H), dt)  # W_hn h + b_hn

        def steps(lo, hi):  # the batch rows lo:hi, all steps (see _over_batch)
            for t in range(T):
                h = hs[t, lo:hi]
                a = h @ wt
                if b is not None:
                    a += b
                if mode == "gru":
                    gt = gates[t, lo:hi]
                    xt = xw[t, lo:hi]
                    gt[:, : 2 * H] = _sig(xt[:, : 2 * H] + a[:, : 2 * H])
                    ghn[t, lo:hi] = a[:, 2 * H :]
                    gt[:, 2 * H :] = xp.tanh(xt[:, 2 * H :] + gt[:, :H] * ghn[t, lo:hi])
                    z, n = gt[:, H : 2 * H], gt[:, 2 * H :]
                    h_new = n + z * (h - n)
                else:
                    a += xw[t, lo:hi]
                    h_new = xp.tanh(a) if mode == "rnn_tanh" else xp.maximum(a, 0)
                if mask is None:
                    hs[t + 1, lo:hi] = h_new
                    y[t, lo:hi] = h_new
                else:
                    m = mask[t, lo:hi][:, None]
                    hs[t + 1, lo:hi] = xp.where(m, h_new, h)
                    y[t, lo:hi] = xp.where(m, h_new, 0)

        _over_batch(steps, xp, N, 4 * xw.nbytes)
        self.hs = hs
        if mode == "gru":
            self.gates, self.ghn = gates, ghn
        return y, hs[T].copy()

    def _forward_lstm(self, xw, h0, c0, w, b, w_hr=None):
        """The LSTM loop, tuned: σ(a) = (1 + tanh(a/2)) / 2, so that one tanh over the 4H
        gate columns gives all four gates (the i, f, o columns of W_hh, b_hh and xw are
        halved once, exactly, before the loop; the g column is not); outputs written in
        place; about ten array operations per step. With a projection, u = o ⊙ tanh(c') is
        kept for the backward and the state is h' = u W_hrᵀ (one more small product)."""
        xp = get_array_module(xw)
        T, N, GH = xw.shape
        H = GH // 4
        P = h0.shape[-1]  # the state's size: H, or proj_size
        mask = self.mask
        dt = xw.dtype
        half = xp.full(GH, 0.5, dt)
        half[2 * H : 3 * H] = 1.0  # the pre-scale: a/2 for i, f, o; a for g
        shift = xp.full(GH, 0.5, dt)
        shift[2 * H : 3 * H] = 0.0  # after tanh: σ = 0.5 tanh + 0.5; g = tanh
        wt = xp.ascontiguousarray((w * half[:, None]).T)  # (P, 4H); a transposed view is slower
        xb = xw + b if b is not None else xw.copy()
        xb *= half  # (T, N, 4H)
        hs = xp.empty((T + 1, N, P), dt)  # hs[t]: the state before step t (carried)
        cs = xp.empty((T + 1, N, H), dt)
        hs[0], cs[0] = h0, c0
        gates = xp.empty((T, N, GH), dt)  # i, f, g, o after their nonlinearities
        tc = xp.empty((T, N, H), dt)  # tanh(c')
        y = xp.empty((T, N, P), dt) if mask is not None else None
        proj = w_hr is not None
        us = xp.empty((T, N, H), dt) if proj else None  # o ⊙ tanh(c'), before the projection
        hrt = xp.ascontiguousarray(w_hr.T) if proj else None  # (H, P)

        def steps(lo, hi):  # the batch rows lo:hi, all steps (see _over_batch)
            hs_, cs_, gates_, tc_ = hs[:, lo:hi], cs[:, lo:hi], gates[:, lo:hi], tc[:, lo:hi]
            ig = xp.empty((hi - lo, H), dt)
            for t in range(T):
                gt = gates_[t]
                xp.matmul(hs_[t], wt, out=gt)
                gt += xb[t, lo:hi]
                xp.tanh(gt, out=gt)
                gt *= half
                gt += shift
                i, f, g, o = gt[:, :H], gt[:, H : 2 * H], gt[:, 2 * H : 3 * H], gt[:, 3 * H :]
                xp.multiply(i, g, out=ig)
                if mask is None:
                    c = cs_[t + 1]
                    xp.multiply(f, cs_[t], out=c)
                    c += ig
                    xp.tanh(c, out=tc_[t])
                    if proj:
                        u = us[t, lo:hi]
                        xp.multiply(o, tc_[t], out=u)
                        xp.matmul(u, hrt, out=hs_[t + 1])
                    else:
                        xp.multiply(o, tc_[t], out=hs_[t + 1])
                else:
                    m = mask[t, lo:hi][:, None]
                    c = f * cs_[t]
                    c += ig
                    xp.tanh(c, out=tc_[t])
                    h_new = o * tc_[t]
                    if proj:
                        us[t, lo:hi] = h_new
                        h_new = h_new @ hrt
                    cs_[t + 1] = xp.where(m, c, cs_[t])
                    hs_[t + 1] = xp.where(m, h_new, hs_[t])
                    y[t, lo:hi] = xp.where(m, h_new, 0)

        _over_batch(steps, xp, N, 4 * gates.nbytes)
        if mask is None:
            y = hs[1:].copy()
        self.hs, self.cs, self.gates, self.tc, self.us = hs, cs, gates, tc, us
        return y, hs[T].copy(), cs[T].copy()

    def _backward_lstm(self, gy, dh, dc, w, w_hr=None):
        """Backward through time of the LSTM. The factors that do not depend on the incoming
        gradient are computed for all steps at once before the loop:

            K = [g·i(1−i), c·f(1−f), i·(1−g²), tanh(c')·o(1−o)],   OD = o·(1 − tanh²c')

        so that per step  dc' = du·OD + dc,  d(pre-activations) = [dc', dc', dc', du] ⊙ K,
        dc ← dc'·f,  dh ← d(pre-activations) · W_hh, where du = dh' (du = dh' W_hr with a
        projection, whose dL/dh' of every step is also returned, for dW_hr)."""
        xp = get_array_module(gy)
        mask = self.mask
        G, tc = self.gates, self.tc
        T, N, GH = G.shape
        H = GH // 4
        i, f, g, o = G[..., :H], G[..., H : 2 * H], G[..., 2 * H : 3 * H], G[..., 3 * H :]
        K = xp.empty_like(G)
        xp.multiply(g, i * (1 - i), out=K[..., :H])
        xp.multiply(self.cs[:T], f * (1 - f), out=K[..., H : 2 * H])
        xp.multiply(i, 1 - g * g, out=K[..., 2 * H : 3 * H])
        xp.multiply(tc, o * (1 - o), out=K[..., 3 * H :])
        OD = o * (1 - tc * tc)
        K4 = K.reshape(T, N, 4, H)
        dA = xp.empty((T, N, GH), gy.dtype)
        dA4 = dA.reshape(T, N, 4, H)
        dh_out = xp.empty(dh.shape, dh.dtype)  # (N, P)
        dc_out = xp.empty((N, H), dc.dtype)
        dhs = xp.empty(gy.shape, gy.dtype) if w_hr is not None else None  # dL/dh' per step

        def steps(lo, hi):  # the batch rows lo:hi, all steps (see _over_batch)
            dh_, dc_ = dh[lo:hi], dc[lo:hi]
            for t in range(T - 1, -1, -1):
                dnew = dh_ + gy[t, lo:hi]
                if mask is not None:
                    m = mask[t, lo:hi][:, None]
                    keep_h, keep_c = xp.where(m, 0, dh_), xp.where(m, 0, dc_)
                    dnew = xp.where(m, dnew, 0)
                du = dnew  # dL/d(o ⊙ tanh c')
                if dhs is not None:
                    dhs[t, lo:hi] = dnew
                    du = dnew @ w_hr
                dcn = du * OD[t, lo:hi]
                dcn += xp.where(m, dc_, 0) if mask is not None else dc_
                xp.multiply(K4[t, lo:hi, :3], dcn[:, None, :], out=dA4[t, lo:hi, :3])
                xp.multiply(K4[t, lo:hi, 3], du, out=dA4[t, lo:hi, 3])
                dc_ = dcn * f[t, lo:hi]
                dh_ = dA[t, lo:hi] @ w
                if mask is not None:
                    dh_ += keep_h
                    dc_ += keep_c
            dh_out[lo:hi] = dh_
            dc_out[lo:hi] = dc_

        _over_batch(steps, xp, N, 4 * dA.nbytes)
        return dA, dh_out, dc_out, dhs

    def _backward_gru_rnn(self, gy, dh, w):
        """Backward through time of the GRU and the Elman RNN, step by step."""
        mode, mask = self.mode, self.mask
        xp = get_array_module(gy)
        T, N, H = gy.shape
        GH = w.shape[0]
        hs = self.hs
        dA = xp.empty((T, N, GH), gy.dtype)  # d(pre-activations of the x part), per step
        dG = xp.empty((T, N, GH), gy.dtype) if mode == "gru" else dA  # d(h W_hhᵀ + b_hh)
        gates, ghn = (self.gates, self.ghn) if mode == "gru" else (None, None)
        dh_out = xp.empty((N, H), dh.dtype)

        def steps(lo, hi):  # the batch rows lo:hi, all steps (see _over_batch)
            dh_ = dh[lo:hi]
            for t in range(T - 1, -1, -1):
                if mask is not None:
                    m = mask[t, lo:hi][:, None]
                    dnew = xp.where(m, dh_ + gy[t, lo:hi], 0)  # dL/dh' of this step's state
                    keep = xp.where(m, 0, dh_)  # a padded step passes dh straight through
                else:
                    dnew = dh_ + gy[t, lo:hi]
                da = dA[t, lo:hi]
                if mode == "gru":
                    g3 = gates[t, lo:hi]
                    r, z, n = g3[:, :H], g3[:, H : 2 * H], g3[:, 2 * H :]
                    dan = dnew * (1 - z) * (1 - n * n)
                    da[:, 2 * H :] = dan
                    dr = dan * ghn[t, lo:hi]
                    da[:, :H] = dr * r * (1 - r)
                    da[:, H : 2 * H] = dnew * (hs[t, lo:hi] - n) * z * (1 - z)
                    dg = dG[t, lo:hi]
                    dg[:, : 2 * H] = da[:, : 2 * H]
                    dg[:, 2 * H :] = dan * r
                    dh_ = dg @ w + dnew * z
                else:
                    hn = hs[t + 1, lo:hi]  # the new state (at a padded step dnew is 0 anyway)
                    if mode == "rnn_tanh":
                        xp.multiply(dnew, 1 - hn * hn, out=da)
                    else:
                        xp.multiply(dnew, hn > 0, out=da)
                    dh_ = da @ w
                if mask is not None:
                    dh_ += keep
            dh_out[lo:hi] = dh_

        _over_batch(steps, xp, N, 4 * dG.nbytes)
        return dA, dG, dh_out

    def backward(self, *gys):
        lstm = self.mode == "lstm"
        gy, dh = gys[0], gys[1]
        w = self.inputs[3 if lstm else 2].array
        w_hr = self.inputs[-1].array if self.has_proj else None
        dhs = None
        with _OneBlasThread(get_array_module(gy), w.size * gy.shape[1]):
            if lstm:
                dA, dh, dc, dhs = self._backward_lstm(gy, dh, gys[2], w, w_hr)
                dG = dA  # the x part and the h part of the pre-activations are the same sum
            else:
                dA, dG, dh = self._backward_gru_rnn(gy, dh, w)
        T, N, GH = dA.shape
        P = dh.shape[-1]
        hs = self.hs
        needs = self.needs
        out = [dA if needs[0] else None, dh if needs[1] else None]
        if lstm:
            out.append(dc if needs[2] else None)
        k = len(out)
        # one GEMM for dW_hh from the stacked states h_0 .. h_{T-1}
        # (blas.matmul: on shinsou's two threads as halves when products are split)
        out.append(
            blas.matmul(dG.reshape(T * N, GH).T, hs[:T].reshape(T * N, P)) if needs[k] else None
        )
        if self.has_bias:
            out.append(dG.sum(axis=(0, 1)) if needs[k + 1] else None)
        if self.has_proj:  # dW_hr = Σ_t dL/dh'_tᵀ u_t, one GEMM (0 at padded steps: dh' is)
            u = self.us.reshape(T * N, -1)
            out.append(blas.matmul(dhs.reshape(T * N, P).T, u) if needs[-1] else None)
        return tuple(out)

    def backward_graph(self, *gys):
        from ..core.autograd import grad

        ins = list(self.inputs)
        xw, h0, c0, w, b, w_hr = self._split(ins)
        outs = recurrence_composite(self.mode, xw, h0, c0, w, b, self.mask, w_hr)
        wanted = [t for t, n in zip(ins, self.needs) if n]
        gs = iter(
            grad(
                list(outs),
                wanted,
                list(gys),
                retain_graph=True,
                create_graph=True,
                allow_unused=True,
            )  # fmt: skip
        )
        res = []
        for t, n in zip(ins, self.needs):
            if not n:
                res.append(None)
                continue
            g = next(gs)
            res.append(g if g is not None else t * 0.0)
        return tuple(res)


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"recurrence: mode must be one of {sorted(MODES)}, got {mode!r}")


def recurrence(mode: str, xw, h0, c0, w_hh, b_hh=None, mask=None, w_hr=None):
    """Run one recurrent layer (one direction) over a whole sequence as one fused op.

    Args:
        mode: ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"`` (equations in the module
            docstring).
        xw: (T, N, G·H) input projections x_t W_ihᵀ + b_ih of all steps (G = 4, 3, 1).
        h0: (N, P) initial state; c0: (N, H) initial cell (LSTM only, else None).
        w_hh: (G·H, P) recurrent weight; b_hh: (G·H,) or None.
        mask: None, or (T, N) bool array/Tensor of valid steps (variable lengths): padded
            steps carry the state unchanged and output 0.
        w_hr: the LSTM's projection (P, H), h' = W_hr (o ⊙ tanh c'), or None (then P = H).
    Returns:
        (y, h_n) or, for the LSTM, (y, h_n, c_n): y (T, N, P), h_n (N, P), c_n (N, H).

    >>> import shinsou as ss
    >>> xw, h0 = ss.ones(3, 2, 4) * 0.1, ss.zeros(2, 1)
    >>> y, h, c = recurrence("lstm", xw, h0, ss.zeros(2, 1), ss.zeros(4, 1))
    >>> y.shape, h.shape, c.shape
    ((3, 2, 1), (2, 1), (2, 1))
    """
    _check_mode(mode)
    if w_hr is not None and mode != "lstm":
        raise ValueError(f"recurrence: w_hr (a projection) is for the LSTM only, not {mode!r}")
    if isinstance(mask, Tensor):
        mask = mask.array
    if mask is not None:
        mask = get_array_module(xw.array).asarray(mask, dtype=bool)
    ins = [xw, h0] + ([c0] if mode == "lstm" else []) + [w_hh]
    ins += ([b_hh] if b_hh is not None else []) + ([w_hr] if w_hr is not None else [])
    return Recurrence(mode, b_hh is not None, mask, w_hr is not None)(*ins)


def recurrent_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One step of ``mode`` ("lstm", "gru", "rnn_tanh", "rnn_relu") written with shinsou ops;
    x (N, H_in), h (N, P) and c (N, H) (c only for the LSTM; P = H but with the LSTM's
    projection ``w_hr`` (P, H)); ``w_ih`` None means x is already the input projection
    x W_ihᵀ + b_ih. Returns (h', c') (c' None but for the LSTM)."""
    H = w_hh.shape[0] // MODES[mode]
    gi = linear(x, w_ih, b_ih) if w_ih is not None else x  # w_ih None: x is already xw_t
    gh = linear(h, w_hh, b_hh)
    if mode == "lstm":
        a = gi + gh
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
        g, o = tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
        c_new = f * c + i * g
        h_new = o * tanh(c_new)
        return (h_new if w_hr is None else linear(h_new, w_hr)), c_new
    if mode == "gru":
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        return (1 - z) * n + z * h, None
    a = gi + gh
    return (tanh(a) if mode == "rnn_tanh" else relu(a)), None


def recurrence_composite(mode: str, xw, h0, c0, w_hh, b_hh=None, mask=None, w_hr=None):
    """``recurrence`` built step by step from ordinary shinsou ops (slow; the reference of
    the fused op and its graph-form backward). Same arguments and results."""
    _check_mode(mode)
    if isinstance(mask, Tensor):
        mask = mask.array
    h, c = h0, c0
    ys = []
    for t in range(xw.shape[0]):
        h_new, c_new = recurrent_cell(mode, xw[t], h, c, None, w_hh, None, b_hh, w_hr)
        if mask is None:
            h, c = h_new, c_new
            ys.append(h_new)
        else:
            m = Tensor(mask[t][:, None].astype(xw.dtype))  # constant 0/1
            h = m * h_new + (1 - m) * h
            if c is not None:
                c = m * c_new + (1 - m) * c
            ys.append(m * h_new)
    y = stack(ys, 0)
    return (y, h, c) if mode == "lstm" else (y, h)


def lstm_cell(x, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: i, f, g, o = σ, σ, tanh, σ of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh (4H
    columns in that order); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').

    Shapes: x (N, H_in), hx and cx (N, H), w_ih (4H, H_in), w_hh (4H, H) -> (h', c').

    >>> import shinsou as ss
    >>> h, c = lstm_cell(ss.ones(2, 3), ss.zeros(2, 1), ss.zeros(2, 1), ss.zeros(4, 3),
    ...                  ss.zeros(4, 1))
    >>> float(c[0, 0])  # i = 0.5, g = tanh 0 = 0
    0.0
    """
    return recurrent_cell("lstm", x, hx, cx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(x, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step: r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.

    Shapes: x (N, H_in), hx (N, H), w_ih (3H, H_in), w_hh (3H, H) -> h' (N, H).

    >>> import shinsou as ss
    >>> gru_cell(ss.ones(2, 3), ss.ones(2, 1), ss.zeros(3, 3), ss.zeros(3, 1)).tolist()
    [[0.5], [0.5]]
    """
    return recurrent_cell("gru", x, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_tanh_cell(x, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); x (N, H_in), hx (N, H)."""
    return recurrent_cell("rnn_tanh", x, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(x, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); x (N, H_in), hx (N, H)."""
    return recurrent_cell("rnn_relu", x, hx, None, w_ih, w_hh, b_ih, b_hh)[0]
