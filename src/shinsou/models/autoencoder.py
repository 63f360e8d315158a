"""Autoencoders: the MLP ``Autoencoder`` (optionally with tied weights), ``ConvAutoencoder``
(Ruff et al. 2018's DCAE), ``DenoisingAutoencoder`` and ``SparseAutoencoder`` with the
``kl_sparsity`` and ``l1_sparsity`` penalties.

An autoencoder learns an encoder f and a decoder g so that the reconstruction x̂ = g(f(x)) is
close to x; the code h = f(x) is a compressed representation. Every model is built from
shinsou layers, so its loss can be differentiated twice.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor
from ..creation import zeros
from ..nn.activation import LeakyReLU, Sigmoid
from ..nn.container import ModuleList, ParameterList, Sequential
from ..nn.conv import Conv2d, ConvTranspose2d
from ..nn.linear import Flatten, Linear, Unflatten
from ..nn.module import Module
from ..nn.normalization import BatchNorm2d
from ..nn.parameter import Parameter
from ..nn.pooling import MaxPool2d
from ..nn.upsample import Upsample
from .mlp import _ACTIVATIONS

__all__ = [
    "Autoencoder",
    "ConvAutoencoder",
    "DenoisingAutoencoder",
    "SparseAutoencoder",
    "kl_sparsity",
    "l1_sparsity",
    "reconstruction_loss",
]

_OUTPUTS = {"sigmoid": Sigmoid, None: None}


def _check_sizes(name: str, sizes) -> tuple:
    sizes = tuple(sizes)
    if len(sizes) < 2 or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 1 for s in sizes
    ):
        raise ValueError(f"{name}: sizes must be at least two positive ints, got {sizes}")
    return tuple(int(s) for s in sizes)


def _activation(name: str, activation: str):
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"{name}: unknown activation {activation!r}; one of {sorted(_ACTIVATIONS)}"
        )
    return _ACTIVATIONS[activation]


def _check_output(name: str, output):
    if output not in _OUTPUTS:
        raise ValueError(f"{name}: output must be 'sigmoid' or None, got {output!r}")
    return output


def _as_input(name: str, x, features: int) -> Tensor:
    """x as a float Tensor of shape (N, features); (N, ...) images are flattened."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name} expected floating-point input, got dtype {x.dtype}")
    if x.ndim > 2:  # (N, C, H, W) or (N, H, W) images
        x = x.reshape(x.shape[0], -1)
    if x.ndim != 2 or x.shape[1] != features:
        raise ValueError(
            f"{name} expected input (N, {features}) (or images of that size), got {x.shape}"
        )
    return x


def reconstruction_loss(x_hat, x, criterion: str = "mse") -> Tensor:
    """The reconstruction error, summed over the features of an example and averaged over the
    batch: "mse": mean_n Σ_i (x̂_ni − x_ni)²; "bce": mean_n Σ_i −[x log x̂ + (1 − x) log(1 − x̂)]
    (x̂ in [0, 1], e.g. a sigmoid output; targets in [0, 1]).

    Args:
        x_hat, x: (N, ...) the same shape.
        criterion: "mse" or "bce".

    >>> import shinsou as ss
    >>> round(reconstruction_loss(ss.tensor([[0.5, 1.0]]), ss.tensor([[0.0, 1.0]])).item(), 4)
    0.25
    """
    if criterion not in ("mse", "bce"):
        raise ValueError(
            f"reconstruction_loss: criterion must be 'mse' or 'bce', got {criterion!r}"
        )
    if x_hat.shape != x.shape:
        raise ValueError(
            f"reconstruction_loss: x_hat and x must have the same shape, got {x_hat.shape} "
            f"and {x.shape}"
        )
    n = x.shape[0] if x.ndim else 1
    if criterion == "mse":
        return F.mse_loss(x_hat, x, reduction="sum") / n
    return F.binary_cross_entropy(x_hat, x, reduction="sum") / n


class Autoencoder(Module):
    """A fully connected autoencoder: the encoder sizes[0] → … → sizes[-1] and its mirror
    decoder sizes[-1] → … → sizes[0].

    h = f(x) = a(W_L … a(W_1 x + b_1) … + b_L) (the code layer is linear when
    ``code_activation=False``, as in Hinton & Salakhutdinov 2006); x̂ = g(h) with the
    decoder's layers in reverse order, ``activation`` between them and ``output`` at the end.
    With ``tied=True`` decoder layer l uses W_lᵀ, the transpose of the encoder's weight (the
    same Parameter: a gradient step moves both), and only the decoder biases c_l are new.

    Args:
        sizes: widths from the input to the code, e.g. (784, 256, 64).
        activation: hidden activation, as in ``MLP``.
        tied: share each decoder weight as the transpose of its encoder weight.
        output: "sigmoid" (inputs in [0, 1]) or None (a linear output).
        code_activation: apply ``activation`` to the code layer too.

    Shapes:
        x: (N, sizes[0]) (or (N, ...) images, flattened) -> encode: (N, sizes[-1]);
        forward / decode: (N, sizes[0]).

    >>> import shinsou as ss
    >>> Autoencoder((784, 64)).num_parameters(), Autoencoder((784, 64), tied=True).num_parameters()
    (101200, 51024)
    """

    def __init__(
        self,
        sizes,
        activation: str = "relu",
        tied: bool = False,
        output: str | None = "sigmoid",
        code_activation: bool = True,
    ):
        super().__init__()
        name = type(self).__name__
        self.sizes = _check_sizes(name, sizes)
        self.activation = activation
        self._act = _activation(name, activation)()
        self.output = _check_output(name, output)
        self.tied, self.code_activation = bool(tied), bool(code_activation)
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.encoder_layers = ModuleList([Linear(a, b) for a, b in pairs])
        if self.tied:  # decoder l: bias of size sizes[l], in decoding order (code side first)
            self.decoder_biases = ParameterList([Parameter(zeros(a)) for a, _ in reversed(pairs)])
        else:
            self.decoder_layers = ModuleList([Linear(b, a) for a, b in reversed(pairs)])

    def encode(self, x) -> Tensor:
        """The code h = f(x): (N, sizes[0]) -> (N, sizes[-1])."""
        h = _as_input(f"{type(self).__name__}.encode", x, self.sizes[0])
        last = len(self.encoder_layers) - 1
        for i, layer in enumerate(self.encoder_layers):
            h = layer(h)
            if i < last or self.code_activation:
                h = self._act(h)
        return h

    def decode(self, h) -> Tensor:
        """The reconstruction x̂ = g(h): (N, sizes[-1]) -> (N, sizes[0])."""
        h = _as_input(f"{type(self).__name__}.decode", h, self.sizes[-1])
        n = len(self.sizes) - 1
        for j in range(n):
            if self.tied:
                w = self.encoder_layers[n - 1 - j].weight  # (out, in): the decoder maps out -> in
                h = F.linear(h, w.transpose(0, 1), self.decoder_biases[j])
            else:
                h = self.decoder_layers[j](h)
            if j < n - 1:
                h = self._act(h)
        return F.sigmoid(h) if self.output == "sigmoid" else h

    def forward(self, x) -> Tensor:
        """The reconstruction x̂ = g(f(x)), (N, sizes[0]) (flattened when x was images)."""
        return self.decode(self.encode(x))

    def loss(self, x, criterion: str = "mse") -> Tensor:
        """The reconstruction error of x (see ``reconstruction_loss``), per example mean."""
        x = _as_input(f"{type(self).__name__}.loss", x, self.sizes[0])
        return reconstruction_loss(self(x), x, criterion)

    def extra_repr(self) -> str:
        return (
            f"sizes={self.sizes}, activation={self.activation!r}, tied={self.tied}, "
            f"output={self.output!r}"
        )


class DenoisingAutoencoder(Autoencoder):
    """An autoencoder trained to restore x from a corrupted x̃ = noise(x) (Vincent et al.
    2008): loss = reconstruction_loss(g(f(x̃)), x). ``forward`` reconstructs its input as it
    is; ``loss`` corrupts in training mode only (in eval mode it is the plain reconstruction
    error).

    Args:
        sizes, activation, tied, output, code_activation: as ``Autoencoder``.
        noise: a transform of NumPy arrays, e.g. ``shinsou.data.corruption("mask", 0.3,
            seed=0)``, ``RandomLines(3, image_shape=(28, 28))`` or ``AddGaussianNoise(0.3)``.

    >>> import shinsou as ss
    >>> from shinsou.data import corruption
    >>> dae = DenoisingAutoencoder((16, 4), noise=corruption("mask", 0.5, seed=0))
    >>> dae.loss(ss.rand(8, 16)).shape
    ()
    """

    def __init__(self, sizes, noise, activation: str = "relu", tied: bool = False, **kwargs):
        super().__init__(sizes, activation=activation, tied=tied, **kwargs)
        if not callable(noise):
            raise TypeError(
                f"DenoisingAutoencoder: noise must be a callable transform, got {noise!r}"
            )
        self.noise = noise

    def corrupt(self, x) -> Tensor:
        """x̃ = noise(x), a new constant Tensor (no gradient flows into the corruption)."""
        if not isinstance(x, Tensor):
            raise TypeError(
                f"DenoisingAutoencoder.corrupt expected a Tensor, got {type(x).__name__}"
            )
        noisy = np.asarray(self.noise(x.numpy()), dtype=x.dtype)  # transforms work on NumPy
        return Tensor(noisy, device=x.device)

    def loss(self, x, criterion: str = "mse") -> Tensor:
        x = _as_input("DenoisingAutoencoder.loss", x, self.sizes[0])
        x_in = self.corrupt(x) if self.training else x
        return reconstruction_loss(self(x_in), x, criterion)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", noise={self.noise!r}"


def kl_sparsity(mean_activation, rho: float) -> Tensor:
    """The KL sparsity penalty of a sparse autoencoder (Ng's lecture notes):
    Σ_j [ρ log(ρ/ρ̂_j) + (1 − ρ) log((1 − ρ)/(1 − ρ̂_j))], the KL divergence between Bernoulli
    units of mean ρ (the target) and ρ̂_j (the mean activation of hidden unit j over a batch).

    Args:
        mean_activation: ρ̂, (H,) values in (0, 1) (e.g. ``sigmoid(code).mean(0)``).
        rho: the target mean activation, in (0, 1).

    Returns:
        a scalar Tensor (0 when every ρ̂_j = ρ).

    >>> import shinsou as ss
    >>> round(abs(kl_sparsity(ss.tensor([0.5]), 0.5).item()), 6)
    0.0
    >>> kl_sparsity(ss.tensor([0.2]), 0.1).item() > 0
    True
    """
    if not 0.0 < rho < 1.0:
        raise ValueError(f"kl_sparsity: rho must lie in (0, 1), got {rho}")
    if not isinstance(mean_activation, Tensor):
        raise TypeError(f"kl_sparsity expected a Tensor, got {type(mean_activation).__name__}")
    r = mean_activation
    if r.numel() and (float(r.array.min()) <= 0 or float(r.array.max()) >= 1):
        raise ValueError("kl_sparsity: mean_activation must lie in (0, 1) (use sigmoid codes)")
    const = rho * np.log(rho) + (1 - rho) * np.log(1 - rho)
    return (const - rho * F.log(r) - (1 - rho) * F.log(1 - r)).sum()


def l1_sparsity(code) -> Tensor:
    """The L1 activity penalty: mean_n Σ_j |h_nj| over a batch of codes h (N, H) -> scalar.

    >>> import shinsou as ss
    >>> l1_sparsity(ss.tensor([[1.0, -2.0], [0.0, 3.0]])).item()
    3.0
    """
    if not isinstance(code, Tensor) or code.ndim != 2:
        raise ValueError(
            f"l1_sparsity expected codes (N, H), got {getattr(code, 'shape', type(code).__name__)}"
        )
    return F.abs(code).sum() / code.shape[0]


class SparseAutoencoder(Autoencoder):
    """An autoencoder with a sparsity penalty on its code:
    loss = reconstruction_loss + β · KL(ρ ‖ ρ̂) (``penalty="kl"``, ρ̂ = the batch mean of the
    sigmoid code) or + β · mean_n Σ_j |h_nj| (``penalty="l1"``).

    Args:
        sizes, tied, output: as ``Autoencoder`` (the activation is sigmoid for "kl", so the
            code is a probability; ``activation`` for "l1", default "relu").
        rho: the target mean activation of "kl".
        beta: the weight of the penalty.
        penalty: "kl" or "l1".

    >>> import shinsou as ss
    >>> SparseAutoencoder((16, 8), rho=0.05, beta=3.0).loss(ss.rand(4, 16)).item() > 0
    True
    """

    def __init__(
        self,
        sizes,
        rho: float = 0.05,
        beta: float = 3.0,
        penalty: str = "kl",
        activation: str | None = None,
        **kwargs,
    ):
        if penalty not in ("kl", "l1"):
            raise ValueError(f"SparseAutoencoder: penalty must be 'kl' or 'l1', got {penalty!r}")
        if penalty == "kl" and activation not in (None, "sigmoid"):
            raise ValueError(
                "SparseAutoencoder: the KL penalty needs sigmoid codes (mean activations in "
                f"(0, 1)), got activation={activation!r}"
            )
        if penalty == "kl" and not 0.0 < rho < 1.0:
            raise ValueError(f"SparseAutoencoder: rho must lie in (0, 1), got {rho}")
        if beta < 0:
            raise ValueError(f"SparseAutoencoder: beta must be >= 0, got {beta}")
        act = activation or ("sigmoid" if penalty == "kl" else "relu")
        super().__init__(sizes, activation=act, code_activation=True, **kwargs)
        self.rho, self.beta, self.penalty = float(rho), float(beta), penalty

    def sparsity(self, code) -> Tensor:
        """The penalty (without β) of a batch of codes (N, sizes[-1])."""
        if self.penalty == "kl":
            return kl_sparsity(code.mean(0).clip(1e-6, 1 - 1e-6), self.rho)
        return l1_sparsity(code)

    def loss(self, x, criterion: str = "mse") -> Tensor:
        x = _as_input("SparseAutoencoder.loss", x, self.sizes[0])
        h = self.encode(x)
        return reconstruction_loss(self.decode(h), x, criterion) + self.beta * self.sparsity(h)

    def extra_repr(self) -> str:
        return (
            super().extra_repr() + f", penalty={self.penalty!r}, rho={self.rho}, beta={self.beta}"
        )


class ConvAutoencoder(Module):
    """A convolutional autoencoder for (N, C, H, W) images after Ruff et al. 2018's DCAE: each
    encoder level is conv k×k (same padding) → batch norm (ε = 1e-4) → LeakyReLU → 2×2 max
    pooling, then (with ``code_dim``) a dense code; the decoder mirrors it with a dense layer
    back to the last feature map, and per level nearest 2× upsampling → transposed conv k×k →
    batch norm → LeakyReLU, ending in a sigmoid (no norm, no activation before it).

    Ruff et al.'s MNIST DCAE is ``ConvAutoencoder((1, 8, 4), code_dim=32, bias=False)``, but
    for its decoder, which reshapes the 32-d code to 2×4×4 maps and reaches 28×28 through
    upsampling and transposed convs (4 → 8 → 16 → 14 → 28 pixels); here the code is mapped
    by a dense layer to the 4×7×7 maps, so that the decoder mirrors the encoder exactly.

    Args:
        channels: (C_in, c_1, …, c_L): the image channels and the channels of each level.
        code_dim: size of the dense code (None: the code is the last feature map).
        image_size: H = W of the input; must be divisible by 2^L.
        kernel_size: odd convolution size (5 in the DCAE).
        negative_slope: of the LeakyReLU.
        bias: use biases, and affine batch norm (False gives the bias-free encoder Deep
            SVDD needs: ``DeepSVDD(ConvAutoencoder(..., bias=False).encoder)``).

    Shapes:
        x: (N, C_in, S, S) -> encode: (N, code_dim) or (N, c_L, S/2^L, S/2^L);
        forward: (N, C_in, S, S) in (0, 1).

    >>> import shinsou as ss
    >>> cae = ConvAutoencoder((1, 8, 4), code_dim=32)
    >>> cae.encode(ss.rand(2, 1, 28, 28)).shape, cae(ss.rand(2, 1, 28, 28)).shape
    ((2, 32), (2, 1, 28, 28))
    """

    def __init__(
        self,
        channels=(1, 32, 64),
        code_dim: int | None = None,
        image_size: int = 28,
        kernel_size: int = 5,
        negative_slope: float = 0.01,
        bias: bool = True,
    ):
        super().__init__()
        chans = _check_sizes("ConvAutoencoder", channels)
        levels = len(chans) - 1
        if image_size % (2**levels):
            raise ValueError(
                f"ConvAutoencoder: image_size must be divisible by 2^{levels} = {2**levels} "
                f"for {levels} pooling levels, got {image_size}"
            )
        if kernel_size % 2 == 0 or kernel_size < 1:
            raise ValueError(f"ConvAutoencoder: kernel_size must be odd, got {kernel_size}")
        if code_dim is not None and code_dim < 1:
            raise ValueError(f"ConvAutoencoder: code_dim must be positive or None, got {code_dim}")
        self.channels, self.code_dim, self.image_size = chans, code_dim, image_size
        pad, side = kernel_size // 2, image_size // 2**levels
        self.feature_shape = (chans[-1], side, side)
        enc = []
        for a, b in zip(chans[:-1], chans[1:]):
            enc += [
                Conv2d(a, b, kernel_size, padding=pad, bias=bias),
                BatchNorm2d(b, eps=1e-4, affine=bias),
                LeakyReLU(negative_slope),
                MaxPool2d(2),
            ]
        dec = []
        if code_dim is not None:
            flat = chans[-1] * side * side
            enc += [Flatten(), Linear(flat, code_dim, bias=bias)]
            dec += [Linear(code_dim, flat, bias=bias), Unflatten(1, self.feature_shape)]
            dec += [LeakyReLU(negative_slope)]
        rev = chans[::-1]
        for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
            dec += [
                Upsample(scale_factor=2),
                ConvTranspose2d(a, b, kernel_size, padding=pad, bias=bias),
            ]
            if i < levels - 1:
                dec += [BatchNorm2d(b, eps=1e-4, affine=bias), LeakyReLU(negative_slope)]
        dec.append(Sigmoid())
        self.encoder = Sequential(*enc)
        self.decoder = Sequential(*dec)

    def _check(self, x, what: str) -> None:
        c, s = self.channels[0], self.image_size
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != (c, s, s):
            got = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"ConvAutoencoder.{what} expected input (N, {c}, {s}, {s}), got {got}")

    def encode(self, x) -> Tensor:
        """The code: (N, C, S, S) -> (N, code_dim) (or the last feature map)."""
        self._check(x, "encode")
        return self.encoder(x)

    def decode(self, h) -> Tensor:
        """The reconstruction (N, C, S, S) of codes h."""
        return self.decoder(h)

    def forward(self, x) -> Tensor:
        return self.decode(self.encode(x))

    def loss(self, x, criterion: str = "mse") -> Tensor:
        """Reconstruction error per image (summed over pixels, mean over the batch)."""
        return reconstruction_loss(self(x), x, criterion)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, code_dim={self.code_dim}, image_size={self.image_size}"
