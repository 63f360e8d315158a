"""``chainer.serializer``: the (de)serializer protocol.

An object that can be saved has ``serialize(serializer)``, which calls
``serializer(key, value)`` for each value and ``serializer[child]`` for each part. A
serializer stores the value and returns it; a deserializer returns the stored value (copying
arrays into ``value`` in place).
"""

from __future__ import annotations

__all__ = ["AbstractSerializer", "Serializer", "Deserializer"]


class AbstractSerializer:
    """``s[key]`` gives the child (de)serializer; ``s(key, value)`` (de)serializes a value."""

    def __getitem__(self, key):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, key, value):  # pragma: no cover - abstract
        raise NotImplementedError


class Serializer(AbstractSerializer):
    """Base class of serializers (saving)."""

    def save(self, obj):
        """Save ``obj`` (``obj.serialize(self)``)."""
        obj.serialize(self)


class Deserializer(AbstractSerializer):
    """Base class of deserializers (loading)."""

    def load(self, obj):
        """Load into ``obj`` (``obj.serialize(self)``)."""
        obj.serialize(self)
