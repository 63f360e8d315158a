"""Write functions_0.npz and functions_1.npz: outputs and gradients of chainer.functions
under real Chainer 7.8.1.

Run once, with the Chainer environment (NumPy 1.26)::

    /work/chainer-env/bin/python tests/chainer_ref/make_functions.py

For each case of ``function_cases.CASES`` it stores (packed per case by
``_cases_io.pack_arrays``, with the index in ``functions.json``; the cases are split over
the two files) the inputs (``<case>/in<i>``), the outputs (``<case>/out<k>``), a random
upstream gradient per float output (``<case>/gy<k>``) and the gradient of
Σ_k <gy_k, out_k> with respect to each float input (``<case>/gx<i>``).
"""

import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
# Chainer 7.8.1's resize_images still uses numpy.float, removed in NumPy 1.24: the builtin
np.float = float
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
from _cases_io import NO_GRAD, call, extra_kwargs, make_input, pack_arrays  # noqa: E402
from function_cases import CASES  # noqa: E402


def main():
    rng = np.random.default_rng(20261207)
    data = {}
    for case in CASES:
        name = case["name"]
        dtype = np.dtype(case.get("dtype", "float32"))
        specs = case["inputs"] + case.get("more_inputs", [])
        scale = case.get("scale_input", 1.0)
        ins = [make_input(rng, shape, kind, dtype, scale) for shape, kind in specs]
        arrays = {}
        extra = extra_kwargs(case, arrays, rng)
        outs, vars_ = call(F, chainer.Variable, case, ins, extra)
        for i, a in enumerate(ins):
            data[f"{name}/in{i}"] = a
        for k, v in arrays.items():
            data[f"{name}/{k}"] = v
        for k, o in enumerate(outs):
            data[f"{name}/out{k}"] = np.asarray(getattr(o, "array", o))
        if case["fn"] in NO_GRAD:
            continue
        fouts = [o for o in outs if isinstance(o, chainer.Variable) and o.dtype.kind == "f"]
        gys = [rng.standard_normal(o.shape).astype(o.dtype) for o in fouts]
        for k, g in enumerate(gys):
            data[f"{name}/gy{k}"] = g
        # copies: some Chainer backwards (hinge) divide their incoming gradient in place
        gvars = [chainer.Variable(g.copy()) for g in gys]
        gxs = chainer.grad(fouts, vars_, grad_outputs=gvars)
        for i, g in enumerate(gxs):
            if g is not None:
                data[f"{name}/gx{i}"] = g.array
    here = os.path.dirname(os.path.abspath(__file__))
    flat, index = pack_arrays(data)
    names = [c["name"] for c in CASES]
    half = len(names) // 2  # two files, each well under 100 kB
    for part, chunk in enumerate((names[:half], names[half:])):
        out = os.path.join(here, f"functions_{part}.npz")
        np.savez_compressed(out, **{n: flat[n] for n in chunk})
        print(f"wrote {out}: {len(chunk)} cases, {os.path.getsize(out)} bytes")
    with open(os.path.join(here, "functions.json"), "w") as f:
        json.dump(index, f, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    main()
