"""A picture of the computational graph: the ops that ``backward`` will walk, as Graphviz DOT.

``graph(loss)`` draws what define-by-run recorded while ``loss`` was computed (the graph
``shinsou.core.graph.trace`` returns): one box per op, one ellipse per leaf tensor —
parameters (named when ``params`` is given), the inputs, other tensors that require a
gradient, and constants, which backward does not walk (dashed) — and the output; the arrows
carry the data forward and are labelled with the intermediate tensors' shapes.
``save_graph`` writes the DOT text, or a PNG/SVG/PDF drawn by Graphviz's ``dot`` program.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from ..core.graph import trace

__all__ = ["graph", "save_graph"]

_STYLE = {  # fill colour and line style of each kind of leaf
    "param": 'style=filled fillcolor="#cfe2f3"',
    "leaf": 'style=filled fillcolor="#cfe2f3"',
    "input": 'style=filled fillcolor="#d9ead3"',
    "constant": 'style=dashed color="#888888" fontcolor="#555555"',
}


def _shape(shape) -> str:
    return str(tuple(int(n) for n in shape))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _leaf_label(v, show_shapes: bool) -> str:
    if v.kind == "constant" and v.tensor is not None and v.tensor.numel() == 1:
        value = np.asarray(v.tensor.numpy()).reshape(()).item()
        head = f"constant {value:g}" if isinstance(value, float) else f"constant {value}"
        return head + (f"\n{_shape(v.shape)}" if show_shapes and v.shape else "")
    head = v.name or v.kind
    return head + (f"\n{_shape(v.shape)}" if show_shapes else "")


def graph(output, params=None, show_shapes: bool = True, inputs=None) -> str:
    """Graphviz DOT text of the graph that produced ``output``.

    Args:
        output: a Tensor (a loss, a net's output) or a tuple/list of Tensors, computed with
            gradients recorded (at least one leaf requiring a gradient, not under
            ``no_grad``).
        params: a Module (its parameters and buffers are named by their ``state_dict``
            names) or a dict name -> Tensor; None leaves parameters unnamed ("leaf").
        show_shapes: write each leaf's shape and label the arrows with the shapes of the
            tensors they carry.
        inputs: Tensors to draw as the inputs (green), in order ``input``, ``input_1``, ...

    Returns:
        the DOT text (``digraph``): render it with ``save_graph`` or Graphviz's ``dot``.

    Raises:
        ValueError: nothing was recorded (the output needs no gradient).

    >>> import shinsou as ss
    >>> lin = ss.nn.Linear(3, 2)
    >>> x = ss.ones(4, 3)
    >>> loss = (lin(x).tanh() ** 2).sum()
    >>> print(graph(loss, params=lin, inputs=x))  # doctest: +NORMALIZE_WHITESPACE
    digraph shinsou {
      rankdir=TB; node [fontname="Helvetica" fontsize=11]; edge [fontname="Helvetica" fontsize=9];
      v0 [label="input\\n(4, 3)" shape=ellipse style=filled fillcolor="#d9ead3"];
      v1 [label="weight\\n(2, 3)" shape=ellipse style=filled fillcolor="#cfe2f3"];
      v2 [label="bias\\n(2,)" shape=ellipse style=filled fillcolor="#cfe2f3"];
      op0 [label="Linear" shape=box style="rounded,filled" fillcolor="#fff2cc"];
      op1 [label="Tanh" shape=box style="rounded,filled" fillcolor="#fff2cc"];
      op2 [label="PowScalar" shape=box style="rounded,filled" fillcolor="#fff2cc"];
      op3 [label="Sum" shape=box style="rounded,filled" fillcolor="#fff2cc"];
      out0 [label="output\\n()" shape=ellipse style=bold];
      v0 -> op0;
      v1 -> op0;
      v2 -> op0;
      op0 -> op1 [label="(4, 2)"];
      op1 -> op2 [label="(4, 2)"];
      op2 -> op3 [label="(4, 2)"];
      op3 -> out0;
    }
    """
    g = trace(output, params=params, inputs=inputs)
    if not g.nodes:
        raise ValueError(
            "graph: nothing was recorded for this output: no op on the way to it had an input "
            "that requires a gradient (was it computed under no_grad, or from data only?)"
        )
    lines = [
        "digraph shinsou {",
        '  rankdir=TB; node [fontname="Helvetica" fontsize=11]; '
        'edge [fontname="Helvetica" fontsize=9];',
    ]
    ids = {}  # id(Value) of a leaf -> node id; id(Node) -> node id
    for v in g.leaves:
        ids[id(v)] = f"v{len(ids)}"
        label = _quote(_leaf_label(v, show_shapes))
        lines.append(f"  {ids[id(v)]} [label={label} shape=ellipse {_STYLE[v.kind]}];")
    for i, node in enumerate(g.nodes):
        ids[id(node)] = f"op{i}"
        lines.append(
            f"  op{i} [label={_quote(node.op)} shape=box "
            'style="rounded,filled" fillcolor="#fff2cc"];'
        )
    for i, v in enumerate(g.outputs):
        name = "output" if len(g.outputs) == 1 else f"output_{i}"
        label = _quote(name + (f"\n{_shape(v.shape)}" if show_shapes else ""))
        lines.append(f"  out{i} [label={label} shape=ellipse style=bold];")
    for node in g.nodes:
        for v in node.inputs:
            if v.producer is None:
                lines.append(f"  {ids[id(v)]} -> {ids[id(node)]};")
                continue
            attrs = []
            if show_shapes:
                attrs.append(f"label={_quote(_shape(v.shape))}")
            if v.producer.fn.n_outputs > 1:
                attrs.append(f"taillabel={_quote(str(v.index))}")
            extra = f" [{' '.join(attrs)}]" if attrs else ""
            lines.append(f"  {ids[id(v.producer)]} -> {ids[id(node)]}{extra};")
    for i, v in enumerate(g.outputs):
        src = ids[id(v.producer)] if v.producer is not None else ids[id(v)]
        lines.append(f"  {src} -> out{i};")
    lines.append("}")
    return "\n".join(lines)


def save_graph(output, path, params=None, show_shapes: bool = True, inputs=None) -> Path:
    """Write ``graph(output, ...)`` to ``path``: ``.dot`` (or ``.gv``) as text, ``.png``,
    ``.svg`` or ``.pdf`` drawn by Graphviz's ``dot`` program (which must be on the PATH).

    Returns:
        the path written.

    Raises:
        FileNotFoundError: a picture was asked for and there is no ``dot`` program.
        ValueError: another suffix.

    >>> import shinsou as ss, tempfile, os
    >>> w = ss.ones(3, requires_grad=True)
    >>> path = save_graph((w * w).sum(), os.path.join(tempfile.mkdtemp(), "g.dot"))
    >>> path.read_text().startswith("digraph")
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    text = graph(output, params=params, show_shapes=show_shapes, inputs=inputs)
    if suffix in (".dot", ".gv"):
        path.write_text(text + "\n", encoding="utf-8")
        return path
    if suffix not in (".png", ".svg", ".pdf"):
        raise ValueError(f"save_graph: {path} must end in .dot, .gv, .png, .svg or .pdf")
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError(
            f"save_graph: drawing {path.name} needs Graphviz's `dot` program, which is not on "
            "the PATH (install Graphviz, e.g. `apt install graphviz`), or save a .dot file"
        )
    done = subprocess.run(
        [dot, f"-T{suffix[1:]}", "-o", str(path)], input=text.encode(), capture_output=True
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"save_graph: `dot` failed on {path.name}: {done.stderr.decode(errors='replace')}"
        )
    return path
