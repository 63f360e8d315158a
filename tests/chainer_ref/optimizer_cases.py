"""Optimizer cases run the same way under real Chainer (make_optimizers.py) and under
shinsou.chainer (tests/test_chainer_optimizers.py): ``run(chainer, name)`` builds the same
two-layer model from fixed weights, an optimizer with hooks as ``CASES[name]`` says, and
takes ``STEPS`` updates on fixed batches; it returns the parameters by path.

Everything is float64 (except the ``*_f32`` cases) so that the comparison checks the update
formulas, not float32 rounding of the forward pass.
"""

import numpy as np

STEPS = 5


def weights(dtype):
    rng = np.random.RandomState(7)
    w = {
        "l1/W": rng.normal(0, 0.5, (5, 4)),
        "l1/b": rng.normal(0, 0.1, (5,)),
        "l2/W": rng.normal(0, 0.5, (3, 5)),
        "l2/b": np.zeros(3),
    }
    return {k: v.astype(dtype) for k, v in w.items()}


def batches(dtype):
    rng = np.random.RandomState(11)
    return [
        (rng.normal(0, 1, (6, 4)).astype(dtype), rng.randint(0, 3, 6).astype(np.int32))
        for _ in range(STEPS + 3)
    ]


def make_model(chainer, dtype=np.float64):
    L = chainer.links
    F = chainer.functions
    w = weights(dtype)

    class Net(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(4, 5)
                self.l2 = L.Linear(5, 3)
            for path, p in self.namedparams():
                p.array = w[path.lstrip("/")].copy()

        def forward(self, x, t):
            return F.softmax_cross_entropy(self.l2(F.tanh(self.l1(x))), t)

    return Net()


def _opt(chainer, name):
    Opt = chainer.optimizers
    H = chainer.optimizer_hooks
    table = {
        "sgd": lambda: (Opt.SGD(lr=0.1), []),
        "momentum_sgd": lambda: (Opt.MomentumSGD(lr=0.05, momentum=0.8), []),
        "nesterov_ag": lambda: (Opt.NesterovAG(lr=0.05, momentum=0.7), []),
        "corrected_momentum_sgd": lambda: (Opt.CorrectedMomentumSGD(lr=0.05), []),
        "ada_grad": lambda: (Opt.AdaGrad(lr=0.1), []),
        "ada_delta": lambda: (Opt.AdaDelta(rho=0.9), []),
        "rmsprop": lambda: (Opt.RMSprop(lr=0.01), []),
        "rmsprop_inside": lambda: (Opt.RMSprop(lr=0.01, eps=1e-2, eps_inside_sqrt=True), []),
        "rmsprop_graves": lambda: (Opt.RMSpropGraves(lr=0.01), []),
        "smorms3": lambda: (Opt.SMORMS3(lr=0.01), []),
        "adam": lambda: (Opt.Adam(alpha=0.01), []),
        "adam_amsgrad": lambda: (Opt.Adam(alpha=0.01, amsgrad=True), []),
        "adam_wd_eta": lambda: (Opt.Adam(alpha=0.01, weight_decay_rate=0.05, eta=0.5), []),
        "adamw": lambda: (Opt.AdamW(alpha=0.02, weight_decay_rate=0.1), []),
        "amsgrad": lambda: (Opt.AMSGrad(alpha=0.02), []),
        "adabound": lambda: (Opt.AdaBound(alpha=0.01, final_lr=0.05), []),
        "amsbound": lambda: (Opt.AMSBound(alpha=0.01, final_lr=0.05, gamma=0.1), []),
        "adam_f32": lambda: (Opt.Adam(alpha=0.01), []),
        "msvag": lambda: (Opt.MSVAG(lr=0.05, beta=0.8, weight_decay_rate=0.01), []),
        "sgd_weight_decay": lambda: (Opt.SGD(lr=0.1), [(H.WeightDecay(0.05), None)]),
        "sgd_lasso": lambda: (Opt.SGD(lr=0.1), [(H.Lasso(0.01), None)]),
        "sgd_clip": lambda: (Opt.SGD(lr=0.1), [(H.GradientClipping(0.2), None)]),
        "sgd_hard_clip": lambda: (Opt.SGD(lr=0.1), [(H.GradientHardClipping(-0.05, 0.04), None)]),
        "sgd_noise": lambda: (Opt.SGD(lr=0.1), [(H.GradientNoise(0.01), None)]),
        "sgd_lars": lambda: (Opt.MomentumSGD(lr=0.1), [(H.GradientLARS(0.5, 0.01), None)]),
        "adam_post_decay": lambda: (Opt.Adam(alpha=0.01), [(H.WeightDecay(0.1), "post")]),
        "adam_two_hooks": lambda: (
            Opt.Adam(alpha=0.01),
            [(H.WeightDecay(0.01), "pre"), (H.GradientClipping(0.3), None)],
        ),
    }
    return table[name]()


CASES = [
    "sgd",
    "momentum_sgd",
    "nesterov_ag",
    "corrected_momentum_sgd",
    "ada_grad",
    "ada_delta",
    "rmsprop",
    "rmsprop_inside",
    "rmsprop_graves",
    "smorms3",
    "adam",
    "adam_amsgrad",
    "adam_wd_eta",
    "adamw",
    "amsgrad",
    "adabound",
    "amsbound",
    "adam_f32",
    "msvag",
    "sgd_weight_decay",
    "sgd_lasso",
    "sgd_clip",
    "sgd_hard_clip",
    "sgd_noise",
    "sgd_lars",
    "adam_post_decay",
    "adam_two_hooks",
    # per-parameter settings: l1/W's own lr, l2/b frozen, a rule hook, lr changed midway
    "sgd_per_param",
    "momentum_lr_change",
]


def run(chainer, name, steps=STEPS):
    """Parameters (path -> array) after ``steps`` updates of case ``name``."""
    dtype = np.float32 if name.endswith("_f32") else np.float64
    model = make_model(chainer, dtype)
    data = batches(dtype)
    if name == "sgd_per_param":
        opt = chainer.optimizers.MomentumSGD(lr=0.1).setup(model)
        model.l1.W.update_rule.hyperparam.lr = 0.02
        model.l2.b.update_rule.enabled = False
        model.l2.W.update_rule.add_hook(chainer.optimizer_hooks.GradientHardClipping(-0.01, 0.01))
    elif name == "momentum_lr_change":
        opt = chainer.optimizers.MomentumSGD(lr=0.1).setup(model)
    else:
        opt, hooks = _opt(chainer, name)
        opt.setup(model)
        for hook, timing in hooks:
            opt.add_hook(hook, timing=timing or "auto")
    np.random.seed(3)  # GradientNoise draws from numpy.random
    for i in range(steps):
        if name == "momentum_lr_change" and i == 2:
            opt.lr = 0.01
        x, t = data[i]
        opt.update(model, x, t)
    return model, opt


def params(model):
    return {path.lstrip("/"): np.array(p.array) for path, p in model.namedparams()}


def run_dynamic_loss_scaling(chainer):
    """Dynamic loss scaling (``loss_scaling(interval=2)``) over 8 MomentumSGD steps, the
    4th with an input so large that the scaled gradient overflows float32 (that update is
    skipped and the scale halved): the scale after each step, the final W, ``t`` and the
    rule's ``t``."""
    import warnings

    link = chainer.links.Linear(2, 1, initialW=np.ones((1, 2), np.float32), nobias=True)
    opt = chainer.optimizers.MomentumSGD(lr=0.01).setup(link)
    opt.loss_scaling(interval=2)
    xs = [[1.0, 2.0]] * 3 + [[1e38, 1.0]] + [[1.0, -1.0]] * 4
    scales = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x in xs:
            opt.update(lambda x: chainer.functions.sum(link(x)), np.array([x], np.float32))
            scales.append(opt._loss_scale)
    return np.array(scales), link.W.array.copy(), np.array([opt.t, link.W.update_rule.t])
