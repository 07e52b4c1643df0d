"""The default backprop exercise: one tanh neuron's squared error plus a penalty on one of its weights.

``L = (tanh(w1·x1 + b + w2·x2) − y)² + w2²`` at x1 = 2, x2 = −1, w1 = −0.5, w2 = 0.75, b = 0.5, y = 1.
It is small enough to do by hand (9 steps, 15 chain-rule products) and built so that every mistake the
exercise page names can happen in it: the upstream gradients below the square are not 1 (forgetting
one changes the answer), tanh's local derivative differs from its value, ``w2`` is used twice with
different products (assigning instead of adding, or leaving one out, changes the answer), and the
local derivative of ``w2·x2`` with respect to ``w2`` is not ``w2``'s own value.

>>> root, params, inputs = exercise_graph()
>>> root.label, [p.label for p in params], [x.label for x in inputs]
('L', ['w1', 'w2', 'b'], ['x1', 'x2', 'y'])
>>> root.backward(); round(params[1].grad, 3)
2.537
"""

from __future__ import annotations

from micrograd_plus.engine import Value

__all__ = ["EXERCISE_FORMULA", "EXERCISE_POINT", "exercise_graph"]

EXERCISE_FORMULA = "(tanh(w1*x1 + b + w2*x2) - y)**2 + w2**2"
EXERCISE_POINT = {"x1": 2.0, "x2": -1.0, "w1": -0.5, "w2": 0.75, "b": 0.5, "y": 1.0}


def exercise_graph() -> tuple[Value, list[Value], list[Value]]:
    """The exercise's loss ``L`` (not yet backpropagated), its parameters [w1, w2, b] and inputs [x1, x2, y]."""
    x1, x2, w1, w2, b, y = (Value(EXERCISE_POINT[k], label=k) for k in ("x1", "x2", "w1", "w2", "b", "y"))
    n = (w1 * x1 + b + w2 * x2).named("n")
    o = n.tanh().named("o")
    e = (o - y).named("e")
    return (e**2 + w2**2).named("L"), [w1, w2, b], [x1, x2, y]
