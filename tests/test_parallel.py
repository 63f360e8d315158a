"""backend.parallel (memory-bound work on two threads) and backend.memory (malloc tuning).

The op tests use arrays too small to be split; here the threshold is lowered to 0 so that
every op that splits its work (im2col, col2im, the layout transposes, pooling, ReLU, the
optimizers' foreach) runs both ways, and the two results must agree exactly: the halves
compute the same numbers, only on two threads.
"""

import ctypes.util
import platform
import threading

import numpy as np
import pytest

import shinsou as ss
import shinsou.functional as F
from shinsou.backend import memory, onednn, parallel


_EMPTY = np.empty


def _nan_empty(shape, dtype=float, *a, **k):
    """``np.empty`` whose float buffers start full of NaN: a buffer read before it is
    written shows in the result."""
    out = _EMPTY(shape, dtype, *a, **k)
    if np.dtype(dtype).kind == "f":
        out.fill(np.nan)
    return out


@pytest.fixture
def split_everything(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_ENABLED", True)
    # these tests are about shinsou's own kernels, split or whole: keep convolutions off
    # oneDNN (whose OpenMP threads follow the same switch, and sum in another order)
    monkeypatch.setattr(onednn, "_MODE", False)
    monkeypatch.setattr(onednn, "_ON", False)


def test_halves_covers_the_range_once_on_two_threads(split_everything):
    seen, threads = [], set()

    def fn(lo, hi):
        seen.append((lo, hi))
        threads.add(threading.get_ident())

    parallel.halves(fn, 7)
    assert sorted(seen) == [(0, 3), (3, 7)]
    assert len(threads) == 2


def test_halves_runs_small_or_nested_work_inline(split_everything, monkeypatch):
    calls = []
    parallel.halves(lambda lo, hi: calls.append((lo, hi)), 1)
    assert calls == [(0, 1)]

    inner = []

    def outer(lo, hi):
        parallel.halves(lambda a, b: inner.append((lo, a, b)), 4)

    parallel.halves(outer, 2)  # the worker must not wait on itself: nested calls run inline
    assert sorted(inner) == [(0, 0, 4), (1, 0, 4)]

    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 20)
    calls.clear()
    parallel.halves(lambda lo, hi: calls.append((lo, hi)), 10, size=1000)
    assert calls == [(0, 10)]


def test_halves_raises_errors_from_either_half(split_everything):
    def fails_on(which):
        def fn(lo, hi):
            if (lo == 0) == (which == "first"):
                raise RuntimeError(f"{which} half")

        return fn

    for which in ("first", "second"):
        with pytest.raises(RuntimeError, match=f"{which} half"):
            parallel.halves(fails_on(which), 8)


def test_over_halves_returns_each_half_in_order(split_everything, monkeypatch):
    items = list(range(7))
    assert parallel.over_halves(items, sum, 1) == [0 + 1 + 2, 3 + 4 + 5 + 6]
    assert parallel.over_halves(items, sum, 1, xp=None) == [21]  # not NumPy: one call
    monkeypatch.setattr(parallel, "_ENABLED", False)
    assert parallel.over_halves(items, sum, 1) == [21]


def test_copyto_and_elementwise(split_everything):
    rng = np.random.default_rng(0)
    src = rng.standard_normal((1, 6, 5, 7)).astype(np.float32)[:, :, ::2]  # strided, axis 0 = 1
    dst = np.empty(src.shape, np.float32)
    parallel.copyto(dst, src)
    np.testing.assert_array_equal(dst, src)

    x = rng.standard_normal(1001)
    out = parallel.elementwise(lambda o, a: np.multiply(a, 2, out=o), np.empty_like(x), x)
    np.testing.assert_array_equal(out, 2 * x)
    # a strided input is not split, but still computed
    out = parallel.elementwise(lambda o, a: np.negative(a, out=o), np.empty(501), x[::2])
    np.testing.assert_array_equal(out, -x[::2])


def test_bad_thread_setting_is_named(monkeypatch):
    monkeypatch.setenv("SHINSOU_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="SHINSOU_NUM_THREADS"):
        parallel._wanted()
    monkeypatch.setenv("SHINSOU_NUM_THREADS", "1")
    assert parallel._wanted() is False


def _lenet_grads(seed=0):
    """Forward and backward of a small conv/pool/relu/conv-transpose net; every array out."""
    rng = np.random.default_rng(seed)
    x = ss.tensor(rng.standard_normal((6, 3, 13, 11)).astype(np.float32), requires_grad=True)
    w1 = ss.tensor(rng.standard_normal((8, 3, 5, 5)).astype(np.float32), requires_grad=True)
    w2 = ss.tensor(rng.standard_normal((8, 4, 3, 3)).astype(np.float32), requires_grad=True)
    wt = ss.tensor(rng.standard_normal((8, 2, 3, 3)).astype(np.float32), requires_grad=True)
    h = F.relu(F.conv2d(x, w1, padding=2))
    h = F.max_pool2d(h, 3, stride=2, padding=1)  # overlapping windows: backward adds
    h = F.avg_pool2d(F.conv2d(h, w2, padding=1, groups=2), 2, ceil_mode=True)
    y = F.conv_transpose2d(h, wt, stride=2, output_padding=1)
    (y * y).sum().backward()
    return [y.numpy(), x.grad, w1.grad, w2.grad, wt.grad]


def _agree(split, whole):
    """Split and whole runs agree to float32 round-off of the array's scale: bit for bit on
    an AVX-512 CPU, but OpenBLAS's AVX2 kernels sum a product of half the columns in another
    order (1.2e-4 apart on values of ~460, seen on an AVX2-only CPU)."""
    for a, b in zip(split, whole):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * float(np.abs(b).max()))


def test_ops_agree_split_and_whole(monkeypatch, split_everything):
    split = _lenet_grads()
    monkeypatch.setattr(parallel, "_ENABLED", False)
    whole = _lenet_grads()
    _agree(split, whole)


def test_batch_outer_first_layer_agrees_split_and_whole(monkeypatch, split_everything):
    # a first layer (input needs no gradient) with wide rows takes the batch-outer path
    rng = np.random.default_rng(1)
    x = ss.tensor(rng.standard_normal((3, 1, 30, 30)).astype(np.float32))

    def run():
        w = ss.tensor(rng.standard_normal((4, 1, 5, 5)).astype(np.float32), requires_grad=True)
        y = F.conv2d(x, w, padding=2)
        (y * y).sum().backward()
        return y.numpy(), w.grad

    state = rng.bit_generator.state
    split = run()
    monkeypatch.setattr(parallel, "_ENABLED", False)
    rng.bit_generator.state = state
    whole = run()
    _agree(split, whole)


@pytest.mark.parametrize("opt", ["Adam", "SGD", "RMSprop", "Adagrad"])
def test_optimizer_blocks_agree(monkeypatch, split_everything, opt):
    import shinsou.optim.foreach as foreach

    monkeypatch.setattr(foreach, "_MIN_SPLIT", 1)
    monkeypatch.setattr(foreach, "_BLOCK", 7)  # many odd-sized blocks per half

    def steps():
        ss.manual_seed(0)
        p = ss.nn.Parameter(ss.randn(5, 13))
        kw = {"momentum": 0.9} if opt == "SGD" else {}
        o = getattr(ss.optim, opt)([p], lr=0.1, **kw)
        for i in range(3):
            o.zero_grad()
            ((p * p).sum() + p[0, i]).backward()
            o.step()
        return p.numpy().copy()

    split = steps()
    monkeypatch.setattr(foreach, "_MIN_SPLIT", 1 << 62)
    np.testing.assert_array_equal(split, steps())


def test_keep_freed_memory_applies_on_glibc():
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert memory.keep_freed_memory() is glibc
    if glibc and ctypes.util.find_library("c"):
        assert memory.APPLIED is True  # done at import (SHINSOU_KEEP_FREED_MEMORY unset)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_agrees_split_and_whole(monkeypatch, split_everything, training):
    import shinsou.functional.normalization as norm

    monkeypatch.setattr(norm, "_BLOCK", 64)  # many blocks of 1-2 samples, split in halves
    rng = np.random.default_rng(2)
    x0 = (rng.standard_normal((9, 4, 5, 6)) * 3 + 1).astype(np.float32)
    g0 = rng.standard_normal(x0.shape).astype(np.float32)
    w0, b0 = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)

    def run():
        x = ss.tensor(x0, requires_grad=True)
        w, b = ss.tensor(w0, requires_grad=True), ss.tensor(b0, requires_grad=True)
        mean, var = (None, None) if training else (np.zeros(4), np.ones(4) * 2)
        y = F.batch_norm(x, mean, var, w, b, training=training)
        (y * ss.tensor(g0)).sum().backward()
        return [y.numpy(), x.grad, w.grad, b.grad]

    split = run()
    monkeypatch.setattr(parallel, "_ENABLED", False)
    whole = run()
    for a, b in zip(split, whole):  # per-channel sums are added in another order: rounding
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_halves_from_two_threads_at_once(split_everything):
    # while one thread's halves holds the worker, another thread's runs inline, whole
    gate, inside = threading.Event(), threading.Event()

    def slow(lo, hi):
        if lo == 0:  # the worker's half
            inside.set()
            gate.wait(5)

    other = threading.Thread(target=parallel.halves, args=(slow, 2))
    other.start()
    assert inside.wait(5)
    seen = []
    parallel.halves(lambda lo, hi: seen.append((lo, hi)), 8)
    gate.set()
    other.join(5)
    assert seen == [(0, 8)] and not other.is_alive()


def test_an_interrupted_wait_gives_up_the_worker(split_everything):
    parallel.halves(lambda lo, hi: None, 2)
    old = parallel._get_worker()
    ended = threading.Event()

    class Interrupted:  # stands in for the worker's "done" lock: Ctrl-C during the wait
        def acquire(self):
            raise KeyboardInterrupt

        def release(self):  # what the worker calls when its job has ended
            ended.set()

    old._done = Interrupted()
    with pytest.raises(KeyboardInterrupt):
        parallel.halves(lambda lo, hi: None, 2)
    assert ended.wait(5)  # the given-up worker still ended its job
    assert parallel._get_worker() is not old
    threads = set()
    parallel.halves(lambda lo, hi: threads.add(threading.get_ident()), 4)
    assert len(threads) == 2  # a new worker: still two threads, not inline ever after


def _split_in_child(queue):
    parallel.MIN_BYTES, parallel._ENABLED = 0, True
    threads = set()
    parallel.halves(lambda lo, hi: threads.add(threading.get_ident()), 4)
    queue.put(len(threads))


def test_a_forked_child_gets_its_own_worker(split_everything):
    import multiprocessing

    parallel.halves(lambda lo, hi: None, 4)  # the parent's worker thread exists
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_split_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "halves hung in a forked child"
    assert child.exitcode == 0 and queue.get(timeout=5) == 2


# ---------------------------------------------------------------- matrix products (blas)
def _import_order_report(first_numpy, env):
    import os
    import subprocess
    import sys

    code = ("import numpy\n" if first_numpy else "") + (
        "import shinsou\nfrom shinsou.backend import blas\n"
        "print(blas.split_products(), blas.openblas_threads())"
    )
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHINSOU_", "OPENBLAS_", "OMP_", "GOTO_"))
    }
    full_env.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, check=True
    )
    return out.stdout.split()


def test_numpy_imported_first_switches_to_split_products():
    from shinsou.backend import blas

    if blas.openblas_threads() is None:
        pytest.fail("this NumPy does not use OpenBLAS: the import-order handling is untested")
    assert _import_order_report(True, {}) == ["True", "1"]  # OpenBLAS's threads never spin
    assert _import_order_report(False, {})[0] == "False"  # the spin timeout took effect
    assert _import_order_report(True, {"OPENBLAS_THREAD_TIMEOUT": "4"})[0] == "False"
    assert _import_order_report(True, {"SHINSOU_SPLIT_PRODUCTS": "0"})[0] == "False"
    assert _import_order_report(False, {"SHINSOU_SPLIT_PRODUCTS": "1"}) == ["True", "1"]
    assert _import_order_report(True, {"SHINSOU_NUM_THREADS": "1"}) == ["False", "1"]
    # one thread means OpenBLAS's too (whatever the import order), unless the user set it
    assert _import_order_report(False, {"SHINSOU_NUM_THREADS": "1"}) == ["False", "1"]
    both = {"SHINSOU_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "2"}
    assert _import_order_report(False, both) == ["False", "2"]


def test_split_products_equal_whole_ones(monkeypatch):
    from shinsou.backend import blas

    monkeypatch.setattr(blas, "_SPLIT", True)
    rng = np.random.default_rng(0)
    for sa, sb in [
        ((300, 200), (200, 100)),
        ((3, 64, 150), (150, 90)),
        ((2, 1, 40, 300), (5, 300, 70)),
    ]:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        np.testing.assert_allclose(blas.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
        out = np.empty(np.broadcast_shapes(sa[:-2], sb[:-2]) + (sa[-2], sb[-1]), np.float32)
        assert blas.matmul(a, b, out=out) is out
        np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5)
    # a layer's forward and backward give the same numbers split and whole
    conv = ss.nn.Conv2d(3, 16, 3, padding=1)
    x = ss.randn(8, 3, 16, 16, requires_grad=True)
    conv(x).sum().backward()
    whole = [x.grad.numpy()] + [p.grad.numpy() for p in conv.parameters()]
    monkeypatch.setattr(blas, "_SPLIT", False)
    x.grad = None
    conv.zero_grad()
    conv(x).sum().backward()
    for a, b in zip(whole, [x.grad.numpy()] + [p.grad.numpy() for p in conv.parameters()]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


# ------------------------------------------- work split by hand over the two threads (s5-speed)
def test_blas_halves_runs_products_on_one_blas_thread_each(split_everything):
    from shinsou.backend import blas

    before = blas.openblas_threads()
    seen = []

    def fn(lo, hi):
        seen.append((lo, hi, threading.get_ident(), blas.openblas_threads()))

    blas.halves(fn, 6, 0)
    assert sorted(s[:2] for s in seen) == [(0, 3), (3, 6)]
    if before is None:
        pytest.fail("this NumPy does not use OpenBLAS: the thread handling is untested")
    assert len({s[2] for s in seen}) == 2
    assert {s[3] for s in seen} == {1}  # each half's products on one OpenBLAS thread
    assert blas.openblas_threads() == before  # and its threads given back


def test_split_products_by_request(split_everything):
    from shinsou.backend import blas

    rng = np.random.default_rng(3)
    for sa, sb in [((300, 200), (200, 100)), ((1, 900), (900, 700)), ((2, 70, 90), (90, 600))]:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        np.testing.assert_allclose(blas.matmul(a, b, split=True), a @ b, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    "x_shape, w_shape, kw",
    [
        ((5, 6, 9, 8), (4, 6, 3, 3), dict(padding=1)),
        ((4, 6, 9, 9), (6, 3, 4, 4), dict(stride=2, padding=1, groups=2)),
        # dL/dx summed in column phases (horizontal stride > 1), with a dilation
        ((4, 6, 11, 12), (5, 6, 4, 3), dict(stride=(2, 3), padding=(1, 2), dilation=(1, 2))),
        ((3, 1, 8, 8), (5, 1, 3, 3), dict()),  # one input channel: nothing to share out
    ],
)
@pytest.mark.parametrize("transpose", [False, True])
def test_conv_kernels_share_channels_between_threads(
    monkeypatch, split_everything, x_shape, w_shape, kw, transpose
):
    # the three kernels (forward, dL/dx, dL/dW) of conv2d and conv_transpose2d, each split over
    # the two threads (the channels of dL/dx and dL/dW, the columns of the forward product),
    # give the numbers of the unsplit kernels (up to rounding: OpenBLAS may sum a smaller
    # product in another order)
    import shinsou.functional.conv as conv

    monkeypatch.setattr(conv, "_CHUNK_BYTES", 2048)  # several chunks per half
    rng = np.random.default_rng(4)
    groups = kw.get("groups", 1)
    if transpose:  # (C_in, C_out/groups, ...) and an input of C_in channels
        w_shape = (w_shape[1] * groups, w_shape[0] // groups) + w_shape[2:]
        x_shape = (x_shape[0], w_shape[0]) + x_shape[2:]
    x0 = rng.standard_normal(x_shape).astype(np.float32)
    w0 = rng.standard_normal(w_shape).astype(np.float32)
    op = F.conv_transpose2d if transpose else F.conv2d
    threads = set()
    add_row = conv._add_kernel_row

    def spy(*a, **k):
        threads.add(threading.get_ident())
        return add_row(*a, **k)

    monkeypatch.setattr(conv, "_add_kernel_row", spy)

    def run():
        x = ss.tensor(x0, requires_grad=True)
        w = ss.tensor(w0, requires_grad=True)
        y = op(x, w, **kw)
        (y * y).sum().backward()
        return [y.numpy(), x.grad.numpy(), w.grad.numpy()]

    split = run()
    if (w_shape[1] * groups if transpose else x_shape[1]) > 1:
        assert len(threads) == 2  # dL/dx's sums of each half of the channels on its thread
    monkeypatch.setattr(parallel, "_ENABLED", False)
    for a, b in zip(split, run()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * np.abs(b).max())


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_rows_agree_split_and_whole(monkeypatch, split_everything, smoothing):
    # the log-softmax and its gradient go by blocks of rows, the two halves on two threads:
    # every row is computed as on the whole array, so the numbers are the same
    import shinsou.functional.loss as loss

    monkeypatch.setattr(loss, "_CE_BLOCK_BYTES", 3 * 17 * 4)  # blocks of 3 rows
    rng = np.random.default_rng(5)
    x0 = (rng.standard_normal((11, 17)) * 4).astype(np.float32)
    t = ss.tensor(rng.integers(0, 17, 11))
    t[4] = -100  # ignored

    def run():
        x = ss.tensor(x0, requires_grad=True)
        y = F.cross_entropy(x, t, label_smoothing=smoothing)
        y.backward()
        return [y.numpy(), x.grad.numpy()]

    split = run()
    monkeypatch.setattr(parallel, "_ENABLED", False)
    monkeypatch.setattr(loss, "_CE_BLOCK_BYTES", 1 << 30)  # one block: the whole array
    whole = run()
    for a, b in zip(split, whole):
        np.testing.assert_array_equal(a, b)
    lsm = x0 - x0.max(1, keepdims=True)
    lsm -= np.log(np.exp(lsm).sum(1, keepdims=True))
    np.testing.assert_array_equal(loss._log_softmax_rows(x0), lsm)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
def test_large_linear_layer_agrees_split_and_whole(monkeypatch, split_everything, bias, x_grad):
    # a layer of 64·50·700 multiply-adds goes as two halves of its output units, each with
    # its part of the bias add, of dL/dW and of dL/db
    from shinsou.backend import blas

    rng = np.random.default_rng(6)
    x0 = rng.standard_normal((4, 16, 50)).astype(np.float32)
    w0 = rng.standard_normal((700, 50)).astype(np.float32)
    b0 = rng.standard_normal(700).astype(np.float32)
    g0 = rng.standard_normal((4, 16, 700)).astype(np.float32)
    assert x0[..., 0].size * 50 * 700 >= blas.MIN_FLOPS
    halves = []
    monkeypatch.setattr(blas, "halves", lambda *a: halves.append(a[1]) or parallel.halves(*a))

    def run():
        x = ss.tensor(x0, requires_grad=x_grad)
        w = ss.tensor(w0, requires_grad=True)
        b = ss.tensor(b0, requires_grad=True) if bias else None
        y = F.linear(x, w, b)
        (y * ss.tensor(g0)).sum().backward()
        return (
            [y.numpy(), w.grad.numpy()]
            + ([x.grad.numpy()] if x_grad else [])
            + ([b.grad.numpy()] if bias else [])
        )

    split = run()
    assert 700 in halves  # the output units were shared out
    monkeypatch.setattr(parallel, "_ENABLED", False)
    for a, b in zip(split, run()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())
    ref = x0 @ w0.T + (b0 if bias else 0)
    np.testing.assert_allclose(split[0], ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(split[1], np.einsum("nto,nti->oi", g0, x0), rtol=1e-4, atol=1e-3)


def test_outer_products_equal_blas_ones():
    from shinsou.backend import blas

    rng = np.random.default_rng(7)
    a = rng.standard_normal((64, 1)).astype(np.float32)
    b = rng.standard_normal((1, 300)).astype(np.float32)
    np.testing.assert_array_equal(blas.matmul(a, b), a @ b)
    out = np.empty((64, 300), np.float32)
    assert blas.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, a @ b)
    assert blas.matmul(a, b.astype(np.float64)).dtype == np.float64


def test_clip_grad_norm_of_large_gradients_by_blocks(monkeypatch, split_everything):
    # Σ g² of a large gradient goes by float64 blocks on two threads: the norm of the whole
    # in float64 up to rounding, and the clipped gradients follow it
    import shinsou.nn.utils.clip_grad as clip

    monkeypatch.setattr(clip, "_SQUARES_BLOCK", 100)
    rng = np.random.default_rng(8)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(37, 29), (1001,), (5,)]]
    params = [ss.nn.Parameter(ss.zeros(*g.shape)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    norm = ss.optim.clip_grad_norm_(params, 1.0)
    want = np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads))
    assert norm == pytest.approx(want, rel=1e-12)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g / (want + 1e-6), rtol=1e-6)


@pytest.mark.parametrize("transpose", [False, True])
def test_one_channel_kernels_split_their_products(monkeypatch, split_everything, transpose):
    # one input channel (a first layer's dL/dx, a generator's last conv-transpose): all kernel
    # rows in one product whose columns go on two threads; the numbers of PyTorch
    import torch

    import shinsou.functional.conv as conv

    monkeypatch.setattr(conv, "_CHUNK_BYTES", 4096)  # several chunks of output rows
    rng = np.random.default_rng(9)
    x0 = rng.standard_normal((6, 3, 5, 6) if transpose else (6, 1, 11, 12)).astype(np.float32)
    w0 = rng.standard_normal((3, 1, 4, 4)).astype(np.float32)
    kw = dict(stride=2, padding=1)
    split = []
    matmul = conv.blas.matmul
    monkeypatch.setattr(
        conv.blas, "matmul", lambda *a, **k: split.append(k.get("split")) or matmul(*a, **k)
    )
    x, w = ss.tensor(x0, requires_grad=True), ss.tensor(w0, requires_grad=True)
    tx, tw = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    if transpose:
        y, ty = F.conv_transpose2d(x, w, **kw), torch.nn.functional.conv_transpose2d(tx, tw, **kw)
    else:
        y, ty = F.conv2d(x, w, **kw), torch.nn.functional.conv2d(tx, tw, **kw)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert True in split
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "op, x_shape, w_shape, kw",
    [
        ("conv2d", (3, 4, 7, 6), (5, 4, 4, 3), dict(padding="same")),  # uneven pads
        ("conv2d", (3, 4, 9, 8), (6, 2, 3, 3), dict(stride=2, padding=(2, 1), groups=2)),
        ("conv2d", (3, 1, 9, 8), (5, 1, 3, 3), dict(padding=1)),
        ("conv_transpose2d", (3, 4, 5, 4), (4, 3, 4, 4), dict(stride=2, padding=1)),
    ],
)
def test_conv_buffers_are_written_before_they_are_read(
    monkeypatch, split_everything, op, x_shape, w_shape, kw
):
    # the padded input is zeroed only in its border and dL/dx's sums are zeroed by the thread
    # that adds its channels: with every new NumPy buffer full of NaN, nothing NaN comes out
    rng = np.random.default_rng(10)
    x = ss.tensor(rng.standard_normal(x_shape).astype(np.float32), requires_grad=True)
    w = ss.tensor(rng.standard_normal(w_shape).astype(np.float32), requires_grad=True)
    monkeypatch.setattr(np, "empty", _nan_empty)
    y = getattr(F, op)(x, w, **kw)
    (y * y).sum().backward()
    monkeypatch.undo()
    for a in (y.numpy(), x.grad.numpy(), w.grad.numpy()):
        assert np.isfinite(a).all()


@pytest.mark.parametrize(
    "op, x_shape, w_shape, kw",
    [
        ("conv2d", (7, 4, 9, 8), (6, 4, 4, 4), dict(stride=2, padding=1)),
        ("conv2d", (5, 4, 7, 6), (6, 2, 3, 3), dict(padding="same", groups=2)),
        ("conv2d", (5, 1, 30, 30), (4, 1, 5, 5), dict(padding=2)),  # batch-outer first layer
        ("conv_transpose2d", (7, 6, 4, 5), (6, 3, 4, 4), dict(stride=2, padding=1)),
        ("conv_transpose2d", (5, 4, 5, 4), (4, 1, 4, 4), dict(stride=2, padding=1)),
    ],
)
def test_conv_ops_split_by_samples(monkeypatch, split_everything, op, x_shape, w_shape, kw):
    # a batch of at least _SAMPLE_SPLIT_MIN samples goes through each kernel call as two
    # halves of samples, one per thread (here 7 -> 3 + 4): outputs and dL/dx are the halves'
    # own, dL/dW and dL/db the sums of theirs. Every new NumPy buffer starts full of NaN, so a
    # half that is never written shows. The numbers: those of the whole batch and of PyTorch.
    import torch

    import shinsou.functional.conv as conv

    monkeypatch.setattr(conv, "_SAMPLE_SPLIT_MIN", 2)
    rng = np.random.default_rng(11)
    x0 = rng.standard_normal(x_shape).astype(np.float32)
    w0 = rng.standard_normal(w_shape).astype(np.float32)
    b0 = rng.standard_normal(w_shape[1 if op == "conv_transpose2d" else 0]).astype(np.float32)
    first = x_shape[1] == 1 and op == "conv2d"  # the input needs no gradient: batch-outer
    seen = []
    parts = conv._run_parts

    def spy(fn, parts_):
        seen.append(parts_)
        return parts(fn, parts_)

    monkeypatch.setattr(conv, "_run_parts", spy)

    def run():
        x = ss.tensor(x0, requires_grad=not first)
        w, b = ss.tensor(w0, requires_grad=True), ss.tensor(b0, requires_grad=True)
        with monkeypatch.context() as m:
            m.setattr(np, "empty", _nan_empty)
            y = getattr(F, op)(x, w, b, **kw)
            (y * y).sum().backward()
        return [y.numpy()] + [t.grad.numpy() for t in (x, w, b) if t.requires_grad]

    split = run()
    n = x_shape[0]
    assert seen and all(p == [(0, n // 2), (n // 2, n)] for p in seen)  # forward and backward
    monkeypatch.setattr(parallel, "_ENABLED", False)
    seen.clear()
    whole = run()
    assert seen and all(p == [(0, n)] for p in seen)
    tx = torch.tensor(x0, requires_grad=not first)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ty = getattr(torch.nn.functional, op)(tx, tw, tb, **kw)
    (ty * ty).sum().backward()
    theirs = [ty.detach().numpy()] + [t.grad.numpy() for t in (tx, tw, tb) if t.requires_grad]
    for a, b, t in zip(split, whole, theirs):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())
        np.testing.assert_allclose(a, t, rtol=1e-4, atol=1e-4 * np.abs(t).max())


@pytest.mark.parametrize(
    "op, x_shape, w_shape, kw",
    [
        ("conv2d", (7, 4, 9, 8), (6, 4, 4, 4), dict(stride=2, padding=1)),
        ("conv2d", (5, 4, 7, 6), (6, 2, 3, 3), dict(padding="same", groups=2)),
        ("conv_transpose2d", (7, 6, 4, 5), (6, 3, 4, 4), dict(stride=2, padding=1)),
    ],
)
def test_conv_double_backward_split_by_samples(monkeypatch, split_everything, op, x_shape,
                                               w_shape, kw):  # fmt: skip
    # penalties on both gradients of L = Σ y², ‖dL/dx‖² + ‖dL/dW‖², differentiated again: the
    # weight-gradient op (ConvWeightGrad, recorded when dL/dW has a graph) and its adjoints
    # split their batch in halves of samples too (7 -> 3 + 4), NaN-filled new buffers,
    # against the whole batch and PyTorch
    import torch

    import shinsou.functional.conv as conv

    monkeypatch.setattr(conv, "_SAMPLE_SPLIT_MIN", 2)
    rng = np.random.default_rng(12)
    x0 = rng.standard_normal(x_shape).astype(np.float32)
    w0 = rng.standard_normal(w_shape).astype(np.float32)
    made = []
    weight_grad = conv.ConvWeightGrad.forward

    def spy(self, x, gy):
        out = weight_grad(self, x, gy)
        made.append(self.parts)
        return out

    monkeypatch.setattr(conv.ConvWeightGrad, "forward", spy)

    def run():
        x, w = ss.tensor(x0, requires_grad=True), ss.tensor(w0, requires_grad=True)
        with monkeypatch.context() as m:
            m.setattr(np, "empty", _nan_empty)
            y = getattr(F, op)(x, w, **kw)
            gx, gw = ss.autograd.grad((y * y).sum(), [x, w], create_graph=True)
            ((gx * gx).sum() + (gw * gw).sum()).backward()
        return [gx.numpy(), gw.numpy(), x.grad.numpy(), w.grad.numpy()]

    split = run()
    n = x_shape[0]
    assert made and all(p == [(0, n // 2), (n // 2, n)] for p in made)
    monkeypatch.setattr(parallel, "_ENABLED", False)
    made.clear()
    whole = run()
    assert made and all(p == [(0, n)] for p in made)
    tx, tw = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    ty = getattr(torch.nn.functional, op)(tx, tw, **kw)
    tgx, tgw = torch.autograd.grad((ty * ty).sum(), [tx, tw], create_graph=True)
    ((tgx * tgx).sum() + (tgw * tgw).sum()).backward()
    theirs = [tgx.detach().numpy(), tgw.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()]
    for a, b, t in zip(split, whole, theirs):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())
        np.testing.assert_allclose(a, t, rtol=1e-4, atol=1e-4 * np.abs(t).max())


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("masked", [False, True])
def test_recurrence_batch_halves_agree_with_the_whole_batch(monkeypatch, split_everything, mode,
                                                            masked):  # fmt: skip
    # the sequences of a batch never meet: their loops over time run as two halves of the
    # batch on two threads, forward and backward, and give the one-thread numbers
    from shinsou.backend import blas
    from shinsou.functional.rnn import MODES, recurrence, recurrence_composite

    T, N, H = 5, 6, 4
    G = MODES[mode]
    rng = np.random.default_rng(7)
    arrays = [
        rng.standard_normal((T, N, G * H)),
        rng.standard_normal((N, H)),
        rng.standard_normal((N, H)),
        rng.standard_normal((G * H, H)) * 0.5,
        rng.standard_normal(G * H),
    ]
    gys = [rng.standard_normal((T, N, H)), rng.standard_normal((N, H)), rng.standard_normal((N, H))]
    mask = (np.arange(T)[:, None] < np.array([5, 3, 5, 1, 4, 5])[None, :]) if masked else None
    halves = []
    monkeypatch.setattr(blas, "halves", lambda *a: halves.append(a[1]) or parallel.halves(*a))

    def run(fn, dtype):
        xw, h0, c0, w, b = (ss.tensor(a.astype(dtype), requires_grad=True) for a in arrays)
        outs = fn(mode, xw, h0, c0 if mode == "lstm" else None, w, b, mask)
        loss = sum((o * ss.tensor(g.astype(dtype))).sum() for o, g in zip(outs, gys))
        loss.backward()
        ins = (xw, h0, c0, w, b) if mode == "lstm" else (xw, h0, w, b)
        return [o.numpy() for o in outs] + [t.grad.numpy() for t in ins]

    split = run(recurrence, np.float32)
    assert N in halves  # forward and backward shared the batch out
    monkeypatch.setattr(parallel, "_ENABLED", False)
    whole = run(recurrence, np.float32)
    ref = run(recurrence_composite, np.float64)
    for a, b, r in zip(split, whole, ref):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-4)
