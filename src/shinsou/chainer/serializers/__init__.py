"""``chainer.serializers``: ``save_npz``/``load_npz`` in Chainer's NPZ layout.

The file is a NumPy ``.npz`` whose keys are the paths of the values in the object
(``predictor/l1/W``, ``predictor/bn/avg_mean``, ``predictor/bn/N``): files written by Chainer 7
load here and the other way round. An uninitialized parameter is stored as
``numpy.asarray(None)`` (an object array), as Chainer does.
"""

from .npz import (  # noqa: F401
    DictionarySerializer,
    NpzDeserializer,
    load_npz,
    save_npz,
    serialize,
)

__all__ = ["DictionarySerializer", "NpzDeserializer", "save_npz", "load_npz", "serialize"]


def __getattr__(name):
    raise AttributeError(f"shinsou.chainer does not provide chainer.serializers.{name} yet")
