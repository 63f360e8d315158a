"""``chainer.link_hooks``: ``SpectralNormalization``."""

from .spectral_normalization import SpectralNormalization  # noqa: F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.link_hooks.{name} yet")
