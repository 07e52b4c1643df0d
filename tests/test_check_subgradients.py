"""Kinks get a subgradient verdict (between the one-sided slopes; the convex hull at a tie of max or min), and
method="taylor" judges a gradient by how its Taylor remainder falls."""

from __future__ import annotations

import math
from typing import Any

import pytest

from micrograd_plus import Value, check_grad, check_jacobian, gradcheck
from micrograd_plus.check.taylor import remainder_slope

Vector = list[float]


@pytest.mark.parametrize("magnitude", [1e-12, 1.0, 1e12])
@pytest.mark.parametrize(
    ("f", "x", "valid", "invalid"),
    [
        (lambda t: max(0.0, t), 0.0, [0.0, 0.3, 1.0], [-0.5, 1.5]),  # relu at 0: [0, 1]
        (abs, 0.0, [-1.0, 0.0, 0.9], [-1.5, 2.0]),  # |x| at 0: [-1, 1]
        (lambda t: -abs(t - 2.0), 2.0, [-1.0, 0.0, 1.0], [1.5, -3.0]),  # a concave kink: [-1, 1] (Clarke)
        (lambda t: max(0.2 * t, t), 0.0, [0.2, 0.6, 1.0], [0.0, 1.2]),  # leaky relu at 0: [0.2, 1]
    ],
)
def test_at_a_kink_a_value_between_the_one_sided_slopes_is_a_subgradient(
    f: Any, x: float, valid: list[float], invalid: list[float], magnitude: float
) -> None:
    for a in valid:
        row = check_grad(lambda t: magnitude * f(t), lambda t, a=a: magnitude * a, x).rows[0]
        assert row.ok and row.status == "subgradient", row
        assert row.note.startswith("kink: the analytic value is a valid subgradient")
    for a in invalid:
        report = check_grad(lambda t: magnitude * f(t), lambda t, a=a: magnitude * a, x)
        row = report.rows[0]
        assert not row.ok and row.status == "kink" and row.note.startswith("kink: not a subgradient"), row
        assert report.diagnosis().startswith("kink: not a subgradient at ")


@pytest.mark.parametrize(
    ("f", "x", "good", "bad"),
    [
        (lambda v: max(v[0], v[1]), [1.25, 1.25], [[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]],
         [[1.0, 1.0], [0.0, 0.0], [0.7, 0.7]]),
        (lambda v: min(v[0], v[1]), [1.25, 1.25], [[0.5, 0.5], [0.0, 1.0]], [[1.0, 1.0], [0.5, 0.0]]),
        (lambda v: max(v[0], -v[1]), [1.25, -1.25], [[0.5, -0.5], [1.0, 0.0]], [[0.5, 0.5], [1.0, -1.0]]),
    ],
)  # fmt: skip
def test_at_a_tie_of_max_or_min_the_subgradients_are_the_convex_hull(f: Any, x: Any, good: Any, bad: Any) -> None:
    for g in good:
        report = check_grad(f, lambda v, g=g: g, x)
        assert report.ok and {r.status for r in report.rows} == {"subgradient"}, str(report)
    for g in bad:
        report = check_grad(f, lambda v, g=g: g, x)
        assert not report.ok and {r.status for r in report.failures} == {"kink"}, str(report)


def test_a_max_tie_with_an_entry_in_each_components_interval_still_fails() -> None:
    report = check_grad(lambda v: max(v[0], v[1]) + v[2] ** 2, lambda v: [1.0, 1.0, 2 * v[2]], [1.5, 1.5, 0.5])
    assert [r.status for r in report.rows] == ["kink", "kink", "ok"]
    assert "along x[0] + x[1] (a tie) the analytic slope 2 is outside [1, 1]" in report.rows[0].note


def test_values_at_relu_and_max_ties_get_subgradient_verdicts() -> None:
    assert gradcheck(lambda x, y: x.relu() + y * y, [0.0, 0.5]).rows[0].status == "subgradient"
    kinked = gradcheck(lambda x: Value.from_op(max(x.data, 0.0), [x], [2.0], "relu"), [0.0])
    assert not kinked.ok and kinked.rows[0].status == "kink"


# -- the Taylor-remainder test ------------------------------------------------------------


def test_the_remainder_slope_is_read_over_the_smallest_resolved_steps() -> None:
    steps = [2.0**-k for k in range(12)]
    assert remainder_slope(steps, [h * h for h in steps], [0.0] * 12) == pytest.approx(2.0)
    assert remainder_slope(steps, [1e-2 * h + h * h for h in steps], [0.0] * 12) < 1.2  # h wins as h shrinks
    assert remainder_slope(steps, [0.0] * 12, [1e-16] * 12) is None  # all rounding: f linear along d


@pytest.mark.parametrize("magnitude", [1e-10, 1.0, 1e10])
def test_method_taylor_passes_right_and_fails_wrong_gradients(magnitude: float) -> None:
    def f(v: Vector) -> float:
        return magnitude * (math.sin(v[0]) * v[1] + math.exp(0.3 * v[1]))

    def grad(v: Vector) -> Vector:
        return [magnitude * math.cos(v[0]) * v[1], magnitude * (math.sin(v[0]) + 0.3 * math.exp(0.3 * v[1]))]

    right = check_grad(f, grad, [0.4, 1.7], method="taylor")
    assert right.ok and right.method == "taylor", str(right)
    slopes = [float(r.note.split("h^")[1].split(" ")[0]) for r in right.rows]
    assert all(1.8 <= s <= 2.3 for s in slopes)
    wrong = check_grad(f, lambda v: [grad(v)[0] * 1.01, grad(v)[1]], [0.4, 1.7], method="taylor")
    assert [r.status for r in wrong.rows] == ["wrong", "ok"] and "falls as h^1.0" in wrong.rows[0].note
    assert "only x[0] is wrong" in wrong.findings[0]


def test_method_taylor_for_linear_functions_jacobians_and_values() -> None:
    linear = check_grad(lambda v: 3 * v[0] - v[1], lambda v: [3.0, -1.0], [1.0, 2.0], method="taylor")
    assert linear.ok and "linear" in linear.rows[0].note
    assert not check_grad(lambda v: 3 * v[0] - v[1], lambda v: [3.0, 1.0], [1.0, 2.0], method="taylor").ok
    jac = check_jacobian(lambda v: [v[0] * v[1], math.sin(v[0])], lambda v: [[v[1], v[0]], [math.cos(v[0]), 0.0]],
                         [0.3, 2.0], method="taylor")  # fmt: skip
    assert jac.ok and jac.shape == (2, 2)
    assert gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5], method="taylor").ok
    with pytest.raises(ValueError, match="directions=k works with"):
        gradcheck(lambda x, y: x * y, [0.5, 1.5], method="taylor", directions=2)
