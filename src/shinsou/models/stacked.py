"""Stacked autoencoders with greedy layer-wise pre-training (Bengio et al. 2007; Vincent et
al. 2010): each layer is trained as a one-hidden-layer autoencoder on the codes of the layers
below it, then the stack is fine-tuned end to end as a deep autoencoder or a classifier."""

from __future__ import annotations

import numpy as np

from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..nn.container import ModuleList, Sequential
from ..nn.linear import Linear
from ..nn.module import Module
from .autoencoder import Autoencoder, _activation, _as_input, _check_sizes, reconstruction_loss

__all__ = ["StackedAutoencoder"]


def _batch_input(batch) -> Tensor:
    """The inputs of a loader batch: a Tensor, an array, or the first item of (x, y, ...)."""
    if isinstance(batch, tuple | list):
        batch = batch[0]
    if not isinstance(batch, Tensor):
        batch = Tensor(np.asarray(batch))
    return batch if batch.dtype.kind == "f" else batch.float()


class StackedAutoencoder(Module):
    """A stack of autoencoder layers sizes[0] → sizes[1] → … → sizes[-1], pre-trained greedily.

    Layer i has an encoder h_{i+1} = a(W_i h_i + b_i) and a decoder ĥ_i = a'(V_i h_{i+1} + c_i)
    (a' = sigmoid for layer 0, whose targets are the [0, 1] inputs, else ``activation``).
    ``pretrain_layer(i, ...)`` trains (W_i, b_i, V_i, c_i) to reconstruct h_i, with the layers
    below frozen; ``as_autoencoder()`` and ``as_classifier(n)`` then build the deep models
    from the same Parameters for fine-tuning.

    Args:
        sizes: widths, e.g. (784, 500, 250).
        activation: the hidden activation ("sigmoid" by default, as in the classic papers).

    >>> import shinsou as ss
    >>> sae = StackedAutoencoder((16, 8, 4))
    >>> sae.encode(ss.rand(3, 16)).shape, sae.num_parameters()
    ((3, 4), 356)
    """

    def __init__(self, sizes, activation: str = "sigmoid"):
        super().__init__()
        self.sizes = _check_sizes("StackedAutoencoder", sizes)
        self.activation = activation
        self._act = _activation("StackedAutoencoder", activation)()
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.encoders = ModuleList([Linear(a, b) for a, b in pairs])
        self.decoders = ModuleList([Linear(b, a) for a, b in pairs])

    @property
    def n_layers(self) -> int:
        return len(self.encoders)

    def encode(self, x, upto: int | None = None) -> Tensor:
        """The code of the first ``upto`` layers (all by default): (N, sizes[0]) -> (N, sizes[upto])
        (the input itself when upto = 0)."""
        upto = self.n_layers if upto is None else upto
        h = _as_input("StackedAutoencoder.encode", x, self.sizes[0])
        for layer in list(self.encoders)[:upto]:
            h = self._act(layer(h))
        return h

    def reconstruct_layer(self, i: int, h) -> Tensor:
        """Layer i's one-hidden-layer autoencoder applied to h_i (N, sizes[i])."""
        out = self.decoders[i](self._act(self.encoders[i](h)))
        return out.sigmoid() if i == 0 else self._act(out)

    def pretrain_layer(
        self, i: int, loader, epochs: int = 1, optimizer_factory=None, noise=None
    ) -> list[float]:
        """Train layer i as an autoencoder of the codes h_i of the (frozen) layers below.

        Minimises mean_n ‖ĥ_i − h_i‖² (summed over units) of ``reconstruct_layer(i, h̃_i)``,
        where h̃_i = noise(h_i) for a denoising stack (``noise``: a NumPy transform) or h_i.

        Args:
            i: the layer, 0 ≤ i < n_layers.
            loader: iterable of batches (Tensors, arrays, or (x, y) pairs), x (N, sizes[0]).
            epochs: passes over the loader.
            optimizer_factory: params -> optimizer (default: SGD with lr 0.1).
            noise: optional corruption of the layer's input.

        Returns:
            the mean loss of each epoch.
        """
        from ..optim import SGD

        if not 0 <= i < self.n_layers:
            raise ValueError(
                f"StackedAutoencoder.pretrain_layer: i must be in [0, {self.n_layers}), got {i}"
            )
        params = list(self.encoders[i].parameters()) + list(self.decoders[i].parameters())
        opt = (optimizer_factory or (lambda p: SGD(p, lr=0.1)))(params)
        history = []
        for _ in range(epochs):
            total, count = 0.0, 0
            for batch in loader:
                x = _batch_input(batch)
                with no_grad():
                    h = self.encode(x, upto=i)
                h_in = h
                if noise is not None:
                    h_in = Tensor(np.asarray(noise(h.numpy()), dtype=h.dtype), device=h.device)
                loss = reconstruction_loss(self.reconstruct_layer(i, h_in), h, "mse")
                opt.zero_grad()
                loss.backward()
                opt.step()
                total, count = total + loss.item() * x.shape[0], count + x.shape[0]
            history.append(total / max(count, 1))
        return history

    def as_autoencoder(self, output: str | None = "sigmoid") -> Autoencoder:
        """The deep autoencoder sizes[0] → … → sizes[-1] → … → sizes[0] made of this stack's
        encoders and decoders (the same Parameters: fine-tuning it updates the stack)."""
        ae = Autoencoder(self.sizes, activation=self.activation, output=output)
        ae.encoder_layers = ModuleList(list(self.encoders))
        ae.decoder_layers = ModuleList(list(self.decoders)[::-1])
        return ae

    def as_classifier(self, n_classes: int) -> Sequential:
        """The encoder (sharing this stack's Parameters) followed by a new Linear(sizes[-1],
        n_classes) head; the output is logits (N, n_classes)."""
        if n_classes < 1:
            raise ValueError(
                f"StackedAutoencoder.as_classifier: n_classes must be >= 1, got {n_classes}"
            )
        layers = []
        for enc in self.encoders:
            layers += [enc, _activation("StackedAutoencoder", self.activation)()]
        layers.append(Linear(self.sizes[-1], n_classes))
        return Sequential(*layers)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, activation={self.activation!r}"
