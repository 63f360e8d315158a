"""save/load/read_metadata: round trips, metadata, corruption, atomic writes, interop."""

import os

import numpy as np
import pytest

import shinsou as ss
from shinsou import serialization
from shinsou.serialization import CorruptFileError, load, read_metadata, save

FORMATS = [".npz", ".safetensors"]


def _net():
    ss.manual_seed(0)
    return ss.nn.Sequential(ss.nn.Linear(4, 3), ss.nn.ReLU(), ss.nn.Linear(3, 2))


def _assert_same(a, b, where="root"):
    """Exact equality of nested structures, including array dtypes/shapes and container types."""
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}/{i}")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, where


def _snapshot():
    rng = np.random.default_rng(0)
    rng.random(3)  # advance so the state is not the seed's
    return {
        "iteration": 7,
        "loss": 0.125,
        "best": None,
        "name": "run/α",
        "done": False,
        "nan": float("nan"),
        "history": [1, 2.5, "x", None, [True, 3]],
        "betas": (0.9, 0.999),
        "by_epoch": {0: "a", 10: {1: 2}, "$odd": 3},
        "rng": rng.bit_generator.state,
        "big": 2**127 + 1,
        "scalar0d": np.array(3.5, dtype=np.float32),
        "np_scalar": np.int64(-4),
        "empty": np.zeros((0, 3), np.float32),
        "half": np.arange(6, dtype=np.float16).reshape(2, 3),
        "i64": np.array([-(2**62), 2**62], np.int64),
        "mask": np.array([[True, False], [False, True]]),
        "u8": np.arange(256, dtype=np.uint8),
        "tensor": ss.tensor([1.0, 2.0]),
    }


@pytest.mark.parametrize("suffix", FORMATS)
def test_module_state_dict_round_trip(tmp_path, suffix):
    net = _net()
    path = tmp_path / f"net{suffix}"
    save(net, path)
    got = load(path)
    want = net.state_dict()
    assert list(got) == list(want) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for k in want:
        assert got[k].dtype == want[k].dtype == np.float32
        np.testing.assert_array_equal(got[k], want[k])
    net2 = ss.nn.Sequential(ss.nn.Linear(4, 3), ss.nn.ReLU(), ss.nn.Linear(3, 2))
    net2.load_state_dict(got)
    x = ss.randn(5, 4)
    np.testing.assert_array_equal(net2(x).numpy(), net(x).numpy())


def _adam_steps(net, opt, n):
    x = ss.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4))
    for _ in range(n):
        opt.zero_grad()
        (net(x) ** 2).sum().backward()
        opt.step()


@pytest.mark.parametrize("suffix", FORMATS)
def test_adam_round_trip_resumes_identically(tmp_path, suffix):
    net = _net()
    opt = ss.optim.Adam(net.parameters(), lr=0.01)
    _adam_steps(net, opt, 2)
    path = tmp_path / f"ckpt{suffix}"
    save({"model": net, "optimizer": opt, "iteration": 2}, path)
    snap = load(path)
    assert snap["iteration"] == 2
    assert "optimizer/state/0/exp_avg" in read_metadata(path)["index"]

    net2 = ss.nn.Sequential(ss.nn.Linear(4, 3), ss.nn.ReLU(), ss.nn.Linear(3, 2))
    net2.load_state_dict(snap["model"])
    opt2 = ss.optim.Adam(net2.parameters(), lr=0.5)
    opt2.load_state_dict(snap["optimizer"])
    assert opt2.param_groups[0]["lr"] == 0.01
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999)
    _adam_steps(net, opt, 1)
    _adam_steps(net2, opt2, 1)
    for p, q in zip(net.parameters(), net2.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("suffix", FORMATS)
def test_nested_snapshot_round_trip(tmp_path, suffix):
    snap = _snapshot()
    path = tmp_path / f"snap{suffix}"
    save(snap, path)
    got = load(path)
    want = dict(snap, tensor=snap["tensor"].numpy())
    _assert_same(want, got)
    assert got["rng"]["state"]["state"] == snap["rng"]["state"]["state"]  # 128-bit int exact
    rng, ref = np.random.default_rng(), np.random.default_rng(0)
    ref.random(3)
    rng.bit_generator.state = got["rng"]
    np.testing.assert_array_equal(rng.random(4), ref.random(4))


@pytest.mark.parametrize("suffix", FORMATS)
def test_metadata_contents(tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    save(_snapshot(), path, metadata={"lr": 0.1, "tags": ["a", "b"], "epoch": 3})
    info = read_metadata(path)
    assert info["shinsou.version"] == ss.__version__
    assert info["format_version"] == 2
    assert info["format"] == suffix[1:]
    assert len(info["sha256"]) == 64
    assert info["metadata"] == {"lr": 0.1, "tags": ["a", "b"], "epoch": 3}
    assert info["index"]["half"] == {"shape": [2, 3], "dtype": "float16"}
    assert info["index"]["empty"] == {"shape": [0, 3], "dtype": "float32"}
    assert info["index"]["scalar0d"] == {"shape": [], "dtype": "float32"}
    assert info["index"]["mask"]["dtype"] == "bool"
    assert info["index"]["u8"] == {"shape": [256], "dtype": "uint8"}


def test_read_metadata_safetensors_reads_header_only(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    save({"w": np.ones((100, 100))}, path)
    monkeypatch.setattr(np, "empty", lambda *a, **k: pytest.fail("array data was read"))
    assert read_metadata(path)["index"]["w"]["shape"] == [100, 100]


@pytest.mark.parametrize("suffix", FORMATS)
def test_truncated_file_raises_corrupt_file_error(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    save({"w": np.arange(50, dtype=np.float32), "step": 1}, path)
    data = path.read_bytes()
    for n in sorted({0, 1, 7, 8, 9, 30, len(data) // 2, len(data) - 100, len(data) - 1}):
        path.write_bytes(data[:n])
        with pytest.raises(CorruptFileError, match="cannot be used") as err:
            load(path)
        assert str(path) in str(err.value), n
        with pytest.raises(CorruptFileError):
            read_metadata(path)


def test_truncated_safetensors_message_counts_bytes(tmp_path):
    path = tmp_path / "t.safetensors"
    save({"w": np.zeros(250, np.float32)}, path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CorruptFileError, match="header says 1000 bytes of data, file has 990"):
        load(path)


@pytest.mark.parametrize("suffix", FORMATS)
def test_flipped_data_byte_fails_checksum(tmp_path, suffix):
    path = tmp_path / f"f{suffix}"
    w = np.arange(64, dtype=np.float32)
    save({"w": w, "b": np.ones(3)}, path)
    data = bytearray(path.read_bytes())
    at = data.find(w.tobytes()) + 77  # inside w's bytes
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="checksum mismatch") as err:
        load(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("suffix", FORMATS)
def test_garbled_header_raises_corrupt_file_error(tmp_path, suffix):
    path = tmp_path / f"g{suffix}"
    save({"w": np.zeros(8)}, path)
    data = bytearray(path.read_bytes())
    data[8:40] = b"#" * 32  # safetensors: JSON header; npz: zip local header and name
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="cannot be used"):
        load(path)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match=r"x\.pt.*\.npz.*\.safetensors"):
        save({"w": np.zeros(1)}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match=r"x\.pt"):
        load(tmp_path / "x.pt")


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("fail", ["replace", "fsync", "array"])
def test_failed_write_keeps_previous_file(tmp_path, monkeypatch, suffix, fail):
    path = tmp_path / f"a{suffix}"
    save({"v": np.arange(3)}, path)
    before = path.read_bytes()
    calls = []

    def boom(*args, **kwargs):
        raise OSError("disk on fire")

    def fail_on_call(n, real):
        def wrapped(*args, **kwargs):
            calls.append(1)
            return boom() if len(calls) == n else real(*args, **kwargs)

        return wrapped

    if fail == "array":  # fail while writing the second array, after the first is written
        if suffix == ".npz":
            monkeypatch.setattr(
                np.lib.format, "write_array", fail_on_call(2, np.lib.format.write_array)
            )
        else:  # _le_bytes serves 2 hashes, then 2 writes
            monkeypatch.setattr(
                serialization, "_le_bytes", fail_on_call(4, serialization._le_bytes)
            )
    else:
        monkeypatch.setattr(os, fail, boom)
    with pytest.raises(OSError, match="disk on fire"):
        save({"v": np.arange(1000), "w": np.ones(1000)}, path)
    monkeypatch.undo()
    assert fail != "array" or len(calls) >= 2
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]
    np.testing.assert_array_equal(load(path)["v"], np.arange(3))


def test_shape_mismatch_names_parameter(tmp_path):
    path = tmp_path / "lin.safetensors"
    save(ss.nn.Linear(4, 3), path)
    with pytest.raises(ValueError, match="weight") as err:
        ss.nn.Linear(5, 3).load_state_dict(load(path))
    assert "(3, 4)" in str(err.value) and "(3, 5)" in str(err.value)


def test_safetensors_interop_both_directions(tmp_path):
    from safetensors.numpy import load_file, save_file

    ours = tmp_path / "ours.safetensors"
    net = _net()
    save(net, ours, metadata={"note": "x"})
    theirs_view = load_file(str(ours))
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(theirs_view[k], v)

    theirs = tmp_path / "theirs.safetensors"
    arrays = {"a": np.arange(6, dtype=np.int32).reshape(2, 3), "b": np.array(True)}
    save_file(arrays, str(theirs), metadata={"format": "np"})
    got = load(theirs)
    _assert_same(arrays, dict(sorted(got.items())))
    assert read_metadata(theirs)["metadata"] == {"format": "np"}


def test_plain_npz_loads_as_flat_dict(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, x=np.arange(4.0), y=np.eye(2, dtype=np.int16))
    got = load(path)
    assert sorted(got) == ["x", "y"]
    np.testing.assert_array_equal(got["y"], np.eye(2, dtype=np.int16))
    assert got["y"].dtype == np.int16
    assert read_metadata(path)["index"]["y"] == {"shape": [2, 2], "dtype": "int16"}


def test_compressed_npz_and_top_level_exports(tmp_path):
    path = tmp_path / "c.npz"
    ss.save({"z": np.zeros(10_000), "file": np.ones(2)}, path, compress=True)
    assert path.stat().st_size < 10_000
    got = ss.load(path)
    np.testing.assert_array_equal(got["z"], np.zeros(10_000))
    np.testing.assert_array_equal(got["file"], np.ones(2))  # a name np.savez itself uses


def test_a_saved_mlp_loads_into_pytorch_and_back(tmp_path):
    """Names and layouts follow PyTorch, so a .safetensors file moves between the two."""
    import torch
    from safetensors.torch import load_file, save_file

    ss.manual_seed(0)
    net = ss.models.MLP((6, 5, 3), dropout=0.5)  # Linear, ReLU, Dropout, Linear
    net.eval()
    save(net, tmp_path / "mlp.safetensors")
    tnet = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(5, 3)
    ).eval()
    tnet.load_state_dict(load_file(str(tmp_path / "mlp.safetensors")))
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_allclose(
        tnet(torch.from_numpy(x)).detach().numpy(), net(ss.tensor(x)).numpy(), rtol=1e-5
    )
    with torch.no_grad():
        for p in tnet.parameters():
            p.mul_(2.0)
    save_file(tnet.state_dict(), str(tmp_path / "back.safetensors"))
    net.load_state_dict(load(tmp_path / "back.safetensors"))
    np.testing.assert_allclose(
        tnet(torch.from_numpy(x)).detach().numpy(), net(ss.tensor(x)).numpy(), rtol=1e-5
    )


# ---------------------------------------------------------------- checksum over everything
def _write_v1(obj, path, metadata=None):
    """Write ``obj`` as format_version 1 did: the same layout, a SHA-256 of the array bytes."""
    import hashlib
    import json

    arrays = {}
    structure = serialization._encode(obj, "", arrays)
    if path.suffix == ".safetensors":
        arrays = dict(sorted(arrays.items(), key=lambda kv: -kv[1].dtype.itemsize))
    meta = {
        "shinsou.version": ss.__version__,
        "shinsou.format_version": "1",
        "shinsou.structure": json.dumps(structure, allow_nan=False),
        "shinsou.metadata": json.dumps(metadata or {}, allow_nan=False),
    }
    h = hashlib.sha256()
    for a in arrays.values():
        h.update(a.astype(a.dtype.newbyteorder("<")).tobytes())
    meta["shinsou.sha256"] = h.hexdigest()
    with open(path, "wb") as f:
        if path.suffix == ".npz":
            serialization._write_npz(f, arrays, meta, compress=False)
        else:
            serialization._write_safetensors(f, arrays, meta)


def _rewrite(path, change_meta=None, change_arrays=None):
    """Rewrite ``path`` as a well-formed file (valid zip CRCs, consistent offsets) whose
    metadata or arrays differ from what was saved, keeping the recorded checksum: only the
    SHA-256 can notice."""
    _, meta, arrays = serialization._read(path, with_data=True)
    if change_meta:
        change_meta(meta)
    if change_arrays:
        arrays = change_arrays(arrays)
    with open(path, "wb") as f:
        if path.suffix == ".npz":
            serialization._write_npz(f, arrays, meta, compress=False)
        else:
            serialization._write_safetensors(f, arrays, meta)


def _replace_json(meta, key, old, new):
    assert old in meta[key]
    meta[key] = meta[key].replace(old, new)


TAMPER = {
    "epoch in the structure": ("shinsou.structure", '"epoch": 3', '"epoch": 4'),
    "user metadata": ("shinsou.metadata", '"lr": 0.1', '"lr": 0.2'),
    "shinsou version": ("shinsou.version", ss.__version__, "0.0.0"),
}


def _tamper(what):
    return lambda meta: _replace_json(meta, *TAMPER[what])


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("what", list(TAMPER))
def test_tampered_structure_or_metadata_is_refused(tmp_path, suffix, what):
    path = tmp_path / f"s{suffix}"
    save({"model": _net(), "epoch": 3}, path, metadata={"lr": 0.1})
    assert load(path)["epoch"] == 3
    _rewrite(path, change_meta=_tamper(what))
    assert read_metadata(path)["format_version"] == 2  # the file itself reads fine
    with pytest.raises(CorruptFileError, match="checksum mismatch") as err:
        load(path)
    assert str(path) in str(err.value) and "cannot be used" in str(err.value)


@pytest.mark.parametrize("suffix", FORMATS)
def test_reshaped_or_renamed_arrays_are_refused(tmp_path, suffix):
    path = tmp_path / f"a{suffix}"
    save({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3)}, path)
    _rewrite(path, change_arrays=lambda arrs: {**arrs, "w": arrs["w"].reshape(3, 2)})
    with pytest.raises(CorruptFileError, match="checksum mismatch"):
        load(path)
    save({"w": np.arange(6, dtype=np.float32), "b": np.ones(3)}, path)
    _rewrite(path, change_arrays=lambda arrs: {**arrs, "w": arrs["w"].view(np.int32)})
    with pytest.raises(CorruptFileError, match="checksum mismatch"):
        load(path)  # the same bytes read as another dtype: format 1 let this through


def test_flipped_byte_in_safetensors_header_metadata_is_refused(tmp_path):
    path = tmp_path / "h.safetensors"
    save({"w": np.zeros(4, np.float32), "epoch": 3}, path, metadata={"lr": 0.1})
    data = path.read_bytes()
    for old, new in [(b'\\"epoch\\": 3', b'\\"epoch\\": 7'), (b'\\"lr\\": 0.1', b'\\"lr\\": 0.3')]:
        assert data.count(old) == 1, old
        path.write_bytes(data.replace(old, new))
        with pytest.raises(CorruptFileError, match="checksum mismatch") as err:
            load(path)
        assert str(path) in str(err.value)


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_damaged_checksum_entry_or_version_is_refused(tmp_path, suffix):
    path = tmp_path / f"d{suffix}"
    save({"w": np.arange(4.0), "epoch": 3}, path)
    _rewrite(path, change_meta=lambda m: m.pop("shinsou.sha256"))
    with pytest.raises(CorruptFileError, match="checksum entry is missing"):
        load(path)
    save({"w": np.arange(4.0), "epoch": 3}, path)
    # relabelled as format 1: its format-2 checksum does not pass format 1's check either
    _rewrite(path, change_meta=lambda m: m.update({"shinsou.format_version": "1"}))
    with pytest.raises(CorruptFileError, match="checksum mismatch"):
        load(path)
    save({"w": np.arange(4.0), "epoch": 3}, path)
    _rewrite(
        path, change_meta=lambda m: m.update({"shinsou.structureX": m.pop("shinsou.structure")})
    )
    with pytest.raises(CorruptFileError, match="cannot be used"):  # not read as a foreign file
        load(path)


@pytest.mark.parametrize("suffix", FORMATS)
def test_format_version_1_files_still_load_and_check_their_arrays(tmp_path, suffix):
    path = tmp_path / f"v1{suffix}"
    snap = _snapshot()
    _write_v1(snap, path, metadata={"lr": 0.1})
    info = read_metadata(path)
    assert info["format_version"] == 1 and info["metadata"] == {"lr": 0.1}
    _assert_same(dict(snap, tensor=snap["tensor"].numpy()), load(path))
    # the format-1 checksum (array bytes) is still checked
    _rewrite(path, change_arrays=lambda arrs: {**arrs, "u8": arrs["u8"][::-1].copy()})
    with pytest.raises(CorruptFileError, match="the array data is not what was saved") as err:
        load(path)
    assert str(path) in str(err.value)
    # ... and nothing more: format 1 never covered its metadata
    _write_v1(snap, path, metadata={"lr": 0.1})
    _rewrite(path, change_meta=_tamper("user metadata"))
    assert load(path)["iteration"] == 7 and read_metadata(path)["metadata"] == {"lr": 0.2}


def test_written_snapshots_resave_in_the_new_format(tmp_path):
    old, new = tmp_path / "old.npz", tmp_path / "new.safetensors"
    _write_v1({"model": _net(), "epoch": 2}, old)
    save(load(old), new)
    assert read_metadata(new)["format_version"] == 2
    assert load(new)["epoch"] == 2


def test_npz_index_that_does_not_fit_its_arrays_is_refused(tmp_path):
    import json

    path = tmp_path / "i.npz"
    save({"w": np.zeros((2, 3))}, path)
    with np.load(path) as z:
        files = {k: z[k] for k in z.files}
    meta = json.loads(files["__shinsou__"].tobytes())
    meta["shinsou.index"] = meta["shinsou.index"].replace("[2, 3]", "[3, 2]")
    files["__shinsou__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **files)
    with pytest.raises(CorruptFileError, match=r"garbled index \('w' recorded as float64 \[3, 2\]"):
        load(path)
