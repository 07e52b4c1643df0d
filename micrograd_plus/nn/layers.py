"""Feed-forward modules: ``Neuron``, ``Layer``, ``MLP``, ``Dropout`` and the classic ``Perceptron``.

Initialisation (documented so that results can be reproduced): ``init="auto"`` (the default) draws
weights uniformly from [-a, a] with a = √(6 / n_in) for relu-type activations (He) and
a = √(3 / n_in) otherwise (LeCun: variance 1 / n_in); biases start at 0. ``init=`` selects any scheme
of ``micrograd_plus.nn.init`` (``"he_normal"``, ``"xavier_uniform"``, ...; for Xavier a neuron's
fan_out is the width of its layer). Pass ``seed=`` an int for reproducible weights, or a shared
``random.Random``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus import ops
from micrograd_plus._validate import as_list, as_number, check_count, check_real, is_real, shown
from micrograd_plus.engine import Operand, Value, lift
from micrograd_plus.nn.init import check_init, draw_weights, init_scale
from micrograd_plus.nn.module import Module, make_rng, scoped
from micrograd_plus.nn.shapes import lift_number
from micrograd_plus.scopes import Scope, current_scope
from micrograd_plus.tracing import note_state, record_random

__all__ = ["ACTIVATIONS", "MLP", "Dropout", "Layer", "Neuron", "Perceptron"]

# every activation op of the registry (micrograd_plus.ops), as the Value method that applies it, and "linear"
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    **{name: getattr(Value, name) for name, op in ops.BUILTINS.items() if op.kind == "activation"},
    "linear": None,
}

Seed = int | random.Random | None


def check_activation(name: str) -> Callable[[Value], Value] | None:
    """The Value method of an activation by name, None for "linear"; ValueError listing the choices."""
    ops.activation(name)  # refuses unknown names
    return ACTIVATIONS[name]


def check_inputs(owner: str, expected: int, x: Sequence[Operand]) -> tuple[Value, ...]:
    """The inputs as Values, after checking their number: ``ValueError: MLP expects 2 inputs, got 3``."""
    if isinstance(x, (Value, str, bytes)) or is_real(x) or not hasattr(x, "__len__"):
        raise TypeError(f"{owner} expects a list of {expected} inputs, got {shown(x)}")
    if len(x) != expected:
        raise ValueError(f"{owner} expects {expected} inputs, got {len(x)}")
    try:
        return tuple(map(lift, x))  # the per-sample path: Values, ints, floats, NumPy scalars
    except TypeError:  # a 0-d array, or not a number at all: lift_number converts it or names it
        return tuple(lift_number(v, owner, f"input {k}") for k, v in enumerate(x))


def _check_bias(bias: object) -> bool:
    """``bias`` itself if it is True or False; TypeError otherwise (``bias=0`` would read as "no bias" by accident)."""
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True (w·x + b) or False (w·x, no bias parameter), got {shown(bias)}")
    return bias


def _bias_config(has_bias: bool) -> dict[str, bool]:
    """``{"bias": False}`` for a module without bias, else nothing: states saved before ``bias`` existed still load."""
    return {} if has_bias else {"bias": False}


def init_bound(n_in: int, activation: str) -> float:
    """a of the default U(-a, a): √(6 / n_in) for relu-type activations, √(3 / n_in) otherwise."""
    return init_scale("auto", n_in, activation=activation)[1]


class Neuron(Module):
    """act(w·x + b), with ``w·x + b`` as one ``dot`` node; ``fan_out`` only matters to Xavier init.

    ``bias=False`` gives act(w·x): no bias parameter at all (no attribute ``b``), as in microgpt's linear maps.
    """

    def __init__(
        self,
        n_in: int,
        activation: str = "relu",
        seed: Seed = None,
        init: str = "auto",
        fan_out: int = 1,
        bias: bool = True,
    ) -> None:
        self.n_in = check_count("n_in", n_in)
        self.activation = activation
        self._act = check_activation(activation)
        rng = make_rng(seed)
        weights = draw_weights(rng, self.n_in, check_init(init), self.n_in, check_count("fan_out", fan_out), activation)
        self.w = [Value(w) for w in weights]
        self._has_bias = _check_bias(bias)
        if self._has_bias:
            self.b = Value(0.0)

    def config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "activation": self.activation, **_bias_config(self._has_bias)}

    def __call__(self, x: Sequence[Operand]) -> Value:
        with scoped(self):
            return self.forward(check_inputs("Neuron", self.n_in, x))

    def forward(self, xs: Sequence[Value], x_data: Sequence[float] | None = None, scope: Scope | None = None) -> Value:
        """``__call__`` without the input check, for n_in Values (used by ``Layer``, which passes the scope
        its two nodes record: cheaper, per neuron per sample, than entering a scope)."""
        z = F.affine(self.w, xs, self.b, x_data) if self._has_bias else F.dot(self.w, xs)
        out = z if self._act is None else self._act(z)
        if scope is not None:
            z.scope = out.scope = scope
        return out


class Layer(Module):
    """``n_out`` neurons on the same inputs; always returns a list, even of one Value.

    ``bias=False``: y = act(W·x), no neuron has a bias parameter.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "relu",
        seed: Seed = None,
        init: str = "auto",
        bias: bool = True,
    ) -> None:
        self.n_in, self.n_out, self.activation = check_count("n_in", n_in), check_count("n_out", n_out), activation
        check_activation(activation)
        rng = make_rng(seed)
        bias = _check_bias(bias)
        self.neurons = [Neuron(self.n_in, activation, rng, init, self.n_out, bias) for _ in range(self.n_out)]

    def config(self) -> dict[str, Any]:
        return {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation,
            **_bias_config(self.neurons[0]._has_bias),
        }

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        return self.forward(check_inputs("Layer", self.n_in, x))

    def forward(self, xs: Sequence[Value]) -> list[Value]:
        """``__call__`` without the input check, for n_in Values (used by ``MLP``)."""
        x_data = [x.data for x in xs]  # read once, shared by every neuron
        out = []
        with scoped(self):
            layer = current_scope()
            for neuron in self.neurons:  # Neuron.forward, written out: this loop runs per neuron per sample
                z = F.affine(neuron.w, xs, neuron.b, x_data) if neuron._has_bias else F.dot(neuron.w, xs)
                act = neuron._act
                y = z if act is None else act(z)
                z.scope = y.scope = (neuron, layer)  # what ``with scoped(neuron):`` records, without entering it
                out.append(y)
        return out


class Dropout(Module):
    """In training mode zero each input with probability p and scale the rest by 1/(1-p); identity in eval mode."""

    def __init__(self, p: float = 0.5, seed: Seed = None) -> None:
        self.p = check_real("dropout probability p", p, low=0.0, high=1.0)  # in [0, 1); numpy scalars too
        self._rng = make_rng(seed)

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        """x_i · m_i with m_i drawn from the generator; a call that raises leaves the generator where it was."""
        xs = [lift_number(v, "Dropout", f"input {k}") for k, v in enumerate(x)]
        # a replay draws masks only while this reads the same (a Dropout outside the model is in no replay's key)
        if not note_state(lambda: self.training and self.p != 0.0, "a Dropout's mode and p"):
            return xs
        # after the draw only an overflow of x_i / (1 - p) can fail; only then is the generator's state kept
        largest = max((abs(v.data) for v in xs), default=0.0)
        before = None if math.isfinite(largest / (1.0 - self.p)) else self._rng.getstate()
        masks = [Value(m) for m in self._masks(len(xs))]
        try:
            with scoped(self):
                out = [v * m for v, m in zip(xs, masks)]
        except OverflowError:
            if before is not None:
                self._rng.setstate(before)
            raise
        record_random(masks, partial(self._masks, len(xs)))  # a replay draws the next masks the same way
        return out

    def _masks(self, n: int) -> list[float]:
        """n draws: 0 with probability p, else 1/(1-p)."""
        keep, p, draw = 1.0 / (1.0 - self.p), self.p, self._rng.random
        return [0.0 if draw() < p else keep for _ in range(n)]


class MLP(Module):
    """A multi-layer perceptron: ``sizes`` are the widths of the layers after the input.

    >>> model = MLP(2, [4, 1], seed=0)
    >>> len(model.parameters()), len(model([1.0, -1.0]))
    (17, 1)
    """

    def __init__(
        self,
        n_in: int,
        sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        dropout: float = 0.0,
        seed: Seed = None,
        init: str = "auto",
    ) -> None:
        sizes = as_list(sizes)  # type: ignore[assignment]  # a NumPy array of widths, as the list it holds
        if is_real(sizes) or not isinstance(sizes, Sequence) or isinstance(sizes, str) or not sizes:
            raise ValueError(f"sizes must be a non-empty list of layer widths, e.g. [16, 16, 1]; got {shown(sizes)}")
        self.n_in, self.sizes = check_count("n_in", n_in), [check_count("layer size", s) for s in sizes]
        self.activation, self.output_activation = activation, output_activation
        check_activation(output_activation)
        rng = make_rng(seed)
        widths = [self.n_in, *self.sizes]
        acts = [activation] * (len(self.sizes) - 1) + [output_activation]
        self.layers = [Layer(widths[i], widths[i + 1], acts[i], rng, init) for i in range(len(self.sizes))]
        self.dropout = Dropout(dropout, rng)

    def config(self) -> dict[str, Any]:
        return {
            "n_in": self.n_in,
            "sizes": self.sizes,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "dropout": self.dropout.p,
        }

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        h: Sequence[Value] = check_inputs("MLP", self.n_in, x)
        with scoped(self):
            for layer in self.layers[:-1]:
                h = layer.forward(h)
                if self.dropout.training and self.dropout.p:
                    h = self.dropout(h)
            return self.layers[-1].forward(h)


class Perceptron(Module):
    """Rosenblatt's perceptron: predict H(w·x + b) with H(z) = 1 for z >= 0, else 0; learn by mistakes.

    Weights and bias start at 0. ``fit`` applies w ← w + lr·(y - ŷ)·x, b ← b + lr·(y - ŷ)
    after each sample (no autograd: the step has no useful derivative).

    >>> p = Perceptron(2)
    >>> p.fit([[2.0, 1.0], [-1.0, -2.0]], [1, 0], epochs=10)
    [1, 0]
    >>> p.predict([3.0, 3.0]), p.predict([-3.0, -3.0])
    (1, 0)
    """

    def __init__(self, n_in: int) -> None:
        self.n_in = check_count("n_in", n_in)
        self.w = [Value(0.0) for _ in range(self.n_in)]
        self.b = Value(0.0)

    def config(self) -> dict[str, Any]:
        return {"n_in": self.n_in}

    def __call__(self, x: Sequence[Operand]) -> Value:
        """The pre-activation w·x + b, as a Value."""
        xs = check_inputs("Perceptron", self.n_in, x)
        with scoped(self):
            return F.affine(self.w, xs, self.b)

    def predict(self, x: Sequence[Operand]) -> int:
        return 1 if self(x).data >= 0.0 else 0

    def fit(
        self,
        X: Sequence[Sequence[float]],
        y: Sequence[int],
        epochs: int = 100,
        lr: float = 1.0,
        seed: int | None = None,
    ) -> list[int]:
        """Run the perceptron learning rule; return the mistakes made in each epoch.

        Stops after the first epoch without mistakes (later epochs would change
        nothing). With ``seed`` the samples are visited in a fresh shuffled order
        each epoch; without it, in the order given.
        """
        epochs = check_count("epochs", epochs)
        lr = check_real("learning rate", lr, low=0.0, low_open=True)
        if len(X) != len(y) or not X:
            raise ValueError(f"fit needs as many labels as samples (at least one), got {len(X)} and {len(y)}")
        bad = [label for label in y if not is_real(label) or as_number(label) not in (0, 1)]
        if bad:
            raise ValueError(f"perceptron labels must be 0 or 1, got {shown(bad[0])}")
        y = [int(as_number(label)) for label in y]  # type: ignore[call-overload]
        rows = [[v.data for v in check_inputs("Perceptron", self.n_in, x_i)] for x_i in X]
        order = list(range(len(rows)))
        rng = make_rng(seed)
        params = [*self.w, self.b]
        start = [p.data for p in params]  # restored if an update overflows
        mistakes = []
        for epoch in range(epochs):
            if seed is not None:
                rng.shuffle(order)
            count = 0
            for i in order:
                error = y[i] - self.predict(rows[i])  # +1, 0 or -1
                if error:
                    count += 1
                    new = [w.data + lr * error * x for w, x in zip(self.w, rows[i])] + [self.b.data + lr * error]
                    if not math.isfinite(sum(new)) and not all(map(math.isfinite, new)):
                        for p, x in zip(params, start):
                            p.data = x
                        j = next(j for j, v in enumerate(new) if not math.isfinite(v))
                        raise OverflowError(
                            f"Perceptron.fit: the update for sample {i} in epoch {epoch + 1} makes "
                            f"{f'w.{j}' if j < self.n_in else 'b'} {new[j]}; lower lr = {lr:g} or scale the inputs "
                            "down (the weights are as they were before fit)"
                        )
                    for p, v in zip(params, new):
                        p.data = v
            mistakes.append(count)
            if count == 0:
                break
        return mistakes
