"""``Parameter``: a Tensor that a Module registers as trainable."""

from __future__ import annotations

from ..core.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor with ``requires_grad=True`` that Modules collect in ``parameters()``.

    >>> import shinsou as ss
    >>> p = ss.nn.Parameter(ss.zeros(2, 3))
    >>> p.requires_grad, p.shape
    (True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
