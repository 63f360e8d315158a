"""Rosenblatt's perceptron (1958) and its learning rule."""

from __future__ import annotations

import warnings

import numpy as np

from .. import functional as F
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..creation import zeros
from ..nn.module import Module
from ..nn.parameter import Parameter

__all__ = ["Perceptron", "NotConvergedWarning"]


class NotConvergedWarning(UserWarning):
    """The perceptron rule stopped without separating the data."""


class Perceptron(Module):
    """A single threshold unit: y = step(w·x + b) = 1 if w·x + b > 0 else 0.

    Trained by Rosenblatt's rule, one example at a time (online):
        w ← w + η (d − y) x,   b ← b + η (d − y)
    which changes the weights only on mistakes. If the two classes can be split by a line
    (hyperplane) the rule converges in finitely many updates (Novikoff 1962); if not — XOR is
    the classic case — it never does, and ``fit`` says so.

    Args:
        in_features: length of each input vector.
    Shapes:
        x: (N, in_features) -> y: (N,) of 0/1.

    >>> import shinsou as ss
    >>> p = ss.models.Perceptron(2)
    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> p.fit(X, [0, 0, 0, 1])          # AND
    True
    >>> p.predict(X).tolist()
    [0.0, 0.0, 0.0, 1.0]
    """

    def __init__(self, in_features: int):
        super().__init__()
        self.in_features = in_features
        self.weight = Parameter(zeros(in_features), requires_grad=False)
        self.bias = Parameter(zeros(()), requires_grad=False)

    def forward(self, x) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32))
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Perceptron({self.in_features}) expected input (N, {self.in_features}), "
                f"got {x.shape}"
            )
        return F.step(F.matmul(x, self.weight) + self.bias)

    def predict(self, x) -> Tensor:
        with no_grad():
            return self.forward(x)

    def fit(self, x, d, lr: float = 1.0, max_epochs: int = 100) -> bool:
        """Apply the perceptron rule, online, until an epoch makes no mistake.

        Returns True when it converged (every example classified correctly) and False — with
        a ``NotConvergedWarning`` explaining why — when ``max_epochs`` passed without that.
        ``self.history`` holds the number of mistakes in each epoch.
        """
        X = np.asarray(x.numpy() if isinstance(x, Tensor) else x, dtype=np.float32)
        D = np.asarray(d.numpy() if isinstance(d, Tensor) else d, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.in_features or D.shape != (X.shape[0],):
            raise ValueError(
                f"Perceptron.fit expected x (N, {self.in_features}) and d (N,), "
                f"got {X.shape}, {D.shape}"
            )
        if not np.isin(D, (0, 1)).all():
            raise ValueError("Perceptron.fit expected targets d in {0, 1}")
        w = self.weight.numpy().copy()
        b = float(self.bias.item())
        self.history = []
        for _ in range(max_epochs):
            mistakes = 0
            for xn, dn in zip(X, D):
                y = 1.0 if xn @ w + b > 0 else 0.0
                if y != dn:
                    w += lr * (dn - y) * xn
                    b += lr * (dn - y)
                    mistakes += 1
            self.history.append(mistakes)
            if mistakes == 0:
                break
        self.weight.array = self.weight.xp.asarray(w)
        self.bias.array = self.bias.xp.asarray(b, dtype=np.float32)
        if self.history[-1]:
            warnings.warn(
                f"Perceptron did not converge in {max_epochs} epochs ({self.history[-1]} "
                "mistakes in the last): the classes are not linearly separable (as in XOR), so "
                "no line w·x + b = 0 splits them. Use a hidden layer (an MLP) instead.",
                NotConvergedWarning,
                stacklevel=2,
            )
            return False
        return True

    def extra_repr(self):
        return f"in_features={self.in_features}"
