"""Optimizers that read ``.grad`` and update ``.data``, with ``torch.optim``'s update rules.

>>> from micrograd_plus import Value
>>> w = Value(1.0)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).backward()
>>> opt.step()
>>> w.data
0.8
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable

from micrograd_plus.engine import Value

__all__ = ["SGD", "Adam", "Optimizer"]


def _number(name: str, x: object, low: float, high: float = math.inf, low_open: bool = False) -> float:
    ok = isinstance(x, (int, float)) and not isinstance(x, bool) and (low < x if low_open else low <= x) and x < high
    if not ok:
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be a number {bound}{f' and < {high}' if high < math.inf else ''}, got {x!r}")
    return float(x)  # type: ignore[arg-type]


class Optimizer(ABC):
    """Holds the parameters and a learning rate that may be changed between steps."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got no parameters; pass model.parameters()")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"parameters must be Values, got {type(p).__name__} {p!r}")
        self.lr = lr
        self.steps = 0

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _number("learning rate", value, 0.0, low_open=True)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        for p in self.params:
            if not math.isfinite(p.grad):
                raise ValueError(f"gradient of {p!r} is {p.grad}; lower the learning rate or check the loss")
        self.steps += 1
        self._update()

    @abstractmethod
    def _update(self) -> None:
        """Apply one update to every parameter's data (``self.steps`` is already the new step number)."""


class SGD(Optimizer):
    """p -= lr·g with g = grad + λ·p; with momentum μ, b = μ·b + g (b = g at first) and g = b (Nesterov: g + μ·b)."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _number("momentum", momentum, 0.0)
        self.weight_decay = _number("weight_decay", weight_decay, 0.0)
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.nesterov = nesterov
        self.buffers = [0.0] * len(self.params)

    def _update(self) -> None:
        mu, decay, lr, first = self.momentum, self.weight_decay, self.lr, self.steps == 1
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            if mu:
                b = g if first else mu * self.buffers[i] + g
                self.buffers[i] = b
                g = g + mu * b if self.nesterov else b
            p.data -= lr * g


class Adam(Optimizer):
    """m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², p -= lr·m̂ / (√v̂ + eps) with bias-corrected m̂, v̂."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_number("beta1", betas[0], 0.0, 1.0), _number("beta2", betas[1], 0.0, 1.0))
        self.eps = _number("eps", eps, 0.0)
        self.weight_decay = _number("weight_decay", weight_decay, 0.0)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _update(self) -> None:
        (beta1, beta2), t = self.betas, self.steps
        step_size = self.lr / (1.0 - beta1**t)  # lr / bias correction 1, as torch computes it
        root_correction = math.sqrt(1.0 - beta2**t)
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            m = self.m[i] = self.m[i] + (1.0 - beta1) * (g - self.m[i])  # = β1·m + (1-β1)·g, as torch's lerp
            v = self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g
            p.data -= step_size * m / (math.sqrt(v) / root_correction + self.eps)
