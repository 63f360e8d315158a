"""``Evaluator``: the mean of what the model reports over a validation set."""

from __future__ import annotations

import copy
import datetime
import warnings

from ... import configuration
from ... import reporter as reporter_module
from ...dataset import convert
from ...dataset.iterator import Iterator
from ...link import Link
from .. import extension
from ..updaters.standard_updater import _call_converter
from ._util import ProgressBar


class Evaluator(extension.Extension):
    """Runs the target over the whole ``iterator`` (reset first, or copied if it has no
    ``reset``) with ``chainer.config.train = False`` and without backprop, and reports the
    mean of each value the target reports, under ``validation/main/...`` (the extension's
    name, then the target's).

    Args:
        iterator: the validation Iterator (``repeat=False``) or a dict of them.
        target: the Link (its ``__call__`` reports loss/accuracy, like ``L.Classifier``) or a
            dict of them.
        converter: batch → arrays (``concat_examples``).
        device: where the batches go.
        eval_hook: ``f(evaluator)`` called before each evaluation.
        eval_func: called instead of the target on each batch.
    """

    trigger = 1, "epoch"
    default_name = "validation"
    priority = extension.PRIORITY_WRITER
    name = None

    def __init__(
        self,
        iterator,
        target,
        converter=convert.concat_examples,
        device=None,
        eval_hook=None,
        eval_func=None,
        **kwargs,
    ):
        from ... import backend

        progress_bar = kwargs.pop("progress_bar", False)
        if kwargs:
            raise TypeError(f"Evaluator: unexpected arguments {sorted(kwargs)}")
        if device is not None:
            device = backend.get_device(device)
        if isinstance(iterator, Iterator) or not isinstance(iterator, dict):
            iterator = {"main": iterator}
        self._iterators = iterator
        if isinstance(target, Link):
            target = {"main": target}
        self._targets = target
        self.converter = converter
        self.device = device
        self.eval_hook = eval_hook
        self.eval_func = eval_func
        self._progress_bar = progress_bar
        from ... import iterators

        known = (
            iterators.SerialIterator,
            iterators.MultiprocessIterator,
            iterators.MultithreadIterator,
        )
        for key, it in iterator.items():
            if isinstance(it, known) and getattr(it, "repeat", False):
                warnings.warn(
                    f"The `repeat` property of the iterator {key} is set to `True`. "
                    "Typically, the evaluator sweeps over iterators until they stop, but as "
                    "the property being `True`, this iterator might not stop and evaluation "
                    "could go into an infinite loop. We recommend to check the configuration "
                    "of iterators",
                    stacklevel=2,
                )

    def get_iterator(self, name):
        return self._iterators[name]

    def get_all_iterators(self):
        return dict(self._iterators)

    def get_target(self, name):
        return self._targets[name]

    def get_all_targets(self):
        return dict(self._targets)

    def __call__(self, trainer=None):
        """Evaluate and report the means into the current reporter; returns them."""
        reporter = reporter_module.Reporter()
        prefix = self.name + "/" if self.name is not None else ""
        for name, target in self._targets.items():
            reporter.add_observer(prefix + name, target)
            reporter.add_observers(prefix + name, target.namedlinks(skipself=True))
        with reporter:
            with configuration.using_config("train", False):
                result = self.evaluate()
        reporter_module.report(result)
        return result

    def evaluate(self):
        """The mean of each reported value over one pass of the iterator."""
        iterator = self._iterators["main"]
        eval_func = self.eval_func or self._targets["main"]
        if self.eval_hook:
            self.eval_hook(self)
        if hasattr(iterator, "reset"):
            iterator.reset()
            it = iterator
        else:
            warnings.warn(
                "This iterator does not have the reset method. Evaluator copies the iterator "
                "instead of resetting. This behavior is deprecated. Please implement the "
                "reset method.",
                DeprecationWarning,
                stacklevel=2,
            )
            it = copy.copy(iterator)
        summary = reporter_module.DictSummary()
        pbar = _IteratorProgressBar(it) if self._progress_bar else None
        for batch in it:
            observation = {}
            with reporter_module.report_scope(observation):
                in_arrays = _call_converter(self.converter, batch, self.device)
                with configuration.no_backprop_mode():
                    if isinstance(in_arrays, tuple):
                        eval_func(*in_arrays)
                    elif isinstance(in_arrays, dict):
                        eval_func(**in_arrays)
                    else:
                        eval_func(in_arrays)
            summary.add(observation)
            if pbar is not None:
                pbar.update()
        if pbar is not None:
            pbar.close()
        return summary.compute_mean()

    def finalize(self):
        for it in self._iterators.values():
            it.finalize()


class _IteratorProgressBar(ProgressBar):
    def __init__(self, iterator, bar_length=None, out=None):
        if not (hasattr(iterator, "current_position") and hasattr(iterator, "epoch_detail")):
            raise TypeError(
                "Iterator must have the following attributes to enable a progress bar: "
                "current_position, epoch_detail"
            )
        self._iterator = iterator
        super().__init__(bar_length=bar_length, out=out)

    def get_lines(self):
        iteration = self._iterator.current_position
        epoch_detail = self._iterator.epoch_detail
        epoch_size = getattr(self._iterator, "_epoch_size", None)
        marks = "#" * int(epoch_detail * self._bar_length)
        lines = [
            "validation [{}{}] {:6.2%}\n".format(
                marks, "." * (self._bar_length - len(marks)), epoch_detail
            )
        ]
        if epoch_size:
            lines.append(f"{iteration:10} / {epoch_size} iterations\n")
        else:
            lines.append(f"{iteration:10} iterations\n")
        speed_t, speed_e = self.update_speed(iteration, epoch_detail)
        estimated = (1.0 - epoch_detail) / speed_e if speed_e else 0.0
        lines.append(
            f"{speed_t:10.5g} iters/sec. Estimated time to finish: "
            f"{datetime.timedelta(seconds=estimated)}.\n"
        )
        return lines
