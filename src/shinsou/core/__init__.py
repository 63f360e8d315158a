"""Tensor, the autograd engine, grad modes and gradcheck."""

from .function import Function, unbroadcast  # noqa: F401
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .gradcheck import gradcheck  # noqa: F401
from .tensor import Tensor, tensor  # noqa: F401
