"""Training runs made the same way under real Chainer (make_training.py) and under
shinsou.chainer (tests/test_chainer_training.py).

``build(chainer, out, case)`` makes a Trainer on a small fixed 3-class problem: an MLP
``L.Classifier`` with fixed initial weights, a shuffled SerialIterator (batch 7 over 30
examples, so epochs end inside a batch), Adam, and the extensions Chainer's MNIST example
uses (Evaluator, LogReport, PrintReport into a StringIO, snapshot every 2 epochs) plus
observe_value of alpha, ExponentialShift of alpha each epoch, MicroAverage and a
MaxValueTrigger-driven snapshot_object of the model. ``case='custom'`` uses a
StandardUpdater subclass whose ``update_core`` does the step by hand, as Chainer's DCGAN
example does.
"""

import io

import numpy as np

EPOCHS = 4


def data(chainer):
    rng = np.random.RandomState(5)
    x = rng.normal(0, 1, (40, 4)).astype(np.float32)
    w = rng.normal(0, 1, (4, 3))
    t = (x @ w).argmax(1).astype(np.int32)
    ds = chainer.datasets.TupleDataset(x, t)
    return chainer.datasets.split_dataset(ds, 30)


def weights():
    rng = np.random.RandomState(9)
    return {
        "predictor/l1/W": rng.normal(0, 0.5, (8, 4)).astype(np.float32),
        "predictor/l1/b": np.zeros(8, np.float32),
        "predictor/l2/W": rng.normal(0, 0.5, (3, 8)).astype(np.float32),
        "predictor/l2/b": np.zeros(3, np.float32),
    }


def make_model(chainer):
    L = chainer.links
    F = chainer.functions

    class MLP(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(4, 8)
                self.l2 = L.Linear(8, 3)

        def forward(self, x):
            return self.l2(F.relu(self.l1(x)))

    model = L.Classifier(MLP())
    w = weights()
    for path, p in model.namedparams():
        p.array[...] = w[path.lstrip("/")]
    return model


def make_custom_updater_class(chainer):
    F = chainer.functions

    class CustomUpdater(chainer.training.updaters.StandardUpdater):
        def update_core(self):
            batch = self.get_iterator("main").next()
            x, t = self.converter(batch, self.device)
            opt = self.get_optimizer("main")
            model = opt.target
            y = model.predictor(x)
            loss = F.softmax_cross_entropy(y, t) + 0.01 * F.sum(model.predictor.l1.W**2)
            model.cleargrads()
            loss.backward()
            opt.update()
            chainer.report({"loss": loss, "epoch_detail": self.epoch_detail}, model)

    return CustomUpdater


def build(chainer, out, case="standard"):
    """A Trainer (not run) and the StringIO PrintReport writes into."""
    if case == "bptt":
        return build_bptt(chainer, out)
    training = chainer.training
    extensions = training.extensions
    train, test = data(chainer)
    np.random.seed(0)
    train_iter = chainer.iterators.SerialIterator(train, 7)
    test_iter = chainer.iterators.SerialIterator(test, 4, repeat=False, shuffle=False)
    model = make_model(chainer)
    opt = chainer.optimizers.Adam(alpha=0.05).setup(model)
    if case == "custom":
        updater = make_custom_updater_class(chainer)(train_iter, opt)
    else:
        updater = training.updaters.StandardUpdater(train_iter, opt)
    trainer = training.Trainer(updater, (EPOCHS, "epoch"), out=out)
    trainer.extend(extensions.Evaluator(test_iter, model))
    trainer.extend(extensions.ExponentialShift("alpha", 0.5), trigger=(1, "epoch"))
    trainer.extend(
        extensions.observe_value("alpha", lambda tr: tr.updater.get_optimizer("main").alpha)
    )
    trainer.extend(
        extensions.snapshot_object(model, "best_model"),
        trigger=training.triggers.MaxValueTrigger("validation/main/accuracy"),
    )
    # the trainer's snapshot after the MaxValueTrigger has seen this iteration (same
    # priority: the order of extend decides), so the trigger's state in it is current
    trainer.extend(extensions.snapshot(), trigger=(2, "epoch"))
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.LogReport(trigger=(3, "iteration"), filename="log_iter"))
    buf = io.StringIO()
    trainer.extend(
        extensions.PrintReport(
            [
                "epoch",
                "iteration",
                "main/loss",
                "validation/main/loss",
                "main/accuracy",
                "validation/main/accuracy",
                "alpha",
            ],
            out=buf,
        )
    )
    return trainer, buf


def params(model):
    return {path.lstrip("/"): np.array(p.array) for path, p in model.namedparams()}


class _FakeUpdater:
    def __init__(self, opt):
        self._opt = opt

    def get_optimizer(self, name):
        return self._opt


class _FakeTrainer:
    def __init__(self, opt):
        self.updater = _FakeUpdater(opt)


SHIFTS = {
    "exponential": lambda E: E.ExponentialShift("lr", 0.5, init=0.2, target=0.01),
    "exponential_up": lambda E: E.ExponentialShift("lr", 2.0, target=1.0),
    "linear": lambda E: E.LinearShift("lr", (0.1, 0.01), (2, 6)),
    "step": lambda E: E.StepShift("lr", 0.5, 3, target=0.02),
    "multistep": lambda E: E.MultistepShift("lr", 0.1, [2, 5, 7], 0.3),
    "warmup": lambda E: E.WarmupShift("lr", 0.0, 4, 0.2),
    "inverse": lambda E: E.InverseShift("lr", 0.5, 0.75, target=0.03),
    "polynomial": lambda E: E.PolynomialShift("lr", 2.0, 12, target=0.005),
}


def run_shift(chainer, name, calls=10):
    """The optimizer's lr after initialize and after each of ``calls`` calls."""
    opt = chainer.optimizers.MomentumSGD(lr=0.1)
    opt.setup(chainer.links.Linear(1, 1))
    ext = SHIFTS[name](chainer.training.extensions)
    trainer = _FakeTrainer(opt)
    ext.initialize(trainer)
    values = [opt.lr]
    for _ in range(calls):
        ext(trainer)
        values.append(opt.lr)
    return np.array(values, dtype=np.float64)


# --------------------------------------------------------------------------- 'bptt'
# The shape of Chainer's examples/ptb/train_ptb.py: a custom Iterator (no reset, so the
# Evaluator copies it), a BPTT updater (loss over bprop_len steps, backward,
# unchain_backward), GradientClipping, an Evaluator on a copy of the model with an
# eval_hook that resets the LSTM state, LogReport with a postprocess (perplexity) every 5
# iterations, PrintReport, snapshots every 10 iterations.


def make_bptt_classes(chainer):
    F = chainer.functions
    L = chainer.links

    class RNNLM(chainer.Chain):
        def __init__(self, n_vocab, n_units):
            super().__init__()
            with self.init_scope():
                self.embed = L.EmbedID(n_vocab, n_units)
                self.l1 = L.LSTM(n_units, n_units)
                self.l2 = L.Linear(n_units, n_vocab)

        def reset_state(self):
            self.l1.reset_state()

        def forward(self, x):
            return self.l2(F.tanh(self.l1(self.embed(x))))

    class ParallelSequentialIterator(chainer.dataset.Iterator):
        def __init__(self, dataset, batch_size, repeat=True):
            super().__init__()
            self.dataset = dataset
            self.batch_size = batch_size
            self.repeat = repeat
            self.epoch = 0
            self.is_new_epoch = False
            self.iteration = 0
            length = len(dataset)
            self.offsets = [i * length // batch_size for i in range(batch_size)]
            self._previous_epoch_detail = -1.0

        def __next__(self):
            length = len(self.dataset)
            if not self.repeat and self.iteration * self.batch_size >= length:
                raise StopIteration
            cur_words = self.get_words()
            self._previous_epoch_detail = self.epoch_detail
            self.iteration += 1
            next_words = self.get_words()
            epoch = self.iteration * self.batch_size // length
            self.is_new_epoch = self.epoch < epoch
            if self.is_new_epoch:
                self.epoch = epoch
            return list(zip(cur_words, next_words))

        @property
        def epoch_detail(self):
            return self.iteration * self.batch_size / len(self.dataset)

        @property
        def previous_epoch_detail(self):
            if self._previous_epoch_detail < 0:
                return None
            return self._previous_epoch_detail

        def get_words(self):
            n = len(self.dataset)
            return [self.dataset[(offset + self.iteration) % n] for offset in self.offsets]

        def serialize(self, serializer):
            self.iteration = serializer("iteration", self.iteration)
            self.epoch = serializer("epoch", self.epoch)
            self._previous_epoch_detail = serializer(
                "previous_epoch_detail", self._previous_epoch_detail
            )

    class BPTTUpdater(chainer.training.updaters.StandardUpdater):
        def __init__(self, train_iter, optimizer, bprop_len, device):
            super().__init__(train_iter, optimizer, device=device)
            self.bprop_len = bprop_len

        def update_core(self):
            loss = 0
            train_iter = self.get_iterator("main")
            optimizer = self.get_optimizer("main")
            for _ in range(self.bprop_len):
                batch = train_iter.__next__()
                x, t = self.converter(batch, self.device)
                loss += optimizer.target(chainer.Variable(x), chainer.Variable(t))
            optimizer.target.cleargrads()
            loss.backward()
            loss.unchain_backward()
            optimizer.update()

    return RNNLM, ParallelSequentialIterator, BPTTUpdater


def build_bptt(chainer, out):
    training = chainer.training
    extensions = training.extensions
    RNNLM, PSIterator, BPTTUpdater = make_bptt_classes(chainer)
    rng = np.random.RandomState(21)
    train = rng.randint(0, 10, 200).astype(np.int32)
    val = rng.randint(0, 10, 40).astype(np.int32)
    model = chainer.links.Classifier(RNNLM(10, 8))
    model.compute_accuracy = False
    wrng = np.random.RandomState(4)
    for _, p in model.namedparams():
        p.array[...] = wrng.normal(0, 0.4, p.shape).astype(p.dtype)
    eval_model = model.copy()
    eval_rnn = eval_model.predictor
    opt = chainer.optimizers.SGD(lr=1.0).setup(model)
    opt.add_hook(chainer.optimizer_hooks.GradientClipping(1.0))
    updater = BPTTUpdater(PSIterator(train, 4), opt, 5, "@numpy")
    trainer = training.Trainer(updater, (3, "epoch"), out=out)
    trainer.extend(
        extensions.Evaluator(
            PSIterator(val, 2, repeat=False),
            eval_model,
            device="@numpy",
            eval_hook=lambda _: eval_rnn.reset_state(),
        ),
        trigger=(10, "iteration"),
    )

    def compute_perplexity(result):
        result["perplexity"] = float(np.exp(result["main/loss"]))
        if "validation/main/loss" in result:
            result["val_perplexity"] = float(np.exp(result["validation/main/loss"]))

    trainer.extend(
        extensions.snapshot_object(model, "best_model"),
        trigger=training.triggers.MinValueTrigger(
            "validation/main/loss", trigger=(10, "iteration")
        ),
    )
    trainer.extend(extensions.snapshot(), trigger=(10, "iteration"))
    trainer.extend(extensions.LogReport(postprocess=compute_perplexity, trigger=(5, "iteration")))
    trainer.extend(extensions.LogReport(trigger=(7, "iteration"), filename="log_iter"))
    buf = io.StringIO()
    trainer.extend(
        extensions.PrintReport(["epoch", "iteration", "perplexity", "val_perplexity"], out=buf)
    )
    return trainer, buf


def run_parameter_statistics(chainer):
    """What ParameterStatistics reports (key -> value) over two iterations of SGD on the
    MLP of ``make_model`` (trigger every 2 iterations), with the default statistics and
    with a prefix, data only, a registered statistic and skip_nan_params."""
    model = make_model(chainer)
    opt = chainer.optimizers.SGD(lr=0.1).setup(model)
    train, _ = data(chainer)
    E = chainer.training.extensions
    ext1 = E.ParameterStatistics(model, trigger=(2, "iteration"))
    ext2 = E.ParameterStatistics(
        model.predictor.l1,
        report_grads=False,
        prefix="ps",
        trigger=(2, "iteration"),
        skip_nan_params=True,
    )
    ext2.register_statistics("absmax", lambda x: abs(x).max())
    trainer = _FakeTrainer(opt)
    trainer.updater.iteration = 0
    reporter = chainer.Reporter()
    observation = {}
    for i in range(2):
        x, t = chainer.dataset.concat_examples([train[j] for j in range(5 * i, 5 * i + 5)])
        opt.update(model, x, t)
        if i == 1:
            model.predictor.l1.b.array[0] = np.nan
        trainer.updater.iteration += 1
        with reporter.scope(observation):
            ext1(trainer)
            ext2(trainer)
    return {k: float(v) for k, v in observation.items()}
