"""mnist-mlp: a 784-1000-500-10 ReLU network with dropout, trained with Adam on MNIST."""

from __future__ import annotations

from ..models import MLP
from .classify import ImageClassification

__all__ = ["RECIPE"]


def load(split: str, data_dir=None):
    """MNIST, or scikit-learn's 8×8 digits when MNIST is neither on disk nor downloadable."""
    from ..datasets import MNIST_CLASSES, load_mnist_or_digits

    images, labels, name = load_mnist_or_digits(split, data_dir=data_dir)
    return images, labels, name, MNIST_CLASSES


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
