"""The GAN step: two models, two optimizers (Goodfellow et al. 2014, non-saturating loss)."""

from __future__ import annotations

from .. import functional as F
from ..creation import ones, randn, zeros
from .updater import Updater

__all__ = ["GANUpdater"]


class GANUpdater(Updater):
    """One step of a generative adversarial net: a discriminator step, then a generator step.

    With D(x) the discriminator's logit, G(z) a generated example from noise z ~ N(0, I) of
    shape (B, noise_dim), and ``bce`` binary cross-entropy on logits (mean over the batch):

        discriminator:  L_D = bce(D(x), 1) + bce(D(G(z)), 0)        (G held fixed)
        generator:      L_G = bce(D(G(z')), 1) = -mean log σ(D(G(z')))   (non-saturating)

    z and z' are fresh noise drawn from shinsou's RNG (so a snapshot, which saves the RNG
    state, resumes to the same noise).

    Args:
        gen, dis: the generator (B, noise_dim) -> (B, ...) and the discriminator
            (B, ...) -> (B, 1) logits.
        opt_gen, opt_dis: their optimizers.
        noise_dim: the size of z.

    Models are named ``"gen"`` and ``"dis"``, optimizers likewise. Observations:
    ``train/loss_dis``, ``train/loss_gen``, ``train/d_real`` and ``train/d_fake`` (mean
    σ(D) on real and on generated examples: 0.5 each at the game's equilibrium).

    >>> g, d = ss.nn.Linear(2, 2), ss.nn.Linear(2, 1)
    >>> up = GANUpdater(g, d, ss.optim.Adam(g.parameters()), ss.optim.Adam(d.parameters()), 2)
    >>> sorted(up.update((ss.randn(8, 2),)))
    ['train/d_fake', 'train/d_real', 'train/loss_dis', 'train/loss_gen']
    """

    def __init__(self, gen, dis, opt_gen, opt_dis, noise_dim: int):
        super().__init__({"gen": gen, "dis": dis}, {"gen": opt_gen, "dis": opt_dis})
        self.noise_dim = int(noise_dim)

    def sample_noise(self, n: int, device="cpu"):
        """z ~ N(0, I): (n, noise_dim), from shinsou's RNG."""
        return randn(n, self.noise_dim, device=device)

    def update(self, batch, trainer=None) -> dict:
        gen, dis = self.models["gen"], self.models["dis"]
        opt_g, opt_d = self.optimizers["gen"], self.optimizers["dis"]
        x = batch[0] if isinstance(batch, tuple | list) else batch  # (B, ...)
        b, dev = len(x), x.device
        real_t, fake_t = ones(b, 1, device=dev), zeros(b, 1, device=dev)

        # discriminator: real -> 1, generated -> 0; the generated batch is detached
        opt_d.zero_grad()
        fake = gen(self.sample_noise(b, dev)).detach()
        d_real, d_fake = dis(x), dis(fake)
        loss_d = F.binary_cross_entropy_with_logits(
            d_real, real_t
        ) + F.binary_cross_entropy_with_logits(d_fake, fake_t)
        loss_d.backward()
        opt_d.step()

        # generator: make D call fresh generated examples real (D's gradients are dropped
        # by its zero_grad at the next step)
        opt_g.zero_grad()
        loss_g = F.binary_cross_entropy_with_logits(dis(gen(self.sample_noise(b, dev))), real_t)
        loss_g.backward()
        opt_g.step()
        return {
            "train/loss_dis": loss_d.item(),
            "train/loss_gen": loss_g.item(),
            "train/d_real": F.sigmoid(d_real).mean().item(),
            "train/d_fake": F.sigmoid(d_fake).mean().item(),
        }
