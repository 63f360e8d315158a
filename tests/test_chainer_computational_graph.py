"""chainer.computational_graph: the DOT text of the backward graph (Chainer's format:
``digraph graphname{rankdir=..;<id> [label=..,shape=..];...<id> -> <id>;}``), node by node."""

import re

import numpy as np
import pytest

import shinsou.chainer as chainer
import shinsou.chainer.functions as F
from shinsou.chainer.computational_graph import build_computational_graph

NODE = re.compile(r'(\d+) \[((?:\w+="[^"]*",?)+)\];')
EDGE = re.compile(r"(\d+) -> (\d+);")


def parse(dot):
    assert dot.startswith("digraph graphname{rankdir=") and dot.endswith("}")
    nodes = {}
    for nid, attrs in NODE.findall(dot):
        nodes[nid] = dict(re.findall(r'(\w+)="([^"]*)"', attrs))
    edges = EDGE.findall(dot)
    return nodes, edges


def test_graph_of_two_ops():
    # x (2,3) -> Tanh -> (2,3) -> Sum -> y (): 3 variables, 2 functions, 4 edges (the same
    # labels and edges real Chainer 7.8.1 writes for this graph; only the ids differ)
    x = chainer.Variable(np.ones((2, 3), np.float32))
    y = F.sum(F.tanh(x))
    y.name = "y"
    nodes, edges = parse(build_computational_graph([y]).dump())
    labels = sorted(n["label"] for n in nodes.values())
    assert labels == ["(2, 3), float32", "(2, 3), float32", "Sum", "Tanh", "y: float32"]
    assert len(edges) == 4
    by_label = {n["label"]: i for i, n in nodes.items()}
    assert (by_label["Sum"], by_label["y: float32"]) in edges  # function -> its output
    for n in nodes.values():  # Chainer's default styles
        if n["label"] in ("Sum", "Tanh"):
            assert n["shape"] == "record" and n["fillcolor"] == "#6495ED"
        else:
            assert n["shape"] == "octagon" and n["fillcolor"] == "#E0E0E0"
    # every edge joins a variable and a function, in the direction of the forward pass
    kinds = {i: n["shape"] == "record" for i, n in nodes.items()}
    assert all(kinds[a] != kinds[b] for a, b in edges)


def test_shared_input_options_and_errors():
    x = chainer.Variable(np.arange(3, dtype=np.float64))
    y = x * x + F.exp(x)
    g = build_computational_graph(y, variable_style=None, function_style=None, rankdir="LR")
    dot = g.dump()
    nodes, edges = parse(dot)
    assert dot.startswith("digraph graphname{rankdir=LR;")
    assert sorted(n["shape"] for n in nodes.values()).count("box") == 3  # Mul, Exp, Add
    x_ids = [
        i
        for i, n in nodes.items()
        if n["label"] == "(3), float64" and sum(a == i for a, _ in edges) == 2
    ]
    # x is one node with one edge to Mul (x * x: a repeated edge is drawn once, as in
    # Chainer) and one to Exp
    assert len(x_ids) == 1
    only_f = parse(build_computational_graph([y], remove_variable=True).dump())
    assert {n["label"] for n in only_f[0].values()} == {"Mul", "Exp", "Add"}
    assert len(only_f[1]) == 2  # Mul -> Add, Exp -> Add
    with pytest.raises(ValueError, match="rankdir"):
        build_computational_graph([y], rankdir="XY")
    with pytest.raises(ValueError, match="remove_split=False"):
        build_computational_graph([y], remove_split=False)
    with pytest.raises(TypeError, match="must be a Variable"):
        build_computational_graph([np.ones(2)])
    with pytest.raises(NotImplementedError, match="dot"):
        g.dump("png")


def test_leaf_alone_and_unchained_graph():
    x = chainer.Variable(np.ones(2, np.float32))
    nodes, edges = parse(build_computational_graph([x]).dump())
    assert len(nodes) == 1 and edges == []
    y = F.tanh(F.exp(x))
    h = y.creator  # noqa: F841
    z = F.sum(y)
    y.unchain_backward()  # the graph behind y is cut: only Sum remains
    nodes, edges = parse(build_computational_graph([z]).dump())
    assert sorted(n["label"] for n in nodes.values()) == ["(2), float32", "Sum", "float32"]
