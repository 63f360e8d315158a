"""Vocabulary, the Penn Treebank loader (real files from SHINSOU_DATA) and the BPTT iterator."""

import json

import numpy as np
import pytest

from shinsou import datasets as ds
from shinsou.data import BPTTIterator, Vocabulary


def test_vocabulary_order_unk_and_counts():
    v = Vocabulary.build([["b", "a", "b"], ["c", "a", "b", "d"]], specials=("<unk>", "<eos>"))
    # specials first, then by count, ties by first appearance (a before c before d)
    assert v.itos == ["<unk>", "<eos>", "b", "a", "c", "d"]
    assert v.stoi["a"] == 3 and len(v) == 6 and v.unk_index == 0
    assert v.counts["b"] == 3 and v.counts["<eos>"] == 0
    assert v.encode(["a", "zebra", "d"]) == [3, 0, 5]
    assert v.decode([2, 1]) == ["b", "<eos>"]
    assert "a" in v and "zebra" not in v


def test_vocabulary_min_count_max_size_closed():
    tokens = "x y y z z z".split()
    assert Vocabulary.build(tokens, min_count=2).itos == ["<unk>", "z", "y"]
    assert Vocabulary.build(tokens, max_size=2).itos == ["<unk>", "z"]
    closed = Vocabulary.build(tokens, specials=())
    assert closed.unk_index is None and closed.itos == ["z", "y", "x"]
    with pytest.raises(KeyError, match="unknown token 'w'"):
        closed.encode(["w"])


def test_vocabulary_errors():
    with pytest.raises(TypeError, match="split it first"):
        Vocabulary.build(["a"]).encode("a b")
    with pytest.raises(IndexError, match="out of range"):
        Vocabulary.build(["a"]).decode([2])
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.build(["a"], min_count=0)
    with pytest.raises(TypeError, match="expected tokens"):
        Vocabulary.build([1, 2])


def test_vocabulary_save_load_round_trip(tmp_path):
    v = Vocabulary.build("the cat sat on the mat".split(), specials=("<unk>", "<eos>"))
    path = tmp_path / "vocabulary.json"
    v.save(path)
    w = Vocabulary.load(path)
    assert w == v and w.itos == v.itos and w.counts == v.counts and w.unk_index == 0
    assert json.loads(path.read_text())["format"] == "shinsou.Vocabulary/1"
    assert not list(tmp_path.glob(".*tmp*"))  # atomic write left nothing behind
    path.write_text(json.dumps({"itos": ["a"]}))
    with pytest.raises(ValueError, match="not a vocabulary file"):
        Vocabulary.load(path)


# --- the PTB files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "split, n, lines",
    [("train", 929_589, 42_068), ("valid", 73_760, 3_370), ("test", 82_430, 3_761)],
)
def test_load_ptb_counts(split, n, lines):
    words = ds.load_ptb(split)
    assert len(words) == n
    assert words.count("<eos>") == lines and words[-1] == "<eos>"


def test_ptb_vocabulary_and_aliases():
    v = ds.ptb_vocabulary()
    assert len(v) == 10_000 and v.itos[:2] == ["<unk>", "<eos>"] and v.unk_index == 0
    assert v.itos[2] == "the"  # the most frequent word
    valid = ds.load_ptb("val")
    assert valid[:3] == ["consumers", "may", "want"]
    ids = v.encode(valid)
    assert all(v.itos[i] == w for i, w in zip(ids[:200], valid[:200], strict=True))
    assert set(valid) <= set(v.itos)  # PTB already spells rare words <unk>
    with pytest.raises(ValueError, match="split must be one of"):
        ds.load_ptb("dev")


def test_ptb_corrupt_file_is_named(tmp_path):
    (tmp_path / "ptb").mkdir()
    (tmp_path / "ptb" / "ptb.valid.txt").write_text("not the corpus\n")
    with pytest.raises(ds.ChecksumError, match="ptb.valid.txt"):
        ds.load_ptb("valid", data_dir=tmp_path)


# --- BPTT windows ----------------------------------------------------------------------


def _pairs(it):
    return [(x.numpy(), y.numpy()) for x, y in it]


def test_bptt_windows_by_hand():
    # 23 tokens, 3 streams of 7 (2 dropped): rows 0..6, 7..13, 14..20
    it = BPTTIterator(np.arange(23), batch_size=3, bptt=4)
    assert it.data.tolist() == [[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13],
                                [14, 15, 16, 17, 18, 19, 20]]  # fmt: skip
    got = _pairs(it)
    assert len(it) == len(got) == 2 and it.tokens_per_epoch == 18
    (x0, y0), (x1, y1) = got
    assert x0.tolist() == [[0, 1, 2, 3], [7, 8, 9, 10], [14, 15, 16, 17]]
    assert y0.tolist() == [[1, 2, 3, 4], [8, 9, 10, 11], [15, 16, 17, 18]]
    assert x1.tolist() == [[4, 5], [11, 12], [18, 19]]  # the short last window
    assert y1.tolist() == [[5, 6], [12, 13], [19, 20]]
    assert x0.dtype == np.int64
    assert len(BPTTIterator(np.arange(23), 3, 4, drop_last=True)) == 1


def test_bptt_y_is_x_shifted_across_windows():
    ids = np.random.default_rng(0).integers(0, 50, size=1000)
    it = BPTTIterator(ids, batch_size=7, bptt=5)
    xs = np.concatenate([x for x, _ in _pairs(it)], axis=1)
    ys = np.concatenate([y for _, y in _pairs(it)], axis=1)
    s = it.steps
    assert xs.shape == ys.shape == (7, s - 1)
    np.testing.assert_array_equal(xs[:, 1:], ys[:, :-1])  # shifted by one, across windows
    for b in range(7):  # each stream is a contiguous piece of the corpus
        np.testing.assert_array_equal(xs[b], ids[b * s : b * s + s - 1])
        np.testing.assert_array_equal(ys[b], ids[b * s + 1 : b * s + s])


def test_bptt_resume_continues_at_the_saved_window():
    ids = np.arange(200)
    full = _pairs(BPTTIterator(ids, 4, 6)) * 2  # two epochs
    it = BPTTIterator(ids, 4, 6)
    seen = []
    for k, (x, y) in enumerate(it):
        seen.append((x.numpy(), y.numpy()))
        if k == 2:
            break
    state = json.loads(json.dumps(it.state_dict()))  # JSON-able
    assert state["window"] == 3 and state["epoch"] == 0
    again = BPTTIterator(ids, 4, 6)
    again.load_state_dict(state)
    rest = _pairs(again) + _pairs(again)
    assert again.epoch == 1
    for (a, b), (c, d) in zip(seen + rest, full, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    done = BPTTIterator(ids, 4, 6)
    done.load_state_dict({"epoch": 0, "window": len(done)})  # an epoch that had ended
    assert next(iter(done))[0].numpy()[0, 0] == 0 and done.epoch == 1
    with pytest.raises(ValueError, match="bptt=6"):
        BPTTIterator(ids, 4, 5).load_state_dict(state)


def test_bptt_shards_are_blocks_of_streams_that_make_up_the_whole():
    # rank r of P yields streams rB/P .. (r+1)B/P - 1 of every window: together the ranks
    # see the windows of one process; the other numbers describe the whole
    ids = np.random.default_rng(1).integers(0, 50, size=300)
    whole = _pairs(BPTTIterator(ids, 6, 7))
    shards = [BPTTIterator(ids, 6, 7, shard=(r, 3)) for r in range(3)]
    got = [_pairs(it) for it in shards]
    for k, (x, y) in enumerate(whole):
        np.testing.assert_array_equal(np.concatenate([g[k][0] for g in got]), x)
        np.testing.assert_array_equal(np.concatenate([g[k][1] for g in got]), y)
        assert all(g[k][0].shape == (2, x.shape[1]) for g in got)
    one = BPTTIterator(ids, 6, 7)
    for it in shards:
        assert (len(it), it.tokens_per_epoch, it.batch_size) == (
            len(one), one.tokens_per_epoch, one.batch_size)  # fmt: skip
    assert "streams 2-3" in repr(shards[1])
    with pytest.raises(ValueError, match="6 streams cannot be shared by 4 ranks"):
        BPTTIterator(ids, 6, 7, shard=(0, 4))
    with pytest.raises(ValueError, match="0 <= rank < ranks"):
        BPTTIterator(ids, 6, 7, shard=(3, 3))


def test_bptt_errors():
    with pytest.raises(ValueError, match="at least 2"):
        BPTTIterator(np.arange(5), batch_size=4, bptt=3)
    with pytest.raises(ValueError, match="bptt must be"):
        BPTTIterator(np.arange(50), batch_size=2, bptt=0)
    with pytest.raises(TypeError, match="1-D sequence of integers"):
        BPTTIterator(np.zeros((3, 4), np.int64), batch_size=1, bptt=2)
    with pytest.raises(IndexError, match="out of range"):
        BPTTIterator(np.arange(50), 2, 5).window(99)
