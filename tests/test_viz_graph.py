"""``ss.viz.graph``: the DOT text of small known graphs (its nodes, labels and edges), named
parameters, constants, shared tensors, several outputs, and ``save_graph`` (.dot, and
pictures through a `dot` program, or a clear error without one)."""

import os
import re
import stat
import sys

import pytest

import shinsou as ss


def _parse(dot):
    """{node id: label} and the list of edges (tail, head, edge label or None)."""
    nodes = dict(re.findall(r'^  (\w+) \[label="([^"]*)"', dot, re.M))
    edges = []
    for a, b, attrs in re.findall(r"^  (\w+) -> (\w+)(?: \[(.*)\])?;$", dot, re.M):
        m = re.search(r'(?:^| )label="([^"]*)"', attrs)
        edges.append((a, b, m.group(1) if m else None))
    return nodes, edges


def _by_label(nodes):
    return {label.split("\\n")[0]: k for k, label in nodes.items()}


def test_nodes_and_edges_of_a_small_graph():
    x = ss.ones(2, 3)
    w = ss.ones(3, 4, requires_grad=True)
    z = (x @ w).relu() * 2.0
    dot = ss.viz.graph(z, params={"w": w}, inputs=x)
    assert dot.startswith("digraph shinsou {") and dot.endswith("}")
    nodes, edges = _parse(dot)
    k = _by_label(nodes)
    assert sorted(nodes.values()) == sorted(
        ["input\\n(2, 3)", "w\\n(3, 4)", "constant 2", "MatMul", "ReLU", "Mul", "output\\n(2, 4)"]
    )
    assert sorted(edges) == sorted(
        [
            (k["input"], k["MatMul"], None),
            (k["w"], k["MatMul"], None),
            (k["MatMul"], k["ReLU"], "(2, 4)"),
            (k["ReLU"], k["Mul"], "(2, 4)"),
            (k["constant 2"], k["Mul"], None),
            (k["Mul"], k["output"], None),
        ]
    )
    # the parameter is filled, the constant (no gradient flows into it) dashed
    assert re.search(rf"  {k['w']} \[.*style=filled", dot)
    assert re.search(rf"  {k['constant 2']} \[.*style=dashed", dot)


def test_module_parameters_are_named_and_unnamed_leaves_say_leaf():
    net = ss.nn.Sequential(ss.nn.Linear(3, 5), ss.nn.ReLU(), ss.nn.Linear(5, 2))
    loss = net(ss.ones(4, 3)).sum()
    nodes, _ = _parse(ss.viz.graph(loss, params=net))
    labels = sorted(nodes.values())
    for name, shape in (("0.weight", "(5, 3)"), ("0.bias", "(5,)"), ("2.weight", "(2, 5)")):
        assert f"{name}\\n{shape}" in labels
    assert "constant\\n(4, 3)" in labels  # the data: no gradient, not an input unless said
    nodes, _ = _parse(ss.viz.graph(loss))
    assert sum(v.startswith("leaf\\n") for v in nodes.values()) == 4


def test_shared_tensor_several_outputs_and_no_shapes():
    a = ss.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()  # used twice: one node, two edges out
    out = (b * b, b.sum())
    nodes, edges = _parse(ss.viz.graph(out, params={"a": a}, show_shapes=False))
    k = _by_label(nodes)
    assert list(nodes.values()).count("Exp") == 1
    assert sum(1 for t, _, _ in edges if t == k["Exp"]) == 3  # Mul twice (b * b), Sum
    assert {"output_0", "output_1"} <= set(nodes.values())
    assert all(label is None for _, _, label in edges)
    assert "(2,)" not in "".join(nodes.values())


def test_an_op_with_several_outputs_marks_which():
    lstm = ss.nn.LSTM(2, 3)
    y, (h, c) = lstm(ss.ones(4, 1, 2))
    dot = ss.viz.graph(h.sum() + c.sum(), params=lstm)
    assert "Recurrence" in dot and 'taillabel="1"' in dot and 'taillabel="2"' in dot
    assert "weight_hh_l0\\n(12, 3)" in dot


def test_errors():
    with ss.no_grad():
        y = ss.ones(2, requires_grad=True) * 2
    with pytest.raises(ValueError, match="nothing was recorded"):
        ss.viz.graph(y)
    w = ss.ones(2, requires_grad=True)
    loss = (w.exp() * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by a backward pass"):
        ss.viz.graph(loss)
    with pytest.raises(TypeError, match="params must be a Module or a dict"):
        ss.viz.graph((w * w).sum(), params=[w])


def test_save_graph_dot_and_pictures(tmp_path, monkeypatch):
    w = ss.ones(3, requires_grad=True)
    loss = (w * w).sum()
    path = ss.viz.save_graph(loss, tmp_path / "g.dot", params={"w": w})
    assert path.read_text() == ss.viz.graph(loss, params={"w": w}) + "\n"
    with pytest.raises(ValueError, match="must end in .dot"):
        ss.viz.save_graph(loss, tmp_path / "g.jpg")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="Graphviz's `dot` program"):
        ss.viz.save_graph(loss, tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()
    # a stand-in `dot` that records its arguments and copies the DOT text to -o FILE
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "args = sys.argv[1:]\n"
        "out = open(args[args.index('-o') + 1], 'w')\n"
        "out.write(args[0] + '\\n' + sys.stdin.read())\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ["PATH"])
    out = ss.viz.save_graph(loss, tmp_path / "g.svg")
    text = out.read_text()
    assert text.startswith("-Tsvg\ndigraph shinsou {") and "Mul" in text
