"""Restricted Boltzmann machines (Bernoulli and Gaussian visible units) and deep belief nets.

An RBM is an energy model over visible units v (N_v) and binary hidden units h (N_h) with
weights W (N_h, N_v), visible biases b (N_v) and hidden biases c (N_h):

    Bernoulli visible:  E(v, h) = −bᵀv − cᵀh − hᵀW v,              v ∈ {0, 1}^N_v
    Gaussian visible:   E(v, h) = ½‖v − b‖² − cᵀh − hᵀW v,          v ∈ ℝ^N_v (unit variance)

Summing the hidden units out gives the free energy, p(v) = exp(−F(v)) / Z:

    Bernoulli:  F(v) = −bᵀv − Σ_j softplus(c_j + W_j v)
    Gaussian:   F(v) = ½‖v − b‖² − Σ_j softplus(c_j + W_j v)

and the conditionals factorise: p(h_j = 1 | v) = σ(c_j + W_j v); p(v_i = 1 | h) = σ(b_i + W_iᵀh)
(Bernoulli) or v | h ~ N(b + Wᵀh, I) (Gaussian).

Training by contrastive divergence (Hinton 2002) is written as a loss so that any optimizer of
``shinsou.optim`` can follow it: the gradient of mean F(v_data) − mean F(v_model), with v_model
drawn by k Gibbs steps and held constant, is minus the CD-k estimate of the log-likelihood
gradient, e.g. for W: −(⟨p(h|v) vᵀ⟩_data − ⟨p(h|v) vᵀ⟩_model).
"""

from __future__ import annotations

from .. import functional as F
from ..core.autograd import no_grad
from ..core.tensor import Tensor
from ..creation import zeros
from ..nn.activation import Sigmoid
from ..nn.container import ModuleList, Sequential
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..random import get_rng

__all__ = ["RBM", "DBN"]


def _bernoulli(p: Tensor) -> Tensor:
    """A 0/1 sample with P(1) = p, same dtype as p; draws from ``shinsou.manual_seed``'s
    generator."""
    u = get_rng(p.xp).random(p.shape, dtype=p.dtype)
    return Tensor((u < p.array).astype(p.dtype))


class RBM(Module):
    """Restricted Boltzmann machine with binary hidden units.

    Args:
        n_visible: number of visible units N_v.
        n_hidden: number of hidden units N_h.
        visible: ``"bernoulli"`` (binary visible units, data in [0, 1]) or ``"gaussian"``
            (real-valued visible units with unit variance: standardise the data first).
        dtype: parameter dtype (default: shinsou's default float).

    Parameters:
        weight: W (n_hidden, n_visible), initialised N(0, 0.01²) (Hinton's practical guide);
        visible_bias: b (n_visible,), zeros; hidden_bias: c (n_hidden,), zeros.

    Shapes: v (N, n_visible), h (N, n_hidden); ``free_energy`` gives (N,).

    >>> import shinsou as ss
    >>> ss.manual_seed(0)
    >>> rbm = ss.models.RBM(6, 3)
    >>> v = ss.tensor([[1.0, 0, 1, 0, 1, 1]])
    >>> rbm.free_energy(v).shape, rbm.p_h_given_v(v).shape
    ((1,), (1, 3))
    >>> loss = rbm.contrastive_divergence(v, k=1)
    >>> loss.backward()
    >>> rbm.weight.grad.shape
    (3, 6)
    """

    def __init__(self, n_visible: int, n_hidden: int, visible: str = "bernoulli", dtype=None):
        super().__init__()
        if visible not in ("bernoulli", "gaussian"):
            raise ValueError(f"RBM: visible must be 'bernoulli' or 'gaussian', got {visible!r}")
        if n_visible < 1 or n_hidden < 1:
            raise ValueError(f"RBM: sizes must be positive, got {n_visible}, {n_hidden}")
        self.n_visible, self.n_hidden, self.visible = n_visible, n_hidden, visible
        self.weight = Parameter(zeros(n_hidden, n_visible, dtype=dtype))
        self.visible_bias = Parameter(zeros(n_visible, dtype=dtype))
        self.hidden_bias = Parameter(zeros(n_hidden, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        w = self.weight
        noise = get_rng(w.xp).standard_normal(w.shape, dtype=w.dtype) * 0.01
        with no_grad():
            w.array[...] = noise
            self.visible_bias.zero_()
            self.hidden_bias.zero_()

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, visible={self.visible!r}"

    def _check(self, x, n: int, what: str) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{self!r} expected a Tensor {what}, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != n:
            raise ValueError(f"{self!r} expected {what} of shape (N, {n}), got {x.shape}")
        if x.dtype.kind != "f":
            raise TypeError(
                f"{self!r} expected floating-point {what}, got dtype {x.dtype} "
                "(convert with x.float())"
            )
        return x

    # ---- energies and conditionals (differentiable shinsou ops) ----
    def free_energy(self, v: Tensor) -> Tensor:
        """F(v) = −bᵀv − Σ_j softplus(c_j + W_j v) (Bernoulli visible) or
        ½‖v − b‖² − Σ_j softplus(c_j + W_j v) (Gaussian), so p(v) = exp(−F(v)) / Z.

        Args: v (N, n_visible). Returns: (N,), differentiable w.r.t. the parameters (and v).
        """
        self._check(v, self.n_visible, "visible v")
        hidden = F.softplus(F.linear(v, self.weight, self.hidden_bias)).sum(dim=1)  # (N,)
        if self.visible == "bernoulli":
            visible = -(v * self.visible_bias).sum(dim=1)
        else:
            visible = ((v - self.visible_bias) ** 2).sum(dim=1) * 0.5
        return visible - hidden

    def energy(self, v: Tensor, h: Tensor) -> Tensor:
        """E(v, h) = −bᵀv − cᵀh − hᵀWv (Bernoulli; ½‖v − b‖² replaces −bᵀv for Gaussian).

        Args: v (N, n_visible), h (N, n_hidden). Returns: (N,).
        """
        self._check(v, self.n_visible, "visible v")
        self._check(h, self.n_hidden, "hidden h")
        interaction = (F.linear(v, self.weight) * h).sum(dim=1) + (h * self.hidden_bias).sum(1)
        if self.visible == "bernoulli":
            return -(v * self.visible_bias).sum(dim=1) - interaction
        return ((v - self.visible_bias) ** 2).sum(dim=1) * 0.5 - interaction

    def p_h_given_v(self, v: Tensor) -> Tensor:
        """p(h_j = 1 | v) = σ(c_j + W_j v): (N, n_visible) -> (N, n_hidden)."""
        self._check(v, self.n_visible, "visible v")
        return F.sigmoid(F.linear(v, self.weight, self.hidden_bias))

    def p_v_given_h(self, h: Tensor) -> Tensor:
        """p(v_i = 1 | h) = σ(b_i + W_iᵀh) for Bernoulli visible units, the mean b + Wᵀh of
        v | h ~ N(b + Wᵀh, I) for Gaussian ones: (N, n_hidden) -> (N, n_visible)."""
        self._check(h, self.n_hidden, "hidden h")
        mean = h @ self.weight + self.visible_bias  # (N, n_visible)
        return F.sigmoid(mean) if self.visible == "bernoulli" else mean

    # ---- sampling (no gradients) ----
    def sample_h(self, v: Tensor) -> tuple[Tensor, Tensor]:
        """Draw h ~ p(h | v). Returns ``(probabilities, sample)``, both (N, n_hidden),
        without gradient."""
        with no_grad():
            p = self.p_h_given_v(v)
            return p, _bernoulli(p)

    def sample_v(self, h: Tensor) -> tuple[Tensor, Tensor]:
        """Draw v ~ p(v | h). Returns ``(mean, sample)``, both (N, n_visible), without
        gradient: the mean is p(v = 1 | h) (Bernoulli) or b + Wᵀh (Gaussian, sample = mean +
        N(0, 1) noise)."""
        with no_grad():
            mean = self.p_v_given_h(h)
            if self.visible == "bernoulli":
                return mean, _bernoulli(mean)
            noise = get_rng(mean.xp).standard_normal(mean.shape, dtype=mean.dtype)
            return mean, Tensor(mean.array + noise)

    def gibbs(self, v: Tensor, k: int = 1) -> Tensor:
        """Run k steps of block Gibbs sampling v → h ~ p(h|v) → v' ~ p(v|h) from ``v``; return
        the last visible sample (N, n_visible), without gradient."""
        if k < 1:
            raise ValueError(f"{self!r}.gibbs: k must be >= 1, got {k}")
        self._check(v, self.n_visible, "visible v")
        v = v.detach()
        for _ in range(k):
            _, h = self.sample_h(v)
            _, v = self.sample_v(h)
        return v

    # ---- training ----
    def contrastive_divergence(self, v: Tensor, k: int = 1, persistent: Tensor | None = None):
        """The CD-k (or persistent CD) loss: mean F(v_data) − mean F(v_model).

        v_model is ``gibbs(v, k)`` for CD-k, or ``gibbs(persistent, k)`` for PCD (Tieleman
        2008), in which case ``persistent`` (M, n_visible), the fantasy particles, is
        overwritten in place with the new chain state. v_model is a constant, so for W

            ∂loss/∂W = −(⟨p(h|v) vᵀ⟩_data − ⟨p(h|v) vᵀ⟩_model),

        minus the CD estimate of ∂ log p(v)/∂W (likewise for b and c): an optimizer
        minimising the loss ascends the likelihood. The value itself is not the negative log
        likelihood (Z cancels); watch ``reconstruction_error`` or AIS instead.

        Args: v (N, n_visible) data batch; k Gibbs steps; persistent (M, n_visible) or None.
        Returns: a scalar Tensor.
        """
        self._check(v, self.n_visible, "visible v")
        if persistent is None:
            v_model = self.gibbs(v, k)
        else:
            self._check(persistent, self.n_visible, "persistent chain")
            v_model = self.gibbs(persistent, k)
            with no_grad():
                persistent.copy_(v_model)
        return self.free_energy(v).mean() - self.free_energy(v_model).mean()

    def reconstruction_error(self, v: Tensor) -> float:
        """Mean over the batch of ‖v − p(v | p(h | v))‖², the squared error of the mean-field
        reconstruction v → p(h|v) → mean of p(v|h), summed over visible units."""
        with no_grad():
            recon = self.p_v_given_h(self.p_h_given_v(v))
            return float(((v - recon) ** 2).sum(dim=1).mean().item())


class DBN(Module):
    """Deep belief net (Hinton, Osindero & Teh 2006): a stack of RBMs trained greedily, each
    on the hidden activations p(h|v) of the one below.

    Args:
        layer_sizes: widths, e.g. (784, 500, 500, 2000): RBM i joins sizes[i] and sizes[i+1].
        visible: visible unit type of the bottom RBM (the others are Bernoulli).

    >>> import shinsou as ss
    >>> dbn = ss.models.DBN((6, 4, 3))
    >>> [tuple(r.weight.shape) for r in dbn.rbms]
    [(4, 6), (3, 4)]
    >>> dbn.to_mlp()
    Sequential(
      (0): Linear(in_features=6, out_features=4, bias=True)
      (1): Sigmoid()
      (2): Linear(in_features=4, out_features=3, bias=True)
      (3): Sigmoid()
    )
    """

    def __init__(self, layer_sizes, visible: str = "bernoulli"):
        super().__init__()
        sizes = tuple(int(s) for s in layer_sizes)
        if len(sizes) < 2:
            raise ValueError(f"DBN needs at least two layer sizes, got {layer_sizes}")
        self.layer_sizes = sizes
        self.rbms = ModuleList(
            [
                RBM(a, b, visible=visible if i == 0 else "bernoulli")
                for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))
            ]
        )

    def extra_repr(self) -> str:
        return f"layer_sizes={self.layer_sizes}"

    def up(self, v: Tensor, n_layers: int | None = None) -> Tensor:
        """Mean-field up pass through the first ``n_layers`` RBMs (all by default):
        x ← p(h | x) layer by layer, without gradient."""
        n = len(self.rbms) if n_layers is None else n_layers
        with no_grad():
            for rbm in list(self.rbms)[:n]:
                v = rbm.p_h_given_v(v)
        return v

    def pretrain_layer(
        self, i: int, data_loader, epochs: int, optimizer_factory, k: int = 1
    ) -> list[float]:
        """Train RBM ``i`` by CD-k on the data mapped up through RBMs 0..i−1 (frozen).

        Args:
            i: which RBM (0 = bottom).
            data_loader: iterable of batches: Tensors or arrays (N, ...) or tuples whose first
                element is the input (labels are ignored); inputs are floating point (in
                [0, 1] for Bernoulli visible units) and are flattened to (N, -1).
            epochs: passes over ``data_loader``.
            optimizer_factory: called with RBM i's parameters, returns an optimizer, e.g.
                ``lambda p: ss.optim.SGD(p, lr=0.1, momentum=0.5)``.
            k: Gibbs steps of CD-k.

        Returns:
            the mean reconstruction error of RBM i over each epoch's batches (one per epoch).
        """
        if not 0 <= i < len(self.rbms):
            raise IndexError(f"DBN has {len(self.rbms)} RBMs, got layer index {i}")
        rbm = self.rbms[i]
        optimizer = optimizer_factory(rbm.parameters())
        history = []
        for _ in range(epochs):
            total, batches = 0.0, 0
            for batch in data_loader:
                x = batch[0] if isinstance(batch, tuple | list) else batch
                if not isinstance(x, Tensor):
                    x = Tensor(x)
                x = x.reshape(x.shape[0], -1)
                if x.dtype.kind != "f":  # e.g. uint8 pixels in 0..255: the user must scale
                    raise TypeError(
                        "DBN.pretrain_layer expected floating-point inputs (in [0, 1] for "
                        f"Bernoulli units), got dtype {x.dtype} (e.g. use x.float() / 255)"
                    )
                x = self.up(x, i)
                loss = rbm.contrastive_divergence(x, k=k)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += rbm.reconstruction_error(x)
                batches += 1
            history.append(total / max(batches, 1))
        return history

    def to_mlp(self, num_classes: int | None = None) -> Sequential:
        """A feed-forward net Linear → Sigmoid per RBM with weights W and biases c copied from
        the RBMs (its forward pass is the mean-field up pass), for fine-tuning by
        backpropagation; with ``num_classes`` a final Linear(sizes[-1] → num_classes) with
        the default initialisation is appended (its outputs are logits)."""
        layers = []
        for rbm in self.rbms:
            lin = Linear(rbm.n_visible, rbm.n_hidden, dtype=rbm.weight.dtype)
            with no_grad():
                lin.weight.copy_(rbm.weight)
                lin.bias.copy_(rbm.hidden_bias)
            layers += [lin, Sigmoid()]
        if num_classes is not None:
            layers.append(
                Linear(self.layer_sizes[-1], num_classes, dtype=self.rbms[-1].weight.dtype)
            )
        return Sequential(*layers)

    def generate(self, n: int, gibbs_steps: int = 100) -> Tensor:
        """Draw ``n`` samples: run a Gibbs chain of ``gibbs_steps`` steps in the top RBM
        (started from uniform random binary states), then a down pass h ← sample of p(h'|h)
        through the lower RBMs. Returns the bottom layer's p(v | h) means, (n, sizes[0])."""
        if n < 1 or gibbs_steps < 1:
            raise ValueError(
                f"DBN.generate: n and gibbs_steps must be >= 1, got {n}, {gibbs_steps}"
            )
        top = self.rbms[-1]
        w = top.weight
        start = Tensor((get_rng(w.xp).random((n, top.n_visible)) < 0.5).astype(w.dtype))
        v = top.gibbs(start, gibbs_steps)  # (n, top.n_visible) binary sample
        with no_grad():
            if len(self.rbms) == 1:  # one RBM: its visible layer is the bottom
                _, h = top.sample_h(v)
                return top.p_v_given_h(h)
            for rbm in reversed(list(self.rbms)[1:-1]):
                _, v = rbm.sample_v(v)
            # the bottom layer gives its mean p(v|h): a cleaner picture than a binary sample
            return self.rbms[0].p_v_given_h(v)
