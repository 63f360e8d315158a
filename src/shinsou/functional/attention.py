"""Attention: scaled dot-product attention and the mask handling shared by the attention layers.

Scaled dot-product attention (Vaswani et al. 2017) lets every query position take a weighted
average of the values, weighted by how well the query matches each key:

    A = softmax(Q Kᵀ · s + M),   out = A V,    s = 1/√d by default

with Q (..., L, d), K (..., S, d), V (..., S, d_v), A (..., L, S). M is an additive mask: 0
where a key may be attended to, −∞ where it may not (padding, future positions), or any
float bias. Masked keys get weight exactly 0. A query row whose keys are *all* masked gets
all-zero weights (and a zero output) instead of the NaN that softmax of −∞ everywhere would
give; its gradient is 0 too.

It is a composite of matmul, add, softmax and dropout, so it differentiates to any order
through those ops. Masks are constants: they carry no gradient, except a float ``attn_mask``
that requires grad (a learned bias), which is added as a Tensor.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.tensor import Tensor
from ._convert import as_tensor
from .activation import softmax
from .arithmetic import matmul
from .dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def _raw(m, xp):
    return m.array if isinstance(m, Tensor) else xp.asarray(m)


def additive_mask(xp, dtype, allowed=None, bias=None):
    """One additive mask array from a boolean ``allowed`` (True = take part) and/or a float
    ``bias`` (added), broadcast together; None when both are None. −∞ where not allowed."""
    out = None
    if allowed is not None:
        out = xp.where(allowed, dtype.type(0), dtype.type(-np.inf)).astype(dtype, copy=False)
    if bias is not None:
        bias = bias.astype(dtype, copy=False)
        out = bias if out is None else out + bias
    return out


def causal_allowed(xp, L: int, S: int):
    """(L, S) boolean: query i may see key j iff j ≤ i (keys aligned at the start)."""
    return xp.tri(L, S, dtype=bool)


def masked_softmax(scores: Tensor, mask=None, mask_tensor=None) -> Tensor:
    """softmax(scores + mask) over the last dim, with all-zero weights for rows whose every
    entry is −∞ (``mask``: a constant additive array broadcastable to the scores, or None;
    ``mask_tensor``: a float Tensor added as well, or None)."""
    dead = None
    if mask is not None:
        xp = scores.xp
        # rows whose every key is masked: softmax of −∞ everywhere is NaN; give them zeros
        neg = xp.isneginf(mask)
        if neg.any():
            full = np.broadcast_shapes(mask.shape, scores.shape)
            dead_rows = xp.broadcast_to(neg, full).all(axis=-1, keepdims=True)
            if dead_rows.any():
                mask = xp.where(dead_rows, mask.dtype.type(0), mask)
                dead = (~dead_rows).astype(scores.dtype)
        scores = scores + Tensor._from_op(mask.astype(scores.dtype, copy=False), None)
    if mask_tensor is not None:
        scores = scores + mask_tensor
    w = softmax(scores, dim=-1)
    if dead is not None:
        w = w * Tensor._from_op(dead, None)
    return w


def attend(q, k, v, mask=None, mask_tensor=None, dropout_p=0.0, training=True, scale=None):
    """The core of every attention layer, on (..., L, d), (..., S, d), (..., S, d_v).

    Args:
        mask: a constant additive array broadcastable to (..., L, S) (0 / −∞ / bias) or None.
        mask_tensor: a float Tensor added as well (a bias that requires grad), or None.
        dropout_p, training: dropout on the attention weights.
        scale: s; 1/√d when None.
    Returns:
        (out (..., L, d_v), weights (..., L, S)).
    """
    d = q.shape[-1]
    s = 1.0 / math.sqrt(d) if scale is None else float(scale)
    scores = matmul(q * s, k.transpose(-2, -1))  # (..., L, S)
    w = masked_softmax(scores, mask, mask_tensor)
    if dropout_p > 0.0 and training:
        w = dropout(w, dropout_p, True)
    return matmul(w, v), w


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None
) -> Tensor:
    """Scaled dot-product attention, as ``torch.nn.functional.scaled_dot_product_attention``:

        out = softmax(Q Kᵀ · s + M) V,   s = 1/√d unless ``scale`` is given

    Args:
        query: (..., L, d); key: (..., S, d); value: (..., S, d_v) (leading dims broadcast,
            e.g. (N, heads)).
        attn_mask: None; a boolean tensor broadcastable to (..., L, S), True where the query
            may attend to the key (PyTorch's convention); or a float tensor added to the
            scores (−inf to forbid).
        dropout_p: dropout probability on the attention weights (always applied when > 0, as
            in PyTorch: pass 0 in evaluation).
        is_causal: forbid query i from attending to key j > i (the upper-left causal mask);
            cannot be combined with ``attn_mask``.
        scale: the factor s; 1/√d when None.
    Returns:
        (..., L, d_v). A query whose keys are all masked gets a zero output.

    >>> q = ss.tensor([[[1.0, 0.0], [0.0, 1.0]]])      # (1, L=2, d=2)
    >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    (1, 2, 2)
    >>> F.scaled_dot_product_attention(q, q, q, is_causal=True)[0, 0].tolist()   # sees itself
    [1.0, 0.0]
    """
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise ValueError(
                f"scaled_dot_product_attention: {name} must be (..., seq, features), got "
                f"shape {t.shape}"
            )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"scaled_dot_product_attention: query (..., L, {query.shape[-1]}) and key "
            f"(..., S, {key.shape[-1]}) must have the same feature size"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: key (..., {key.shape[-2]}, d) and value "
            f"(..., {value.shape[-2]}, d_v) must have the same sequence length"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(
            f"scaled_dot_product_attention: dropout_p must be in [0, 1], got {dropout_p}"
        )
    xp = query.xp
    L, S = query.shape[-2], key.shape[-2]
    mask = mask_tensor = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
        mask = additive_mask(xp, query.dtype, allowed=causal_allowed(xp, L, S))
    elif attn_mask is not None:
        m = _raw(attn_mask, xp)
        try:
            np.broadcast_shapes(m.shape, query.shape[:-2] + (L, S))
        except ValueError:
            raise ValueError(
                f"scaled_dot_product_attention: attn_mask of shape {m.shape} does not broadcast "
                f"to the scores' shape {query.shape[:-2] + (L, S)}"
            ) from None
        if m.dtype == bool:
            mask = additive_mask(xp, query.dtype, allowed=m)
        elif isinstance(attn_mask, Tensor) and attn_mask.requires_grad:
            mask_tensor = attn_mask
        else:
            mask = additive_mask(xp, query.dtype, bias=m)
    out, _ = attend(query, key, value, mask, mask_tensor, dropout_p, True, scale)
    return out
