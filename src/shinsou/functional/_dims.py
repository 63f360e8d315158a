"""``dim``/``keepdim`` (PyTorch) and ``axis``/``keepdims`` (NumPy): two spellings, one meaning.

Every op that takes a dimension accepts both spellings as keywords; giving both is an error,
so that ``x.sum(dim=0, axis=1)`` cannot silently pick one of them.
"""

from __future__ import annotations


def pick_dim(op: str, dim, axis, default=None, names=("dim", "axis")):
    """The dimension argument given as ``dim`` or as its alias ``axis`` (not both).

    ``default`` is the value ``dim`` has when the caller did not pass it.

    >>> pick_dim("sum", None, 1), pick_dim("sum", 0, None)
    (1, 0)
    """
    if axis is None:
        return dim
    if dim is not None and not (dim is default or (type(dim) is int and dim == default)):
        raise TypeError(
            f"{op}: got both {names[0]}={dim!r} and {names[1]}={axis!r}; they are two "
            f"spellings of the same argument ({names[1]} is NumPy's name for {names[0]}): "
            "pass one"
        )
    return axis


def pick_keepdim(op: str, keepdim, keepdims) -> bool:
    """``keepdim`` or its alias ``keepdims`` (not both set)."""
    if keepdims is None:
        return bool(keepdim)
    if keepdim:
        raise TypeError(
            f"{op}: got both keepdim={keepdim!r} and keepdims={keepdims!r}; they are two "
            "spellings of the same argument (keepdims is NumPy's name for keepdim): pass one"
        )
    return bool(keepdims)
