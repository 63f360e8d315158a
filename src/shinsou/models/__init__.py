"""Reusable architectures."""

from .cnn import AlexNet, AlexNetSmall, LeNet5, VGGNet  # noqa: F401
from .mlp import MLP  # noqa: F401
from .perceptron import NotConvergedWarning, Perceptron  # noqa: F401
