"""shinsou.distributed: the single-process path, the sampler's shards, SyncBatchNorm's
gradients, and real 2-rank MPI jobs (``mpiexec -n 2``, started as subprocesses): gradient
averaging, 2 ranks == 1 process after 20 steps (MLP, CNN with SyncBatchNorm), rank-0-only
files and resume, a dead / stopped / hung / failing rank ending the job, and
``shinsou train --distributed``."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import shinsou as ss
from shinsou import distributed as dist
from shinsou.data import DataLoader, TensorDataset

HERE = Path(__file__).resolve().parent
JOB = HERE / "distributed_job.py"


# --- one process ------------------------------------------------------------------------
def test_single_process_is_rank_0_of_1_and_collectives_return_their_input():
    comm = dist.Communicator()
    assert (comm.rank, comm.size, comm.local_rank, comm.local_size) == (0, 1, 0, 1)
    assert comm.is_main and not comm.distributed
    x = np.array([1.0, 2.0])
    y = comm.allreduce(x, "mean")
    assert np.array_equal(y, x) and y is not x
    assert comm.allreduce(x, "sum", out=x) is x
    assert comm.bcast(x) is x
    assert comm.bcast_object({"a": 1}) == {"a": 1}
    assert comm.allgather_object(3) == [3]
    assert comm.run_on_main(lambda a: a + 1, 1) == 2
    comm.barrier()
    with pytest.raises(ValueError, match="op must be one of"):
        comm.allreduce(x, "prod")
    # without init(): the same single-process answers from the module functions
    assert (dist.rank(), dist.size(), dist.is_main_process()) == (0, 1, True)


def test_single_process_gradients_and_parameters_are_left_alone():
    net = ss.nn.Linear(3, 2)
    before = net.weight.numpy().copy()
    dist.broadcast_parameters(net)
    net(ss.ones(4, 3)).sum().backward()
    g = net.weight.grad.numpy().copy()
    assert dist.allreduce_gradients(net) == 0
    assert np.array_equal(net.weight.numpy(), before)
    assert np.array_equal(net.weight.grad.numpy(), g)
    opt = ss.optim.SGD(net.parameters(), lr=0.1)
    up = ss.training.StandardUpdater(net, opt).distribute()
    assert up.comm.size == 1
    with pytest.raises(ValueError, match="bucket_bytes"):
        dist.allreduce_gradients(net, bucket_bytes=0)


def test_init_without_mpiexec_is_the_single_process_run():
    code = "import shinsou as ss; c = ss.distributed.init(); print(c.rank, c.size)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1"]


def test_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHINSOU_DIST_TIMEOUT", "2.5")
    assert dist.default_timeout() == 2.5
    monkeypatch.setenv("SHINSOU_DIST_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="SHINSOU_DIST_TIMEOUT"):
        dist.default_timeout()


def test_threads_per_rank_share_the_cores():
    assert dist.threads_per_rank(1, cores=8) == 8
    assert dist.threads_per_rank(2, cores=2) == 1
    assert dist.threads_per_rank(3, cores=2) == 1
    assert dist.threads_per_rank(4, cores=16) == 4


def test_configure_threads_gives_each_local_rank_its_share(monkeypatch):
    from shinsou.distributed import threads

    calls = []
    monkeypatch.setattr(threads.parallel, "cores", lambda: 4)
    monkeypatch.setattr(threads.parallel, "set_enabled", lambda on: calls.append(("split", on)))
    monkeypatch.setattr(threads.blas, "limit_threads", lambda n: calls.append(("blas", n)))
    monkeypatch.delenv("SHINSOU_NUM_THREADS", raising=False)
    assert threads.configure_threads(2) == 2
    assert threads.configure_threads(4) == 1
    assert calls == [("split", True), ("blas", 2), ("split", False), ("blas", 1)]
    monkeypatch.setenv("SHINSOU_NUM_THREADS", "1")  # the user's setting wins
    assert threads.configure_threads(4) is None
    assert len(calls) == 4


def test_updater_distribute_twice_keeps_one_hook():
    net = ss.nn.Linear(2, 2)
    opt = ss.optim.SGD(net.parameters(), lr=0.1)
    up = ss.training.StandardUpdater(net, opt)
    up.distribute(dist.Communicator())
    up.distribute(dist.Communicator())
    assert up._dp_hooks == []  # one process: no hook at all
    with pytest.raises(TypeError, match="op='mean' needs a floating-point array"):
        dist.Communicator().allreduce(np.array([1, 2]), "mean")


def test_local_batch_size_splits_the_global_batch():
    assert dist.local_batch_size(128, size=4) == 32
    with pytest.raises(ValueError, match="not divisible by the 3 ranks"):
        dist.local_batch_size(128, size=3)


def test_optimizer_step_pre_hook_runs_before_the_update_and_can_be_removed():
    p = ss.nn.Parameter(ss.ones(2))
    p.grad = ss.tensor([1.0, 1.0])
    opt = ss.optim.SGD([p], lr=1.0)
    seen = []

    def hook(o, args, kwargs):
        seen.append(p.numpy().copy())  # the parameter before this step
        p.grad = ss.tensor([2.0, 2.0])  # what allreduce_gradients does: a new gradient

    handle = opt.register_step_pre_hook(hook)
    opt.step()
    assert np.array_equal(seen[0], [1.0, 1.0])
    assert np.array_equal(p.numpy(), [-1.0, -1.0])  # the hook's gradient was used
    handle.remove()
    opt.step()
    assert len(seen) == 1


# --- the sampler ------------------------------------------------------------------------
def test_distributed_sampler_shards_cover_each_global_batch_of_one_process():
    n, p, b = 24, 3, 2  # global batch B = 6
    ds = TensorDataset(np.arange(n, dtype=np.float32), np.arange(n))
    single = DataLoader(ds, b * p, shuffle=True, seed=4)
    ranks = [
        DataLoader(ds, b, sampler=dist.DistributedSampler(ds, num_replicas=p, rank=r, seed=4))
        for r in range(p)
    ]
    for _epoch in range(2):  # each loader calls its sampler's set_epoch before an epoch
        one = [t.numpy() for _, t in single]
        shards = [[t.numpy() for _, t in loader] for loader in ranks]
        assert len({len(x) for x in shards}) == 1  # every rank the same number of batches
        for j, batch in enumerate(one):
            together = np.concatenate([shards[r][j] for r in range(p)])
            assert sorted(together) == sorted(batch)
    e0 = list(dist.DistributedSampler(ds, num_replicas=p, rank=0, seed=4))
    s1 = dist.DistributedSampler(ds, num_replicas=p, rank=0, seed=4)
    s1.set_epoch(1)
    assert list(s1) != e0  # a new order each epoch
    assert s1.state_dict() == {"epoch": 1}
    s2 = dist.DistributedSampler(ds, num_replicas=p, rank=0, seed=4)
    s2.load_state_dict(s1.state_dict())
    assert list(s2) == list(s1)  # resumable: the epoch decides the order


def test_distributed_sampler_pads_drops_or_covers_exactly_once():
    ds = list(range(10))
    padded = [list(dist.DistributedSampler(ds, 4, r, shuffle=False)) for r in range(4)]
    assert [len(s) for s in padded] == [3, 3, 3, 3]
    assert sorted(sum(padded, [])) == sorted(list(range(10)) + [0, 1])
    dropped = [list(dist.DistributedSampler(ds, 4, r, drop_last=True)) for r in range(4)]
    assert [len(s) for s in dropped] == [2, 2, 2, 2]
    exact = [list(dist.DistributedSampler(ds, 4, r, pad=False)) for r in range(4)]
    assert sorted(sum(exact, [])) == list(range(10))
    with pytest.raises(ValueError, match="rank must be in"):
        dist.DistributedSampler(ds, num_replicas=2, rank=2)


# --- SyncBatchNorm ----------------------------------------------------------------------
def test_sync_batchnorm_in_one_process_is_batchnorm_with_its_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    bn = ss.nn.BatchNorm2d(3)
    bn.weight.data.copy_(ss.tensor([0.5, 1.0, 2.0]))
    sync = dist.convert_sync_batchnorm(ss.nn.Sequential(bn))[0]
    assert isinstance(sync, dist.SyncBatchNorm) and sync.weight is bn.weight
    ref = ss.nn.BatchNorm2d(3)
    ref.load_state_dict(bn.state_dict())
    xa, xb = ss.tensor(x, requires_grad=True), ss.tensor(x, requires_grad=True)
    ya, yb = sync(xa), ref(xb)
    assert np.allclose(ya.numpy(), yb.numpy(), atol=1e-5)
    g = ss.tensor(rng.standard_normal(x.shape).astype(np.float32))
    ya.backward(g)
    yb.backward(g)
    assert np.allclose(xa.grad.numpy(), xb.grad.numpy(), atol=1e-5)
    assert np.allclose(sync.weight.grad.numpy(), ref.weight.grad.numpy(), atol=1e-5)
    for name in ("running_mean", "running_var"):
        assert np.allclose(getattr(sync, name).numpy(), getattr(ref, name).numpy(), atol=1e-6)
    sync.eval(), ref.eval()
    assert np.allclose(sync(ss.tensor(x)).numpy(), ref(ss.tensor(x)).numpy(), atol=1e-5)


def test_sync_batchnorm_differentiates_twice():
    rng = np.random.default_rng(1)
    bn = dist.SyncBatchNorm(2, track_running_stats=False).to(dtype=ss.float64)
    x = ss.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    w = ss.tensor(rng.uniform(0.5, 2, 2), requires_grad=True)
    fn = lambda x, w: dist.all_reduce_sum(bn(x) * w.reshape(1, 2, 1))  # noqa: E731
    assert ss.gradcheck(fn, (x, w))
    assert ss.autograd.gradgradcheck(fn, (x, w))


def test_sync_batchnorm_checks_its_input():
    with pytest.raises(ValueError, match=r"SyncBatchNorm\(3\) expected input \(N, 3, \*\)"):
        dist.SyncBatchNorm(3)(ss.ones(2, 4))


# --- real MPI jobs ----------------------------------------------------------------------
def _env(**extra) -> dict:
    env = dict(os.environ)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env["SHINSOU_NUM_THREADS"] = "1"
    env["SHINSOU_DATA"] = os.path.abspath(env.get("SHINSOU_DATA", ""))
    env.update(extra)
    return env


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"  # the mpich wheel's, beside this Python
    found = str(here) if here.exists() else shutil.which("mpiexec")
    assert found, "mpiexec not found: install the [mpi] extra (pip install mpi4py mpich)"
    return found


def _job(args, tmp_path, timeout=60, **env):
    cmd = [_mpiexec(), "-n", "2", sys.executable, *map(str, args)]
    start = time.monotonic()
    out = subprocess.run(
        cmd, cwd=tmp_path, env=_env(**env), capture_output=True, text=True, timeout=timeout
    )
    return out, time.monotonic() - start


def test_two_ranks_average_gradients_and_match_one_process(tmp_path):
    out, _ = _job([JOB, "train", tmp_path], tmp_path)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "OK gradients averaged" in text
    assert "OK mlp: 2 ranks match one process" in text
    assert "OK cnn: 2 ranks match one process" in text
    assert "OK rank 0 alone writes; resumed run equals the uninterrupted one" in text
    assert "OK evaluation over shards equals evaluation of the whole set" in text
    assert "OK dcgan: 2 ranks match one process" in text
    assert "OK lm: 2 ranks match one process" in text
    assert "OK translation: 2 ranks match one process" in text
    assert "OK dev evaluation over shards equals the whole dev set's" in text


@pytest.mark.parametrize(
    "mode, message",
    [
        ("stop", r"rank 1 has sent no heartbeat for \d+ s \(its process died or is stopped\)"),
        ("hang", r"rank 1 \(last seen computing after collective #\d+\) did not reach"),
        ("raise", r"rank 1 of 2: uncaught RuntimeError: a failure on purpose"),
    ],
)
def test_a_stopped_hung_or_failing_rank_ends_the_job_naming_it(tmp_path, mode, message):
    out, seconds = _job([JOB, mode, tmp_path], tmp_path, SHINSOU_DIST_TIMEOUT="3")
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert re.search(message, text), text
    assert seconds < 30, seconds  # the watchdog's 3 s, not the subprocess limit


def test_ranks_wait_for_rank_zero_work_longer_than_the_timeout(tmp_path):
    out, seconds = _job([JOB, "patient", tmp_path], tmp_path, SHINSOU_DIST_TIMEOUT="1")
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "OK ranks waited" in text


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_killing_a_rank_ends_the_job_and_names_it(tmp_path, sig):
    """A rank killed from outside. SIGKILL: the launcher ends the whole job at once and names
    the dead PID, which the table that ``init`` printed maps to its rank. SIGTERM (``kill
    PID``): the rank's own handler ends the job with a message naming its rank."""
    cmd = [_mpiexec(), "-n", "2", sys.executable, str(JOB), "loop", str(tmp_path)]
    log = tmp_path / "job.log"
    with open(log, "w") as f:
        job = subprocess.Popen(cmd, cwd=tmp_path, env=_env(SHINSOU_DIST_TIMEOUT="3"),
                               stdout=f, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            pids = None
            while pids is None or "rank 1 step 2" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                m = re.search(r"rank 0 = pid (\d+) on \S+, rank 1 = pid (\d+)", log.read_text())
                pids = pids or (m and (int(m.group(1)), int(m.group(2))))
                time.sleep(0.1)
            os.kill(pids[1], getattr(signal, sig))
            start = time.monotonic()
            rc = job.wait(timeout=60)
            took = time.monotonic() - start
        finally:
            if job.poll() is None:
                job.kill()
    text = log.read_text()
    assert rc != 0, text
    assert took < 10, took
    if sig == "SIGTERM":
        assert f"rank 1 of 2: pid {pids[1]} on" in text and "received SIGTERM" in text, text
        return
    named = re.findall(r"PID (\d+)", text) + re.findall(r"rank 1 has sent no heartbeat", text)
    assert str(pids[1]) in named or "rank 1 has sent no heartbeat" in named, text


def _distributed_run(tmp_path, recipe, args, files, timeout=180, **env):
    """``mpiexec -n 2 shinsou train RECIPE --distributed ARGS``: it succeeds and leaves one
    run folder, marked distributed, holding ``files``; returns (folder, log, output)."""
    cmd = ["-m", "shinsou", "train", recipe, "--distributed", *args, "--no-progress"]
    out, _ = _job(cmd, tmp_path, timeout=timeout, **env)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [recipe]  # one folder
    run = tmp_path / "runs" / recipe
    assert json.loads((run / "config.json").read_text())["config"]["distributed"] is True
    for name in files:
        assert (run / name).exists(), name
    log = None  # (a recipe of many trainings, anomaly, has a log per training)
    if (run / "log.jsonl").exists():
        log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return run, log, text


def test_shinsou_train_distributed_writes_one_run_folder(tmp_path):
    args = ["--epochs", "1", "--train-limit", "400", "--test-limit", "100", "--batch-size",
            "100"]  # fmt: skip
    _, log, text = _distributed_run(tmp_path, "mnist-mlp", args, ("model.npz", "metrics.json"))
    assert len(log) == 1 and log[0]["iteration"] == 4  # 400 examples / global batch 100
    assert text.count("test accuracy:") == 1  # rank 0 alone tests and reports
    # an indivisible global batch is an error before anything is trained
    bad = ["-m", "shinsou", "train", "mnist-mlp", "--distributed", *args[:-1], "99"]
    out, _ = _job(bad, tmp_path, timeout=60)
    assert out.returncode != 0
    assert "batch size 99 is not divisible by the 2 ranks" in out.stdout + out.stderr


def test_shinsou_train_a_gan_distributed(tmp_path):
    """The GAN recipes train data-parallel too: one run folder and its pictures written by
    rank 0, which alone measures and reports; batch norm synchronised over the ranks (the
    saved nets are plain ones: ``shinsou sample`` reads them); a global batch too small to
    share is refused before anything trains."""
    args = ["--epochs", "1", "--train-limit", "192", "--batch-size", "32", "--width", "4",
            "--noise-dim", "8", "--quality-samples", "20", "--final-samples", "40",
            "--reference-train-size", "128", "--reference-test-size", "32",
            "--reference-epochs", "1"]  # fmt: skip
    cache = dict(SHINSOU_CACHE=str(tmp_path / "cache"))
    files = ("model.npz", "metrics.json", "report.md", "samples.gif", "quality.png")
    run, log, text = _distributed_run(tmp_path, "mnist-dcgan", args, files, **cache)
    assert len(log) == 1 and log[0]["iteration"] == 6  # 192 images / global batch 32
    assert "quality/frechet" in log[0]  # measured by rank 0 during training
    assert text.count("top-class probability") == 1  # rank 0 alone reports
    assert "on 2 ranks" in text
    got = subprocess.run(
        [sys.executable, "-m", "shinsou", "sample", str(run), "-n", "6", "--out",
         str(tmp_path / "s.npy")], env=_env(**cache),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert got.returncode == 0, got.stdout + got.stderr
    assert np.load(tmp_path / "s.npy").shape == (6, 28, 28)
    small = ["-m", "shinsou", "train", "mnist-dcgan", "--distributed", *args]
    small[small.index("--batch-size") + 1] = "2"  # 1 image a rank: no batch statistics
    out, _ = _job(small, tmp_path, timeout=60)
    assert out.returncode != 0
    assert "--batch-size 2 on 2 ranks leaves 1 image a rank" in out.stdout + out.stderr


def test_shinsou_train_ptb_lm_distributed(tmp_path):
    """The language model trains data-parallel: each rank its block of the streams, one run
    folder, perplexities over all the streams; streams that the ranks cannot share are
    refused before anything is made."""
    args = ["--epochs", "1", "--train-limit", "2000", "--test-limit", "300", "--embed", "16",
            "--hidden", "16", "--bptt", "10", "--batch-size", "4"]  # fmt: skip
    files = ("model.npz", "metrics.json", "vocabulary.json", "perplexity.png")
    run, log, text = _distributed_run(tmp_path, "ptb-lm", args, files)
    assert len(log) == 1 and log[0]["iteration"] == 50  # 2000 tokens / 4 streams / bptt 10
    assert "on 2 ranks" in text
    # the test perplexity of the saved model, by one process over all the streams, is the
    # one the ranks reported together
    from shinsou import recipes

    again = recipes.get("ptb-lm").evaluate(run)
    assert abs(again["test/loss"] - log[0]["test/loss"]) < 1e-5 * log[0]["test/loss"]
    bad = ["-m", "shinsou", "train", "ptb-lm", "--distributed", *args]
    bad[bad.index("--batch-size") + 1] = "5"
    (tmp_path / "bad").mkdir()
    out, _ = _job(bad, tmp_path / "bad")
    assert out.returncode != 0
    assert "5 streams (--batch-size) cannot be shared by 2 ranks" in out.stdout + out.stderr
    assert not (tmp_path / "bad" / "runs").exists()


def test_shinsou_train_enja_transformer_distributed(tmp_path):
    """The translators train data-parallel: each rank its share of every bucketed batch, one
    run folder, rank 0 alone translates the test set and reports."""
    args = ["--epochs", "1", "--train-limit", "96", "--test-limit", "8", "--batch-size",
            "32", "--d-model", "16", "--heads", "2", "--feedforward", "32", "--warmup", "4",
            "--beam", "2", "--max-len", "12"]  # fmt: skip
    files = ("model.npz", "metrics.json", "test.hyp.ja", "vocab.en.json")
    run, log, text = _distributed_run(tmp_path, "enja-transformer", args, files)
    assert len(log) == 1 and log[0]["iteration"] == 3  # 96 pairs / global batch 32
    assert np.isfinite(log[0]["val/bleu"]) and "on 2 ranks" in text


def test_shinsou_train_mnist_autoencoder_distributed(tmp_path):
    """The deep autoencoder trains data-parallel: rank 0 pre-trains the layers alone while
    the other rank waits longer than the job's timeout (0.3 s here, 2.3 s for ranks other
    than 0), then both fine-tune
    from its weights on their shards; the test error the ranks logged together is the one
    the saved model gives on the whole test set; a bad global batch is refused first."""
    args = ["--epochs", "1", "--train-limit", "4000", "--test-limit", "150", "--batch-size",
            "100", "--pretrain-epochs", "3"]  # fmt: skip
    files = ("model.npz", "metrics.json", "report.md", "reconstructions.png")
    run, log, text = _distributed_run(
        tmp_path, "mnist-autoencoder", args, files, SHINSOU_DIST_TIMEOUT="0.3"
    )
    assert len(log) == 1 and log[0]["iteration"] == 40  # 4000 images / global batch 100
    assert text.count("greedy pre-training") == 1 and "on 2 ranks" in text
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["pretrain_seconds"] > 3.0  # longer than rank 1's 2.3 s: it was patient
    # the saved model's error over the whole test set is what the two shards gave together
    assert (
        abs(metrics["test/squared_error"] - log[0]["test/squared_error"])
        < 1e-4 * (metrics["test/squared_error"])
    )
    bad = ["-m", "shinsou", "train", "mnist-autoencoder", "--distributed", *args]
    bad[bad.index("--batch-size") + 1] = "99"
    (tmp_path / "bad").mkdir()
    out, _ = _job(bad, tmp_path / "bad", timeout=60)
    assert out.returncode != 0
    assert "batch size 99 is not divisible by the 2 ranks" in out.stdout + out.stderr
    assert not (tmp_path / "bad" / "runs").exists()


def test_shinsou_train_denoise_distributed(tmp_path):
    """The denoising autoencoders train data-parallel: one run folder, each rank its shard
    and its own noise, rank 0 alone measures the restorations (far better than the noisy
    images) and reports."""
    args = ["--epochs", "1", "--train-limit", "3000", "--test-limit", "100", "--batch-size",
            "50", "--noises", "gaussian,salt_and_pepper", "--hidden", "64"]  # fmt: skip
    files = ("model.npz", "metrics.json", "report.md", "denoise_gaussian.png")
    run, log, text = _distributed_run(tmp_path, "denoise", args, files)
    assert len(log) == 1 and log[0]["iteration"] == 60  # 3000 images / global batch 50
    assert text.count("dB (") == 1 and "on 2 ranks" in text  # rank 0 alone reports
    m = json.loads((run / "metrics.json").read_text())
    for noise in ("gaussian", "salt_and_pepper"):  # noisy ~9 dB
        assert m[f"{noise}/psnr_restored"] > m[f"{noise}/psnr_noisy"] + 2, m


def test_shinsou_train_anomaly_shares_the_classes_out(tmp_path):
    """The anomaly recipe's trainings (one per data set and class) are shared out over the
    ranks, whole: every class trained once, each with its own log and snapshots in the run
    folder (rank 1's trainings too), the AUROCs those of one process (the same seeds; the
    thread count alone differs), and a resumed job skips every finished class."""
    from shinsou import cli

    args = ["--train-limit", "2000", "--test-limit", "300", "--epochs", "2", "--svdd-epochs",
            "2", "--classes", "1,7", "--datasets", "mnist,fashion"]  # fmt: skip
    files = ("metrics.json", "report.md", "scores/cae_fashion_class7.csv",
             "models/mnist_class1.npz", "results/fashion_class1.json")  # fmt: skip
    run, _, text = _distributed_run(tmp_path, "anomaly", args, files)
    parts = [f"{ds}_class{k}" for ds in ("mnist", "fashion") for k in (1, 7)]
    for part in parts:  # each training logged and snapshotted, whichever rank ran it
        for model in ("cae", "deepsvdd"):
            assert (run / "parts" / part / model / "log.jsonl").is_file(), (part, model)
            assert any((run / "parts" / part / model / "snapshots").glob("*.npz"))
    assert len(re.findall(r"anomaly: \w+ class \d: cae AUROC", text)) == 4  # rank 0's lines
    one = tmp_path / "one"
    assert cli.main(["train", "anomaly", "--out", str(one), "--no-progress", *args]) == 0
    got, want = (json.loads((r / "metrics.json").read_text()) for r in (run, one))
    for key, value in want.items():
        if key.endswith("auroc"):
            assert abs(got[key] - value) < 0.01, (key, got[key], value)
    out, _ = _job(["-m", "shinsou", "train", "anomaly", "--distributed", "--out", str(run),
                   "--resume", "--no-progress", *args], tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert (out.stdout + out.stderr).count("already done, skipped") == 4


def test_shinsou_train_pretrain_shares_its_tasks_out(tmp_path):
    """pretrain's (seed, init) tasks are shared out over the ranks, whole: every part done
    once, the test accuracies those of one process (every part seeds itself), rank 0 alone
    reports, and a resumed job finds every part done."""
    from shinsou import cli

    args = ["--train-limit", "600", "--test-limit", "200", "--val-size", "100", "--hidden",
            "32,16", "--labels", "5,all", "--seeds", "0,1", "--pretrain-epochs", "1",
            "--finetune-epochs", "5", "--min-finetune-steps", "30", "--batch-size", "50",
            "--lr", "1e-2"]  # fmt: skip
    files = ("metrics.json", "report.md", "model.npz", "parts/seed1/sdae-pretrained.npz",
             "parts/seed0/dbn-all/result.json")  # fmt: skip
    run, _, text = _distributed_run(tmp_path, "pretrain", args, files)
    assert text.count("pretrain: seed") == 2 * 3 * 2 + 2 * 2  # fine-tunings + pre-trainings
    one = tmp_path / "one"
    assert cli.main(["train", "pretrain", "--out", str(one), "--no-progress", *args]) == 0
    for seed in (0, 1):
        for init in ("random", "dbn", "sdae"):
            for lab in ("5", "all"):
                rel = f"parts/seed{seed}/{init}-{lab}/result.json"
                got, want = (json.loads((r / rel).read_text())["test_accuracy"] for r in (run, one))
                assert abs(got - want) <= 0.02, (rel, got, want)
    out, _ = _job(["-m", "shinsou", "train", "pretrain", "--distributed", "--out", str(run),
                   "--resume", "--no-progress", *args], tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "fine-tuning" not in out.stdout + out.stderr


class _Rank0Of2:
    """Rank 0 of a two-rank job in one process: rank 1's side of each collective is computed
    from its folder (``parts1``) and its tasks, as that rank would."""

    rank, size, is_main = 0, 2, True

    def __init__(self, parts1, tasks1):
        self.parts1, self.tasks1, self.calls, self.lacking, self.sent = (
            parts1,
            tasks1,
            0,
            None,
            None,
        )

    def allgather_object(self, obj):
        from shinsou.recipes.pretrain import _task_files

        self.calls += 1
        if self.calls == 1:  # rank 1 names its files
            return [obj, _task_files(self.parts1, self.tasks1)]
        self.sent = {rel: (self.parts1 / rel).read_bytes() for rel in self.lacking[1]}
        return [obj, self.sent]

    def bcast_object(self, obj):
        self.lacking = obj
        return obj


def test_pretrain_sends_only_the_files_rank_0_lacks(tmp_path):
    """Without a shared file system, the parts another rank wrote reach rank 0 as bytes,
    only the files it lacks (those it has are neither sent nor touched); on a shared one,
    nothing is sent."""
    from shinsou.recipes.pretrain import _hand_over, _task_files

    a, b = tmp_path / "rank1", tmp_path / "rank0"
    (a / "seed0" / "dbn-5").mkdir(parents=True)
    (a / "seed0" / "dbn-pretrained.npz").write_bytes(b"weights")
    (a / "seed0" / "dbn-5" / "result.json").write_text('{"test_accuracy": 0.5}')
    (a / "seed0" / "random-5").mkdir()
    (a / "seed0" / "random-5" / "result.json").write_text("another task's")
    assert _task_files(a, [(0, "dbn")]) == ["seed0/dbn-5/result.json", "seed0/dbn-pretrained.npz"]
    (b / "seed0").mkdir(parents=True)
    (b / "seed0" / "dbn-pretrained.npz").write_bytes(b"kept")
    comm = _Rank0Of2(a, [(0, "dbn")])
    _hand_over(comm, b, [])
    assert sorted(comm.sent) == ["seed0/dbn-5/result.json"]  # not the npz rank 0 has
    assert (b / "seed0" / "dbn-5" / "result.json").read_text() == '{"test_accuracy": 0.5}'
    assert (b / "seed0" / "dbn-pretrained.npz").read_bytes() == b"kept"
    assert not (b / "seed0" / "random-5").exists()
    shared = _Rank0Of2(a, [(0, "dbn")])  # one file system: rank 0 sees them all
    _hand_over(shared, a, [])
    assert shared.sent == {}


def test_a_recipe_that_does_not_train_data_parallel_says_so(capsys):
    from shinsou.cli import main

    assert main(["train", "word2vec", "--distributed"]) == 2
    err = capsys.readouterr().err
    assert "recipe 'word2vec' does not train data-parallel (--distributed)" in err
    for name in (
        "mnist-mlp",
        "mnist-dcgan",
        "ptb-lm",
        "enja-transformer",
        "mnist-autoencoder",
        "denoise",
    ):
        assert name in err
