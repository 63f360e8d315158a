"""Reference data for shinsou.chainer.datasets, made ONCE with real Chainer 7.8.1.

Run with the reference environment (Chainer 7.8.1 on NumPy 1.26), from the repository root:

    SHINSOU_DATA=/path/to/shared/datasets /work/chainer-env/bin/python \
        tests/chainer_ref/make_datasets.py

Real Chainer downloads MNIST, Fashion-MNIST and PTB from the internet into its cache. Here its
download cache (``<dataset root>/_dl_cache/<md5 of the URL>``) is filled beforehand with the
canonical files from ``$SHINSOU_DATA``, so Chainer's own, unchanged ``get_mnist``,
``get_fashion_mnist``, ``get_ptb_words`` and ``get_ptb_words_vocabulary`` run on the same bytes
that shinsou reads. The arrays are far too large to commit, so this writes, for each array, its
shape, dtype, SHA-256 of the C-ordered bytes and a few values, into ``datasets.npz``.
"""

import hashlib
import os
import shutil
import sys
import tempfile

import numpy

import chainer
from chainer.dataset import download
from chainer.datasets import fashion_mnist, mnist, ptb

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ["SHINSOU_DATA"]

# Option sets passed to get_mnist / get_fashion_mnist (name -> kwargs).
MNIST_OPTIONS = {
    "default": {},
    "ndim2": {"ndim": 2},
    "ndim3": {"ndim": 3},
    "rgb": {"ndim": 3, "rgb_format": True},
    "scale255_f64": {"scale": 255.0, "dtype": numpy.float64},
    "f16": {"dtype": numpy.float16},
    "scale2_lab64": {"scale": 2.0, "label_dtype": numpy.int64},
    "nolabel": {"withlabel": False},
}


def seed_cache(root):
    """Put the canonical files where Chainer's cached_download looks for its URLs."""
    cache = os.path.join(root, "_dl_cache")
    os.makedirs(cache, exist_ok=True)
    files = {}
    for name in (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ):
        files["http://yann.lecun.com/exdb/mnist/" + name] = os.path.join(DATA, "mnist", name)
        files["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/" + name] = os.path.join(
            DATA, "fashion-mnist", name
        )
    for split in ("train", "valid", "test"):
        url = getattr(ptb, "_%s_url" % split)
        files[url] = os.path.join(DATA, "ptb", "ptb.%s.txt" % split)
    for url, path in files.items():
        shutil.copyfile(path, os.path.join(cache, hashlib.md5(url.encode()).hexdigest()))


def describe(out, key, a):
    a = numpy.ascontiguousarray(a)
    out[key + "/shape"] = numpy.array(a.shape, dtype=numpy.int64)
    out[key + "/dtype"] = numpy.array(a.dtype.str)
    out[key + "/sha256"] = numpy.array(hashlib.sha256(a.tobytes()).hexdigest())
    flat = a.reshape(-1)
    # A few values at fixed positions, to show *what* differs when a hash does not match.
    idx = numpy.linspace(0, flat.size - 1, 16).astype(numpy.int64) if flat.size else []
    out[key + "/sample"] = flat[idx].astype(numpy.float64)
    out[key + "/sum"] = numpy.array(flat.astype(numpy.float64).sum())


def main():
    root = tempfile.mkdtemp(prefix="chainer_ref_")
    try:
        download.set_dataset_root(root)
        seed_cache(root)
        out = {}
        for dname, getter in (
            ("mnist", mnist.get_mnist),
            ("fashion", fashion_mnist.get_fashion_mnist),
        ):
            for oname, kwargs in MNIST_OPTIONS.items():
                print(dname, oname, file=sys.stderr, flush=True)
                train, test = getter(**kwargs)
                for split, ds in (("train", train), ("test", test)):
                    key = "%s/%s/%s" % (dname, oname, split)
                    if isinstance(ds, chainer.datasets.TupleDataset):
                        images, labels = ds._datasets
                        describe(out, key + "/x", images)
                        describe(out, key + "/y", labels)
                    else:
                        describe(out, key + "/x", ds)
        train, valid, test = ptb.get_ptb_words()
        for split, words in (("train", train), ("valid", valid), ("test", test)):
            describe(out, "ptb/" + split, words)
            out["ptb/%s/head" % split] = words[:32]
        vocab = ptb.get_ptb_words_vocabulary()
        by_id = sorted(vocab, key=vocab.get)
        assert [vocab[w] for w in by_id] == list(range(len(vocab)))
        out["ptb/vocab/size"] = numpy.array(len(vocab))
        out["ptb/vocab/sha256"] = numpy.array(
            hashlib.sha256("\n".join(by_id).encode("utf-8")).hexdigest()
        )
        out["ptb/vocab/head"] = numpy.array(by_id[:32])
        out["versions"] = numpy.array(
            ["chainer " + chainer.__version__, "numpy " + numpy.__version__]
        )
        numpy.savez_compressed(os.path.join(HERE, "datasets.npz"), **out)
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
