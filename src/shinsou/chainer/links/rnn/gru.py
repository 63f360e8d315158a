"""``L.StatelessGRU``, ``L.StatefulGRU`` and ``L.GRU`` (Chainer's parameters W_r, U_r, W_z,
U_z, W, U, each a Linear):

    r = σ(W_r x + U_r h),  z = σ(W_z x + U_z h),  h̃ = tanh(W x + U(r·h)),
    h' = z·h̃ + (1 − z)·h

(Chainer's convention: z weighs the *new* value, unlike PyTorch's GRU.)
"""

from __future__ import annotations

from ... import functions as F
from ...link import Chain
from ...variable import Variable
from ..connection.linear import Linear


class GRUBase(Chain):
    def __init__(self, in_size, out_size, init=None, inner_init=None, bias_init=None):
        super().__init__()
        with self.init_scope():
            self.W_r = Linear(in_size, out_size, initialW=init, initial_bias=bias_init)
            self.U_r = Linear(out_size, out_size, initialW=inner_init, initial_bias=bias_init)
            self.W_z = Linear(in_size, out_size, initialW=init, initial_bias=bias_init)
            self.U_z = Linear(out_size, out_size, initialW=inner_init, initial_bias=bias_init)
            self.W = Linear(in_size, out_size, initialW=init, initial_bias=bias_init)
            self.U = Linear(out_size, out_size, initialW=inner_init, initial_bias=bias_init)


class StatelessGRU(GRUBase):
    """``forward(h, x)`` → the next h."""

    def forward(self, h, x):
        r = F.sigmoid(self.W_r(x) + self.U_r(h))
        z = F.sigmoid(self.W_z(x) + self.U_z(h))
        h_bar = F.tanh(self.W(x) + self.U(r * h))
        return F.linear_interpolate(z, h_bar, h)


class StatefulGRU(GRUBase):
    """``forward(x)`` → h, keeping h (``reset_state()`` forgets it; the first step is
    z·h̃)."""

    def __init__(self, in_size, out_size, init=None, inner_init=None, bias_init=0):
        super().__init__(in_size, out_size, init, inner_init, bias_init)
        self.state_size = out_size
        self.reset_state()

    def set_state(self, h):
        if not isinstance(h, Variable):
            raise TypeError("StatefulGRU.set_state: h must be a Variable")
        self.h = h

    def reset_state(self):
        self.h = None

    def forward(self, x):
        z = self.W_z(x)
        h_bar = self.W(x)
        if self.h is not None:
            r = F.sigmoid(self.W_r(x) + self.U_r(self.h))
            z = z + self.U_z(self.h)
            h_bar = h_bar + self.U(r * self.h)
        z = F.sigmoid(z)
        h_bar = F.tanh(h_bar)
        if self.h is not None:
            h_new = F.linear_interpolate(z, h_bar, self.h)
        else:
            h_new = z * h_bar
        self.h = h_new
        return self.h


class GRU(StatefulGRU):
    """The stateful GRU (``forward(x)``); Chainer 2+ made ``L.GRU`` stateful."""

    def forward(self, *args):
        if len(args) != 1:
            raise ValueError(
                f"GRU.forward takes one argument (x), got {len(args)}; chainer.links.GRU is "
                "stateful since Chainer v2: use StatelessGRU for forward(h, x)"
            )
        return super().forward(args[0])
