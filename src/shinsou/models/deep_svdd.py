"""Deep SVDD (Ruff et al. 2018): one-class anomaly detection by mapping normal data into a
small hypersphere around a fixed centre c."""

from __future__ import annotations

from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..creation import zeros
from ..nn.module import Module
from .stacked import _batch_input

__all__ = ["DeepSVDD"]


class DeepSVDD(Module):
    """One-class Deep SVDD: loss = mean_n ‖φ(x_n) − c‖², score(x) = ‖φ(x) − c‖².

    The encoder φ must be bias-free (no ``bias`` parameters, batch norm without affine):
    with biases the network could map every input to c and make the loss zero (Ruff et al.
    2018, Proposition 2). c is the mean of the initial codes of the training data (set by
    ``init_center``, kept as a buffer), with entries closer to 0 than ε moved to ±ε (an exact
    0 to +ε), since a zero coordinate is trivially matched by zero weights.

    Args:
        encoder: a bias-free Module mapping inputs to codes (N, D).
        eps: the ε of the guard.

    >>> import shinsou as ss
    >>> svdd = DeepSVDD(ss.nn.Linear(4, 2, bias=False))
    >>> svdd.init_center(ss.rand(8, 4)).shape, svdd.score(ss.rand(3, 4)).shape
    ((2,), (3,))
    """

    def __init__(self, encoder: Module, eps: float = 0.1):
        super().__init__()
        if not isinstance(encoder, Module):
            raise TypeError(f"DeepSVDD: encoder must be a Module, got {type(encoder).__name__}")
        biases = [n for n, _ in encoder.named_parameters() if n.split(".")[-1] == "bias"]
        if biases:
            raise ValueError(
                "DeepSVDD: the encoder must be bias-free (Ruff et al. 2018, Prop. 2), found "
                f"bias parameters {biases}"
            )
        if eps < 0:
            raise ValueError(f"DeepSVDD: eps must be >= 0, got {eps}")
        self.encoder, self.eps = encoder, float(eps)
        self.register_buffer("center", None)

    def forward(self, x) -> Tensor:
        """The codes φ(x), (N, D)."""
        return self.encoder(x)

    @no_grad()
    def init_center(self, data) -> Tensor:
        """Set c = the mean code of ``data`` (a Tensor (N, ...) or a loader of batches) under
        the current weights (in eval mode), with the ε guard; returns c (D,)."""
        was_training = self.training
        self.eval()
        batches = [data] if isinstance(data, Tensor) else data
        total, count = None, 0
        for batch in batches:
            z = self.encoder(_batch_input(batch))
            s = z.sum(0)
            total = s if total is None else total + s
            count += z.shape[0]
        self.train(was_training)
        if not count:
            raise ValueError("DeepSVDD.init_center: no data")
        c = (total / count).detach()
        a = c.array
        small = abs(a) < self.eps
        a[small & (a < 0)] = -self.eps
        a[small & (a >= 0)] = self.eps
        self.center = c
        return c

    def _distance(self, x) -> Tensor:
        if self.center is None:
            raise RuntimeError("DeepSVDD: call init_center(data) before loss or score")
        d = self.encoder(x) - self.center
        return (d * d).sum(1)

    def loss(self, x) -> Tensor:
        """mean_n ‖φ(x_n) − c‖² (the one-class objective; add weight decay in the optimizer)."""
        return self._distance(x).mean()

    @no_grad()
    def score(self, x) -> Tensor:
        """Anomaly scores ‖φ(x) − c‖², (N,): higher is more anomalous."""
        return self._distance(x)

    def load_state_dict(self, state: dict, strict: bool = True):
        """As ``Module.load_state_dict``; a saved centre is loaded also into a model whose
        ``init_center`` has not run yet (its buffer is then made with the saved shape)."""
        if self.center is None and state.get("center") is not None:
            c = state["center"]
            ref = next(iter(self.encoder.parameters()), None)
            if ref is None:
                self.center = zeros(*tuple(c.shape))
            else:
                self.center = zeros(*tuple(c.shape), dtype=ref.dtype, device=ref.device)
        return super().load_state_dict(state, strict)

    def extra_repr(self) -> str:
        return f"eps={self.eps}"
