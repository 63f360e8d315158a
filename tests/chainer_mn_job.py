"""The program that ``tests/test_chainer_mn.py`` starts under ``mpiexec -n 2``: ChainerMN's
API on 2 real ranks.

``python chainer_mn_job.py REF.json`` checks, printing ``OK <what>`` on rank 0 for each
(an assertion error on any rank ends the job through shinsou.distributed's excepthook):

* the communicator's ranks, and ``bcast_obj`` (also in small pieces), ``gather_obj``,
  ``allreduce_obj``, ``bcast``, ``send``/``recv``, ``send_obj``/``recv_obj``, ``split``;
* ``scatter_dataset`` gives each rank the piece real ChainerMN gives it (REF.json, made by
  ``tests/chainer_ref/make_chainermn.py``);
* ``multi_node_mean_grad`` with ``zero_fill`` (a link used on rank 0 only);
* the multi-node optimizer, for the ``naive`` and ``flat`` communicators: ranks that start
  from different weights, each stepping on its half of every batch, end with the weights of
  one process that takes the same steps on the whole batches (after the first update, which
  only broadcasts rank 0's weights, as in ChainerMN), with a WeightDecay hook and ``lr``
  set through the wrapper;
* the multi-node evaluator returns the mean over the ranks of every rank's means;
* ``MultiNodeBatchNormalization`` on half batches gives one process's batch norm of the
  whole batch (outputs, input gradients, γ/β gradients, running mean);
* synchronized iterators shuffle alike on every rank; ``AllreducePersistent`` averages.
"""

import json
import sys

import numpy as np

import shinsou.chainer as chainer
import shinsou.chainer.functions as F
import shinsou.chainer.links as L
from shinsou.chainer import chainermn
from shinsou.chainer.training import extensions


def ok(comm, what):
    if comm.rank == 0:
        print("OK", what, flush=True)


def check_communicator(comm):
    assert (comm.rank, comm.size) == (comm.mpi_comm.rank, 2)
    assert (comm.intra_rank, comm.intra_size, comm.inter_rank, comm.inter_size) == (
        comm.rank, 2, 0, 1)  # fmt: skip
    big = {"x": list(range(100)), "who": "rank 1"}
    assert comm.bcast_obj(big if comm.rank == 1 else None, max_buf_len=7, root=1) == big
    got = comm.gather_obj(comm.rank * 10, root=1)
    assert got == ([0, 10] if comm.rank == 1 else None), got
    assert comm.allreduce_obj(comm.rank + 1) == 3
    s = comm.allreduce_obj(np.array([comm.rank, 1.0]))
    assert np.array_equal(s, [1.0, 2.0]), s
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(comm.bcast(a if comm.rank == 0 else None), a)
    if comm.rank == 0:
        comm.send((a, a[0].astype(np.int64)), dest=1, tag=3)
        comm.send_obj({"n": 5}, dest=1)
    else:
        x, y = comm.recv(source=0, tag=3)
        assert np.array_equal(x, a) and y.dtype == np.int64 and np.array_equal(y, [0, 1, 2])
        assert comm.recv_obj(source=0) == {"n": 5}
    sub = comm.split(color=0, key=-comm.rank)  # the same processes, ranks reversed
    assert (sub.rank, sub.size) == (1 - comm.rank, 2)
    assert sub.allreduce_obj([sub.rank]) == [0, 1]
    ok(comm, "communicator: ranks, object and array collectives, send/recv, split")


def check_scatter(comm, ref):
    cases = [c for c in ref["scatter"] if c["size"] == 2]
    assert cases
    for c in cases:
        data = list(range(c["n"])) if comm.rank == c["root"] else None
        sub = chainermn.scatter_dataset(
            data, comm, root=c["root"], shuffle=c["shuffle"], seed=c["seed"],
            force_equal_length=c["force_equal_length"],
        )  # fmt: skip
        assert list(sub) == c["pieces"][comm.rank], (c, list(sub))
        b_e = chainermn.scatter_index(c["n"], comm, root=c["root"],
                                      force_equal_length=c["force_equal_length"])  # fmt: skip
        assert list(b_e) == c["ranges"][comm.rank]
    ok(comm, "scatter_dataset and scatter_index give each rank real ChainerMN's piece")


class Net(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(5, 8)
            self.l2 = L.Linear(8, 3)
            self.unused = L.Linear(2, 2)

    def forward(self, x):
        return self.l2(F.tanh(self.l1(x)))


def check_zero_fill(comm):
    np.random.seed(0)
    net = Net()
    x = np.random.randn(4, 5).astype(np.float32)
    loss = F.sum(net(x) * (comm.rank + 1.0))
    if comm.rank == 0:  # the link "unused" gets a gradient on rank 0 only
        loss = loss + F.sum(net.unused(np.ones((1, 2), np.float32)))
    net.cleargrads()
    loss.backward()
    g1 = net.l1.W.grad.copy()
    comm.multi_node_mean_grad(net, zero_fill=True)
    # rank r's gradient of l1 is (r + 1) g, so the mean is 1.5 g on both ranks
    g_rank0 = g1 / (comm.rank + 1.0)
    np.testing.assert_allclose(net.l1.W.grad, 1.5 * g_rank0, rtol=1e-6)
    np.testing.assert_allclose(net.unused.b.grad, [0.5, 0.5], rtol=1e-6)
    ok(comm, "multi_node_mean_grad averages, zero_fill gives an unused link zeros")


def check_optimizer(comm, name):
    c = chainermn.create_communicator(name)
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((6, 8, 5)).astype(np.float32)  # 6 batches of 8
    ts = rng.integers(0, 3, (6, 8)).astype(np.int32)

    def make(seed):
        np.random.seed(seed)
        return L.Classifier(Net())

    # one process, whole batches, from rank 0's initial weights (seed 0)
    ref = make(0)
    ref_opt = chainer.optimizers.MomentumSGD(lr=0.05)
    ref_opt.setup(ref)
    ref_opt.add_hook(chainer.optimizer_hooks.WeightDecay(1e-3))
    for x, t in zip(xs[1:], ts[1:]):
        ref_opt.update(ref, x, t)

    model = make(c.rank)  # different weights on each rank until the first update
    opt = chainermn.create_multi_node_optimizer(chainer.optimizers.MomentumSGD(lr=0.2), c)
    assert opt.setup(model) is opt and opt.target is model
    opt.lr = 0.05  # through the wrapper, to the actual optimizer
    assert opt.actual_optimizer.lr == 0.05
    opt.add_hook(chainer.optimizer_hooks.WeightDecay(1e-3))
    half = slice(4 * c.rank, 4 * c.rank + 4)
    for x, t in zip(xs, ts):
        opt.update(model, x[half], t[half])
    assert opt.t == len(xs) - 1  # the first update only broadcast
    for (n1, p1), (n2, p2) in zip(sorted(model.namedparams()), sorted(ref.namedparams())):
        assert n1 == n2
        np.testing.assert_allclose(p1.array, p2.array, rtol=2e-5, atol=1e-6, err_msg=n1)
    ok(comm, f"{name}: 2 ranks on half batches end with one process's weights")


class Reporting(chainer.Link):
    """Reports the mean of its input batch as main/value."""

    def __call__(self, x):
        chainer.report({"value": F.mean(x)}, self)


def check_evaluator(comm):
    values = np.arange(12, dtype=np.float32) ** 2  # rank 0: 0..5, rank 1: 6..11
    data = values.reshape(12, 1) if comm.rank == 0 else None
    piece = chainermn.scatter_dataset(data, comm)
    it = chainer.iterators.SerialIterator(piece, 4, repeat=False, shuffle=False)
    ev = chainermn.create_multi_node_evaluator(extensions.Evaluator(it, Reporting()), comm)
    result = ev()
    # each rank: the mean of its batch means (batches of 4 and 2), then the mean of the ranks
    mine = [np.mean([values[r * 6 : r * 6 + 4].mean(), values[r * 6 + 4 : r * 6 + 6].mean()])
            for r in range(2)]  # fmt: skip
    assert set(result) == {"main/value"}, result
    np.testing.assert_allclose(float(result["main/value"]), np.mean(mine), rtol=1e-6)
    ok(comm, "multi-node evaluator: the mean over the ranks of every rank's means")


def main():
    with open(sys.argv[1]) as f:
        ref = json.load(f)
    comm = chainermn.create_communicator("naive")
    check_communicator(comm)
    check_scatter(comm, ref)
    check_zero_fill(comm)
    for name in ("naive", "flat"):
        check_optimizer(comm, name)
    check_evaluator(comm)
    check_multi_node_batchnorm(comm)
    check_synchronized_iterator_and_allreduce_persistent(comm)


def check_multi_node_batchnorm(comm):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 3, 2, 2)).astype(np.float32) * 2 + 1
    w = rng.standard_normal((8, 3, 2, 2)).astype(np.float32)
    half = slice(4 * comm.rank, 4 * comm.rank + 4)
    # one process, the whole batch: Chainer's batch normalization
    ref = L.BatchNormalization(3)
    xr = chainer.Variable(x)
    F.sum(ref(xr) * w).backward()
    # 2 ranks, half a batch each
    bn = chainermn.links.MultiNodeBatchNormalization(3, comm)
    xm = chainer.Variable(x[half])
    y = bn(xm)
    F.sum(y * w[half]).backward()
    np.testing.assert_allclose(y.array, ref(x).array[half], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(xm.grad, xr.grad[half], rtol=1e-4, atol=1e-5)
    comm.multi_node_mean_grad(bn)  # γ, β: the mean of the ranks' gradients = ref / 2
    np.testing.assert_allclose(bn.gamma.grad, ref.gamma.grad / 2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.beta.grad, ref.beta.grad / 2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.avg_mean, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-5)
    # ChainerMN: avg_var from 0, unbiased with the local count m = 16
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(bn.avg_var, 0.1 * var * 16 / 15, rtol=1e-4)
    ok(comm, "MultiNodeBatchNormalization on half batches equals one process's batch norm")


def check_synchronized_iterator_and_allreduce_persistent(comm):
    np.random.seed(10 + comm.rank)  # each rank's own global random state
    it = chainermn.iterators.create_synchronized_iterator(
        chainer.iterators.SerialIterator(list(range(10)), 4, shuffle=True), comm
    )
    batches = [it.next() for _ in range(5)]
    assert comm.allgather_obj(batches) == [batches, batches]
    assert it.epoch == 2 and sorted(batches[0] + batches[1] + batches[2][:2]) == list(range(10))
    ok(comm, "synchronized iterators give every rank the same batches")
    bn = L.BatchNormalization(2)
    bn.avg_mean[:] = [comm.rank, 2.0 * comm.rank]
    bn.N = comm.rank
    chainermn.extensions.AllreducePersistent(bn, comm)()
    np.testing.assert_allclose(bn.avg_mean, [0.5, 1.0])
    np.testing.assert_allclose(bn.avg_var, [1.0, 1.0])
    assert bn.N == comm.rank  # an integer: left alone
    ok(comm, "AllreducePersistent averages the batch-norm statistics over the ranks")


if __name__ == "__main__":
    main()
