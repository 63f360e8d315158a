"""digits-0-4: the mnist-cnn network and augmentation on the MNIST digits 0 to 4 only.

It is the ``transfer`` recipe's default source task: a net that has learned pen strokes on
five digits, re-used for the other five (5 to 9) from a few labels each.
"""

from __future__ import annotations

from ..datasets import mnist_digit_subset
from .classify import ImageClassification
from .mnist_cnn import augmentation, build_model

__all__ = ["RECIPE", "load", "LOW", "HIGH"]

LOW, HIGH = tuple("01234"), tuple("56789")


def load(data_dir=None, digits=LOW, splits=("train", "test")) -> dict:
    """MNIST restricted to ``digits`` (see ``shinsou.datasets.mnist_digit_subset``)."""
    return mnist_digit_subset(data_dir, digits, splits)


RECIPE = ImageClassification(
    name="digits-0-4",
    description="MNIST digits 0-4 only, with the mnist-cnn net: the transfer recipe's source",
    defaults=dict(epochs=10, batch_size=128, lr=2e-3, optimizer="adam", dropout=0.3, augment=True),
    load=load,
    build_model=build_model,
    flatten=False,
    augmentation=augmentation,
)
