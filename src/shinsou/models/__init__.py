"""Reusable architectures."""

from .cnn import AlexNet, AlexNetSmall, LeNet5, VGGNet  # noqa: F401
from .mlp import MLP  # noqa: F401
from .perceptron import NotConvergedWarning, Perceptron  # noqa: F401

# issue 13: autoencoder models
from .autoencoder import (  # noqa: F401, E402
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    kl_sparsity,
    l1_sparsity,
    reconstruction_loss,
)
from .deep_svdd import DeepSVDD  # noqa: F401, E402
from .stacked import StackedAutoencoder  # noqa: F401, E402
from .vae import VAE, gaussian_kl, vae_loss  # noqa: F401, E402
