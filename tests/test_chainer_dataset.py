"""shinsou.chainer.dataset: concat_examples, to_device, converters, DatasetMixin, the download
cache. ``concat_examples`` outputs are compared with real Chainer 7.8.1's, recorded in
``tests/chainer_ref/iterators.npz`` by ``make_iterators.py``; the rest checks Chainer's
documented behaviour."""

import os

import numpy
import pytest

from shinsou.chainer import dataset
from shinsou.chainer.dataset import download

REF = numpy.load(os.path.join(os.path.dirname(__file__), "chainer_ref", "iterators.npz"))


def assert_same(a, key):
    """Same values, shape and dtype as Chainer's output ``key``."""
    expected = REF[key]
    assert isinstance(a, numpy.ndarray)
    assert a.dtype == expected.dtype and a.shape == expected.shape, key
    numpy.testing.assert_array_equal(a, expected)


def test_concat_examples_like_chainer():
    ce = dataset.concat_examples
    # Padding with one scalar for every element of the tuples.
    batch = [(numpy.array([1, 2]), 0), (numpy.array([3]), 1), (numpy.array([], "i"), 2)]
    x, t = ce(batch, padding=100)
    assert_same(x, "concat/pad_scalar/0")
    assert_same(t, "concat/pad_scalar/1")
    # A tuple of paddings, one per element.
    batch = [
        (numpy.array([1.5, 2]), numpy.array([0])),
        (numpy.array([3.0]), numpy.array([])),
        (numpy.zeros((0,)), numpy.array([2])),
    ]
    x, t = ce(batch, padding=(-1, 200))
    assert_same(x, "concat/pad_tuple/0")
    assert_same(t, "concat/pad_tuple/1")
    # Plain 2-D arrays padded to the elementwise maximum shape.
    assert_same(
        ce([numpy.ones((2, 3), "f"), numpy.zeros((3, 1), "f")], padding=7), "concat/pad_plain"
    )
    # Dicts, with a per-key padding (None: no padding for that key).
    out = ce(
        [{"a": numpy.array([1, 2]), "b": 3}, {"a": numpy.array([4]), "b": 5}],
        padding={"a": -9, "b": None},
    )
    assert set(out) == {"a", "b"}
    assert_same(out["a"], "concat/pad_dict/a")
    assert_same(out["b"], "concat/pad_dict/b")
    # Python lists and numbers go through numpy.asarray.
    x, t = ce([([1, 2], 1.5), ([3, 4], 2.5)])
    assert_same(x, "concat/lists/0")
    assert_same(t, "concat/lists/1")


def test_concat_examples_stacks_and_checks():
    x = dataset.concat_examples([numpy.zeros((2, 3)), numpy.ones((2, 3))], -1)
    assert x.shape == (2, 2, 3) and x[1].sum() == 6
    # NumPy scalars (what indexing a label array gives) stack into an array of their dtype.
    labels = numpy.array([3, 4], numpy.int32)
    assert dataset.concat_examples([labels[0], labels[1]]).dtype == numpy.int32
    with pytest.raises(ValueError, match="batch is empty"):
        dataset.concat_examples([])
    with pytest.raises(ValueError, match="different shapes.*padding="):
        dataset.concat_examples([numpy.zeros(2), numpy.zeros(3)])
    with pytest.raises(ValueError, match="invalid device specifier"):
        dataset.concat_examples([numpy.zeros(2)], "gpu please")


def test_to_device_and_converter():
    a = numpy.arange(3)
    assert dataset.to_device(None, a) is a
    assert dataset.to_device(-1, a) is a
    assert dataset.to_device("@numpy", a) is a
    seen = []

    @dataset.converter()
    def conv(batch, device):
        seen.append(device)
        return device.send(numpy.asarray(batch)) if device is not None else batch

    assert isinstance(conv, dataset.Converter)
    numpy.testing.assert_array_equal(conv([1, 2], -1), [1, 2])
    # The int device arrived as a device object (with xp and send), as in Chainer.
    assert seen[0].xp is numpy
    assert conv([1], device=None) == [1] and seen[1] is None
    with pytest.raises(TypeError, match="callable"):
        dataset.converter()(42)


def test_dataset_mixin():
    class Squares(dataset.DatasetMixin):
        def __len__(self):
            return 4

        def get_example(self, i):
            if not -4 <= i < 4:
                raise IndexError(i)
            return int(i) ** 2

    ds = Squares()
    assert ds[3] == 9 and ds[1:3] == [1, 4] and ds[::-2] == [9, 1]
    assert ds[[2, 0]] == [4, 0] and ds[numpy.array([1, 3])] == [1, 9]

    class Incomplete(dataset.DatasetMixin):
        pass

    with pytest.raises(NotImplementedError, match="get_example"):
        Incomplete()[0]


def test_iterator_base():
    it = dataset.Iterator()
    assert iter(it) is it
    with pytest.raises(NotImplementedError):
        next(it)
    with it as same:
        assert same is it


def test_download_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(download, "_dataset_root", str(tmp_path / "root"))
    assert dataset.get_dataset_root() == str(tmp_path / "root")
    d = dataset.get_dataset_directory("pfnet/chainer/thing")
    assert os.path.isdir(d) and d.startswith(str(tmp_path))
    # A file:// URL stands for a download, so no network is touched.
    src = tmp_path / "data.txt"
    src.write_text("hello")
    path = dataset.cached_download(src.as_uri())
    assert open(path).read() == "hello"
    src.write_text("changed")
    assert dataset.cached_download(src.as_uri()) == path and open(path).read() == "hello"
    # Offline (the URL cannot be fetched): a clear error that names SHINSOU_DATA.
    with pytest.raises(OSError, match="cannot download.*SHINSOU_DATA"):
        dataset.cached_download((tmp_path / "missing.bin").as_uri())
    # cache_or_load_file: creator once, loader afterwards.
    target = os.path.join(d, "x.npy")
    made = dataset.cache_or_load_file(target, lambda p: numpy.save(p, numpy.arange(3)) or 1, None)
    assert made == 1 and os.path.exists(target)
    numpy.testing.assert_array_equal(
        dataset.cache_or_load_file(target, None, numpy.load), [0, 1, 2]
    )


def test_missing_name_is_clear():
    with pytest.raises(AttributeError, match="does not provide chainer.dataset.TabularDataset"):
        dataset.TabularDataset  # noqa: B018
