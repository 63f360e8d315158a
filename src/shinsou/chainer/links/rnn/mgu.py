"""``L.StatelessMGU`` and ``L.StatefulMGU``: minimal gated units (Zhou et al. 2016),

f = σ(W_f [h, x]),  h̃ = tanh(W_h [f·h, x]),  h' = f·h̃ + (1 − f)·h
"""

from __future__ import annotations

from ... import functions as F
from ...link import Chain
from ...variable import Variable
from ..connection.linear import Linear


class MGUBase(Chain):
    def __init__(self, n_inputs, n_units):
        super().__init__()
        with self.init_scope():
            self.W_f = Linear(n_inputs + n_units, n_units)
            self.W_h = Linear(n_inputs + n_units, n_units)

    def _call_mgu(self, h, x):
        f = F.sigmoid(self.W_f(F.concat([h, x])))
        h_bar = F.tanh(self.W_h(F.concat([f * h, x])))
        return F.linear_interpolate(f, h_bar, h)


class StatelessMGU(MGUBase):
    """``forward(h, x)`` → the next h."""

    def forward(self, h, x):
        return self._call_mgu(h, x)


class StatefulMGU(MGUBase):
    """``forward(x)`` → h, keeping h (zeros at first; ``reset_state()`` forgets it)."""

    def __init__(self, in_size, out_size):
        super().__init__(in_size, out_size)
        self._state_size = out_size
        self.reset_state()

    def set_state(self, h):
        if not isinstance(h, Variable):
            raise TypeError("StatefulMGU.set_state: h must be a Variable")
        self.h = h

    def reset_state(self):
        self.h = None

    def forward(self, x):
        from ... import get_dtype

        h = self.h
        if h is None:
            h = Variable(self.xp.zeros((x.shape[0], self._state_size), dtype=get_dtype()))
        self.h = self._call_mgu(h, x)
        return self.h
