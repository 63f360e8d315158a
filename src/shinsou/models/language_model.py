"""A word-level recurrent language model: embedding → stacked LSTM (or GRU/RNN) → linear
decoder over the vocabulary, as in Zaremba, Sutskever & Vinyals (2014), "Recurrent Neural
Network Regularization"."""

from __future__ import annotations

from .. import nn

__all__ = ["RNNLanguageModel", "detach_state"]

_LAYERS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def detach_state(state):
    """The recurrent state ``h`` or ``(h, c)`` cut from the graph of the window that made it
    (truncated BPTT: the next window starts from its value, gradients stop there)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class RNNLanguageModel(nn.Module):
    """Next-word scores for every position of a batch of token windows.

    For ids x (B, T): e = dropout(Embedding(x)) (B, T, E); h = the ``num_layers``-layer
    recurrent net over e, with dropout between layers (B, T, H); logits = W·dropout(h) + b
    (B, T, V). Dropout (probability ``dropout``, only in training mode) sits on the
    non-recurrent connections only, as in Zaremba et al. 2014.

    Args:
        vocab_size: V.
        embed_size: E.
        hidden_size: H.
        num_layers: stacked recurrent layers.
        dropout: dropout probability on the embedding output, between layers and before
            the decoder.
        cell: ``"lstm"`` (default), ``"gru"`` or ``"rnn"`` (tanh).
        init_range: when given, every parameter is drawn from U(−r, r) (Zaremba et al.'s
            initialisation); otherwise each layer's own default.
        proj_size: P > 0 projects each LSTM layer's state to P units (LSTMP, Sak et al.
            2014: ``nn.LSTM(proj_size=P)``); the decoder then reads P features, not H.

    ``forward(x, state=None)`` returns ``(logits (B, T, V), state)`` where ``state`` is the
    final recurrent state — ``(h, c)`` each (num_layers, B, H) for the LSTM (h is
    (num_layers, B, P) with a projection) — to be passed
    (detached, see ``detach_state``) with the next window of the same streams.

    >>> lm = RNNLanguageModel(50, 8, 16, num_layers=2, init_range=0.1)
    >>> logits, (h, c) = lm(ss.tensor([[1, 2, 3], [4, 5, 6]]))
    >>> logits.shape, h.shape
    ((2, 3, 50), (2, 2, 16))
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        hidden_size: int,
        num_layers: int = 2,
        dropout: float = 0.0,
        cell: str = "lstm",
        init_range: float | None = None,
        proj_size: int = 0,
    ):
        super().__init__()
        if cell not in _LAYERS:
            raise ValueError(
                f"RNNLanguageModel: cell must be one of {', '.join(_LAYERS)}, got {cell!r}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"RNNLanguageModel: dropout must be in [0, 1), got {dropout}")
        self.vocab_size, self.embed_size, self.hidden_size = vocab_size, embed_size, hidden_size
        self.num_layers, self.cell, self.init_range = num_layers, cell, init_range
        self.proj_size = proj_size
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.drop = nn.Dropout(dropout)
        kw = {"proj_size": proj_size} if proj_size else {}  # the GRU and RNN have none
        self.rnn = _LAYERS[cell](
            embed_size,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            batch_first=True,
            **kw,
        )
        self.decoder = nn.Linear(proj_size or hidden_size, vocab_size)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Each layer's default initialisation, or U(−r, r) for every parameter when
        ``init_range`` r is set."""
        if self.init_range is None:
            return  # the layers initialised themselves
        r = float(self.init_range)
        for p in self.parameters():
            nn.init.uniform_(p, -r, r)

    def forward(self, x, state=None):
        if x.ndim != 2 or x.dtype.kind not in "iu":
            raise ValueError(
                f"RNNLanguageModel expected integer token ids (B, T), got {tuple(x.shape)} "
                f"{x.dtype}"
            )
        e = self.drop(self.embedding(x))  # (B, T, E)
        h, state = self.rnn(e, state)  # (B, T, H) (P with a projection)
        return self.decoder(self.drop(h)), state  # (B, T, V)

    def extra_repr(self) -> str:
        return (
            f"vocab={self.vocab_size}, embed={self.embed_size}, hidden={self.hidden_size}, "
            f"layers={self.num_layers}, cell={self.cell}"
            + (f", proj={self.proj_size}" if self.proj_size else "")
        )
