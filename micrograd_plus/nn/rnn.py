"""Recurrent modules: ``RNNCell`` (one step) and ``RNN`` (a whole sequence, unrolled).

Backprop through time is plain ``backward()`` on the unrolled graph (iterative,
so 1,000 steps are fine); ``truncate=k`` detaches the hidden state every k steps.
With ``init="auto"`` (the default) weights are drawn uniformly from [-1/√n_hidden, 1/√n_hidden]
(as PyTorch's RNN does); any other scheme of ``micrograd_plus.nn.init`` uses, for the cell,
fan_in = n_in + n_hidden (the length of each hidden unit's dot product) and fan_out = n_hidden, and
for the output weights fan_in = n_hidden, fan_out = n_out. Biases start at 0.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any, NamedTuple

from micrograd_plus import functional as F
from micrograd_plus._validate import check_count, is_real, shown
from micrograd_plus.engine import Operand, Value
from micrograd_plus.nn.init import check_init, draw_weights
from micrograd_plus.nn.layers import Seed, check_activation, check_inputs
from micrograd_plus.nn.module import Module, make_rng, scoped

__all__ = ["RNN", "RNNCell", "RNNOutput"]


def _row(rng: random.Random, count: int, init: str, fan_in: int, n_hidden: int) -> list[Value]:
    """One row of weights: U(±1/√n_hidden) for "auto", else the named scheme with fan_out = n_hidden."""
    if check_init(init) == "auto":
        bound = 1.0 / math.sqrt(n_hidden)
        return [Value(rng.uniform(-bound, bound)) for _ in range(count)]
    return [Value(w) for w in draw_weights(rng, count, init, fan_in, n_hidden)]


def _output_row(rng: random.Random, n_hidden: int, init: str, n_out: int) -> list[Value]:
    if init == "auto":
        return _row(rng, n_hidden, init, n_hidden, n_hidden)
    return [Value(w) for w in draw_weights(rng, n_hidden, init, n_hidden, n_out)]


class RNNCell(Module):
    """h_t = act(W_xh·x_t + W_hh·h_{t-1} + b_h), one ``dot`` node per hidden unit."""

    def __init__(
        self, n_in: int, n_hidden: int, activation: str = "tanh", seed: Seed = None, init: str = "auto"
    ) -> None:
        self.n_in, self.n_hidden = check_count("n_in", n_in), check_count("n_hidden", n_hidden)
        self.activation = activation
        self._act = check_activation(activation)
        rng = make_rng(seed)
        n_in, n_hidden = self.n_in, self.n_hidden
        self.w_xh = [_row(rng, n_in, init, n_in + n_hidden, n_hidden) for _ in range(n_hidden)]
        self.w_hh = [_row(rng, n_hidden, init, n_in + n_hidden, n_hidden) for _ in range(n_hidden)]
        self.b_h = [Value(0.0) for _ in range(n_hidden)]

    def config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "n_hidden": self.n_hidden, "activation": self.activation}

    def __call__(self, x: Sequence[Operand], h: Sequence[Operand]) -> list[Value]:
        xs = check_inputs("RNNCell", self.n_in, x)
        hs = check_inputs("RNNCell hidden state", self.n_hidden, h)
        inputs = xs + hs  # [x_t; h_{t-1}], against the row [W_xh_i; W_hh_i]
        data = [v.data for v in inputs]
        with scoped(self):
            out = [F.affine((*wx, *wh), inputs, b, data) for wx, wh, b in zip(self.w_xh, self.w_hh, self.b_h)]
            return out if self._act is None else [self._act(o) for o in out]


class RNNOutput(NamedTuple):
    outputs: list[list[Value]]  # y_t for each step
    hidden: list[list[Value]]  # h_t for each step


class RNN(Module):
    """An Elman RNN over a sequence: h_t = tanh(W_xh·x_t + W_hh·h_{t-1} + b_h), y_t = W_hy·h_t + b_y.

    >>> rnn = RNN(1, 3, 1, seed=0)
    >>> out = rnn([[0.5], [0.1], [-0.2]])
    >>> len(out.outputs), len(out.hidden[-1])
    (3, 3)
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        n_out: int,
        activation: str = "tanh",
        seed: Seed = None,
        init: str = "auto",
    ) -> None:
        rng = make_rng(seed)
        self.cell = RNNCell(n_in, n_hidden, activation, rng, init)
        self.n_out = check_count("n_out", n_out)
        # "auto" keeps U(±1/√n_hidden) here too; the named schemes see fan_in = n_hidden, fan_out = n_out
        self.w_hy = [_output_row(rng, self.cell.n_hidden, init, self.n_out) for _ in range(self.n_out)]
        self.b_y = [Value(0.0) for _ in range(self.n_out)]

    def config(self) -> dict[str, Any]:
        return {**self.cell.config(), "n_out": self.n_out}

    def __call__(
        self,
        xs: Sequence[Sequence[Operand]],
        h0: Sequence[Operand] | None = None,
        truncate: int | None = None,
    ) -> RNNOutput:
        """Run over the sequence ``xs`` (one input vector per step) from ``h0`` (zeros by default)."""
        if isinstance(xs, (Value, str, bytes)) or is_real(xs) or not hasattr(xs, "__len__") or not len(xs):
            raise ValueError(f"RNN expects a non-empty sequence of input vectors, got {shown(xs)}")
        if truncate is not None:
            check_count("truncate", truncate)
        h: Sequence[Operand] = [0.0] * self.cell.n_hidden if h0 is None else h0
        outputs, hidden = [], []
        with scoped(self):
            for t, x in enumerate(xs):
                if truncate and t and t % truncate == 0:
                    h = [v.detach() if isinstance(v, Value) else v for v in h]  # gradients stop here
                with scoped(f"step {t}"):
                    h = self.cell(x, h)
                    h_data = [v.data for v in h]
                    outputs.append([F.affine(w, h, b, h_data) for w, b in zip(self.w_hy, self.b_y)])
                hidden.append(h)
        return RNNOutput(outputs, hidden)
