"""chainer.functions against real Chainer 7.8.1: for every case of
``chainer_ref/function_cases.py`` the outputs of ``shinsou.chainer.functions`` on the stored
inputs, and the gradients of Σ <gy, out> with respect to every float input, are compared with
those real Chainer computed (``chainer_ref/functions_*.npz``, written by
``chainer_ref/make_functions.py``): to 1e-5 in float32 and 1e-10 in float64."""

import json
import os
import sys

import numpy as np
import pytest

import shinsou.chainer as chainer
import shinsou.chainer.functions as F

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chainer_ref")
sys.path.insert(0, REF)

from _cases_io import NO_GRAD, call, extra_kwargs, unpack_arrays  # noqa: E402
from function_cases import CASES  # noqa: E402

_NPZ = {}
for _part in (0, 1):
    with np.load(os.path.join(REF, f"functions_{_part}.npz")) as _f:
        _NPZ.update({k: _f[k] for k in _f.files})
with open(os.path.join(REF, "functions.json")) as _f:
    _INDEX = json.load(_f)


def _tol(dtype):
    return 1e-10 if dtype == np.float64 else 1e-5


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_function_matches_chainer(case):
    ref = unpack_arrays(_NPZ, _INDEX, case["name"])
    n_in = len(case["inputs"]) + len(case.get("more_inputs", []))
    ins = [ref[f"in{i}"] for i in range(n_in)]
    outs, vars_ = call(F, chainer.Variable, case, ins, extra_kwargs(case, ref))
    n_out = sum(1 for k in ref if k.startswith("out"))
    assert len(outs) == n_out, f"{case['name']}: {len(outs)} outputs, Chainer gives {n_out}"
    for k, o in enumerate(outs):
        want = ref[f"out{k}"]
        # Chainer returns Variables, and plain arrays for indices (return_indices=True)
        if case.get("kwargs", {}).get("return_indices") and k > 0:
            assert isinstance(o, np.ndarray)
            got = o
        else:
            assert isinstance(o, chainer.Variable)
            got = o.array
        assert got.shape == want.shape, f"output {k}: shape {got.shape}, Chainer {want.shape}"
        assert got.dtype == want.dtype, f"output {k}: dtype {got.dtype}, Chainer {want.dtype}"
        tol = _tol(got.dtype)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"output {k}")
    if case["fn"] in NO_GRAD:
        return
    fouts = [o for o in outs if isinstance(o, chainer.Variable) and o.dtype.kind == "f"]
    gys = [ref[f"gy{k}"] for k in range(len(fouts))]
    gxs = chainer.grad(fouts, vars_, grad_outputs=gys)
    for i, g in enumerate(gxs):
        want = ref.get(f"gx{i}")
        if want is None:
            assert g is None or not np.any(g.array), f"input {i}: Chainer has no gradient"
            continue
        assert g is not None, f"input {i}: no gradient, Chainer has one"
        tol = _tol(want.dtype)
        np.testing.assert_allclose(g.array, want, rtol=tol, atol=tol, err_msg=f"gradient {i}")
