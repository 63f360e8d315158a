"""The partition function of a Bernoulli–Bernoulli RBM: exactly by enumeration, or estimated by
annealed importance sampling (AIS; Neal 2001, Salakhutdinov & Murray 2008), and the mean test
log-likelihood in nats that follows from it.

AIS anneals from a base-rate model p_0(v) ∝ exp(b_Aᵀv) (independent visible units, its
partition function known) to the RBM through the intermediate distributions

    log p*_β(v) = (1 − β) b_Aᵀv + β bᵀv + Σ_j softplus(β (c_j + W_j v)),   0 = β_0 < … < β_K = 1

(β = 0 is the base model times 2^N_h, so log Z_0 = N_h log 2 + Σ_i softplus(b_A,i)). Each of M
chains starts from an exact sample of p_0 and moves by one Gibbs step that leaves p*_{β_k}
invariant; its log importance weight is Σ_k [log p*_{β_k}(v_k) − log p*_{β_{k−1}}(v_k)], and
Z_B / Z_0 ≈ mean of the weights. All of it runs in float64 on the RBM's array module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..backend import get_array_module
from ..core.tensor import Tensor
from ..random import get_rng
from .rbm import RBM

__all__ = [
    "AISEstimate",
    "ais_log_partition",
    "ais_betas",
    "base_rate_bias",
    "exact_log_partition",
    "log_likelihood",
]


def _softplus(xp, x):
    return xp.logaddexp(0.0, x)


def _params(rbm: RBM):
    if not isinstance(rbm, RBM) or rbm.visible != "bernoulli":
        raise ValueError(f"expected a Bernoulli–Bernoulli RBM, got {rbm!r}")
    w = rbm.weight.array.astype("float64")  # (H, V)
    return w, rbm.visible_bias.array.astype("float64"), rbm.hidden_bias.array.astype("float64")


def exact_log_partition(rbm: RBM, chunk: int = 4096) -> float:
    """log Z of a Bernoulli–Bernoulli RBM by enumerating its 2^N_h hidden configurations:

        log Z = log Σ_h exp(cᵀh) Π_i (1 + exp(b_i + W_iᵀh))

    (the visible units summed out). Needs n_hidden ≤ 20 (about a million terms).

    >>> import shinsou as ss
    >>> rbm = ss.models.RBM(3, 2)
    >>> with ss.no_grad():
    ...     _ = rbm.weight.zero_()
    >>> round(exact_log_partition(rbm), 4)   # 5 free binary units: log 2^5
    3.4657
    """
    w, b, c = _params(rbm)
    xp = get_array_module(w)
    n_h = rbm.n_hidden
    if n_h > 20:
        raise ValueError(
            f"exact_log_partition enumerates 2^n_hidden states: needs n_hidden <= 20, got {n_h}"
        )
    bits = xp.arange(n_h)
    parts = []
    for start in range(0, 2**n_h, chunk):
        idx = xp.arange(start, min(start + chunk, 2**n_h))
        h = ((idx[:, None] >> bits) & 1).astype("float64")  # (S, H)
        parts.append(h @ c + _softplus(xp, h @ w + b).sum(axis=1))  # (S,)
    terms = xp.concatenate(parts)
    m = terms.max()
    return float(m + xp.log(xp.exp(terms - m).sum()))


def base_rate_bias(data, eps: float = 1e-3) -> Tensor:
    """Visible biases of the base-rate model, b_A,i = log(p_i / (1 − p_i)) with p_i the mean of
    visible unit i over ``data`` (N, V), clipped to [eps, 1 − eps]: the best model of
    independent units, a good start for AIS (Salakhutdinov & Murray 2008)."""
    arr = data.array if isinstance(data, Tensor) else np.asarray(data)
    xp = get_array_module(arr)
    p = xp.clip(arr.reshape(arr.shape[0], -1).astype("float64").mean(axis=0), eps, 1 - eps)
    return Tensor(xp.log(p) - xp.log1p(-p))


def ais_betas(n_fast: int = 500, n_mid: int = 4000, n_slow: int = 10000) -> np.ndarray:
    """The β schedule of Salakhutdinov & Murray 2008 with the step counts as parameters:
    ``n_fast`` steps spread evenly over [0, 0.5), ``n_mid`` over [0.5, 0.9), ``n_slow`` over
    [0.9, 1]; the defaults (steps 1e-3, 1e-4, 1e-5) give 14,500 intermediate distributions.
    Returns β_0 = 0 < … < β_K = 1 as a float64 array of K + 1 values."""
    if min(n_fast, n_mid, n_slow) < 1:
        raise ValueError(f"ais_betas: step counts must be >= 1, got {n_fast}, {n_mid}, {n_slow}")
    return np.concatenate(
        [
            np.linspace(0.0, 0.5, n_fast, endpoint=False),
            np.linspace(0.5, 0.9, n_mid, endpoint=False),
            np.linspace(0.9, 1.0, n_slow + 1),
        ]
    )


@dataclass
class AISEstimate:
    """An AIS estimate of log Z with the interval log(Ẑ ± 3σ̂), σ̂ the standard error of the
    mean importance weight (``lower`` is −inf when Ẑ − 3σ̂ ≤ 0); ``log_weights`` (M,) are the
    chains' log importance weights log(w_m) + log Z_0, so log Z ≈ log-mean-exp of them."""

    log_z: float
    lower: float
    upper: float
    log_weights: np.ndarray


def ais_log_partition(
    rbm: RBM,
    n_chains: int = 100,
    betas=None,
    base_bias=None,
) -> AISEstimate:
    """Estimate log Z of a Bernoulli–Bernoulli RBM by annealed importance sampling.

    Args:
        rbm: the RBM.
        n_chains: M, the number of independent annealing runs.
        betas: the schedule β_0 = 0 < … < β_K = 1 (a sequence), or an int K for K evenly
            spaced steps; default ``ais_betas()`` (14,500 steps, as in the paper).
        base_bias: b_A (n_visible,), the base-rate model's visible biases, e.g.
            ``base_rate_bias(train_data)``; default zeros (the uniform distribution).

    Returns:
        an ``AISEstimate`` (log_z, lower, upper, log_weights). Random numbers come from
        ``shinsou.manual_seed``'s generator.

    >>> import shinsou as ss
    >>> ss.manual_seed(0)
    >>> rbm = ss.models.RBM(10, 4)
    >>> est = ais_log_partition(rbm, n_chains=50, betas=200)
    >>> abs(est.log_z - exact_log_partition(rbm)) < 0.05
    True
    """
    w, b, c = _params(rbm)
    xp = get_array_module(w)
    if betas is None:
        betas = ais_betas()
    elif isinstance(betas, int | np.integer):
        if betas < 1:
            raise ValueError(f"ais_log_partition: betas as a step count must be >= 1, got {betas}")
        betas = np.linspace(0.0, 1.0, int(betas) + 1)
    betas = np.asarray(betas, dtype="float64")
    if (
        betas.ndim != 1
        or betas.size < 2
        or betas[0] != 0.0
        or betas[-1] != 1.0
        or (np.diff(betas) <= 0).any()
    ):
        raise ValueError("ais_log_partition: betas must increase from 0 to 1")
    if n_chains < 1:
        raise ValueError(f"ais_log_partition: n_chains must be >= 1, got {n_chains}")
    if base_bias is None:
        b_a = xp.zeros_like(b)
    else:
        b_a = base_bias.array if isinstance(base_bias, Tensor) else xp.asarray(base_bias)
        b_a = b_a.astype("float64").reshape(-1)
        if b_a.shape != b.shape:
            raise ValueError(
                f"ais_log_partition: base_bias must have shape {b.shape}, got {b_a.shape}"
            )
    rng = get_rng(xp)

    def log_p_star(v, beta):  # (M, V) -> (M,): log p*_β(v)
        return (1 - beta) * (v @ b_a) + beta * (v @ b) + _softplus(xp, beta * (v @ w.T + c)).sum(1)

    m, n_v = n_chains, rbm.n_visible
    p0 = 1 / (1 + xp.exp(-b_a))
    v = (rng.random((m, n_v)) < p0).astype("float64")  # exact sample of p_0
    log_w = xp.zeros(m)
    for k in range(1, len(betas)):
        beta_prev, beta = float(betas[k - 1]), float(betas[k])
        log_w += log_p_star(v, beta) - log_p_star(v, beta_prev)
        if k < len(betas) - 1:  # a Gibbs step leaving p*_β invariant
            ph = 1 / (1 + xp.exp(-beta * (v @ w.T + c)))
            h = (rng.random(ph.shape) < ph).astype("float64")
            pv = 1 / (1 + xp.exp(-((1 - beta) * b_a + beta * (h @ w + b))))
            v = (rng.random(pv.shape) < pv).astype("float64")
    log_z0 = rbm.n_hidden * math.log(2.0) + float(_softplus(xp, b_a).sum())
    log_w = np.asarray(log_w.get() if hasattr(log_w, "get") else log_w) + log_z0
    top = log_w.max()
    r = np.exp(log_w - top)
    mean, se = r.mean(), (r.std() / math.sqrt(m) if m > 1 else 0.0)
    low = top + math.log(mean - 3 * se) if mean - 3 * se > 0 else -math.inf
    return AISEstimate(
        float(top + math.log(mean)), float(low), float(top + math.log(mean + 3 * se)), log_w
    )


def log_likelihood(rbm: RBM, v, log_z: float) -> float:
    """Mean log p(v) = mean(−F(v)) − log Z over the rows of ``v`` (N, n_visible), in nats
    (pass log Z from ``exact_log_partition`` or ``ais_log_partition(...).log_z``)."""
    w, b, c = _params(rbm)
    xp = get_array_module(w)
    arr = v.array if isinstance(v, Tensor) else xp.asarray(v)
    arr = arr.astype("float64").reshape(arr.shape[0], -1)
    if arr.shape[1] != rbm.n_visible:
        raise ValueError(
            f"log_likelihood: expected v of shape (N, {rbm.n_visible}), got {arr.shape}"
        )
    neg_free_energy = arr @ b + _softplus(xp, arr @ w.T + c).sum(axis=1)  # (N,)
    return float(neg_free_energy.mean()) - float(log_z)
