"""``L.NStepLSTM``, ``L.NStepBiLSTM``, ``L.NStepGRU``, ``L.NStepBiGRU``, ``L.NStepRNNTanh``,
``L.NStepRNNReLU``, ``L.NStepBiRNNTanh``, ``L.NStepBiRNNReLU``: stacked RNNs over lists of
variable-length sequences.

``forward(hx, [cx,] xs)`` takes ``xs`` as a list of B sequences (L_b, I) in any order and
``hx``/``cx`` (S, B, H) or None (zeros); it returns ``hy`` (and ``cy``) and ``ys``, a list of
(L_b, H·directions), in the order of ``xs``. The parameters are Chainer's: a ChainList of one
Link per layer and direction with ``w0``… and ``b0``… (see ``chainer.functions.rnn`` for the
gate layout), W ~ LeCunNormal, b = 0.

>>> import numpy as np
>>> import shinsou.chainer.links as L
>>> rnn = L.NStepLSTM(2, 3, 4, 0.0)
>>> hy, cy, ys = rnn(None, None, [np.zeros((5, 3), np.float32), np.zeros((2, 3), np.float32)])
>>> hy.shape, [y.shape for y in ys]
((2, 2, 4), [(5, 4), (2, 4)])
"""

from __future__ import annotations

import numpy

from ... import functions as F
from ... import initializers
from ...functions import rnn as _rnn
from ...link import ChainList, Link
from ...variable import Parameter, Variable


def argsort_list_descent(lst):
    """Indices that sort ``lst`` by decreasing length (NumPy's argsort, as Chainer)."""
    return numpy.argsort([-len(x) for x in lst]).astype(numpy.int32)


def permutate_list(lst, indices, inv):
    ret = [None] * len(lst)
    for i, ind in enumerate(indices):
        if inv:
            ret[ind] = lst[i]
        else:
            ret[i] = lst[ind]
    return ret


class NStepRNNBase(ChainList):
    n_weights = 2
    use_bi_direction = False

    def __init__(
        self, n_layers, in_size, out_size, dropout, *, initialW=None, initial_bias=None, **kwargs
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected arguments {sorted(kwargs)} (use_cudnn, "
                "use_bi_direction and activation are not supported anymore, as in Chainer 7)"
            )
        direction = 2 if self.use_bi_direction else 1
        w_init = initializers._get_initializer(initialW)
        b_init = initializers._get_initializer(0 if initial_bias is None else initial_bias)
        weights = []
        for i in range(n_layers):
            for _ in range(direction):
                weight = Link()
                with weight.init_scope():
                    for j in range(self.n_weights):
                        if j < self.n_weights // 2:
                            w_in = in_size if i == 0 else out_size * direction
                        else:
                            w_in = out_size
                        setattr(weight, f"w{j}", Parameter(w_init, (out_size, w_in)))
                        setattr(weight, f"b{j}", Parameter(b_init, out_size))
                weights.append(weight)
        super().__init__(*weights)
        self.n_layers = n_layers
        self.dropout = dropout
        self.out_size = out_size
        self.direction = direction

    @property
    def ws(self):
        return [[getattr(layer, f"w{i}") for i in range(self.n_weights)] for layer in self]

    @property
    def bs(self):
        return [[getattr(layer, f"b{i}") for i in range(self.n_weights)] for layer in self]

    def init_hx(self, xs):
        shape = (self.n_layers * self.direction, len(xs), self.out_size)
        return Variable(self.xp.zeros(shape, dtype=xs[0].dtype))

    def forward(self, hx, xs, **kwargs):
        (hy,), ys = self._call([hx], xs, **kwargs)
        return hy, ys

    def _call(self, hs, xs, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        if not isinstance(xs, (list, tuple)):
            raise TypeError(
                f"{type(self).__name__}: xs must be a list of sequences, got {type(xs).__name__}"
            )
        indices = argsort_list_descent(xs)
        xs = permutate_list(xs, indices, inv=False)
        hxs = []
        for hx in hs:
            hxs.append(
                self.init_hx(xs) if hx is None else F.permutate(hx, indices, axis=1, inv=False)
            )
        trans_x = F.transpose_sequence(xs)
        result = self.rnn(self.n_layers, self.dropout, *hxs, self.ws, self.bs, trans_x)
        hys = [F.permutate(h, indices, axis=1, inv=True) for h in result[:-1]]
        ys = F.transpose_sequence(result[-1])
        return hys, permutate_list(ys, indices, inv=True)


class _LSTMBase(NStepRNNBase):
    n_weights = 8

    def forward(self, hx, cx, xs, **kwargs):
        (hy, cy), ys = self._call([hx, cx], xs, **kwargs)
        return hy, cy, ys


class NStepLSTM(_LSTMBase):
    """Stacked LSTM: ``forward(hx, cx, xs)`` → (hy, cy, ys)."""

    def rnn(self, *args):
        return _rnn.n_step_lstm(*args)


class NStepBiLSTM(_LSTMBase):
    """Stacked bidirectional LSTM: ys have 2·out_size features."""

    use_bi_direction = True

    def rnn(self, *args):
        return _rnn.n_step_bilstm(*args)


class NStepGRU(NStepRNNBase):
    """Stacked GRU: ``forward(hx, xs)`` → (hy, ys)."""

    n_weights = 6

    def rnn(self, *args):
        return _rnn.n_step_gru(*args)


class NStepBiGRU(NStepRNNBase):
    """Stacked bidirectional GRU."""

    n_weights = 6
    use_bi_direction = True

    def rnn(self, *args):
        return _rnn.n_step_bigru(*args)


class NStepRNNTanh(NStepRNNBase):
    """Stacked Elman RNN with tanh."""

    def rnn(self, *args):
        return _rnn.n_step_rnn(*args, activation="tanh")


class NStepRNNReLU(NStepRNNBase):
    """Stacked Elman RNN with ReLU."""

    def rnn(self, *args):
        return _rnn.n_step_rnn(*args, activation="relu")


class NStepBiRNNTanh(NStepRNNBase):
    """Stacked bidirectional Elman RNN with tanh."""

    use_bi_direction = True

    def rnn(self, *args):
        return _rnn.n_step_birnn(*args, activation="tanh")


class NStepBiRNNReLU(NStepRNNBase):
    """Stacked bidirectional Elman RNN with ReLU."""

    use_bi_direction = True

    def rnn(self, *args):
        return _rnn.n_step_birnn(*args, activation="relu")
