"""Reading IDX files, the format MNIST and Fashion-MNIST are published in.

An IDX file is a 4-byte magic ``00 00 <dtype code> <ndim>``, ``ndim`` big-endian uint32 sizes,
then the data, big-endian, in C order. The published files are gzipped.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["read_idx"]

_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not (told apart by the gzip magic bytes ``1f 8b``).

    Args:
        path: the file.

    Returns:
        An array of the file's shape (e.g. (N, 28, 28) for images, (N,) for labels) and dtype
        (uint8, int8, int16, int32, float32 or float64, in native byte order).

    Raises:
        ValueError: the file is not valid gzip, not IDX, or truncated; the message names it.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "tiny-idx2-ubyte"
    >>> _ = f.write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6)))
    >>> read_idx(f)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            raise ValueError(f"{path}: corrupt or truncated gzip file ({e})") from e

    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _DTYPES:
        raise ValueError(
            f"{path}: not an IDX file (magic bytes {raw[:4].hex(' ') or 'missing'}; expected "
            f"00 00 <type code {', '.join(f'{c:02x}' for c in _DTYPES)}> <ndim>)"
        )
    dtype, ndim = _DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path}: IDX header for {ndim} dimensions is missing or truncated")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = math.prod(shape) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        what = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(
            f"{path}: IDX data {what}: shape {shape} of {dtype.name} needs {expected:,} bytes, "
            f"got {got:,}"
        )
    # astype copies into a writable, native-byte-order array.
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
