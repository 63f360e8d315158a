"""TensorBoard event files, written without TensorFlow or TensorBoard installed.

An event file is a sequence of TFRecords, each holding one protobuf ``Event`` message:

    record = uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)
    masked_crc32c(b) = ((c >> 15) | (c << 17)) + 0xA282EAD8  (mod 2**32),  c = CRC-32C(b)

(all integers little-endian). The first event holds ``file_version = "brain.Event:2"``; each
later one a ``Summary`` of tagged values: a scalar (``simple_value``), an image (PNG bytes), a
histogram (bucket limits and counts) or a string tensor (the text plugin). The messages are
encoded here by hand with the field numbers of TensorBoard's ``event.proto``,
``summary.proto``, ``histogram.proto`` and ``tensor.proto``::

    Event        wall_time=1 (double), step=2 (int64), file_version=3 (string), summary=5,
                 session_log=7 {status=1 (START = 1)}
    Summary      value=1 (repeated Value)
    Value        tag=1, simple_value=2 (float), image=4, histo=5, tensor=8, metadata=9
    Image        height=1, width=2, colorspace=3, encoded_image_string=4
    Histogram    min=1, max=2, num=3, sum=4, sum_squares=5, bucket_limit=6, bucket=7 (packed)
    Tensor       dtype=1 (DT_STRING = 7), tensor_shape=2, string_val=8
    Metadata     plugin_data=1 {plugin_name=1, content=2}

``SummaryWriter`` has the method names of ``torch.utils.tensorboard.SummaryWriter``, so a
hand-written loop reads as in PyTorch; ``read_events`` reads the files back (checking both
CRCs), for tests and tools that have no TensorBoard.

>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> with SummaryWriter(d) as w:
...     w.add_scalar("train/loss", 0.25, step=1)
>>> [(e["step"], e["scalars"]) for e in read_events(d) if e["scalars"]]
[(1, {'train/loss': 0.25})]
"""

from __future__ import annotations

import os
import socket
import struct
import time
import zlib
from pathlib import Path

import numpy as np

__all__ = ["SummaryWriter", "crc32c", "encode_png", "read_events"]


# ---------------------------------------------------------------- CRC-32C (Castagnoli)
def _crc32c_table() -> list[int]:
    """The 256-entry table of the reflected CRC-32C polynomial 0x82F63B78."""
    k = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        k = np.where(k & 1, (k >> 1) ^ np.uint32(0x82F63B78), k >> 1).astype(np.uint32)
    return [int(v) for v in k]


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (the checksum TFRecords use), one table look-up per byte.

    >>> hex(crc32c(b"123456789"))  # the standard check value
    '0xe3069283'
    """
    crc, table = 0xFFFFFFFF, _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(data: bytes) -> bytes:
    """One TFRecord around ``data``."""
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", _masked_crc(length))
        + data
        + struct.pack("<I", _masked_crc(data))
    )


# ---------------------------------------------------------------- protobuf encoding
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64s are ten-byte two's complement varints
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, n: int) -> bytes:  # wire type 0: varint
    return _key(field, 0) + _varint(int(n))


def _double(field: int, x: float) -> bytes:  # wire type 1: 64-bit
    return _key(field, 1) + struct.pack("<d", float(x))


def _float(field: int, x: float) -> bytes:  # wire type 5: 32-bit
    return _key(field, 5) + struct.pack("<f", float(x))


def _bytes(field: int, b: bytes | str) -> bytes:  # wire type 2: length-delimited
    if isinstance(b, str):
        b = b.encode("utf-8")
    return _key(field, 2) + _varint(len(b)) + b


def _packed_doubles(field: int, xs) -> bytes:
    return _bytes(field, np.asarray(xs, dtype="<f8").tobytes())


def _event(step: int, *, summary: bytes | None = None, file_version: str | None = None):
    msg = _double(1, time.time()) + _int(2, step)
    if file_version is not None:
        msg += _bytes(3, file_version)
    if summary is not None:
        msg += _bytes(5, summary)
    return msg


# ---------------------------------------------------------------- PNG
def encode_png(image) -> bytes:
    """PNG bytes of an 8-bit image: (H, W) grayscale, (H, W, 3) RGB or (H, W, 4) RGBA.

    Written with ``zlib`` only: the signature, an IHDR chunk, one IDAT chunk (every row with
    filter type 0) and IEND, each chunk with its CRC-32.

    >>> encode_png(np.zeros((2, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    a = np.asarray(image)
    if a.dtype != np.uint8 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(
            f"encode_png: expected uint8 (H, W), (H, W, 3) or (H, W, 4), got {a.dtype} {a.shape}"
        )
    h, w = a.shape[:2]
    color = {1: 0, 3: 2, 4: 6}[1 if a.ndim == 2 else a.shape[2]]  # gray, RGB, RGBA

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = np.ascontiguousarray(a).reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _png_size(png: bytes) -> tuple[int, int, int]:
    """(height, width, channels) from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("add_png: the bytes are not a PNG image")
    w, h, _, color = struct.unpack(">IIBB", png[16:26])
    return h, w, {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(color, 3)


def to_uint8_image(image, who: str = "add_image") -> np.ndarray:
    """An image array as uint8 (H, W) or (H, W, C): floats are taken to be in [0, 1] and
    clipped, uint8 is kept; (C, H, W) with C in 1, 3, 4 is moved to channels-last."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] not in (1, 3, 4):
        a = np.moveaxis(a, 0, -1)  # CHW -> HWC
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"{who}: expected an image (H, W), (H, W, C) or (C, H, W), got {a.shape}")
    if a.dtype != np.uint8:
        a = np.round(np.clip(np.nan_to_num(a.astype(np.float64)), 0, 1) * 255).astype(np.uint8)
    return a


# ---------------------------------------------------------------- the writer
class SummaryWriter:
    """Write scalars, histograms, images and text to a new event file in ``logdir``.

    The file is ``logdir/events.out.tfevents.<time>.<host>`` (TensorBoard reads every such
    file in the folder); each record is flushed as it is written, so a running
    ``tensorboard --logdir`` sees it at once and a crash loses nothing written before.

    Args:
        logdir: the folder (created if needed).

    >>> import tempfile
    >>> w = SummaryWriter(tempfile.mkdtemp())
    >>> w.add_histogram("w", np.arange(10.0), step=0, bins=5)
    >>> w.add_text("note", "hello", step=0)
    >>> w.close()
    >>> [sorted(e["histograms"]) + sorted(e["texts"]) for e in read_events(w.logdir)][1:]
    [['w'], ['note']]
    """

    def __init__(self, logdir):
        self._file = None  # (so that __del__ works even if the folder cannot be made)
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        base = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
        path, k = self.logdir / base, 1
        while path.exists():  # two writers within one second: never append to another's file
            path, k = self.logdir / f"{base}.{os.getpid()}.{k}", k + 1
        self.path = path
        self._file = open(path, "xb")  # noqa: SIM115 (closed by close())
        self._write(_event(0, file_version="brain.Event:2"))

    # --- records ----------------------------------------------------------------------
    def _write(self, event: bytes) -> None:
        if self._file is None:
            raise ValueError(f"SummaryWriter: {self.path} is closed")
        self._file.write(_record(event))
        self._file.flush()

    def _summary(self, step: int, value: bytes) -> None:
        self._write(_event(int(step), summary=_bytes(1, value)))

    # --- what can be written ------------------------------------------------------------
    def add_scalar(self, tag: str, value: float, step: int = 0) -> None:
        """A number (stored as float32, TensorBoard's ``simple_value``)."""
        self._summary(step, _bytes(1, tag) + _float(2, float(value)))

    def add_scalars(self, values: dict, step: int = 0) -> None:
        """Several numbers at one step, in one event: ``{tag: value}``."""
        msg = b"".join(_bytes(1, _bytes(1, t) + _float(2, float(v))) for t, v in values.items())
        self._write(_event(int(step), summary=msg))

    def add_histogram(self, tag: str, values, step: int = 0, bins: int = 30) -> None:
        """The distribution of ``values`` (any shape; NaN and inf are left out) in ``bins``
        equal-width buckets: TensorBoard's bucket ``i`` counts values in
        (bucket_limit[i-1], bucket_limit[i]], so the limits are the bins' right edges."""
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        v = v[np.isfinite(v)]
        if v.size == 0:
            lo = hi = 0.0
            counts, limits = np.zeros(1), np.zeros(1)
        else:
            lo, hi = float(v.min()), float(v.max())
            counts, edges = np.histogram(v, bins=int(bins), range=(lo, hi) if hi > lo else None)
            limits = edges[1:]
        histo = (
            _double(1, lo)
            + _double(2, hi)
            + _double(3, v.size)
            + _double(4, v.sum())
            + _double(5, np.dot(v, v))
            + _packed_doubles(6, limits)
            + _packed_doubles(7, counts)
        )
        self._summary(step, _bytes(1, tag) + _bytes(5, histo))

    def add_png(self, tag: str, png: bytes, step: int = 0) -> None:
        """An image given as PNG bytes (a file the run wrote: ``path.read_bytes()``)."""
        h, w, c = _png_size(png)
        image = _int(1, h) + _int(2, w) + _int(3, c) + _bytes(4, png)
        self._summary(step, _bytes(1, tag) + _bytes(4, image))

    def add_image(self, tag: str, image, step: int = 0) -> None:
        """An image array: (H, W), (H, W, C) or (C, H, W); floats in [0, 1] or uint8."""
        self.add_png(tag, encode_png(to_uint8_image(image)), step)

    def add_session_start(self, step: int) -> None:
        """Mark a restart at ``step`` (``session_log { status: START }``): TensorBoard then
        drops the events of earlier files with a step at or after it, the orphans of a run
        that crashed after its last snapshot and was resumed from it."""
        self._write(_event(int(step)) + _bytes(7, _int(1, 1)))

    def add_text(self, tag: str, text: str, step: int = 0) -> None:
        """Markdown text for TensorBoard's Text tab: a scalar string tensor tagged for the
        ``text`` plugin."""
        tensor = _int(1, 7) + _bytes(2, b"") + _bytes(8, text)  # DT_STRING, shape [], value
        meta = _bytes(1, _bytes(1, "text"))  # plugin_data { plugin_name: "text" }
        self._summary(step, _bytes(1, tag) + _bytes(8, tensor) + _bytes(9, meta))

    # --- closing ------------------------------------------------------------------------
    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def closed(self) -> bool:
        return self._file is None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()


# ---------------------------------------------------------------- reading back
def _fields(buf: bytes):
    """(field number, wire type, value) of a protobuf message: ints for varints and fixed
    widths, bytes for length-delimited fields."""
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        elif wire == 2:
            n, i = _read_varint(buf, i)
            value, i = buf[i : i + n], i + n
        else:
            raise ValueError(f"read_events: unsupported protobuf wire type {wire}")
        yield field, wire, value


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _parse_value(v: bytes, out: dict) -> None:
    f = {}
    for field, _, value in _fields(v):
        f[field] = value
    tag = f.get(1, b"").decode("utf-8")
    if 2 in f:
        out["scalars"][tag] = struct.unpack("<f", f[2])[0]
    elif 4 in f:
        img = {k: v for k, _, v in _fields(f[4])}
        out["images"][tag] = {"height": img.get(1), "width": img.get(2), "png": img.get(4)}
    elif 5 in f:
        h = {k: v for k, _, v in _fields(f[5])}
        dbl = lambda k: struct.unpack("<d", h[k])[0] if k in h else 0.0  # noqa: E731
        out["histograms"][tag] = {
            "min": dbl(1),
            "max": dbl(2),
            "num": dbl(3),
            "sum": dbl(4),
            "sum_squares": dbl(5),
            "bucket_limit": np.frombuffer(h.get(6, b""), "<f8").tolist(),
            "bucket": np.frombuffer(h.get(7, b""), "<f8").tolist(),
        }
    elif 8 in f:
        strings = [v for k, _, v in _fields(f[8]) if k == 8]
        out["texts"][tag] = b"".join(strings).decode("utf-8")


def read_events(path) -> list[dict]:
    """The events of one event file, or of every ``*tfevents*`` file in a folder (in name
    order): dicts ``{"wall_time", "step", "file_version", "scalars", "images",
    "histograms", "texts"}``. Both CRCs of every record are checked; a torn last record
    (a crash mid-write) ends the file's events."""
    path = Path(path)
    files = sorted(path.glob("*tfevents*")) if path.is_dir() else [path]
    events = []
    for file in files:
        data = file.read_bytes()
        i = 0
        while i + 12 <= len(data):
            header = data[i : i + 8]
            (n,) = struct.unpack("<Q", header)
            if struct.unpack("<I", data[i + 8 : i + 12])[0] != _masked_crc(header):
                raise ValueError(f"{file}: record at byte {i}: length CRC mismatch")
            if i + 16 + n > len(data):
                break
            body = data[i + 12 : i + 12 + n]
            if struct.unpack("<I", data[i + 12 + n : i + 16 + n])[0] != _masked_crc(body):
                raise ValueError(f"{file}: record at byte {i}: data CRC mismatch")
            i += 16 + n
            ev = {"wall_time": 0.0, "step": 0, "file_version": None, "scalars": {},
                  "images": {}, "histograms": {}, "texts": {}}  # fmt: skip
            for field, _, value in _fields(body):
                if field == 1:
                    ev["wall_time"] = struct.unpack("<d", value)[0]
                elif field == 2:
                    ev["step"] = value - (1 << 64) if value >= 1 << 63 else value
                elif field == 3:
                    ev["file_version"] = value.decode("utf-8")
                elif field == 5:
                    for sfield, _, v in _fields(value):
                        if sfield == 1:
                            _parse_value(v, ev)
            events.append(ev)
    return events
