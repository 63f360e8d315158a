"""A recurrent sequence classifier: read a sequence of feature vectors with an RNN/LSTM/GRU
and classify it from the final state (e.g. an MNIST digit read row by row)."""

from __future__ import annotations

from .. import nn

__all__ = ["SequenceClassifier"]

_LAYERS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class SequenceClassifier(nn.Module):
    """Class scores from the last state of a recurrent net.

    The input x is (N, T, F), or (N, T·F) / (N, 1, T, F) (an image: T rows of F pixels),
    reshaped to (N, T, F) with F = ``input_size``. The recurrent net (``num_layers`` layers,
    bidirectional or not) reads it; its final hidden states of the top layer — h_T of the
    forward direction and, when bidirectional, h_1 of the backward one (the state after
    reading the whole sequence backwards) — are joined, z = [h→_T ; h←_1] (N, D·H), and
    scores = W z + b (N, C).

    Args:
        input_size: F, features per step.
        hidden_size: H.
        num_classes: C.
        cell: ``"lstm"`` (default), ``"gru"`` or ``"rnn"`` (tanh).
        num_layers: stacked layers.
        bidirectional: also read the sequence backwards (D = 2).

    >>> net = SequenceClassifier(28, 16, 10, bidirectional=True)
    >>> net(ss.randn(3, 784)).shape
    (3, 10)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_classes: int,
        cell: str = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
    ):
        super().__init__()
        if cell not in _LAYERS:
            raise ValueError(
                f"SequenceClassifier: cell must be one of {', '.join(_LAYERS)}, got {cell!r}"
            )
        self.input_size, self.cell, self.bidirectional = input_size, cell, bidirectional
        self.rnn = _LAYERS[cell](
            input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
            batch_first=True,
        )  # fmt: skip
        d = 2 if bidirectional else 1
        self.head = nn.Linear(d * hidden_size, num_classes)

    def sequence(self, x):
        """x reshaped to (N, T, F)."""
        f = self.input_size
        if x.ndim < 2 or (x.numel() // x.shape[0]) % f:
            raise ValueError(
                f"SequenceClassifier(input_size={f}) expected (N, T, {f}) or (N, T*{f}), got "
                f"{tuple(x.shape)}"
            )
        return x.reshape(x.shape[0], -1, f)

    def forward(self, x):
        _, state = self.rnn(self.sequence(x))
        h = state[0] if isinstance(state, tuple) else state  # (L·D, N, H)
        d = 2 if self.bidirectional else 1
        top = h[-d:]  # the top layer's directions (D, N, H)
        z = top.transpose(0, 1).reshape(top.shape[1], -1)  # (N, D·H)
        return self.head(z)
