"""``Updater``: the interface of the objects that make one training step."""

from __future__ import annotations


class Updater:
    """Base class of updaters: ``update()``, the optimizers by name, ``serialize``."""

    def connect_trainer(self, trainer):
        """Called by the Trainer that owns this updater."""

    def finalize(self):
        raise NotImplementedError

    def get_optimizer(self, name):
        raise NotImplementedError

    def get_all_optimizers(self):
        raise NotImplementedError

    def update(self):
        raise NotImplementedError

    def serialize(self, serializer):
        raise NotImplementedError
