"""Feeding data to a net: datasets, the DataLoader (full batch, mini-batch or online) and
transforms. Dataset files (MNIST, Fashion-MNIST, ...) are found and checked by
``shinsou.datasets``."""

from .dataset import Dataset, Subset, TensorDataset, collate, random_split  # noqa: F401
from .loader import MODES, DataLoader  # noqa: F401
from .transforms import AsType, Compose, Flatten, OneHot, Scale01, Standardize  # noqa: F401
from .augment import (  # noqa: F401
    AddGaussianNoise,
    ElasticDistortion,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomMask,
    RandomVerticalFlip,
    SaltAndPepperNoise,
    affine,
    gaussian_blur,
    remap,
)
from .preprocess import GlobalContrastNormalize, PerPixelStandardize, ZCAWhitening  # noqa: F401
