"""``chainer.iterators``: ``SerialIterator``, ``MultithreadIterator``, ``MultiprocessIterator``
(with Chainer's batching, epochs and snapshots) and the order samplers."""

from . import (  # noqa: F401
    multiprocess_iterator,
    multithread_iterator,
    order_samplers,
    serial_iterator,
)
from .multiprocess_iterator import MultiprocessIterator
from .multithread_iterator import MultithreadIterator
from .order_samplers import OrderSampler, ShuffleOrderSampler
from .serial_iterator import SerialIterator

__all__ = [
    "MultiprocessIterator",
    "MultithreadIterator",
    "OrderSampler",
    "SerialIterator",
    "ShuffleOrderSampler",
]


def __getattr__(name):
    # A name real Chainer has here (DaliIterator) fails clearly.
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.iterators.{name} yet")
