"""Reusable architectures."""

from .cnn import AlexNet, AlexNetSmall, LeNet5, VGGNet  # noqa: F401
from .mlp import MLP  # noqa: F401
from .perceptron import NotConvergedWarning, Perceptron  # noqa: F401

# RBMs, deep belief nets and annealed importance sampling (issue 13)
from .ais import (  # noqa: F401
    AISEstimate,
    ais_betas,
    ais_log_partition,
    base_rate_bias,
    exact_log_partition,
    log_likelihood,
)
from .rbm import DBN, RBM  # noqa: F401
