"""The matrix view of backprop: an MLP's gradients from its layer matrices, checked against ``backward()``.

For layers l = 1..L with weight matrix W⁽ˡ⁾ (row i = neuron i's weights), bias b⁽ˡ⁾ and activation σ:

    forward    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = σ(z⁽ˡ⁾),   a⁽⁰⁾ = x
    output     δ⁽ᴸ⁾ = ∂L/∂a⁽ᴸ⁾ ⊙ σ′(z⁽ᴸ⁾)
    backward   δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ σ′(z⁽ˡ⁾)
    gradients  ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ,   ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾

``explain_layers(model, x, target)`` computes all of these with plain float matrices, runs the same
forward pass and loss through the scalar graph and ``backward()``, and compares every entry of
∂L/∂W⁽ˡ⁾ and ∂L/∂b⁽ˡ⁾ with the ``.grad`` that backward left on each weight: a mismatch is a bug,
and is reported. The scalar graph has one ``dot`` node per neuron; the matrix view is the same
arithmetic, grouped by layer.

For one ``Neuron`` with L = ½(y − ŷ)² it also shows the delta rule, δ = (y − ŷ)·f′(z) and
Δw = η·δ·x: since ∂L/∂w = −(y − ŷ)·f′(z)·x, the delta rule's step is exactly −η·∂L/∂w.

>>> from micrograd_plus.nn import MLP
>>> report = explain_layers(MLP(2, [3, 1], seed=0), [1.0, -0.5], [0.25])
>>> report.ok, report.checked
(True, 13)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from micrograd_plus import losses, ops
from micrograd_plus._validate import as_number, check_real, is_real, is_whole, shown
from micrograd_plus.engine import Value
from micrograd_plus.nn.layers import MLP, Layer, Neuron
from micrograd_plus.viz.tables import SummarisedTable

__all__ = ["DeltaRule", "LayerExplanation", "LayerStep", "Mismatch", "explain_layers"]

Vector = list[float]
Matrix = list[list[float]]
LOSSES = ("mse", "half_sse", "cross_entropy")
LayerData = tuple[Matrix, Vector, str, list[Value], list[Value]]  # W, b, activation, weight Values, bias Values
_OUTPUT_RULES = {
    "mse": "2(a{0} − y)/n",
    "half_sse": "a{0} − y",
    "cross_entropy": "softmax(a{0}) − onehot(y)",
}
# the delta rule's step as a multiple of the gradient: L = ½(y − ŷ)² gives −η·∂L/∂w; L = (y − ŷ)² twice that
_STEP = {"half_sse": "−η·", "mse": "−(η/2)·"}
_STEP_FACTOR = {"half_sse": 1.0, "mse": 0.5}


def derivative(activation: str, z: float) -> float:
    """σ′(z) for an activation by name, by its registry rule (relu 1/0, tanh 1 − tanh², ...); 1 for linear."""
    op = ops.activation(activation)
    return 1.0 if op is None else op.local_grads((z,), op.evaluate(z))[0]


def activate(activation: str, z: float) -> float:
    """σ(z) as a plain number, by name."""
    op = ops.activation(activation)
    return z if op is None else op.evaluate(z)


@dataclass(frozen=True)
class LayerStep:
    """One layer's matrices and vectors: the forward pass, δ⁽ˡ⁾, the formula gradients and backward's."""

    index: int
    activation: str
    weight: Matrix
    bias: Vector
    inputs: Vector  # a⁽ˡ⁻¹⁾
    z: Vector
    a: Vector
    slope: Vector  # σ′(z⁽ˡ⁾)
    delta: Vector
    grad_weight: Matrix  # δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ
    grad_bias: Vector
    backward_weight: Matrix  # what backward() put in .grad
    backward_bias: Vector


@dataclass(frozen=True)
class Mismatch:
    """A gradient entry where the matrix formula and ``backward()`` disagree."""

    name: str
    formula: float
    backward: float


@dataclass(frozen=True)
class DeltaRule:
    """One neuron's delta rule: δ = (y − ŷ)·f′(z), Δw = η·δ·x, Δb = η·δ (the step −η·∂L/∂w for L = ½(y − ŷ)²)."""

    expected: float
    actual: float
    slope: float
    delta: float
    learning_rate: float
    step_weights: Vector
    step_bias: float


def superscript(n: int) -> str:
    """⁽ⁿ⁾ for a layer number: superscript(12) == '⁽¹²⁾'."""
    return "⁽" + str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")) + "⁾"


def _layers(model: MLP | Layer | Neuron) -> list[LayerData]:
    """(W, b, activation, weight Values row by row, bias Values) for each layer of the model."""
    if isinstance(model, Neuron):
        neurons = [[model]]
        activations = [model.activation]
    elif isinstance(model, Layer):
        neurons, activations = [model.neurons], [model.activation]
    elif isinstance(model, MLP):
        if model.dropout.training and model.dropout.p:
            raise ValueError("explain_layers needs a deterministic forward pass: call model.eval() to turn dropout off")
        neurons = [layer.neurons for layer in model.layers]
        activations = [layer.activation for layer in model.layers]
    else:
        raise TypeError(f"explain_layers explains a Neuron, Layer or MLP, got {type(model).__name__}")
    out = []
    for row, activation in zip(neurons, activations):
        weights = [w for n in row for w in n.w]
        out.append(
            ([[w.data for w in n.w] for n in row], [n.b.data for n in row], activation, weights, [n.b for n in row])
        )
    return out


def _output_gradient(loss: str, a: Vector, target: Sequence[float] | int) -> Vector:
    """∂L/∂a⁽ᴸ⁾: 2(a − y)/n for mse, a − y for ½·Σ(a − y)², softmax(a) − onehot(t) for cross-entropy on logits."""
    if loss == "cross_entropy":
        top = max(a)
        exps = [math.exp(v - top) for v in a]
        total = sum(exps)
        return [e / total - (1.0 if i == target else 0.0) for i, e in enumerate(exps)]
    ys = list(target)  # type: ignore[arg-type]
    scale = 2.0 / len(a) if loss == "mse" else 1.0
    return [scale * (ai - yi) for ai, yi in zip(a, ys)]


def _check_target(loss: str, target: object, n_out: int, last_activation: str) -> Sequence[float] | int:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))}")
    if loss == "cross_entropy":
        if last_activation != "linear" or n_out < 2:
            raise ValueError("cross_entropy needs a linear output layer of at least 2 logits (softmax is in the loss)")
        index = int(as_number(target)) if is_whole(target) else -1  # type: ignore[call-overload]
        if not 0 <= index < n_out:
            raise ValueError(f"cross_entropy target must be a class index in 0..{n_out - 1}, got {shown(target)}")
        return index
    ys = [target] if is_real(target) else target
    if not isinstance(ys, (list, tuple)) or len(ys) != n_out:
        raise ValueError(f"{loss} needs {n_out} target value(s), one per output, got {shown(target)}")
    return [check_real(f"{loss} target {k}", y) for k, y in enumerate(ys)]


def _number(x: float, fmt: str) -> str:
    return format(x, fmt)


def _vector(v: Vector, fmt: str) -> str:
    return "[" + ", ".join(_number(x, fmt) for x in v) + "]"


def _matrix(m: Matrix, fmt: str) -> str:
    return "[" + "; ".join(", ".join(_number(x, fmt) for x in row) for row in m) + "]"


@dataclass(frozen=True)
class LayerExplanation(SummarisedTable):
    """The matrix view of one forward and backward pass, and how it compares with ``backward()``."""

    architecture: str
    loss_name: str
    loss_value: float
    layers: tuple[LayerStep, ...]
    mismatches: tuple[Mismatch, ...]
    checked: int
    rel_tol: float
    output_gradient: Vector  # ∂L/∂a⁽ᴸ⁾
    delta_rule: DeltaRule | None = None
    fmt: str = ".4g"

    @property
    def ok(self) -> bool:
        """True when every entry of ∂L/∂W⁽ˡ⁾ and ∂L/∂b⁽ˡ⁾ equals backward's ``.grad``."""
        return not self.mismatches

    def summary(self) -> str:
        verdict = (
            f"all {self.checked} gradient entries equal backward()'s .grad (rel. tol {self.rel_tol:g})"
            if self.ok
            else f"{len(self.mismatches)} of {self.checked} gradient entries DIFFER from backward()'s .grad: "
            + ", ".join(f"{m.name} formula {m.formula:.6g} vs backward {m.backward:.6g}" for m in self.mismatches[:5])
        )
        return f"{self.architecture}, loss {self.loss_name} = {_number(self.loss_value, self.fmt)}: {verdict}"

    def rows(self) -> tuple[list[str], list[list[str]]]:
        f, last = self.fmt, len(self.layers)
        body: list[list[str]] = []
        for s in self.layers:
            n, p = superscript(s.index), superscript(s.index - 1)
            body += [
                [f"{s.index}", f"W{n}", "rows = the neurons' weights", _matrix(s.weight, f)],
                [f"{s.index}", f"b{n}", "the neurons' biases", _vector(s.bias, f)],
                [f"{s.index}", f"z{n}", f"W{n} a{p} + b{n}", _vector(s.z, f)],
                [f"{s.index}", f"a{n}", f"{s.activation}(z{n})", _vector(s.a, f)],
            ]
        top = superscript(last)
        body.append(
            [str(last), f"∂L/∂a{top}", _OUTPUT_RULES[self.loss_name].format(top), _vector(self.output_gradient, f)]
        )
        for s in reversed(self.layers):
            n, p, q = superscript(s.index), superscript(s.index - 1), superscript(s.index + 1)
            source = f"∂L/∂a{n} ⊙ σ′(z{n})" if s.index == last else f"(W{q}ᵀ δ{q}) ⊙ σ′(z{n})"
            body += [
                [f"{s.index}", f"σ′(z{n})", f"{s.activation}′(z{n})", _vector(s.slope, f)],
                [f"{s.index}", f"δ{n}", source, _vector(s.delta, f)],
                [f"{s.index}", f"∂L/∂W{n}", f"δ{n} a{p}ᵀ", _matrix(s.grad_weight, f)],
                [f"{s.index}", f"∂L/∂b{n}", f"δ{n}", _vector(s.grad_bias, f)],
            ]
        rule = self.delta_rule
        if rule is not None:
            body += [
                ["", "δ (delta rule)", f"(y − ŷ)·f′(z) = ({_number(rule.expected, f)} − {_number(rule.actual, f)})"
                 f"·{_number(rule.slope, f)}", _number(rule.delta, f)],
                ["", "Δw", f"η·δ·x with η = {_number(rule.learning_rate, f)}  (= {_STEP[self.loss_name]}∂L/∂w)",
                 _vector(rule.step_weights, f)],
                ["", "Δb", f"η·δ  (= {_STEP[self.loss_name]}∂L/∂b)", _number(rule.step_bias, f)],
            ]  # fmt: skip
        return ["layer", "quantity", "formula", "value"], body


def _forward(layers: list[LayerData], x: Vector) -> list[Vector]:
    """[a⁽⁰⁾, z⁽¹⁾, a⁽¹⁾, z⁽²⁾, ...]: z = W a + b and a = σ(z), in plain floats."""
    out, a = [x], x
    for weight, bias, activation, _, _ in layers:
        z = [sum(w * ai for w, ai in zip(row, a)) + b for row, b in zip(weight, bias)]
        a = [activate(activation, zi) for zi in z]
        out += [z, a]
    return out


def _scalar_backward(model: MLP | Layer | Neuron, xs: Vector, goal: Sequence[float] | int, loss: str) -> float:
    """The loss through the scalar graph, after zero_grad(), then backward(): returns the loss value."""
    outputs = model(xs)
    predictions = [outputs] if isinstance(outputs, Value) else list(outputs)
    if loss == "cross_entropy":
        loss_node = losses.cross_entropy(predictions, goal)  # type: ignore[arg-type]
    else:
        loss_node = losses.mse(predictions, goal, reduction="mean" if loss == "mse" else "sum")
        loss_node = loss_node if loss == "mse" else loss_node * 0.5
    model.zero_grad()
    loss_node.backward()
    return loss_node.data


def _deltas(layers: list[LayerData], values: list[Vector], upstream: Vector) -> list[Vector]:
    """δ⁽ᴸ⁾ = ∂L/∂a⁽ᴸ⁾ ⊙ σ′(z⁽ᴸ⁾), then δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ σ′(z⁽ˡ⁾) down to l = 1."""
    deltas: list[Vector] = []
    for index in range(len(layers), 0, -1):
        weight, _, activation, _, _ = layers[index - 1]
        slope = [derivative(activation, z) for z in values[2 * index - 1]]
        delta = [u * s for u, s in zip(upstream, slope)]
        deltas.insert(0, delta)
        upstream = [sum(weight[i][j] * delta[i] for i in range(len(delta))) for j in range(len(weight[0]))]  # Wᵀ δ
    return deltas


class _Checker:
    """Counts compared entries and keeps those where |formula − backward| > rel_tol·max(|formula|, |backward|)."""

    def __init__(self, rel_tol: float) -> None:
        self.rel_tol, self.checked = rel_tol, 0
        self.mismatches: list[Mismatch] = []

    def compare(self, name: str, formula: float, backward: float) -> None:
        self.checked += 1
        if abs(formula - backward) > self.rel_tol * max(abs(formula), abs(backward)) + 1e-15:
            self.mismatches.append(Mismatch(name, formula, backward))


def _layer_step(index: int, layer: LayerData, values: list[Vector], delta: Vector, checker: _Checker) -> LayerStep:
    """Layer ``index``'s gradients δ aᵀ and δ, compared entry by entry with its weights' .grad."""
    weight, bias, activation, w_nodes, b_nodes = layer
    inputs, z, a = values[2 * index - 2], values[2 * index - 1], values[2 * index]
    grad_w = [[d * ai for ai in inputs] for d in delta]  # δ aᵀ, an outer product
    width, n = len(inputs), superscript(index)
    back_w = [[w_nodes[i * width + j].grad for j in range(width)] for i in range(len(delta))]
    back_b = [b.grad for b in b_nodes]
    for i in range(len(delta)):
        for j in range(width):
            checker.compare(f"∂L/∂W{n}[{i}][{j}]", grad_w[i][j], back_w[i][j])
        checker.compare(f"∂L/∂b{n}[{i}]", delta[i], back_b[i])
    slope = [derivative(activation, zi) for zi in z]
    return LayerStep(index, activation, weight, bias, inputs, z, a, slope, delta, grad_w, delta, back_w, back_b)


def _delta_rule(neuron: Neuron, xs: Vector, expected: float, step: LayerStep, learning_rate: float, loss: str,
                checker: _Checker) -> DeltaRule:  # fmt: skip
    """δ = (y − ŷ)·f′(z), Δw = η·δ·x, Δb = η·δ, each step compared with −η·∂L/∂w (or −η/2 for (y − ŷ)²)."""
    actual, slope = step.a[0], step.slope[0]
    delta = (expected - actual) * slope
    rule = DeltaRule(expected, actual, slope, delta, learning_rate, [learning_rate * delta * v for v in xs],
                     learning_rate * delta)  # fmt: skip
    factor = -learning_rate * _STEP_FACTOR[loss]
    for j, (change, w) in enumerate(zip(rule.step_weights, neuron.w)):
        checker.compare(f"Δw[{j}]", change, factor * w.grad)
    checker.compare("Δb", rule.step_bias, factor * neuron.b.grad)
    return rule


def explain_layers(
    model: MLP | Layer | Neuron,
    x: Sequence[float],
    target: Sequence[float] | float | int,
    loss: str = "mse",
    learning_rate: float = 0.1,
    rel_tol: float = 1e-9,
    fmt: str = ".4g",
) -> LayerExplanation:
    """δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ σ′(z⁽ˡ⁾) and ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ for one sample, checked against backward().

    ``loss`` is ``"mse"`` (mean over the outputs of (ŷ − y)²), ``"half_sse"`` (½·Σ(ŷ − y)², the delta
    rule's loss) or ``"cross_entropy"`` (``target`` a class index, the output layer linear logits).
    The model's gradients are zeroed, then ``loss.backward()`` runs on its scalar graph. For a
    ``Neuron`` the delta rule's step with learning rate η = ``learning_rate`` is shown and checked too.
    """
    layers = _layers(model)
    goal = _check_target(loss, target, len(layers[-1][1]), layers[-1][2])
    n_in = len(layers[0][0][0])
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence) or len(x) != n_in:
        raise ValueError(f"explain_layers needs x as a list of {n_in} numbers, got {x!r:.60}")
    learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_open=True)
    rel_tol = check_real("rel_tol", rel_tol, low=0.0, low_open=True)
    format(1.5, fmt)  # a bad format spec fails here, before any work
    xs = [check_real(f"x[{k}]", v) for k, v in enumerate(x)]
    loss_value = _scalar_backward(model, xs, goal, loss)
    values = _forward(layers, xs)  # [a⁽⁰⁾, z⁽¹⁾, a⁽¹⁾, ...] in plain floats
    output_gradient = _output_gradient(loss, values[-1], goal)
    checker = _Checker(rel_tol)
    deltas = _deltas(layers, values, output_gradient)
    steps = tuple(_layer_step(i, layer, values, d, checker) for i, (layer, d) in enumerate(zip(layers, deltas), 1))
    rule = None
    if isinstance(model, Neuron) and loss != "cross_entropy":
        rule = _delta_rule(model, xs, float(goal[0]), steps[0], learning_rate, loss, checker)  # type: ignore[index]
    widths = " → ".join(str(n) for n in [n_in, *(len(layer[1]) for layer in layers)])
    return LayerExplanation(
        f"{type(model).__name__} {widths}", loss, loss_value, steps, tuple(checker.mismatches), checker.checked,
        rel_tol, output_gradient, rule, fmt,
    )  # fmt: skip
