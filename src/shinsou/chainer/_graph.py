"""Glue between Chainer's ``Variable`` graph semantics and shinsou's engine (private).

A Chainer ``Variable`` holds a shinsou ``Tensor`` (``variable._t``); every ``F.*`` function
runs shinsou ops on those Tensors, so the graph and the gradients are shinsou's own. What this
module adds is Chainer's *lifetime* of the graph:

* Chainer keeps the graph after ``backward`` (a second ``backward``, or a second loss that
  shares part of the graph, works and accumulates), so backward runs with
  ``retain_graph=True``; the graph is freed when its Variables are.
* ``unchain_backward`` cuts the graph: its nodes are released, and a Tensor made by a
  released node is a leaf again the next time it is used (``_tensor`` and ``_cut_released``
  turn it back into one), which is how Chainer's truncated BPTT and GAN updates stop the
  gradient.
"""

from __future__ import annotations

import numpy

from ..core.tensor import Tensor, _ARRAY_TYPES

ARRAY_TYPES = _ARRAY_TYPES


def detach_if_released(t: Tensor) -> Tensor:
    """Make ``t`` a leaf if the node that produced it was released (unchained)."""
    ctx = t._ctx
    if ctx is not None and ctx.released:
        t._ctx = None
        t._idx = 0
    return t


def walk(root: Tensor):
    """The live nodes and the intermediate Tensors behind ``root``, cutting every edge that
    leads to a released (unchained) node, so that its Tensor is a leaf for the engine."""
    nodes = []
    inter = []
    fn = root._ctx
    if fn is None or fn.released:
        return nodes, inter
    seen = {id(fn)}
    stack = [fn]
    while stack:
        fn = stack.pop()
        nodes.append(fn)
        edges = fn.edges
        for i, (parent, _idx) in enumerate(edges):
            if parent is None or not fn.needs[i]:
                continue
            t = fn.inputs[i]
            if parent.released:
                if type(edges) is not list:
                    edges = fn.edges = list(edges)
                edges[i] = (None, 0)
                if t._ctx is parent:
                    t._ctx = None
                    t._idx = 0
                continue
            if t._ctx is parent:
                inter.append(t)
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return nodes, inter


def unchain_graph(root: Tensor) -> None:
    """Cut every node behind ``root`` (Chainer's ``unchain_backward``)."""
    nodes, inter = walk(root)
    for t in inter:
        t._ctx = None
        t._idx = 0
    for fn in nodes:
        fn.release()
    root._ctx = None
    root._idx = 0


def as_xp_array(x):
    """A NumPy/CuPy array from an array, a NumPy scalar or a Python number."""
    if isinstance(x, ARRAY_TYPES):
        return x
    return numpy.asarray(x)
