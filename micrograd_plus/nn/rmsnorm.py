"""``RMSNorm``: scale a vector to unit root-mean-square, as microgpt (and LLaMA, without the gain) do.

y_j = x_j / √(mean(x²) + ε). Unlike ``LayerNorm`` nothing is subtracted and, in microgpt's form,
nothing is learned: the module has no parameters. Its gradient is
∂y_j/∂x_i = s·δ_ij − s³·x_i·x_j / n with s = (mean(x²) + ε)^(-1/2), which backward follows through four
nodes per vector (Σx² as one ``dot``, times 1/n, plus ε, then the power) and one product per entry.

>>> [round(v.data, 4) for v in RMSNorm(2)([3.0, 4.0])]
[0.8485, 1.1314]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import check_count, check_real, shown
from micrograd_plus.engine import Operand, Value
from micrograd_plus.nn.module import Module, scoped
from micrograd_plus.nn.shapes import lift_number

__all__ = ["RMSNorm", "rms_normalise"]


def rms_normalise(xs: Sequence[Value], eps: float) -> list[Value]:
    """x / √(mean(x²) + ε) for Values already checked (the modules that call it per token)."""
    scale = (F.dot(xs, xs) * len(xs) ** -1 + eps) ** -0.5  # mean(x²) as microgpt computes it: Σx² · n⁻¹
    return [x * scale for x in xs]


class RMSNorm(Module):
    """y = x / √(mean(x²) + ε) over the ``dim`` entries of one vector; no parameters (ε = 1e-5, microgpt's)."""

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        self.dim = check_count("dim", dim)
        self.eps = check_real("eps", eps, low=0.0, low_open=True)

    def config(self) -> dict[str, Any]:
        return {"dim": self.dim, "eps": self.eps}

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"RMSNorm expects a list of {self.dim} numbers, got {shown(x)}")
        if len(x) != self.dim:
            raise ValueError(f"RMSNorm expects {self.dim} numbers (dim={self.dim}), got {len(x)}")
        xs = [lift_number(v, "RMSNorm", f"entry {k}") for k, v in enumerate(x)]
        with scoped(self):
            return rms_normalise(xs, self.eps)
