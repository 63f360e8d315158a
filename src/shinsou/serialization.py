"""Save and load models, optimizers and training snapshots to one ``.npz`` or ``.safetensors``.

Every array in the saved structure becomes one entry named by its path (``model/fc1.weight``,
``optimizer/state/0/exp_avg``); everything else (ints of any size, floats, strings, None,
lists, tuples, dicts with any keys) is JSON with placeholders for the arrays. Writes are
atomic, and a SHA-256 over everything saved lets ``load`` refuse damaged files.

The checksum (``format_version`` 2) covers the structure JSON, the user metadata, the other
``shinsou.*`` entries, every array's name, dtype and shape, and the array bytes, so a changed
epoch number or hyperparameter is refused like a flipped weight. Files of ``format_version``
1 (shinsou before this) still load; their checksum covers the array bytes only.

>>> import os, tempfile
>>> tmp = tempfile.mkdtemp()
>>> net = ss.nn.Linear(2, 1)
>>> ss.save({"model": net, "epoch": 3}, os.path.join(tmp, "ckpt.safetensors"))
>>> snap = ss.load(os.path.join(tmp, "ckpt.safetensors"))
>>> snap["epoch"], sorted(snap["model"])
(3, ['bias', 'weight'])
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import zipfile
from pathlib import Path

import numpy as np

from .atomic import atomic_open
from .backend import to_device_array
from .core.tensor import Tensor

__all__ = [
    "CorruptFileError",
    "load",
    "read_metadata",
    "save",
    # issue 19: plain safetensors files, for other tools
    "load_safetensors",
    "save_safetensors",
]

FORMAT_VERSION = 2  # 2: the SHA-256 covers metadata and structure too
_SUFFIXES = (".npz", ".safetensors")
_NPZ_MEMBER = "__shinsou__"
# entry names that np.savez would take as its own keyword arguments, or that the formats
# reserve; an array whose path is one of these is stored under a suffixed name instead
_RESERVED = {"file", "allow_pickle", _NPZ_MEMBER, "__metadata__"}
_ST_DTYPES = {
    "BOOL": "|b1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "U16": "<u2", "I32": "<i4",
    "U32": "<u4", "I64": "<i8", "U64": "<u8", "F16": "<f2", "F32": "<f4", "F64": "<f8",
}  # fmt: skip
_ST_NAMES = {np.dtype(v): k for k, v in _ST_DTYPES.items()}
# read, not written: bfloat16 (the top half of a float32) is widened to float32 on reading
_ST_WIDENED = {"BF16": "<u2"}


class CorruptFileError(ValueError):
    """A checkpoint that is truncated, garbled or fails its checksum, so it cannot be used.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "bad.safetensors")
    >>> _ = open(p, "wb").write(b"\\x10\\x00")
    >>> try:
    ...     ss.load(p)
    ... except CorruptFileError as e:
    ...     print("truncated" in str(e))
    True
    """


def _le_bytes(a: np.ndarray) -> memoryview:
    """The array's little-endian C-order bytes (what safetensors stores and the hash covers)."""
    a = np.asarray(a, dtype=a.dtype.newbyteorder("<"), order="C").reshape(-1)
    return memoryview(a).cast("B")


# ---------------------------------------------------------------- structure <-> JSON
def _encode(obj, path: str, arrays: dict):
    """JSON-able form of ``obj``; arrays go to ``arrays`` and leave a placeholder."""
    if callable(getattr(obj, "state_dict", None)):
        obj = obj.state_dict()  # modules, optimizers, schedulers: save their state
    if isinstance(obj, Tensor):
        obj = obj.numpy()
    elif type(obj).__module__.split(".")[0] == "cupy":
        obj = to_device_array(obj, "cpu")
    if isinstance(obj, (np.ndarray, np.generic)):
        a = np.asarray(obj)
        if a.dtype.hasobject:
            raise TypeError(f"save: '{path}' is an object array, which cannot be saved safely")
        name = base = path or "root"
        i = 0
        while name in arrays or name in _RESERVED:
            i += 1
            name = f"{base}~{i}"
        arrays[name] = a
        # a NumPy scalar comes back as a scalar of its dtype, not as a 0-d array
        return {"$scalar" if isinstance(obj, np.generic) else "$array": name}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        # JSON has no NaN/inf: store those as strings so the JSON stays standard
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    sub = lambda k: f"{path}/{k}" if path else str(k)
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, sub(i), arrays) for i, v in enumerate(obj)]
        return {"$tuple": items} if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: _encode(v, sub(k), arrays) for k, v in obj.items()}
        # int (or other) keys, or keys that look like our tags: store key/value pairs
        pairs = [[_encode(k, sub(k), arrays), _encode(v, sub(k), arrays)] for k, v in obj.items()]
        return {"$dict": pairs}
    raise TypeError(f"save: cannot save '{path or 'root'}' of type {type(obj).__name__}")


def _decode(obj, arrays: dict):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        tag, val = next(iter(obj.items()))
        if tag == "$array":
            return arrays[val]
        if tag == "$scalar":
            return arrays[val][()]
        if tag == "$float":
            return float(val)
        if tag == "$tuple":
            return tuple(_decode(v, arrays) for v in val)
        if tag == "$dict":
            return {_decode(k, arrays): _decode(v, arrays) for k, v in val}
    return {k: _decode(v, arrays) for k, v in obj.items()}


# ---------------------------------------------------------------- formats
def _write_safetensors(f, arrays: dict, meta: dict) -> None:
    header, offset = {}, 0
    for name in arrays:
        a = arrays[name]
        if a.dtype not in _ST_NAMES:
            raise TypeError(f"save: .safetensors cannot store '{name}' of dtype {a.dtype}")
        header[name] = {
            "dtype": _ST_NAMES[a.dtype],
            "shape": list(a.shape),
            "data_offsets": [offset, offset + a.nbytes],
        }
        offset += a.nbytes
    header["__metadata__"] = meta
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data then starts on an 8-byte boundary
    f.write(struct.pack("<Q", len(raw)) + raw)
    for a in arrays.values():
        f.write(_le_bytes(a))


def _write_npz(f, arrays: dict, meta: dict, compress: bool) -> None:
    index = {k: {"shape": list(a.shape), "dtype": str(a.dtype)} for k, a in arrays.items()}
    meta = dict(meta, **{"shinsou.index": json.dumps(index)})
    member = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    (np.savez_compressed if compress else np.savez)(f, **arrays, **{_NPZ_MEMBER: member})


def _read_safetensors(f, size: int, with_data: bool):
    if size < 8:
        raise CorruptFileError(f"truncated: {size} bytes, less than the 8-byte header length")
    (n,) = struct.unpack("<Q", f.read(8))
    if 8 + n > size:
        raise CorruptFileError(f"truncated: header says {n} bytes of header, file has {size - 8}")
    try:
        header = json.loads(f.read(n).decode("utf-8"))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise CorruptFileError("garbled header: not valid UTF-8 JSON") from None
    meta = header.pop("__metadata__", None) or {}
    entries, end = {}, 0
    for name, e in header.items():
        if e["dtype"] not in _ST_DTYPES and e["dtype"] not in _ST_WIDENED:
            raise CorruptFileError(f"unsupported or garbled dtype {e['dtype']!r} of '{name}'")
        dtype = np.dtype(_ST_DTYPES.get(e["dtype"]) or _ST_WIDENED[e["dtype"]])
        shape = tuple(int(d) for d in e["shape"])
        begin, stop = (int(x) for x in e["data_offsets"])
        if stop - begin != math.prod(shape) * dtype.itemsize or begin < 0:
            raise CorruptFileError(f"garbled header: '{name}' offsets do not fit its shape")
        entries[name] = (dtype, shape, begin, e["dtype"] in _ST_WIDENED)
        end = max(end, stop)
    if 8 + n + end != size:
        what = "truncated" if 8 + n + end > size else "garbled"
        raise CorruptFileError(f"{what}: header says {end} bytes of data, file has {size - 8 - n}")
    index = {
        k: {"shape": list(s), "dtype": "bfloat16" if bf16 else str(d)}
        for k, (d, s, _, bf16) in entries.items()
    }
    if not with_data:
        return meta, index, None
    arrays = {}
    for name, (dtype, shape, begin, bf16) in entries.items():
        a = np.empty(shape, dtype)
        f.seek(8 + n + begin)
        if f.readinto(a.reshape(-1).view(np.uint8)) != a.nbytes:
            raise CorruptFileError(f"truncated: the data of '{name}' ends early")
        if bf16:
            a = (a.astype(np.uint32) << 16).view(np.float32)
        arrays[name] = a
    return meta, index, arrays


def _read_npz(f, size: int, with_data: bool):
    if size == 0:
        raise CorruptFileError("truncated: the file is empty")
    with np.load(f, allow_pickle=False) as z:
        if _NPZ_MEMBER in z.files:
            meta = json.loads(z[_NPZ_MEMBER].tobytes().decode("utf-8"))
            index = json.loads(meta.pop("shinsou.index"))
        else:  # a plain npz from another tool: read the .npy headers only
            meta, index = {}, {}
            with zipfile.ZipFile(f) as zf:
                for info in zf.infolist():
                    with zf.open(info) as m:
                        version = np.lib.format.read_magic(m)
                        read = getattr(np.lib.format, f"read_array_header_{min(version[0], 2)}_0")
                        shape, _, dtype = read(m)
                    index[info.filename.removesuffix(".npy")] = {
                        "shape": list(shape),
                        "dtype": str(dtype),
                    }
        arrays = {k: z[k] for k in index} if with_data else None
    return meta, index, arrays


def _read(path, with_data: bool):
    """(info dict, the file's raw metadata, arrays or None); every sign of damage becomes a
    CorruptFileError."""
    path = Path(path)
    reader = _reader(path)
    with open(path, "rb") as f:  # FileNotFoundError (naming the path) passes through
        size = os.fstat(f.fileno()).st_size
        try:
            meta, index, arrays = reader(f, size, with_data)
            # any shinsou.* key makes it ours, so a damaged key name is an error, not a
            # silent fall-back to reading it as another tool's file
            ours = any(str(k).startswith("shinsou.") for k in meta)
            info = {
                "format": path.suffix.lower()[1:],
                "shinsou.version": meta.get("shinsou.version"),
                "format_version": int(meta["shinsou.format_version"]) if ours else None,
                "sha256": meta.get("shinsou.sha256"),
                "index": index,
                # another tool's file: show its own metadata
                "metadata": json.loads(meta.get("shinsou.metadata", "{}")) if ours else meta,
                "structure": json.loads(meta["shinsou.structure"]) if ours else None,
            }
        except MemoryError:  # a real shortage, not damage
            raise
        except CorruptFileError as e:
            raise CorruptFileError(f"{path}: {e}; the file cannot be used") from None
        except Exception as e:  # zip, JSON, struct, key errors: all mean a damaged file
            detail = str(e)[:120]  # zipfile quotes whole headers in its messages
            if isinstance(e, zipfile.BadZipFile) and "CRC" in detail:
                what = f"checksum mismatch ({detail})"
            else:
                what = f"truncated or garbled ({type(e).__name__}: {detail})"
            raise CorruptFileError(f"{path}: {what}; the file cannot be used") from e
    if (info["format_version"] or 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path}: written with format_version {info['format_version']}; upgrade shinsou"
        )
    return info, meta, arrays


def _reader(path: Path):
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"{path}: unknown checkpoint suffix {suffix!r}; use .npz or .safetensors")
    return _read_npz if suffix == ".npz" else _read_safetensors


def _sha256(arrays: dict, names=None) -> str:
    """Format 1's checksum: SHA-256 of the arrays' bytes only, in ``names`` order (default:
    the dict's order)."""
    h = hashlib.sha256()
    for name in arrays if names is None else names:
        h.update(_le_bytes(arrays[name]))
    return h.hexdigest()


def _sha256_v2(meta: dict, arrays: dict, names=None) -> str:
    """Format 2's checksum: SHA-256 of every metadata entry but the checksum itself (the
    structure JSON, the user metadata, versions), then each array's name, little-endian dtype
    and shape, then the array bytes, in ``names`` order (default: the dict's order).

    The header part is canonical JSON (sorted keys, ASCII) preceded by its length, and each
    array's byte count follows from its dtype and shape, so no two different contents hash
    the same byte stream.
    """
    names = list(arrays if names is None else names)
    entries = []
    for name in names:
        a = arrays[name]
        entries.append([name, a.dtype.newbyteorder("<").str, list(a.shape)])
    head = {k: v for k, v in meta.items() if k != "shinsou.sha256"}
    raw = json.dumps([head, entries], sort_keys=True, separators=(",", ":")).encode()
    h = hashlib.sha256(b"shinsou-sha256-v2\0")
    h.update(struct.pack("<Q", len(raw)) + raw)
    for name in names:
        h.update(_le_bytes(arrays[name]))
    return h.hexdigest()


def _verify(path, info: dict, meta: dict, arrays: dict) -> None:
    """Raise CorruptFileError when the file's checksum does not match what was read."""
    version = info["format_version"]
    if version is None:  # another tool's file: nothing of ours to check
        return
    if version >= 2:
        if info["sha256"] is None:
            raise CorruptFileError(
                f"{path}: the checksum entry is missing; the file cannot be used"
            )
        for name, e in info["index"].items():  # npz: the recorded index must fit the arrays
            a = arrays[name]
            if list(e["shape"]) != list(a.shape) or e["dtype"] != str(a.dtype):
                raise CorruptFileError(
                    f"{path}: garbled index ('{name}' recorded as {e['dtype']} {e['shape']}, "
                    f"stored as {a.dtype} {list(a.shape)}); the file cannot be used"
                )
        if _sha256_v2(meta, arrays, info["index"]) != info["sha256"]:
            raise CorruptFileError(
                f"{path}: checksum mismatch (the saved arrays, structure or metadata are not "
                "what was saved); the file cannot be used"
            )
    elif info["sha256"] is not None and _sha256(arrays, info["index"]) != info["sha256"]:
        raise CorruptFileError(
            f"{path}: checksum mismatch (the array data is not what was saved); "
            "the file cannot be used"
        )


# ---------------------------------------------------------------- public API
def save(obj, path, *, metadata: dict | None = None, compress: bool = False) -> None:
    """Write ``obj`` (a module, optimizer, or nested snapshot) atomically to ``path``.

    The format follows the suffix (``.npz`` or ``.safetensors``); ``metadata`` is a dict of
    JSON values stored alongside (see ``read_metadata``); ``compress`` zips ``.npz`` entries.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> ss.save({"w": np.arange(3.0), "step": 10, 0: (1, None)}, p, metadata={"note": "hi"})
    >>> ss.load(p)
    {'w': array([0., 1., 2.]), 'step': 10, 0: (1, None)}
    """
    path = Path(path)
    _reader(path)  # validates the suffix before any work
    if compress and path.suffix.lower() != ".npz":
        raise ValueError(f"{path}: compress=True applies to .npz files only")
    from . import __version__  # lazily: this module is imported while shinsou initialises

    arrays: dict = {}
    structure = _encode(obj, "", arrays)
    npz = path.suffix.lower() == ".npz"
    if not npz:  # largest items first: every entry then starts aligned to its item size
        arrays = dict(sorted(arrays.items(), key=lambda kv: -kv[1].dtype.itemsize))
    meta = {
        "shinsou.version": __version__,
        "shinsou.format_version": str(FORMAT_VERSION),
        "shinsou.structure": json.dumps(structure, allow_nan=False),
        "shinsou.metadata": json.dumps(metadata or {}, allow_nan=False),
    }
    meta["shinsou.sha256"] = _sha256_v2(meta, arrays)
    with atomic_open(path, "wb") as f:  # the old file stays intact until the new one is whole
        if npz:
            _write_npz(f, arrays, meta, compress)
        else:
            _write_safetensors(f, arrays, meta)


def load(path) -> object:
    """Read what ``save`` wrote: the saved structure, with NumPy arrays in place of tensors.

    Files from other tools load as a flat ``{name: array}`` dict. Raises ``CorruptFileError``
    for a truncated, garbled or checksum-failing file (the checksum covers arrays, structure
    and metadata; in ``format_version`` 1 files the arrays only) and ``FileNotFoundError`` if
    absent.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "net.safetensors")
    >>> net = ss.nn.Linear(3, 2)
    >>> ss.save(net, p)
    >>> net.load_state_dict(ss.load(p))
    ([], [])
    """
    info, meta, arrays = _read(path, with_data=True)
    _verify(path, info, meta, arrays)
    if info["structure"] is None:
        return arrays
    try:
        return _decode(info["structure"], arrays)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise CorruptFileError(f"{path}: garbled structure ({e}); the file cannot be used") from e


def read_metadata(path) -> dict:
    """What a file records, read without its array data where the format allows.

    Keys: ``format``, ``shinsou.version``, ``format_version``, ``sha256``, ``index``
    (``{name: {"shape", "dtype"}}``), ``metadata`` (the user's dict) and ``structure``.
    Nothing is verified here (the checksum needs the array data): ``load`` does that.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> ss.save({"w": np.zeros((2, 3), np.float32)}, p, metadata={"lr": 0.1})
    >>> info = ss.serialization.read_metadata(p)
    >>> info["index"], info["metadata"], info["format_version"]
    ({'w': {'shape': [2, 3], 'dtype': 'float32'}}, {'lr': 0.1}, 2)
    """
    return _read(path, with_data=False)[0]


# ---------------------------------------------------------------- plain safetensors
def save_safetensors(tensors, path, metadata: dict | None = None) -> None:
    """Write a flat ``{name: array}`` as a plain safetensors file, the format of Hugging
    Face's ``safetensors`` (``safetensors.numpy.load_file`` and ``safetensors.torch``
    read it).

    The format: an 8-byte little-endian header length ``n``, ``n`` bytes of JSON
    ``{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
    "__metadata__": {str: str}}`` (padded with spaces to a multiple of 8), then the arrays'
    little-endian C-order bytes, one after the other. Written atomically.

    Args:
        tensors: a module (its ``state_dict()``) or a dict of Tensors / arrays (bool,
            int8-64, uint8-64, float16/32/64).
        metadata: optional string-to-string pairs stored in the header.

    Unlike ``ss.save(obj, "x.safetensors")`` (any nested structure, with shinsou's
    checksum), this writes only the arrays, under their own names, for other tools.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "net.safetensors")
    >>> save_safetensors(ss.nn.Linear(3, 2), p, metadata={"note": "demo"})
    >>> {k: v.shape for k, v in load_safetensors(p).items()}
    {'weight': (2, 3), 'bias': (2,)}
    """
    if callable(getattr(tensors, "state_dict", None)):
        tensors = tensors.state_dict()
    if not isinstance(tensors, dict):
        raise TypeError(
            f"save_safetensors: expected a module or a dict of arrays, got {type(tensors).__name__}"
        )
    meta = dict(metadata or {})
    for k, v in meta.items():
        if not (isinstance(k, str) and isinstance(v, str)):
            raise TypeError(f"save_safetensors: metadata must map str to str, got {k!r}: {v!r}")
    arrays = {}
    for name, v in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"save_safetensors: {name!r} cannot be a tensor name")
        if isinstance(v, Tensor):
            v = v.numpy()
        elif type(v).__module__.split(".")[0] == "cupy":
            v = to_device_array(v, "cpu")
        if not isinstance(v, np.ndarray | np.generic):
            raise TypeError(f"save_safetensors: '{name}' is a {type(v).__name__}, not an array")
        a = np.asarray(v)
        arrays[name] = a.astype(a.dtype.newbyteorder("="), copy=False)
    # largest items first: every entry then starts aligned to its item size
    arrays = dict(sorted(arrays.items(), key=lambda kv: -kv[1].dtype.itemsize))
    with atomic_open(Path(path), "wb") as f:
        _write_safetensors(f, arrays, meta)


def load_safetensors(path) -> dict:
    """Read a safetensors file (any tool's, any suffix) as a flat ``{name: array}`` dict;
    BF16 entries come back as float32. Its ``__metadata__`` is left out (see
    ``read_metadata``). A truncated or garbled file raises ``CorruptFileError`` naming it.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.safetensors")
    >>> save_safetensors({"a": np.arange(3, dtype=np.int64)}, p)
    >>> load_safetensors(p)
    {'a': array([0, 1, 2])}
    """
    path = Path(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        try:
            _, _, arrays = _read_safetensors(f, size, with_data=True)
        except CorruptFileError as e:
            raise CorruptFileError(f"{path}: {e}; the file cannot be used") from None
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise CorruptFileError(
                f"{path}: garbled header ({type(e).__name__}: {str(e)[:120]}); "
                "the file cannot be used"
            ) from e
    return arrays
