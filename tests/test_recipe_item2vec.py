"""item2vec on Groceries baskets (and the word2vec recipe): the ranking evaluation and its
baselines on hand-made baskets, a tiny run, `shinsou evaluate` and `shinsou recommend`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from shinsou import cli
from shinsou.datasets import groceries as groceries_mod
from shinsou.tasks import embedding as E


@pytest.fixture(autouse=True)
def no_groceries_download(tmp_path, monkeypatch):
    monkeypatch.setattr(groceries_mod, "GROCERIES_URLS", [(tmp_path / "nowhere").as_uri()])


def test_ranks_hits_and_mrr_by_hand():
    scores = np.array([[5.0, 4.0, 3.0, 2.0, 1.0], [1.0, 1.0, 1.0, 1.0, 9.0]])
    # query 0: item 0 given (left out), hidden 2 is behind item 1 only -> rank 2
    # query 1: item 4 given, hidden 3 ties with 0, 1, 2 -> rank 1 + 3/2 = 2.5
    r = E.ranks_of(scores, np.array([2, 3]), [[0], [4]])
    assert r.tolist() == [2.0, 2.5]
    assert E.hit_rate(r, k=2) == 0.5
    assert E.mean_reciprocal_rank(r) == pytest.approx((1 / 2 + 1 / 2.5) / 2)


def test_baselines_on_hand_made_baskets():
    train = [[0, 1], [0, 1, 2], [0, 3], [2, 3], [0]]
    pop = E.popularity_scores(train, 5)
    assert pop.tolist() == [4, 2, 2, 2, 0]
    co = E.cooccurrence_counts(train, 5)
    assert co[0].tolist() == [0, 2, 1, 1, 0] and (co == co.T).all()
    given, hidden = [[1], [3]], np.array([2, 2])
    table = E.ranking_table(
        given,
        hidden,
        {
            "popularity": lambda g: np.tile(pop, (len(g), 1)),
            "cooccurrence": lambda g: np.stack([co[x].sum(axis=0) for x in g]),
        },
        k=1,
    )
    # popularity: item 0 (4) first, then 2 tied with the other 2-count item -> ranks 2.5, 2.5
    assert table["popularity"] == {"hit@1": 0.0, "mrr": pytest.approx(1 / 2.5)}
    # co-occurrence with 1: 0 (2) before 2 (1) -> rank 2; with 3: 0 (1) and 2 (1) tie -> 1.5
    assert table["cooccurrence"]["mrr"] == pytest.approx((1 / 2 + 1 / 1.5) / 2)
    g, h = E.hide_one([[0, 1, 2], [3], [4, 0]], seed=3)
    assert len(g) == 2 and all(x not in b for x, b in zip(h, g, strict=True))
    assert sorted([*g[0], h[0]]) == [0, 1, 2]


def test_similarity_scores_and_unknown_items():
    unit = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    s = E.similarity_scores(unit, [[0, 1]])
    np.testing.assert_allclose(s, [[0.5, 0.5, 0.7]])
    msg = E.unknown_item_message("milk", ["whole milk", "UHT-milk", "soda"])
    assert "'whole milk'" in msg and "'UHT-milk'" in msg and "soda" not in msg
    assert E.parse_items(["a, b", "c"]) == ["a", "b", "c"]
    with pytest.raises(KeyError, match="unknown item 'sodaa'; did you mean: 'soda'"):
        E.check_items(["soda", "sodaa"], ["soda"])


def test_item2vec_trains_evaluates_and_recommends(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--epochs", "2", "--train-limit", "800", "--dim", "8", "--map", "pca", "--no-progress"]
    assert cli.main(["train", "item2vec", "--out", str(out), *args]) == 0
    for name in ("config.json", "model.npz", "vocab.json", "metrics.json", "report.md",
                 "item_map.png", "log.json"):  # fmt: skip
        assert (out / name).exists(), name
    m = json.loads((out / "metrics.json").read_text())
    for scorer in ("item2vec_likelihood", "item2vec_cosine", "popularity", "cooccurrence"):
        assert 0 <= m[f"{scorer}/hit@10"] <= 1 and 0 < m[f"{scorer}/mrr"] <= 1
    assert m["test_queries"] > 50 and m["train_baskets"] == 640
    assert len(json.loads((out / "log.json").read_text())) == 2
    report = (out / "report.md").read_text()
    assert "| popularity (training frequency) |" in report and "whole milk →" in report

    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["popularity/hit@10"] == m["popularity/hit@10"]
    assert ev["item2vec_likelihood/mrr"] == pytest.approx(m["item2vec_likelihood/mrr"], abs=1e-5)

    assert cli.main(["recommend", str(out), "whole milk", "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "with whole milk:" and len(lines) == 4
    assert all("whole milk" not in line for line in lines[1:])
    assert cli.main(["recommend", str(out), "whole milk, yogurt", "--score", "cosine"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "with whole milk, yogurt:" and len(lines) == 6

    assert cli.main(["recommend", str(out), "whole mlk"]) == 2
    assert "unknown item 'whole mlk'; did you mean: 'whole milk'" in capsys.readouterr().err
    assert cli.main(["recommend", str(out), "soda", "--top", "0"]) == 2
    assert "--top must be at least 1" in capsys.readouterr().err
    assert cli.main(["recommend", str(tmp_path / "none"), "soda"]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_item2vec_rejects_bad_options(tmp_path, capsys):
    out = tmp_path / "bad"
    assert cli.main(["train", "item2vec", "--out", str(out), "--test-fraction", "1.5"]) == 2
    assert "--test-fraction must be in (0, 1)" in capsys.readouterr().err
    assert cli.main(["train", "item2vec", "--out", str(out), "--optimizer", "adam"]) == 2
    assert "fused sparse SGD only" in capsys.readouterr().err
    assert not out.exists()


def test_word2vec_recipe_tiny_run(tmp_path, capsys):
    out = tmp_path / "w2v"
    args = ["--epochs", "1", "--train-limit", "300", "--test-limit", "50", "--dim", "8",
            "--map-words", "40", "--map", "pca", "--no-progress"]  # fmt: skip
    assert cli.main(["train", "word2vec", "--out", str(out), *args]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["words_per_second"] > 0 and np.isfinite(m["val/loss"])
    assert set(m["neighbours"]) <= {"money", "president", "stock", "week", "two"}
    assert all(len(v) == 8 for v in m["neighbours"].values())
    assert (out / "word_map.png").exists() and "nearest neighbours" in (
        out / "report.md"
    ).read_text()
    capsys.readouterr()
    assert cli.main(["recommend", str(out), "the", "--top", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert cli.main(["evaluate", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["val/loss"] == pytest.approx(m["val/loss"])


def test_embedding_recipes_refuse_resume_and_gpu(tmp_path, capsys):
    for recipe in ("item2vec", "word2vec"):
        out = tmp_path / recipe
        assert cli.main(["train", recipe, "--out", str(out), "--resume"]) == 2
        assert "--resume is not supported" in capsys.readouterr().err
        assert cli.main(["train", recipe, "--out", str(out), "--device", "cuda"]) == 2
        assert "CPU only" in capsys.readouterr().err
        assert not out.exists()
