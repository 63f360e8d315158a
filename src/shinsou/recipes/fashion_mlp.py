"""fashion-mlp: the mnist-mlp network on Fashion-MNIST's clothing images."""

from __future__ import annotations

from ..datasets import fashion_mnist_classification as load
from .classify import ImageClassification
from .mnist_mlp import build_model

__all__ = ["RECIPE"]


RECIPE = ImageClassification(
    name="fashion-mlp",
    description="Fashion-MNIST clothes with the 784-1000-500-10 MLP, dropout 0.2, Adam (~90 %)",
    defaults=dict(epochs=15, batch_size=128, lr=1e-3, optimizer="adam", dropout=0.2),
    load=load,
    build_model=build_model,
)
