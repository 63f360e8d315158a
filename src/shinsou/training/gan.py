"""The GAN step: two models, two optimizers (Goodfellow et al. 2014; the non-saturating,
minimax and Wasserstein losses, label smoothing, n_critic and the WGAN-GP penalty)."""

from __future__ import annotations

from .. import functional as F
from ..core.grad_mode import no_grad
from ..creation import full_like, ones_like, randint, randn, zeros_like
from .updater import Updater

__all__ = ["GANUpdater"]

LOSSES = ("non_saturating", "minimax", "wasserstein")


class GANUpdater(Updater):
    """One step of a generative adversarial net: discriminator step(s), then a generator step.

    With D(x) the discriminator's output (a logit; the critic's score for "wasserstein"),
    G(z) a generated example from noise z ~ N(0, I) of shape (m, noise_dim), ``bce`` binary
    cross-entropy on logits (mean over the batch) and s the label smoothing:

    ``loss="non_saturating"`` (the default, Goodfellow et al. 2014 §3)::

        discriminator:  L_D = bce(D(x), 1 − s) + bce(D(G(z)), 0)        (G held fixed)
        generator:      L_G = bce(D(G(z')), 1) = −mean log σ(D(G(z')))

    ``loss="minimax"`` (the original game; its generator gradient vanishes when D wins)::

        discriminator:  L_D as above
        generator:      L_G = −bce(D(G(z')), 0) = mean log(1 − σ(D(G(z'))))

    ``loss="wasserstein"`` (Arjovsky et al. 2017; with ``gradient_penalty`` λ > 0 it is
    WGAN-GP, Gulrajani et al. 2017)::

        critic:     L_D = mean D(G(z)) − mean D(x) + λ·GP     (GP: ``models.gradient_penalty``)
        generator:  L_G = −mean D(G(z'))

    The Wasserstein loss needs a Lipschitz critic; the gradient penalty is the constraint this
    updater provides (a critic without it grows without bound). The penalty may also be added
    to the other losses (Fedus et al. 2018).

    z and z' are fresh noise (and, for a conditional GAN, fresh labels y' drawn uniformly
    from the K classes) from shinsou's RNG, so a snapshot, which saves the RNG state, resumes
    to the same draws. The generated batch of the discriminator step is made under
    ``no_grad`` (G is held fixed there, and its graph would be thrown away).

    n_critic. With ``n_critic = k`` every batch of b examples the loader gives is split
    into k consecutive parts of ⌊b/k⌋ or ⌊b/k⌋ + 1 examples: the discriminator takes one
    step on each part, then the generator one step on m = ⌊b/k⌋ noise vectors. So give the
    loader ``batch_size = k·m`` for k critic steps of m examples: an epoch is still one pass
    of the real data through the discriminator, and has ``len(loader)`` generator steps.
    (Drawing k batches from the loader inside one update would hide iterations from the
    Trainer's epoch count and from snapshots of the loader.)

    Conditional GANs. With ``num_classes = K`` each batch is ``(x, labels)``: the real
    labels go to D with x (and to the penalty); G is called ``G(z, y')`` and D
    ``D(G(z, y'), y')``.

    Args:
        gen, dis: the generator (m, noise_dim) [, labels] -> (m, ...) and the discriminator
            (m, ...) [, labels] -> (m, 1).
        opt_gen, opt_dis: their optimizers.
        noise_dim: the size of z.
        loss: "non_saturating", "minimax" or "wasserstein".
        label_smoothing: s in [0, 1): the real target of D's loss is 1 − s (one-sided:
            generated examples keep target 0). Not with "wasserstein".
        n_critic: discriminator steps per generator step (see above).
        gradient_penalty: λ of the WGAN-GP penalty (0: none).
        num_classes: K for a class-conditional GAN, or None.
        ema_decay: keep an exponential moving average of G's weights and batch-norm
            statistics, θ̄ ← d·θ̄ + (1 − d)·θ after every generator step
            (``optim.swa_utils.AveragedModel``, ``use_buffers=True``), as the model
            ``"gen_ema"`` (its ``.module`` is a generator; snapshots hold it). G's weights
            oscillate in the game; their average draws cleaner samples (Yazıcı et al. 2019).
            None: no average.

    Models are named ``"gen"`` and ``"dis"``, optimizers likewise. Observations (means over
    the k discriminator steps): ``train/loss_dis``, ``train/loss_gen``, ``train/d_real`` and
    ``train/d_fake`` (mean σ(D) on real and on generated examples, 0.5 each at the game's
    equilibrium; for "wasserstein" the mean critic scores D(x) and D(G(z))), and
    ``train/wasserstein`` (mean D(x) − mean D(G(z)), the critic's estimate of the
    Wasserstein distance; "wasserstein" only) and ``train/gp`` (λ·GP; when λ > 0).

    >>> g, d = ss.nn.Linear(2, 2), ss.nn.Linear(2, 1)
    >>> up = GANUpdater(g, d, ss.optim.Adam(g.parameters()), ss.optim.Adam(d.parameters()), 2)
    >>> sorted(up.update((ss.randn(8, 2),)))
    ['train/d_fake', 'train/d_real', 'train/loss_dis', 'train/loss_gen']
    """

    def __init__(
        self,
        gen,
        dis,
        opt_gen,
        opt_dis,
        noise_dim: int,
        *,
        loss: str = "non_saturating",
        label_smoothing: float = 0.0,
        n_critic: int = 1,
        gradient_penalty: float = 0.0,
        num_classes: int | None = None,
        ema_decay: float | None = None,
    ):
        models = {"gen": gen, "dis": dis}
        if ema_decay is not None:
            from ..optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            models["gen_ema"] = AveragedModel(
                gen, multi_avg_fn=get_ema_multi_avg_fn(ema_decay), use_buffers=True
            )
        super().__init__(models, {"gen": opt_gen, "dis": opt_dis})
        self.ema_decay = ema_decay
        self.noise_dim = int(noise_dim)
        if loss not in LOSSES:
            raise ValueError(f"GANUpdater: loss must be one of {LOSSES}, got {loss!r}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                f"GANUpdater: label_smoothing must be in [0, 1), got {label_smoothing!r}"
            )
        if loss == "wasserstein" and label_smoothing:
            raise ValueError("GANUpdater: label_smoothing has no meaning for the wasserstein loss")
        if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
            raise ValueError(f"GANUpdater: n_critic must be a positive int, got {n_critic!r}")
        if not gradient_penalty >= 0:
            raise ValueError(f"GANUpdater: gradient_penalty must be >= 0, got {gradient_penalty!r}")
        if num_classes is not None and (isinstance(num_classes, bool) or num_classes < 1):
            raise ValueError(
                f"GANUpdater: num_classes must be a positive int or None, got {num_classes!r}"
            )
        self.loss, self.label_smoothing = loss, float(label_smoothing)
        self.n_critic, self.gradient_penalty = n_critic, float(gradient_penalty)
        self.num_classes = num_classes

    @property
    def sampling_generator(self):
        """The generator to draw samples from: the EMA copy when there is one, else G."""
        return self.models["gen_ema"].module if self.ema_decay is not None else self.models["gen"]

    # --- draws --------------------------------------------------------------------------
    def sample_noise(self, n: int, device="cpu"):
        """z ~ N(0, I): (n, noise_dim), from shinsou's RNG."""
        return randn(n, self.noise_dim, device=device)

    def sample_labels(self, n: int, device="cpu"):
        """y' uniform over the classes: int64 (n,) from shinsou's RNG (None when the GAN is
        not conditional)."""
        if self.num_classes is None:
            return None
        return randint(0, self.num_classes, (n,), device=device)

    def _call(self, model, x, labels):
        return model(x) if labels is None else model(x, labels)

    # --- losses -------------------------------------------------------------------------
    def dis_loss(self, d_real, d_fake):
        """L_D from D's outputs (m, 1) on real and generated examples (without the penalty)."""
        if self.loss == "wasserstein":
            return d_fake.mean() - d_real.mean()
        real_t = full_like(d_real, 1.0 - self.label_smoothing)
        return F.binary_cross_entropy_with_logits(
            d_real, real_t
        ) + F.binary_cross_entropy_with_logits(d_fake, zeros_like(d_fake))

    def gen_loss(self, d_fake):
        """L_G from D's outputs (m, 1) on generated examples."""
        if self.loss == "wasserstein":
            return -d_fake.mean()
        if self.loss == "minimax":  # log(1 − σ(l)) = −softplus(l)
            return -F.softplus(d_fake).mean()
        return F.binary_cross_entropy_with_logits(d_fake, ones_like(d_fake))

    # --- the two steps ------------------------------------------------------------------
    def dis_step(self, x, labels=None) -> dict:
        """One discriminator step on real examples x (m, ...) [with their labels (m,)]
        against as many generated ones (G held fixed); returns its observations."""
        from ..models.gan import gradient_penalty

        gen, dis, opt = self.models["gen"], self.models["dis"], self.optimizers["dis"]
        m, dev = len(x), x.device
        opt.zero_grad()
        with no_grad():
            y_fake = self.sample_labels(m, dev)
            fake = self._call(gen, self.sample_noise(m, dev), y_fake)
        d_real, d_fake = self._call(dis, x, labels), self._call(dis, fake, y_fake)
        loss = self.dis_loss(d_real, d_fake)
        obs = {}
        if self.gradient_penalty:
            gp = gradient_penalty(dis, x, fake, self.gradient_penalty, labels)
            loss = loss + gp
            obs["train/gp"] = gp.item()
        loss.backward()
        opt.step()
        obs["train/loss_dis"] = loss.item()
        if self.loss == "wasserstein":
            r, f = d_real.mean().item(), d_fake.mean().item()
            obs.update({"train/d_real": r, "train/d_fake": f, "train/wasserstein": r - f})
        else:
            obs["train/d_real"] = F.sigmoid(d_real).mean().item()
            obs["train/d_fake"] = F.sigmoid(d_fake).mean().item()
        return obs

    def gen_step(self, m: int, device="cpu") -> dict:
        """One generator step on m fresh noise vectors [and labels]: make D call them real.

        D's parameters are held out of the graph for this step (``requires_grad`` off, then
        restored): the gradient flows through D to G's images, but D's own weight gradients,
        which this step would throw away, are not computed."""
        gen, dis, opt = self.models["gen"], self.models["dis"], self.optimizers["gen"]
        held = [p for p in dis.parameters() if p.requires_grad]
        opt.zero_grad()
        try:
            for p in held:
                p.requires_grad_(False)
            y = self.sample_labels(m, device)
            fake = self._call(gen, self.sample_noise(m, device), y)
            loss = self.gen_loss(self._call(dis, fake, y))
            loss.backward()
        finally:
            for p in held:
                p.requires_grad_(True)
        opt.step()
        return {"train/loss_gen": loss.item()}

    def update(self, batch, trainer=None) -> dict:
        if isinstance(batch, tuple | list):
            x, labels = batch[0], (batch[1] if self.num_classes is not None else None)
        else:
            x, labels = batch, None
        if self.num_classes is not None and (not isinstance(batch, tuple | list) or len(batch) < 2):
            raise ValueError("GANUpdater(num_classes=...): batches must be (x, labels)")
        b, k = len(x), self.n_critic
        if b < k:
            raise ValueError(f"GANUpdater: a batch of {b} cannot feed n_critic={k} steps")
        bounds = [i * b // k for i in range(k + 1)]  # k near-equal parts, in order
        sums: dict = {}
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            part = (x, labels) if k == 1 else (x[lo:hi], None if labels is None else labels[lo:hi])
            for key, v in self.dis_step(*part).items():
                sums[key] = sums.get(key, 0.0) + v / k
        obs = self.gen_step(b // k, x.device)
        if self.ema_decay is not None:
            self.models["gen_ema"].update_parameters(self.models["gen"])
        return {"train/loss_dis": sums.pop("train/loss_dis"), **obs, **sums}
