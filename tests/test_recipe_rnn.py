"""The recurrent recipes on slices of real data: ptb-lm (a tiny LSTM on 2,000 PTB tokens:
perplexity below the slice's unigram perplexity, the run folder, evaluate, `shinsou
generate`, resume) and mnist-rnn."""

import json

import numpy as np
import pytest

from shinsou import cli, recipes
from shinsou.recipes import ptb_lm
from shinsou.tasks.language import evaluate_stream

# a tiny model on the first 2,000 training tokens, read 6 times by 2 streams (600 steps of
# 10 tokens, a few seconds): enough to learn more than word frequencies
TINY_LM = [
    "--train-limit", "2000", "--test-limit", "300", "--embed", "32", "--hidden", "32",
    "--bptt", "10", "--batch-size", "2", "--epochs", "6", "--optimizer", "adam",
    "--lr", "0.02", "--no-progress",
]  # fmt: skip


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "ptb-lm"
    assert cli.main(["train", "ptb-lm", "--out", str(run), *TINY_LM]) == 0
    return run


def test_presets_follow_the_paper():
    r = recipes.get("ptb-lm")
    small, medium = r.config(), r.config(size="medium")
    assert (small.epochs, small.batch_size, small.lr, small.optimizer) == (13, 20, 1.0, "sgd")
    assert (small.hidden, small.layers, small.bptt, small.dropout) == (200, 2, 20, 0.0)
    assert (small.init_range, small.lr_decay, small.decay_after, small.clip) == (0.1, 0.5, 4, 5)
    assert (medium.epochs, medium.hidden, medium.bptt, medium.dropout) == (39, 650, 35, 0.5)
    assert medium.init_range == 0.05 and medium.lr_decay == pytest.approx(1 / 1.2)
    assert r.config(size="medium", epochs=2).epochs == 2  # a given setting wins
    decay = ptb_lm._decay(4, 0.5)  # lr factor of 0-based epoch e: 1 1 1 1 0.5 0.25 ...
    assert [decay(e) for e in range(7)] == [1, 1, 1, 1, 0.5, 0.25, 0.125]
    assert "ptb-lm" in recipes.by_task()["Language modelling"]


def test_tiny_run_beats_the_unigram_model(lm_run):
    r = recipes.get("ptb-lm")
    cfg, model, vocab = r._restore(lm_run)
    train = r._streams(cfg, vocab)["train"]
    got = evaluate_stream(model, train, "train")["train/perplexity"]
    ids = train.data[:, 1:].ravel()  # the predicted tokens
    counts = np.bincount(ids, minlength=len(vocab))
    unigram = float(np.exp(-np.mean(np.log(counts[ids] / counts.sum()))))
    # the unigram model fitted to these very tokens is the best context-free model
    assert got < 0.8 * unigram, (got, unigram)


def test_run_folder_report_and_evaluate(lm_run, capsys):
    for name in ("model.npz", "vocabulary.json", "log.jsonl", "learning_curves.png",
                 "perplexity.png", "metrics.json", "report.md", "samples.txt"):  # fmt: skip
        assert (lm_run / name).is_file(), name
    m = json.loads((lm_run / "metrics.json").read_text())
    assert m["paper_test_perplexity"] == 114.5 and m["train_seconds"] > 0
    log = [json.loads(line) for line in (lm_run / "log.jsonl").read_text().splitlines()]
    assert len(log) == 6 and all("val/perplexity" in e and "test/perplexity" in e for e in log)
    report = (lm_run / "report.md").read_text()
    assert "120.7 validation / 114.5 test" in report and "steps/s" in report
    reproduce = report.split("Reproduce: `")[1].split("`")[0]
    assert reproduce == (
        "shinsou train ptb-lm --size small --epochs 6 --batch-size 2 --lr 0.02 --optimizer adam "
        "--embed 32 --hidden 32 --bptt 10 --train-limit 2000 --test-limit 300 --seed 0"
    )
    capsys.readouterr()
    assert cli.main(["evaluate", str(lm_run)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["test/perplexity"] == pytest.approx(m["test/perplexity"], rel=1e-5)


def test_generate_words_seed_and_prime(lm_run, capsys):
    capsys.readouterr()
    args = ["generate", str(lm_run), "--words", "30", "--seed", "3"]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert cli.main(args) == 0
    assert capsys.readouterr().out == first  # same seed, same text
    words = recipes.get("ptb-lm").generate(lm_run, words=30, seed=3)["words"]
    assert len(words) == 30
    assert first.split() == [w for w in words if w != "<eos>"]  # <eos>: a line break
    assert first.count("\n") == words.count("<eos>") + 1
    out = recipes.get("ptb-lm").generate(lm_run, words=12, seed=3, prime="the company")
    assert len(out["words"]) == 12 and out["text"].startswith("the company")
    assert cli.main(["generate", str(lm_run), "--prime", "the zorglub", "--words", "5"]) == 0
    assert "zorglub" in capsys.readouterr().err  # read as <unk>, with a note
    other = recipes.get("ptb-lm").generate(lm_run, words=30, seed=4)["words"]
    assert other != recipes.get("ptb-lm").generate(lm_run, words=30, seed=3)["words"]


def test_generate_errors(lm_run, tmp_path, capsys):
    capsys.readouterr()
    assert cli.main(["generate", str(lm_run), "--temperature", "0"]) == 2
    assert "temperature must be a positive number" in capsys.readouterr().err
    assert cli.main(["generate", str(lm_run), "--words", "0"]) == 2
    assert "--words must be at least 1" in capsys.readouterr().err
    assert cli.main(["generate", str(tmp_path / "nowhere")]) == 2
    assert cli.main(["sample", str(lm_run), "-n", "2"]) == 2
    assert "shinsou generate" in capsys.readouterr().err


class _Stop(Exception):
    """Stands for a crash in the middle of training."""


def test_a_stopped_run_resumes_at_the_saved_window_from_a_zero_state(tmp_path, monkeypatch):
    # 400 tokens in 2 streams of 200: 20 windows per epoch (the last of 9 steps); a snapshot
    # every 5 steps
    args = ["--train-limit", "400", "--test-limit", "100", "--embed", "8", "--hidden", "8",
            "--bptt", "10", "--batch-size", "2", "--epochs", "2", "--snapshot-every", "5",
            "--no-progress"]  # fmt: skip
    run = tmp_path / "run"
    update, seen = ptb_lm.LMUpdater.update, []

    def recording(self, batch, trainer=None):
        if trainer.epoch_iteration != 0:  # (at 0 the updater resets the state itself)
            seen.append((trainer.epoch, trainer.epoch_iteration, self.state is None))
        if len(seen) == 12 and not resumed:
            raise _Stop
        return update(self, batch, trainer)

    resumed = False
    monkeypatch.setattr(ptb_lm.LMUpdater, "update", recording)
    with pytest.raises(_Stop):
        cli.main(["train", "ptb-lm", "--out", str(run), *args])
    assert not (run / "model.npz").exists()
    # before the crash, every window after the first one of the epoch had a carried state
    assert [s for s in seen if s[2]] == []
    resumed, seen[:] = True, []
    assert cli.main(["train", "ptb-lm", "--out", str(run), *args, "--resume"]) == 0
    # the newest snapshot was after 10 windows: go on at window 10, from a zero state once
    assert seen[0] == (0, 10, True) and not any(s[2] for s in seen[1:])
    assert len([s for s in seen if s[0] == 0]) == 10  # windows 10..19 of the first epoch
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log] == [1, 2] and log[-1]["iteration"] == 2 * 20
    assert (run / "model.npz").is_file()


def test_lm_updater_resets_and_detaches_state():
    import shinsou as ss
    from shinsou.models import RNNLanguageModel

    ss.manual_seed(0)
    model = RNNLanguageModel(20, 4, 5, num_layers=1, init_range=0.1)
    up = ptb_lm.LMUpdater(model, ss.optim.SGD(model.parameters(), lr=0.1), clip=1.0)
    x = ss.tensor(np.arange(12).reshape(2, 6) % 20)
    obs = up.update((x, (x + 1) % 20))
    h, c = up.state
    assert h.shape == (1, 2, 5) and not h.requires_grad and h.grad_fn is None
    assert obs["grad_norm"] > 0 and obs["train/perplexity"] == pytest.approx(
        np.exp(obs["train/loss"]), rel=1e-6
    )
    up.reset_state()
    assert up.state is None


def test_lm_updater_differentiates_the_window_sum_as_zaremba():
    # Zaremba et al. differentiate the loss summed over the window's T steps (mean over the
    # streams): the first SGD step equals lr·T on the per-token mean (PyTorch's example's lr 20)
    import shinsou as ss
    from shinsou.models import RNNLanguageModel

    x = ss.tensor(np.arange(12).reshape(2, 6) % 20)
    steps = {}
    for sum_steps, lr in ((True, 0.1), (False, 0.6)):
        ss.manual_seed(0)
        model = RNNLanguageModel(20, 4, 5, num_layers=1, init_range=0.1)
        before = [p.numpy().copy() for p in model.parameters()]
        up = ptb_lm.LMUpdater(model, ss.optim.SGD(model.parameters(), lr=lr), clip=0,
                              sum_steps=sum_steps)  # fmt: skip
        up.update((x, (x + 1) % 20))
        steps[sum_steps] = [p.numpy() - b for p, b in zip(model.parameters(), before)]
    for a, b in zip(steps[True], steps[False]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)
    assert max(np.abs(a).max() for a in steps[True]) > 0


# --- mnist-rnn ---------------------------------------------------------------------------

TINY_RNN = ["--train-limit", "1500", "--test-limit", "300", "--epochs", "2", "--hidden", "32",
            "--lr", "0.01", "--batch-size", "64", "--no-progress"]  # fmt: skip


@pytest.mark.parametrize("bidirectional", [False, True])
def test_mnist_rnn_tiny_run(tmp_path, capsys, bidirectional):
    run = tmp_path / "mnist-rnn"
    extra = ["--bidirectional"] if bidirectional else []
    assert cli.main(["train", "mnist-rnn", "--out", str(run), *TINY_RNN, *extra]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert m["test/accuracy"] > 0.4, m["test/accuracy"]  # chance is 0.1
    assert (run / "gradient_through_time.png").is_file()
    assert "The vanishing gradient" in (run / "report.md").read_text()
    r = recipes.get("mnist-rnn")
    cfg, model, _ = r._restore(run)
    assert cfg.bidirectional == bidirectional and model.rnn.hidden_size == 32
    assert hasattr(model.rnn, "weight_ih_l0_reverse") == bidirectional
    assert model.head.in_features == (64 if bidirectional else 32)
    capsys.readouterr()
    assert cli.main(["evaluate", str(run)]) == 0
    assert json.loads(capsys.readouterr().out)["test/accuracy"] > 0.4


def test_mnist_rnn_default_budget():
    cfg = recipes.get("mnist-rnn").config()
    assert (cfg.hidden, cfg.optimizer, cfg.cell, cfg.bidirectional) == (128, "adam", "lstm", False)
    assert cfg.epochs >= 3


def test_sequence_classifier_reads_rows_and_uses_both_final_states():
    import shinsou as ss
    from shinsou.models import SequenceClassifier

    ss.manual_seed(0)
    net = SequenceClassifier(4, 3, 2, bidirectional=True)
    x = ss.randn(5, 6, 4)
    _, (h, _) = net.rnn(x)
    z = np.concatenate([h.numpy()[0], h.numpy()[1]], axis=1)  # forward h_T, backward h_1
    want = z @ net.head.weight.numpy().T + net.head.bias.numpy()
    np.testing.assert_allclose(net(x.reshape(5, 24)).numpy(), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="input_size=4"):
        net(ss.randn(5, 7))


def test_vanishing_gradient_lstm_keeps_more_than_tanh_rnn():
    import shinsou as ss
    from shinsou.datasets import load_mnist
    from shinsou.recipes.mnist_rnn import gradient_norms_through_time

    images, labels = load_mnist("test")
    x = ss.tensor((images[:64].astype(np.float32) / 255 - 0.13) / 0.31)  # (64, 28, 28)
    t = ss.tensor(labels[:64].astype(np.int64))
    for seed in (0, 1):
        kept = {}
        for kind in (ss.nn.RNNCell, ss.nn.LSTMCell):
            ss.manual_seed(seed)
            g = gradient_norms_through_time(kind(28, 32), ss.nn.Linear(32, 10), x, t)
            assert g.shape == (28,) and np.all(g > 0)
            assert g[0] < g[-1]  # both vanish toward the first row, untrained
            kept[kind.__name__] = g[0] / g[-1]
        # ... but the LSTM keeps over 30 times more of it (about 200-3500× measured)
        assert kept["LSTMCell"] > 30 * kept["RNNCell"], kept


def test_rnn_language_model_layer():
    import shinsou as ss
    from shinsou.models import RNNLanguageModel

    ss.manual_seed(0)
    lm = RNNLanguageModel(30, 6, 5, num_layers=2, dropout=0.5, init_range=0.1)
    # embedding 30·6, two LSTM layers 4·5·(6+5+2) and 4·5·(5+5+2), decoder 5·30 + 30
    assert lm.num_parameters() == 180 + 260 + 240 + 180
    assert all(np.abs(p.numpy()).max() <= 0.1 for p in lm.parameters())
    x = ss.tensor(np.arange(8).reshape(2, 4))
    lm.eval()
    a, (h, c) = lm(x)
    b, _ = lm(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # no dropout in eval mode
    assert a.shape == (2, 4, 30) and h.shape == c.shape == (2, 2, 5)
    # carrying the state over two halves gives the whole window's output
    first, state = lm(x[:, :2])
    second, _ = lm(x[:, 2:], state)
    np.testing.assert_allclose(second.numpy(), a.numpy()[:, 2:], rtol=1e-5, atol=1e-6)
    lm.train()
    assert not np.array_equal(lm(x)[0].numpy(), a.numpy())  # dropout in training mode
    other = RNNLanguageModel(30, 6, 5, num_layers=2)
    other.load_state_dict(lm.state_dict())
    other.eval()
    np.testing.assert_array_equal(other(x)[0].numpy(), a.numpy())
    with pytest.raises(ValueError, match=r"integer token ids \(B, T\)"):
        lm(ss.randn(2, 4))


def test_projected_language_model_and_the_proj_option(tmp_path, capsys):
    """ptb-lm --proj P: LSTMP layers (each state projected to P units), a decoder that reads
    P features, a run folder that evaluates and reloads into the same net; a --proj that is
    not below --hidden is refused before any folder is made."""
    import shinsou as ss
    from shinsou.models import RNNLanguageModel

    lm = RNNLanguageModel(30, 6, 5, num_layers=2, init_range=0.1, proj_size=3)
    # embedding 30·6; LSTMs 4·5·(6+3+2) + 3·5 and 4·5·(3+3+2) + 3·5; decoder 3·30 + 30
    assert lm.num_parameters() == 180 + 235 + 175 + 120
    logits, (h, c) = lm(ss.tensor(np.arange(8).reshape(2, 4)))
    assert logits.shape == (2, 4, 30) and h.shape == (2, 2, 3) and c.shape == (2, 2, 5)
    assert "proj=3" in repr(lm)

    run = tmp_path / "proj"
    args = [a if a != "6" else "1" for a in TINY_LM]  # one epoch
    assert cli.main(["train", "ptb-lm", "--out", str(run), "--proj", "16", *args]) == 0
    r = recipes.get("ptb-lm")
    cfg, model, vocab = r._restore(run)
    assert cfg.proj == 16 and model.rnn.weight_hr_l1.shape == (16, 32)
    assert model.decoder.weight.shape == (len(vocab), 16)
    got = evaluate_stream(model, r._streams(cfg, vocab)["test"], "test")["test/perplexity"]
    assert np.isfinite(got) and got < len(vocab)
    assert "projected to 16" in (run / "report.md").read_text()
    # the epoch's train perplexity is exp of its mean loss, as val's and test's are
    entry = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()][-1]
    assert entry["train/perplexity"] == pytest.approx(np.exp(entry["train/loss"]))
    bad = tmp_path / "bad"
    capsys.readouterr()
    assert cli.main(["train", "ptb-lm", "--out", str(bad), "--proj", "32", *args]) == 2
    assert "--proj must be an int from 0 (no projection) to --hidden - 1 (31), got 32" in (
        capsys.readouterr().err
    )
    assert not bad.exists()
