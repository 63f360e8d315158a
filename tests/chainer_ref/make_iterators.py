"""Reference data for shinsou.chainer.iterators, .dataset and the dataset splitters, made ONCE
with real Chainer 7.8.1 (Chainer 7.8.1 on NumPy 1.26), from the repository root:

    /work/chainer-env/bin/python tests/chainer_ref/make_iterators.py

Writes ``iterators.npz``: for several settings, the indices of every batch that Chainer's
SerialIterator, MultithreadIterator and MultiprocessIterator yield over ``numpy.arange(n)``
after ``numpy.random.seed(seed)``, with ``epoch``, ``epoch_detail``,
``previous_epoch_detail`` (NaN for None), ``is_new_epoch`` and ``current_position`` after
each batch; a snapshot of a SerialIterator taken with ``chainer.serializers.save_npz`` in the
middle of an epoch and the batches Chainer yields after loading it; the index sets of
``split_dataset_random``, ``split_dataset_n_random`` and
``get_cross_validation_datasets_random``; and outputs of ``concat_examples``.
"""

import io
import os

import numpy

import chainer
from chainer import dataset, datasets, iterators, serializers

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> (n, batch_size, repeat, shuffle, seed, steps, sampler_seed)
SETTINGS = {
    "seq_repeat": (10, 3, True, False, 0, 9, None),
    "seq_once": (10, 3, False, False, 0, 6, None),
    "shuf_repeat": (10, 4, True, True, 0, 8, None),
    "shuf_once": (10, 4, False, True, 1, 5, None),
    "default_exact": (7, 7, True, None, 2, 4, None),
    "big_batch_repeat": (5, 12, True, True, 3, 4, None),
    "big_batch_once": (5, 12, False, True, 3, 3, None),
    "seq_big_batch": (5, 12, True, False, 0, 3, None),
    "sampler": (9, 4, True, None, 4, 7, 5),
}

KINDS = {
    "serial": lambda ds, bs, rep, shuf, smp: iterators.SerialIterator(
        ds, bs, repeat=rep, shuffle=shuf, order_sampler=smp
    ),
    "thread": lambda ds, bs, rep, shuf, smp: iterators.MultithreadIterator(
        ds, bs, repeat=rep, shuffle=shuf, n_threads=2, order_sampler=smp
    ),
    "process": lambda ds, bs, rep, shuf, smp: iterators.MultiprocessIterator(
        ds, bs, repeat=rep, shuffle=shuf, n_processes=2, order_sampler=smp
    ),
}


def record(it, steps):
    flat, lengths, states = [], [], []
    for _ in range(steps):
        try:
            batch = next(it)
        except StopIteration:
            break
        flat.extend(int(i) for i in batch)
        lengths.append(len(batch))
        prev = it.previous_epoch_detail
        states.append(
            [
                it.epoch,
                it.epoch_detail,
                numpy.nan if prev is None else prev,
                float(it.is_new_epoch),
                it.current_position,
            ]
        )
    return (
        numpy.array(flat, dtype=numpy.int64),
        numpy.array(lengths, dtype=numpy.int64),
        numpy.array(states, dtype=numpy.float64).reshape(-1, 5),
    )


def main():
    out = {}
    for name, (n, bs, rep, shuf, seed, steps, sampler_seed) in SETTINGS.items():
        for kind, make in KINDS.items():
            numpy.random.seed(seed)
            smp = None
            if sampler_seed is not None:
                smp = iterators.ShuffleOrderSampler(numpy.random.RandomState(sampler_seed))
            it = make(numpy.arange(n), bs, rep, shuf, smp)
            flat, lengths, states = record(it, steps)
            it.finalize()
            key = "iter/%s/%s" % (name, kind)
            out[key + "/flat"] = flat
            out[key + "/lengths"] = lengths
            out[key + "/states"] = states
        out["iter/%s/setting" % name] = numpy.array(
            [
                n,
                bs,
                rep,
                -1 if shuf is None else int(shuf),
                seed,
                steps,
                -1 if sampler_seed is None else sampler_seed,
            ],
            dtype=numpy.int64,
        )

    # Snapshot in the middle of the second epoch, then what comes next.
    numpy.random.seed(7)
    it = iterators.SerialIterator(numpy.arange(10), 4)
    for _ in range(4):
        next(it)
    buf = io.BytesIO()
    serializers.save_npz(buf, it)
    out["snapshot/npz"] = numpy.frombuffer(buf.getvalue(), dtype=numpy.uint8)
    flat, lengths, states = record(it, 5)
    out["snapshot/flat"], out["snapshot/lengths"], out["snapshot/states"] = flat, lengths, states

    for seed in (0, 1, 123):
        a, b = datasets.split_dataset_random(numpy.arange(20), 7, seed=seed)
        out["split_random/%d/a" % seed] = numpy.array(list(a))
        out["split_random/%d/b" % seed] = numpy.array(list(b))
        parts = datasets.split_dataset_n_random(numpy.arange(20), 3, seed=seed)
        out["split_n_random/%d" % seed] = numpy.array([list(p) for p in parts])
        folds = datasets.get_cross_validation_datasets_random(numpy.arange(10), 3, seed=seed)
        for k, (tr, te) in enumerate(folds):
            out["cv_random/%d/%d/train" % (seed, k)] = numpy.array(list(tr))
            out["cv_random/%d/%d/test" % (seed, k)] = numpy.array(list(te))

    ce = dataset.concat_examples
    x = ce(
        [(numpy.array([1, 2]), 0), (numpy.array([3]), 1), (numpy.array([], "i"), 2)], padding=100
    )
    out["concat/pad_scalar/0"], out["concat/pad_scalar/1"] = x
    x = ce(
        [
            (numpy.array([1.5, 2]), numpy.array([0])),
            (numpy.array([3.0]), numpy.array([])),
            (numpy.zeros((0,)), numpy.array([2])),
        ],
        padding=(-1, 200),
    )
    out["concat/pad_tuple/0"], out["concat/pad_tuple/1"] = x
    x = ce([numpy.ones((2, 3), "f"), numpy.zeros((3, 1), "f")], padding=7)
    out["concat/pad_plain"] = x
    x = ce(
        [{"a": numpy.array([1, 2]), "b": 3}, {"a": numpy.array([4]), "b": 5}],
        padding={"a": -9, "b": None},
    )
    out["concat/pad_dict/a"], out["concat/pad_dict/b"] = x["a"], x["b"]
    x = ce([([1, 2], 1.5), ([3, 4], 2.5)])
    out["concat/lists/0"], out["concat/lists/1"] = x
    out["versions"] = numpy.array(["chainer " + chainer.__version__, "numpy " + numpy.__version__])
    numpy.savez_compressed(os.path.join(HERE, "iterators.npz"), **out)


if __name__ == "__main__":
    main()
