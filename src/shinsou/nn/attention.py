"""Attention layers: ``MultiheadAttention`` (PyTorch's, with its parameter names and layouts),
and ``BahdanauAttention`` / ``LuongAttention`` for recurrent encoder-decoders.

The RNN attentions score one decoder state q (N, Dq) against every encoder state k_j
(N, S, Dk), turn the scores into weights with a softmax over the source positions and return
the weighted average of the values (the keys themselves unless given):

    a = softmax(score(q, k_1..S)),   context = Σ_j a_j v_j

Their ``mask`` (N, S) is boolean, True for real source tokens (that may be attended to) and
False for padding, which gets weight exactly 0.
"""

from __future__ import annotations

from .. import functional as F
from ..core.tensor import Tensor
from ..creation import empty, zeros
from ..functional.attention import additive_mask, attend, causal_allowed, masked_softmax
from . import init
from .linear import Linear, check_float_input
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention", "BahdanauAttention", "LuongAttention"]


def _mask_array(mask, xp):
    return mask.array if isinstance(mask, Tensor) else xp.asarray(mask)


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), as ``torch.nn.MultiheadAttention``:

        head_i = softmax((Q W_qᵢᵀ + b_qᵢ)(K W_kᵢᵀ + b_kᵢ)ᵀ / √d_h + M) (V W_vᵢᵀ + b_vᵢ)
        out = concat(head_1, ..., head_h) W_oᵀ + b_o,      d_h = embed_dim / num_heads

    Args:
        embed_dim: E, the model size (of the query and the output).
        num_heads: h; E must be divisible by h.
        dropout: dropout probability on the attention weights (training only).
        bias: learn the input and output projection biases.
        kdim, vdim: the key's and value's feature sizes (E when None).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
    Parameters (PyTorch's names and layouts):
        in_proj_weight (3E, E) = [W_q; W_k; W_v] and in_proj_bias (3E,) when kdim = vdim = E;
        otherwise q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim) and
        in_proj_bias (3E,); out_proj, a Linear(E, E).
    Shapes:
        query (L, N, E), key (S, N, kdim), value (S, N, vdim) (batch first when
        ``batch_first``; (L, E), (S, kdim), (S, vdim) unbatched) -> output like query, and
        the weights (N, L, S) averaged over the heads, or (N, h, L, S).

    Set ``record_weights = True`` on a layer to keep each forward's per-head weights
    (N, h, L, S) in ``last_attn_weights`` (detached), e.g. inside a Transformer, whose layers
    ask for no weights.

    >>> mha = ss.nn.MultiheadAttention(8, 2, batch_first=True)
    >>> x = ss.randn(3, 5, 8)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        dtype=None,
    ):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"MultiheadAttention: embed_dim and num_heads must be positive, got "
                f"{embed_dim} and {num_heads}"
            )
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                f"({num_heads})"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * E, E, dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(empty(E, E, dtype=dtype))
            self.k_proj_weight = Parameter(empty(E, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(empty(E, self.vdim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(zeros(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform input projections, zero biases (PyTorch's initialisation)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def extra_repr(self) -> str:
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if not self._qkv_same_embed_dim:
            s += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.batch_first:
            s += ", batch_first=True"
        return s

    # When True, every forward keeps its per-head attention weights (N, h, L, S), detached,
    # in ``last_attn_weights``, even when the caller asked for none (the Transformer layers
    # do): attention maps per layer and head for pictures, without changing the forward.
    record_weights = False
    last_attn_weights = None

    def _record(self, w: Tensor) -> None:
        if self.record_weights:
            object.__setattr__(self, "last_attn_weights", w.detach())

    # ------------------------------------------------------------------ projections and heads
    def _w_b(self, i: int):
        """(weight, bias) of projection i (0 = q, 1 = k, 2 = v)."""
        E = self.embed_dim
        b = self.in_proj_bias
        b = None if b is None else b[i * E : (i + 1) * E]
        if self._qkv_same_embed_dim:
            return self.in_proj_weight[i * E : (i + 1) * E], b
        return (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[i], b

    def _split_heads(self, x: Tensor) -> Tensor:
        """(N, L, E) -> (N, h, L, d_h)."""
        N, L, _ = x.shape
        return x.reshape(N, L, self.num_heads, self.head_dim).transpose(1, 2)

    def project(self, query: Tensor, key: Tensor | None, value: Tensor | None, same=None):
        """The per-head q, k, v (N, h, ·, d_h) from batch-first inputs; ``key``/``value`` may
        be None (not computed). ``same``: "qkv" when query, key and value are one tensor,
        "kv" when key and value are one tensor (one fused projection each)."""
        N = (query if query is not None else key).shape[0]
        h, d = self.num_heads, self.head_dim
        if same == "qkv" and self._qkv_same_embed_dim:
            L = query.shape[1]
            qkv = F.linear(query, self.in_proj_weight, self.in_proj_bias)  # (N, L, 3E)
            qkv = qkv.reshape(N, L, 3, h, d).permute(2, 0, 3, 1, 4)  # (3, N, h, L, d)
            return qkv[0], qkv[1], qkv[2]
        q = self._split_heads(F.linear(query, *self._w_b(0))) if query is not None else None
        if same == "kv" and self._qkv_same_embed_dim and key is not None:
            E = self.embed_dim
            b = self.in_proj_bias
            kv = F.linear(key, self.in_proj_weight[E:], None if b is None else b[E:])
            S = key.shape[1]
            kv = kv.reshape(N, S, 2, h, d).permute(2, 0, 3, 1, 4)  # (2, N, h, S, d)
            return q, kv[0], kv[1]
        k = self._split_heads(F.linear(key, *self._w_b(1))) if key is not None else None
        v = self._split_heads(F.linear(value, *self._w_b(2))) if value is not None else None
        return q, k, v

    def merge(self, out: Tensor) -> Tensor:
        """(N, h, L, d_h) -> out_proj(concat of the heads) (N, L, E)."""
        N, _, L, _ = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(N, L, self.embed_dim))

    # ------------------------------------------------------------------------------- masks
    def build_mask(self, N: int, L: int, S: int, key_padding_mask, attn_mask, is_causal, like):
        """One constant additive mask broadcastable to (N, h, L, S) (or None), and a float
        mask Tensor that requires grad (or None). PyTorch's conventions: boolean masks are
        True where attention is *not* allowed; float masks are added."""
        xp, dtype = like.xp, like.dtype
        name = type(self).__name__
        mask, mask_tensor = None, None
        if key_padding_mask is not None:
            m = _mask_array(key_padding_mask, xp)
            if tuple(m.shape) != (N, S):
                raise ValueError(
                    f"{name}: key_padding_mask must be (N, S) = {(N, S)}, got {m.shape}"
                )
            m = m.reshape(N, 1, 1, S)
            mask = additive_mask(xp, dtype, allowed=~m) if m.dtype == bool else m.astype(dtype)
        if attn_mask is None and is_causal:
            am = additive_mask(xp, dtype, allowed=causal_allowed(xp, L, S))
            mask = am if mask is None else mask + am
        elif attn_mask is not None:
            m = _mask_array(attn_mask, xp)
            if m.ndim == 2:
                if tuple(m.shape) != (L, S):
                    raise ValueError(
                        f"{name}: 2-D attn_mask must be (L, S) = {(L, S)}, got {m.shape}"
                    )
            elif m.ndim == 3:
                want = (N * self.num_heads, L, S)
                if tuple(m.shape) != want:
                    raise ValueError(
                        f"{name}: 3-D attn_mask must be (N·num_heads, L, S) = {want}, got {m.shape}"
                    )
            else:
                raise ValueError(f"{name}: attn_mask must be 2-D or 3-D, got shape {m.shape}")
            shape = (L, S) if m.ndim == 2 else (N, self.num_heads, L, S)
            if m.dtype == bool:
                am = additive_mask(xp, dtype, allowed=~m.reshape(shape))
            elif isinstance(attn_mask, Tensor) and attn_mask.requires_grad:
                mask_tensor, am = attn_mask.reshape(shape), None
            else:
                am = m.reshape(shape).astype(dtype)
            if am is not None:
                mask = am if mask is None else mask + am
        return mask, mask_tensor

    # ----------------------------------------------------------------------------- forward
    def _check(self, query, key, value):
        name = f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
        for t in (query, key, value):
            check_float_input(self, t)
        if query.ndim not in (2, 3):
            raise ValueError(
                f"{name} expected query (L, N, E), (N, L, E) with batch_first, or (L, E) "
                f"unbatched, got {query.shape}"
            )
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"{name}: query, key and value must all be batched or all unbatched, got "
                f"{query.shape}, {key.shape}, {value.shape}"
            )
        want = ((self.embed_dim, "E"), (self.kdim, "kdim"), (self.vdim, "vdim"))
        for t, what, (size, sym) in zip((query, key, value), ("query", "key", "value"), want):
            if t.shape[-1] != size:
                raise ValueError(f"{name} expected {what} (..., {sym}={size}), got {t.shape}")
        b = 0 if self.batch_first else 1
        if query.ndim == 3 and not (query.shape[b] == key.shape[b] == value.shape[b]):
            raise ValueError(
                f"{name}: query, key and value have different batch sizes: {query.shape}, "
                f"{key.shape}, {value.shape}"
            )
        s = 1 if (self.batch_first and query.ndim == 3) else 0
        if key.shape[s] != value.shape[s]:
            raise ValueError(
                f"{name}: key and value must have the same length, got {key.shape}, {value.shape}"
            )

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query, key, value: see the class docstring for shapes.
            key_padding_mask: (N, S); boolean True (or float −inf) at padding keys.
            need_weights: also return the attention weights (else None).
            attn_mask: (L, S) or (N·h, L, S); boolean True where attention is *not* allowed,
                or float, added to the scores.
            average_attn_weights: average the returned weights over the heads.
            is_causal: with no ``attn_mask``, apply the causal mask (query i sees keys j ≤ i);
                with one, a hint that it is causal (PyTorch), ignored here.
        Returns:
            (output shaped like query, weights (N, L, S) / (N, h, L, S) or None).
        """
        self._check(query, key, value)
        same = "qkv" if (query is key and key is value) else ("kv" if key is value else None)
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = _mask_array(key_padding_mask, query.xp).reshape(1, -1)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, L, _ = query.shape
        S = key.shape[1]
        q, k, v = self.project(query, key, value, same)
        mask, mask_tensor = self.build_mask(N, L, S, key_padding_mask, attn_mask, is_causal, query)
        out, w = attend(q, k, v, mask, mask_tensor, self.dropout, self.training)
        self._record(w)
        out = self.merge(out)  # (N, L, E)
        if need_weights and average_attn_weights:
            w = w.mean(1)
        if not batched:
            out = out.squeeze(0)
            if need_weights:
                w = w.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, (w if need_weights else None)


# ------------------------------------------------------------------------ RNN attentions
def _rnn_inputs(layer, query, keys, values, mask):
    """Check (N, Dq), (N, S, Dk), (N, S, Dv), (N, S) and return the values and the additive
    mask array (or None)."""
    name = f"{type(layer).__name__}({layer.extra_repr()})"
    check_float_input(layer, query)
    check_float_input(layer, keys)
    if query.ndim != 2 or query.shape[1] != layer.query_dim:
        raise ValueError(f"{name} expected query (N, {layer.query_dim}), got {query.shape}")
    if keys.ndim != 3 or keys.shape[0] != query.shape[0] or keys.shape[2] != layer.key_dim:
        raise ValueError(
            f"{name} expected keys (N={query.shape[0]}, S, {layer.key_dim}), got {keys.shape}"
        )
    if values is None:
        values = keys
    elif values.ndim != 3 or tuple(values.shape[:2]) != tuple(keys.shape[:2]):
        raise ValueError(
            f"{name} expected values (N, S, Dv) = ({keys.shape[0]}, {keys.shape[1]}, Dv), got "
            f"{values.shape}"
        )
    m = None
    if mask is not None:
        m = _mask_array(mask, keys.xp)
        if m.dtype != bool or tuple(m.shape) != tuple(keys.shape[:2]):
            raise ValueError(
                f"{name} expected a boolean mask (N, S) = {tuple(keys.shape[:2])} (True = real "
                f"token), got {m.dtype} {m.shape}"
            )
        m = additive_mask(keys.xp, keys.dtype, allowed=m)
    return values, m


def _context(scores: Tensor, values: Tensor, mask):
    """softmax over S with the mask, then Σ_j a_j v_j: ((N, Dv), (N, S))."""
    w = masked_softmax(scores, mask)  # (N, S)
    ctx = F.matmul(w.unsqueeze(1), values).squeeze(1)  # (N, 1, S) @ (N, S, Dv)
    return ctx, w


class BahdanauAttention(Module):
    """Additive attention (Bahdanau et al. 2015):

        score_j = vᵀ tanh(W_q q + W_k k_j + b),   a = softmax(score),   context = Σ_j a_j v_j

    Args:
        query_dim: Dq, the decoder state size.
        key_dim: Dk, the encoder state size.
        hidden_dim: the size of the tanh layer (Dq when None).
    Parameters:
        query_proj (Linear Dq -> hidden, no bias), key_proj (Linear Dk -> hidden, with the
        bias b), v (Linear hidden -> 1, no bias).
    Shapes:
        query (N, Dq), keys (N, S, Dk), values (N, S, Dv) (the keys when None), mask (N, S)
        boolean, True at real tokens -> context (N, Dv), weights (N, S).

    The key projection does not depend on the decoder step: compute it once per source
    sentence with ``project_keys(keys)`` and pass it as ``projected_keys`` at every step.

    >>> att = ss.nn.BahdanauAttention(4, 6, 5)
    >>> ctx, w = att(ss.randn(2, 4), ss.randn(2, 3, 6), mask=ss.tensor([[1, 1, 0], [1, 1, 1]]) > 0)
    >>> ctx.shape, w.shape, w[0, 2].item()
    ((2, 6), (2, 3), 0.0)
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int | None = None, dtype=None):
        super().__init__()
        hidden_dim = query_dim if hidden_dim is None else hidden_dim
        self.query_dim, self.key_dim, self.hidden_dim = query_dim, key_dim, hidden_dim
        self.query_proj = Linear(query_dim, hidden_dim, bias=False, dtype=dtype)
        self.key_proj = Linear(key_dim, hidden_dim, bias=True, dtype=dtype)
        self.v = Linear(hidden_dim, 1, bias=False, dtype=dtype)

    def extra_repr(self) -> str:
        return f"query_dim={self.query_dim}, key_dim={self.key_dim}, hidden_dim={self.hidden_dim}"

    def project_keys(self, keys: Tensor) -> Tensor:
        """W_k k + b for every key: (N, S, Dk) -> (N, S, hidden)."""
        return self.key_proj(keys)

    def forward(self, query, keys, values=None, mask=None, projected_keys=None):
        values, m = _rnn_inputs(self, query, keys, values, mask)
        pk = self.key_proj(keys) if projected_keys is None else projected_keys
        e = F.tanh(self.query_proj(query).unsqueeze(1) + pk)  # (N, S, hidden)
        scores = self.v(e).squeeze(-1)  # (N, S)
        return _context(scores, values, m)


class LuongAttention(Module):
    """Multiplicative attention (Luong et al. 2015), three scores:

        dot:      score_j = qᵀ k_j                       (Dq = Dk)
        general:  score_j = qᵀ W k_j                     (W: Dq × Dk)
        concat:   score_j = vᵀ tanh(W [q; k_j])          (W: hidden × (Dq + Dk))

    then a = softmax(score) over the source positions and context = Σ_j a_j v_j.

    Args:
        query_dim: Dq; key_dim: Dk (Dq when None).
        mode: "dot", "general" or "concat".
        hidden_dim: the tanh layer's size for "concat" (Dq when None).
    Parameters:
        general: W (Linear Dk -> Dq, no bias: W.weight is the matrix W above); concat: W
        (Linear Dq + Dk -> hidden, no bias) and v (Linear hidden -> 1, no bias); dot: none.
    Shapes:
        query (N, Dq), keys (N, S, Dk), values (N, S, Dv) (the keys when None), mask (N, S)
        boolean, True at real tokens -> context (N, Dv), weights (N, S).

    (Luong et al. then combine the context with the decoder state, h̃ = tanh(W_c [c; h]);
    that layer belongs to the decoder.)

    >>> att = ss.nn.LuongAttention(4, mode="dot")
    >>> ctx, w = att(ss.randn(2, 4), ss.randn(2, 3, 4))
    >>> ctx.shape, [round(float(s), 5) for s in w.sum(1).tolist()]
    ((2, 4), [1.0, 1.0])
    """

    modes = ("dot", "general", "concat")

    def __init__(
        self,
        query_dim: int,
        key_dim: int | None = None,
        mode: str = "general",
        hidden_dim: int | None = None,
        dtype=None,
    ):
        super().__init__()
        if mode not in self.modes:
            raise ValueError(f"LuongAttention: mode must be one of {self.modes}, got {mode!r}")
        key_dim = query_dim if key_dim is None else key_dim
        if mode == "dot" and key_dim != query_dim:
            raise ValueError(
                f"LuongAttention(mode='dot') needs query_dim == key_dim, got {query_dim} and "
                f"{key_dim}"
            )
        self.query_dim, self.key_dim, self.mode = query_dim, key_dim, mode
        self.hidden_dim = query_dim if hidden_dim is None else hidden_dim
        if mode == "general":
            self.W = Linear(key_dim, query_dim, bias=False, dtype=dtype)
        elif mode == "concat":
            self.W = Linear(query_dim + key_dim, self.hidden_dim, bias=False, dtype=dtype)
            self.v = Linear(self.hidden_dim, 1, bias=False, dtype=dtype)

    def extra_repr(self) -> str:
        s = f"query_dim={self.query_dim}, key_dim={self.key_dim}, mode={self.mode!r}"
        return s + (f", hidden_dim={self.hidden_dim}" if self.mode == "concat" else "")

    def forward(self, query, keys, values=None, mask=None):
        values, m = _rnn_inputs(self, query, keys, values, mask)
        if self.mode == "concat":
            N, S, _ = keys.shape
            qs = F.broadcast_to(query.unsqueeze(1), (N, S, self.query_dim))
            e = F.tanh(self.W(F.concat([qs, keys], axis=-1)))  # (N, S, hidden)
            scores = self.v(e).squeeze(-1)
        else:
            u = query if self.mode == "dot" else F.matmul(query, self.W.weight)  # qᵀW: (N, Dk)
            scores = F.matmul(keys, u.unsqueeze(-1)).squeeze(-1)  # (N, S)
        return _context(scores, values, m)
