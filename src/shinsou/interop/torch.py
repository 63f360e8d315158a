"""PyTorch's ``torch.save`` files, read and written without importing torch.

Since PyTorch 1.6, ``torch.save(obj, path)`` writes a zip archive (entries stored, not
compressed)::

    <name>/data.pkl          the object, pickled; each tensor is a call
                             torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
                                                             requires_grad, hooks[, metadata])
                             (_rebuild_tensor_v3(storage, ..., hooks, dtype[, metadata]) for
                             the dtypes without a typed storage class: uint16/32/64, float8...)
    <name>/data/<key>        the raw bytes of each storage, in the byte order of
    <name>/byteorder         ("little" when absent)
    <name>/version           the format version ("3")

and the pickle refers to each storage by a *persistent id*
``("storage", torch.FloatStorage, key, location, numel)`` (``torch.storage.UntypedStorage``
and its size in bytes for a v3 tensor), so the bytes stay outside it.

A pickle can run any function it names, so ``load_torch`` never unpickles freely: its
unpickler knows only ``collections.OrderedDict``, ``_rebuild_tensor_v2`` and ``_v3``,
``_rebuild_parameter``, the storage classes and torch's dtypes, and refuses every other
global with an error (the built-in containers, numbers and strings need no global and load
as usual).
``save_torch`` writes the archive and the protocol-2 pickle opcode by opcode, so PyTorch's
own safe loader, ``torch.load(path, weights_only=True)``, reads it.

>>> import os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "net.pt")
>>> net = ss.nn.Linear(3, 2)
>>> save_torch(net, p)
>>> state = load_torch(p)
>>> sorted(state), state["weight"].shape, state["weight"].dtype
(['bias', 'weight'], (2, 3), dtype('float32'))
>>> net.load_state_dict(state)
([], [])
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..core.tensor import Tensor
from ..serialization import CorruptFileError

__all__ = ["load_torch", "save_torch", "UnsafePickleError", "UnsupportedDTypeError"]

# torch's legacy typed-storage classes name the element type of each storage
_STORAGES = {
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "BFloat16Storage": "bf16",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "b1", "ComplexFloatStorage": "c8",
    "ComplexDoubleStorage": "c16",
}  # fmt: skip
_STORAGE_OF = {np.dtype(v): k for k, v in _STORAGES.items() if v != "bf16"}
# the NumPy dtypes save_torch writes as v3 tensors
_V3_OF = {np.dtype("u2"): "uint16", np.dtype("u4"): "uint32", np.dtype("u8"): "uint64"}
# the dtypes a v3 tensor names (``torch.uint16``...): NumPy's type, "bf16", or None for those
# NumPy has no type for
_TORCH_DTYPES = {
    "float32": "f4", "float64": "f8", "float16": "f2", "bfloat16": "bf16", "int64": "i8",
    "int32": "i4", "int16": "i2", "int8": "i1", "uint8": "u1", "bool": "b1", "uint16": "u2",
    "uint32": "u4", "uint64": "u8", "float8_e4m3fn": None, "float8_e5m2": None,
    "float8_e4m3fnuz": None, "float8_e5m2fnuz": None, "float8_e8m0fnu": None,
    "complex64": "c8", "complex128": "c16", "complex32": None,
}  # fmt: skip
# the pickle that torch.save (since 1.6) writes: a legacy file starts with this magic number
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


class UnsafePickleError(pickle.UnpicklingError):
    """A ``torch.save`` file whose pickle names something other than tensors and dicts (it
    could run code when loaded), refused unread."""


class _StorageType:
    """Stands for ``torch.FloatStorage`` and its kin in a pickle: the element type (bytes for
    ``torch.storage.UntypedStorage``, whose tensors name their dtype)."""

    def __init__(self, name: str):
        self.name = name
        code = "u1" if name == "UntypedStorage" else _STORAGES[name]
        self.bfloat16 = code == "bf16"
        self.dtype = np.dtype("u2" if self.bfloat16 else code)


class _TorchDType:
    """Stands for ``torch.uint16`` and its kin in a pickle (a v3 tensor's dtype)."""

    def __init__(self, name: str):
        self.name, self.code = name, _TORCH_DTYPES[name]


class UnsupportedDTypeError(TypeError):
    """A ``torch.save`` file holding a tensor of a dtype NumPy has no type for (float8,
    complex32)."""


class _Storage:
    def __init__(self, array: np.ndarray, bfloat16: bool, order: str = "little"):
        self.array, self.bfloat16, self.order = array, bfloat16, order


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, meta=None):
    """``torch._utils._rebuild_tensor_v2``: the view (offset, size, stride) of a storage, as
    a NumPy array of its own (bfloat16 widened to float32)."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("a tensor whose storage is not a storage record")
    size, stride, offset = tuple(int(s) for s in size), tuple(int(s) for s in stride), int(offset)
    a = storage.array
    native = np.dtype(f"{a.dtype.kind}{a.dtype.itemsize}")  # the file's byte order -> ours
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size + stride):
        raise pickle.UnpicklingError(f"a tensor of size {size}, stride {stride}, offset {offset}")
    out = np.empty(size, native)
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= a.size:
            raise pickle.UnpicklingError(
                f"a tensor of size {size}, stride {stride} at offset {offset} reaches beyond "
                f"its storage of {a.size} elements"
            )
        view = np.lib.stride_tricks.as_strided(
            a[offset:], size, tuple(s * a.itemsize for s in stride), writeable=False
        )
        out[...] = view
    if storage.bfloat16:  # bfloat16 is the top half of a float32
        out = (out.astype(np.uint32) << 16).view(np.float32)
    return out


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, meta=None):
    """``torch._utils._rebuild_tensor_v3``: as v2, on an untyped (byte) storage whose
    elements are of the tensor's own ``dtype``."""
    if not isinstance(storage, _Storage) or not isinstance(dtype, _TorchDType):
        raise pickle.UnpicklingError("a v3 tensor without a byte storage and a dtype")
    raw = storage.array  # bytes, in the file's order: reread as the dtype's elements
    bfloat16 = dtype.code == "bf16"
    want = np.dtype("u2" if bfloat16 else dtype.code)
    want = want.newbyteorder("<" if storage.order == "little" else ">")
    if raw.dtype.itemsize != 1 or raw.size % want.itemsize:
        raise pickle.UnpicklingError(
            f"a storage of {raw.size} bytes holds no whole number of {dtype.name} elements"
        )
    typed = _Storage(raw.view(want), bfloat16)
    return _rebuild_tensor(typed, offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data  # ``torch._utils._rebuild_parameter``: a Parameter is its data here


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf: zipfile.ZipFile, prefix: str, order: str, path):
        super().__init__(file)
        self.zf, self.prefix, self.order, self.path = zf, prefix, order, path
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGES:
            return _StorageType(name)
        if (module, name) == ("torch.storage", "UntypedStorage"):
            return _StorageType(name)
        if module == "torch" and name in _TORCH_DTYPES:
            if _TORCH_DTYPES[name] is None:
                raise UnsupportedDTypeError(
                    f"{self.path}: holds a tensor of dtype torch.{name}, which NumPy has no "
                    "type for; convert it in PyTorch first (e.g. .float()) and save again"
                )
            return _TorchDType(name)
        raise UnsafePickleError(
            f"{self.path}: refusing to load the global {module}.{name}: a state_dict file holds "
            "only tensors, dicts, lists, numbers and strings (an arbitrary pickle could run "
            "code, so it is never executed)"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise UnsafePickleError(f"{self.path}: unknown persistent record {pid!r:.80}")
        kind, key, _location, numel = pid[1:]
        if not isinstance(kind, _StorageType):
            raise UnsafePickleError(f"{self.path}: storage {key!r} of unknown type")
        key = str(key)
        if key not in self.storages:
            dtype = kind.dtype.newbyteorder("<" if self.order == "little" else ">")
            try:
                raw = self.zf.read(f"{self.prefix}data/{key}")
            except KeyError:
                raise CorruptFileError(f"{self.path}: storage data/{key} is missing") from None
            if len(raw) < int(numel) * dtype.itemsize:
                raise CorruptFileError(
                    f"{self.path}: storage data/{key} has {len(raw)} bytes, "
                    f"{numel} elements of {kind.name} need {int(numel) * dtype.itemsize}"
                )
            array = np.frombuffer(raw, dtype=dtype, count=int(numel))
            self.storages[key] = _Storage(array, kind.bfloat16, self.order)
        return self.storages[key]


def load_torch(path) -> dict:
    """Read a file written by ``torch.save(state_dict, path)`` into NumPy arrays, without
    importing torch (and without executing the pickle: anything but tensors, dicts, lists,
    numbers and strings is refused with ``UnsafePickleError``).

    Tensors of float32, float64, float16, int64, int32, int16, int8, uint8, uint16, uint32,
    uint64, bool, complex64 and complex128 come back in that dtype, bfloat16 as float32
    (float8 and complex32 tensors, which NumPy has no type for, raise
    ``UnsupportedDTypeError``); views (a transposed tensor, a slice) are read
    with their strides and offset and come back as arrays of their own. An ``OrderedDict``
    comes back as a plain dict. ``model.load_state_dict(load_torch(path))`` then loads the
    weights of the matching shinsou model (same names and layouts as PyTorch's).

    Raises ``CorruptFileError`` (naming the file) for a truncated or damaged file, and
    ``ValueError`` for the pre-1.6 (non-zip) ``torch.save`` format.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "w.pt")
    >>> save_torch({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, p)
    >>> load_torch(p)["w"]
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    """
    path = Path(path)
    with open(path, "rb") as f:  # FileNotFoundError names the path
        head = f.read(len(_LEGACY_MAGIC))
    if head.startswith(_LEGACY_MAGIC):
        raise ValueError(
            f"{path}: written in the legacy (before PyTorch 1.6) torch.save format, which is "
            "not read; re-save it with a current torch.save"
        )
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        size = os.path.getsize(path)
        raise CorruptFileError(
            f"{path}: not a complete torch.save file ({size} bytes; {e}); the file is truncated "
            "or not a PyTorch checkpoint"
        ) from None
    with zf:
        pkl = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if not pkl:
            raise CorruptFileError(f"{path}: a zip without <name>/data.pkl, not a torch.save file")
        prefix = pkl[0][: -len("data.pkl")]
        try:
            names = set(zf.namelist())
            order = "little"
            if prefix + "byteorder" in names:
                order = zf.read(prefix + "byteorder").decode("ascii").strip()
            if order not in ("little", "big"):
                raise CorruptFileError(f"{path}: unknown byte order {order!r}")
            data = zf.read(pkl[0])
            obj = _Unpickler(io.BytesIO(data), zf, prefix, order, path).load()
        except (UnsafePickleError, CorruptFileError, UnsupportedDTypeError):
            raise
        except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, ValueError) as e:
            detail = str(e)[:120]
            raise CorruptFileError(f"{path}: damaged ({type(e).__name__}: {detail})") from e
    return _plain(obj)


def _plain(obj):
    """OrderedDicts (with torch's ``_metadata`` attribute) as plain dicts, recursively."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_plain(v) for v in obj)
    return obj


# ---------------------------------------------------------------- writing
class _PickleWriter:
    """Protocol-2 pickle opcodes for what a state_dict file holds."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self.storages: list[np.ndarray] = []

    def global_(self, module: str, name: str) -> None:
        self.out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"  # GLOBAL

    def int_(self, n: int) -> None:
        if 0 <= n < 256:
            self.out += b"K" + bytes([n])  # BININT1
        elif 0 <= n < 65536:
            self.out += b"M" + struct.pack("<H", n)  # BININT2
        elif -(2**31) <= n < 2**31:
            self.out += b"J" + struct.pack("<i", n)  # BININT
        else:
            raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(raw)]) + raw  # LONG1

    def str_(self, s: str) -> None:
        raw = s.encode("utf-8")
        self.out += b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE

    def tuple_(self, items) -> None:
        items = list(items)
        if not items:
            self.out += b")"  # EMPTY_TUPLE
            return
        if len(items) > 3:
            self.out += b"("  # MARK
        for v in items:
            self.value(v)
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(items), b"t")  # TUPLEn / TUPLE

    def ordered_dict(self, items: dict, who: str) -> None:
        self.global_("collections", "OrderedDict")
        self.out += b")R"  # OrderedDict() : EMPTY_TUPLE, REDUCE
        self._setitems(items, who)

    def _setitems(self, items: dict, who: str) -> None:
        if items:
            self.out += b"("  # MARK
            for k, v in items.items():
                if not isinstance(k, str | int):
                    raise TypeError(f"{who}: keys must be strings or ints, got {type(k).__name__}")
                self.value(k)
                self.value(v, f"{who}[{k!r}]")
            self.out += b"u"  # SETITEMS

    def tensor(self, a: np.ndarray, who: str) -> None:
        v3 = _V3_OF.get(a.dtype)  # a dtype without a typed storage: bytes + its dtype
        if a.dtype not in _STORAGE_OF and v3 is None:
            raise TypeError(
                f"{who}: PyTorch has no storage for dtype {a.dtype} "
                f"(save float16/32/64, int8/16/32/64, uint8/16/32/64, bool or complex64/128)"
            )
        a = a if a.flags.c_contiguous else np.array(a, order="C")  # (keeps 0-d arrays 0-d)
        key = str(len(self.storages))
        self.storages.append(a)
        stride, acc = [], 1
        for n in reversed(a.shape):
            stride.insert(0, acc)
            acc *= max(n, 1)
        self.global_("torch._utils", "_rebuild_tensor_v3" if v3 else "_rebuild_tensor_v2")
        self.out += b"("  # MARK: the arguments
        self.out += b"("  # MARK: the persistent id of the storage
        self.str_("storage")
        if v3:
            self.global_("torch.storage", "UntypedStorage")
        else:
            self.global_("torch", _STORAGE_OF[a.dtype])
        self.str_(key)
        self.str_("cpu")
        self.int_(a.nbytes if v3 else a.size)  # an untyped storage counts bytes
        self.out += b"tQ"  # TUPLE, BINPERSID
        self.int_(0)  # storage offset
        self.tuple_(a.shape)
        self.tuple_(stride)
        self.out += b"\x89"  # requires_grad: NEWFALSE
        self.ordered_dict({}, who)  # backward hooks
        if v3:
            self.global_("torch", v3)  # the dtype
        self.out += b"tR"  # TUPLE, REDUCE

    def value(self, v, who: str = "save_torch") -> None:
        if isinstance(v, Tensor):
            v = v.numpy()
        elif type(v).__module__.split(".")[0] == "cupy":
            v = v.get()
        if v is None:
            self.out += b"N"
        elif isinstance(v, bool | np.bool_):
            self.out += b"\x88" if v else b"\x89"  # NEWTRUE / NEWFALSE
        elif isinstance(v, int | np.integer):
            self.int_(int(v))
        elif isinstance(v, float | np.floating):
            self.out += b"G" + struct.pack(">d", float(v))  # BINFLOAT
        elif isinstance(v, str):
            self.str_(v)
        elif isinstance(v, np.ndarray):
            self.tensor(v.astype(v.dtype.newbyteorder("="), copy=False), who)
        elif isinstance(v, tuple):
            self.tuple_(v)
        elif isinstance(v, list):
            self.out += b"]"  # EMPTY_LIST
            if v:
                self.out += b"("
                for i, x in enumerate(v):
                    self.value(x, f"{who}[{i}]")
                self.out += b"e"  # APPENDS
        elif isinstance(v, dict):
            self.out += b"}"  # EMPTY_DICT
            self._setitems(v, who)
        else:
            raise TypeError(f"{who}: cannot save a {type(v).__name__} for PyTorch")


def _aligned_writestr(zf: zipfile.ZipFile, name: str, data: bytes, align: int = 64) -> None:
    """Store ``name`` with its data starting at a multiple of ``align`` bytes in the file,
    padding the local header's extra field as torch's writer does (so ``mmap`` loads work)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode("utf-8"))  # 30: the fixed local header
    pad = -(start + 4) % align
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, data)


def save_torch(obj, path) -> None:
    """Write ``obj`` as ``torch.save`` does, for ``torch.load(path, weights_only=True)``,
    without importing torch.

    ``obj``: a module or optimizer (its ``state_dict()`` is saved) or a dict of tensors and
    arrays (nested dicts, lists, tuples, numbers, strings and None are allowed too). The top
    level is saved as an ``OrderedDict``, as PyTorch's ``state_dict`` is. Every array is
    stored contiguous, with its own storage; dtypes float16/32/64, int8/16/32/64,
    uint8/16/32/64, bool and complex64/128. Written atomically (the old file stays until the
    new one is whole).

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "m.pt")
    >>> save_torch({"x": np.ones(2), "n": 3}, p)
    >>> load_torch(p)
    {'x': array([1., 1.]), 'n': 3}
    """
    if callable(getattr(obj, "state_dict", None)):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise TypeError(f"save_torch: expected a module or a dict, got {type(obj).__name__}")
    w = _PickleWriter()
    w.ordered_dict(obj, "save_torch")
    w.out += b"."  # STOP
    path = Path(path)
    name = "archive"
    with atomic_open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        _aligned_writestr(zf, f"{name}/data.pkl", bytes(w.out))
        _aligned_writestr(zf, f"{name}/byteorder", b"little")
        for i, a in enumerate(w.storages):
            raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
            _aligned_writestr(zf, f"{name}/data/{i}", raw)
        _aligned_writestr(zf, f"{name}/version", b"3\n")
