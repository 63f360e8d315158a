"""Generative adversarial nets for 28×28 images: the MLP GAN (Goodfellow et al. 2014), DCGAN
(Radford et al. 2015, adapted to MNIST), their class-conditional forms, the WGAN-GP critic
(Gulrajani et al. 2017) and its ``gradient_penalty``.

Data range. Every generator ends in tanh and makes images in [-1, 1] (the DCGAN convention;
``MLPGenerator(output="sigmoid")`` makes [0, 1] instead), so real images must be scaled the
same way before they meet the discriminator: x = 2·(pixel / 255) − 1.

Shapes. A generator maps noise z (N, noise_dim) to images (N, C, 28, 28); a discriminator
maps images (N, C, 28, 28) to one logit per image, (N, 1) (no sigmoid: losses take logits).

Conditioning. With ``num_classes=K`` a model takes ``(z, labels)`` / ``(x, labels)`` with
integer labels (N,) in [0, K). The generator joins the one-hot label to z (Mirza & Osindero
2014): z' = [z, onehot(y)]. The discriminator uses a projection (Miyato & Koyama 2018): with
φ(x) (N, F) its last hidden features, w the final linear layer and V (K, F) an embedding,

    D(x, y) = wᵀφ(x) + b + V[y]ᵀφ(x)

V starts at zero, so a conditional discriminator starts as the unconditional one.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..autograd import grad as _grad
from ..core.tensor import Tensor
from ..creation import rand
from ..nn import init
from ..nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.container import Sequential
from ..nn.conv import Conv2d, ConvTranspose2d
from ..nn.embedding import Embedding
from ..nn.layer_norm import LayerNorm
from ..nn.linear import Flatten, Linear, Unflatten
from ..nn.module import Module
from ..nn.normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "MLPGenerator",
    "MLPDiscriminator",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "WGANCritic",
    "dcgan_init",
    "gradient_penalty",
]

SIZE = 28  # image side the models are built for


def _positive(name: str, what: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
        raise ValueError(f"{name}: {what} must be a positive int, got {v!r}")
    return int(v)


def _classes(name: str, num_classes) -> int | None:
    return None if num_classes is None else _positive(name, "num_classes", num_classes)


class _Conditional(Module):
    """Shared checks of the inputs of a (possibly class-conditional) GAN model."""

    num_classes: int | None

    def _check_labels(self, labels, n: int):
        name = type(self).__name__
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(f"{name} is unconditional (num_classes=None) but got labels")
            return None
        if labels is None:
            raise ValueError(f"{name}(num_classes={self.num_classes}) needs labels (N,)")
        if not isinstance(labels, Tensor):
            raise TypeError(f"{name} expected labels as a Tensor, got {type(labels).__name__}")
        if labels.dtype.kind not in "iu" or labels.shape != (n,):
            raise ValueError(
                f"{name} expected integer labels of shape ({n},), got {labels.dtype} {labels.shape}"
            )
        if n and (int(labels.min().item()) < 0 or int(labels.max().item()) >= self.num_classes):
            raise ValueError(
                f"{name}: labels must be in [0, {self.num_classes}), got values in "
                f"[{int(labels.min().item())}, {int(labels.max().item())}]"
            )
        return labels


class _Generator(_Conditional):
    """z (N, noise_dim) [+ labels] -> the joined input (N, noise_dim [+ K]) for ``self.net``."""

    def _input(self, z, labels) -> Tensor:
        name = type(self).__name__
        if not isinstance(z, Tensor):
            raise TypeError(f"{name} expected noise z as a Tensor, got {type(z).__name__}")
        if z.ndim != 2 or z.shape[1] != self.noise_dim or z.dtype.kind != "f":
            raise ValueError(
                f"{name} expected float noise (N, {self.noise_dim}), got {z.dtype} {z.shape}"
            )
        labels = self._check_labels(labels, z.shape[0])
        if labels is None:
            return z
        return F.concat([z, F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)

    def forward(self, z, labels=None) -> Tensor:
        return self.net(self._input(z, labels))

    def extra_repr(self) -> str:
        cond = f", num_classes={self.num_classes}" if self.num_classes else ""
        return f"noise_dim={self.noise_dim}, channels={self.channels}{cond}"


class _Discriminator(_Conditional):
    """images (N, C, 28, 28) [+ labels] -> features φ (``self.features``) -> one logit each
    (``self.head``), plus the projection V[y]ᵀφ when conditional."""

    def _make_projection(self, features: int) -> None:
        self.embed = None
        if self.num_classes is not None:
            self.embed = Embedding(self.num_classes, features)
            init.zeros_(self.embed.weight)

    def _check_images(self, x) -> Tensor:
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name} expected images as a Tensor, got {type(x).__name__}")
        want = (self.channels, SIZE, SIZE)
        if x.ndim != 4 or tuple(x.shape[1:]) != want or x.dtype.kind != "f":
            raise ValueError(
                f"{name} expected float images (N, {self.channels}, {SIZE}, {SIZE}), got "
                f"{x.dtype} {x.shape}"
            )
        return x

    def forward(self, x, labels=None) -> Tensor:
        x = self._check_images(x)
        labels = self._check_labels(labels, x.shape[0])
        h = self.features(x)  # (N, F)
        out = self.head(h)  # (N, 1)
        if labels is not None:
            out = out + (self.embed(labels) * h).sum(dim=1, keepdim=True)
        return out

    def extra_repr(self) -> str:
        cond = f", num_classes={self.num_classes}" if self.num_classes else ""
        return f"channels={self.channels}{cond}"


class MLPGenerator(_Generator):
    """A fully connected generator (Goodfellow et al. 2014): z -> ReLU layers -> an image.

        h_0 = z (or [z, onehot(y)]),  h_l = ReLU(W_l h_{l-1} + b_l),
        G(z) = tanh(W_out h_L + b_out)  reshaped to (C, 28, 28)

    Args:
        noise_dim: the size of z.
        hidden: the hidden widths, e.g. (256, 512).
        channels: C of the images.
        num_classes: K for a class-conditional generator (forward takes (z, labels)), or None.
        output: "tanh" (images in [-1, 1], the default) or "sigmoid" ([0, 1]).
    Shapes:
        z (N, noise_dim), labels int (N,) -> (N, C, 28, 28).

    >>> g = MLPGenerator(16, hidden=(32,))
    >>> g(ss.randn(3, 16)).shape, g.num_parameters()
    ((3, 1, 28, 28), 26416)
    """

    def __init__(
        self,
        noise_dim: int = 100,
        hidden=(256, 512),
        channels: int = 1,
        num_classes: int | None = None,
        output: str = "tanh",
    ):
        super().__init__()
        name = type(self).__name__
        self.noise_dim = _positive(name, "noise_dim", noise_dim)
        self.channels = _positive(name, "channels", channels)
        self.num_classes = _classes(name, num_classes)
        hidden = tuple(_positive(name, "hidden width", h) for h in hidden)
        if output not in ("tanh", "sigmoid"):
            raise ValueError(f"{name}: output must be 'tanh' or 'sigmoid', got {output!r}")
        self.output = output
        layers, width = [], self.noise_dim + (self.num_classes or 0)
        for h in hidden:
            layers += [Linear(width, h), ReLU()]
            width = h
        layers += [
            Linear(width, self.channels * SIZE * SIZE),
            Tanh() if output == "tanh" else Sigmoid(),
            Unflatten(1, (self.channels, SIZE, SIZE)),
        ]
        self.net = Sequential(*layers)


class MLPDiscriminator(_Discriminator):
    """A fully connected discriminator: an image -> LeakyReLU(0.2) layers -> one logit.

        φ(x) = LeakyReLU(W_L … LeakyReLU(W_1 vec(x) + b_1) … + b_L),
        D(x) = wᵀφ(x) + b   (+ V[y]ᵀφ(x) when conditional)

    Args:
        hidden: the hidden widths, e.g. (512, 256).
        channels: C of the images.
        num_classes: K for a class-conditional (projection) discriminator, or None.
        negative_slope: of the LeakyReLU.
    Shapes:
        x (N, C, 28, 28), labels int (N,) -> logits (N, 1).

    >>> d = MLPDiscriminator(hidden=(32,))
    >>> d(ss.zeros(5, 1, 28, 28)).shape, d.num_parameters()
    ((5, 1), 25153)
    """

    def __init__(
        self,
        hidden=(512, 256),
        channels: int = 1,
        num_classes: int | None = None,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        name = type(self).__name__
        self.channels = _positive(name, "channels", channels)
        self.num_classes = _classes(name, num_classes)
        hidden = tuple(_positive(name, "hidden width", h) for h in hidden)
        if not hidden:
            raise ValueError(f"{name}: needs at least one hidden layer")
        layers, width = [Flatten()], self.channels * SIZE * SIZE
        for h in hidden:
            layers += [Linear(width, h), LeakyReLU(negative_slope)]
            width = h
        self.features = Sequential(*layers)
        self.head = Linear(width, 1)
        self._make_projection(width)


def _extra(name: str, extra_layers) -> tuple[int, int]:
    """``extra_layers`` as (k7, k14): an int k is (0, k)."""
    pair_ = (0, extra_layers) if isinstance(extra_layers, int | np.integer) else extra_layers
    try:
        k7, k14 = pair_
        ok = all(not isinstance(k, bool) and isinstance(k, int | np.integer) and k >= 0
                 for k in (k7, k14))  # fmt: skip
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"{name}: extra_layers must be an int >= 0 or a pair (k7, k14) of them, "
            f"got {extra_layers!r}"
        )
    return int(k7), int(k14)


def _norm(norm: str | None, c: int, size: int) -> list:
    """The normalisation of c size×size maps as a list of layers: "batch" (BN), "layer"
    (layer norm over (c, size, size), per example) or None (no layer)."""
    if norm == "batch":
        return [BatchNorm2d(c)]
    if norm == "layer":
        return [LayerNorm((c, size, size))]
    return []


def _conv_blocks(c: int, k: int, size: int, norm: str | None = "batch", act=ReLU) -> list:
    """k blocks of Conv2d(c, c, 3, stride 1, pad 1) -> norm -> act on size×size maps, as a
    flat list (``_norm``; without a norm the conv has a bias)."""
    return [layer for _ in range(k)
            for layer in (Conv2d(c, c, 3, padding=1, bias=norm is None),
                          *_norm(norm, c, size), act())]  # fmt: skip


class DCGANGenerator(_Generator):
    """The DCGAN generator for 28×28 images (Radford et al. 2015, adapted to MNIST):

        z (N, nz) [+ onehot(y)] -> Linear -> BN -> ReLU -> (N, 2w, 7, 7)
          [-> (Conv2d(2w, 2w, 3, stride 1, pad 1) -> BN -> ReLU) × k7]
          -> ConvTranspose2d(2w, w, 4, stride 2, pad 1) -> BN -> ReLU -> (N, w, 14, 14)
          [-> (Conv2d(w, w, 3, stride 1, pad 1) -> BN -> ReLU) × k14]
          -> ConvTranspose2d(w, C, 4, stride 2, pad 1) -> tanh -> (N, C, 28, 28)

    ``extra_layers`` (k7, k14) (as ``n_extra_layers`` in Arjovsky et al.'s DCGAN code)
    deepens the generator alone, giving it more capacity than the discriminator it plays.
    Layers followed by batch norm have no bias. Call ``dcgan_init`` for the paper's
    initialisation (it is applied here unless ``init=False``).

    Args:
        noise_dim: nz, the size of z.
        channels: C of the images.
        width: w, the channels of the last hidden layer (the first has 2w).
        num_classes: K for a class-conditional generator (forward takes (z, labels)), or None.
        extra_layers: stride-1 3×3 conv + BN + ReLU blocks: k14 (an int: at 14×14) or
            (k7, k14) (at 7×7 and 14×14); 0: the paper's net.
        init: apply ``dcgan_init``.
    Shapes:
        z (N, noise_dim), labels int (N,) -> images (N, C, 28, 28) in [-1, 1].

    >>> g = DCGANGenerator(noise_dim=8, width=4)
    >>> g(ss.randn(2, 8)).shape
    (2, 1, 28, 28)
    """

    def __init__(
        self,
        noise_dim: int = 100,
        channels: int = 1,
        width: int = 64,
        num_classes: int | None = None,
        init: bool = True,
        extra_layers: int | tuple[int, int] = 0,
    ):
        super().__init__()
        name = type(self).__name__
        self.extra_layers = k7, k14 = _extra(name, extra_layers)
        self.noise_dim = _positive(name, "noise_dim", noise_dim)
        self.channels = _positive(name, "channels", channels)
        self.width = w = _positive(name, "width", width)
        self.num_classes = _classes(name, num_classes)
        self.net = Sequential(
            Linear(self.noise_dim + (self.num_classes or 0), 2 * w * 7 * 7, bias=False),
            BatchNorm1d(2 * w * 7 * 7),
            ReLU(),
            Unflatten(1, (2 * w, 7, 7)),
            *_conv_blocks(2 * w, k7, 7),
            ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False),
            BatchNorm2d(w),
            ReLU(),
            *_conv_blocks(w, k14, 14),
            ConvTranspose2d(w, self.channels, 4, stride=2, padding=1),
            Tanh(),
        )
        if init:
            dcgan_init(self)


class DCGANDiscriminator(_Discriminator):
    """The DCGAN discriminator for 28×28 images: strided convolutions and LeakyReLU(0.2),
    batch norm in the middle layer, one logit:

        x (N, C, 28, 28) -> Conv2d(C, w, 4, stride 2, pad 1) -> LeakyReLU -> (N, w, 14, 14)
          [-> (Conv2d(w, w, 3, stride 1, pad 1) -> norm -> LeakyReLU) × k14]
          -> Conv2d(w, 2w, 4, stride 2, pad 1) -> norm -> LeakyReLU -> (N, 2w, 7, 7)
          [-> (Conv2d(2w, 2w, 3, stride 1, pad 1) -> norm -> LeakyReLU) × k7]
          -> flatten: φ(x) (N, 2w·49) -> Linear -> D(x) (N, 1)   (+ V[y]ᵀφ(x))

    Args:
        channels: C of the images.
        width: w, the channels of the first layer (the second has 2w).
        num_classes: K for a class-conditional (projection) discriminator, or None.
        norm: "batch" (DCGAN), "layer" (layer norm over (2w, 7, 7), for a WGAN-GP critic,
            whose penalty is per example and so must not mix examples in a batch) or None.
        init: apply ``dcgan_init``.
        extra_layers: stride-1 3×3 conv blocks, k14 (an int: at 14×14) or (k7, k14), as in
            ``DCGANGenerator``; 0: the paper's net.
    Shapes:
        x (N, C, 28, 28), labels int (N,) -> logits (N, 1).

    >>> d = DCGANDiscriminator(width=4)
    >>> d(ss.zeros(3, 1, 28, 28)).shape
    (3, 1)
    """

    def __init__(
        self,
        channels: int = 1,
        width: int = 64,
        num_classes: int | None = None,
        norm: str | None = "batch",
        init: bool = True,
        extra_layers: int | tuple[int, int] = 0,
    ):
        super().__init__()
        name = type(self).__name__
        self.channels = _positive(name, "channels", channels)
        self.width = w = _positive(name, "width", width)
        self.num_classes = _classes(name, num_classes)
        if norm not in ("batch", "layer", None):
            raise ValueError(f"{name}: norm must be 'batch', 'layer' or None, got {norm!r}")
        self.norm = norm
        self.extra_layers = k7, k14 = _extra(name, extra_layers)
        leaky = lambda: LeakyReLU(0.2)  # noqa: E731
        self.features = Sequential(
            Conv2d(self.channels, w, 4, stride=2, padding=1),
            LeakyReLU(0.2),
            *_conv_blocks(w, k14, 14, norm, leaky),
            Conv2d(w, 2 * w, 4, stride=2, padding=1, bias=norm != "batch"),
            *_norm(norm, 2 * w, 7),
            LeakyReLU(0.2),
            *_conv_blocks(2 * w, k7, 7, norm, leaky),
            Flatten(),
        )
        self.head = Linear(2 * w * 7 * 7, 1)
        self._make_projection(2 * w * 7 * 7)
        if init:
            dcgan_init(self)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, width={self.width}, norm={self.norm!r}"


class WGANCritic(DCGANDiscriminator):
    """The WGAN-GP critic (Gulrajani et al. 2017): the DCGAN discriminator with layer norm
    (``norm="layer"``) instead of batch norm, since the gradient penalty is taken per
    example. Its output f(x) (N, 1) is a score, not a logit: the critic maximises
    mean f(real) − mean f(fake) under ``gradient_penalty``.

    >>> WGANCritic(width=4)(ss.zeros(2, 1, 28, 28)).shape
    (2, 1)
    """

    def __init__(
        self,
        channels: int = 1,
        width: int = 64,
        num_classes: int | None = None,
        norm: str | None = "layer",
        init: bool = True,
        extra_layers: int | tuple[int, int] = 0,
    ):
        if norm == "batch":
            raise ValueError("WGANCritic: batch norm breaks the per-example gradient penalty")
        super().__init__(channels, width, num_classes, norm, init, extra_layers)


def dcgan_init(module: Module) -> Module:
    """DCGAN's initialisation, applied to every sub-layer of ``module``: conv, conv-transpose
    and linear weights ~ N(0, 0.02), batch-norm weights ~ N(1, 0.02), their biases 0 (layer
    norm, embeddings and other layers are left as they are). Returns ``module``.

    >>> ss.manual_seed(0)
    >>> d = dcgan_init(ss.nn.Sequential(ss.nn.Linear(100, 100), ss.nn.BatchNorm1d(100)))
    >>> round(float(d[0].weight.std().item()), 2), round(float(d[1].weight.mean().item()), 2)
    (0.02, 1.0)
    """
    with_bias = []
    for m in module.modules():
        if isinstance(m, Conv2d | ConvTranspose2d | Linear):
            init.normal_(m.weight, 0.0, 0.02)
            with_bias.append(m)
        elif isinstance(m, BatchNorm1d | BatchNorm2d) and m.weight is not None:
            init.normal_(m.weight, 1.0, 0.02)
            with_bias.append(m)
    for m in with_bias:
        if m.bias is not None:
            init.zeros_(m.bias)
    return module


def gradient_penalty(critic, real, fake, lambda_: float = 10.0, labels=None, eps=None) -> Tensor:
    """The WGAN-GP gradient penalty (Gulrajani et al. 2017):

        x̂ = ε·real + (1 − ε)·fake,   ε ~ U(0, 1) one per example
        GP = λ · mean_n (‖∇_x̂ f(x̂_n)‖₂ − 1)²

    The gradient is taken with ``autograd.grad(create_graph=True)``, so GP can be
    back-propagated into the critic's weights (a second derivative). ``real`` and ``fake``
    are detached: the penalty trains the critic only.

    Args:
        critic: f, (N, ...) [, labels] -> (N, 1).
        real, fake: (N, ...) the same shape.
        lambda_: λ.
        labels: passed to a class-conditional critic (the real examples' labels).
        eps: ε (N,) to use instead of fresh uniform draws from shinsou's RNG.
    Returns:
        a scalar Tensor.

    >>> f = ss.nn.Sequential(ss.nn.Flatten(), ss.nn.Linear(4, 1, bias=False))
    >>> with ss.no_grad():
    ...     _ = f[1].weight.copy_(ss.tensor([[3.0, 0.0, 4.0, 0.0]]))
    >>> gradient_penalty(f, ss.zeros(2, 1, 2, 2), ss.ones(2, 1, 2, 2)).item()  # 10·(5 − 1)²
    160.0
    """
    if not isinstance(real, Tensor) or not isinstance(fake, Tensor):
        raise TypeError("gradient_penalty: real and fake must be Tensors")
    if real.shape != fake.shape or real.ndim < 2:
        raise ValueError(
            f"gradient_penalty: real and fake must have the same shape (N, ...), got "
            f"{real.shape} and {fake.shape}"
        )
    n = real.shape[0]
    ones_shape = (n,) + (1,) * (real.ndim - 1)
    if eps is None:
        eps = rand(*ones_shape, dtype=real.dtype, device=real.device)
    else:
        if not isinstance(eps, Tensor) or eps.numel() != n:
            raise ValueError(f"gradient_penalty: eps must be a Tensor of {n} values")
        eps = eps.detach().reshape(ones_shape)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_()
    out = critic(x_hat) if labels is None else critic(x_hat, labels)
    (g,) = _grad(out.sum(), x_hat, create_graph=True)  # (N, ...): row n is ∇f(x̂_n)
    norm = (g.reshape(n, -1) ** 2).sum(dim=1).sqrt()  # (N,)
    return lambda_ * ((norm - 1) ** 2).mean()
