"""fashion-mlp: the mnist-mlp network on Fashion-MNIST's clothing images."""

from __future__ import annotations

from .classify import ImageClassification
from .mnist_mlp import build_model

__all__ = ["RECIPE"]


def load(data_dir=None) -> dict:
    from ..datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

    return dict(
        train=load_fashion_mnist("train", data_dir=data_dir),
        test=load_fashion_mnist("test", data_dir=data_dir),
        dataset="fashion-mnist",
        classes=FASHION_MNIST_CLASSES,
    )


RECIPE = ImageClassification(
    name="fashion-mlp",
    description="Fashion-MNIST clothes with the 784-1000-500-10 MLP, dropout 0.2, Adam (~90 %)",
    defaults=dict(epochs=15, batch_size=128, lr=1e-3, optimizer="adam", dropout=0.2),
    load=load,
    build_model=build_model,
)
