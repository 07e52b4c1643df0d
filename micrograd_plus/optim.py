"""Optimizers that read ``.grad`` and update ``.data``, with ``torch.optim``'s update rules.

Every step is checked before anything is written: the gradients must be finite
floats, and every new parameter value and every new optimizer state (momentum
buffer, Adam's moments) must be finite. Otherwise the step raises, naming the
parameter and the setting to change, and leaves every parameter and all state
as it was.

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
from collections.abc import Iterable, Sequence
from typing import Any

from micrograd_plus._validate import as_number, check_count, check_leaves, check_real, is_real, shown
from micrograd_plus.engine import Value

__all__ = ["SGD", "Adam", "LinearDecay", "Optimizer"]

STATE_NAMES = {"buffers": "momentum buffer", "m": "first moment m", "v": "second moment v"}
Proposal = tuple[list[float], dict[str, list[float]]]  # new parameter values, new state lists by attribute name


def _all_finite(xs: list[float]) -> bool:
    """True if every number is finite: one sum (nan and inf propagate), the per-item scan only if it overflows."""
    total = sum(xs)
    return math.isfinite(total) or all(math.isfinite(x) for x in xs)


class Optimizer(ABC):
    """Holds the parameters (Values, or (name, Value) pairs as from ``named_parameters()``) and a learning rate.

    Each Value may be listed once: a repeated Value would be stepped twice
    (PyTorch warns about this and announces it as a future error; here it is one now).
    """

    def __init__(self, params: Iterable[Value] | Iterable[tuple[str, Value]], lr: float) -> None:
        items: Any = list(params) if isinstance(params, Iterable) and not isinstance(params, (str, bytes)) else params
        named = [isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) for item in items or ()]
        values = [item[1] if pair else item for item, pair in zip(items, named)] if named else items
        try:  # anything but a list of distinct leaves is refused there, by position, in the shared wording
            self.params: list[Value] = check_leaves("parameter", values)
        except ValueError as error:  # a repeated Value would be stepped twice; a non-leaf is no parameter
            raise ValueError(f"{error} (Module.parameters() and named_parameters() list tied weights once)") from None
        self.names = [
            item[0] if pair else f"parameter {i}{_label(p)}"
            for i, (item, pair, p) in enumerate(zip(items, named, self.params))
        ]
        if not self.params:
            raise ValueError("the optimizer got no parameters; pass model.parameters()")
        self.lr = lr
        self.steps = 0

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_real("learning rate", value, low=0.0, low_open=True)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter; on a bad gradient or a non-finite result raise and change nothing."""
        grads = [p.grad for p in self.params]
        try:
            total = sum(grads)  # a Value among them makes this a Value; nan or inf make it non-finite
        except (TypeError, ValueError, ArithmeticError):
            total = None
        if not (type(total) in (float, int) and math.isfinite(total)):  # type: ignore[arg-type]
            self._refuse_gradients(grads)  # raises on the first bad gradient, naming its parameter
            grads = [float(as_number(g)) for g in grads]  # type: ignore[arg-type]  # NumPy numbers: step with floats
        new_data, state = self._propose(grads, self.steps + 1)
        if not (_all_finite(new_data) and all(_all_finite(xs) for xs in state.values())):
            self._refuse_update(grads, new_data, state)
        for p, x in zip(self.params, new_data):  # every check passed: now write
            p.data = x
        for attribute, xs in state.items():
            setattr(self, attribute, xs)
        self.steps += 1

    def _refuse_gradients(self, grads: Sequence[object]) -> None:
        for name, g in zip(self.names, grads):
            if isinstance(g, Value):
                raise TypeError(
                    f"the gradient of {name} is a Value (from backward(create_graph=True)); an optimizer steps "
                    "with numbers: call backward() without create_graph, or set p.grad = p.grad.data first"
                )
            if not is_real(g):
                raise TypeError(f"the gradient of {name} is {shown(g)}, not a number")
            if not math.isfinite(as_number(g)):  # type: ignore[arg-type]
                raise ValueError(f"gradient of {name} is {g}; lower the learning rate or check the loss")

    def _refuse_update(self, grads: list[float], new_data: list[float], state: dict[str, list[float]]) -> None:
        for i, name in enumerate(self.names):
            bad = [k for k, xs in state.items() if not math.isfinite(xs[i])]
            if bad or not math.isfinite(new_data[i]):
                advice, error_type = self._blame(i, grads[i], bad)
                what = (
                    f"its {STATE_NAMES.get(bad[0], bad[0])} {state[bad[0]][i]}" if bad else f"the value {new_data[i]}"
                )
                raise error_type(
                    f"{type(self).__name__} step {self.steps + 1} would give {name} {what} (data "
                    f"{self.params[i].data!r}, grad {grads[i]!r}); {advice}. No parameter was changed"
                )

    @abstractmethod
    def _propose(self, grads: list[float], t: int) -> Proposal:
        """The new value of every parameter and the new state lists, for step ``t``; nothing is written."""

    @abstractmethod
    def _blame(self, i: int, grad: float, bad_state: list[str]) -> tuple[str, type[Exception]]:
        """Which setting to change (as advice) and the error type, when parameter i's update is not finite."""


def _label(p: Value) -> str:
    return f" ({p.label!r})" if p.label else ""


class SGD(Optimizer):
    """p -= lr·g with g = grad + λ·p; with momentum μ, b = μ·b + g (b = g at first) and g = b (Nesterov: g + μ·b)."""

    def __init__(
        self,
        params: Iterable[Value] | Iterable[tuple[str, Value]],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = check_real("momentum", momentum, low=0.0)
        self.weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.nesterov = nesterov
        self.buffers = [0.0] * len(self.params)

    def _propose(self, grads: list[float], t: int) -> Proposal:
        mu, decay, lr, params = self.momentum, self.weight_decay, self.lr, self.params
        if decay:
            grads = [g + decay * p.data for g, p in zip(grads, params)]
        if not mu:
            return [p.data - lr * g for p, g in zip(params, grads)], {}
        buffers = grads if t == 1 else [mu * b + g for b, g in zip(self.buffers, grads)]
        steps = [g + mu * b for g, b in zip(grads, buffers)] if self.nesterov else buffers
        return [p.data - lr * g for p, g in zip(params, steps)], {"buffers": buffers}

    def _blame(self, i: int, grad: float, bad_state: list[str]) -> tuple[str, type[Exception]]:
        if self.weight_decay and not math.isfinite(grad + self.weight_decay * self.params[i].data):
            return f"lower weight_decay = {self.weight_decay:g}", OverflowError
        if bad_state:
            return f"lower momentum = {self.momentum:g} (the momentum buffer overflows)", OverflowError
        return f"lower the learning rate lr = {self.lr:g}", OverflowError


class Adam(Optimizer):
    """m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², p -= lr·m̂ / (√v̂ + eps) with bias-corrected m̂, v̂."""

    def __init__(
        self,
        params: Iterable[Value] | Iterable[tuple[str, Value]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_real("beta1", betas[0], 0.0, 1.0), check_real("beta2", betas[1], 0.0, 1.0))
        self.eps = check_real("eps", eps, low=0.0)
        self.weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _propose(self, grads: list[float], t: int) -> Proposal:
        (beta1, beta2), eps, decay = self.betas, self.eps, self.weight_decay
        step_size = self.lr / (1.0 - beta1**t)  # lr / bias correction 1, as torch computes it
        root_correction = math.sqrt(1.0 - beta2**t)
        rest1, rest2, sqrt, nan = 1.0 - beta1, 1.0 - beta2, math.sqrt, math.nan
        # one pass per list, each a comprehension over parallel lists: the same arithmetic as one loop, in half the time
        data = [p.data for p in self.params]
        if decay:
            grads = [g + decay * x for g, x in zip(grads, data)]
        ms = [m + rest1 * (g - m) for g, m in zip(grads, self.m)]  # = β1·m + (1-β1)·g, as torch's lerp
        vs = [beta2 * v + rest2 * g * g for g, v in zip(grads, self.v)]
        new_data = [
            x - step_size * m / denominator if (denominator := sqrt(v) / root_correction + eps) else nan
            for x, m, v in zip(data, ms, vs)
        ]
        return new_data, {"m": ms, "v": vs}

    def _blame(self, i: int, grad: float, bad_state: list[str]) -> tuple[str, type[Exception]]:
        if self.weight_decay and not math.isfinite(grad + self.weight_decay * self.params[i].data):
            return f"lower weight_decay = {self.weight_decay:g}", OverflowError
        if "v" in bad_state:
            return "the squared gradient overflows Adam's second moment: scale the loss down or clip gradients", (
                OverflowError
            )
        if bad_state:
            return "the gradient overflows Adam's first moment: scale the loss down", OverflowError
        g = grad + self.weight_decay * self.params[i].data
        if self.eps == 0.0 and self.betas[1] * self.v[i] + (1.0 - self.betas[1]) * g * g == 0.0:
            return "eps = 0 divides by a zero second moment: use eps > 0 (the default is 1e-8)", ValueError
        return f"lower the learning rate lr = {self.lr:g}", OverflowError


class LinearDecay:
    """Steps an optimizer with the learning rate lr_t = lr·(1 − t/total_steps) at step t = 0, 1, ..., as microgpt.

    microgpt trains with ``lr_t = learning_rate * (1 - step / num_steps)`` and Adam (β = (0.85, 0.99),
    ε = 1e-8); ``LinearDecay(Adam(params, lr=0.01, betas=(0.85, 0.99)), total_steps=1000)`` steps the same.
    ``step()`` sets ``optimizer.lr`` for the optimizer's next step (t = ``optimizer.steps``), then takes it;
    lr_t never reaches 0 (the last step, t = total_steps − 1, uses lr/total_steps), and a step past the end
    is refused. A step that raises leaves the learning rate, like the parameters, as it was.

    >>> from micrograd_plus import Value
    >>> w = Value(1.0)
    >>> schedule = LinearDecay(SGD([w], lr=0.1), total_steps=4)
    >>> [round(schedule.lr_at(t), 12) for t in range(4)]
    [0.1, 0.075, 0.05, 0.025]
    """

    def __init__(self, optimizer: Optimizer, total_steps: int) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"LinearDecay schedules an optimizer (SGD, Adam), got {shown(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.total_steps = check_count("total_steps", total_steps)

    def lr_at(self, t: int) -> float:
        """lr·(1 − t/total_steps): the learning rate of step t (counting from 0)."""
        return self.base_lr * (1.0 - t / self.total_steps)

    @property
    def lr(self) -> float:
        """The learning rate of the next step (read only: the schedule sets it from ``base_lr`` at every step)."""
        return self.lr_at(self.optimizer.steps)

    @lr.setter
    def lr(self, value: object) -> None:
        raise AttributeError(
            f"a LinearDecay sets the learning rate at every step, so lr = {value!r} would be overwritten; set "
            "base_lr (the rate at step 0, decayed from there) or make a new LinearDecay"
        )

    def zero_grad(self) -> None:
        """The optimizer's ``zero_grad()``: a schedule is used in the training loop where its optimizer was."""
        self.optimizer.zero_grad()

    def step(self) -> None:
        """One optimizer step at the scheduled learning rate."""
        t = self.optimizer.steps
        if t >= self.total_steps:
            raise ValueError(
                f"the schedule's {self.total_steps} steps are done (the optimizer has taken {t}); its learning rate "
                "would be <= 0: make a LinearDecay with a larger total_steps for a longer run"
            )
        before = self.optimizer.lr
        self.optimizer.lr = self.lr_at(t)
        try:
            self.optimizer.step()
        except BaseException:
            self.optimizer.lr = before
            raise
