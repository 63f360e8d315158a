"""``L.LSTM`` (stateful) and ``L.StatelessLSTM``, with Chainer's parameters and gate layout.

Parameters: ``upward`` (Linear in → 4H, with bias) and ``lateral`` (Linear H → 4H, no bias);
their 4H rows are the gates a, i, f, o *interleaved per unit* (``F.lstm``'s layout). Each
H-row block of the weights is initialised separately (LeCunNormal by default), the bias is 0
except the forget gate's, 1.
"""

from __future__ import annotations

from ... import functions as F
from ... import initializers
from ...link import Chain
from ...variable import Variable
from ..connection.linear import Linear


class LSTMBase(Chain):
    def __init__(
        self,
        in_size,
        out_size=None,
        lateral_init=None,
        upward_init=None,
        bias_init=None,
        forget_bias_init=None,
    ):
        if out_size is None:
            out_size, in_size = in_size, None
        super().__init__()
        self.state_size = out_size
        self.lateral_init = lateral_init
        self.upward_init = upward_init
        self.bias_init = 0 if bias_init is None else bias_init
        self.forget_bias_init = 1 if forget_bias_init is None else forget_bias_init
        with self.init_scope():
            self.upward = Linear(in_size, 4 * out_size, initialW=0)
            self.lateral = Linear(out_size, 4 * out_size, initialW=0, nobias=True)
            if in_size is not None:
                self._initialize_params()

    def _initialize_params(self):
        lateral_init = initializers._get_initializer(self.lateral_init)
        upward_init = initializers._get_initializer(self.upward_init)
        bias_init = initializers._get_initializer(self.bias_init)
        forget_init = initializers._get_initializer(self.forget_bias_init)
        H = self.state_size
        for i in range(0, 4 * H, H):  # the same draws, in the same order, as Chainer
            lateral_init(self.lateral.W.array[i : i + H, :])
            upward_init(self.upward.W.array[i : i + H, :])
        gates = self.upward.b.array.reshape(H, 4)  # a, i, f, o per unit
        bias_init(gates[:, 0])
        bias_init(gates[:, 1])
        forget_init(gates[:, 2])
        bias_init(gates[:, 3])

    def _lazy_init(self, x):
        if self.upward.W.array is None:
            self.upward._initialize_params(x.size // x.shape[0])
            self._initialize_params()


class StatelessLSTM(LSTMBase):
    """``forward(c, h, x)`` → (c_new, h_new); c, h may be None (zeros)."""

    def forward(self, c, h, x):
        self._lazy_init(x)
        lstm_in = self.upward(x)
        if h is not None:
            lstm_in = lstm_in + self.lateral(h)
        if c is None:
            c = Variable(self.xp.zeros((x.shape[0], self.state_size), dtype=x.dtype))
        return F.lstm(c, lstm_in)


class LSTM(LSTMBase):
    """A stateful LSTM layer: ``forward(x)`` → h, keeping c and h for the next call
    (``reset_state()`` forgets them). A smaller batch than the state's updates the first
    rows only (sequences sorted by decreasing length).

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> lstm = L.LSTM(3, 5)
    >>> lstm(np.zeros((2, 3), np.float32)).shape, lstm.h.shape
    ((2, 5), (2, 5))
    """

    def __init__(
        self,
        in_size,
        out_size=None,
        lateral_init=None,
        upward_init=None,
        bias_init=None,
        forget_bias_init=None,
    ):
        if out_size is None:
            in_size, out_size = None, in_size
        super().__init__(in_size, out_size, lateral_init, upward_init, bias_init, forget_bias_init)
        self.reset_state()

    def reset_state(self):
        """Forget c and h."""
        self.c = self.h = None

    def set_state(self, c, h):
        """Set c and h (Variables)."""
        if not isinstance(c, Variable) or not isinstance(h, Variable):
            raise TypeError("LSTM.set_state: c and h must be Variables")
        self.c, self.h = c, h

    def forward(self, x):
        self._lazy_init(x)
        batch = x.shape[0]
        lstm_in = self.upward(x)
        h_rest = None
        if self.h is not None:
            h_size = self.h.shape[0]
            if batch == 0:
                h_rest = self.h
            elif h_size < batch:
                raise TypeError("LSTM: the batch size of x must not exceed the previous state h's")
            elif h_size > batch:
                h_update, h_rest = F.split_axis(self.h, [batch], axis=0)
                lstm_in = lstm_in + self.lateral(h_update)
            else:
                lstm_in = lstm_in + self.lateral(self.h)
        if self.c is None:
            self.c = Variable(self.xp.zeros((batch, self.state_size), dtype=x.dtype))
        self.c, y = F.lstm(self.c, lstm_in)
        if h_rest is None:
            self.h = y
        elif y.shape[0] == 0:
            self.h = h_rest
        else:
            self.h = F.concat([y, h_rest], axis=0)
        return y
