"""Recurrent layers: ``RNNCell``, ``LSTMCell``, ``GRUCell`` and the sequence layers ``RNN``,
``LSTM``, ``GRU`` (multi-layer, bidirectional, variable lengths), PyTorch-compatible.

Equations (H = hidden_size; σ the logistic sigmoid; ⊙ the elementwise product):

* Elman RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
* LSTM:  i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of the 4H rows of W_ih x + b_ih + W_hh h + b_hh
  (in that order);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')
* GRU:  r, z = σ(·) of the first 2H rows of W_ih x + b_ih + W_hh h + b_hh;
  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h' = (1 − z) ⊙ n + z ⊙ h

Parameters are named and laid out as in PyTorch (``weight_ih_l0`` (G·H, H_in),
``weight_hh_l0`` (G·H, H), ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse`` for the backward
direction; the cells' ``weight_ih`` etc.), all initialised U(−1/√H, 1/√H), so a PyTorch
``state_dict`` loads with ``load_state_dict``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor
from ..creation import zeros
from ..functional.ragged import reverse_within_lengths
from ..functional.rnn import MODES, recurrence, recurrent_cell
from . import init
from .linear import check_float_input
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, lengths_array

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "RNNBase"]


def _check_sizes(name, input_size, hidden_size):
    for what, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, int | np.integer) or v <= 0:
            raise ValueError(f"{name}: {what} must be a positive integer, got {v!r}")


# ----------------------------------------------------------------------------------- cells
class _CellBase(Module):
    mode = "rnn_tanh"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None,
                 *, mode: str | None = None):  # fmt: skip
        super().__init__()
        if mode is not None:
            self.mode = mode
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G = MODES[self.mode]
        self.weight_ih = Parameter(zeros(G * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(zeros(G * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(zeros(G * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(zeros(G * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s

    def _input(self, x):
        check_float_input(self, x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self!r} expected input (N, {self.input_size}) or ({self.input_size},), "
                f"got {x.shape}"
            )
        return x.ndim == 1, (x.unsqueeze(0) if x.ndim == 1 else x)

    def _state(self, h, x, unbatched, what="hx"):
        shape = (x.shape[0], self.hidden_size)
        if h is None:
            return zeros(*shape, dtype=x.dtype)
        if unbatched:
            if h.shape != (self.hidden_size,):
                raise ValueError(
                    f"{self!r}: {what} must have shape ({self.hidden_size},) for an unbatched "
                    f"input, got {h.shape}"
                )
            return h.unsqueeze(0)
        if h.shape != shape:
            raise ValueError(f"{self!r}: {what} must have shape {shape}, got {h.shape}")
        return h

    def _step(self, x, h, c=None):
        return recurrent_cell(self.mode, x, h, c, self.weight_ih, self.weight_hh, self.bias_ih,
                     self.bias_hh)  # fmt: skip


class RNNCell(_CellBase):
    """One step of an Elman RNN: h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).

    Args:
        input_size, hidden_size: H_in and H.
        bias: learn b_ih and b_hh.
        nonlinearity: ``"tanh"`` or ``"relu"``.
    Shapes:
        input (N, H_in) or (H_in,); hx (N, H) or (H,), default zeros -> h' like hx.
        weight_ih (H, H_in), weight_hh (H, H), bias_ih and bias_hh (H,).

    >>> import shinsou as ss
    >>> ss.nn.RNNCell(3, 5)(ss.ones(2, 3)).shape
    (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, dtype, mode="rnn_" + nonlinearity)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")

    def forward(self, input, hx=None):
        unbatched, x = self._input(input)
        h, _ = self._step(x, self._state(hx, x, unbatched))
        return h[0] if unbatched else h


class GRUCell(_CellBase):
    """One GRU step: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.

    Shapes:
        input (N, H_in) or (H_in,); hx (N, H) or (H,), default zeros -> h' like hx.
        weight_ih (3H, H_in), weight_hh (3H, H) (rows r, z, n), biases (3H,).

    >>> import shinsou as ss
    >>> ss.nn.GRUCell(3, 5)(ss.ones(3)).shape
    (5,)
    """

    mode = "gru"

    def forward(self, input, hx=None):
        unbatched, x = self._input(input)
        h, _ = self._step(x, self._state(hx, x, unbatched))
        return h[0] if unbatched else h


class LSTMCell(_CellBase):
    """One LSTM step: i, f, g, o = σ, σ, tanh, σ of the 4H rows of x W_ihᵀ + b_ih + h W_hhᵀ +
    b_hh; c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').

    Shapes:
        input (N, H_in) or (H_in,); hx a pair (h, c) of (N, H) (or (H,)), default zeros ->
        (h', c'). weight_ih (4H, H_in), weight_hh (4H, H) (rows i, f, g, o), biases (4H,).

    >>> import shinsou as ss
    >>> h, c = ss.nn.LSTMCell(3, 5)(ss.ones(2, 3))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    mode = "lstm"

    def forward(self, input, hx=None):
        unbatched, x = self._input(input)
        if hx is None:
            h = c = None
        else:
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise ValueError(f"{self!r}: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
            h, c = hx
        h = self._state(h, x, unbatched, "h_0")
        c = self._state(c, x, unbatched, "c_0")
        h, c = self._step(x, h, c)
        return (h[0], c[0]) if unbatched else (h, c)


# ------------------------------------------------------------------------- sequence layers
class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent layer behind ``RNN``, ``LSTM``
    and ``GRU`` (see their docstrings)."""

    mode = "lstm"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, dtype=None, *, mode: str | None = None):  # fmt: skip
        super().__init__()
        if mode is not None:
            self.mode = mode
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        if not isinstance(num_layers, int | np.integer) or num_layers < 1:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
        if not (isinstance(dropout, int | float) and 0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} acts between layers, so it does nothing with "
                "num_layers=1",
                stacklevel=2,
            )
        if isinstance(proj_size, bool) or not isinstance(proj_size, int | np.integer):
            raise ValueError(f"{name}: proj_size must be an integer, got {proj_size!r}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size must be >= 0 (0: no projection), got {proj_size}")
        if proj_size and self.mode != "lstm":
            raise ValueError(f"{name}: proj_size is supported by the LSTM only")
        if proj_size >= hidden_size:
            raise ValueError(
                f"{name}: proj_size ({proj_size}) must be smaller than hidden_size ({hidden_size})"
            )
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = int(proj_size)
        G, H = MODES[self.mode], hidden_size
        P = self.proj_size or H  # the size of h (the output): proj_size when projecting
        D = 2 if bidirectional else 1
        self._names = []  # per (layer, direction): the parameter names (PyTorch's order)
        for k in range(num_layers):
            n_in = input_size if k == 0 else D * P
            for d in range(D):
                sfx = f"_l{k}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}", f"bias_ih{sfx}", f"bias_hh{sfx}"]
                setattr(self, names[0], Parameter(zeros(G * H, n_in, dtype=dtype)))
                setattr(self, names[1], Parameter(zeros(G * H, P, dtype=dtype)))
                if bias:
                    setattr(self, names[2], Parameter(zeros(G * H, dtype=dtype)))
                    setattr(self, names[3], Parameter(zeros(G * H, dtype=dtype)))
                if self.proj_size:
                    names.append(f"weight_hr{sfx}")
                    setattr(self, names[4], Parameter(zeros(P, H, dtype=dtype)))
                self._names.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        return s

    # -- argument checks
    def _check_input(self, x):
        check_float_input(self, x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            lay = "(N, L, " if self.batch_first else "(L, N, "
            raise ValueError(
                f"{self!r} expected input {lay}{self.input_size}) or (L, {self.input_size}) "
                f"(input_size={self.input_size}), got {x.shape}"
            )

    def _check_state(self, h, N, unbatched, what):
        D = 2 if self.bidirectional else 1
        # h is proj_size wide when the LSTM projects, c always hidden_size
        size, size_name = self.hidden_size, "hidden_size"
        if self.proj_size and what == "h_0":
            size, size_name = self.proj_size, "proj_size"
        want = (D * self.num_layers, size) if unbatched else (D * self.num_layers, N, size)
        if not isinstance(h, Tensor):
            raise TypeError(f"{self!r}: {what} must be a Tensor, got {type(h).__name__}")
        if h.shape != want:
            raise ValueError(
                f"{self!r}: {what} must have shape {want} (D·num_layers, N, {size_name}), "
                f"got {h.shape}"
            )
        return h.unsqueeze(1) if unbatched else h

    def forward(self, input, hx=None, lengths=None):
        """Run the layer over a sequence.

        Args:
            input: (L, N, H_in) ((N, L, H_in) with ``batch_first``), (L, H_in) unbatched, or
                a ``PackedSequence``.
            hx: initial state(s), default zeros: h_0 (D·num_layers, N, P) — for the LSTM a
                pair (h_0, c_0), c_0 (D·num_layers, N, H) — or without N for an unbatched
                input (D = 2 if bidirectional; P = proj_size if > 0, else H).
            lengths: optional per-sequence lengths (N,) for a padded batch: each sequence
                stops at its own length, its final state is the one at its last step, the
                reverse direction starts there, and the output is 0 at padded places.
        Returns:
            (output, h_n) — for the LSTM (output, (h_n, c_n)) — with output (L, N, D·P)
            (batch_first: (N, L, D·P)), or a ``PackedSequence`` for a packed input, and
            h_n (D·num_layers, N, P), c_n (D·num_layers, N, H).
        """
        packed = isinstance(input, PackedSequence)
        if packed:
            if lengths is not None:
                raise ValueError(f"{self!r}: pass lengths or a PackedSequence, not both")
            x = input.padded
            lengths = input.lengths
            self._check_input(x)
            if x.ndim != 3:
                raise ValueError(f"{self!r}: a PackedSequence must hold (L, N, *) data")
            unbatched = False
        else:
            self._check_input(input)
            unbatched = input.ndim == 2
            x = input
            if unbatched:
                if lengths is not None:
                    raise ValueError(f"{self!r}: lengths need a batched input (3 dims)")
                x = x.unsqueeze(1)
            elif self.batch_first:
                x = x.transpose(0, 1)
        T, N = x.shape[0], x.shape[1]
        mask = None
        if lengths is not None:
            lengths = lengths_array(lengths, f"{self!r}: lengths")
            if lengths.shape[0] != N:
                raise ValueError(
                    f"{self!r}: got {lengths.shape[0]} lengths for a batch of {N} sequences"
                )
            if lengths.max() > T:
                raise ValueError(
                    f"{self!r}: length {int(lengths.max())} is longer than the sequence "
                    f"({T} steps) of input {tuple(input.shape if not packed else x.shape)}"
                )
            if (lengths < T).any():
                mask = np.arange(T)[:, None] < lengths[None, :]  # (T, N) valid steps
            else:
                lengths = None
        lstm = self.mode == "lstm"
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, tuple | list) or len(hx) != 2:
                    raise ValueError(f"{self!r}: hx must be a pair (h_0, c_0)")
                h0 = self._check_state(hx[0], N, unbatched, "h_0")
                c0 = self._check_state(hx[1], N, unbatched, "c_0")
            else:
                h0 = self._check_state(hx, N, unbatched, "h_0")
        out, h_n, c_n = self._run(x, h0, c0, mask, lengths)
        if packed:
            output = input._with_padded(out)
        elif unbatched:
            output = out[:, 0]
            h_n = h_n[:, 0]
            c_n = c_n[:, 0] if lstm else None
        elif self.batch_first:
            output = out.transpose(0, 1)
        else:
            output = out
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _run(self, x, h0, c0, mask, lengths):
        """x (T, N, H_in) time-major -> (output (T, N, D·P), h_n, c_n) (P = proj_size or H)."""
        T, N = x.shape[0], x.shape[1]
        D = 2 if self.bidirectional else 1
        H = self.hidden_size
        lstm = self.mode == "lstm"
        rev = None
        if D == 2 and mask is not None:
            rev = tuple(
                x.xp.asarray(i) for i in reverse_within_lengths(lengths, T)
            )  # CuPy: on device
        P = self.proj_size or H
        zero = zero_h = None
        hs, cs = [], []
        layer_in = x
        for k in range(self.num_layers):
            outs = []
            for d in range(D):
                names = self._names[k * D + d]
                w_ih, w_hh, b_ih, b_hh = (getattr(self, n, None) for n in names[:4])
                w_hr = getattr(self, names[4]) if len(names) > 4 else None
                xw = F.linear(layer_in, w_ih, b_ih)  # (T, N, G·H): one GEMM for all steps
                if d == 1:
                    xw = xw[rev] if rev is not None else xw[::-1]
                if zero is None:
                    zero = zeros(N, H, dtype=x.dtype)
                    zero_h = zero if P == H else zeros(N, P, dtype=x.dtype)
                h = zero_h if h0 is None else h0[k * D + d]
                if lstm:
                    c = zero if c0 is None else c0[k * D + d]
                    y, hn, cn = recurrence("lstm", xw, h, c, w_hh, b_hh, mask, w_hr)
                    cs.append(cn)
                else:
                    y, hn = recurrence(self.mode, xw, h, None, w_hh, b_hh, mask)
                if d == 1:
                    y = y[rev] if rev is not None else y[::-1]
                outs.append(y)
                hs.append(hn)
            layer_in = outs[0] if D == 1 else F.concat(outs, -1)
            if self.dropout and self.training and k < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        h_n = F.stack(hs, 0)
        c_n = F.stack(cs, 0) if lstm else None
        return layer_in, h_n, c_n


class RNN(RNNBase):
    """Multi-layer Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), act = tanh
    or relu; layer k > 0 reads the outputs of layer k − 1 (both directions concatenated when
    bidirectional, dropout between layers in training).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as in
            PyTorch. nonlinearity: ``"tanh"`` (default) or ``"relu"``.
    Shapes (D = 2 if bidirectional else 1):
        input (L, N, H_in) / (N, L, H_in) with batch_first / (L, H_in) / PackedSequence;
        h_0 (D·num_layers, N, H) -> output (L, N, D·H), h_n (D·num_layers, N, H).
        ``forward(input, hx=None, lengths=None)``: see ``RNNBase.forward``.

    >>> import shinsou as ss
    >>> out, h = ss.nn.RNN(3, 5, num_layers=2, bidirectional=True)(ss.ones(7, 2, 3))
    >>> out.shape, h.shape
    ((7, 2, 10), (4, 2, 5))
    """

    def __init__(self, *args, nonlinearity: str = "tanh", **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(*args, **kwargs, mode="rnn_" + nonlinearity)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """Multi-layer LSTM: per step, i, f, g, o = σ, σ, tanh, σ of the 4H rows of
    x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh; c_t = f ⊙ c_{t−1} + i ⊙ g; h_t = o ⊙ tanh(c_t).

    With ``proj_size`` P > 0 (Sak et al. 2014, "LSTMP"; PyTorch's argument) the state is
    projected: h_t = W_hr (o ⊙ tanh(c_t)), of size P < H, with a weight ``weight_hr_l{k}``
    (P, H); W_hh is then (4H, P), and layer k > 0 reads D·P inputs. c_t keeps H.

    Args: as in PyTorch (input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, proj_size).
    Shapes (D = 2 if bidirectional else 1; P = proj_size if > 0 else H):
        input (L, N, H_in) / (N, L, H_in) with batch_first / (L, H_in) / PackedSequence;
        hx = (h_0 (D·num_layers, N, P), c_0 (D·num_layers, N, H)) -> (output (L, N, D·P),
        (h_n, c_n)) with h_n, c_n shaped as h_0, c_0.
        ``forward(input, hx=None, lengths=None)``: see ``RNNBase.forward``.

    >>> import shinsou as ss
    >>> lstm = ss.nn.LSTM(3, 5, batch_first=True)
    >>> out, (h, c) = lstm(ss.ones(2, 7, 3), lengths=[7, 4])
    >>> out.shape, h.shape, float(abs(out[1, 4:]).sum())
    ((2, 7, 5), (1, 2, 5), 0.0)
    """

    mode = "lstm"


class GRU(RNNBase):
    """Multi-layer GRU: per step, r, z = σ of the first 2H rows of x_t W_ihᵀ + b_ih +
    h_{t−1} W_hhᵀ + b_hh; n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn));
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.

    Shapes as ``RNN`` (weights with 3H rows r, z, n).

    >>> import shinsou as ss
    >>> out, h = ss.nn.GRU(3, 5)(ss.ones(7, 3))
    >>> out.shape, h.shape
    ((7, 5), (1, 5))
    """

    mode = "gru"
