"""The variational autoencoder (Kingma & Welling 2014) with a Bernoulli decoder."""

from __future__ import annotations

from .. import functional as F
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..creation import randn, randn_like
from ..nn.container import Sequential
from ..nn.linear import Linear
from ..nn.module import Module
from .autoencoder import _activation, _as_input, _check_sizes

__all__ = ["VAE", "gaussian_kl", "vae_loss"]


def gaussian_kl(mu, logvar) -> Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²) per example, averaged
    over the batch: (N, D), (N, D) -> scalar.

    >>> import shinsou as ss
    >>> gaussian_kl(ss.zeros(2, 3), ss.zeros(2, 3)).item() == 0
    True
    """
    if mu.shape != logvar.shape or mu.ndim != 2:
        raise ValueError(
            f"gaussian_kl expected mu and logvar (N, D) alike, got {mu.shape} and {logvar.shape}"
        )
    return -0.5 * (1 + logvar - mu * mu - F.exp(logvar)).sum() / mu.shape[0]


def vae_loss(x_hat, x, mu, logvar) -> Tensor:
    """The negative ELBO per example: BCE(x̂, x) summed over pixels + KL(q(z|x) ‖ N(0, I)),
    averaged over the batch.

    >>> import shinsou as ss
    >>> z = ss.zeros(1, 1)
    >>> round(vae_loss(ss.full((1, 2), 0.5), ss.ones(1, 2), z, z).item(), 4)   # 2 log 2
    1.3863
    """
    n = x.shape[0]
    return F.binary_cross_entropy(x_hat, x, reduction="sum") / n + gaussian_kl(mu, logvar)


class VAE(Module):
    """A variational autoencoder: q(z|x) = N(μ(x), diag σ²(x)) from an MLP encoder
    sizes[0] → … → sizes[-1] with two heads (μ and log σ², each ``latent`` wide), the
    reparameterised sample z = μ + σ ⊙ ε (ε ~ N(0, I)), and a Bernoulli decoder
    latent → sizes[-1] → … → sizes[0] with a sigmoid output.

    Args:
        sizes: e.g. (784, 400); latent: the dimension of z; activation: hidden activation.

    Shapes:
        x (N, sizes[0]) -> forward: (x̂ (N, sizes[0]), μ (N, latent), log σ² (N, latent)).

    >>> import shinsou as ss
    >>> vae = VAE((16, 8), latent=2)
    >>> vae.sample(3).shape, vae.loss(ss.rand(4, 16)).shape
    ((3, 16), ())
    """

    def __init__(self, sizes, latent: int, activation: str = "relu"):
        super().__init__()
        self.sizes = _check_sizes("VAE", sizes)
        if isinstance(latent, bool) or not isinstance(latent, int) or latent < 1:
            raise ValueError(f"VAE: latent must be a positive int, got {latent!r}")
        self.latent, self.activation = latent, activation
        act = _activation("VAE", activation)
        enc = []
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            enc += [Linear(a, b), act()]
        self.encoder = Sequential(*enc)
        self.fc_mu = Linear(self.sizes[-1], latent)
        self.fc_logvar = Linear(self.sizes[-1], latent)
        rev = (latent,) + self.sizes[::-1]
        dec = []
        for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
            dec.append(Linear(a, b))
            if i < len(rev) - 2:
                dec.append(act())
        self.decoder = Sequential(*dec)

    def encode(self, x) -> tuple[Tensor, Tensor]:
        """(μ, log σ²) of q(z|x), each (N, latent)."""
        h = self.encoder(_as_input("VAE.encode", x, self.sizes[0]))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar) -> Tensor:
        """z = μ + exp(½ log σ²) ⊙ ε, ε ~ N(0, I) (shinsou's generator; differentiable)."""
        return mu + F.exp(0.5 * logvar) * randn_like(mu)

    def decode(self, z) -> Tensor:
        """Bernoulli means x̂ = sigmoid(g(z)), (N, sizes[0])."""
        return F.sigmoid(self.decoder(z))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def loss(self, x) -> Tensor:
        """The negative ELBO per example (``vae_loss``) with one sample of z."""
        x = _as_input("VAE.loss", x, self.sizes[0])
        x_hat, mu, logvar = self(x)
        return vae_loss(x_hat, x, mu, logvar)

    @no_grad()
    def sample(self, n: int) -> Tensor:
        """n images decoded from z ~ N(0, I): (n, sizes[0])."""
        w = self.fc_mu.weight
        return self.decode(randn(n, self.latent, dtype=w.dtype, device=w.device))

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, latent={self.latent}, activation={self.activation!r}"
