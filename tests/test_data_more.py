"""collate_fn/default_collate, samplers, worker processes, IterableDataset, pad_sequence and
BucketBatchSampler; against torch.utils.data where it has the same thing."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from optest import check_op

import shinsou as ss
from shinsou.data import (
    BatchSampler,
    BucketBatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    pad_sequence,
)

Point = collections.namedtuple("Point", ["x", "label"])


def _same(ours, theirs):
    """``ours`` (arrays) has the structure and values of torch's collated ``theirs``."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, np.ndarray), type(ours)
        assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours, theirs.numpy())
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, tuple) and hasattr(theirs, "_fields"):
        assert type(ours) is type(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    elif isinstance(theirs, list) and theirs and isinstance(theirs[0], str):
        assert ours == theirs
    elif isinstance(theirs, list):  # torch turns tuples into lists; we keep tuples
        assert isinstance(ours, tuple | list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        raise AssertionError(f"unexpected {type(theirs)}")


def _examples(n=3):
    rng = np.random.default_rng(0)
    return [
        {
            "image": rng.standard_normal((2, 3)).astype(np.float32),
            "label": i,
            "weight": 0.5 * i,
            "flag": i % 2 == 0,
            "name": f"ex{i}",
            "meta": {"id": np.int32(i), "pair": (np.float64(i), [i, i + 1])},
            "point": Point(np.arange(2) + i, i),
        }
        for i in range(n)
    ]


def test_default_collate_matches_torch_on_nested_dicts_tuples_and_numbers():
    examples = _examples()
    ours = default_collate(examples)
    theirs = tud.default_collate(examples)
    _same(ours, theirs)
    assert ours["name"] == ["ex0", "ex1", "ex2"] and ours["label"].dtype == np.int64
    assert default_collate([np.str_("a"), np.str_("b")]) == ["a", "b"]
    assert isinstance(ours["meta"]["pair"], tuple)  # a tuple stays a tuple (torch: a list)
    # Tensors are stacked too
    t = default_collate([(ss.tensor([1.0, 2.0]), 1), (ss.tensor([3.0, 4.0]), 0)])
    np.testing.assert_array_equal(t[0], [[1.0, 2.0], [3.0, 4.0]])


def test_default_collate_errors_name_the_place_and_shapes():
    ragged = [{"tokens": np.arange(3), "y": 0}, {"tokens": np.arange(5), "y": 1}]
    with pytest.raises(ValueError, match=r"\['tokens'\].*\(3,\), \(5,\).*pad_sequence"):
        default_collate(ragged)
    with pytest.raises(ValueError, match="different keys"):
        default_collate([{"a": 1}, {"b": 1}])
    with pytest.raises(ValueError, match="different lengths"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="cannot batch elements of type NoneType"):
        default_collate([None, None])
    with pytest.raises(ValueError, match="empty batch"):
        default_collate([])


class DictDataset(Dataset):
    """Examples as dicts, with a per-example random draw that depends on the worker seed."""

    def __init__(self, n=11, noisy=False):
        self.n, self.noisy = n, noisy

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == 7 and getattr(self, "fail_at_7", False):
            raise KeyError(f"bad example {i}")
        x = np.full(3, float(i), np.float32)
        if self.noisy:  # random augmentation: reproducible only through the seeds
            x = x + np.random.rand(3).astype(np.float32)
        return {"x": x, "y": i, "name": str(i)}


def test_a_dataset_of_dicts_collates_into_dicts_of_tensors():
    batches = list(DataLoader(DictDataset(), batch_size=4))
    b = batches[0]
    assert set(b) == {"x", "y", "name"}
    assert isinstance(b["x"], ss.Tensor) and b["x"].shape == (4, 3) and b["x"].dtype == "float32"
    assert b["y"].dtype == "int64" and b["y"].numpy().tolist() == [0, 1, 2, 3]
    assert b["name"] == ["0", "1", "2", "3"]
    assert [len(b["name"]) for b in batches] == [4, 4, 3]
    torch_b = next(iter(tud.DataLoader(DictDataset(), batch_size=4)))
    np.testing.assert_array_equal(b["x"].numpy(), torch_b["x"].numpy())


def test_collate_fn_and_drop_last():
    calls = []

    def collate(items):
        calls.append(len(items))
        return {"ids": np.array([it["y"] for it in items])}

    loader = DataLoader(DictDataset(10), batch_size=4, collate_fn=collate, drop_last=True)
    out = [b["ids"].numpy().tolist() for b in loader]
    assert out == [[0, 1, 2, 3], [4, 5, 6, 7]] and calls == [4, 4] and len(loader) == 2


def test_batch_sampler_matches_torch():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ours = list(BatchSampler(SequentialSampler(range(n)), bs, drop))
        theirs = list(tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop))
        assert ours == theirs
        assert len(BatchSampler(SequentialSampler(range(n)), bs, drop)) == len(theirs)
    with pytest.raises(ValueError, match="BatchSampler: batch_size"):
        BatchSampler(range(3), 0, False)


def test_random_samplers_are_seeded_per_epoch():
    s = RandomSampler(range(20), seed=3)
    e0, e0_again = list(s), list(s)
    s.set_epoch(1)
    e1 = list(s)
    assert e0 == e0_again and e0 != e1 and sorted(e0) == sorted(e1) == list(range(20))
    r = RandomSampler(range(5), replacement=True, num_samples=50, seed=0)
    assert len(list(r)) == 50 == len(r) and set(r) <= set(range(5))
    more = list(RandomSampler(range(4), num_samples=10, seed=0))  # permutations in a row
    assert len(more) == 10 and sorted(more[:4]) == sorted(more[4:8]) == [0, 1, 2, 3]
    sub = SubsetRandomSampler([10, 20, 30, 40], seed=1)
    assert sorted(sub) == [10, 20, 30, 40] and len(sub) == 4
    w = WeightedRandomSampler([1.0, 0.0, 3.0], num_samples=4000, seed=0)
    counts = np.bincount(list(w), minlength=3)
    assert counts[1] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    once = list(WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 4, replacement=False, seed=0))
    assert sorted(once) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(ValueError, match="WeightedRandomSampler: weights"):
        WeightedRandomSampler([1.0, -1.0], 2)


def test_loader_gives_its_seed_to_samplers_and_checks_exclusive_options():
    ds = DictDataset(10)
    s = RandomSampler(ds)
    loader = DataLoader(ds, batch_size=5, sampler=s, seed=4)
    assert s.seed == 4
    # RandomSampler with the loader's seed visits the order shuffle=True would
    plain = DataLoader(TensorDataset(np.arange(10)), batch_size=5, shuffle=True, seed=4)
    for _ in range(2):
        assert [b["y"].numpy().tolist() for b in loader] == [t.numpy().tolist() for (t,) in plain]
    with pytest.raises(ValueError, match="sampler is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=s, shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler is mutually exclusive"):
        DataLoader(ds, batch_size=4, batch_sampler=BatchSampler(s, 2, False))
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(TypeError, match="sampler must have __iter__ and __len__"):
        DataLoader(ds, sampler=5)
    with pytest.raises(ValueError, match="timeout"):
        DataLoader(ds, timeout=-1)
    with pytest.raises(TypeError, match="collate_fn must be callable"):
        DataLoader(ds, collate_fn="stack")


def test_resume_mid_epoch_with_a_sampler():
    ds = DictDataset(23)
    w = np.linspace(0.1, 1.0, 23)

    def make():
        return DataLoader(
            ds, batch_size=4, sampler=WeightedRandomSampler(w, 30), seed=9, as_tensor=False
        )

    full = make()
    epochs = [[b["y"].tolist() for b in full] for _ in range(2)]
    assert epochs[0] != epochs[1]
    part = make()
    it = iter(part)
    head = [next(it)["y"].tolist() for _ in range(3)]
    state = part.state_dict()
    resumed = make()
    resumed.load_state_dict(state)
    tail = [b["y"].tolist() for b in resumed]
    assert head + tail == epochs[0]
    assert [b["y"].tolist() for b in resumed] == epochs[1]


# ---------------------------------------------------------------------------- pad_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_values_and_gradients_match_torch(batch_first, side):
    shapes = [(3, 2), (5, 2), (1, 2)]

    def np_fn(*xs):
        out = np.full((len(xs), 5, 2), -1.5)
        for b, x in enumerate(xs):
            if side == "right":
                out[b, : len(x)] = x
            else:
                out[b, 5 - len(x) :] = x
        return out if batch_first else out.transpose(1, 0, 2)

    check_op(
        lambda *xs: pad_sequence(list(xs), batch_first, -1.5, side),
        lambda *xs: torch.nn.utils.rnn.pad_sequence(list(xs), batch_first, -1.5, side),
        np_fn,
        shapes,
        gradgrad=True,
    )


def test_pad_sequence_in_a_collate_fn_and_its_errors():
    seqs = [np.arange(n, dtype=np.float32) for n in (2, 4, 3)]
    ds = TensorDataset(np.arange(3))

    def collate(items):
        return pad_sequence([seqs[int(i)] for (i,) in items], batch_first=True), np.array(
            [len(seqs[int(i)]) for (i,) in items]
        )

    x, lengths = next(iter(DataLoader(ds, batch_size=3, collate_fn=collate)))
    assert x.shape == (3, 4) and lengths.numpy().tolist() == [2, 4, 3]
    with pytest.raises(ValueError, match=r"sequence 0 has shape \(2, 3\), sequence 1 has"):
        pad_sequence([ss.zeros(2, 3), ss.zeros(2, 4)])
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence([ss.zeros(2)], padding_side="middle")
    with pytest.raises(ValueError, match="empty"):
        pad_sequence([])


# ------------------------------------------------------------------------ BucketBatchSampler
def test_bucket_batch_sampler_each_index_once_similar_lengths_seeded():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 60, 203)
    s = BucketBatchSampler(lengths, batch_size=8, bucket_size_multiplier=5, seed=2)
    batches = list(s)
    assert len(batches) == len(s) == 26
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(203))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    random_spread = np.mean([np.ptp(lengths[rng.permutation(203)[:8]]) for _ in range(50)])
    assert spread < random_spread / 3  # batches hold similar lengths
    assert list(s) == batches  # same epoch, same batches
    s.set_epoch(1)
    assert list(s) != batches
    dropped = BucketBatchSampler(lengths, 8, drop_last=True, seed=2)
    assert len(list(dropped)) == len(dropped) == 25
    assert all(len(b) == 8 for b in dropped)
    with pytest.raises(ValueError, match="BucketBatchSampler: lengths"):
        BucketBatchSampler([1.5, 2.0], 2)


def test_bucket_batch_sampler_in_a_loader_resumes_mid_epoch():
    lengths = np.random.default_rng(1).integers(1, 9, 30)
    seqs = [np.full(n, i, np.float32) for i, n in enumerate(lengths)]

    class Seqs(Dataset):
        def __len__(self):
            return len(seqs)

        def __getitem__(self, i):
            return seqs[i]

    def make():
        return DataLoader(
            Seqs(),
            batch_sampler=BucketBatchSampler(lengths, 4),
            collate_fn=lambda items: pad_sequence(items, batch_first=True, padding_value=-1),
            seed=5,
        )

    full = make()
    epoch0 = [x.numpy() for (x,) in full]
    assert len(epoch0) == len(full) == 8
    ids = sorted({int(v) for x in epoch0 for v in x.ravel() if v >= 0})
    assert ids == list(range(30))
    part = make()
    it = iter(part)
    head = [next(it)[0].numpy() for _ in range(5)]
    resumed = make()
    resumed.load_state_dict(part.state_dict())
    tail = [x.numpy() for (x,) in resumed]
    assert len(head + tail) == 8
    for a, b in zip(head + tail, epoch0):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------- workers
def _arrays(loader):
    out = []
    for batch in loader:
        if isinstance(batch, dict):
            out.append({k: v if isinstance(v, list) else v.numpy() for k, v in batch.items()})
        else:
            out.append(tuple(v.numpy() for v in batch))
    return out


def _equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, dict):
            assert x.keys() == y.keys()
            for k in x:
                np.testing.assert_array_equal(x[k], y[k])
        else:
            for u, v in zip(x, y):
                np.testing.assert_array_equal(u, v)


def test_workers_give_the_batches_of_a_single_process():
    ds = TensorDataset(np.arange(50, dtype=np.float32).reshape(25, 2), np.arange(25))
    for kw in [dict(batch_size=4, shuffle=True), dict(batch_size=3, drop_last=True)]:
        one = DataLoader(ds, seed=2, **kw)
        two = DataLoader(ds, seed=2, num_workers=2, **kw)
        for _ in range(2):  # two epochs: fresh workers each epoch
            _equal(_arrays(one), _arrays(two))
    dicts = DictDataset(13)
    _equal(
        _arrays(DataLoader(dicts, batch_size=3, shuffle=True, seed=1)),
        _arrays(DataLoader(dicts, batch_size=3, shuffle=True, seed=1, num_workers=2)),
    )


def _record_worker(worker_id):
    info = get_worker_info()
    assert info is not None and info.id == worker_id and info.num_workers == 2
    info.dataset.init_by = worker_id


def test_worker_seeds_are_deterministic_and_worker_init_fn_runs():
    class Noisy(DictDataset):
        def __getitem__(self, i):
            item = super().__getitem__(i)
            item["who"] = getattr(self, "init_by", -1)
            return item

    def run(seed):
        loader = DataLoader(
            Noisy(12, noisy=True), batch_size=3, seed=seed, num_workers=2,
            worker_init_fn=_record_worker,
        )  # fmt: skip
        return _arrays(loader)

    a, b, c = run(0), run(0), run(1)
    _equal(a, b)
    assert not np.array_equal(a[0]["x"], c[0]["x"])
    assert [int(batch["who"][0]) for batch in a] == [0, 1, 0, 1]  # batch k from worker k mod 2
    # the two workers draw different random numbers
    assert not np.allclose(a[0]["x"] - np.arange(3)[:, None], a[1]["x"] - np.arange(3, 6)[:, None])
    assert get_worker_info() is None


def test_a_failing_worker_names_itself_and_the_example():
    ds = DictDataset(12)
    ds.fail_at_7 = True
    loader = DataLoader(ds, batch_size=3, num_workers=2)
    with pytest.raises(RuntimeError, match=r"worker 0 raised KeyError while loading example 7 "
                       r"\(batch 2\).*bad example 7"):  # fmt: skip
        list(loader)
    loader2 = DataLoader(DictDataset(12), batch_size=2, num_workers=2)
    for i, _ in enumerate(loader2):  # leave the loop early: workers are shut down
        if i == 1:
            break
    assert not [p for p in _children() if p]


def _children():
    import multiprocessing

    return [p for p in multiprocessing.active_children() if p.is_alive()]


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(start, self.n, step):
            yield np.float32(i), i % 3


class TorchStream(tud.IterableDataset):
    """The same stream for torch's DataLoader (which needs its own base class)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tud.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(start, self.n, step):
            yield np.float32(i), i % 3


def test_iterable_dataset_in_process_and_sharded_over_workers():
    single = [t.numpy().tolist() for t, _ in DataLoader(Stream(10), batch_size=3)]
    assert single == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert len(DataLoader(Stream(10), batch_size=3, drop_last=True)) == 3
    workers = [t.numpy().tolist() for t, _ in DataLoader(Stream(10), batch_size=2, num_workers=2)]
    # worker 0 has 0, 2, 4, 6, 8; worker 1 has 1, 3, 5, 7, 9; batches alternate as in torch
    theirs = [t.tolist() for t, _ in tud.DataLoader(TorchStream(10), batch_size=2, num_workers=2)]
    assert workers == theirs == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    with pytest.raises(ValueError, match="IterableDataset is read in order"):
        DataLoader(Stream(3), shuffle=True)


def test_iterable_dataset_resumes_mid_epoch():
    loader = DataLoader(Stream(10), batch_size=3)
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    again = DataLoader(Stream(10), batch_size=3)
    again.load_state_dict(state)
    assert [t.numpy().tolist() for t, _ in again] == [[3, 4, 5], [6, 7, 8], [9]]
    again2 = DataLoader(Stream(10), batch_size=3)
    again2.load_state_dict(again.state_dict())  # the epoch had finished: a new one
    assert len(list(again2)) == 4 and again2.epoch == 1


def test_workers_resume_mid_epoch_like_a_single_process():
    ds = TensorDataset(np.arange(40), np.arange(40) * 2)
    full = [t.numpy().tolist() for _, t in DataLoader(ds, batch_size=6, shuffle=True, seed=3)]
    part = DataLoader(ds, batch_size=6, shuffle=True, seed=3, num_workers=2)
    it = iter(part)
    head = [next(it)[1].numpy().tolist() for _ in range(3)]
    del it
    resumed = DataLoader(ds, batch_size=6, shuffle=True, seed=3, num_workers=2)
    resumed.load_state_dict(part.state_dict())
    assert head + [t.numpy().tolist() for _, t in resumed] == full
