"""``StandardUpdater``: one batch from the iterator, converted, into ``optimizer.update``."""

from __future__ import annotations

from ...dataset import convert
from ...dataset.iterator import Iterator
from .._updater import Updater


def _call_converter(converter, batch, device):
    """Call a new-style converter (a ``chainer.dataset.Converter``) with the device object,
    an old-style one (a plain function) with None, -1 (CPU) or the GPU id."""
    if isinstance(converter, convert.Converter):
        return converter(batch, device)
    if device is None:
        return converter(batch, None)
    import numpy

    if device.xp is numpy:
        return converter(batch, -1)
    return converter(batch, device.device_id)


class StandardUpdater(Updater):
    """The standard training step.

    ``update()`` takes the next batch of ``iterator`` (the ``'main'`` one), converts it with
    ``converter(batch, device)`` and calls ``optimizer.update(loss_func, *in_arrays)`` (or
    ``**in_arrays`` for a dict, one argument otherwise); ``loss_func`` defaults to the
    optimizer's target link. At each new epoch of the iterator it calls
    ``optimizer.new_epoch(auto=True)``.

    Args:
        iterator: an Iterator or a dict of them (``'main'`` is the training one).
        optimizer: an Optimizer or a dict of them (``'main'``...).
        converter: batch → arrays (``concat_examples`` by default).
        device: where the model and the batches go (None: leave them where they are).
        loss_func: the loss (default: the ``'main'`` optimizer's target).
        loss_scale: a loss scale given to every optimizer.
        auto_new_epoch: count the optimizers' epochs here.

    A subclass that overrides ``update_core`` (GANs) uses ``get_iterator``,
    ``get_optimizer``, ``converter``, ``device``, ``iteration``, ``epoch``...
    """

    def __init__(
        self,
        iterator,
        optimizer,
        converter=convert.concat_examples,
        device=None,
        loss_func=None,
        loss_scale=None,
        auto_new_epoch=True,
        **kwargs,
    ):
        from ... import backend

        input_device = kwargs.pop("input_device", None)
        if kwargs:
            raise TypeError(f"StandardUpdater: unexpected arguments {sorted(kwargs)}")
        if device is not None:
            device = backend.get_device(device)
        input_device = device if input_device is None else backend.get_device(input_device)
        if isinstance(iterator, Iterator) or not isinstance(iterator, dict):
            iterator = {"main": iterator}
        self._iterators = iterator
        if not isinstance(optimizer, dict):
            optimizer = {"main": optimizer}
        self._optimizers = optimizer
        if device is not None:
            for opt in self._optimizers.values():
                opt.target.to_device(device)
        self.converter = converter
        self.loss_func = loss_func
        self.iteration = 0
        self._device = device
        self._input_device = input_device
        self.loss_scale = loss_scale
        if loss_scale is not None:
            for opt in self._optimizers.values():
                opt.set_loss_scale(loss_scale)
        self.auto_new_epoch = auto_new_epoch
        if auto_new_epoch:
            for opt in self._optimizers.values():
                opt.use_auto_new_epoch = True

    @property
    def device(self):
        return self._device

    @property
    def input_device(self):
        return self._input_device

    @property
    def epoch(self):
        return self._iterators["main"].epoch

    @property
    def epoch_detail(self):
        return self._iterators["main"].epoch_detail

    @property
    def previous_epoch_detail(self):
        return self._iterators["main"].previous_epoch_detail

    @property
    def is_new_epoch(self):
        return self._iterators["main"].is_new_epoch

    def finalize(self):
        for it in self._iterators.values():
            it.finalize()

    def get_optimizer(self, name):
        return self._optimizers[name]

    def get_all_optimizers(self):
        return dict(self._optimizers)

    def get_iterator(self, name):
        return self._iterators[name]

    def update(self):
        """One step (``update_core``), then ``iteration += 1``."""
        self.update_core()
        self.iteration += 1

    def update_core(self):
        iterator = self._iterators["main"]
        batch = iterator.next()
        in_arrays = _call_converter(self.converter, batch, self.input_device)
        optimizer = self._optimizers["main"]
        loss_func = self.loss_func or optimizer.target
        if isinstance(in_arrays, tuple):
            optimizer.update(loss_func, *in_arrays)
        elif isinstance(in_arrays, dict):
            optimizer.update(loss_func, **in_arrays)
        else:
            optimizer.update(loss_func, in_arrays)
        if self.auto_new_epoch and iterator.is_new_epoch:
            optimizer.new_epoch(auto=True)

    def serialize(self, serializer):
        """Iterators (``iterator:main``), optimizers (``optimizer:main``), models
        (``model:main``) and ``iteration``: Chainer's snapshot layout."""
        for name, it in self._iterators.items():
            it.serialize(serializer["iterator:" + name])
        for name, opt in self._optimizers.items():
            opt.serialize(serializer["optimizer:" + name])
            opt.target.serialize(serializer["model:" + name])
        self.iteration = serializer("iteration", self.iteration)
