"""Exercises of the tool lessons: drawing, gradient checking, compiled replay, higher-order derivatives."""

from __future__ import annotations

from micrograd_plus.autodiff import grad
from micrograd_plus.check.values import central_difference
from micrograd_plus.compile.program import compile_graph
from micrograd_plus.engine import Value
from micrograd_plus.exercises.checking import Answer, Exercise
from micrograd_plus.nn import MLP, Neuron

__all__ = ["EXERCISES"]


def _neuron_node_count() -> Answer:
    xs = [Value(x) for x in (0.5, -1.0, 2.0)]
    return len(Neuron(3, activation="tanh", seed=0)(xs).topological_order())


def _mlp_parameter_count() -> Answer:
    return len(MLP(2, [3, 3, 1], seed=1).parameters())


def _cube_central_difference() -> Answer:
    return central_difference(lambda x: x**3, [1.0], 0, eps=0.1)


def _cube_truncation_error() -> Answer:
    x = Value(1.0)
    (x**3).backward()
    return central_difference(lambda t: t**3, [1.0], 0, eps=0.1) - x.grad


def _relu_replays() -> Answer:
    w = Value(1.0)
    compiled = compile_graph((w * 3.0).relu(), [w])
    return [compiled.value_and_grad([at])[1][0] for at in (-1.0, 2.0)]


def _neuron_replay() -> Answer:
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2, b = Value(-3.0), Value(1.0), Value(6.8813735870195432)
    compiled = compile_graph((x1 * w1 + x2 * w2 + b).tanh(), [w1, w2, b])
    return compiled.value_and_grad([-2.0, 1.0, 6.8813735870195432])[1][0]  # replayed, not rebuilt


def _second_derivative() -> Answer:
    return float(grad(grad(lambda x: x * x.sin()))(0.0))


def _newton_step() -> Answer:
    def f(x: Value) -> Value:
        return x**4 - 3 * x**3 + 2

    return 4.0 - float(grad(f)(4.0)) / float(grad(grad(f))(4.0))


EXERCISES = (
    Exercise(
        "drawing.neuron-nodes",
        "How many nodes (values and ops) has the graph of Neuron(3, 'tanh') applied to 3 inputs?",
        _neuron_node_count,
        0,
        0,
    ),
    Exercise(
        "drawing.mlp-parameters", "How many parameter leaves does MLP(2, [3, 3, 1]) draw?", _mlp_parameter_count, 0, 0
    ),
    Exercise(
        "gradcheck.central-difference",
        "The central difference of f(x) = x³ at x = 1 with h = 0.1?",
        _cube_central_difference,
    ),
    Exercise(
        "gradcheck.truncation-error",
        "By how much does that central difference exceed f′(1)? (the truncation error)",
        _cube_truncation_error,
    ),
    Exercise(
        "compiled.relu-replays",
        "Compile relu(3w); what gradients does it replay at w = −1 and at w = 2, as [at −1, at 2]?",
        _relu_replays,
    ),
    Exercise(
        "compiled.neuron-replay",
        "Replay the compiled neuron tanh(x1·w1 + x2·w2 + b) at w1 = −2 (w2 = 1, b as before): ∂o/∂w1?",
        _neuron_replay,
    ),
    Exercise("higher-order.second-derivative", "What is d²/dx² (x sin x) at x = 0?", _second_derivative),
    Exercise(
        "higher-order.newton-step",
        "One Newton step x − f′(x)/f″(x) on f(x) = x⁴ − 3x³ + 2 from x = 4: the new x?",
        _newton_step,
    ),
)
