"""The enja-seq2seq recipe on a slice of small_parallel_enja, and `shinsou translate`."""

import json

import numpy as np
import pytest

from shinsou import recipes
from shinsou.cli import main
from shinsou.recipes.enja import tokenize_english
from shinsou.tasks.translation import corpus_bleu, plot_attention_grid

SMALL = dict(embed=16, hidden=16, batch_size=32, epochs=1, train_limit=96, test_limit=8,
             beam=2, max_len=12, progress=False)  # fmt: skip


@pytest.fixture(scope="module")
def seq2seq_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("enja") / "run"
    recipe = recipes.get("enja-seq2seq")
    metrics = recipe.train(recipe.config(out=str(out), **SMALL))
    return out, metrics


def test_enja_seq2seq_run_writes_translations_bleu_and_pictures(seq2seq_run):
    out, metrics = seq2seq_run
    for name in ("model.npz", "vocab.en.json", "vocab.ja.json", "report.md", "bleu.png",
                 "learning_curves.png", "attention-1.png", "attention-3.png"):  # fmt: skip
        assert (out / name).is_file(), name
    hyp = (out / "test.hyp.ja").read_text(encoding="utf-8").split("\n")
    assert len(hyp) == 8 + 1 and hyp[-1] == ""  # one line per test sentence
    saved = json.loads((out / "metrics.json").read_text())
    for key in ("test/bleu_greedy", "test/bleu_beam", "test/decode_seconds_beam",
                "test/sentences_per_second_greedy", "test/perplexity", "val/bleu"):  # fmt: skip
        assert key in saved and np.isfinite(saved[key]), key
    assert saved["test/bleu"] == saved["test/bleu_beam"] == metrics["test/bleu_beam"]
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert "val/perplexity" in log[-1] and "train/nll" in log[-1]
    # the epoch's train perplexity is exp of its mean nll, as val's is of its mean loss
    assert log[-1]["train/perplexity"] == pytest.approx(np.exp(log[-1]["train/nll"]))
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "test BLEU, greedy" in report and "attention-1.png" in report
    # the run can be evaluated again and gives the same BLEU
    again = recipes.get("enja-seq2seq").evaluate(out)
    assert again["test/bleu_greedy"] == pytest.approx(saved["test/bleu_greedy"])


def test_translate_command(seq2seq_run, capsys):
    out, _ = seq2seq_run
    assert main(["translate", str(out), "I like apples, qqzx.", "--beam", "3"]) == 0
    cap = capsys.readouterr()
    assert cap.out.strip() and "read as <unk>: qqzx" in cap.err
    answer = recipes.get("enja-seq2seq").translate(out, "i like apples .", beam=1)
    assert answer["source"] == ["i", "like", "apples", "."] and answer["beam"] == 1
    assert answer["translation"] == " ".join(answer["tokens"])
    assert main(["translate", str(out), "hello", "--beam", "0"]) == 2
    assert "--beam must be at least 1" in capsys.readouterr().err


def test_translate_refuses_other_runs(tmp_path, capsys):
    run = tmp_path / "mlp"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"recipe": "mnist-mlp", "config": {
        "recipe": "mnist-mlp"}, "options": {}}))  # fmt: skip
    assert main(["translate", str(run), "hello ."]) == 2
    assert "has no `shinsou translate`" in capsys.readouterr().err
    assert main(["translate", str(tmp_path / "none"), "hello ."]) == 2
    assert "there is no run folder" in capsys.readouterr().err


class _Stop(Exception):
    """Stands for a crash in the middle of training."""


def test_a_stopped_run_resumes_with_the_same_batches(tmp_path, monkeypatch):
    from shinsou.recipes import enja

    recipe = recipes.get("enja-seq2seq")
    settings = {**SMALL, "epochs": 2, "snapshot_every": 2, "beam": 1}
    update, seen = enja.TranslationUpdater.update, []
    crash_at = None

    def recording(self, batch, trainer=None):
        if crash_at is not None and len(seen) == crash_at:
            raise _Stop
        seen.append(batch["src"].numpy().sum())
        return update(self, batch, trainer)

    monkeypatch.setattr(enja.TranslationUpdater, "update", recording)
    whole = recipe.train(recipe.config(out=str(tmp_path / "whole"), **settings))
    straight, seen[:] = list(seen), []
    crash_at = 4  # 3 batches per epoch: dies at step 5 (2nd epoch), last snapshot after step 4
    with pytest.raises(_Stop):
        recipe.train(recipe.config(out=str(tmp_path / "run"), **settings))
    assert not (tmp_path / "run" / "model.npz").exists()
    crash_at = None
    cfg = recipe.config(out=str(tmp_path / "run"), resume=True, **settings)
    again = recipe.train(cfg)
    assert seen == straight  # steps 1-4, then (resumed) 5 and 6: the same batches
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log] == [1, 2]
    assert again["test/perplexity"] == pytest.approx(whole["test/perplexity"], rel=1e-5)


def test_tokenize_bleu_and_grid_helpers(tmp_path):
    assert tokenize_english("It's Tom's; can't!") == ["it", "'s", "tom", "'s", ";", "can",
                                                      "'t", "!"]  # fmt: skip
    assert corpus_bleu([["a", "b", "c", "d", "e"]], [["a", "b", "c", "d", "f"]]) < 100
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        corpus_bleu([["a"], ["b"]], [["a"]])
    plot_attention_grid(tmp_path / "g.png", np.full((2, 2, 3, 4), 0.25), list("abcd"),
                        list("xyz"))  # fmt: skip
    assert (tmp_path / "g.png").stat().st_size > 0
    with pytest.raises(ValueError, match="expected weights"):
        plot_attention_grid(tmp_path / "h.png", np.ones((2, 3, 4)), list("abcd"), list("xyz"))


def test_enja_transformer_run_with_per_head_attention_maps(tmp_path):
    from PIL import Image

    recipe = recipes.get("enja-transformer")
    cfg = recipe.config(out=str(tmp_path / "t"), d_model=16, heads=2, feedforward=32,
                        warmup=4, **{k: v for k, v in SMALL.items()
                                     if k not in ("embed", "hidden")})  # fmt: skip
    metrics = recipe.train(cfg)
    out = tmp_path / "t"
    assert np.isfinite(metrics["test/bleu_beam"]) and (out / "test.hyp.ja").is_file()
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert 0 < log[-1]["lr"] <= 1e-3  # the warm-up schedule ran, one step per iteration
    # one panel per (layer, head): 2 x 2 panels, wider than a single map
    w, h = Image.open(out / "attention-1.png").size
    assert w > 200 and h > 100
    answer = recipe.translate(out, "i like apples .", beam=2)
    assert answer["beam"] == 2 and isinstance(answer["translation"], str)
    with pytest.raises(ValueError, match="must be adam or adamw"):
        recipe.make_optimizer(None, recipe.config(optimizer="sgd"))


def test_the_log_weights_translation_steps_by_target_tokens(tmp_path):
    """TranslationUpdater gives LogReport each step's target tokens as its weight, so the
    epoch's train/nll is the mean per token over the epoch (as the dev loss is), not per
    sentence: two steps of 1 and 5 target tokens, weights 1 and 5."""
    import types

    import shinsou as ss
    from shinsou.data import TranslationCollate
    from shinsou.models import TransformerTranslator
    from shinsou.recipes import enja
    from shinsou.training import LogReport

    ss.manual_seed(0)
    model = TransformerTranslator(9, 9, d_model=8, nhead=2, num_encoder_layers=1,
                                  num_decoder_layers=1, dim_feedforward=8, dropout=0.0)  # fmt: skip
    up = enja.TranslationUpdater(model, ss.optim.SGD(model.parameters(), lr=0.0), pad_index=0)
    collate = TranslationCollate(0)
    short = collate([(np.array([4, 5]), np.array([1, 6, 2]))] * 1)  # 2 target tokens
    long = collate([(np.array([4]), np.array([1, 6, 7, 8, 2]))] * 2)  # 2 × 4 = 8
    trainer = types.SimpleNamespace(observation={}, batch_size=None, epoch=0, iteration=0,
                                    elapsed_time=0.0, log=[], out=tmp_path,
                                    completed=True)  # fmt: skip
    rep = LogReport()
    rep.initialize(trainer)
    nll = []
    for i, batch in enumerate((short, long)):
        batch = {k: ss.tensor(v) for k, v in batch.items()}
        trainer.observation = up.update(batch, trainer)
        assert trainer.batch_size == (2, 8)[i]
        nll.append(trainer.observation["train/nll"])
        rep.report_trigger = (lambda _: True) if i else (lambda _: False)
        rep(trainer)
    assert trainer.log[-1]["train/nll"] == pytest.approx((2 * nll[0] + 8 * nll[1]) / 10)
