"""``chainer.computational_graph``: the backward graph of Variables as Graphviz DOT text.

``build_computational_graph(outputs)`` walks from the outputs back through the nodes
that made them (shinsou's graph: each Variable's Tensor, its creator node, the node's
input Tensors...) and ``.dump()`` writes Chainer's DOT text::

    digraph graphname{rankdir=TB;<id> [label="(2, 3), float32",shape="octagon",...];
    <id> [label="Linear",shape="record",...];<id> -> <id>;...}

Variable nodes are labelled ``(shape), dtype`` (``name: `` first for the named output
Variables; the names of input Variables and Parameters are not known to the graph, which
holds their Tensors, so they are not shown), function nodes by their op's name (shinsou's
op names, e.g. ``Linear``, ``Tanh``, not Chainer's ``LinearFunction``); edges go input →
function → output.

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> import shinsou.chainer.functions as F
>>> x = chainer.Variable(np.ones((2, 3), np.float32))
>>> y = F.sum(F.tanh(x))
>>> g = build_computational_graph([y])
>>> dot = g.dump()
>>> dot.startswith("digraph graphname{rankdir=TB;"), dot.count(" -> ")
(True, 4)
"""

from __future__ import annotations

from ._graph import detach_if_released
from .variable import Variable

__all__ = ["build_computational_graph", "ComputationalGraph", "DotNode"]

_var_style = {"shape": "octagon", "fillcolor": "#E0E0E0", "style": "filled"}
_func_style = {"shape": "record", "fillcolor": "#6495ED", "style": "filled"}


class _VarNode:
    """A variable of the graph (a shinsou Tensor) as the DOT writer sees it."""

    def __init__(self, tensor, name=None):
        self.tensor = tensor
        self.name = name

    @property
    def label(self):
        t = self.tensor
        if t.shape == ():
            return str(t.dtype)
        return "({}), {}".format(", ".join(map(str, t.shape)), t.dtype)


class _FuncNode:
    """A function of the graph (a shinsou op node) as the DOT writer sees it."""

    def __init__(self, fn):
        self.fn = fn

    @property
    def label(self):
        node = getattr(self.fn, "node", None)  # a Chainer FunctionNode run by shinsou
        if node is not None:
            return getattr(node, "label", type(node).__name__)
        return type(self.fn).__name__


class DotNode:
    """One node's DOT line: ``<id> [label="...",shape="..."];``."""

    def __init__(self, node, attribute=None, show_name=True):
        self.node = node
        self.id_ = id(node)
        self.attribute = {"label": node.label}
        if isinstance(node, _VarNode):
            if show_name and node.name is not None:
                self.attribute["label"] = f"{node.name}: {self.attribute['label']}"
            self.attribute["shape"] = "oval"
        else:
            self.attribute["shape"] = "box"
        if attribute is not None:
            self.attribute.update(attribute)

    @property
    def label(self):
        attrs = ",".join(f'{k}="{v}"' for k, v in self.attribute.items())
        return f"{self.id_} [{attrs}];"


class ComputationalGraph:
    """Nodes and edges of a backward graph; ``dump()`` gives DOT text.

    Args:
        nodes, edges: the graph (as made by ``build_computational_graph``).
        variable_style, function_style: DOT attributes of the nodes (``'default'``:
            Chainer's gray octagons and blue records; None: none).
        rankdir: ``'TB'``, ``'BT'``, ``'LR'`` or ``'RL'``.
        remove_variable: draw functions only (edges function → function).
        show_name: prefix named variables' labels with their names.
    """

    def __init__(
        self,
        nodes,
        edges,
        variable_style="default",
        function_style="default",
        rankdir="TB",
        remove_variable=False,
        show_name=True,
    ):
        if variable_style is None:
            variable_style = {}
        elif variable_style == "default":
            variable_style = dict(_var_style)
        if function_style is None:
            function_style = {}
        elif function_style == "default":
            function_style = dict(_func_style)
        if rankdir not in ("TB", "BT", "LR", "RL"):
            raise ValueError(
                f"build_computational_graph: rankdir must be in TB, BT, LR or RL, got {rankdir!r}"
            )
        self.nodes = nodes
        self.edges = edges
        self.variable_style = variable_style
        self.function_style = function_style
        self.rankdir = rankdir
        self.remove_variable = remove_variable
        self.show_name = show_name

    def _to_dot(self):
        ret = f"digraph graphname{{rankdir={self.rankdir};"
        nodes, edges = self.nodes, self.edges
        if self.remove_variable:
            edges = _skip_variables(edges)
        for node in nodes:
            if isinstance(node, _VarNode):
                if not self.remove_variable:
                    ret += DotNode(node, self.variable_style, self.show_name).label
            else:
                ret += DotNode(node, self.function_style, self.show_name).label
        drawn = set()
        for head, tail in edges:
            edge = (id(head), id(tail))
            if edge in drawn:
                continue
            ret += "%s -> %s;" % edge
            drawn.add(edge)
        return ret + "}"

    def dump(self, format="dot"):
        """The graph as text (only ``'dot'``)."""
        if format == "dot":
            return self._to_dot()
        raise NotImplementedError("Currently, only dot format is supported.")


def _skip_variables(edges):
    """Edges between functions only: f → v → g becomes f → g."""
    made_by = {}
    used_by = {}
    for head, tail in edges:
        if isinstance(head, _FuncNode):
            made_by[id(tail)] = head
        else:
            used_by.setdefault(id(head), []).append(tail)
    out = []
    for vid, creator in made_by.items():
        for user in used_by.get(vid, []):
            out.append((creator, user))
    return out


def build_computational_graph(
    outputs,
    remove_split=True,
    variable_style="default",
    function_style="default",
    rankdir="TB",
    remove_variable=False,
    show_name=True,
):
    """The backward graph behind ``outputs`` (a Variable or a list of them).

    Returns a ComputationalGraph whose ``dump()`` is Graphviz DOT text (see the module
    docstring). ``remove_split`` must stay True (Chainer removed the other mode).
    """
    if not remove_split:
        raise ValueError("remove_split=False is not supported anymore")
    if isinstance(outputs, Variable):
        outputs = [outputs]
    outputs = list(outputs)
    for o in outputs:
        if not isinstance(o, Variable):
            raise TypeError(
                f"build_computational_graph: each output must be a Variable, got {type(o).__name__}"
            )
    var_nodes = {}
    func_nodes = {}
    nodes = []
    edges = []

    def var_node(t, name=None):
        n = var_nodes.get(id(t))
        if n is None:
            if name is None:  # a name kept on the Tensor itself, if any
                name = getattr(t, "name", None)
            n = var_nodes[id(t)] = _VarNode(t, name)
            nodes.append(n)
        elif name is not None and n.name is None:
            n.name = name
        return n

    stack = []
    for o in outputs:
        t = o._t
        if t is None:
            continue
        detach_if_released(t)
        vn = var_node(t, o.name)
        if t._ctx is not None:
            stack.append((t._ctx, vn))
    seen_edges = set()
    while stack:
        fn, out_node = stack.pop()
        new = id(fn) not in func_nodes
        if new:
            fnode = func_nodes[id(fn)] = _FuncNode(fn)
            nodes.append(fnode)
        fnode = func_nodes[id(fn)]
        if (id(fnode), id(out_node)) not in seen_edges:
            seen_edges.add((id(fnode), id(out_node)))
            edges.append((fnode, out_node))
        if not new or fn.inputs is None:
            continue
        for i, t in enumerate(fn.inputs):
            vn = var_node(t)
            edges.append((vn, fnode))
            parent = fn.edges[i][0] if fn.edges is not None else None
            if parent is not None and not parent.released:
                stack.append((parent, vn))
    return ComputationalGraph(
        nodes, edges, variable_style, function_style, rankdir, remove_variable, show_name
    )
