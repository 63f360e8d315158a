"""Sampled losses: the negative-sampling loss of word2vec (Mikolov et al. 2013).

A composite of primitives (mul, sum, bmm, logsigmoid), so its first and second derivatives
come from theirs; ``shinsou.models.Word2Vec.sgd_step`` is the fused raw-array version used
for speed, tested against this one.
"""

from __future__ import annotations

from ..core.tensor import Tensor
from ._convert import as_tensor
from .activation import logsigmoid

__all__ = ["negative_sampling_loss"]


def negative_sampling_loss(input, target, negatives, reduction: str = "mean") -> Tensor:  # noqa: A002
    """The skip-gram/CBOW negative-sampling loss of word2vec, per example b:

        L_b = −log σ(u_o·v) − Σ_k log σ(−u_k·v)

    with v = ``input[b]`` (the input vector: the centre word's, or the mean of the context
    words' for CBOW), u_o = ``target[b]`` (the output vector of the word to predict) and
    u_k = ``negatives[b, k]`` (the output vectors of K words drawn from the noise
    distribution). Gradients: ∂L/∂s_o = σ(s_o) − 1, ∂L/∂s_k = σ(s_k) for s = u·v.

    Args:
        input: (B, D) input vectors v.
        target: (B, D) output vectors u_o of the true words.
        negatives: (B, K, D) output vectors u_k of the noise words (K may be 0).
        reduction: "mean" (over B, the default), "sum" or "none" ((B,) losses).
    Returns:
        a scalar, or (B,) with ``reduction="none"``.

    >>> v = ss.tensor([[1.0, 0.0]])
    >>> F.negative_sampling_loss(v, ss.tensor([[2.0, 0.0]]), ss.tensor([[[-2.0, 0.0]]]))
    tensor(0.253856)
    """
    input, target, negatives = as_tensor(input), as_tensor(target), as_tensor(negatives)
    if input.ndim != 2 or target.shape != input.shape:
        raise ValueError(
            "negative_sampling_loss: expected input and target of the same shape (B, D), got "
            f"{tuple(input.shape)} and {tuple(target.shape)}"
        )
    b, d = input.shape
    if negatives.ndim != 3 or negatives.shape[0] != b or negatives.shape[2] != d:
        raise ValueError(
            f"negative_sampling_loss: expected negatives of shape ({b}, K, {d}), got "
            f"{tuple(negatives.shape)}"
        )
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"negative_sampling_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )
    positive = (input * target).sum(dim=1)  # (B,) u_o·v
    noise = negatives.bmm(input.unsqueeze(2)).squeeze(2)  # (B, K) u_k·v
    loss = -logsigmoid(positive) - logsigmoid(-noise).sum(dim=1)  # (B,)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
