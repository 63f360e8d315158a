"""A base for ops whose fast backward reads no input, but whose graph-form backward does.

Exp, sigmoid, tanh, softmax and friends differentiate from their *output* (e^x, σ(x), ...),
so their fast ``backward`` never reads the input and changing the input in place after the
op is allowed (``saves_inputs = False``, as in PyTorch). A node cannot keep its output
Tensor (that would be a reference cycle, and the output is often dropped right after
forward), so the graph-form backward (``create_graph=True``) recomputes the output from the
inputs with shinsou ops, e.g. d/dx e^x = exp(x). That recomputation is only right while the
inputs are unchanged: this base records their versions when the op is recorded and
``check_inputs_unchanged`` raises a clear error in ``backward_graph`` otherwise.
"""

from __future__ import annotations

from ..core.function import Function


class RecomputingFunction(Function):
    """``Function`` whose ``backward_graph`` recomputes values from ``self.inputs`` (see the
    module docstring); call ``self.check_inputs_unchanged()`` first in ``backward_graph``."""

    saves_inputs = False

    def __call__(self, *inputs):
        out = Function.__call__(self, *inputs)
        if self.inputs is not None:  # recorded: keep the versions the graph form relies on
            self.graph_versions = tuple([t._vc[0] for t in inputs])
        return out

    def check_inputs_unchanged(self):
        """Raise if an input was changed in place since forward (the graph-form backward
        would recompute from the changed values)."""
        for i, (t, v) in enumerate(zip(self.inputs, self.graph_versions)):
            if t._vc[0] != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: input {i} of {self.name} (shape {t.shape}) is "
                    f"at version {t._vc[0]}; expected version {v}. create_graph=True "
                    f"recomputes {self.name}'s derivative from its inputs: clone the input "
                    "(x.clone()) before changing it in place, or change it after backward."
                )
