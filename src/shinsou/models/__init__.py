"""Reusable architectures."""

from .mlp import MLP  # noqa: F401
from .perceptron import NotConvergedWarning, Perceptron  # noqa: F401
