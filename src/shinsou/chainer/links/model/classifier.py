"""``L.Classifier``: a predictor with a loss (and accuracy) that it reports."""

from __future__ import annotations

from ... import functions as F
from ...link import Chain
from ...reporter import report


class Classifier(Chain):
    """``model(x, t)`` computes ``y = predictor(x)``, ``loss = lossfun(y, t)`` and
    ``accuracy = accfun(y, t)`` (if ``compute_accuracy``), reports ``loss`` and
    ``accuracy`` through ``chainer.report`` (so a Trainer logs ``main/loss``), and returns
    the loss. ``y``, ``loss`` and ``accuracy`` stay as attributes.

    Args:
        predictor: the Link that maps inputs to scores.
        lossfun: default ``F.softmax_cross_entropy``.
        accfun: default ``F.accuracy``.
        label_key: which argument is the label (an int position, or a keyword name).

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> model = L.Classifier(L.Linear(4, 3))
    >>> loss = model(np.zeros((2, 4), np.float32), np.array([0, 1], np.int32))
    >>> round(float(loss.array), 4), float(model.accuracy.array)
    (1.0986, 0.5)
    """

    compute_accuracy = True

    def __init__(self, predictor, lossfun=F.softmax_cross_entropy, accfun=F.accuracy, label_key=-1):
        if not isinstance(label_key, (int, str)):
            raise TypeError(
                f"Classifier: label_key must be an int or a str, got {type(label_key).__name__}"
            )
        super().__init__()
        self.lossfun = lossfun
        self.accfun = accfun
        self.y = None
        self.loss = None
        self.accuracy = None
        self.label_key = label_key
        with self.init_scope():
            self.predictor = predictor

    def forward(self, *args, **kwargs):
        if isinstance(self.label_key, int):
            if not -len(args) <= self.label_key < len(args):
                raise ValueError(
                    f"Classifier: label_key {self.label_key} is out of the {len(args)} arguments"
                )
            t = args[self.label_key]
            if self.label_key == -1:
                args = args[:-1]
            else:
                args = args[: self.label_key] + args[self.label_key + 1 :]
        else:
            if self.label_key not in kwargs:
                raise ValueError(
                    f"Classifier: label_key {self.label_key!r} is not among the keyword arguments"
                )
            t = kwargs.pop(self.label_key)
        self.y = None
        self.loss = None
        self.accuracy = None
        self.y = self.predictor(*args, **kwargs)
        self.loss = self.lossfun(self.y, t)
        report({"loss": self.loss}, self)
        if self.compute_accuracy:
            self.accuracy = self.accfun(self.y, t)
            report({"accuracy": self.accuracy}, self)
        return self.loss
