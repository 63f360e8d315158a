"""Write the link references under real Chainer 7.8.1 (run once, in the Chainer env)::

    /work/chainer-env/bin/python tests/chainer_ref/make_links.py

For each model of ``link_models.MODELS``, with ``numpy.random.seed(0)`` before building it,
``seed(1)`` before each training-mode forward and ``seed(2)`` before the test-mode one:

* ``model_<name>.npz`` — the model saved by Chainer's ``save_npz`` after one training-mode
  forward (lazy parameters initialized, BatchNormalization statistics updated once);
* in ``links.npz`` (packed per model, index in ``links.json``): the inputs, the training
  loss and every parameter's gradient (``grad:<path>``), the test-mode output computed from
  the saved state (``test``), and the loss, gradients and persistent values of a second
  training-mode forward from the saved state (``loss2``, ``grad2:<path>``,
  ``after:<path>``): what a model loaded from the file computes.
"""

import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import chainer  # noqa: E402
import chainer.functions  # noqa: E402, F401
import chainer.link_hooks  # noqa: E402, F401
import chainer.links  # noqa: E402, F401
from _cases_io import pack_arrays  # noqa: E402
from link_models import MODELS  # noqa: E402


def persistents(model):
    out = {}
    for path, link in model.namedlinks():
        for name in sorted(link._persistent):
            out[(path.rstrip("/") + "/" + name).lstrip("/")] = np.asarray(getattr(link, name))
    return out


def main():
    data = {}
    for name, build, make_inputs, train, test in MODELS:
        rng = np.random.default_rng(7)
        ins = make_inputs(rng)
        np.random.seed(0)
        model = build(chainer)
        np.random.seed(1)  # the training forward may draw (dropout, negative sampling)
        loss = train(chainer, model, ins)
        model.cleargrads()
        loss.backward()
        for i, a in enumerate(ins):
            data[f"{name}/in{i}"] = a
        data[f"{name}/loss"] = loss.array
        for path, p in model.namedparams():
            if p.grad is not None:
                data[f"{name}/grad:{path}"] = p.grad
        chainer.serializers.save_npz(os.path.join(HERE, f"model_{name}.npz"), model)
        np.random.seed(2)
        with chainer.using_config("train", False), chainer.no_backprop_mode():
            data[f"{name}/test"] = test(chainer, model, ins).array
        np.random.seed(1)
        loss2 = train(chainer, model, ins)  # from the saved state (what a loaded model does)
        model.cleargrads()
        loss2.backward()
        data[f"{name}/loss2"] = loss2.array
        for path, p in model.namedparams():
            if p.grad is not None:
                data[f"{name}/grad2:{path}"] = p.grad
        for path, v in persistents(model).items():
            data[f"{name}/after:{path}"] = v
    flat, index = pack_arrays(data)
    np.savez_compressed(os.path.join(HERE, "links.npz"), **flat)
    with open(os.path.join(HERE, "links.json"), "w") as f:
        json.dump(index, f, separators=(",", ":"), sort_keys=True)
    for fn in sorted(os.listdir(HERE)):
        if fn.startswith(("model_", "links")):
            print(fn, os.path.getsize(os.path.join(HERE, fn)))


if __name__ == "__main__":
    main()
