"""Unchanged Chainer-style scripts (``chainer_ref/scripts/``: a DCGAN-style loop with
``unchain_backward``, a PTB-style LSTM with truncated BPTT, a VAE with the reporter) run on
shinsou.chainer with ``import chainer`` resolved to it, and every number they collect equals
the one real Chainer 7.8.1 computed with the same ``numpy.random.seed``
(``chainer_ref/scripts.json``, from ``chainer_ref/make_scripts.py``): same initial weights,
dropout masks, Gaussian noise, losses and updates."""

import json
import os
import sys

import numpy as np
import pytest

import shinsou.chainer

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chainer_ref")
with open(os.path.join(REF, "scripts.json")) as _f:
    EXPECTED = json.load(_f)


@pytest.fixture
def chainer_alias(monkeypatch):
    """``import chainer`` (and ``chainer.x.y``) gives shinsou.chainer for the test's duration."""
    monkeypatch.setitem(sys.modules, "chainer", shinsou.chainer)
    for name, mod in list(sys.modules.items()):
        if name.startswith("shinsou.chainer."):
            monkeypatch.setitem(sys.modules, "chainer" + name[len("shinsou.chainer") :], mod)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_script_reproduces_chainer_numbers(name, chainer_alias):
    path = os.path.join(REF, "scripts", f"{name}.py")
    ns = {"__name__": "__main__", "__file__": path}
    state = np.random.get_state()
    try:
        with open(path) as f:
            exec(compile(f.read(), path, "exec"), ns)
    finally:
        np.random.set_state(state)
    got, want = ns["results"], EXPECTED[name]
    assert len(got) == len(want)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
