"""``shinsou.chainer.chainermn`` (ChainerMN's API on shinsou.distributed): the single-process
path, ``scatter_dataset``'s pieces against real ChainerMN's (``chainer_ref/chainermn.json``,
with the ranks simulated in one process), the multi-node optimizer's delegation, the
evaluator's averaging, then real 2-rank MPI jobs (``mpiexec -n 2``): ``chainer_mn_job.py``
and ``examples/chainer/train_mnist_mn.py`` under ``python -m shinsou.chainer`` against the
one-process run of the same script and against real ChainerMN's runs of it
(``chainer_ref/mnist_mn_example.json``)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import shinsou.chainer as chainer
import shinsou.chainer.links as L
from shinsou.chainer import chainermn
from shinsou.chainer._runner import check_script, install_import_hook, remove_import_hook
from shinsou.chainer.chainermn.datasets import _index_ranges

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REF_FILE = HERE / "chainer_ref" / "chainermn.json"
REF = json.loads(REF_FILE.read_text())
JOB = HERE / "chainer_mn_job.py"
SCRIPT = ROOT / "examples" / "chainer" / "train_mnist_mn.py"


# --- the communicator in one process -----------------------------------------------------
def test_create_communicator_in_one_process():
    comm = chainermn.create_communicator("naive")
    assert (comm.rank, comm.size) == (0, 1)
    assert (comm.intra_rank, comm.intra_size, comm.inter_rank, comm.inter_size) == (0, 1, 0, 1)
    assert comm.bcast_obj([1, 2]) == [1, 2]
    assert comm.gather_obj("a") == ["a"]
    assert comm.allreduce_obj(np.array([2.0])) == np.array([2.0])
    x = np.arange(3.0)
    assert np.array_equal(comm.bcast(x), x) and np.array_equal(comm.allreduce(x), x)
    assert comm.get_config("batched_copy") is True
    assert isinstance(comm, chainermn.CommunicatorBase)


def test_create_communicator_checks_its_arguments():
    with pytest.raises(ValueError, match='Unrecognized communicator: "nccl2"'):
        chainermn.create_communicator("nccl2")
    with pytest.raises(ValueError, match="allreduce_grad_dtype is only available"):
        chainermn.create_communicator("naive", allreduce_grad_dtype=np.float16)
    with pytest.raises(TypeError, match="unexpected argument"):
        chainermn.create_communicator("naive", speed="fast")
    with pytest.raises(ValueError, match=r"root must be a rank in \[0, 1\), got 1"):
        chainermn.create_communicator("naive").bcast_obj(3, root=1)


def test_gpu_communicator_on_a_machine_without_cuda_warns_and_runs_on_the_cpu(monkeypatch):
    from shinsou.chainer.chainermn import communicators

    monkeypatch.setattr(communicators, "_has_cuda", lambda: False)
    monkeypatch.setattr(communicators, "_WARNED", set())
    with pytest.warns(RuntimeWarning, match="'pure_nccl' is a GPU communicator"):
        comm = chainermn.create_communicator()  # ChainerMN's default name
    assert comm.size == 1 and comm.name == "pure_nccl"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per name
        chainermn.create_communicator("pure_nccl", allreduce_grad_dtype=np.float32)


def test_every_chainermn_name_gives_a_communicator_and_grads_stay_in_one_process():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GPU names on a CPU machine
        for name in ("naive", "flat", "pure_nccl", "non_cuda_aware", "hierarchical",
                     "two_dimensional", "single_node", "dummy"):  # fmt: skip
            assert chainermn.create_communicator(name).name == name
    comm = chainermn.create_communicator("flat")
    model = L.Linear(2, 1)
    model.W.grad = np.full((1, 2), 3.0, np.float32)
    comm.multi_node_mean_grad(model, zero_fill=False)  # b has no gradient: left out
    assert model.b.grad is None and np.array_equal(model.W.grad, [[3.0, 3.0]])
    with pytest.warns(DeprecationWarning, match="multi_node_mean_grad"):
        comm.allreduce_grad(model, zero_fill=True)
    assert np.array_equal(model.b.grad, [0.0])  # zero_fill gave it zeros


def test_names_not_provided_say_so():
    with pytest.raises(AttributeError, match="does not provide chainermn.MultiNodeChainList"):
        _ = chainermn.MultiNodeChainList
    with pytest.raises(AttributeError, match="chainermn.links.MultiNodeChainList"):
        _ = chainermn.links.MultiNodeChainList
    with pytest.raises(NotImplementedError, match="create_multi_node_checkpointer"):
        chainermn.create_multi_node_checkpointer("cp", chainermn.create_communicator("naive"))
    with pytest.raises(ValueError, match="double_buffering"):
        chainermn.create_multi_node_optimizer(
            chainer.optimizers.SGD(), chainermn.create_communicator("naive"), True
        )


def test_the_runner_aliases_chainermn_and_checks_its_names(tmp_path):
    finder = install_import_hook()
    try:
        import chainermn as alias
        import chainermn.datasets

        assert alias is chainermn and chainermn.datasets is alias.datasets
        with pytest.raises(ModuleNotFoundError, match="does not provide chainermn.functions"):
            import chainermn.functions  # noqa: F401
    finally:
        remove_import_hook(finder)
    out = io.StringIO()
    assert check_script(str(SCRIPT), out) == 0, out.getvalue()
    bad = tmp_path / "bad.py"
    bad.write_text("import chainermn\nchainermn.create_multi_node_checkpointer\nchainermn.nope\n")
    out = io.StringIO()
    assert check_script(str(bad), out) == 1
    assert "bad.py:3: chainermn.nope is not provided" in out.getvalue()


# --- scatter_dataset against real ChainerMN ------------------------------------------------
class SimulatedComm:
    """Rank ``rank`` of ``size`` in one process: broadcasts come from the root's call (the
    root runs first), as in tests/chainer_ref/make_chainermn.py."""

    def __init__(self, rank, size, world):
        self.rank, self.size, self.world = rank, size, world

    def bcast_obj(self, obj, max_buf_len=None, root=0):
        if self.rank == root:
            self.world["bcast"] = obj
        return self.world["bcast"]


@pytest.mark.parametrize("case", REF["scatter"], ids=lambda c: "n{n}-p{size}-r{root}".format(**c))
def test_scatter_dataset_gives_each_rank_chainermns_piece(case):
    n, size, root = case["n"], case["size"], case["root"]
    force = case["force_equal_length"]
    assert [list(r) for r in _index_ranges(n, size, force)] == case["ranges"]
    world_ds, world_ix = {}, {}
    for r in [root] + [r for r in range(size) if r != root]:
        data = list(range(n)) if r == root else None
        sub = chainermn.scatter_dataset(
            data, SimulatedComm(r, size, world_ds), root=root, shuffle=case["shuffle"],
            seed=case["seed"], force_equal_length=force,
        )  # fmt: skip
        assert list(sub) == case["pieces"][r]
        b_e = chainermn.scatter_index(n, SimulatedComm(r, size, world_ix), root=root,
                                      force_equal_length=force)  # fmt: skip
        assert list(b_e) == case["ranges"][r]


def test_scatter_dataset_checks_its_arguments():
    comm = chainermn.create_communicator("naive")
    with pytest.raises(ValueError, match="root must be a rank"):
        chainermn.scatter_dataset([1, 2], comm, root=2)
    with pytest.raises(ValueError, match="the dataset on the root rank 0 is None"):
        chainermn.scatter_dataset(None, comm)
    assert chainermn.create_empty_dataset(np.zeros((3, 2))) == [(), (), ()]


# --- the multi-node optimizer and evaluator in one process -----------------------------------
def test_multi_node_optimizer_first_update_broadcasts_then_delegates():
    comm = chainermn.create_communicator("naive")
    np.random.seed(0)
    model = L.Classifier(L.Linear(3, 2))
    actual = chainer.optimizers.Adam(alpha=0.01)
    opt = chainermn.create_multi_node_optimizer(actual, comm)
    assert opt.setup(model) is opt and opt.target is model and actual.target is model
    opt.alpha = 0.02
    assert actual.alpha == 0.02 and opt.alpha == 0.02
    x = np.ones((4, 3), np.float32)
    t = np.array([0, 1, 0, 1], np.int32)
    w0 = model.predictor.W.array.copy()
    opt.update(model, x, t)  # the first update only broadcasts (ChainerMN's behaviour)
    assert opt.t == 0 and np.array_equal(model.predictor.W.array, w0)
    opt.update(model, x, t)
    assert opt.t == 1 and not np.array_equal(model.predictor.W.array, w0)
    # serialization is the actual optimizer's: a snapshot of it loads into a plain Adam
    buf = io.BytesIO()
    chainer.serializers.save_npz(buf, opt)
    buf.seek(0)
    other = chainer.optimizers.Adam().setup(L.Classifier(L.Linear(3, 2)))
    chainer.serializers.load_npz(buf, other)
    assert other.t == 1


def test_multi_node_evaluator_averages_with_allreduce_obj():
    class TwoRanks:  # what rank 0 of 2 sees when rank 1's mean loss is 3.0
        size = 2

        def allreduce_obj(self, value):
            return value + np.float32(3.0)

    class Local:
        def evaluate(self):
            return {"validation/main/loss": np.float32(1.0)}

    ev = chainermn.create_multi_node_evaluator(Local(), TwoRanks())
    assert ev.evaluate() == {"validation/main/loss": 2.0}


def test_multi_node_batchnorm_in_one_process_is_batch_normalization():
    comm = chainermn.create_communicator("naive")
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((6, 4, 3)) * 3 + 2).astype(np.float32)
    w = rng.standard_normal((6, 4, 3)).astype(np.float32)
    bn = chainermn.links.MultiNodeBatchNormalization(4, comm, initial_gamma=2.0)
    ref = L.BatchNormalization(4, initial_gamma=2.0)
    xa, xb = chainer.Variable(x), chainer.Variable(x)
    chainer.functions.sum(bn(xa) * w).backward()
    chainer.functions.sum(ref(xb) * w).backward()
    np.testing.assert_allclose(xa.grad, xb.grad, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.gamma.grad, ref.gamma.grad, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.beta.grad, ref.beta.grad, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.avg_mean, ref.avg_mean, rtol=1e-5)
    # ChainerMN's running variance starts at 0 (Chainer's at 1)
    np.testing.assert_allclose(bn.avg_var, ref.avg_var - 0.9, rtol=1e-4)
    with chainer.using_config("train", False):
        np.testing.assert_allclose(bn(x).array, chainer.functions.fixed_batch_normalization(
            x, bn.gamma, bn.beta, bn.avg_mean, bn.avg_var).array, rtol=1e-6)  # fmt: skip
    twin = bn.copy("copy")
    assert twin.comm is comm and twin.gamma is not bn.gamma
    with pytest.raises(ValueError, match=r"MultiNodeBatchNormalization\(\(4,\)\) expected"):
        bn(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="communication_backend"):
        chainermn.links.MultiNodeBatchNormalization(4, comm, communication_backend="gloo")


def test_create_mnbn_model_replaces_every_batch_normalization():
    F = chainer.functions
    MNBN = chainermn.links.MultiNodeBatchNormalization

    class Net(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(3, 4)
                self.bn1 = L.BatchNormalization(4, decay=0.8, use_beta=False)
                self.group = chainer.ChainList(L.BatchNormalization(4))
                self.seq = chainer.Sequential(L.Linear(4, 2), L.BatchNormalization(2), F.relu)

        def forward(self, x):
            return self.seq(self.group[0](self.bn1(self.l1(x))))

    np.random.seed(0)
    net = Net()
    net.bn1.avg_mean[:] = 0.5
    comm = chainermn.create_communicator("naive")
    mn = chainermn.links.create_mnbn_model(net, comm)
    assert isinstance(mn.bn1, MNBN) and isinstance(mn.group[0], MNBN)
    assert isinstance(mn.seq[1], MNBN) and mn.seq[2] is F.relu
    assert isinstance(net.bn1, L.BatchNormalization)  # the original is left alone
    assert mn.bn1.decay == 0.8 and not hasattr(mn.bn1, "beta") and mn.bn1.comm is comm
    np.testing.assert_array_equal(mn.bn1.avg_mean, net.bn1.avg_mean)
    names = [n for n, _ in net.namedparams()]
    assert [n for n, _ in mn.namedparams()] == names
    for (_, p), (_, q) in zip(net.namedparams(), mn.namedparams()):
        assert p is not q and np.array_equal(p.array, q.array)
    x = np.random.randn(5, 3).astype(np.float32)
    np.testing.assert_allclose(mn(x).array, net(x).array, rtol=1e-4, atol=1e-5)


def test_multi_node_mean_op_differentiates_twice_in_one_process():
    import shinsou as ss
    from shinsou.chainer.chainermn.links import MultiNodeMean

    comm = chainermn.create_communicator("naive")._comm
    x = ss.tensor(np.random.default_rng(1).standard_normal((3, 2)), requires_grad=True)
    assert ss.autograd.gradcheck(lambda a: MultiNodeMean(comm)(a) ** 3, (x,))
    assert ss.autograd.gradgradcheck(lambda a: MultiNodeMean(comm)(a) ** 3, (x,))


# --- real 2-rank jobs --------------------------------------------------------------------
def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["SHINSOU_NUM_THREADS"] = "1"
    env["SHINSOU_DATA"] = os.path.abspath(env.get("SHINSOU_DATA", ""))
    env.update(extra)
    return env


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"  # the mpich wheel's, beside this Python
    found = str(here) if here.exists() else shutil.which("mpiexec")
    assert found, "mpiexec not found: install the [mpi] extra (pip install mpi4py mpich)"
    return found


def test_two_ranks_chainermn_api(tmp_path):
    cmd = [_mpiexec(), "-n", "2", sys.executable, str(JOB), str(REF_FILE)]
    out = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    for what in [
        "communicator: ranks, object and array collectives, send/recv, split",
        "scatter_dataset and scatter_index give each rank real ChainerMN's piece",
        "multi_node_mean_grad averages, zero_fill gives an unused link zeros",
        "naive: 2 ranks on half batches end with one process's weights",
        "flat: 2 ranks on half batches end with one process's weights",
        "multi-node evaluator: the mean over the ranks of every rank's means",
        "MultiNodeBatchNormalization on half batches equals one process's batch norm",
        "synchronized iterators give every rank the same batches",
        "AllreducePersistent averages the batch-norm statistics over the ranks",
    ]:
        assert f"OK {what}" in text, text


def test_a_rank_that_raises_under_the_runner_ends_the_job_naming_it(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(
        "import chainermn\n"
        "comm = chainermn.create_communicator('naive')\n"
        "if comm.rank == 1:\n"
        "    raise RuntimeError('boom on rank 1')\n"
        "comm.allreduce_obj(1)  # rank 0 waits here for rank 1\n"
    )
    cmd = [_mpiexec(), "-n", "2", sys.executable, "-m", "shinsou.chainer", str(script)]
    # a watchdog limit far beyond the test's: the job must end because rank 1 says so
    out = subprocess.run(cmd, cwd=tmp_path, env=_env(SHINSOU_DIST_TIMEOUT="600"),
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert 'fail.py", line 4' in text and "RuntimeError: boom on rank 1" in text
    assert "rank 1 of 2: uncaught RuntimeError: boom on rank 1; ending the job" in text


# python -m shinsou.chainer, with chainer.datasets.get_mnist cut to a slice (only rank 0
# loads MNIST in the script; the script itself is unchanged)
LAUNCH = """
import sys
import shinsou.chainer.datasets as D
_get = D.get_mnist
def get_mnist(*a, **k):
    train, test = _get(*a, **k)
    return D.SubDataset(train, 0, 3000), D.SubDataset(test, 0, 1000)
D.get_mnist = get_mnist
from shinsou.chainer._runner import main
sys.exit(main(sys.argv[1:]))
"""


def _run_example(tmp_path, ranks, batch):
    out_dir = tmp_path / f"result{ranks}"
    args = [str(SCRIPT), "-e", "2", "-b", str(batch), "-u", "100", "--noprogress",
            "-o", str(out_dir)]  # fmt: skip
    cmd = [sys.executable, "-c", LAUNCH, *args]
    if ranks > 1:
        cmd = [_mpiexec(), "-n", str(ranks), *cmd]
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count(f"Num process (COMM_WORLD): {ranks}") == 1  # rank 0 prints
    return json.loads((out_dir / "log").read_text()), proc.stdout


def _assert_log(mine, ref):
    assert len(mine) == len(ref)
    for a, b in zip(mine, ref):
        assert sorted(a) == sorted(b)
        for k in a:
            if k != "elapsed_time":
                assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-5), (a["epoch"], k)


def test_mnist_example_on_two_ranks_reaches_the_one_process_accuracy(tmp_path):
    # the same global batch of 100: 2 ranks x 50 against 1 process x 100, so both take the
    # same number of steps; the data order differs, hence "within noise"
    one, _ = _run_example(tmp_path, 1, 100)
    two, stdout = _run_example(tmp_path, 2, 50)
    # and each run is real ChainerMN's run of the same script (same seed: same weights, same
    # pieces, same shuffling), from tests/chainer_ref/make_mnist_mn_example.py
    ref = json.loads((HERE / "chainer_ref" / "mnist_mn_example.json").read_text())
    _assert_log(one, ref["1"]["log"])
    _assert_log(two, ref["2"]["log"])
    assert "validation/main/accuracy" in stdout
    assert [e["iteration"] for e in one] == [e["iteration"] for e in two] == [30, 60]
    acc1, acc2 = one[-1]["validation/main/accuracy"], two[-1]["validation/main/accuracy"]
    assert acc1 > 0.8 and acc2 > 0.8, (acc1, acc2)
    assert abs(acc1 - acc2) < 0.04, (acc1, acc2)
    assert abs(one[-1]["main/loss"] - two[-1]["main/loss"]) < 0.15
