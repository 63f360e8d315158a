"""The Transformer (Vaswani et al. 2017) as ``torch.nn``'s: ``TransformerEncoderLayer``,
``TransformerDecoderLayer``, ``TransformerEncoder``, ``TransformerDecoder`` and
``Transformer``, with PyTorch's arguments, parameter names and masks, so that a state_dict
moves between the two.

An encoder layer is self-attention then a position-wise feed-forward network, each wrapped in
a residual connection and layer norm; a decoder layer adds attention to the encoder's output
(the "memory") between the two:

    post-norm (norm_first=False, the paper):   x = LN(x + Sublayer(x))
    pre-norm  (norm_first=True, more stable):  x = x + Sublayer(LN(x))
    FF(x) = W₂ dropout(act(W₁ x + b₁)) + b₂

Masks follow PyTorch: ``*_mask`` (L, S) or (N·nhead, L, S), boolean True where attention is
*not* allowed, or float added to the scores (``generate_square_subsequent_mask`` gives the
causal one); ``*_key_padding_mask`` (N, S), True at padding.

Incremental decoding: ``TransformerDecoder.forward_step`` runs the decoder for one new target
position, reusing the keys and values of the earlier positions (self-attention) and of the
memory (cross-attention, computed at the first step) kept in a cache, and
``TransformerDecoder.reorder_cache`` selects the cache rows of the surviving beams.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor
from ..functional.attention import attend
from . import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .layer_norm import LayerNorm
from .linear import Linear, check_float_input
from .module import Module

__all__ = [
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    "Transformer",
]


def _activation(name, activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")


def _check_d(layer, what: str, x, d_model: int, batch_first: bool) -> None:
    check_float_input(layer, x)
    if x.ndim not in (2, 3) or x.shape[-1] != d_model:
        layout = "(N, S, d_model)" if batch_first else "(S, N, d_model)"
        raise ValueError(
            f"{type(layer).__name__}(d_model={d_model}) expected {what} {layout} or "
            f"(S, d_model) with d_model={d_model}, got {x.shape}"
        )


class TransformerEncoderLayer(Module):
    """Self-attention and feed-forward, each with a residual connection and layer norm:

        post-norm:  x = LN₁(x + SA(x));  x = LN₂(x + FF(x))
        pre-norm:   x = x + SA(LN₁(x));  x = x + FF(LN₂(x))

    Args:
        d_model: the model size; nhead: attention heads.
        dim_feedforward: the feed-forward hidden size.
        dropout: on the attention weights, after each sublayer and inside FF.
        activation: "relu", "gelu" or a callable.
        layer_norm_eps: ε of the layer norms.
        batch_first: (N, S, d) instead of (S, N, d).
        norm_first: pre-norm instead of post-norm.
        bias: biases in the linear layers and the layer norms.
    Submodules (PyTorch's names): self_attn, linear1, dropout, linear2, norm1, norm2,
        dropout1, dropout2.
    Shapes:
        src (S, N, d) / (N, S, d) / (S, d) -> the same.

    >>> layer = ss.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    >>> layer(ss.randn(3, 5, 8)).shape
    (3, 5, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype=None,
    ):
        super().__init__()
        kw = {"dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(type(self).__name__, activation)
        self.d_model, self.batch_first = d_model, batch_first

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
            need_weights=False, is_causal=is_causal,
        )[0]  # fmt: skip
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        _check_d(self, "src", src, self.d_model, self.batch_first)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerDecoderLayer(Module):
    """Masked self-attention, attention to the memory, and feed-forward:

        post-norm:  x = LN₁(x + SA(x));  x = LN₂(x + MHA(x, mem));  x = LN₃(x + FF(x))
        pre-norm:   x = x + SA(LN₁(x));  x = x + MHA(LN₂(x), mem);  x = x + FF(LN₃(x))

    Args: as ``TransformerEncoderLayer``.
    Submodules (PyTorch's names): self_attn, multihead_attn, linear1, dropout, linear2,
        norm1, norm2, norm3, dropout1, dropout2, dropout3.
    Shapes:
        tgt (T, N, d), memory (S, N, d) (batch first when ``batch_first``) -> like tgt.

    ``forward_step`` runs one new position against a cache of the earlier ones (see
    ``TransformerDecoder.forward_step``).

    >>> layer = ss.nn.TransformerDecoderLayer(8, 2, 16, batch_first=True)
    >>> layer(ss.randn(3, 4, 8), ss.randn(3, 6, 8)).shape
    (3, 4, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype=None,
    ):
        super().__init__()
        kw = {"dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(type(self).__name__, activation)
        self.d_model, self.batch_first = d_model, batch_first

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
            need_weights=False, is_causal=is_causal,
        )[0]  # fmt: skip
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(
            x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
            need_weights=False, is_causal=is_causal,
        )[0]  # fmt: skip
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ):
        _check_d(self, "tgt", tgt, self.d_model, self.batch_first)
        _check_d(self, "memory", memory, self.d_model, self.batch_first)
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    # ---------------------------------------------------------------- incremental decoding
    def _sa_step(self, x, cache: dict, new: dict):
        """Self-attention of the new position (N, 1, d) over the cached prefix and itself."""
        attn = self.self_attn
        q, k, v = attn.project(x, x, x, "qkv")  # (N, h, 1, d_h)
        if "k" in cache:
            k = F.concat([cache["k"], k], dim=2)
            v = F.concat([cache["v"], v], dim=2)
        new["k"], new["v"] = k, v
        out, w = attend(q, k, v, None, None, attn.dropout, attn.training)
        attn._record(w)
        return self.dropout1(attn.merge(out))

    def _mha_step(self, x, memory, mask, cache: dict, new: dict):
        attn = self.multihead_attn
        if "mem_k" in cache:
            k, v = cache["mem_k"], cache["mem_v"]
        else:
            _, k, v = attn.project(None, memory, memory, "kv")  # (N, h, S, d_h)
        new["mem_k"], new["mem_v"] = k, v
        q = attn.project(x, None, None)[0]
        out, w = attend(q, k, v, mask, None, attn.dropout, attn.training)
        attn._record(w)
        return self.dropout2(attn.merge(out))

    def forward_step(self, tgt_last, memory, cache: dict | None = None,
                     memory_key_padding_mask=None):  # fmt: skip
        """One new target position through this layer, reusing the cache of the earlier ones.

        Args:
            tgt_last: (N, 1, d) ((1, N, d) unless batch_first), the new position's input.
            memory: (N, S, d) ((S, N, d) unless batch_first).
            cache: None at the first step, else the dict this method returned: "k", "v"
                (N, nhead, t, d_h) of the earlier positions, "mem_k", "mem_v" of the memory.
            memory_key_padding_mask: (N, S), True at padding.
        Returns:
            (output like tgt_last, the new cache dict).
        """
        _check_d(self, "tgt_last", tgt_last, self.d_model, self.batch_first)
        _check_d(self, "memory", memory, self.d_model, self.batch_first)
        if not self.batch_first:
            tgt_last, memory = tgt_last.transpose(0, 1), memory.transpose(0, 1)
        if tgt_last.ndim != 3 or tgt_last.shape[1] != 1:
            raise ValueError(
                f"{type(self).__name__}.forward_step expects one new position, got tgt_last "
                f"{tuple(tgt_last.shape)} in batch-first order"
            )
        mask = None
        if memory_key_padding_mask is not None:
            mask, _ = self.multihead_attn.build_mask(
                tgt_last.shape[0], 1, memory.shape[1], memory_key_padding_mask, None, False,
                tgt_last,
            )  # fmt: skip
        y, new = self._step(tgt_last, memory, cache, mask)
        return (y if self.batch_first else y.transpose(0, 1)), new

    def _step(self, x, memory, cache: dict | None = None, memory_mask=None):
        """``forward_step`` batch first: x (N, 1, d), memory (N, S, d), ``memory_mask`` a
        constant additive array broadcastable to (N, h, 1, S) or None."""
        cache = cache or {}
        new: dict = {}
        if self.norm_first:
            x = x + self._sa_step(self.norm1(x), cache, new)
            x = x + self._mha_step(self.norm2(x), memory, memory_mask, cache, new)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_step(x, cache, new))
            x = self.norm2(x + self._mha_step(x, memory, memory_mask, cache, new))
            x = self.norm3(x + self._ff_block(x))
        return x, new


def _clones(layer: Module, n: int) -> ModuleList:
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"num_layers must be a positive int, got {n!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(n)])


class TransformerEncoder(Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer``, then ``norm`` if given.

    Args:
        encoder_layer: a ``TransformerEncoderLayer`` (copied, not shared).
        num_layers: the number of layers.
        norm: a final layer norm (used with pre-norm layers), or None.
        enable_nested_tensor, mask_check: accepted for PyTorch compatibility (no effect).
    Submodules: layers.0 ... layers.{n-1}, norm.

    >>> enc = ss.nn.TransformerEncoder(ss.nn.TransformerEncoderLayer(8, 2, 16), 2)
    >>> len(enc.layers), enc(ss.randn(5, 3, 8)).shape
    (2, (5, 3, 8))
    """

    def __init__(
        self,
        encoder_layer,
        num_layers: int,
        norm=None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(
                x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )  # fmt: skip
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """A stack of ``num_layers`` deep copies of ``decoder_layer``, then ``norm`` if given.

    Args:
        decoder_layer: a ``TransformerDecoderLayer`` (copied, not shared).
        num_layers: the number of layers.
        norm: a final layer norm, or None.
    Submodules: layers.0 ... layers.{n-1}, norm.

    Incremental decoding (greedy or beam search): feed one new target position at a time,

        cache = None
        for t in range(max_len):
            y, cache = decoder.forward_step(emb_t, memory, cache, memory_key_padding_mask)
            ...
            cache = decoder.reorder_cache(cache, beam_index)   # beam search only

    which gives the same outputs as the full forward with the causal ``tgt_mask``, while each
    step costs O(t) instead of recomputing the whole prefix.

    >>> dec = ss.nn.TransformerDecoder(ss.nn.TransformerDecoderLayer(8, 2, 16), 2)
    >>> dec(ss.randn(4, 3, 8), ss.randn(6, 3, 8)).shape
    (4, 3, 8)
    """

    def __init__(self, decoder_layer, num_layers: int, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal: bool = False,
    ):
        x = tgt
        for layer in self.layers:
            x = layer(
                x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal,
            )  # fmt: skip
        return self.norm(x) if self.norm is not None else x

    def forward_step(self, tgt_last, memory, cache=None, memory_key_padding_mask=None):
        """Decode one new position given the cache of the earlier ones.

        Args:
            tgt_last: the new position's input (N, 1, d) ((1, N, d) unless batch_first).
            memory: the encoder output (N, S, d) ((S, N, d) unless batch_first).
            cache: None at the first step, else the cache returned by the previous step: a
                list (one per layer) of dicts of Tensors "k", "v" (N, nhead, t, d_h: the
                self-attention keys and values of the t earlier positions) and "mem_k",
                "mem_v" (N, nhead, S, d_h: the memory's, computed once).
            memory_key_padding_mask: (N, S), True at padding source positions.
        Returns:
            (output (N, 1, d) or (1, N, d), after the final norm; the new cache).
        """
        first = self.layers[0]
        _check_d(self, "tgt_last", tgt_last, first.d_model, first.batch_first)
        _check_d(self, "memory", memory, first.d_model, first.batch_first)
        if not first.batch_first:
            tgt_last, memory = tgt_last.transpose(0, 1), memory.transpose(0, 1)
        N, T, _ = tgt_last.shape
        if T != 1:
            raise ValueError(
                f"TransformerDecoder.forward_step expects one new position, got {T} "
                f"(tgt_last {tuple(tgt_last.shape)} in batch-first order)"
            )
        if memory.shape[0] != N:
            raise ValueError(
                f"TransformerDecoder.forward_step: memory has batch {memory.shape[0]}, "
                f"tgt_last has {N}"
            )
        if cache is not None and len(cache) != len(self.layers):
            raise ValueError(
                f"TransformerDecoder.forward_step: cache has {len(cache)} layers, the decoder "
                f"{len(self.layers)}"
            )
        mask = None
        if memory_key_padding_mask is not None:
            mask, _ = first.multihead_attn.build_mask(
                N, 1, memory.shape[1], memory_key_padding_mask, None, False, tgt_last
            )
        x, new = tgt_last, []
        for i, layer in enumerate(self.layers):
            x, c = layer._step(x, memory, None if cache is None else cache[i], mask)
            new.append(c)
        if self.norm is not None:
            x = self.norm(x)
        return (x if first.batch_first else x.transpose(0, 1)), new

    @staticmethod
    def reorder_cache(cache, index):
        """The cache of the rows ``index`` (beam search: the beams that survive), each
        Tensor indexed along the batch dim: ``t.index_select(0, index)``."""
        if cache is None:
            return None
        if not isinstance(index, Tensor):
            index = Tensor(np.asarray(index, dtype=np.int64))
        return [{k: F.index_select(t, 0, index) for k, t in c.items()} for c in cache]


class Transformer(Module):
    """The encoder-decoder Transformer, as ``torch.nn.Transformer``:

        memory = Encoder(src),   out = Decoder(tgt, memory)

    Args:
        d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout,
        activation, layer_norm_eps, batch_first, norm_first, bias: as the layers'.
        custom_encoder, custom_decoder: modules to use instead of the standard stacks.
    Submodules (PyTorch's names): encoder (layers, norm), decoder (layers, norm). Every
    parameter with more than one dim is initialised Xavier-uniform, as PyTorch does.
    Shapes:
        src (S, N, d), tgt (T, N, d) (batch first when ``batch_first``) -> (T, N, d).

    >>> model = ss.nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
    >>> mask = model.generate_square_subsequent_mask(4)
    >>> model(ss.randn(3, 5, 8), ss.randn(3, 4, 8), tgt_mask=mask).shape
    (3, 4, 8)
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype=None,
    ):
        super().__init__()
        kw = dict(
            dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
            layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first,
            bias=bias, dtype=dtype,
        )  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **kw),
                num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype),
            )
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **kw),
                num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype),
            )
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The (sz, sz) causal float mask: 0 on and below the diagonal, −inf above (position
        i may attend to j ≤ i).

        >>> ss.nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
        """
        m = np.triu(np.full((sz, sz), -np.inf, dtype=np.float32), 1)
        t = Tensor(m.astype(dtype) if dtype is not None else m)
        return t.to(device) if device is not None else t

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal: bool = False,
    ):
        b = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[b] != tgt.shape[b]:
            raise ValueError(
                f"Transformer: the batch sizes of src {src.shape} and tgt {tgt.shape} differ"
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(
                f"Transformer(d_model={self.d_model}): the feature size of src {src.shape} and "
                f"tgt {tgt.shape} must be d_model"
            )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal,
        )  # fmt: skip
