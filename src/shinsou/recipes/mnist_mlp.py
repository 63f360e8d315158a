"""mnist-mlp: a 784-1000-500-10 ReLU network with dropout, trained with Adam on MNIST."""

from __future__ import annotations

from ..models import MLP
from .classify import ImageClassification

__all__ = ["RECIPE"]


def load(data_dir=None) -> dict:
    """MNIST, or scikit-learn's 8×8 digits when MNIST is neither on disk nor downloadable
    (train and test always come from the same dataset)."""
    from ..datasets import MNIST_CLASSES, load_digits, load_mnist, load_mnist_or_digits

    x, y, name = load_mnist_or_digits("train", data_dir=data_dir)
    test = load_mnist("test", data_dir=data_dir) if name == "mnist" else load_digits("test")
    return dict(train=(x, y), test=test, dataset=name, classes=MNIST_CLASSES)


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
