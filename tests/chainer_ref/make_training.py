"""Write the Trainer references under real Chainer 7.8.1 (run once, in the Chainer env)::

    /work/chainer-env/bin/python tests/chainer_ref/make_training.py

For each case of ``training_cases`` ('standard', 'custom', 'bptt'), in ``training.npz``:
``<case>/log`` and ``<case>/log_iter`` (LogReport's JSON files), ``<case>/print``
(PrintReport's text), ``<case>/param/<path>`` (the model after the run); the snapshot Chainer
wrote at epoch 2 (``training_snapshot_<case>.npz``, copied as is) and the run resumed from
it (``numpy.random.seed(123)`` before ``run``): ``<case>/resumed_log`` and
``<case>/resumed_param/<path>``; ``<case>/best_model/<key>`` (snapshot_object's file).
``shift/<name>``: the lr that each schedule of ``training_cases.SHIFTS`` sets at
``initialize`` and after each of 10 calls. ``parameter_statistics``: what
``training_cases.run_parameter_statistics`` reports (JSON).

The other way round: ``shinsou_snapshot_<case>.npz`` is the epoch-2 snapshot that
shinsou.chainer wrote for the same run (``tests/test_chainer_training.py`` checks that
shinsou still writes the same file); real Chainer loads it here and runs to the end
(``numpy.random.seed(123)``): ``<case>/from_shinsou_print`` and
``<case>/from_shinsou_param/<path>``.
"""

import json
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import chainer  # noqa: E402
import chainer.training.extensions  # noqa: E402, F401
import training_cases as C  # noqa: E402


def main():
    out = {}
    for case in ("standard", "custom", "bptt"):
        d = tempfile.mkdtemp()
        trainer, buf = C.build(chainer, d, case)
        trainer.run()
        out[f"{case}/log"] = np.array(open(os.path.join(d, "log")).read())
        out[f"{case}/log_iter"] = np.array(open(os.path.join(d, "log_iter")).read())
        out[f"{case}/print"] = np.array(buf.getvalue())
        out[f"{case}/files"] = np.array(json.dumps(sorted(os.listdir(d))))
        for k, v in C.params(trainer.updater.get_optimizer("main").target).items():
            out[f"{case}/param/{k}"] = v
        with np.load(os.path.join(d, "best_model")) as f:
            for k in f.files:
                out[f"{case}/best_model/{k}"] = f[k]
        it = trainer.updater.iteration
        snaps = sorted(
            (f for f in os.listdir(d) if f.startswith("snapshot_iter_")),
            key=lambda f: int(f.rsplit("_", 1)[1]),
        )
        snap = os.path.join(d, snaps[0])
        shutil.copy(snap, os.path.join(HERE, f"training_snapshot_{case}.npz"))
        out[f"{case}/snapshot_name"] = np.array(snaps[0])
        d2 = tempfile.mkdtemp()
        trainer2, buf2 = C.build(chainer, d2, case)
        chainer.serializers.load_npz(snap, trainer2)
        np.random.seed(123)
        trainer2.run()
        assert trainer2.updater.iteration == it
        out[f"{case}/resumed_log"] = np.array(open(os.path.join(d2, "log")).read())
        out[f"{case}/resumed_print"] = np.array(buf2.getvalue())
        for k, v in C.params(trainer2.updater.get_optimizer("main").target).items():
            out[f"{case}/resumed_param/{k}"] = v
        d3 = tempfile.mkdtemp()
        trainer3, buf3 = C.build(chainer, d3, case)
        chainer.serializers.load_npz(os.path.join(HERE, f"shinsou_snapshot_{case}.npz"), trainer3)
        np.random.seed(123)
        trainer3.run()
        out[f"{case}/from_shinsou_print"] = np.array(buf3.getvalue())
        for k, v in C.params(trainer3.updater.get_optimizer("main").target).items():
            out[f"{case}/from_shinsou_param/{k}"] = v
        shutil.rmtree(d)
        shutil.rmtree(d2)
        shutil.rmtree(d3)
    out["parameter_statistics"] = np.array(json.dumps(C.run_parameter_statistics(chainer)))
    for name in C.SHIFTS:
        out[f"shift/{name}"] = C.run_shift(chainer, name)
    np.savez_compressed(os.path.join(HERE, "training.npz"), **out)
    print(len(out), "arrays")
    print(out["standard/print"])
    print(out["standard/files"], out["standard/snapshot_name"])


if __name__ == "__main__":
    main()
