"""mnist-mlp: a 784-1000-500-10 ReLU network with dropout, trained with Adam on MNIST."""

from __future__ import annotations

from ..datasets import mnist_classification as load
from ..models import MLP
from .classify import ImageClassification

__all__ = ["RECIPE"]


def build_model(input_shape, num_classes, cfg):
    """Flattened image -> 1000 -> 500 -> classes, ReLU, dropout ``cfg.dropout`` after each
    hidden layer."""
    n = 1
    for s in input_shape:
        n *= s
    return MLP((n, 1000, 500, num_classes), activation="relu", dropout=cfg.dropout)


RECIPE = ImageClassification(
    name="mnist-mlp",
    description="MNIST digits with a 784-1000-500-10 ReLU MLP, dropout 0.5, Adam (~98.5 %)",
    defaults=dict(epochs=10, batch_size=128, lr=1e-3, optimizer="adam", dropout=0.5),
    load=load,
    build_model=build_model,
)
