"""Vocabulary, the Penn Treebank loader (real files from SHINSOU_DATA) and the BPTT iterator."""

import json

import pytest

from shinsou.data import Vocabulary


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
