"""``FailOnNonNumber``: stop when a parameter becomes NaN or infinite."""

from __future__ import annotations

from .. import extension


class FailOnNonNumber(extension.Extension):
    """Raises a RuntimeError when any parameter of any optimizer's target is not finite."""

    def __call__(self, trainer):
        for name, optimizer in trainer.updater.get_all_optimizers().items():
            target = optimizer.target
            xp = target.xp
            for param in target.params():
                if not xp.isfinite(param.array).all():
                    raise RuntimeError(
                        f"Kill the process since parameters in optimizer '{name}' diverge. R.I.P."
                    )
