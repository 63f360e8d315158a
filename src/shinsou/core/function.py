"""The autograd engine: primitive ops as ``Function`` nodes and reverse-mode backward.

A ``Function`` computes ``forward`` on raw arrays and remembers (in ``self.saved`` or in plain
attributes) only what ``backward`` needs. ``forward`` returns one array, or a tuple of arrays
for an op with several outputs (values and indices, h and c, the pieces of a split); each
output becomes a Tensor that knows its node and its position (``t._idx``). Integer and
boolean outputs (indices, masks) carry no gradient.

Backward has two forms:

* ``backward(*gys)`` — the fast path, on raw arrays: receives dL/dy for each output (a zero
  array for an output that got no gradient) and returns one gradient per input, ``None`` for
  inputs that need none (``self.needs[i]`` says which do). Gradients that were broadcast in
  forward are summed back to each input's shape with ``unbroadcast``.
* ``backward_graph(*gys)`` — the same derivative written with shinsou ops on Tensors (the
  inputs are ``self.inputs``), used when ``create_graph=True`` asks for a graph of the
  backward pass itself, so that it can be differentiated again (double backward,
  Hessian-vector products, gradient penalties).

Backward visits the nodes in reverse topological order, so every node's output gradients are
complete (summed over all uses: the multivariate chain rule) before its own backward runs.
Unless ``retain_graph=True``, each node drops its saved arrays and its inputs right after its
backward has run, freeing memory early; a second backward through it then fails clearly.

In-place changes are tracked by a version counter per tensor (``t._version``). A node that
reads its inputs' (or its output's) values in backward records their versions in forward;
if one changed before backward, backward raises an error naming the op, instead of
computing a wrong gradient from overwritten values.

Rule for every backward: never write into the incoming gradient array in place, and never
hand out an array that something else will write to. Leaf ``.grad`` arrays are replaced, not
updated in place, by shinsou itself.
"""

from __future__ import annotations

import numpy as _np

from .grad_mode import _GradMode

__all__ = ["Function", "unbroadcast", "run_backward"]


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, to get ``shape``.

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def _wrap(data, ctx, idx=0):  # replaced by Tensor._from_op when core.tensor is imported
    raise RuntimeError("shinsou.core.tensor was not imported")


_Tensor = None  # the Tensor class, set when core.tensor is imported (it imports us)


_RELEASED_MSG = (
    "Trying to backward through the graph a second time (or through a part of it that "
    "was already freed): its saved values were released after the first backward. "
    "Call .backward(retain_graph=True) the first time if you need to backward twice."
)


class _Anomaly:
    # set by shinsou.autograd.detect_anomaly(); read on every op call, so a plain attribute
    enabled = False
    check = None  # check(fn, arrays, where) raises on NaN/Inf


class Function:
    """Base class of primitive ops: ``forward(*arrays)``, ``backward(*gys)`` and, for
    higher-order gradients, ``backward_graph(*gys)`` (see the module docstring).

    Hyper-parameters go to ``__init__``; call the instance on Tensors::

        y = Exp()(x)

    Class attributes a subclass may set:
        saves_inputs: backward reads the inputs' values (default True); an op whose
            gradient does not depend on them (add, reshape, sum, ...) sets False, so that
            changing such an input in place afterwards is allowed, as in PyTorch. "graph":
            only ``backward_graph`` reads them (exp, sigmoid, softmax... differentiate from
            their output in the fast path, but recompute it from the inputs with ops under
            ``create_graph``, since a node cannot keep its output Tensor): the check then
            applies to ``create_graph=True`` only.
        saves_output: backward reads the output's value (exp, sigmoid, tanh, ...); changing
            the output in place before backward is then an error.
        nondiff_outputs: positions of float outputs that are not differentiated (batch
            statistics returned beside the result); they come out as plain tensors.
        is_view: the output is a view of the first input (reshape, transpose, basic
            indexing): when its array really shares memory, it shares the input's version
            counter, so changing one in place is seen by the nodes that saved the other.
    """

    inputs = None  # tuple of input Tensors while the graph is alive
    needs = None  # tuple of bools: which inputs need a gradient
    released = False
    saves_inputs = True
    saves_output = False
    nondiff_outputs = ()  # positions of float outputs that carry no gradient (statistics)
    is_view = False  # the output shares the first input's memory (and version counter)
    n_outputs = 1

    def __call__(self, *inputs):
        out = self.forward(*[t.array for t in inputs])
        if _GradMode.enabled:
            needs = [t.requires_grad for t in inputs]
            if True in needs:
                self.inputs = inputs
                self.needs = needs
                # where each input's gradient goes: its producing node and output slot, fixed
                # now, since an in-place op may later give the same Tensor a new node
                self.edges = [(t._ctx, t._idx) for t in inputs]
                if self.saves_inputs:
                    self.versions = [t._vc[0] for t in inputs]
                if _Anomaly.enabled:
                    _Anomaly.check(self, out, "forward")
                if type(out) is tuple or self.saves_output or self.is_view:
                    return self._outputs(out, self, inputs)
                return _wrap(out, self)
        if _Anomaly.enabled:
            _Anomaly.check(self, out, "forward")
        if type(out) is tuple or self.is_view:
            return self._outputs(out, None, inputs)
        return _wrap(out, None)

    def _outputs(self, out, ctx, inputs):
        if type(out) is not tuple:
            t = _wrap(out, ctx)
            if ctx is not None and self.saves_output:
                self.out_versions = (t._vc,)
            if self.is_view and getattr(out, "base", None) is not None:
                t._vc = inputs[0]._vc  # a view: changing either changes both
            return t
        self.n_outputs = len(out)
        if ctx is not None:
            self.out_meta = tuple([(o.shape, o.dtype) for o in out])
        nondiff = self.nondiff_outputs
        outs = tuple(
            [
                _wrap(o, ctx if o.dtype.kind in "fc" and i not in nondiff else None, i)
                for i, o in enumerate(out)
            ]
        )
        if ctx is not None and self.saves_output:
            self.out_versions = tuple([t._vc for t in outs])
        if self.is_view:
            for t, o in zip(outs, out):
                if getattr(o, "base", None) is not None:
                    t._vc = inputs[0]._vc
        return outs

    def forward(self, *xs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *gys):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward_graph(self, *gys):
        """dL/dx for each input as Tensors built from shinsou ops (for ``create_graph``)."""
        raise NotImplementedError(
            f"{self.name} cannot be differentiated twice yet: its backward has no graph form "
            "(backward_graph). Use create_graph=False, or write the op as a composite."
        )

    def release(self):
        """Drop what was saved for backward and the references to the inputs."""
        d = self.__dict__
        d.clear()
        d["released"] = True  # (the class attribute ``inputs`` is None again)

    def _check_versions(self, create_graph=False):
        """Raise if an input or output this node reads in backward was changed in place."""
        vs = self.__dict__.get("versions")
        if vs is not None and (create_graph or self.saves_inputs is True):
            reads = self.reads_inputs()
            for i, (t, v) in enumerate(zip(self.inputs, vs)):
                if t._vc[0] != v and reads[i]:
                    raise RuntimeError(
                        f"one of the variables needed for gradient computation has been "
                        f"modified by an inplace operation: input {i} of {self.name} "
                        f"(shape {t.shape}) is at version {t._vc[0]}; expected version {v}. "
                        "Clone it (x.clone()) before changing it in place, or change it "
                        "after backward."
                        + (
                            " (create_graph=True recomputes this op's derivative from its inputs.)"
                            if self.saves_inputs == "graph"
                            else ""
                        )
                    )
        ovs = self.__dict__.get("out_versions")
        if ovs is not None:
            for i, vc in enumerate(ovs):
                if vc[0] != 0:
                    raise RuntimeError(
                        f"one of the variables needed for gradient computation has been "
                        f"modified by an inplace operation: output {i} of {self.name} is at "
                        f"version {vc[0]}; expected version 0. Clone it before changing it "
                        "in place."
                    )

    def reads_inputs(self) -> list:
        """Which inputs' values backward reads, given ``self.needs`` (default: all). A
        bilinear op (mul, matmul, linear) reads each input only for the other's gradient."""
        return [True] * len(self.inputs)

    def _reads_the_others(self) -> list:
        """``reads_inputs`` of a bilinear op: input i is read iff another input needs a grad."""
        needs = self.needs
        return [any(n for j, n in enumerate(needs) if j != i) for i in range(len(needs))]

    @property
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}Backward>"


def _order(roots):
    """Nodes reachable from ``roots`` through inputs that need gradients, inputs first."""
    order = []
    seen = set()
    stack = [(fn, False) for fn in roots]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn.released:
            raise RuntimeError(_RELEASED_MSG)
        stack.append((fn, True))
        for (parent, _), need in zip(fn.edges, fn.needs):
            if need and parent is not None and id(parent) not in seen:
                stack.append((parent, False))
    return order


def _add(a, b):
    return a if b is None else b + a


def run_backward(
    roots, grads, retain_graph=False, create_graph=False, inputs=None, accumulate=True
):
    """Back-propagate ``grads`` (dL/droot for each root) through the graph.

    Args:
        roots, grads: sequences of Tensors and their gradients (arrays, or Tensors when
            ``create_graph``).
        retain_graph: keep every node's saved values for another backward.
        create_graph: run each node's ``backward_graph``, so the gradients are Tensors with a
            graph of their own.
        inputs: None (every leaf that requires grad), or the Tensors whose gradients are
            wanted; only the part of the graph leading to them is walked.
        accumulate: add the gradients into the leaves' ``.grad`` (``Tensor.backward``), or
            return them (``autograd.grad``) as a list aligned with ``inputs``.
    """
    Tensor = _Tensor
    want = None
    if inputs is not None:
        want = {}
        for i, t in enumerate(inputs):
            want.setdefault(("leaf", id(t)) if t._ctx is None else (id(t._ctx), t._idx), []).append(
                i
            )
    results = [None] * (len(inputs) if inputs is not None else 0)
    pending = {}  # id(fn) -> list of output gradients
    leaf_grads = {}  # id(leaf) -> [leaf, grad]
    root_fns = []
    for r, g in zip(roots, grads):
        fn = r._ctx
        if fn is None:
            slot = leaf_grads.setdefault(id(r), [r, None])
            slot[1] = _add(g, slot[1])
            continue
        buf = pending.get(id(fn))
        if buf is None:
            buf = pending[id(fn)] = [None] * fn.n_outputs
            root_fns.append(fn)
        buf[r._idx] = _add(g, buf[r._idx])
    order = _order(root_fns)

    leads = None
    if want is not None:  # walk only what leads to the wanted tensors
        leads = set()
        for fn in order:  # inputs first: a node leads if one of its edges does
            for (parent, idx), need, inp in zip(fn.edges, fn.needs, fn.inputs):
                if not need:
                    continue
                if parent is None:
                    hit = ("leaf", id(inp)) in want
                else:
                    hit = id(parent) in leads or (id(parent), idx) in want
                if hit:
                    leads.add(id(fn))
                    break
            else:
                if any((id(fn), i) in want for i in range(fn.n_outputs)):
                    leads.add(id(fn))

    prev_mode = _GradMode.enabled  # the backward pass is recorded only for create_graph
    _GradMode.enabled = create_graph
    plain = not create_graph and want is None  # the fast path: arrays, nothing to collect
    try:
        for fn in reversed(order):
            gys = pending.pop(id(fn), None)
            if gys is None or (leads is not None and id(fn) not in leads):
                continue
            if not plain or len(gys) > 1:
                gys = _output_grads(fn, gys, create_graph, Tensor)
            d = fn.__dict__
            if not plain or "hooks" in d or "retained" in d:
                gys = _visit_outputs(
                    fn, gys, d.get("hooks"), d.get("retained"), want, results, create_graph
                )
            if "versions" in d or "out_versions" in d:
                fn._check_versions(create_graph)
            needs = fn.needs
            if leads is not None:  # ask backward only for the gradients that are wanted
                fn.needs = [
                    n
                    and (
                        (("leaf", id(t)) in want)
                        if p is None
                        else (id(p) in leads or (id(p), i) in want)
                    )
                    for n, (p, i), t in zip(needs, fn.edges, fn.inputs)
                ]
                in_grads = fn.backward_graph(*gys) if create_graph else fn.backward(*gys)
                fn.needs = needs
            elif create_graph:
                in_grads = fn.backward_graph(*gys)
            else:
                in_grads = fn.backward(*gys)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if _Anomaly.enabled:
                _Anomaly.check(fn, in_grads, "backward")
            for inp, (parent, idx), need, ig in zip(fn.inputs, fn.edges, needs, in_grads):
                if ig is None or not need:
                    continue
                if ig.dtype != inp.array.dtype:  # dL/dx has x's dtype (mixed-precision ops)
                    ig = ig.astype(inp.array.dtype)
                if parent is None:
                    slot = leaf_grads.get(id(inp))
                    if slot is None:
                        leaf_grads[id(inp)] = [inp, ig]
                    else:
                        slot[1] = slot[1] + ig
                else:
                    buf = pending.get(id(parent))
                    if buf is None:
                        buf = pending[id(parent)] = [None] * parent.n_outputs
                    prev = buf[idx]
                    buf[idx] = ig if prev is None else prev + ig
            if not retain_graph:
                fn.release()

        given = set()
        for leaf, g in leaf_grads.values():
            if plain and leaf._hooks is None:
                _store_grad(leaf, g, False, Tensor, given)
            else:
                _finish_leaf(leaf, g, create_graph, want, results, accumulate, Tensor, given)
    finally:
        _GradMode.enabled = prev_mode
    return results


def _output_grads(fn, gys, create_graph, Tensor):
    """Zeros for outputs that got no gradient; Tensors or arrays as the path needs."""
    if fn.n_outputs > 1 and any(g is None for g in gys):  # `None in gys` would compare arrays
        xp = _array_module(fn)
        gys = [
            xp.zeros(shape, dtype) if g is None else g
            for g, (shape, dtype) in zip(gys, fn.out_meta)
        ]
    if create_graph:
        return [g if isinstance(g, Tensor) else Tensor._from_op(g, None) for g in gys]
    return [g.array if isinstance(g, Tensor) else g for g in gys]


def _array_module(fn):
    from ..backend import get_array_module

    return get_array_module(fn.inputs[0].array)


def _visit_outputs(fn, gys, hooks, retained, want, results, create_graph):
    """Run tensor hooks on this node's outputs, keep retained grads, collect wanted ones."""
    from .tensor import Tensor

    gys = list(gys)
    for i in range(len(gys)):
        if hooks and i in hooks:
            for h in list(hooks[i].values()):
                out = h(gys[i] if create_graph else Tensor._from_op(gys[i], None))
                if out is not None:
                    gys[i] = out if create_graph else _raw(out)
        if retained and i in retained:
            t = retained[i]()
            if t is not None:
                _store_grad(t, gys[i], create_graph, Tensor)
        if want is not None:
            for k in want.get((id(fn), i), ()):
                results[k] = gys[i] if create_graph else Tensor._from_op(gys[i], None)
    return gys


def _raw(x):
    return x.array if hasattr(x, "array") and not isinstance(x, _np.ndarray) else x


def _store_grad(t, g, create_graph, Tensor, given=None):
    """Accumulate ``g`` into ``t.grad`` (a Tensor). A leaf owns its ``.grad`` array: ``g`` is
    copied when it is a view or was already handed to another leaf (``given``), and always
    for a non-leaf (``given`` None), whose gradient array may be read again in backward."""
    if create_graph:
        t._grad = g if t._grad is None else t._grad + g
        return
    if t._grad is None:
        if given is None or getattr(g, "base", None) is not None or id(g) in given:
            g = g.copy()
        if given is not None:
            given.add(id(g))
        t._grad = Tensor._from_op(g, None)
    else:
        s = t._grad.array + g
        if type(s) is not type(g):  # NumPy 0-d arithmetic gives scalars
            s = _np.asarray(s)
        t._grad = Tensor._from_op(s, None)


def _finish_leaf(leaf, g, create_graph, want, results, accumulate, Tensor, given):
    hooks = leaf._hooks
    if hooks:
        for h in list(hooks.values()):
            out = h(g if create_graph else Tensor._from_op(g, None))
            if out is not None:
                g = out if create_graph else _raw(out)
    if want is not None:
        hit = want.get(("leaf", id(leaf)))
        if hit is not None:
            for k in hit:
                results[k] = g if create_graph else Tensor._from_op(g, None)
        if not accumulate:
            return
        if hit is None:
            return
    if accumulate:
        _store_grad(leaf, g, create_graph, Tensor, given)
