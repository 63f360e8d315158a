"""Write the optimizer references under real Chainer 7.8.1 (run once, in the Chainer env)::

    /work/chainer-env/bin/python tests/chainer_ref/make_optimizers.py

``optimizers.npz``: for each case of ``optimizer_cases.CASES``, the parameters after
``STEPS`` updates (``<case>/<param path>``), and for ``adam``/``momentum_sgd`` the
optimizer's ``save_npz`` after 3 steps (``snap:<case>/<key>``: ``t``, ``epoch``, per
parameter ``t`` and the state arrays) and the parameters after 3 + 2 steps;
``dynamic_loss_scale/*``: what ``optimizer_cases.run_dynamic_loss_scaling`` returns.
"""

import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import chainer  # noqa: E402
import chainer.functions  # noqa: E402, F401
import chainer.links  # noqa: E402, F401
import chainer.optimizer_hooks  # noqa: E402, F401
import chainer.optimizers  # noqa: E402, F401
import optimizer_cases as C  # noqa: E402


def main():
    out = {}
    for name in C.CASES:
        model, _ = C.run(chainer, name)
        for k, v in C.params(model).items():
            out[f"{name}/{k}"] = v
    for name in ("adam", "momentum_sgd"):
        model, opt = C.run(chainer, name, steps=3)
        d = {}
        chainer.serializers.DictionarySerializer(d).save(opt)
        for k, v in d.items():
            out[f"snap:{name}/{k}"] = np.array(v)  # a copy: the state changes in place
        for k, v in C.params(model).items():
            out[f"snap_model:{name}/{k}"] = v
        data = C.batches(np.float64)
        for i in (3, 4):
            opt.update(model, *data[i])
        for k, v in C.params(model).items():
            out[f"resumed:{name}/{k}"] = v
    scales, w, ts = C.run_dynamic_loss_scaling(chainer)
    out["dynamic_loss_scale/scales"] = scales
    out["dynamic_loss_scale/W"] = w
    out["dynamic_loss_scale/t"] = ts
    np.savez_compressed(os.path.join(HERE, "optimizers.npz"), **out)
    print(len(out), "arrays")


if __name__ == "__main__":
    main()
