"""``Upsample``: resize feature maps by a size or a scale factor (nearest or bilinear)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Upsample"]


class Upsample(Module):
    """Resize (N, C, H, W) feature maps to a fixed ``size`` or by ``scale_factor``, as
    ``torch.nn.Upsample`` (see ``F.interpolate`` for the index rules and formulas).

    Args:
        size: output (OH, OW) or an int; exclusive with ``scale_factor``.
        scale_factor: a float or an (h, w) pair: output (⌊H·sh⌋, ⌊W·sw⌋).
        mode: "nearest" (each output copies the input pixel it falls in) or "bilinear".
        align_corners: "bilinear" only; True lines up the corner pixels of input and output,
            False (the default) their pixel centres.
    Shapes:
        x: (N, C, H, W) -> y: (N, C, OH, OW).

    >>> up = ss.nn.Upsample(scale_factor=2)
    >>> up
    Upsample(scale_factor=2.0, mode='nearest')
    >>> up(ss.ones(1, 3, 4, 5)).shape
    (1, 3, 8, 10)
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError(
                f"Upsample: give exactly one of size and scale_factor, got size={size!r} and "
                f"scale_factor={scale_factor!r}"
            )
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"Upsample: mode must be 'nearest' or 'bilinear', got {mode!r}")
        if mode == "nearest" and align_corners is not None:
            raise ValueError("Upsample: align_corners can only be set with mode='bilinear'")
        self.size = tuple(size) if isinstance(size, (list, tuple)) else size
        if isinstance(scale_factor, (list, tuple)):
            scale_factor = tuple(float(s) for s in scale_factor)
        elif scale_factor is not None:
            scale_factor = float(scale_factor)
        self.scale_factor = scale_factor
        self.mode, self.align_corners = mode, align_corners

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"{self!r} expected input (N, C, H, W), got {x.shape}")
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        s = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return s + f", mode={self.mode!r}"  # PyTorch's repr (it leaves out align_corners)
