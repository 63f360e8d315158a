"""fashion-cnn: the mnist-cnn network on Fashion-MNIST, with mirror images and small shifts
as augmentation (a shirt mirrored is still a shirt; a digit mirrored is not)."""

from __future__ import annotations

from ..datasets import fashion_mnist_classification as load
from .classify import ImageClassification
from .mnist_cnn import build_model

__all__ = ["RECIPE", "augmentation"]


def augmentation(cfg):
    """Mirror half of the training images left-right and crop a random 28×28 window from
    the image padded by 2 pixels (shifts of up to 2 pixels)."""
    from ..data import Compose, RandomCrop, RandomHorizontalFlip

    return Compose([RandomHorizontalFlip(), RandomCrop(28, padding=2)])


RECIPE = ImageClassification(
    name="fashion-cnn",
    description="Fashion-MNIST clothes with the VGG-style CNN, flips and shifts, Adam (~92.5 %)",
    defaults=dict(epochs=10, batch_size=128, lr=2e-3, optimizer="adam", dropout=0.3, augment=True),
    load=load,
    build_model=build_model,
    flatten=False,
    augmentation=augmentation,
)
