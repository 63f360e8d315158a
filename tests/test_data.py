"""Dataset, DataLoader (feeding modes, reproducible shuffling, resuming) and transforms."""

import numpy as np
import pytest

import shinsou as ss
import shinsou.functional as F
from shinsou.data import (
    AsType,
    Compose,
    DataLoader,
    Dataset,
    Flatten,
    OneHot,
    Scale01,
    Standardize,
    Subset,
    TensorDataset,
    random_split,
)


def _ds(n=10):
    return TensorDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))


def _labels(loader):
    return [t.numpy().tolist() for _, t in loader]


def test_tensor_dataset_items_batches_and_transforms():
    x = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    ds = TensorDataset(x, np.array([2, 0, 1]), transform=Scale01(), target_transform=OneHot(3))
    xi, ti = ds[1]
    np.testing.assert_allclose(xi, x[1] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ti, [1, 0, 0])
    xb, tb = ds.__getitems__(np.array([2, 0]))
    assert xb.shape == (2, 2, 2) and xb.dtype == np.float32
    np.testing.assert_array_equal(tb, [[0, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="array 1 has shape"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


def test_subset_and_random_split():
    ds = _ds(10)
    sub = Subset(ds, [9, 2, 4])
    assert len(sub) == 3 and sub[0][1] == 9
    np.testing.assert_array_equal(sub.__getitems__(np.array([2, 1]))[1], [4, 2])
    with pytest.raises(IndexError, match="out of range"):
        Subset(ds, [10])
    a, b = random_split(ds, [7, 3], seed=3)
    c, _ = random_split(ds, [7, 3], seed=3)
    assert sorted(np.concatenate([a.indices, b.indices]).tolist()) == list(range(10))
    np.testing.assert_array_equal(a.indices, c.indices)
    with pytest.raises(ValueError, match="sum to"):
        random_split(ds, [5, 4])


@pytest.mark.parametrize(
    "kwargs, sizes",
    [
        (dict(batch_size=4), [4, 4, 2]),
        (dict(batch_size=4, drop_last=True), [4, 4]),
        (dict(batch_size=4, mode="full-batch"), [10]),
        (dict(mode="online"), [1] * 10),
        (dict(batch_size=20), [10]),
    ],
)
def test_loader_modes_and_batch_sizes(kwargs, sizes):
    loader = DataLoader(_ds(10), **kwargs)
    got = [len(t) for _, t in loader]
    assert got == sizes and len(loader) == len(sizes)
    # Without shuffling, the examples come in order and each once.
    assert sum(_labels(loader), [])[: sum(sizes)] == list(range(sum(sizes)))


def test_loader_shuffles_each_epoch_differently_and_reproducibly():
    loader = DataLoader(_ds(50), batch_size=7, shuffle=True, seed=5)
    e0, e1 = sum(_labels(loader), []), sum(_labels(loader), [])
    assert sorted(e0) == sorted(e1) == list(range(50))
    assert e0 != e1 and e0 != list(range(50))
    again = DataLoader(_ds(50), batch_size=7, shuffle=True, seed=5)
    assert sum(_labels(again), []) == e0 and sum(_labels(again), []) == e1
    np.testing.assert_array_equal(loader.order(1), np.array(e1))


def test_loader_seed_follows_manual_seed():
    ss.manual_seed(1)
    a = sum(_labels(DataLoader(_ds(30), 30, shuffle=True)), [])
    ss.manual_seed(1)
    b = sum(_labels(DataLoader(_ds(30), 30, shuffle=True)), [])
    ss.manual_seed(2)
    c = sum(_labels(DataLoader(_ds(30), 30, shuffle=True)), [])
    assert a == b and a != c


def test_loader_resumes_mid_epoch_and_at_epoch_end():
    ref = DataLoader(_ds(23), batch_size=5, shuffle=True, seed=0)
    full = [_labels(ref) for _ in range(3)]  # three epochs
    loader = DataLoader(_ds(23), batch_size=5, shuffle=True, seed=0)
    it = iter(loader)
    seen = [next(it)[1].numpy().tolist() for _ in range(2)]
    state = loader.state_dict()
    assert state == {"seed": 0, "epoch": 0, "batch": 2}
    fresh = DataLoader(_ds(23), batch_size=5, shuffle=True, seed=99)
    fresh.load_state_dict(state)
    assert seen + _labels(fresh) == full[0]  # the rest of epoch 0 ...
    assert _labels(fresh) == full[1]  # ... then epoch 1 as an uninterrupted loader has it
    end = fresh.state_dict()
    assert end["batch"] == len(fresh)
    other = DataLoader(_ds(23), batch_size=5, shuffle=True, seed=7)
    other.load_state_dict(end)
    assert _labels(other) == full[2]


class _PlainDataset(Dataset):
    """No __getitems__: the loader stacks examples one by one."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i % 2


def test_loader_collates_plain_datasets_and_yields_tensors_or_arrays():
    x, t = next(iter(DataLoader(_PlainDataset(), batch_size=4)))
    assert isinstance(x, ss.Tensor) and x.shape == (4, 3) and t.numpy().tolist() == [0, 1, 0, 1]
    x, t = next(iter(DataLoader(_PlainDataset(), batch_size=2, as_tensor=False)))
    assert isinstance(x, np.ndarray) and x[1, 0] == 1.0


def test_loader_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode must be one of"):
        DataLoader(_ds(), mode="batch")
    with pytest.raises(ValueError, match="positive int"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(TypeError, match="expected a Dataset"):
        DataLoader(42)


@pytest.mark.parametrize(
    "mode, steps_per_epoch", [("full-batch", 1), ("mini-batch", 8), ("online", 64)]
)
def test_three_feeding_modes_all_learn_a_separable_problem(mode, steps_per_epoch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    t = (x[:, 0] + 2 * x[:, 1] > 0).astype(np.int64)
    loader = DataLoader(TensorDataset(x, t), batch_size=8, shuffle=True, seed=0, mode=mode)
    assert len(loader) == steps_per_epoch
    ss.manual_seed(0)
    net = ss.nn.Linear(2, 2)
    opt = ss.optim.SGD(net.parameters(), lr=0.5 if mode == "full-batch" else 0.05)
    for _ in range(400 // steps_per_epoch + 1):
        for xb, tb in loader:
            opt.zero_grad()
            F.cross_entropy(net(xb), tb).backward()
            opt.step()
    assert F.accuracy(net(ss.tensor(x)), ss.tensor(t)) >= 0.95


def test_standardize_uses_training_statistics():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(1000, 4)).astype(np.float32)
    test = rng.normal(3.0, 2.0, size=(500, 4)).astype(np.float32)
    s = Standardize.fit(train)
    z = s(train)
    assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-4
    np.testing.assert_allclose(s(test), (test - train.mean()) / train.std(), rtol=1e-4, atol=1e-5)
    per = Standardize.fit(np.array([[1.0, 5.0], [3.0, 5.0]]), per_feature=True)
    # a constant feature is shifted but not divided by zero
    np.testing.assert_allclose(per(np.array([[2.0, 6.0]])), [[0.0, 1.0]])
    again = Standardize.from_state_dict(s.state_dict())
    np.testing.assert_array_equal(again(test), s(test))


def test_small_transforms():
    np.testing.assert_array_equal(Flatten()(np.zeros((2, 3, 4))).shape, (2, 12))
    np.testing.assert_array_equal(Flatten()(np.zeros((3, 4))).shape, (12,))
    assert AsType(np.int64)(np.array([1.7])).tolist() == [1]
    assert Scale01(max_value=16)(np.array([8])).tolist() == [0.5]
    assert Compose([Scale01(), Flatten()])(np.full((1, 2, 2), 255, np.uint8)).tolist() == [
        [1.0] * 4
    ]
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        OneHot(3)(np.array([3]))
    with pytest.raises(TypeError, match="integer labels"):
        OneHot(3)(np.array([0.5]))
