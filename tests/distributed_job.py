"""The programs that ``tests/test_distributed.py`` starts under ``mpiexec -n 2``.

``python distributed_job.py MODE OUT`` runs one of:

* ``train``: gradient averaging against the mean of every rank's gradients; then 20 steps of
  an MLP and of a small CNN with batch norm on 2 ranks (Trainer, ``Updater.distribute``,
  ``DistributedSampler``, ``SyncBatchNorm``) against one process with the same global batch,
  which every rank also runs by itself; rank-0-only files, and a resume from rank 0's
  snapshot (each rank gets its own ``out`` folder, so the ranks share no files).
  Then a DCGAN's steps (``GANUpdater``, two optimizers, ``SyncBatchNorm``) on 2 ranks
  against one process with the same global batch and noise, and a language model's
  truncated-BPTT epoch (streams shared out, gradients averaged before clipping), and a
  Transformer translator's steps (bucketed batches shared out, losses weighted by tokens).
* ``stop`` / ``hang`` / ``raise`` / ``kill``: rank 1 stops (SIGSTOP), hangs outside any
  collective, raises, or is killed (SIGKILL) after a few steps; the job must end.
* ``loop``: steps until the test kills a rank from outside.
* ``patient``: rank 0 spends longer than the timeout in an extension every epoch
  (``ranks_wait``); the job must go on.

Each check prints ``OK <what>`` on rank 0; an assertion error ends the job (excepthook).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np


def _data(n=64, shape=(6,), classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    t = rng.integers(0, classes, n).astype(np.int64)
    return x, t


def _mlp(ss):
    ss.manual_seed(1)
    return ss.nn.Sequential(ss.nn.Linear(6, 16), ss.nn.Tanh(), ss.nn.Linear(16, 3))


def _cnn(ss):
    ss.manual_seed(2)
    return ss.nn.Sequential(
        ss.nn.Conv2d(1, 4, 3, padding=1),
        ss.nn.BatchNorm2d(4),
        ss.nn.ReLU(),
        ss.nn.Flatten(),
        ss.nn.Linear(4 * 5 * 5, 3),
    )


def _rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def _weights(net):
    return {k: np.array(v) for k, v in net.state_dict().items()}


def _single(ss, make, x, t, batch, steps, log=False):
    """One process, the whole global batch (the reference)."""
    from shinsou.data import DataLoader, TensorDataset

    net = make(ss)
    opt = ss.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(TensorDataset(x, t), batch, shuffle=True, seed=5)
    trainer = ss.training.Trainer(net, opt, loader, stop=(steps, "iteration"), out=".")
    if log:  # (rank 0 writes its file into the job's working folder)
        trainer.extend(ss.training.LogReport(trigger=(5, "iteration"), filename="single.jsonl"))
    trainer.run()
    return (_weights(net), trainer.log) if log else _weights(net)


def _parallel(ss, make, x, t, batch, steps, out, sync=True, extensions=(), resume=False):
    """The same on every rank with its shard of each batch, gradients averaged."""
    from shinsou import distributed as dist
    from shinsou.data import DataLoader, TensorDataset

    net = make(ss)
    if sync:
        net = dist.convert_sync_batchnorm(net)
    opt = ss.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    ds = TensorDataset(x, t)
    b = dist.local_batch_size(batch)
    loader = DataLoader(ds, b, sampler=dist.DistributedSampler(ds, seed=5))
    trainer = ss.training.Trainer(net, opt, loader, stop=(steps, "iteration"), out=out)
    trainer.updater.distribute()
    for ext in extensions:
        trainer.extend(ext)
    trainer.run(resume=resume)
    return _weights(net), trainer


def train(out: Path) -> None:
    import shinsou as ss
    from shinsou import distributed as dist
    from shinsou.training import LogReport, PlotCurves, ProgressBar, Snapshot

    comm = dist.init()
    r, p = comm.rank, comm.size
    assert p == 2, p

    # 1. gradient averaging: each rank its own data; compare with the gathered gradients
    net = _mlp(ss)
    dist.broadcast_parameters(net)
    x, t = _data(8, seed=10 + r)
    ss.functional.cross_entropy(net(ss.tensor(x)), ss.tensor(t)).backward()
    local = [q.grad.numpy().copy() for q in net.parameters()]
    every = comm.allgather_object(local)
    assert _rel(every[0][0], every[1][0]) > 1e-3  # the ranks' gradients really differ
    n_buckets = dist.allreduce_gradients(net, bucket_bytes=200)  # several small buckets
    assert n_buckets > 2, n_buckets
    for i, q in enumerate(net.parameters()):
        want = (every[0][i] + every[1][i]) / 2
        assert np.allclose(q.grad.numpy(), want, rtol=1e-6, atol=1e-7), i
    if r == 0:
        print(f"OK gradients averaged in {n_buckets} buckets", flush=True)

    # 2. 20 steps on 2 ranks == one process with the same global batch (MLP, CNN + BN)
    x, t = _data(64)
    images = _data(64, shape=(1, 5, 5))[0]
    for name, make, xs in (("mlp", _mlp, x), ("cnn", _cnn, images)):
        ref = _single(ss, make, xs, t, 16, 20)
        got, _ = _parallel(ss, make, xs, t, 16, 20, out / f"none{r}")
        worst = max(_rel(got[k], ref[k]) for k in ref if ref[k].dtype.kind == "f")
        assert worst < 1e-5, (name, worst)
        same = comm.allgather_object(got)
        assert all(np.array_equal(same[0][k], same[1][k]) for k in got)  # ranks agree exactly
        if name == "cnn":  # plain per-rank batch norm: each shard's own statistics differ
            plain, _ = _parallel(ss, make, xs, t, 16, 20, out / f"plain{r}", sync=False)
            off = max(_rel(plain[k], ref[k]) for k in ref if ref[k].dtype.kind == "f")
            assert off > 1e-3, off
        if r == 0:
            print(f"OK {name}: 2 ranks match one process to {worst:.1e} relative", flush=True)

    # 3. only rank 0 writes; resume from rank 0's snapshot (no shared files: each rank its out)
    mine = out / f"rank{r}"
    exts = lambda: [LogReport(trigger=(5, "iteration")), PlotCurves(trigger=(5, "iteration")),  # noqa: E731
                    ProgressBar(enabled=False), Snapshot(trigger=(5, "iteration"))]  # fmt: skip
    full, tr_full = _parallel(ss, _cnn, images, t, 16, 20, out / f"full{r}", extensions=exts())
    _parallel(ss, _cnn, images, t, 16, 10, mine, extensions=exts())
    written = sorted(f.name for f in mine.iterdir()) if mine.exists() else []
    if r == 0:
        assert "log.jsonl" in written and "snapshots" in written, written
    else:
        assert written == [], written
    # the log is the mean over every example of the global batches, as in one process
    _, ref_log = _single(ss, _cnn, images, t, 16, 20, log=True)
    for got, want in zip(tr_full.log, ref_log, strict=True):
        assert abs(got["train/loss"] - want["train/loss"]) < 1e-5 * abs(want["train/loss"])
        assert got["train/accuracy"] == want["train/accuracy"]
    resumed, tr = _parallel(ss, _cnn, images, t, 16, 20, mine, extensions=exts(), resume=True)
    assert tr.iteration == 20 and len(tr.log) == 4, (tr.iteration, tr.log)
    assert all(np.array_equal(resumed[k], full[k]) for k in full)
    assert [e["train/loss"] for e in tr.log] == [e["train/loss"] for e in tr_full.log]
    if r == 0:
        print("OK rank 0 alone writes; resumed run equals the uninterrupted one", flush=True)

    # 4. evaluation over shards (unequal: 37 = 19 + 18) adds sums and counts over the ranks
    from shinsou.data import DataLoader, TensorDataset
    from shinsou.training import evaluate

    net = _cnn(ss)
    val = TensorDataset(images[:37], t[:37])
    whole = evaluate(net, DataLoader(val, 8))
    sampler = dist.DistributedSampler(val, shuffle=False, pad=False)
    assert len(sampler) == (19 if r == 0 else 18)
    sharded = evaluate(net, DataLoader(val, 8, sampler=sampler))
    assert abs(sharded["val/loss"] - whole["val/loss"]) < 1e-6 * abs(whole["val/loss"])
    assert sharded["val/accuracy"] == whole["val/accuracy"], (sharded, whole)
    if r == 0:
        print("OK evaluation over shards equals evaluation of the whole set", flush=True)

    # 5. a DCGAN step (two nets, two optimizers, batch norm synchronised) on 2 ranks == one
    # process with the same global batch and noise
    faces = np.tanh(np.random.default_rng(4).standard_normal((32, 1, 28, 28))).astype(np.float32)
    ref = _gan(ss, faces, 16, 4)
    got = _gan(ss, faces, 16, 4, comm)
    worst = max(_rel(got[k], ref[k]) for k in ref if ref[k].dtype.kind == "f")
    assert worst < 1e-4, worst
    assert max(_rel(got[k], ref[k]) for k in ref if "running_var" in k) < 1e-4  # global stats
    same = comm.allgather_object(got)
    assert all(np.array_equal(same[0][k], same[1][k]) for k in got)
    if r == 0:
        print(f"OK dcgan: 2 ranks match one process to {worst:.1e} relative", flush=True)

    # 6. a language model's truncated-BPTT steps: each rank its block of the streams, the
    # gradients averaged before their norm is clipped (as one process clips the whole
    # batch's), the test perplexity's sums added over the ranks
    ids = np.random.default_rng(7).integers(0, 11, 400)
    ref_w, ref_norms, ref_test = _lm(ss, ids)
    got_w, got_norms, got_test = _lm(ss, ids, comm)
    assert min(n for n, _, _ in ref_norms) > 0.05  # clipping acted at every step
    assert np.allclose(got_norms, ref_norms, rtol=1e-5), (got_norms, ref_norms)  # and losses
    worst = max(_rel(got_w[k], ref_w[k]) for k in ref_w)
    assert worst < 1e-5, worst
    assert abs(got_test["test/loss"] - ref_test["test/loss"]) < 1e-6 * ref_test["test/loss"]
    if r == 0:
        print(f"OK lm: 2 ranks match one process to {worst:.1e} relative", flush=True)

    # 7. a translator's steps on sentences of different lengths: each rank its share of every
    # bucketed batch, its loss weighted by its share of the target tokens, the gradients
    # averaged before clipping, the logged losses the global batch's
    rng = np.random.default_rng(9)
    pairs = [
        (
            rng.integers(3, 12, rng.integers(1, 8)),
            np.r_[1, rng.integers(3, 13, rng.integers(1, 9)), 2],
        )
        for _ in range(36)
    ]
    ref_w, ref_obs = _translation(ss, pairs)
    got_w, got_obs = _translation(ss, pairs, comm)
    assert ref_obs[:, 2].min() > 0.1  # clipping acted at every step
    assert np.allclose(got_obs, ref_obs, rtol=1e-5), (got_obs, ref_obs)
    worst = max(_rel(got_w[k], ref_w[k]) for k in ref_w)
    assert worst < 1e-5, worst
    if r == 0:
        print(f"OK translation: 2 ranks match one process to {worst:.1e} relative", flush=True)

    # 8. the translators' dev evaluation shared out over the ranks: the numbers of the whole
    whole, shared = _dev_eval(ss, pairs[:23]), _dev_eval(ss, pairs[:23], comm)
    assert abs(shared["val/loss"] - whole["val/loss"]) < 1e-6 * whole["val/loss"]
    assert shared["val/bleu"] == whole["val/bleu"], (shared, whole)
    if r == 0:
        print("OK dev evaluation over shards equals the whole dev set's", flush=True)


def _gan(ss, images, batch, steps, comm=None):
    """4 steps of a tiny DCGAN (GANUpdater, Adam): in one process on the global batch when
    ``comm`` is None, else on this rank's shard with SyncBatchNorm and averaged gradients.
    Both draw the global batch's noise from the same seed; a rank keeps its rows of it, so
    the ranks' step is the one process's step."""
    from shinsou import distributed as dist
    from shinsou.data import DataLoader, TensorDataset
    from shinsou.training import GANUpdater

    ss.manual_seed(3)
    gen, dis = ss.models.DCGANGenerator(8, width=4), ss.models.DCGANDiscriminator(width=4)
    ds = TensorDataset(images)
    if comm is None:
        loader = DataLoader(ds, batch, shuffle=True, seed=5)
    else:
        gen, dis = dist.convert_sync_batchnorm(gen), dist.convert_sync_batchnorm(dis)
        loader = DataLoader(ds, dist.local_batch_size(batch),
                            sampler=dist.DistributedSampler(ds, seed=5))  # fmt: skip
    adam = dict(lr=2e-3, betas=(0.5, 0.999))
    up = GANUpdater(gen, dis, ss.optim.Adam(gen.parameters(), **adam),
                    ss.optim.Adam(dis.parameters(), **adam), 8)  # fmt: skip
    if comm is not None:
        r, p = comm.rank, comm.size
        up.sample_noise = lambda n, device="cpu": ss.randn(n * p, 8)[r * n : (r + 1) * n]
    trainer = ss.training.Trainer(up, loader, stop=(steps, "iteration"), out=".")
    if comm is not None:
        up.distribute(comm)
    ss.manual_seed(9)
    trainer.run()
    return {f"{net}.{k}": np.array(v) for net, m in (("gen", gen), ("dis", dis))
            for k, v in m.state_dict().items()}  # fmt: skip


def _lm(ss, ids, comm=None):
    """A tiny LSTM language model's epoch of truncated-BPTT steps (LMUpdater, gradient norm
    clipped to 0.05, so clipping acts at every step): in one process over 4 streams, or
    rank r's block of them (``BPTTIterator(shard=...)``) with averaged gradients. Returns
    the weights, the reported gradient norms and losses, and the test numbers
    (``evaluate_stream``)."""
    from shinsou.data import BPTTIterator
    from shinsou.models import RNNLanguageModel
    from shinsou.recipes.ptb_lm import LMUpdater
    from shinsou.tasks.language import evaluate_stream

    ss.manual_seed(6)
    model = RNNLanguageModel(11, 6, 8, num_layers=1, dropout=0.0)
    up = LMUpdater(model, ss.optim.SGD(model.parameters(), lr=1.0), clip=0.05)
    shard = None if comm is None else (comm.rank, comm.size)
    if comm is not None:
        up.distribute(comm)
    seen = [up.update(w) for w in BPTTIterator(ids, 4, 5, shard=shard)]
    norms = [[o["grad_norm"], o["train/loss"], o["train/perplexity"]] for o in seen]
    test = evaluate_stream(model, BPTTIterator(ids[::-1].copy(), 4, 5, shard=shard), "test")
    return _weights(model), norms, test


def _translation(ss, pairs, comm=None):
    """6 teacher-forced steps of a tiny Transformer translator (TranslationUpdater, label
    smoothing 0.1, gradient norm clipped to 0.1) over length-bucketed batches of 6 pairs:
    in one process, or each rank its share of every batch (DistributedBatchSampler), the
    ranks holding different numbers of target tokens. Returns the weights and the reported
    numbers."""
    from shinsou.data import BucketBatchSampler, DataLoader, TranslationCollate
    from shinsou.distributed import DistributedBatchSampler
    from shinsou.models import TransformerTranslator
    from shinsou.recipes.enja import TranslationUpdater

    ss.manual_seed(8)
    model = TransformerTranslator(
        12, 13, d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
        dim_feedforward=16, dropout=0.0,
    )  # fmt: skip
    up = TranslationUpdater(model, ss.optim.SGD(model.parameters(), lr=0.5), pad_index=0,
                            label_smoothing=0.1, clip=0.1)  # fmt: skip
    sampler = BucketBatchSampler([len(s) for s, _ in pairs], 6, seed=3)
    if comm is not None:
        sampler = DistributedBatchSampler(sampler)
        up.distribute(comm)
    loader = DataLoader(pairs, batch_sampler=sampler, collate_fn=TranslationCollate(0))
    seen = [up.update(b) for b in loader]
    keys = ("train/loss", "train/nll", "grad_norm")
    return _weights(model), np.array([[o[k] for k in keys] for o in seen])


def _dev_eval(ss, pairs, comm=None):
    """The translators' per-epoch dev evaluation (``TranslationEvaluation``: teacher-forced
    loss and greedy BLEU) of a tiny Transformer: whole in one process, or each rank its
    share of the batches and sentences, joined."""
    import types

    from shinsou.data import BucketBatchSampler, DataLoader, TranslationCollate, Vocabulary
    from shinsou.models import TransformerTranslator
    from shinsou.recipes.enja import TranslationEvaluation

    ss.manual_seed(10)
    model = TransformerTranslator(
        12, 13, d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
        dim_feedforward=16, dropout=0.0,
    )  # fmt: skip
    vocab = Vocabulary.build(
        [[f"w{i}" for i in range(3, 13)]], specials=("<pad>", "<bos>", "<eos>")
    )
    assert len(vocab) == 13 and vocab.index("<eos>") == 2
    loader = DataLoader(pairs, batch_sampler=BucketBatchSampler([len(s) for s, _ in pairs], 5,
                        shuffle=False), collate_fn=TranslationCollate(0))  # fmt: skip
    refs = [vocab.decode(t[1:-1]) for _, t in pairs]
    ev = TranslationEvaluation(loader, [s for s, _ in pairs], refs, vocab, 10, None)
    trainer = types.SimpleNamespace(model=model, observation={},
                                    updater=types.SimpleNamespace(data_parallel=comm))  # fmt: skip
    import shinsou.tasks.translation as tr

    decode, asked = tr.translate_ids, []
    tr.translate_ids = lambda model, sources, **kw: (
        asked.append(len(sources)) or decode(model, sources, **kw)
    )
    try:
        ev(trainer)
    finally:
        tr.translate_ids = decode
    mine = len(pairs) if comm is None else len(range(comm.rank, len(pairs), comm.size))
    assert asked == [mine], (asked, mine)  # this rank translated its share alone
    return trainer.observation


def patient(out: Path) -> None:
    """Rank 0 alone spends 3.5 s in an extension after every epoch (``rank_zero_only``,
    ``ranks_wait``), longer than the job's timeout (the test sets 1 s; the other ranks allow
    2 s more), with an evaluation (a collective) after it: the other rank waits for it in a
    patient barrier instead of timing out in the next collective."""
    import shinsou as ss
    from shinsou import distributed as dist
    from shinsou.data import DataLoader, TensorDataset
    from shinsou.training import Evaluate, Extension

    class Slow(Extension):
        rank_zero_only, ranks_wait, priority = True, True, 500  # before the evaluation

        def __call__(self, trainer):
            time.sleep(3.5)

    comm = dist.init()
    assert comm.timeout + 2 < 3.5, comm.timeout  # past even the other ranks' longer limit
    x, t = _data(32)
    ds = TensorDataset(x, t)
    net = _mlp(ss)
    opt = ss.optim.SGD(net.parameters(), lr=0.1)
    loader = DataLoader(ds, 8, sampler=dist.DistributedSampler(ds, seed=1))
    trainer = ss.training.Trainer(net, opt, loader, stop=(2, "epoch"), out=out / f"p{comm.rank}")
    trainer.updater.distribute()
    trainer.extend(Slow())
    val = DataLoader(ds, 8, sampler=dist.DistributedSampler(ds, shuffle=False, pad=False))
    trainer.extend(Evaluate(val))
    trainer.run()
    assert trainer.iteration == 4 and len(trainer.log) == 0  # two epochs of 2 steps a rank
    if comm.rank == 0:
        print("OK ranks waited for rank 0's work, past the timeout", flush=True)


def fail(mode: str) -> None:
    import shinsou as ss
    from shinsou import distributed as dist

    comm = dist.init()
    net = _mlp(ss)
    dist.broadcast_parameters(net)
    x, t = _data(8, seed=comm.rank)
    for step in range(10_000):
        if comm.rank == 1 and step == 3:
            if mode == "stop":
                os.kill(os.getpid(), signal.SIGSTOP)
            elif mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif mode == "raise":
                raise RuntimeError("a failure on purpose")
            elif mode == "hang":
                time.sleep(3600)
        if mode == "loop":  # until the test kills a rank
            time.sleep(0.05)
        net.zero_grad()
        ss.functional.cross_entropy(net(ss.tensor(x)), ss.tensor(t)).backward()
        dist.allreduce_gradients(net)
        print(f"rank {comm.rank} step {step}", flush=True)


if __name__ == "__main__":
    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode == "train":
        train(folder)
    elif mode == "patient":
        patient(folder)
    else:
        fail(mode)
