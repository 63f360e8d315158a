"""Model links: ``Classifier``."""

from .classifier import Classifier  # noqa: F401
