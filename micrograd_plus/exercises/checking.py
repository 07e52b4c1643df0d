"""Checking an answer: the ``Exercise`` record, its comparison rule and the ``AnswerCheck`` it gives.

The expected answer is never stored: each exercise holds a function that computes it
with the library, so a lesson's answer moves with the library that the lesson teaches.

A wrong answer gets a hint when it shows a known misconception: the right size with the
wrong sign, or, for a question about a derivative, a value of the computation (the
function's output, a step in between, an input) typed where its derivative is asked
(tanh(0.5) for tanh′(0.5), w2 for ∂o/∂w2), a sum that leaves out a path of an input used
more than once (or keeps only the last, = for +=), or the derivative of a step in between
without its upstream gradient. These two need the computation itself, which an exercise gives as ``graph``
(``GRAPHS`` holds it for the course's exercises defined without one). Text that is a number
("13", " -0.5", "1e-3") is read as that number. Positions in messages count from 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from micrograd_plus import functional as F
from micrograd_plus import losses
from micrograd_plus._validate import as_number, is_real
from micrograd_plus.engine import Value
from micrograd_plus.viz.explain import explain_backward, forward_expression

__all__ = [
    "GRAPHS",
    "Answer",
    "AnswerCheck",
    "Exercise",
    "Graph",
    "compare",
    "forgot_upstream",
    "missed_path",
    "value_instead_of_derivative",
]

Answer = float | int | Value | Sequence["Answer"]
Graph = Callable[[], tuple[Value, Value]]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its question and ``solve()``, the library computation whose result is the answer.

    ``graph``, for a question about a derivative, builds the computation it is about at the
    question's point and returns its output and the input the derivative is taken with
    respect to (inputs labelled as the question names them), so that a value of it typed as
    the answer is recognised as a value, and a sum that misses a path as a missed path.
    """

    exercise_id: str
    question: str
    solve: Callable[[], Answer]
    rel_tol: float = 1e-3
    abs_tol: float = 1e-6
    graph: Graph | None = None


@dataclass(frozen=True)
class AnswerCheck:
    """The verdict on one answer: ``status`` is "correct", "wrong" or "not answered"; true only if correct."""

    exercise_id: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return self.message


def _from_text(text: str, where: str) -> float:
    """A number typed as text ("13", " -0.5 ", "1e-3", "−2" with the minus sign of printed text) as a float."""
    cleaned = text.strip().replace("\u2212", "-")
    try:
        return float(cleaned)
    except ValueError:
        pass
    if "/" in cleaned:
        fix = f"write the fraction without quotes ({cleaned}) or as a decimal"
    elif "," in cleaned:
        fix = "write the decimal point as '.', and a list as a Python list, e.g. [0.5, -1]"
    else:
        fix = "give the number itself (e.g. 0.25) or text that is one (e.g. '0.25', '-0.5', '1e-3')"
    raise TypeError(f"{where} must be a number, got text {text!r}, which is not one; {fix}")


def _flatten(answer: object, where: str) -> tuple[list[float], tuple[int, ...]]:
    """The numbers of an answer in reading order, and its shape (``()`` for one number)."""
    if isinstance(answer, Value):
        return [answer.data], ()
    if is_real(answer):  # int, float, NumPy scalars and 0-d arrays
        return [float(as_number(answer))], ()  # type: ignore[arg-type]
    if isinstance(answer, str):
        return [_from_text(answer, where)], ()
    if isinstance(answer, (list, tuple)) and answer:
        parts = [_flatten(item, f"{where}[{i}]") for i, item in enumerate(answer)]
        shapes = {shape for _, shape in parts}
        if len(shapes) == 1:
            return [x for values, _ in parts for x in values], (len(answer), *shapes.pop())
        raise ValueError(f"{where} is a ragged list (its items have shapes {sorted(shapes)}); give a rectangular list")
    raise TypeError(
        f"{where} must be a number, a Value or a list of numbers, got {type(answer).__name__} {answer!r}; "
        "write the number itself (e.g. 0.25) or text that is one (e.g. '0.25')"
    )


def _shape_text(shape: tuple[int, ...]) -> str:
    return "one number" if not shape else "a list of shape " + " x ".join(map(str, shape))


def _position(flat: int, shape: tuple[int, ...]) -> str:
    """Where the ``flat``-th number (from 0) of a list of ``shape`` is, counted from 1: 'position 2', 'row 1,
    column 3', 'position (1, 2, 1)'."""
    index = []
    for size in reversed(shape):
        flat, k = divmod(flat, size)
        index.append(k + 1)
    index.reverse()
    if len(index) == 1:
        return f"position {index[0]}"
    if len(index) == 2:
        return f"row {index[0]}, column {index[1]}"
    return f"position ({', '.join(map(str, index))})"


def _describe(node: Value) -> str:
    """A node as a student reads it: its label, a constant's number, or its formula ('tanh(x)', 'a * b + a')."""
    if node.label:
        return node.label
    if not node.parents:
        return format(node.data, "g")
    return forward_expression(node, lambda p: _describe(p) if p.label or not p.parents else f"({_describe(p)})")


def value_instead_of_derivative(root: Value, wrt: Value, given: float, rel_tol: float, abs_tol: float) -> str:
    """The hint for a derivative question answered with a value of its computation, or '' if ``given`` is none.

    The output is tried first, then the labelled inputs, then the steps in between (an unlabelled leaf is a
    constant of the formula, not something the student would read off).
    """
    order = root.topological_order()
    inputs = [v for v in order if not v.parents and v.label]
    steps = [v for v in reversed(order[:-1]) if v.parents]
    point = ", ".join(f"{v.label} = {v.data:g}" for v in inputs)
    at = f" at {point}" if point else ""
    for kind, nodes in (("output", [root]), ("input", inputs), ("step", steps)):
        for node in nodes:
            if math.isclose(given, node.data, rel_tol=rel_tol, abs_tol=abs_tol):
                what = {
                    "output": f"the value of the function {_describe(node)}{at}",
                    "step": f"the value of {_describe(node)}{at}, a step of the forward pass",
                    "input": f"the value of {node.label} itself",
                }[kind]
                slope = f"how fast {_describe(root)} changes as {_describe(wrt)} moves"
                return f"that is {what}, not a derivative: the question asks for a slope, {slope}"
    return ""


def missed_path(root: Value, wrt: Value, given: float, rel_tol: float, abs_tol: float) -> str:
    """The hint for a derivative through an input used more than once, answered with only some of its
    contributions (d(a·b + a)/da answered b, forgetting the path through '+ a'), or ''."""
    order = root.topological_order()
    where = next((i for i, v in enumerate(order) if v is wrt), None)
    trace = explain_backward(root)
    parts = [c.product for step in trace.steps for c in step.contributions if c.parent_position == where]
    if len(parts) < 2 or len(parts) > 8:  # one path has nothing to miss; 2^n subsets stay few
        return ""
    for mask in range(1, 2 ** len(parts) - 1):
        partial = math.fsum(x for k, x in enumerate(parts) if mask >> k & 1)
        if math.isclose(given, partial, rel_tol=rel_tol, abs_tol=abs_tol):
            name = wrt.label or "the input"
            return (
                f"that counts only some of the {len(parts)} paths from {name} to the output: "
                f"{name} is used {len(parts)} times, and its gradient is the sum of every path's product "
                "(backward() adds each with +=; an = keeps only the last)"
            )
    return ""


def forgot_upstream(root: Value, wrt: Value, given: float, rel_tol: float, abs_tol: float) -> str:
    """The hint for a derivative answered as the derivative of a step in between, ∂v/∂wrt, without the upstream
    gradient ∂root/∂v the chain rule multiplies it by (for d tanh(2x)/dx, answering 2), or ''."""
    trace = explain_backward(root)
    order = root.topological_order()
    for v, upstream in zip(order, trace.grads):
        if v is root or v is wrt or not v.parents or math.isclose(upstream, 1.0, rel_tol=rel_tol, abs_tol=abs_tol):
            continue
        inner = explain_backward(v)
        below = v.topological_order()
        where = next((i for i, u in enumerate(below) if u is wrt), None)
        if where is not None and math.isclose(given, inner.grads[where], rel_tol=rel_tol, abs_tol=abs_tol):
            return (
                f"that is ∂({_describe(v)})/∂{_describe(wrt)}, the derivative of a step in between: the chain rule "
                f"multiplies it by that step's upstream gradient, ∂({_describe(root)})/∂({_describe(v)})"
            )
    return ""


def _hint(exercise: Exercise, given: float, expected: float, whole: bool) -> str:
    """The misconception a wrong number shows, as a sentence, or ''. ``whole``: the number is the whole answer,
    so the exercise's graph describes it (a number inside a list answer has only the sign test)."""
    graph = (exercise.graph or GRAPHS.get(exercise.exercise_id)) if whole else None
    tolerance = {"rel_tol": exercise.rel_tol, "abs_tol": exercise.abs_tol}
    if graph is not None:
        root, wrt = graph()
        found = (
            missed_path(root, wrt, given, **tolerance)
            or value_instead_of_derivative(root, wrt, given, **tolerance)
            or forgot_upstream(root, wrt, given, **tolerance)
        )
        if found:
            return found
    if expected and math.isclose(-given, expected, **tolerance):
        return "the size is right but the sign is not: check which way each factor points"
    return ""


def compare(exercise: Exercise, answer: object) -> AnswerCheck:
    """``answer`` against ``exercise.solve()``: every number within rel_tol (or abs_tol) of the expected one."""
    name = f"exercise {exercise.exercise_id}"
    if answer is None:
        return AnswerCheck(
            exercise.exercise_id, "not answered", f"{name}: not answered yet. {exercise.question} (replace None)"
        )
    given, given_shape = _flatten(answer, "the answer")
    expected, expected_shape = _flatten(exercise.solve(), f"the expected answer to {name}")
    if given_shape != expected_shape:
        return AnswerCheck(
            exercise.exercise_id,
            "wrong",
            f"{name}: wrong shape: the answer is {_shape_text(expected_shape)}, you gave {_shape_text(given_shape)}",
        )
    wrong = [
        i
        for i, (g, e) in enumerate(zip(given, expected))
        if not math.isclose(g, e, rel_tol=exercise.rel_tol, abs_tol=exercise.abs_tol)
    ]
    if not wrong:
        return AnswerCheck(exercise.exercise_id, "correct", f"{name}: correct")
    first = wrong[0]
    if not expected_shape:
        detail = f"{given[0]!r} is not it"
    else:
        where = _position(first, expected_shape)
        detail = f"{len(wrong)} of {len(given)} numbers are off, the first at {where} ({given[first]!r})"
    hint = _hint(exercise, given[first], expected[first], whole=not expected_shape)
    hint = f" Hint: {hint}." if hint else ""
    return AnswerCheck(
        exercise.exercise_id,
        "wrong",
        f"{name}: not yet: {detail} (tolerance: relative {exercise.rel_tol:g}).{hint} {exercise.question}",
    )


def _cubic() -> tuple[Value, Value]:
    x = Value(2.0, label="x")
    return (x * x * x + x).named("x³ + x"), x


def _used_twice() -> tuple[Value, Value]:
    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    return (a * b + a).named("f = a·b + a"), a


def _activation(name: str, at: float) -> Graph:
    def build() -> tuple[Value, Value]:
        x = Value(at, label="x")
        return getattr(x, name)().named(f"{name}(x)"), x

    return build


def _leaky() -> tuple[Value, Value]:
    x = Value(-2.0, label="x")
    return x.leaky_relu(0.1).named("leaky_relu(x, 0.1)"), x


def _softmax_entry() -> tuple[Value, Value]:
    z = [Value(float(k + 1), label=f"z{k}") for k in range(3)]
    return F.softmax(z)[0].named("p0"), z[2]


def _bce() -> tuple[Value, Value]:
    p = Value(0.8, label="ŷ")
    return losses.binary_cross_entropy(p, 1.0).named("BCE"), p


def _mse() -> tuple[Value, Value]:
    preds = [Value(1.0, label="ŷ0"), Value(2.0, label="ŷ1")]
    return losses.mse(preds, [0.0, 0.0]).named("MSE"), preds[0]


# The computations behind the course's derivative questions, for the exercises defined without their own
# ``graph``: each builds, at the question's point, the output and the input the derivative is taken with respect to.
GRAPHS: dict[str, Graph] = {
    "chain-rule.cubic": _cubic,
    "chain-rule.used-twice": _used_twice,
    "chain-rule.tanh-local": _activation("tanh", 0.5),
    "activations.sigmoid-slope": _activation("sigmoid", 0.0),
    "activations.leaky-slope": _leaky,
    "activations.softmax-jacobian": _softmax_entry,
    "losses.bce-slope": _bce,
    "losses.mse-slope": _mse,
}
