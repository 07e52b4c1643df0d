"""check_answer's misconception hints: a value typed for a derivative, a path left out, a sign error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd_plus import Value, explain_backward
from micrograd_plus.exercises import EXERCISES, Exercise, check_answer
from micrograd_plus.exercises.backprop import exercise_graph
from micrograd_plus.exercises.checking import GRAPHS, compare

HINTED = sorted(GRAPHS)
VALUE_HINT = "not a derivative: the question asks for a slope"


def expected_number(exercise_id: str) -> float:
    answer = EXERCISES[exercise_id].solve()
    return answer.data if isinstance(answer, Value) else float(answer)  # type: ignore[arg-type]


@pytest.mark.parametrize("exercise_id", HINTED)
def test_each_graph_is_the_computation_of_its_exercise(exercise_id: str) -> None:
    """The table of computations cannot drift from the exercises: its derivative is the exercise's answer."""
    root, wrt = GRAPHS[exercise_id]()
    root.backward()
    assert math.isclose(wrt.grad, expected_number(exercise_id), rel_tol=1e-9, abs_tol=1e-12)


def test_tanh_typed_for_its_derivative() -> None:
    for answer in (math.tanh(0.5), 0.4621, "0.4621", np.float64(math.tanh(0.5)), Value(0.5).tanh(), np.array(0.4621)):
        verdict = check_answer("chain-rule.tanh-local", answer)
        assert verdict.status == "wrong"
        assert "Hint: that is the value of the function tanh(x) at x = 0.5, not a derivative" in verdict.message
        assert "how fast tanh(x) changes as x moves" in verdict.message


@pytest.mark.parametrize("exercise_id", HINTED)
def test_the_function_value_typed_for_the_derivative(exercise_id: str) -> None:
    root, _ = GRAPHS[exercise_id]()
    verdict = check_answer(exercise_id, root.data)
    assert verdict.status == "wrong" and f"that is the value of the function {root.label}" in verdict.message
    assert VALUE_HINT in verdict.message


@pytest.mark.parametrize("exercise_id", HINTED)
def test_an_input_value_typed_for_the_derivative(exercise_id: str) -> None:
    """The issue's case: w2's value typed where d/dw2 is asked, for every input that is not itself the answer."""
    root, _ = GRAPHS[exercise_id]()
    expected = expected_number(exercise_id)
    leaves = [v for v in root.topological_order() if not v.parents and v.label]
    tried = 0
    for leaf in leaves:
        if math.isclose(leaf.data, expected, rel_tol=1e-3) or math.isclose(leaf.data, root.data, rel_tol=1e-3):
            continue  # the answer itself, or the output's value (hinted as that)
        verdict = check_answer(exercise_id, leaf.data)
        assert verdict.status == "wrong", verdict.message
        as_value = f"that is the value of {leaf.label} itself, {VALUE_HINT}" in verdict.message
        assert as_value or "counts only some" in verdict.message, verdict.message  # b = ∂(a·b)/∂a: one path of two
        tried += 1
    assert tried or exercise_id == "activations.sigmoid-slope"  # σ at x = 0: the only input is 0


def test_a_step_in_between_typed_for_the_derivative() -> None:
    verdict = check_answer("chain-rule.used-twice", 12)
    assert "that is the value of a * b at a = 3, b = 4, a step of the forward pass, not a derivative" in verdict.message


@pytest.mark.parametrize(("exercise_id", "partial"), [("chain-rule.used-twice", 4), ("chain-rule.used-twice", 1),
                                                      ("chain-rule.cubic", 12), ("chain-rule.cubic", 9)])  # fmt: skip
def test_a_missed_path(exercise_id: str, partial: float) -> None:
    verdict = check_answer(exercise_id, partial)
    assert verdict.status == "wrong" and "Hint: that counts only some of the" in verdict.message
    assert "its gradient is the sum of every path's product" in verdict.message


def test_a_sign_error() -> None:
    for exercise_id in ("chain-rule.used-twice", "chain-rule.cubic", "losses.bce-slope", "softmax.first-probability"):
        verdict = check_answer(exercise_id, -expected_number(exercise_id))
        assert "Hint: the size is right but the sign is not" in verdict.message
    gradient = [float(x) for x in EXERCISES["softmax.gradient"].solve()]  # type: ignore[union-attr]
    flipped = [gradient[0], -gradient[1], gradient[2]]
    verdict = check_answer("softmax.gradient", flipped)
    assert "the first at position 2" in verdict.message and "the sign is not" in verdict.message


@pytest.mark.parametrize("answer", [0.3, 100.0, -0.01, "7"])
def test_no_hint_without_a_misconception(answer: object) -> None:
    for exercise_id in HINTED:
        verdict = check_answer(exercise_id, answer)
        assert verdict.status == "wrong" and "Hint:" not in verdict.message, verdict.message


def test_an_exercise_brings_its_own_graph() -> None:
    """Any op, not only tanh: the exercise names the computation, and the hint reads it."""

    def graph() -> tuple[Value, Value]:
        x = Value(3.0, label="x")
        return (x * x).log().named("log(x²)"), x

    own = Exercise("demo.log-square", "d/dx log(x²) at x = 3?", lambda: 2.0 / 3.0, graph=graph)
    assert compare(own, 2 / 3) and compare(own, "0.6667")
    assert "that is the value of the function log(x²) at x = 3" in compare(own, math.log(9.0)).message
    assert "that is the value of x * x at x = 3, a step of the forward pass" in compare(own, 9).message
    assert "that is the value of x itself" in compare(own, 3).message
    plain = Exercise("demo.plain", "d/dx log(x²) at x = 3?", lambda: 2.0 / 3.0)
    assert "Hint:" not in compare(plain, math.log(9.0)).message  # without the computation, no guess


def test_a_value_equal_to_the_derivative_is_correct() -> None:
    def graph() -> tuple[Value, Value]:
        x = Value(1.0, label="x")
        return x.exp().named("exp(x)"), x

    own = Exercise("demo.exp", "d/dx exp(x) at x = 1?", lambda: math.e, graph=graph)
    assert compare(own, math.e) and compare(own, "2.71828")


def test_the_exercise_pages_misconceptions_in_a_notebook() -> None:
    """The exercise page's default exercise asked as one number, ∂L/∂w2: each of its mistakes gets its own hint."""

    def graph() -> tuple[Value, Value]:
        loss, params, _ = exercise_graph()
        return loss, params[1]

    def solve() -> float:
        loss, params, _ = exercise_graph()
        loss.backward()
        return params[1].grad

    exercise = Exercise("demo.neuron-loss", "∂L/∂w2?", solve, graph=graph)
    root, w2 = graph()
    trace = explain_backward(root)
    into_w2 = [c for s in trace.steps for c in s.contributions if c.parent_name == "w2"]
    o = next(v for v in root.topological_order() if v.label == "o")
    hints = {
        w2.data: "that is the value of w2 itself, not a derivative",  # w2 typed for ∂L/∂w2
        o.data: "that is the value of o at",  # tanh(n) where its slope is used
        into_w2[0].product: "(backward() adds each with +=; an = keeps only the last)",  # = for +=
        into_w2[1].product: "that counts only some of the 2 paths from w2",  # a missed contribution
        -solve(): "the size is right but the sign is not",
        (1 - o.data**2) * -1.0: "that is ∂(o)/∂w2, the derivative of a step in between: the chain rule multiplies",
    }
    for answer, hint in hints.items():
        message = compare(exercise, answer).message
        assert f"Hint: {hint}" in message or hint in message.split("Hint: ")[1], (answer, message)


def test_a_forgotten_upstream_gradient() -> None:
    def graph() -> tuple[Value, Value]:
        x = Value(0.3, label="x")
        return (x * 2.0).tanh().named("tanh(2x)"), x

    own = Exercise("demo.tanh-2x", "d/dx tanh(2x) at x = 0.3?", lambda: 2 * (1 - math.tanh(0.6) ** 2), graph=graph)
    message = compare(own, 2.0).message  # d(2x)/dx alone, without tanh′(2x)
    assert "Hint: that is ∂(x * 2)/∂x, the derivative of a step in between" in message
    assert "upstream gradient, ∂(tanh(2x))/∂(x * 2)" in message
    assert "Hint:" not in compare(own, 1.7).message
