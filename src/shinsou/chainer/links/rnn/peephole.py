"""``L.StatefulPeepholeLSTM``: an LSTM whose gates also see the cell (Gers & Schmidhuber),
with Chainer's parameters ``upward``, ``lateral``, ``peep_i``, ``peep_f``, ``peep_o`` and its
gate layout (a, i, f, o interleaved per unit):

    i = σ(a_i + P_i c),  f = σ(a_f + P_f c),  c' = tanh(a_a)·i + f·c,
    o = σ(a_o + P_o c'),  h = o·tanh(c')
"""

from __future__ import annotations

from ... import functions as F
from ...link import Chain
from ...variable import Variable
from ..connection.linear import Linear


class StatefulPeepholeLSTM(Chain):
    """``forward(x)`` → h, keeping c and h (``reset_state()`` forgets them)."""

    def __init__(self, in_size, out_size):
        super().__init__()
        self.state_size = out_size
        self.reset_state()
        with self.init_scope():
            self.upward = Linear(in_size, 4 * out_size)
            self.lateral = Linear(out_size, 4 * out_size, nobias=True)
            self.peep_i = Linear(out_size, out_size, nobias=True)
            self.peep_f = Linear(out_size, out_size, nobias=True)
            self.peep_o = Linear(out_size, out_size, nobias=True)

    def reset_state(self):
        self.c = self.h = None

    def forward(self, x):
        lstm_in = self.upward(x)
        if self.h is not None:
            lstm_in = lstm_in + self.lateral(self.h)
        if self.c is None:
            self.c = Variable(self.xp.zeros((x.shape[0], self.state_size), dtype=x.dtype))
        n = lstm_in.shape[0]
        gates = F.reshape(lstm_in, (n, lstm_in.shape[1] // 4, 4))
        a, i, f, o = (F.reshape(g, g.shape[:2]) for g in F.split_axis(gates, 4, 2))
        a = F.tanh(a)
        i = F.sigmoid(i + self.peep_i(self.c))
        f = F.sigmoid(f + self.peep_f(self.c))
        self.c = a * i + f * self.c
        o = F.sigmoid(o + self.peep_o(self.c))
        self.h = o * F.tanh(self.c)
        return self.h
