"""Encoder–decoder models for translation (sequence to sequence).

Every model here has

* ``forward(src (N, S), src_lengths (N,) or None, tgt_in (N, T)) -> logits (N, T, V_tgt)``
  for teacher forcing (``tgt_in`` starts with ``<bos>``; position t predicts token t + 1);
* ``encode(src, src_lengths) -> memory`` and ``decode_step(tokens (N,), memory, state) ->
  (logits (N, V), state)``, the incremental pieces that ``shinsou.decoding`` (greedy and
  beam search) drives, one target position per call.

Padding is id ``pad_index`` (0 by default); sources are masked by it, so a sentence's
translation does not depend on what else is in its batch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor
from ..creation import zeros
from ..nn import (
    LSTM,
    BahdanauAttention,
    Dropout,
    Embedding,
    Linear,
    LSTMCell,
    LuongAttention,
    Module,
    ModuleList,
    PositionalEncoding,
    Transformer,
)
from ..nn import init

__all__ = ["Seq2SeqLSTM", "TransformerTranslator"]

_ATTENTIONS = ("bahdanau", "luong-general", "luong-dot")


def _lengths_and_mask(src: Tensor, src_lengths, pad_index: int):
    """(N,) int64 lengths (a NumPy array) and the (N, S) bool mask, True at real tokens."""
    S = src.shape[1]
    if src_lengths is None:
        lengths = (src.numpy() != pad_index).sum(axis=1).astype(np.int64)
    else:
        lengths = np.asarray(
            src_lengths.numpy() if isinstance(src_lengths, Tensor) else src_lengths, np.int64
        )
    if lengths.shape != (src.shape[0],) or (lengths < 1).any() or (lengths > S).any():
        raise ValueError(
            f"expected src_lengths (N,) = ({src.shape[0]},) in [1, {S}], got "
            f"{lengths.tolist() if lengths.size < 20 else lengths.shape}"
        )
    mask = np.arange(S)[None, :] < lengths[:, None]
    return lengths, Tensor(src.xp.asarray(mask))


class Seq2SeqLSTM(Module):
    """An LSTM encoder–decoder with attention (Bahdanau et al. 2015; Luong et al. 2015).

    Encoder: embeddings, then an LSTM (``bidirectional``: both directions, concatenated)
    over the source: m_s (N, S, D·H_enc). Decoder, at step t, with y_{t−1} the previous
    token and h̃_{t−1} the previous attentional state (zeros at t = 1)::

        h_t, c_t  = LSTM_layers([emb(y_{t−1}); h̃_{t−1}], (h_{t−1}, c_{t−1}))   (input feeding;
                                                              without it: emb(y_{t−1}) alone)
        e_ts      = score(h_t, m_s)      bahdanau:      vᵀ tanh(W_q h_t + W_k m_s)
                                         luong-general: h_tᵀ W_a m_s
                                         luong-dot:     h_tᵀ m_s   (needs D·H_enc = H)
        a_t       = softmax_s(e_ts)      (padding positions get weight 0)
        ctx_t     = Σ_s a_ts m_s
        h̃_t       = tanh(W_c [ctx_t; h_t])
        logits_t  = W_out dropout(h̃_t)

    The attention is computed from the new top state h_t (Luong et al.'s placement) with
    either score. The decoder's initial (h, c) of each layer is tanh(W_init [h_fwd; h_bwd])
    of the encoder's final states of that layer (zeros with ``bridge=False``).

    Args:
        src_vocab, tgt_vocab: vocabulary sizes V_src, V_tgt.
        embed: embedding size E; hidden: decoder hidden size H (the encoder's per direction
            is H / 2 when ``bidirectional``, so m_s has H features either way).
        num_layers: LSTM layers of the encoder and of the decoder.
        attention: ``"bahdanau"``, ``"luong-general"`` or ``"luong-dot"``.
        bidirectional: a bidirectional encoder.
        input_feeding: feed h̃_{t−1} into the next decoder step (Luong et al.).
        dropout: on embeddings, between layers and before the output layer.
        pad_index: the padding id (its embedding row is zero and fixed).

    Shapes:
        ``forward(src (N, S), src_lengths (N,) | None, tgt_in (N, T)) -> (N, T, V_tgt)``;
        with ``return_attention=True`` also the attention weights (N, T, S).

    >>> m = Seq2SeqLSTM(10, 12, embed=8, hidden=8, num_layers=1)
    >>> src, tgt_in = ss.tensor([[4, 5, 3], [6, 3, 0]]), ss.tensor([[2, 7], [2, 8]])
    >>> m(src, None, tgt_in).shape
    (2, 2, 12)
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        embed: int = 256,
        hidden: int = 256,
        num_layers: int = 1,
        attention: str = "luong-general",
        bidirectional: bool = True,
        input_feeding: bool = True,
        dropout: float = 0.2,
        bridge: bool = True,
        pad_index: int = 0,
    ):
        super().__init__()
        if attention not in _ATTENTIONS:
            raise ValueError(
                f"Seq2SeqLSTM: attention must be one of {', '.join(_ATTENTIONS)}, got {attention!r}"
            )
        if bidirectional and hidden % 2:
            raise ValueError(
                f"Seq2SeqLSTM: hidden must be even with a bidirectional encoder (H/2 per "
                f"direction), got {hidden}"
            )
        D = 2 if bidirectional else 1
        self.src_vocab, self.tgt_vocab, self.embed, self.hidden = (
            src_vocab, tgt_vocab, embed, hidden)  # fmt: skip
        self.num_layers, self.attention, self.bidirectional = num_layers, attention, bidirectional
        self.input_feeding, self.pad_index, self.bridge = input_feeding, pad_index, bridge
        self.src_embed = Embedding(src_vocab, embed, padding_idx=pad_index)
        self.tgt_embed = Embedding(tgt_vocab, embed, padding_idx=pad_index)
        self.encoder = LSTM(embed, hidden // D, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0,
                            bidirectional=bidirectional)  # fmt: skip
        self.decoder = ModuleList(
            LSTMCell((embed + (hidden if input_feeding else 0)) if k == 0 else hidden, hidden)
            for k in range(num_layers)
        )
        if bridge:
            self.init_h = Linear(hidden, hidden)
            self.init_c = Linear(hidden, hidden)
        if attention == "bahdanau":
            self.attn = BahdanauAttention(hidden, hidden)
        else:
            self.attn = LuongAttention(hidden, hidden, mode=attention.split("-")[1])
        self.combine = Linear(2 * hidden, hidden, bias=False)
        self.drop = Dropout(dropout)
        self.out = Linear(hidden, tgt_vocab)

    def extra_repr(self) -> str:
        return (
            f"attention={self.attention!r}, bidirectional={self.bidirectional}, "
            f"input_feeding={self.input_feeding}"
        )

    # --- encoder ------------------------------------------------------------------------
    def encode(self, src: Tensor, src_lengths=None) -> dict:
        """Read the sources: ``{"memory": (N, S, H), "keys": (N, S, H) (Bahdanau: the
        projected keys; Luong: the memory), "mask": (N, S) bool (True at real tokens),
        "h0", "c0": (N, L, H) the decoder's initial state}``."""
        lengths, mask = _lengths_and_mask(src, src_lengths, self.pad_index)
        x = self.drop(self.src_embed(src))  # (N, S, E)
        memory, (h_n, c_n) = self.encoder(x, lengths=lengths)  # (N, S, H), (D·L, N, H/D)
        N, L, H = src.shape[0], self.num_layers, self.hidden
        if self.bridge:
            D = 2 if self.bidirectional else 1
            # (D·L, N, H/D) -> (N, L, H): each layer's directions side by side
            h = h_n.reshape(L, D, N, H // D).permute(2, 0, 1, 3).reshape(N, L, H)
            c = c_n.reshape(L, D, N, H // D).permute(2, 0, 1, 3).reshape(N, L, H)
            h0, c0 = F.tanh(self.init_h(h)), F.tanh(self.init_c(c))
        else:
            h0 = c0 = zeros(N, L, H, dtype=memory.dtype, device=memory.device)
        # Bahdanau's key projection does not change from step to step: once per sentence
        keys = self.attn.project_keys(memory) if self.attention == "bahdanau" else memory
        return {"memory": memory, "keys": keys, "mask": mask, "h0": h0, "c0": c0}

    # --- decoder ------------------------------------------------------------------------
    def _attend(self, h: Tensor, enc: dict):
        """h (N, H) -> context (N, H), weights (N, S) (padding positions weigh 0)."""
        if self.attention == "bahdanau":
            return self.attn(h, enc["memory"], mask=enc["mask"], projected_keys=enc["keys"])
        return self.attn(h, enc["memory"], mask=enc["mask"])

    def decode_step(self, tokens: Tensor, enc: dict, state=None):
        """One decoder step for all N rows: ``tokens`` (N,) the previous tokens ->
        ``(logits (N, V_tgt), state)`` with ``state = {"h", "c": (N, L, H), "feed": (N, H),
        "attention": (N, S)}`` (``None``: the first step)."""
        if state is None:
            N = tokens.shape[0]
            h_all, c_all = enc["h0"], enc["c0"]
            feed = zeros(N, self.hidden, dtype=enc["memory"].dtype, device=tokens.device)
        else:
            h_all, c_all, feed = state["h"], state["c"], state["feed"]
        x = self.drop(self.tgt_embed(tokens))  # (N, E)
        if self.input_feeding:
            x = F.concat([x, feed], -1)
        hs, cs = [], []
        for k, cell in enumerate(self.decoder):
            h, c = cell(x, (h_all[:, k], c_all[:, k]))
            hs.append(h)
            cs.append(c)
            x = self.drop(h) if k < self.num_layers - 1 else h
        ctx, a = self._attend(h, enc)
        feed = F.tanh(self.combine(F.concat([ctx, h], -1)))  # h̃_t (N, H)
        logits = self.out(self.drop(feed))
        return logits, {"h": F.stack(hs, 1), "c": F.stack(cs, 1), "feed": feed, "attention": a}

    def forward(self, src: Tensor, src_lengths, tgt_in: Tensor, return_attention: bool = False):
        """Teacher forcing: logits (N, T, V_tgt) of every next target token given the true
        prefix ``tgt_in`` (N, T); with ``return_attention``, also the weights (N, T, S)."""
        if tgt_in.ndim != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: expected tgt_in (N, T) with N = {src.shape[0]} "
                f"(the sources' batch), got {tgt_in.shape}"
            )
        enc = self.encode(src, src_lengths)
        state, outs, attn = None, [], []
        for t in range(tgt_in.shape[1]):
            logits, state = self.decode_step(tgt_in[:, t], enc, state)
            outs.append(logits)
            attn.append(state["attention"])
        logits = F.stack(outs, 1)
        return (logits, F.stack(attn, 1)) if return_attention else logits


class TransformerTranslator(Module):
    """The Transformer for translation (Vaswani et al. 2017): token embeddings scaled by
    √d, plus sinusoidal positions, through ``nn.Transformer`` (post-norm by default), then
    a linear layer to the target vocabulary::

        memory   = Encoder(PE(√d · E_src[x]))                       (source padding masked)
        h_t      = Decoder(PE(√d · E_tgt[y_<t]), memory)             (causal: sees y_≤t only)
        logits_t = W_out h_t + b          (tied: W_out = E_tgt, the target embedding matrix)

    Embeddings are drawn N(0, 1/d) (so √d · E has unit variance, as the tied output layer
    wants); padding rows are zero.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes.
        d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout,
            norm_first: as ``nn.Transformer``.
        tie_embeddings: share the target embedding and the output projection's weight.
        max_len: the longest sequence the position table covers.
        pad_index: the padding id.

    ``decode_step`` feeds one position at a time through ``TransformerDecoder.forward_step``
    with the layers' cache of earlier keys and values (``state = {"cache", "t"}``), so a
    step costs one position, not the prefix; ``reorder_state`` reorders that cache for beams.

    >>> m = TransformerTranslator(10, 12, d_model=8, nhead=2, num_encoder_layers=1,
    ...                           num_decoder_layers=1, dim_feedforward=16)
    >>> m(ss.tensor([[4, 5, 3], [6, 3, 0]]), None, ss.tensor([[2, 7], [2, 8]])).shape
    (2, 2, 12)
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        d_model: int = 128,
        nhead: int = 4,
        num_encoder_layers: int = 2,
        num_decoder_layers: int = 2,
        dim_feedforward: int = 512,
        dropout: float = 0.1,
        tie_embeddings: bool = True,
        norm_first: bool = False,
        max_len: int = 256,
        pad_index: int = 0,
    ):
        super().__init__()
        self.src_vocab, self.tgt_vocab, self.d_model = src_vocab, tgt_vocab, d_model
        self.tie_embeddings, self.pad_index = tie_embeddings, pad_index
        self.src_embed = Embedding(src_vocab, d_model, padding_idx=pad_index)
        self.tgt_embed = Embedding(tgt_vocab, d_model, padding_idx=pad_index)
        self.pos = PositionalEncoding(d_model, dropout, max_len, batch_first=True)
        self.transformer = Transformer(
            d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout,
            batch_first=True, norm_first=norm_first,
        )  # fmt: skip
        self.out = Linear(d_model, tgt_vocab)
        for emb in (self.src_embed, self.tgt_embed):
            init.normal_(emb.weight, 0.0, d_model**-0.5)
            emb.weight.array[pad_index] = 0
        if tie_embeddings:
            self.out.weight = self.tgt_embed.weight
        self.scale = math.sqrt(d_model)

    def extra_repr(self) -> str:
        return f"tie_embeddings={self.tie_embeddings}, pad_index={self.pad_index}"

    def _embed_src(self, src):
        return self.pos(self.src_embed(src) * self.scale)

    def encode(self, src: Tensor, src_lengths=None) -> dict:
        """``{"memory": (N, S, d), "pad": (N, S) bool, True at padding}``."""
        _, valid = _lengths_and_mask(src, src_lengths, self.pad_index)
        pad = F.logical_not(valid)
        memory = self.transformer.encoder(self._embed_src(src), src_key_padding_mask=pad)
        return {"memory": memory, "pad": pad}

    def decode_step(self, tokens: Tensor, enc: dict, state=None):
        """One decoder position for all N rows: ``tokens`` (N,) -> ``(logits (N, V_tgt),
        {"cache": the layers' keys and values, "t": positions done})``."""
        t = 0 if state is None else state["t"]
        x = self.pos(self.tgt_embed(tokens.unsqueeze(1)) * self.scale, offset=t)  # (N, 1, d)
        y, cache = self.transformer.decoder.forward_step(
            x, enc["memory"], None if state is None else state["cache"],
            memory_key_padding_mask=enc["pad"],
        )  # fmt: skip
        return self.out(y[:, 0]), {"cache": cache, "t": t + 1}

    def reorder_state(self, state, index):
        """The state of the rows ``index`` (beam search)."""
        if state is None:
            return None
        idx = Tensor(np.asarray(index, np.int64), device=state["cache"][0]["k"].device)
        return {"cache": self.transformer.decoder.reorder_cache(state["cache"], idx),
                "t": state["t"]}  # fmt: skip

    def forward(self, src: Tensor, src_lengths, tgt_in: Tensor):
        """Teacher forcing: logits (N, T, V_tgt) for the prefixes ``tgt_in`` (N, T)."""
        if tgt_in.ndim != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: expected tgt_in (N, T) with N = {src.shape[0]} "
                f"(the sources' batch), got {tgt_in.shape}"
            )
        enc = self.encode(src, src_lengths)
        T = tgt_in.shape[1]
        causal = Transformer.generate_square_subsequent_mask(T, device=src.device)
        h = self.transformer.decoder(
            self.pos(self.tgt_embed(tgt_in) * self.scale), enc["memory"], tgt_mask=causal,
            memory_key_padding_mask=enc["pad"], tgt_is_causal=True,
        )  # fmt: skip
        return self.out(h)

    def cross_attention(self, src: Tensor, tgt_in: Tensor) -> np.ndarray:
        """The decoder's attention to the source, per layer and head, for teacher-forced
        ``tgt_in``: an array (N, layers, heads, T, S) (eval mode, no graph)."""
        from ..core.grad_mode import no_grad

        attns = [layer.multihead_attn for layer in self.transformer.decoder.layers]
        was = self.training
        self.eval()
        try:
            for a in attns:  # keep each layer's per-head weights (N, h, T, S)
                a.record_weights = True
            with no_grad():
                self(src, None, tgt_in)
            weights = [a.last_attn_weights.numpy() for a in attns]
        finally:
            for a in attns:
                a.record_weights = False
                a.last_attn_weights = None
            self.train(was)
        return np.stack(weights, axis=1)
