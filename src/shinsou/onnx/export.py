"""Export by tracing: run the model once on an example input while recording, walk the recorded
graph (``shinsou.core.graph.trace``) and convert each op node with its converter
(``shinsou.onnx.converters``), then write the ONNX protobuf with ``onnx.helper``.

The batch axis: with ``dynamic_batch`` the inputs' first axis is the symbolic dimension
``batch``. Every value remembers which of its axes is the batch axis (the first input's, for
most ops); ops that move it (transpose, reshape) say where it went, and a reshape writes -1
there so that the ONNX graph works for any batch size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.graph import trace

__all__ = ["export", "OnnxExportError", "DEFAULT_OPSET"]

DEFAULT_OPSET = 17  # LayerNormalization, Softmax with one axis (13+), ReduceSum's axes input


class OnnxExportError(ValueError):
    """The model has an op (or a use of one) that ONNX export does not cover."""


def _onnx():
    try:
        import onnx
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError(
            "ONNX export needs the onnx package: pip install 'shinsou[onnx]' (onnx, onnxruntime)"
        ) from e
    return onnx


def _layer_names(model):
    """Run-time map id(fn) -> the innermost module (by dotted name) whose forward made it,
    filled by forward hooks; returns (map, handles)."""
    where, handles = {}, []
    if not hasattr(model, "named_modules"):
        return where, handles

    def hook_for(name, module):
        def hook(mod, inputs, output):
            stop = set()
            for t in _tensors(inputs):
                if t._ctx is not None:
                    stop.add(id(t._ctx))
            stack = [t._ctx for t in _tensors(output) if t._ctx is not None]
            while stack:
                fn = stack.pop()
                if id(fn) in where or id(fn) in stop or fn.inputs is None:
                    continue
                where[id(fn)] = f"{name or '<model>'} ({type(module).__name__})"
                stack.extend(p for p, _ in fn.edges if p is not None)

        return hook

    for name, m in model.named_modules():
        handles.append(m.register_forward_hook(hook_for(name, m)))
    return where, handles


def _tensors(obj):
    if isinstance(obj, tuple | list):
        return [t for o in obj for t in _tensors(o)]
    return [obj] if hasattr(obj, "_ctx") else []


class ExportContext:
    """What a converter sees: names of values, new nodes and constants, the batch axes.

    Converters (``shinsou.onnx.converters``) call ``name(value)`` for an input's ONNX name,
    ``out(node, i)`` for an output's, ``add(op_type, inputs, outputs, **attrs)`` for a node,
    ``const(array)`` for a new initializer, ``array(value)`` for a leaf's value (None for an
    op's output), ``batch_axis(value)`` / ``set_batch_axis(value, axis)``, and ``fail(why)``.
    """

    def __init__(self, onnx, opset, dynamic_batch, layers):
        self.onnx, self.helper = onnx, onnx.helper
        self.opset, self.dynamic_batch, self.layers = opset, dynamic_batch, layers
        self.nodes, self.initializers = [], []
        self.names = {}  # id(Value) -> ONNX name
        self.batch = {}  # id(Value) -> batch axis (int) or None
        self.used = set()
        self.current = None  # the node being converted (for errors and node names)
        self.counter = 0
        self.input_arrays = []  # (array, ONNX name) of every graph input: index arrays
        self.input_batch_axis = None

    # ---------------------------------------------------------------- names and constants
    def fresh(self, hint: str) -> str:
        self.counter += 1
        name = f"{hint}_{self.counter}"
        while name in self.used:
            self.counter += 1
            name = f"{hint}_{self.counter}"
        self.used.add(name)
        return name

    def claim(self, value, name: str) -> None:
        if name in self.used:
            raise OnnxExportError(f"ONNX export: the name {name!r} is given twice")
        self.used.add(name)
        self.names[id(value)] = name

    def name(self, value) -> str:
        """The ONNX name of a graph value; a constant leaf becomes an initializer."""
        n = self.names.get(id(value))
        if n is None:
            if value.producer is not None:  # pragma: no cover - nodes come in topological order
                raise RuntimeError(f"ONNX export: {value} used before its op was converted")
            n = self.const(value.tensor.numpy(), "const")
            self.names[id(value)] = n
        return n

    def out(self, node, i: int = 0) -> str:
        """The ONNX name of output ``i`` of ``node``."""
        v = node.outputs[i]
        n = self.names.get(id(v))
        if n is None:
            n = self.fresh(node.op.lower())
            self.names[id(v)] = n
        return n

    def const(self, array, hint: str = "const") -> str:
        """A new initializer holding ``array``; returns its name."""
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def array(self, value):
        """The NumPy value of a parameter or constant leaf; None for an op's output."""
        return None if value.tensor is None else value.tensor.numpy()

    # ---------------------------------------------------------------- nodes
    def add(self, op_type: str, inputs, outputs=None, **attrs):
        """Append an ONNX node; ``outputs`` None makes one fresh name. Returns the output
        name (or the list of names when several were given)."""
        if outputs is None:
            outputs = [self.fresh(op_type.lower())]
        single = isinstance(outputs, str)
        outs = [outputs] if single else list(outputs)
        where = self.layers.get(id(self.current.fn)) if self.current is not None else None
        prefix = f"{where.split(' ')[0]}/" if where else ""
        self.nodes.append(
            self.helper.make_node(
                op_type, list(inputs), outs, name=self.fresh(f"{prefix}{op_type}"), **attrs
            )
        )
        return outs[0] if single or len(outs) == 1 else outs

    # ---------------------------------------------------------------- the batch axis
    def batch_axis(self, value):
        return self.batch.get(id(value))

    def set_batch_axis(self, value, axis) -> None:
        self.batch[id(value)] = axis

    def fail(self, why: str):
        node = self.current
        where = self.layers.get(id(node.fn)) if node is not None else None
        op = node.op if node is not None else "?"
        layer = f" in layer {where}" if where else ""
        raise OnnxExportError(f"ONNX export: cannot export op {op}{layer}: {why}")


def _as_tuple(x):
    return tuple(x) if isinstance(x, tuple | list) else (x,)


def export(
    model,
    example_input,
    path=None,
    opset_version: int = DEFAULT_OPSET,
    input_names=None,
    output_names=None,
    dynamic_batch: bool | int = True,
    metadata: dict | None = None,
    dynamic_axes: dict | None = None,
):
    """Write ``model`` as an ONNX file, by running it once on ``example_input``.

    The model runs in evaluation mode (dropout is gone, batch norm uses its running
    statistics; its mode is restored afterwards) with gradients recorded, and every op on the
    way from the inputs and parameters to the outputs is converted (see ``docs/onnx.md`` for
    the ops covered). Parameters become initializers under their ``state_dict`` names.

    Args:
        model: a Module (or any callable of Tensors whose ops are recorded).
        example_input: a Tensor or array, or a tuple of them (one per ``forward`` argument),
            e.g. ``ss.zeros(2, 1, 28, 28)``; use a batch of 2 or more, so that the batch axis
            can be told from the others.
        path: the ``.onnx`` file to write (overwritten, as ``torch.onnx.export`` does), or
            None to only return the model.
        opset_version: the ONNX operator set (13 to the onnx package's newest).
        input_names, output_names: names of the graph's inputs and outputs (default
            ``input``, ``input_1``, ... and ``output``, ``output_1``, ...; an output that is a
            tuple, as an LSTM's ``(y, (h, c))``, counts as its flattened tensors).
        dynamic_batch: make the first axis of the inputs a symbolic ``batch`` dimension, so
            that the file runs on any batch size; an int names another axis (1 for
            time-major sequences (T, N, F)); False keeps the example's sizes.
        metadata: strings stored in the model's ``metadata_props`` (class names, input
            normalisation, ...).
        dynamic_axes: further symbolic axes of the inputs besides the batch, ``{axis: name}``
            (e.g. ``{1: "time"}`` for a language model's (N, T) token ids). The model is traced
            a second time with each such axis one longer (two for the second axis, ...); the
            two graphs must be the same but for those sizes (no op may bake a size of the
            axis into the graph, as a reshape to a fixed shape would: that is an error naming
            the op). Output axes whose size changed become symbolic too (named after the
            input axis they follow, or ``<output>_<axis>`` for a size derived from it).

    Returns:
        the ``onnx.ModelProto`` (checked with ``onnx.checker``).

    Raises:
        OnnxExportError: an op has no converter, or is used in a way ONNX cannot express;
            the message names the op and the layer it came from.

    >>> import shinsou as ss
    >>> net = ss.nn.Sequential(ss.nn.Linear(4, 3), ss.nn.ReLU(), ss.nn.Linear(3, 2))
    >>> m = ss.onnx.export(net, ss.zeros(2, 4))
    >>> [n.op_type for n in m.graph.node]
    ['Gemm', 'Relu', 'Gemm']
    >>> [i.name for i in m.graph.initializer]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """
    onnx = _onnx()
    from .. import enable_grad
    from ..core.tensor import Tensor
    from . import converters

    if dynamic_axes:
        return _export_dynamic(
            model, example_input, path, dynamic_axes, opset_version=opset_version,
            input_names=input_names, output_names=output_names, dynamic_batch=dynamic_batch,
            metadata=metadata,
        )  # fmt: skip

    if not 13 <= opset_version <= onnx.defs.onnx_opset_version():
        raise ValueError(
            f"onnx.export: opset_version must be 13 to {onnx.defs.onnx_opset_version()}, "
            f"got {opset_version}"
        )
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    device = params[0].device if params else None  # the inputs go where the model is
    xs = []
    for x in _as_tuple(example_input):
        arr = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
        if arr.dtype == np.float64 and not isinstance(x, Tensor | np.ndarray):
            arr = arr.astype(np.float32)
        xs.append(Tensor(arr, requires_grad=arr.dtype.kind == "f", device=device))
    batch_axis = None
    if dynamic_batch is not False and dynamic_batch is not None:
        batch_axis = 0 if dynamic_batch is True else int(dynamic_batch)
        for x in xs:
            if not -x.ndim <= batch_axis < x.ndim:
                raise ValueError(
                    f"onnx.export: dynamic_batch={dynamic_batch!r} names axis {batch_axis}, but "
                    f"an input has shape {tuple(x.shape)}"
                )
        batch_axis %= xs[0].ndim
    dynamic_batch = batch_axis is not None
    names_in = list(input_names) if input_names is not None else None
    if names_in is not None and len(names_in) != len(xs):
        raise ValueError(f"onnx.export: {len(xs)} inputs but {len(names_in)} input_names")

    # each module's own mode, to restore exactly (a frozen BatchNorm may be in eval mode)
    modes = [(m, m.training) for m in model.modules()] if hasattr(model, "modules") else []
    layers, handles = _layer_names(model)
    try:
        if modes:
            model.eval()
        with enable_grad():
            out = model(*xs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            object.__setattr__(m, "training", mode)  # as Module.train does
    graph = trace(out, params=model if hasattr(model, "named_parameters") else None, inputs=xs)
    if names_in is None:
        names_in = ["input"] + [f"input_{i}" for i in range(1, len(xs))]
    names_out = list(output_names) if output_names is not None else None
    if names_out is None:
        names_out = ["output"] + [f"output_{i}" for i in range(1, len(graph.outputs))]
    if len(names_out) != len(graph.outputs):
        raise ValueError(
            f"onnx.export: the model gives {len(graph.outputs)} outputs but "
            f"{len(names_out)} output_names"
        )

    ctx = ExportContext(onnx, opset_version, dynamic_batch, layers)
    ctx.input_batch_axis = batch_axis
    input_values = {id(v): v for v in graph.leaves if v.kind == "input"}
    by_tensor = {id(v.tensor): v for v in input_values.values()}
    inputs_info = []
    for x, name in zip(xs, names_in):
        v = by_tensor.get(id(x))
        dims = list(x.shape)
        if batch_axis is not None:
            dims[batch_axis] = "batch"
        inputs_info.append(_value_info(onnx, name, x.dtype, dims))
        ctx.input_arrays.append((x.array, name))
        if v is not None:
            ctx.claim(v, name)
            ctx.set_batch_axis(v, batch_axis)
        else:
            ctx.used.add(name)  # an input the outputs do not depend on
    for v in graph.leaves:
        if v.kind == "param":
            ctx.claim(v, v.name)
            ctx.initializers.append(onnx.numpy_helper.from_array(v.tensor.numpy(), v.name))
    # the graph outputs take their names before the nodes that make them are converted
    renamed = []
    for v, name in zip(graph.outputs, names_out):
        if id(v) in ctx.names or v.producer is None:
            renamed.append((v, name))  # an input, parameter or a repeated value: Identity
        else:
            ctx.claim(v, name)

    for node in graph.nodes:
        ctx.current = node
        conv = converters.CONVERTERS.get(type(node.fn))
        if conv is None:
            ctx.fail(
                "it has no ONNX converter (covered: "
                + ", ".join(sorted({c.__name__ for c in converters.CONVERTERS}))
                + ")"
            )
        axis = None
        for v in node.inputs:
            if ctx.batch_axis(v) is not None:
                axis = ctx.batch_axis(v)
                break
        for v in node.outputs:
            ctx.set_batch_axis(v, axis)
        conv(ctx, node)
    ctx.current = None
    for v, name in renamed:
        ctx.add("Identity", [ctx.name(v)], [name])
        ctx.used.add(name)

    outputs_info = []
    for v, name in zip(graph.outputs, names_out):
        dims = list(v.shape)
        axis = ctx.batch_axis(v)
        if dynamic_batch and axis is not None:
            dims[axis] = "batch"
        outputs_info.append(_value_info(onnx, name, v.dtype, dims))
    nodes, inits = _prune(ctx.nodes, ctx.initializers, names_out)
    g = onnx.helper.make_graph(nodes, "shinsou", inputs_info, outputs_info, initializer=inits)
    proto = onnx.helper.make_model(
        g,
        opset_imports=[onnx.helper.make_opsetid("", opset_version)],
        producer_name="shinsou",
        producer_version=_version(),
    )
    if metadata:
        onnx.helper.set_model_props(proto, {str(k): str(v) for k, v in metadata.items()})
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        Path(path).write_bytes(proto.SerializeToString())
    return proto


def _grown(x, axes: dict):
    """``x`` (a Tensor or array) with each of ``axes`` made longer: the j-th (in order) by
    j + 1, repeating its first slices (token ids stay valid ids)."""
    from ..core.tensor import Tensor

    a = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    for j, axis in enumerate(sorted(axes)):
        if not -a.ndim <= axis < a.ndim:
            raise ValueError(f"onnx.export: dynamic_axes names axis {axis} of an input {a.shape}")
        a = np.concatenate([a, np.take(a, range(j + 1), axis=axis)], axis=axis)
    return a


def _difference(g1, g2) -> str | None:
    """Where two traces of one model differ (an op, its attributes, or a constant), as words,
    or None when they are the same graph."""
    for n1, n2 in zip(g1.node, g2.node):
        if n1 != n2:
            return f"its op {n1.op_type} ({n1.name})"
    if len(g1.node) != len(g2.node):
        return "the number of its ops"
    init2 = {t.name: t for t in g2.initializer}
    for t in g1.initializer:
        if init2.get(t.name) != t:
            user = next((n for n in g1.node if t.name in n.input), None)
            where = f" of its op {user.op_type} ({user.name})" if user is not None else ""
            return f"the constant {t.name}{where}"
    return None


def _export_dynamic(model, example_input, path, dynamic_axes, **kw):
    """``export`` with symbolic axes besides the batch (see its ``dynamic_axes``)."""
    onnx = _onnx()
    axes = {int(k): str(v) for k, v in dict(dynamic_axes).items()}
    batch = kw["dynamic_batch"]
    if batch is not False and batch is not None:
        b = 0 if batch is True else int(batch)
        if b in axes:
            raise ValueError(f"onnx.export: axis {b} is the batch axis; dynamic_axes names others")
    xs = _as_tuple(example_input)
    first = export(model, example_input, None, **kw)
    grown = tuple(_grown(x, axes) for x in xs)
    second = export(model, grown if len(grown) > 1 else grown[0], None, **kw)
    diff = _difference(first.graph, second.graph)
    if diff is not None:
        names = ", ".join(f"{k} ({v!r})" for k, v in sorted(axes.items()))
        raise OnnxExportError(
            f"ONNX export: the input axes {names} cannot be dynamic: {diff} depends on their "
            "size (export with fixed sizes, or without that op)"
        )
    order = {j + 1: axes[k] for j, k in enumerate(sorted(axes))}  # growth -> axis name
    for value in first.graph.input:
        dims = value.type.tensor_type.shape.dim
        for k, name in axes.items():
            dims[k % len(dims)].dim_param = name
    for v1, v2 in zip(first.graph.output, second.graph.output):
        for i, (d1, d2) in enumerate(
            zip(v1.type.tensor_type.shape.dim, v2.type.tensor_type.shape.dim)
        ):
            if not d1.dim_param and d1.dim_value != d2.dim_value:
                d1.dim_param = order.get(d2.dim_value - d1.dim_value, f"{v1.name}_{i}")
    onnx.checker.check_model(first, full_check=True)
    if path is not None:
        Path(path).write_bytes(first.SerializeToString())
    return first


def _version() -> str:
    from .. import __version__

    return __version__


def _value_info(onnx, name, dtype, dims):
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return onnx.helper.make_tensor_value_info(name, elem, dims)


def _prune(nodes, initializers, outputs):
    """Only the nodes (and initializers) the outputs depend on: a converter that fuses two
    ops (an LSTM reading its input projection's input) leaves the other one unused."""
    needed = set(outputs)
    kept = []
    for n in reversed(nodes):
        if any(o in needed for o in n.output):
            kept.append(n)
            needed.update(i for i in n.input if i)
    kept.reverse()
    return kept, [t for t in initializers if t.name in needed]
