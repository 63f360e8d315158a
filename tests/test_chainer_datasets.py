"""shinsou.chainer.datasets against real Chainer 7.8.1.

The oracle is ``tests/chainer_ref/datasets.npz``, written once by
``tests/chainer_ref/make_datasets.py``: real Chainer's own ``get_mnist``,
``get_fashion_mnist``, ``get_ptb_words`` and ``get_ptb_words_vocabulary`` run on the same
canonical files (from ``$SHINSOU_DATA``), reduced to shape, dtype, SHA-256 of the bytes and a
few values per array. The splitters are compared with ``iterators.npz``
(``make_iterators.py``). The containers' behaviour is Chainer's documented one.
"""

import hashlib
import os

import numpy
import pytest

import shinsou.chainer as chainer
from shinsou import datasets as ss_datasets
from shinsou.chainer import datasets as D
from shinsou.chainer.datasets._mnist_helper import preprocess_mnist

REF_DIR = os.path.join(os.path.dirname(__file__), "chainer_ref")
REF = numpy.load(os.path.join(REF_DIR, "datasets.npz"))
IT_REF = numpy.load(os.path.join(REF_DIR, "iterators.npz"))

# The option sets of make_datasets.py (name -> get_mnist kwargs).
OPTIONS = {
    "default": {},
    "ndim2": {"ndim": 2},
    "ndim3": {"ndim": 3},
    "rgb": {"ndim": 3, "rgb_format": True},
    "scale255_f64": {"scale": 255.0, "dtype": numpy.float64},
    "f16": {"dtype": numpy.float16},
    "scale2_lab64": {"scale": 2.0, "label_dtype": numpy.int64},
    "nolabel": {"withlabel": False},
}


def assert_like_chainer(key, a):
    """``a`` has the shape, dtype and bytes Chainer's array ``key`` had."""
    a = numpy.ascontiguousarray(a)
    assert a.shape == tuple(REF[key + "/shape"]), key
    assert a.dtype.str == str(REF[key + "/dtype"]), key
    flat = a.reshape(-1)
    idx = numpy.linspace(0, flat.size - 1, 16).astype(numpy.int64)
    numpy.testing.assert_array_equal(flat[idx].astype(numpy.float64), REF[key + "/sample"])
    assert hashlib.sha256(a.tobytes()).hexdigest() == str(REF[key + "/sha256"]), key


def check_split(key, ds, withlabel):
    if withlabel:
        assert isinstance(ds, D.TupleDataset)
        images, labels = ds._datasets
        assert_like_chainer(key + "/x", images)
        assert_like_chainer(key + "/y", labels)
    else:
        assert isinstance(ds, numpy.ndarray)
        assert_like_chainer(key + "/x", ds)


@pytest.mark.parametrize("name,getter", [("mnist", D.get_mnist), ("fashion", D.get_fashion_mnist)])
def test_get_mnist_default_matches_chainer(name, getter):
    # Both splits, end to end from the files: same arrays (bytes) as Chainer's get_*().
    train, test = getter()
    assert len(train) == 60000 and len(test) == 10000
    check_split(f"{name}/default/train", train, True)
    check_split(f"{name}/default/test", test, True)
    x, t = train[0]
    assert x.shape == (784,) and x.dtype == numpy.float32 and t.dtype == numpy.int32
    assert 0.0 <= x.min() and x.max() <= 1.0


@pytest.fixture(scope="module")
def raw_tests():
    return {
        "mnist": ss_datasets.load_mnist("test"),
        "fashion": ss_datasets.load_fashion_mnist("test"),
    }


@pytest.mark.parametrize("option", [o for o in OPTIONS if o != "default"])
@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_get_mnist_options_match_chainer(raw_tests, name, option):
    # Each option set (ndim, rgb_format, scale, dtype, label_dtype, withlabel) on the test split,
    # through the same preprocessing that get_mnist/get_fashion_mnist apply to both splits.
    kw = {"withlabel": True, "ndim": 1, "scale": 1.0, "dtype": None}
    kw.update({"label_dtype": numpy.int32, "rgb_format": False}, **OPTIONS[option])
    images, labels = raw_tests[name]
    ds = preprocess_mnist(images, labels, **kw)
    check_split(f"{name}/{option}/test", ds, kw["withlabel"])


def test_get_mnist_bad_ndim():
    with pytest.raises(ValueError, match="ndim must be 1, 2 or 3"):
        preprocess_mnist(
            numpy.zeros((2, 28, 28), numpy.uint8), [0, 1], True, 4, 1.0, None, numpy.int32, False
        )


def test_fashion_labels():
    assert D.get_fashion_mnist_labels()[9] == "Ankle boot"


def test_ptb_matches_chainer():
    # Word ids of the three splits and the vocabulary (ids by first appearance) as Chainer's.
    train, valid, test = D.get_ptb_words()
    for split, words in (("train", train), ("valid", valid), ("test", test)):
        assert_like_chainer("ptb/" + split, words)
        numpy.testing.assert_array_equal(words[:32], REF[f"ptb/{split}/head"])
    vocab = D.get_ptb_words_vocabulary()
    by_id = sorted(vocab, key=vocab.get)
    assert len(vocab) == int(REF["ptb/vocab/size"]) == 10000
    assert by_id[:32] == list(REF["ptb/vocab/head"])
    digest = hashlib.sha256("\n".join(by_id).encode("utf-8")).hexdigest()
    assert digest == str(REF["ptb/vocab/sha256"])
    assert vocab["aer"] == 0 and vocab["<eos>"] == 24


# --- containers -----------------------------------------------------------------------------


def test_tuple_dataset():
    x, y = numpy.arange(12).reshape(4, 3), numpy.array([5, 6, 7, 8])
    ds = D.TupleDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    numpy.testing.assert_array_equal(a, [6, 7, 8])
    assert b == 7
    sl = ds[1:4:2]
    assert isinstance(sl, list) and len(sl) == 2 and sl[1][1] == 8
    # A list/array index goes to each dataset (Chainer): a tuple of batches.
    xs, ys = ds[[0, 3]]
    numpy.testing.assert_array_equal(ys, [5, 8])
    with pytest.raises(ValueError, match="dataset 1 has length 3"):
        D.TupleDataset(x, y[:3])
    with pytest.raises(ValueError, match="no datasets"):
        D.TupleDataset()


def test_dict_dataset():
    ds = D.DictDataset(x=numpy.arange(3), y=["a", "b", "c"])
    assert ds[1] == {"x": 1, "y": "b"}
    assert ds[:2] == [{"x": 0, "y": "a"}, {"x": 1, "y": "b"}]
    with pytest.raises(ValueError, match="'y' has length 2"):
        D.DictDataset(x=[1, 2, 3], y=[1, 2])


def test_transform_and_concatenated_dataset():
    base = D.TupleDataset(numpy.arange(4.0), numpy.arange(4))
    ds = D.TransformDataset(base, lambda ex: (ex[0] - 0.5, ex[1] * 2))
    assert len(ds) == 4 and ds[3] == (2.5, 6)
    assert ds[[1, 0]] == [(0.5, 2), (-0.5, 0)]
    cat = D.ConcatenatedDataset([1, 2], numpy.array([3, 4, 5]))
    assert len(cat) == 5 and cat[4] == 5 and cat[1:3] == [2, 3]
    with pytest.raises(IndexError):
        cat[5]
    with pytest.raises(IndexError):
        cat[-1]


def test_sub_dataset_and_split():
    sub = D.SubDataset(list("abcdef"), 1, 4)
    assert len(sub) == 3 and sub[0] == "b" and sub[-1] == "d" and sub[:] == ["b", "c", "d"]
    with pytest.raises(IndexError):
        sub[3]
    with pytest.raises(ValueError, match="overruns"):
        D.SubDataset([1, 2], 0, 3)
    with pytest.raises(ValueError, match="same length"):
        D.SubDataset([1, 2], 0, 1, order=[0])
    a, b = D.split_dataset(list(range(5)), 3, order=[4, 3, 2, 1, 0])
    assert a[:] == [4, 3, 2] and b[:] == [1, 0]
    with pytest.raises(TypeError, match="split_at must be int"):
        D.split_dataset([1, 2], 1.0)
    with pytest.raises(ValueError, match="exceeds"):
        D.split_dataset([1, 2], 3)


@pytest.mark.parametrize("seed", [0, 1, 123])
def test_random_splits_match_chainer(seed):
    # The same seed puts every example in the same subset, in the same order, as Chainer.
    a, b = D.split_dataset_random(numpy.arange(20), 7, seed=seed)
    numpy.testing.assert_array_equal(list(a), IT_REF[f"split_random/{seed}/a"])
    numpy.testing.assert_array_equal(list(b), IT_REF[f"split_random/{seed}/b"])
    parts = D.split_dataset_n_random(numpy.arange(20), 3, seed=seed)
    numpy.testing.assert_array_equal([list(p) for p in parts], IT_REF[f"split_n_random/{seed}"])
    folds = D.get_cross_validation_datasets_random(numpy.arange(10), 3, seed=seed)
    assert len(folds) == 3
    for k, (tr, te) in enumerate(folds):
        numpy.testing.assert_array_equal(list(tr), IT_REF[f"cv_random/{seed}/{k}/train"])
        numpy.testing.assert_array_equal(list(te), IT_REF[f"cv_random/{seed}/{k}/test"])


def test_missing_name_is_clear():
    with pytest.raises(AttributeError, match="does not provide chainer.datasets.get_cifar10"):
        chainer.datasets.get_cifar10  # noqa: B018
