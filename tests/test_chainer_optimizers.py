"""shinsou.chainer.optimizers and optimizer_hooks against real Chainer 7.8.1.

The oracle is ``tests/chainer_ref/optimizers.npz`` (written by
``tests/chainer_ref/make_optimizers.py`` under real Chainer): for each case of
``tests/chainer_ref/optimizer_cases.py`` (same model, batches, optimizer, hooks and
per-parameter settings, run by the same code here), the parameters after 5 updates; and an
optimizer snapshot (``save_npz`` of Adam and MomentumSGD after 3 steps) with the parameters
after resuming for 2 more steps.
"""

import io
import os
import sys
import warnings

import numpy as np
import pytest

import shinsou.chainer as chainer
from shinsou.chainer import optimizer_hooks, optimizers, serializers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "chainer_ref"))
import optimizer_cases as C  # noqa: E402

REF = dict(np.load(os.path.join(HERE, "chainer_ref", "optimizers.npz")))


@pytest.mark.parametrize("name", C.CASES)
def test_parameters_after_updates_match_chainer(name):
    # compares: every parameter after 5 updates with Chainer's, 1e-10 (float64) / 1e-6 (f32)
    model, opt = C.run(chainer, name)
    got = C.params(model)
    assert opt.t == C.STEPS
    tol = 1e-6 if name.endswith("_f32") else 1e-10
    for k, v in got.items():
        ref = REF[f"{name}/{k}"]
        assert v.dtype == ref.dtype, k
        np.testing.assert_allclose(v, ref, rtol=tol, atol=tol, err_msg=f"{name}: {k}")
    # the updates did something (so the comparison is not trivially of the initial weights)
    w0 = C.weights(np.float64)
    assert not np.allclose(got["l1/W"], w0["l1/W"])


@pytest.mark.parametrize("name", ["adam", "momentum_sgd"])
def test_snapshot_written_by_chainer_resumes(name):
    # compares: loading Chainer's optimizer snapshot (after 3 steps) into a fresh optimizer
    # and model, then 2 more steps, gives Chainer's parameters after the same resume
    snap = {k[len(f"snap:{name}/") :]: v for k, v in REF.items() if k.startswith(f"snap:{name}/")}
    model = C.make_model(chainer)
    for path, p in model.namedparams():
        p.array[...] = REF[f"snap_model:{name}{path}"]
    opt = C._opt(chainer, name)[0].setup(model)
    buf = io.BytesIO()
    np.savez(buf, **snap)
    buf.seek(0)
    serializers.load_npz(buf, opt)
    assert opt.t == 3 and model.l1.W.update_rule.t == 3
    data = C.batches(np.float64)
    for i in (3, 4):
        opt.update(model, *data[i])
    for k, v in C.params(model).items():
        np.testing.assert_allclose(v, REF[f"resumed:{name}/{k}"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["adam", "momentum_sgd"])
def test_snapshot_has_chainers_keys_and_values(name):
    # compares: the keys, dtypes and values shinsou's optimizer writes with Chainer's
    _, opt = C.run(chainer, name, steps=3)
    mine = serializers.serialize(opt)
    ref = {k[len(f"snap:{name}/") :]: v for k, v in REF.items() if k.startswith(f"snap:{name}/")}
    assert sorted(mine) == sorted(ref)
    for k, v in ref.items():
        np.testing.assert_allclose(mine[k], v, rtol=1e-10, atol=1e-14, err_msg=k)
        assert np.asarray(mine[k]).shape == v.shape


def test_hyperparameters_inherit_and_override():
    model = C.make_model(chainer)
    opt = optimizers.Adam(alpha=0.01).setup(model)
    rule = model.l1.W.update_rule
    assert rule.hyperparam.alpha == 0.01
    opt.alpha = 0.5  # the optimizer's value reaches every rule that does not override it
    assert rule.hyperparam.alpha == 0.5 and opt.hyperparam.alpha == 0.5
    rule.hyperparam.alpha = 0.1
    assert rule.hyperparam.alpha == 0.1 and model.l2.W.update_rule.hyperparam.alpha == 0.5
    assert rule.hyperparam.get_dict()["beta1"] == 0.9
    with pytest.raises(RuntimeError, match="update steps have not been started"):
        _ = opt.alpha_t
    opt.t = 2
    expect = 0.5 * np.sqrt(1 - 0.999**2) / (1 - 0.9**2)
    assert opt.alpha_t == pytest.approx(expect)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert opt.lr == pytest.approx(expect)
    assert any(issubclass(x.category, DeprecationWarning) for x in w)


def test_update_with_lossfun_clears_grads_and_disabled_rule_stays():
    model = C.make_model(chainer)
    opt = optimizers.SGD(lr=0.1).setup(model)
    x, t = C.batches(np.float64)[0]
    model.l1.W.grad = np.full((5, 4), 100.0)  # stale gradient: update(lossfun) clears it
    model.l2.b.update_rule.enabled = False
    b_before = model.l2.b.array.copy()
    w_before = model.l1.W.array.copy()
    opt.update(model, x, t)
    model2 = C.make_model(chainer)
    model2.cleargrads()
    model2(x, t).backward()
    np.testing.assert_allclose(model.l1.W.array, w_before - 0.1 * model2.l1.W.grad, 1e-12)
    np.testing.assert_array_equal(model.l2.b.array, b_before)
    assert model.l2.b.update_rule.t == 0 and model.l1.W.update_rule.t == 1


def test_update_without_lossfun_uses_existing_grads_and_zero_fills():
    link = chainer.links.Linear(2, 2, initialW=np.eye(2, dtype=np.float32))
    opt = optimizers.MomentumSGD(lr=1.0, momentum=0.5).setup(link)
    link.W.grad = np.ones((2, 2), np.float32)
    opt.update()  # b has no grad: zeros are used (Chainer reallocates cleared grads)
    np.testing.assert_array_equal(link.W.array, np.eye(2) - 1)
    np.testing.assert_array_equal(link.b.grad, np.zeros(2, np.float32))
    opt.update()  # v = 0.5·(−1) − 1 = −1.5
    np.testing.assert_array_equal(link.W.array, np.eye(2) - 2.5)


def test_hooks_add_remove_and_errors():
    link = chainer.links.Linear(2, 2)
    opt = optimizers.SGD()
    with pytest.raises(RuntimeError, match="not set up"):
        opt.add_hook(optimizer_hooks.WeightDecay(0.1))
    opt.setup(link)
    opt.add_hook(optimizer_hooks.WeightDecay(0.1))
    with pytest.raises(KeyError, match="already exists"):
        opt.add_hook(optimizer_hooks.WeightDecay(0.2))
    opt.add_hook(optimizer_hooks.WeightDecay(0.2), name="wd2", timing="post")
    with pytest.raises(ValueError, match="timing"):
        opt.add_hook(optimizer_hooks.Lasso(0.1), timing="later")
    opt.remove_hook("WeightDecay")
    opt.remove_hook("wd2")
    with pytest.raises(KeyError):
        opt.remove_hook("wd2")
    with pytest.raises(TypeError, match="must be a Link"):
        optimizers.SGD().setup(object())


def test_plain_function_hook_sees_the_optimizer_each_update():
    link = chainer.links.Linear(2, 1)
    opt = optimizers.SGD().setup(link)
    seen = []
    opt.add_hook(lambda o: seen.append(o.t), name="spy")
    link.W.grad = np.zeros((1, 2), np.float32)
    opt.update()
    opt.update()
    assert seen == [0, 1]  # 'pre' hooks run before t is incremented


def test_shared_gradient_arrays_are_not_changed_twice_by_a_hook():
    # loss = sum(a) + sum(b): the engine may give both leaves the same gradient array; the
    # in-place hook must still add 0.5·p to each once
    class Two(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.a = chainer.Parameter(np.ones(3, np.float32))
                self.b = chainer.Parameter(np.ones(3, np.float32))

    m = Two()
    opt = optimizers.SGD(lr=1.0).setup(m)
    opt.add_hook(optimizer_hooks.WeightDecay(0.5))
    opt.update(lambda: chainer.functions.sum(m.a + m.b))
    np.testing.assert_allclose(m.a.array, np.full(3, -0.5))
    np.testing.assert_allclose(m.b.array, np.full(3, -0.5))


def test_new_epoch_and_missing_names():
    opt = optimizers.SGD().setup(chainer.links.Linear(1, 1))
    opt.new_epoch()
    assert opt.epoch == 1
    with pytest.raises(RuntimeError, match="auto=True"):
        opt.new_epoch(auto=True)
    with pytest.raises(AttributeError, match="does not provide chainer.optimizers.Eve"):
        _ = optimizers.Eve
    with pytest.warns(DeprecationWarning, match="optimizer_hooks.WeightDecay"):
        chainer.optimizer.WeightDecay(0.1)


def test_user_defined_rule_and_method():
    # a Chainer-style custom optimizer: GradientMethod + UpdateRule with init_state and
    # update_core_cpu; sign SGD: θ ← θ − lr·sign(g), counting steps in its state
    class SignRule(chainer.UpdateRule):
        def init_state(self, param):
            self.state["n"] = np.zeros((), np.int64)

        def update_core_cpu(self, param):
            param.array[...] -= self.hyperparam.lr * np.sign(param.grad)
            self.state["n"] += 1

    class SignSGD(chainer.GradientMethod):
        lr = chainer.optimizer.HyperparameterProxy("lr")

        def __init__(self, lr=0.1):
            super().__init__()
            self.hyperparam.lr = lr

        def create_update_rule(self):
            return SignRule(self.hyperparam)

    link = chainer.links.Linear(2, 1, initialW=np.zeros((1, 2), np.float32))
    opt = SignSGD(lr=0.5).setup(link)
    x = np.array([[1.0, -2.0]], np.float32)
    opt.update(lambda: chainer.functions.sum(link(x)))
    np.testing.assert_array_equal(link.W.array, [[-0.5, 0.5]])
    assert int(link.W.update_rule.state["n"]) == 1
    opt.lr = 0.25
    opt.update(lambda: chainer.functions.sum(link(x)))
    np.testing.assert_array_equal(link.W.array, [[-0.75, 0.75]])
    snap = serializers.serialize(opt)
    assert int(snap["W/n"]) == 2 and int(snap["W/t"]) == 2 and int(snap["t"]) == 2

    class Bare(chainer.UpdateRule):
        pass

    with pytest.raises(NotImplementedError, match="Bare does not define update_core_cpu"):
        Bare().update(link.W)


def test_loss_scale_is_divided_out_and_seen_by_weight_decay():
    # with loss scale s the backward gradient is s·g; WeightDecay adds s·rate·θ before the
    # rule divides by s: the step equals the unscaled one, g + rate·θ (W = [[0.45, -0.55]]
    # under real Chainer 7.8.1 in both cases)
    def run(scale):
        link = chainer.links.Linear(2, 1, initialW=np.ones((1, 2), np.float32), nobias=True)
        opt = optimizers.SGD(lr=0.5).setup(link)
        if scale is not None:
            opt.set_loss_scale(scale)
        opt.add_hook(optimizer_hooks.WeightDecay(0.1))
        x = np.array([[1.0, 3.0]], np.float32)
        opt.update(lambda: chainer.functions.sum(link(x)))
        return link.W.array

    np.testing.assert_allclose(run(None), [[1 - 0.5 * 1.1, 1 - 0.5 * 3.1]], rtol=1e-6)
    np.testing.assert_allclose(run(128.0), run(None), rtol=1e-6)
    with pytest.raises(ValueError, match="positive"):
        optimizers.SGD().set_loss_scale(0)


def test_dynamic_loss_scaling_matches_chainer():
    # compares: the loss scale after each step, the final W, optimizer.t and the rule's t
    # (the overflowing step is skipped) with real Chainer's run of the same case
    scales, w, ts = C.run_dynamic_loss_scaling(chainer)
    np.testing.assert_allclose(scales, REF["dynamic_loss_scale/scales"], rtol=1e-12)
    np.testing.assert_allclose(w, REF["dynamic_loss_scale/W"], rtol=1e-6)
    np.testing.assert_array_equal(ts, REF["dynamic_loss_scale/t"])
    assert list(ts) == [8, 7]
    with pytest.raises(ValueError, match="interval"):
        optimizers.SGD().loss_scaling(interval=0)
