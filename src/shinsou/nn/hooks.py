"""Module backward hooks: identity ops around a module's inputs and outputs.

``register_full_backward_hook(hook)`` asks for ``hook(module, grad_input, grad_output)`` once
the gradients of the module's Tensor inputs are known. PyTorch's way, followed here: the
Tensor inputs that require grad pass through one identity op (``_InputsIdentity``) before
``forward``, the outputs through another (``_OutputsIdentity``) after it. In backward, the
output node runs first (it is downstream) and keeps dL/d(outputs), calling the backward
pre-hooks, which may replace them; the input node runs once every path inside the module
has delivered its share of dL/d(inputs), calls the hooks, and passes on what they return.
Both identities have a graph-form backward (the gradients themselves), so hooks also work
under ``create_graph=True``.
"""

from __future__ import annotations

from ..core.function import Function
from ..core.tensor import Tensor

__all__ = ["setup_backward_hooks"]


def _as_tensor(g, create_graph: bool):
    return g if create_graph else Tensor._from_op(g, None)


def _as_result(g, create_graph: bool):
    if g is None:
        return None
    if create_graph:
        return g
    return g.array if isinstance(g, Tensor) else g


class _HookState:
    """What the two identity nodes of one module call share."""

    def __init__(self, module, n_args: int, in_slots: tuple, zero_slots: tuple):
        self.module = module
        self.n_args = n_args  # number of positional arguments (grad_input's length)
        self.in_slots = in_slots  # positions of the Tensor arguments that need a gradient
        self.zero_slots = zero_slots  # (position, Tensor) of those that need none
        self.grad_output = None

    def call_hooks(self, grad_input: tuple) -> tuple:
        for hook in list(self.module._backward_hooks.values()):
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook of {type(self.module).__name__} returned "
                        f"{len(res)} gradients, expected {len(grad_input)}"
                    )
                grad_input = res
        return grad_input


class _InputsIdentity(Function):
    saves_inputs = False

    def __init__(self, state: _HookState):
        self.state = state

    def forward(self, *xs):
        return tuple(xs)

    def _run(self, gys, create_graph):
        st = self.state
        grad_input = [None] * st.n_args
        for slot, g in zip(st.in_slots, gys):
            grad_input[slot] = _as_tensor(g, create_graph)
        for slot, t in st.zero_slots:  # as torch: zeros for a Tensor that needs no gradient
            grad_input[slot] = Tensor._from_op(t.xp.zeros_like(t.array), None)
        grad_input = st.call_hooks(tuple(grad_input))
        return tuple(_as_result(grad_input[slot], create_graph) for slot in st.in_slots)

    def backward(self, *gys):
        return self._run(gys, False)

    def backward_graph(self, *gys):
        return self._run(gys, True)


class _OutputsIdentity(Function):
    saves_inputs = False

    def __init__(self, state: _HookState, n_out: int, out_slots: tuple, has_inputs: bool):
        self.state = state
        self.n_out, self.out_slots, self.has_inputs = n_out, out_slots, has_inputs

    def forward(self, *ys):
        return tuple(ys)

    def _run(self, gys, create_graph):
        st = self.state
        grad_output = [None] * self.n_out
        for slot, g in zip(self.out_slots, gys):
            grad_output[slot] = _as_tensor(g, create_graph)
        grad_output = tuple(grad_output)
        for hook in list(st.module._backward_pre_hooks.values()):
            res = hook(st.module, grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != self.n_out:
                    raise RuntimeError(
                        f"backward pre-hook of {type(st.module).__name__} returned "
                        f"{len(res)} gradients, expected {self.n_out}"
                    )
                grad_output = res
        st.grad_output = grad_output
        if not self.has_inputs and st.module._backward_hooks:
            # no input needs a gradient: the hooks run now, with grad_input all None
            st.call_hooks((None,) * st.n_args)
        return tuple(_as_result(grad_output[slot], create_graph) for slot in self.out_slots)

    def backward(self, *gys):
        return self._run(gys, False)

    def backward_graph(self, *gys):
        return self._run(gys, True)


def _needs_grad(t) -> bool:
    from ..core.grad_mode import is_grad_enabled

    return isinstance(t, Tensor) and t.requires_grad and is_grad_enabled()


def setup_backward_hooks(module, args: tuple):
    """Pass the Tensor arguments that require grad through the input identity; returns the
    new args and a function that does the same for the outputs."""
    in_slots = tuple(i for i, a in enumerate(args) if _needs_grad(a))
    zero_slots = ()
    if in_slots:
        zero_slots = tuple(
            (i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and i not in in_slots
        )
    state = _HookState(module, len(args), in_slots, zero_slots)
    args = list(args)
    if in_slots:
        outs = _InputsIdentity(state)(*[args[i] for i in in_slots])
        for i, t in zip(in_slots, outs):
            t._vc = args[i]._vc  # the same memory: an in-place change of one is seen in both
            args[i] = t

    def wrap_outputs(out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else out
        if not isinstance(outs, (tuple, list)) or not all(isinstance(o, Tensor) for o in outs):
            return out  # not Tensors: nothing to hook
        slots = tuple(i for i, o in enumerate(outs) if _needs_grad(o))
        if not slots:
            return out
        fn = _OutputsIdentity(state, len(outs), slots, bool(in_slots))
        wrapped = fn(*[outs[i] for i in slots])
        new = list(outs)
        for i, t in zip(slots, wrapped):
            t._vc = outs[i]._vc
            new[i] = t
        if single:
            return new[0]
        if type(out) is tuple:
            return tuple(new)
        if isinstance(out, list):
            return new
        return type(out)(*new)  # a namedtuple

    return tuple(args), wrap_outputs
