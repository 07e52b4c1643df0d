"""Normalisation layers: ``BatchNorm1d`` (over a batch, per feature) and ``LayerNorm`` (over a sample's features).

Both compute y = γ · x̂ + β with x̂ = (x − μ) / √(σ² + ε), γ (``weight``, starting at 1) and β
(``bias``, starting at 0) learned per feature; they differ in what μ and σ² average over.

BatchNorm1d in training mode takes μ and the *biased* σ² over the batch, for each feature, as nodes
of the graph: every sample's output depends on every other sample of the batch, and backward
carries that dependence (the gradient of x̂ through μ and σ²). It also keeps running estimates for
evaluation, by PyTorch's rule

    running_mean ← (1 − momentum) · running_mean + momentum · μ
    running_var  ← (1 − momentum) · running_var  + momentum · σ² · n / (n − 1)   (unbiased)

and in eval mode normalises with those plain numbers instead (then each sample is on its own).
The running statistics are buffers: saved and loaded with the parameters, never trained.

BatchNorm1d needs the whole batch at once, so it is called between per-sample layers
(``bn([layer(x) for x in batch])``) rather than inside a per-sample ``Sequential``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import check_count, check_probability, check_real
from micrograd_plus.engine import Value
from micrograd_plus.nn.module import Module, scoped
from micrograd_plus.nn.shapes import lift_number
from micrograd_plus.tracing import note_branch

__all__ = ["BatchNorm1d", "LayerNorm"]


def _sample(owner: str, width: int, x: object, where: str = "") -> list[Value]:
    """One sample of ``width`` numbers or Values, as Values; errors name the expected and the actual shape."""
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"{owner} expects {where or 'a sample'} as a list of {width} numbers, got {x!r:.60}")
    if len(x) != width:
        raise ValueError(f"{owner} expects {width} features per sample, got {len(x)}{' in ' + where if where else ''}")
    return [lift_number(v, owner, f"{where or 'the sample'} position {k}") for k, v in enumerate(x)]


class BatchNorm1d(Module):
    """y_ij = γ_j · (x_ij − μ_j) / √(σ²_j + ε) + β_j over a batch i = 1..n, for each feature j.

    >>> bn = BatchNorm1d(2)
    >>> out = bn([[1.0, 10.0], [3.0, 30.0]])
    >>> [[round(v.data, 4) for v in sample] for sample in out]
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> bn.running_mean, [round(v, 6) for v in bn.running_var]
    ([0.2, 2.0], [1.1, 20.9])
    """

    buffer_names = ("running_mean", "running_var")
    nonnegative_buffers = ("running_var",)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.num_features = n = check_count("num_features", num_features)
        self.eps = check_real("eps", eps, low=0.0, low_open=True)
        self.momentum = check_probability("momentum", momentum, one_allowed=True)
        self.weight = [Value(1.0) for _ in range(n)]
        self.bias = [Value(0.0) for _ in range(n)]
        self.running_mean = [0.0] * n
        self.running_var = [1.0] * n

    def config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def __call__(self, batch: Sequence[Sequence[Any]]) -> list[list[Value]]:
        """A batch (list of samples, each ``num_features`` long) -> the normalised batch, same shape."""
        if not isinstance(batch, (list, tuple)) or not batch:
            raise TypeError(f"BatchNorm1d expects a non-empty batch: a list of samples, got {batch!r:.60}")
        rows = [_sample("BatchNorm1d", self.num_features, x, f"sample {i}") for i, x in enumerate(batch)]
        n = len(rows)
        if self.training and n < 2:
            raise ValueError(
                f"BatchNorm1d expected more than 1 value per channel when training, got a batch of {n} sample "
                f"of {self.num_features} features; use a batch of at least 2, or call .eval() to use running statistics"
            )
        columns = []
        new_mean, new_var = list(self.running_mean), list(self.running_var)
        with scoped(self):
            for j in range(self.num_features):
                with scoped(f"feature {j}"):
                    normalised = self._normalise([row[j] for row in rows], j, new_mean, new_var)
                    columns.append([F.affine([self.weight[j]], [x_hat], self.bias[j]) for x_hat in normalised])
        if self.training:  # every feature computed without error: only now change the running statistics
            note_branch("BatchNorm1d updates its running statistics in training mode")  # a side effect of each run
            self.running_mean[:], self.running_var[:] = new_mean, new_var
        return [list(sample) for sample in zip(*columns)]

    def _normalise(self, column: list[Value], j: int, new_mean: list[float], new_var: list[float]) -> list[Value]:
        """x̂ for one feature: batch statistics (as nodes) in training, running statistics in eval.

        In training the updated running statistics of feature j go to ``new_mean[j]``, ``new_var[j]``:
        the caller commits them once every feature has been computed (a call that raises changes nothing).
        """
        if not self.training:
            running = self.running_var[j] + self.eps
            if running <= 0.0:
                raise ValueError(f"BatchNorm1d running_var[{j}] = {self.running_var[j]} is negative; reload the state")
            scale = 1.0 / math.sqrt(running)
            return [(x - self.running_mean[j]) * scale for x in column]
        n = len(column)
        mean = F.mean(column)  # μ
        deviations = [x - mean for x in column]
        variance = F.mean([d**2 for d in deviations])  # biased: divides by n
        inv_std = (variance + self.eps) ** -0.5
        m = self.momentum
        new_mean[j] = (1.0 - m) * self.running_mean[j] + m * mean.data
        new_var[j] = (1.0 - m) * self.running_var[j] + m * variance.data * n / (n - 1)
        if not (math.isfinite(new_mean[j]) and math.isfinite(new_var[j])):
            raise OverflowError(
                f"BatchNorm1d feature {j}: the running statistics overflow (batch mean {mean.data:g}, variance "
                f"{variance.data:g}); rescale the inputs"
            )
        return [d * inv_std for d in deviations]


class LayerNorm(Module):
    """y_j = γ_j · (x_j − μ) / √(σ² + ε) + β_j with μ, σ² (biased) over the n features of one sample.

    >>> [round(v.data, 4) for v in LayerNorm(3)([1.0, 2.0, 3.0])]
    [-1.2247, 0.0, 1.2247]
    """

    def __init__(self, n: int, eps: float = 1e-5) -> None:
        self.n = check_count("n", n)
        self.eps = check_real("eps", eps, low=0.0, low_open=True)
        self.weight = [Value(1.0) for _ in range(self.n)]
        self.bias = [Value(0.0) for _ in range(self.n)]

    def config(self) -> dict[str, Any]:
        return {"n": self.n, "eps": self.eps}

    def __call__(self, x: Sequence[Any]) -> list[Value]:
        """One sample of n features -> its normalised features (one sample per call, like ``Neuron``)."""
        xs = _sample("LayerNorm", self.n, x)
        with scoped(self):
            mean = F.mean(xs)
            deviations = [v - mean for v in xs]
            inv_std = (F.mean([d**2 for d in deviations]) + self.eps) ** -0.5
            return [F.affine([w], [d * inv_std], b) for w, d, b in zip(self.weight, deviations, self.bias)]
