"""shinsou.chainer.iterators against real Chainer 7.8.1.

The oracle is ``tests/chainer_ref/iterators.npz`` (``make_iterators.py``): for each setting,
the indices of every batch that Chainer's SerialIterator, MultithreadIterator and
MultiprocessIterator gave over ``numpy.arange(n)`` after ``numpy.random.seed(seed)``, with
epoch, epoch_detail, previous_epoch_detail, is_new_epoch and current_position after each batch
(epoch boundaries inside batches, batches larger than the dataset, repeat=False endings, a
custom order sampler), and a snapshot that Chainer's ``save_npz`` wrote mid-epoch together
with the batches Chainer gave after it.
"""

import io
import os

import numpy
import pytest

from shinsou.chainer import iterators

REF = numpy.load(os.path.join(os.path.dirname(__file__), "chainer_ref", "iterators.npz"))
SETTINGS = sorted({k.split("/")[1] for k in REF.files if k.startswith("iter/")})

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
    return flat, lengths, numpy.array(states, dtype=numpy.float64).reshape(-1, 5)


def assert_like_chainer(key, flat, lengths, states):
    assert lengths == REF[key + "/lengths"].tolist(), key
    assert flat == REF[key + "/flat"].tolist(), key
    # epoch_detail is computed with the same formula: equal to the last bit (NaN = None).
    numpy.testing.assert_array_equal(states, REF[key + "/states"])


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("name", SETTINGS)
def test_batches_match_chainer(name, kind):
    n, bs, rep, shuf, seed, steps, sampler_seed = REF[f"iter/{name}/setting"].tolist()
    numpy.random.seed(seed)
    smp = None
    if sampler_seed >= 0:
        smp = iterators.ShuffleOrderSampler(numpy.random.RandomState(sampler_seed))
    it = KINDS[kind](numpy.arange(n), bs, bool(rep), None if shuf < 0 else bool(shuf), smp)
    try:
        flat, lengths, states = record(it, steps)
        assert_like_chainer(f"iter/{name}/{kind}", flat, lengths, states)
        if not rep:  # once stopped, it stays stopped
            with pytest.raises(StopIteration):
                next(it)
    finally:
        it.finalize()


class NpzReader:
    """A deserializer like Chainer's NpzDeserializer for a flat iterator snapshot: returns the
    stored value (copied into ``value`` when that is an array), KeyError if absent."""

    def __init__(self, npz):
        self.npz = npz

    def __call__(self, key, value):
        if key not in self.npz:
            raise KeyError(key)
        stored = self.npz[key]
        if isinstance(value, numpy.ndarray):
            numpy.copyto(value, stored)
            return value
        if value is None:
            return stored
        return type(value)(stored)


@pytest.mark.parametrize("cls", [iterators.SerialIterator, iterators.MultiprocessIterator])
def test_resume_from_chainer_snapshot(cls):
    # A snapshot written by Chainer's save_npz mid-epoch restores the state; the iterator
    # then gives the very batches Chainer gave after it (its order comes from the snapshot).
    snapshot = numpy.load(io.BytesIO(REF["snapshot/npz"].tobytes()))
    numpy.random.seed(99)  # a different order: only the snapshot's may be used
    it = cls(numpy.arange(10), 4)
    it.serialize(NpzReader(snapshot))
    assert it.epoch == 1 and it.current_position == 6
    # The orders of later epochs are drawn from the global RandomState; make it match the
    # state Chainer's had at the snapshot (seed 7, then two epoch orders drawn: start + 1).
    numpy.random.seed(7)
    numpy.random.permutation(10)
    numpy.random.permutation(10)
    flat, lengths, states = record(it, 5)
    assert_like_chainer("snapshot", flat, lengths, states)
    it.finalize()


def test_serialize_writes_chainer_keys():
    # What our iterator saves equals what Chainer saved in the same situation.
    numpy.random.seed(7)
    it = iterators.SerialIterator(numpy.arange(10), 4)
    for _ in range(4):
        next(it)
    saved = {}
    it.serialize(lambda k, v: saved.setdefault(k, v))
    snapshot = numpy.load(io.BytesIO(REF["snapshot/npz"].tobytes()))
    assert sorted(saved) == sorted(snapshot.files)
    for key in saved:
        numpy.testing.assert_array_equal(numpy.asarray(saved[key]), snapshot[key])


def test_serialize_round_trip_without_shuffle():
    it = iterators.SerialIterator(list(range(7)), 3, shuffle=False)
    next(it), next(it), next(it)
    saved = {}
    it.serialize(lambda k, v: saved.setdefault(k, v))
    assert "order" not in saved and saved["previous_epoch_detail"] == pytest.approx(6 / 7)
    other = iterators.MultithreadIterator(list(range(7)), 3, shuffle=False)
    other.serialize(lambda k, v: saved[k])
    assert (other.epoch, other.current_position, other.is_new_epoch) == (1, 2, True)
    assert next(other) == next(it) == [2, 3, 4]
    other.finalize()


def test_reset_and_properties():
    numpy.random.seed(0)
    it = iterators.SerialIterator(numpy.arange(5), 2)
    assert it.previous_epoch_detail is None and it.epoch_detail == 0.0
    first = [next(it) for _ in range(3)]
    assert it.epoch == 1 and it.is_new_epoch and it.epoch_detail == pytest.approx(1.2)
    it.reset()
    assert (it.epoch, it.current_position, it.previous_epoch_detail) == (0, 0, None)
    numpy.random.seed(0)
    it.reset()
    assert [next(it) for _ in range(3)] == first
    assert it.repeat and it.batch_size == 2


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_reset_copy_and_pickle_after_stop(kind):
    # What Chainer's Evaluator does with a repeat=False iterator: run it out, reset, run again
    # (or work on a copy); a copy or a pickled iterator continues from the same state.
    import copy
    import pickle

    it = KINDS[kind](list(range(5)), 2, False, False, None)
    assert list(it) == [[0, 1], [2, 3], [4]] and it.epoch == 1
    it.reset()
    assert next(it) == [0, 1]
    twin = copy.copy(it)
    thawed = pickle.loads(pickle.dumps(it))
    assert list(twin) == list(thawed) == list(it) == [[2, 3], [4]]
    for i in (it, twin, thawed):
        i.finalize()


def test_option_errors():
    with pytest.raises(ValueError, match="order_sampler"):
        iterators.SerialIterator(
            [1, 2], 1, shuffle=True, order_sampler=iterators.ShuffleOrderSampler()
        )
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        iterators.SerialIterator([1, 2], 0)
    with pytest.raises(ValueError, match="epoch size must be positive"):
        next(iterators.SerialIterator([], 1, shuffle=False))
    with pytest.raises(ValueError, match="n_threads"):
        iterators.MultithreadIterator([1], 1, n_threads=0)
    calls = []

    def shrinking(order, pos):  # right at reset, one example short for the next epoch
        calls.append(pos)
        return numpy.arange(3) if len(calls) == 1 else order[:2]

    bad = iterators.SerialIterator([1, 2, 3], 2, order_sampler=shrinking)
    next(bad)
    with pytest.raises(ValueError, match="order of length 2, expected 3"):
        next(bad)


def test_multiprocess_iterator_options_and_errors_in_workers():
    class Failing:
        def __len__(self):
            return 3

        def __getitem__(self, i):
            if i == 2:
                raise RuntimeError("bad example 2")
            return i

    it = iterators.MultiprocessIterator(
        Failing(), 2, shuffle=False, n_processes=3, n_prefetch=2, shared_mem=1 << 20
    )
    assert next(it) == [0, 1] and it.n_prefetch == 2 and it.shared_mem == 1 << 20
    with pytest.raises(RuntimeError, match="bad example 2"):
        next(it)  # an error in a worker surfaces in the caller
    it.finalize()
    with iterators.MultithreadIterator([5, 6], 1, repeat=False, shuffle=False) as it:
        assert list(it) == [[5], [6]]


def test_missing_name_is_clear():
    with pytest.raises(AttributeError, match="does not provide chainer.iterators.DaliIterator"):
        iterators.DaliIterator  # noqa: B018
