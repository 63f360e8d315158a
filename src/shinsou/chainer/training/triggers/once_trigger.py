"""``OnceTrigger``: fires once (and again after a resume when ``call_on_resume``)."""

from __future__ import annotations

import warnings


class OnceTrigger:
    """Fires at its first call only (and at the first call after loading a snapshot when
    ``call_on_resume=True``)."""

    def __init__(self, call_on_resume=False):
        self._flag_first = True
        self._flag_resumed = call_on_resume

    @property
    def finished(self):
        return not (self._flag_first or self._flag_resumed)

    def __call__(self, trainer):
        fire = not self.finished
        self._flag_resumed = False
        self._flag_first = False
        return fire

    def serialize(self, serializer):
        try:
            self._flag_first = serializer("_flag_first", self._flag_first)
        except KeyError:
            warnings.warn("The flag is not saved.", stacklevel=2)
            self._flag_first = False
