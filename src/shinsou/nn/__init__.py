"""Neural-network layers: ``Module`` and its families."""

from .parameter import Parameter  # noqa: F401
