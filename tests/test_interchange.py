"""Weights to and from PyTorch (torch.save files, read and written without torch) and
safetensors, checked against real torch and the safetensors package."""

import os
import pickle
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

import shinsou as ss
from shinsou.interop import UnsafePickleError, load_torch, save_torch
from shinsou.serialization import CorruptFileError, load_safetensors, save_safetensors

torch = pytest.importorskip("torch", reason="the test extra installs torch")
safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _torch_cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 3),
    )


def _ss_cnn():
    return ss.nn.Sequential(
        ss.nn.Conv2d(1, 4, 3, padding=1),
        ss.nn.BatchNorm2d(4),
        ss.nn.ReLU(),
        ss.nn.MaxPool2d(2),
        ss.nn.Flatten(),
        ss.nn.Linear(64, 3),
    )


def _x(seed=0):
    return np.random.default_rng(seed).normal(size=(5, 1, 8, 8)).astype(np.float32)


def test_torch_state_dict_loads_into_the_matching_shinsou_model(tmp_path):
    torch.manual_seed(0)
    tnet = _torch_cnn()
    with torch.no_grad():  # running statistics that are not the initial 0 and 1
        for seed in range(3):
            tnet(torch.from_numpy(_x(seed) * 2 + 1))
    tnet.eval()
    torch.save(tnet.state_dict(), tmp_path / "cnn.pt")
    state = load_torch(tmp_path / "cnn.pt")
    assert state["1.num_batches_tracked"].dtype == np.int64 and state["1.num_batches_tracked"] == 3
    net = _ss_cnn()
    assert net.load_state_dict(state) == ([], [])
    net.eval()
    with torch.no_grad():
        want = tnet(torch.from_numpy(_x(7))).numpy()
    np.testing.assert_allclose(net(ss.tensor(_x(7))).numpy(), want, atol=1e-6, rtol=1e-6)


def test_shinsou_weights_load_into_torch(tmp_path):
    ss.manual_seed(1)
    net = _ss_cnn()
    net.train()
    for seed in range(2):
        net(ss.tensor(_x(seed) * 3))  # moves the running statistics
    net.eval()
    save_torch(net, tmp_path / "cnn.pt")
    tnet = _torch_cnn()
    state = torch.load(tmp_path / "cnn.pt", weights_only=True)
    assert list(state) == list(net.state_dict())
    tnet.load_state_dict(state)
    tnet.eval()
    with torch.no_grad():
        want = tnet(torch.from_numpy(_x(9))).numpy()
    np.testing.assert_allclose(net(ss.tensor(_x(9))).numpy(), want, atol=1e-6, rtol=1e-6)
    # the data records are 64-byte aligned, as torch writes them, so mmap loading works too
    mapped = torch.load(tmp_path / "cnn.pt", weights_only=True, mmap=True)
    assert torch.equal(mapped["5.weight"], state["5.weight"])
    raw = (tmp_path / "cnn.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "cnn.pt") as z:
        for info in z.infolist():
            at = info.header_offset
            name_len, extra_len = (
                int.from_bytes(raw[at + 26 : at + 28], "little"),
                int.from_bytes(raw[at + 28 : at + 30], "little"),
            )
            assert (at + 30 + name_len + extra_len) % 64 == 0, info.filename


def test_dtypes_strides_offsets_and_shared_storage(tmp_path):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    saved = {
        "transposed": base.t(),  # stride (1, 6)
        "slice": base[1:3, 2:5],  # offset 8, stride (6, 1)
        "step": base[:, ::2],  # stride (6, 2)
        "same_storage": base,
        "f64": torch.linspace(-1, 1, 5, dtype=torch.float64),
        "f16": torch.tensor([0.5, -2.0, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -3.0, 1e30], dtype=torch.bfloat16),
        "i64": torch.tensor([-(2**40), 7]),
        "i32": torch.tensor([[1, -2]], dtype=torch.int32),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        # no typed storage: torch writes these as _rebuild_tensor_v3 on an untyped storage
        "u16": torch.tensor([[0, 65535, 7]], dtype=torch.uint16).t(),
        "u32": torch.tensor([2**32 - 1, 5], dtype=torch.uint32),
        "u64": torch.tensor([2**63 + 9, 1], dtype=torch.uint64)[1:],
        "c64": torch.tensor([[1 + 2j, -3j], [0.5, 2 - 1j]], dtype=torch.complex64).t(),
        "c128": torch.tensor([1e300 - 1j], dtype=torch.complex128),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 3),
    }
    torch.save(saved, tmp_path / "mix.pt")
    got = load_torch(tmp_path / "mix.pt")
    assert list(got) == list(saved)
    for k, t in saved.items():
        want = t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()
        assert got[k].dtype == want.dtype and got[k].shape == want.shape, k
        np.testing.assert_array_equal(got[k], want, err_msg=k)
    assert (
        got["bf16"].dtype == np.float32 and got["bf16"][2] == torch.tensor(1e30).bfloat16().item()
    )
    got["same_storage"][0, 0] = 99  # arrays of their own, not views of one buffer
    assert got["transposed"][0, 0] == 0
    # and back: every dtype torch has a storage for goes through torch.load(weights_only)
    back = {k: v for k, v in got.items() if k != "bf16"}
    save_torch(back, tmp_path / "back.pt")
    again = torch.load(tmp_path / "back.pt", weights_only=True)
    for k, v in back.items():
        np.testing.assert_array_equal(again[k].numpy(), v, err_msg=k)
        assert again[k].numpy().dtype == v.dtype and tuple(again[k].shape) == v.shape


def test_nested_checkpoints_and_values(tmp_path):
    ckpt = {"model": {"w": np.ones((2, 2), np.float32)}, "epoch": 3, "lr": 0.5,
            "names": ["a", None, True], "big": 2**40, "neg": -70000}  # fmt: skip
    save_torch(ckpt, tmp_path / "ckpt.pt")
    t = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert t["epoch"] == 3 and t["lr"] == 0.5 and t["names"] == ["a", None, True]
    assert t["big"] == 2**40 and t["neg"] == -70000 and t["model"]["w"].shape == (2, 2)
    got = load_torch(tmp_path / "ckpt.pt")
    assert got["names"] == ["a", None, True] and got["big"] == 2**40
    np.testing.assert_array_equal(got["model"]["w"], np.ones((2, 2), np.float32))
    with pytest.raises(TypeError, match=r"no storage for dtype datetime64\[s\]"):
        save_torch({"x": np.zeros(2, "datetime64[s]")}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="cannot save a set"):
        save_torch({"x": {1, 2}}, tmp_path / "x.pt")


def test_float8_tensors_are_named_not_called_damaged(tmp_path):
    # NumPy has no float8 type: the file is fine, the dtype is what cannot be read
    from shinsou.interop import UnsupportedDTypeError

    torch.save({"w": torch.ones(3).to(torch.float8_e4m3fn)}, tmp_path / "f8.pt")
    with pytest.raises(UnsupportedDTypeError, match=r"f8\.pt: .*torch\.float8_e4m3fn"):
        load_torch(tmp_path / "f8.pt")
    with warnings.catch_warnings():  # torch: "ComplexHalf support is experimental"
        warnings.simplefilter("ignore")
        torch.save({"w": torch.ones(2, dtype=torch.complex32)}, tmp_path / "c32.pt")
    with pytest.raises(UnsupportedDTypeError, match=r"c32\.pt: .*torch\.complex32"):
        load_torch(tmp_path / "c32.pt")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_pickle_is_refused_unrun(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"w": _Evil(marker)}, protocol=2))
        z.writestr("evil/byteorder", "little")
    with pytest.raises(
        UnsafePickleError, match=r"evil\.pt: refusing to load the global (os|posix)"
    ):
        load_torch(path)
    assert not marker.exists()
    # a whole pickled module (not its state_dict) names torch classes: refused as well
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(UnsafePickleError, match="torch.nn.modules.linear.Linear"):
        load_torch(tmp_path / "module.pt")


def test_truncated_legacy_and_missing_files_name_the_file(tmp_path):
    torch.save(torch.nn.Linear(3, 2).state_dict(), tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match=r"cut\.pt: not a complete torch.save file"):
        load_torch(cut)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CorruptFileError, match=r"empty\.pt"):
        load_torch(empty)
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match=r"old\.pt: written in the legacy"):
        load_torch(tmp_path / "old.pt")
    with pytest.raises(FileNotFoundError, match=r"nothere\.pt"):
        load_torch(tmp_path / "nothere.pt")
    # a storage shorter than its tensor needs (a damaged archive)
    bad = tmp_path / "short.pt"
    with zipfile.ZipFile(tmp_path / "ok.pt") as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            raw = src.read(info)
            dst.writestr(info.filename, raw[:4] if info.filename.endswith("data/0") else raw)
    with pytest.raises(CorruptFileError, match=r"short\.pt: storage data/0 has 4 bytes"):
        load_torch(bad)


def test_shape_mismatch_is_reported_by_load_state_dict(tmp_path):
    torch.save(torch.nn.Linear(6, 4).state_dict(), tmp_path / "lin.pt")
    with pytest.raises(ValueError, match=r"'weight' has shape \(4, 6\) in the state dict"):
        ss.nn.Linear(6, 5).load_state_dict(load_torch(tmp_path / "lin.pt"))
    with pytest.raises(KeyError, match="missing keys: 1.weight, 1.bias"):
        ss.nn.Sequential(ss.nn.Linear(6, 4), ss.nn.Linear(4, 1)).load_state_dict(
            {f"0.{k}": v for k, v in load_torch(tmp_path / "lin.pt").items()}
        )


def test_safetensors_both_ways_with_the_safetensors_package(tmp_path):
    rng = np.random.default_rng(0)
    ours = {
        "w": rng.normal(size=(3, 4)).astype(np.float32),
        "wt": rng.normal(size=(4, 3)).T,  # not contiguous: stored in C order
        "i": np.arange(5, dtype=np.int64),
        "h": np.ones(2, np.float16),
        "b": np.array([True, False]),
        "s": np.array(2.5, np.float64),
    }
    save_safetensors(ours, tmp_path / "ours.safetensors", metadata={"format": "np"})
    theirs = safetensors_numpy.load_file(str(tmp_path / "ours.safetensors"))
    assert sorted(theirs) == sorted(ours)
    for k, v in ours.items():
        np.testing.assert_array_equal(theirs[k], v, err_msg=k)
        assert theirs[k].dtype == v.dtype and theirs[k].shape == v.shape
    from safetensors import safe_open

    with safe_open(str(tmp_path / "ours.safetensors"), "np") as f:
        assert f.metadata() == {"format": "np"}
    # (safetensors.numpy.save_file writes a transposed view's bytes in memory order, not in
    # C order, so it is given contiguous arrays)
    contiguous = {k: np.ascontiguousarray(v) for k, v in ours.items()}
    safetensors_numpy.save_file(contiguous, str(tmp_path / "theirs.safetensors"))
    back = load_safetensors(tmp_path / "theirs.safetensors")
    for k, v in ours.items():
        np.testing.assert_array_equal(back[k], v, err_msg=k)
    # bfloat16 (written by safetensors.torch) comes back as float32
    from safetensors.torch import save_file

    bf = torch.tensor([1.5, -2.0, 3e20], dtype=torch.bfloat16)
    save_file({"bf": bf}, str(tmp_path / "bf.safetensors"))
    got = load_safetensors(tmp_path / "bf.safetensors")["bf"]
    assert got.dtype == np.float32 and got.tolist() == bf.float().tolist()
    # a module's weights, read by safetensors.torch into the torch model
    net = ss.nn.Linear(4, 2)
    save_safetensors(net, tmp_path / "lin.safetensors")
    from safetensors.torch import load_file

    tlin = torch.nn.Linear(4, 2)
    tlin.load_state_dict(load_file(str(tmp_path / "lin.safetensors")))
    np.testing.assert_array_equal(tlin.weight.detach().numpy(), net.weight.numpy())


def test_safetensors_errors(tmp_path):
    save_safetensors({"w": np.ones(100, np.float32)}, tmp_path / "w.safetensors")
    data = (tmp_path / "w.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-10])
    with pytest.raises(CorruptFileError, match=r"cut\.safetensors: truncated"):
        load_safetensors(tmp_path / "cut.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x04\x00\x00\x00\x00\x00\x00\x00[1]x")
    with pytest.raises(CorruptFileError, match=r"junk\.safetensors: garbled header"):
        load_safetensors(tmp_path / "junk.safetensors")
    with pytest.raises(TypeError, match="metadata must map str to str"):
        save_safetensors({"w": np.ones(1)}, tmp_path / "m.safetensors", metadata={"epoch": 3})
    with pytest.raises(TypeError, match="'w' is a list, not an array"):
        save_safetensors({"w": [1.0]}, tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="cannot store 'o' of dtype object"):
        save_safetensors({"o": np.array([None])}, tmp_path / "m.safetensors")


def test_no_torch_needed(tmp_path):
    """torch files are read and written in a Python where ``import torch`` fails."""
    torch.save({"w": torch.arange(6.0).reshape(2, 3).t()}, tmp_path / "in.pt")
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any import of torch now raises
        "import shinsou as ss\n"
        "w = ss.load_torch(sys.argv[1])['w']\n"
        "ss.save_torch({'w2': w * 2}, sys.argv[2])\n"
        "print(w.tolist())\n"
    )
    args = [sys.executable, "-c", code, str(tmp_path / "in.pt"), str(tmp_path / "out.pt")]
    run = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]"
    back = torch.load(tmp_path / "out.pt", weights_only=True)["w2"]
    assert back.tolist() == [[0.0, 6.0], [2.0, 8.0], [4.0, 10.0]]
