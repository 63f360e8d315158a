"""Multi-layer perceptron."""

from __future__ import annotations

from ..nn import activation as act
from ..nn.container import Sequential
from ..nn.dropout import Dropout
from ..nn.linear import Linear

__all__ = ["MLP"]

_ACTIVATIONS = {
    "relu": act.ReLU,
    "sigmoid": act.Sigmoid,
    "tanh": act.Tanh,
    "leaky_relu": act.LeakyReLU,
    "elu": act.ELU,
    "gelu": act.GELU,
    "softplus": act.Softplus,
}


class MLP(Sequential):
    """Fully connected net: Linear → activation (→ Dropout) for each hidden layer, then a
    final Linear with no activation (its outputs are logits or regression values).

    Args:
        sizes: layer widths, e.g. (784, 1000, 500, 10).
        activation: "relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu" or "softplus".
        dropout: drop probability after each hidden activation (0: none).

    >>> import shinsou as ss
    >>> ss.models.MLP((2, 4, 1), activation="tanh").num_parameters()
    17
    """

    def __init__(self, sizes, activation: str = "relu", dropout: float = 0.0):
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"MLP: unknown activation {activation!r}; one of {sorted(_ACTIVATIONS)}"
            )
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(_ACTIVATIONS[activation]())
                if dropout:
                    layers.append(Dropout(dropout))
        super().__init__(*layers)
        self.sizes = tuple(sizes)
