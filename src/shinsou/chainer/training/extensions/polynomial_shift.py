"""``chainer.training.extensions.polynomial_shift`` (module path): ``PolynomialShift``."""

from .shifts import PolynomialShift  # noqa: F401
