"""Weights in other frameworks' files: PyTorch's ``torch.save`` format (read and written
without importing torch) in ``shinsou.interop.torch``; safetensors is in
``shinsou.serialization`` (``save_safetensors`` / ``load_safetensors``)."""

from .torch import UnsafePickleError, UnsupportedDTypeError, load_torch, save_torch  # noqa: F401
