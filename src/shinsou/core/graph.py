"""The recorded graph as data: op nodes and the tensors between them, for pictures and export.

``trace(outputs)`` walks the autograd graph from the outputs back to the leaves, the same
edges ``backward`` follows, and returns a ``Graph``: its ``nodes`` (one per ``Function``
call, in topological order, inputs first) and ``values`` (one per tensor: an op's output, a
parameter, a graph input or a constant), with shapes, dtypes and, when the parameters are
given (a module or a dict name -> tensor), their names. ``shinsou.viz.graph`` draws it and
``shinsou.onnx.export`` converts it node by node.

Only what was recorded is there: an op is recorded when gradients are enabled and one of its
inputs requires a gradient. A tensor that needs no gradient (data, or something computed
from data only) is therefore a leaf of the graph, of kind ``"constant"``, holding its value.

>>> import shinsou as ss
>>> w = ss.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (ss.tensor([[3.0], [4.0]]) @ w).sum()
>>> g = trace(y, params={"w": w})
>>> [n.op for n in g.nodes]
['MatMul', 'Sum']
>>> [(v.kind, v.name, v.shape) for v in g.nodes[0].inputs]
[('constant', None, (2, 1)), ('param', 'w', (1, 2))]
"""

from __future__ import annotations

__all__ = ["Graph", "Node", "Value", "trace"]


class Value:
    """One tensor of the graph.

    Attributes:
        kind: ``"op"`` (an op's output), ``"param"`` (a named parameter), ``"input"`` (one of
            the tensors given as ``inputs``), ``"leaf"`` (another tensor that requires a
            gradient) or ``"constant"`` (a tensor that needs no gradient).
        shape, dtype: of the tensor when it was recorded.
        name: the parameter's name, the input's position (``"input"``, ``"input_1"``...), else
            None.
        tensor: the leaf Tensor (None for an op's output).
        producer, index: the node whose output this is, and which output (ops only).
        users: the nodes that read it.
    """

    __slots__ = ("kind", "shape", "dtype", "name", "tensor", "producer", "index", "users")

    def __init__(self, kind, shape, dtype, name=None, tensor=None, producer=None, index=0):
        self.kind, self.shape, self.dtype, self.name = kind, tuple(shape), dtype, name
        self.tensor, self.producer, self.index = tensor, producer, index
        self.users = []

    def __repr__(self):
        what = self.name or (self.producer.op if self.producer is not None else "")
        return f"Value({self.kind} {what} {self.shape})"


class Node:
    """One recorded op: ``fn`` (the ``Function``), ``op`` (its class name), ``inputs`` and
    ``outputs`` (lists of ``Value``; an output no op reads and that is not a graph output
    has the shape recorded by the op when it has several outputs, else ``()``)."""

    __slots__ = ("fn", "op", "inputs", "outputs")

    def __init__(self, fn, inputs, outputs):
        self.fn, self.op, self.inputs, self.outputs = fn, type(fn).__name__, inputs, outputs

    def __repr__(self):
        ins, outs = [v.shape for v in self.inputs], [v.shape for v in self.outputs]
        return f"Node({self.op}: {ins} -> {outs})"


class Graph:
    """``nodes`` in topological order (every node after the nodes it reads), ``values`` in
    order of first appearance, ``outputs`` (the Values of the traced tensors) and ``leaves``
    (the Values with no producer: parameters, inputs, constants)."""

    def __init__(self, nodes, values, outputs):
        self.nodes, self.values, self.outputs = nodes, values, outputs
        self.leaves = [v for v in values if v.producer is None]

    def __repr__(self):
        return f"Graph({len(self.nodes)} ops, {len(self.leaves)} leaves)"


def _param_names(params) -> dict:
    """id(tensor) -> name, from a Module (its parameters and buffers) or a dict."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        named = list(params.named_parameters())
        if hasattr(params, "named_buffers"):
            named += list(params.named_buffers())
    elif isinstance(params, dict):
        named = list(params.items())
    else:
        raise TypeError(
            f"trace: params must be a Module or a dict name -> tensor, got {type(params).__name__}"
        )
    return {id(t): name for name, t in named}


def _flatten(outputs):
    """Tensors from a Tensor or nested tuples/lists of them (an LSTM's (y, (h, c)))."""
    if isinstance(outputs, tuple | list):
        return [t for o in outputs for t in _flatten(o)]
    if not hasattr(outputs, "_ctx"):
        raise TypeError(f"trace: expected Tensors as outputs, got {type(outputs).__name__}")
    return [outputs]


def trace(outputs, params=None, inputs=None) -> Graph:
    """The recorded graph that leads to ``outputs``.

    Args:
        outputs: a Tensor or a (nested) tuple/list of Tensors.
        params: a Module (its named parameters and buffers) or a dict name -> Tensor: the
            leaves found there are of kind ``"param"`` and carry the name.
        inputs: Tensors (a tuple/list, or one) that are the graph's inputs: kind ``"input"``,
            named ``"input"``, ``"input_1"``, ... in order.

    Returns:
        a ``Graph``. An output that is a leaf (nothing recorded) is a Value with no node.

    Raises:
        RuntimeError: when a part of the graph was freed by a backward pass (trace before
            ``backward``, or call it with ``retain_graph=True``).
    """
    outs = _flatten(outputs)
    names = _param_names(params)
    ins = {} if inputs is None else {id(t): i for i, t in enumerate(_flatten(inputs))}
    values = {}  # key -> Value; key ("leaf", id) or (id(fn), output index)
    order = []

    def leaf(t):
        key = ("leaf", id(t))
        v = values.get(key)
        if v is None:
            if id(t) in names:
                kind, name = "param", names[id(t)]
            elif id(t) in ins:
                i = ins[id(t)]
                kind, name = "input", "input" if i == 0 else f"input_{i}"
            else:
                kind, name = ("leaf" if t.requires_grad else "constant"), None
            v = values[key] = Value(kind, t.shape, t.dtype, name, tensor=t)
        return v

    def op_value(fn, idx, shape, dtype):
        key = (id(fn), idx)
        v = values.get(key)
        if v is None:
            v = values[key] = Value("op", shape, dtype, index=idx)
        elif v.shape == () and shape != ():
            v.shape, v.dtype = tuple(shape), dtype
        return v

    # iterative depth-first walk, a node is emitted after all the nodes it reads
    roots = [t._ctx for t in outs if t._ctx is not None]
    seen, stack = set(), [(fn, False) for fn in reversed(roots)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn.released or fn.inputs is None:
            raise RuntimeError(
                f"trace: the graph was freed by a backward pass ({fn.name}'s saved inputs are "
                "gone); trace it before calling backward, or backward with retain_graph=True"
            )
        stack.append((fn, True))
        for parent, _ in reversed(fn.edges):
            if parent is not None and id(parent) not in seen:
                stack.append((parent, False))

    nodes = {}
    out_values = []
    for fn in order:
        in_vals = []
        for t, (parent, idx) in zip(fn.inputs, fn.edges):
            v = leaf(t) if parent is None else op_value(parent, idx, t.shape, t.dtype)
            in_vals.append(v)
        n_out = fn.n_outputs
        meta = fn.__dict__.get("out_meta")
        outs_v = []
        for i in range(n_out):
            shape, dtype = meta[i] if meta is not None else ((), None)
            outs_v.append(op_value(fn, i, shape, dtype))
        node = Node(fn, in_vals, outs_v)
        for i, v in enumerate(outs_v):
            v.producer, v.index = node, i
        for v in in_vals:
            v.users.append(node)
        nodes[id(fn)] = node
    for t in outs:
        if t._ctx is None:
            out_values.append(leaf(t))
        else:
            out_values.append(op_value(t._ctx, t._idx, t.shape, t.dtype))
    # values in order of first appearance: a node's inputs, then its outputs
    ordered, known = [], set()
    for fn in order:
        node = nodes[id(fn)]
        for v in node.inputs + node.outputs:
            if id(v) not in known:
                known.add(id(v))
                ordered.append(v)
    for v in out_values:
        if id(v) not in known:
            known.add(id(v))
            ordered.append(v)
    return Graph([nodes[id(fn)] for fn in order], ordered, out_values)
