"""mnist-cnn: a small VGG-style CNN with batch normalisation, trained with Adam on MNIST
digits distorted afresh every epoch (small random rotations, shifts and zooms)."""

from __future__ import annotations

from ..datasets import mnist_classification as load
from ..models import VGGNet
from .classify import ImageClassification

__all__ = ["RECIPE", "build_model", "augmentation"]


def build_model(input_shape, num_classes, cfg):
    """(N, 1, 28, 28) -> three blocks of conv 3×3 + batch norm + ReLU + 2×2 max pooling with
    32, 64 and 128 channels (28 -> 14 -> 7 -> 3) -> Linear 1152 -> 256 -> ReLU -> dropout ->
    Linear 256 -> classes."""
    return VGGNet(
        in_channels=input_shape[0],
        num_classes=num_classes,
        input_size=input_shape[-1],
        widths=(32, 64, 128),
        convs_per_block=1,
        hidden=256,
        dropout=cfg.dropout,
    )


def augmentation(cfg):
    """Random affine distortions of each training digit: rotation within ±10°, shifts up to
    2 pixels (0.08 of the side), zoom 0.9-1.1, shear within ±5° — changes that keep a digit
    the same digit."""
    from ..data import RandomAffine

    return RandomAffine(10, translate=(0.08, 0.08), scale=(0.9, 1.1), shear=5)


RECIPE = ImageClassification(
    name="mnist-cnn",
    description="MNIST digits with a VGG-style CNN (3 conv blocks, batch norm), augmentation, "
    "Adam (~99.5 %)",
    defaults=dict(epochs=8, batch_size=128, lr=2e-3, optimizer="adam", dropout=0.3, augment=True),
    load=load,
    build_model=build_model,
    flatten=False,
    augmentation=augmentation,
)
