"""``Embedding``: a lookup table of learned vectors, one row per token id."""

from __future__ import annotations

import numpy as np

from ..core.tensor import _ARRAY_TYPES, Tensor
from .. import functional as F
from ..creation import zeros
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """y[..., :] = W[i, :] for each integer id i of the input: a table of ``num_embeddings``
    vectors of size ``embedding_dim`` (word vectors). The gradient of W adds up the output
    gradients of every position that picked a row; the row ``padding_idx`` (if given) is
    initialised to zeros and never receives a gradient.

    Args:
        num_embeddings: the vocabulary size V.
        embedding_dim: D.
        padding_idx: an id in [-V, V) whose row stays fixed (padding tokens), or None.
    Shapes:
        ids: int (*) in [0, V) -> (*, D); weight (V, D), initialised N(0, 1) as in PyTorch.

    >>> emb = ss.nn.Embedding(10, 3, padding_idx=0)
    >>> emb
    Embedding(10, 3, padding_idx=0)
    >>> emb(ss.tensor([[0, 2], [4, 0]])).shape, emb(ss.tensor([0])).tolist()
    ((2, 2, 3), [[0.0, 0.0, 0.0]])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        _weight=None,
        _freeze: bool = False,
        dtype=None,
    ):
        super().__init__()
        for what, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Embedding: {what} must be a non-negative int, got {v!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within [-{num_embeddings}, "
                    f"{num_embeddings}), got {padding_idx}"
                )
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(zeros(num_embeddings, embedding_dim, dtype=dtype))
            self.reset_parameters()
        else:
            w = _weight.array if isinstance(_weight, Tensor) else np.asarray(_weight)
            if tuple(w.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight must have shape ({num_embeddings}, {embedding_dim}), "
                    f"got {tuple(w.shape)}"
                )
            self.weight = Parameter(w.copy(), requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None):
        """An Embedding holding a copy of the 2-D ``embeddings`` (V, D); ``freeze=True`` (the
        default, as in PyTorch) makes the weight non-trainable.

        >>> e = ss.nn.Embedding.from_pretrained(ss.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> e(ss.tensor([1])).tolist(), e.weight.requires_grad
        ([[3.0, 4.0]], False)
        """
        w = embeddings.array if isinstance(embeddings, Tensor) else embeddings
        if not isinstance(w, _ARRAY_TYPES):
            w = np.asarray(w)
        if w.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D (V, D), got {tuple(w.shape)}"
            )
        return cls(w.shape[0], w.shape[1], padding_idx, _weight=w, _freeze=freeze)

    def reset_parameters(self) -> None:
        """W ~ N(0, 1); the padding row 0."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, ids):
        t = ids.array if isinstance(ids, Tensor) else ids
        if not isinstance(t, _ARRAY_TYPES):
            t = np.asarray(t)
        if t.dtype.kind not in "iu":
            raise TypeError(
                f"{self!r} expected integer ids (int64), got dtype {t.dtype} (convert with .long())"
            )
        t = self.weight.xp.asarray(t)
        v = self.num_embeddings
        if t.size and (int(t.min()) < 0 or int(t.max()) >= v):
            bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
            raise IndexError(f"{self!r}: id {bad} is out of range [0, {v})")
        return F.embedding(
            Tensor._from_op(self.weight.xp.asarray(t), None), self.weight, self.padding_idx
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
