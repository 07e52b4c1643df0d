"""The error model of check_grad: right derivatives pass and wrong ones fail at every magnitude 1e-12..1e12,
at C¹ points where f'' jumps, near poles and domain edges, and where f rounds to 0; the step search resolves
what float64 can resolve, at a small cost in evaluations."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_plus import check_grad
from micrograd_plus.check.estimates import observed_base, richardson

MAGNITUDES = [1e-12, 1e-8, 1e-4, 1.0, 1e4, 1e8, 1e12]
Vector = list[float]


def poly(v: Vector) -> float:
    return v[0] * v[1] + v[1] ** 2 * v[2] + 3.0 * v[0] ** 3


def poly_grad(v: Vector) -> Vector:
    return [v[1] + 9.0 * v[0] ** 2, v[0] + 2 * v[1] * v[2], v[1] ** 2]


def trig(v: Vector) -> float:
    return math.exp(v[0]) * math.sin(v[1]) + math.tanh(v[2]) * v[0]


def trig_grad(v: Vector) -> Vector:
    return [math.exp(v[0]) * math.sin(v[1]) + math.tanh(v[2]), math.exp(v[0]) * math.cos(v[1]),
            v[0] * (1 - math.tanh(v[2]) ** 2)]  # fmt: skip


FUNCTIONS = [(poly, poly_grad, [0.7, -1.3, 1.9]), (trig, trig_grad, [0.4, 1.1, -0.6])]
MISSING = {"poly": lambda v: [v[1] + 9.0 * v[0] ** 2, v[0], v[1] ** 2],  # the x1²·x2 term dropped from x1
           "trig": lambda v: [math.exp(v[0]) * math.sin(v[1]), math.exp(v[0]) * math.cos(v[1]),
                              v[0] * (1 - math.tanh(v[2]) ** 2)]}  # fmt: skip
MUTANTS: dict[str, Callable[[Vector], Vector]] = {
    "sign flipped": lambda g: [-t for t in g],
    "factor 2 too large": lambda g: [2 * t for t in g],
    "swapped": lambda g: [g[1], g[0], g[2]],
    "off by 1e-3": lambda g: [g[0] * (1 + 1e-3), g[1], g[2]],
    "off by 1e-5": lambda g: [g[0] * (1 + 1e-5), g[1], g[2]],
}


def scaled(f: Callable[[Vector], Any], s: float) -> Callable[[Vector], Any]:
    return lambda v: (lambda out: [s * t for t in out] if isinstance(out, list) else s * out)(f(v))


@pytest.mark.parametrize("magnitude", MAGNITUDES)
@pytest.mark.parametrize(("f", "grad", "x"), FUNCTIONS, ids=["poly", "trig"])
def test_right_gradients_pass_and_every_kind_of_wrong_one_fails_at_every_magnitude(
    f: Callable[[Vector], float], grad: Callable[[Vector], Vector], x: Vector, magnitude: float
) -> None:
    f_s, grad_s = scaled(f, magnitude), scaled(grad, magnitude)
    report = check_grad(f_s, grad_s, x)
    assert report.ok, str(report)
    for kind, mutate in MUTANTS.items():
        wrong = check_grad(f_s, lambda v, m=mutate: m(grad_s(v)), x)
        assert not wrong.ok and all(r.status == "wrong" for r in wrong.failures), (kind, str(wrong))
    missing = check_grad(f_s, scaled(MISSING[f.__name__], magnitude), x)
    assert [r.name for r in missing.failures] == ["x[1]"] or [r.name for r in missing.failures] == ["x[0]"]
    assert "only x[" in missing.findings[0]


@pytest.mark.parametrize("magnitude", [1e-12, 1e-6, 1e-9])
def test_a_tiny_gradient_is_judged_relative_to_itself_not_to_an_absolute_tolerance(magnitude: float) -> None:
    f = scaled(poly, magnitude)
    report = check_grad(f, lambda v: [-t for t in scaled(poly_grad, magnitude)(v)], [0.7, -1.3, 1.9])
    assert report.diagnosis().startswith("sign flipped at ") and "(+2 more): analytic " in report.diagnosis()
    assert "does not change" not in str(report)


def huber(r: float, d: float = 1.0) -> float:
    return 0.5 * r * r if abs(r) <= d else d * (abs(r) - 0.5 * d)


C1_POINTS = [
    ("Huber at |r| = δ", huber, lambda r: r if abs(r) <= 1 else math.copysign(1.0, r), 1.0),
    ("Huber at -δ", huber, lambda r: r if abs(r) <= 1 else math.copysign(1.0, r), -1.0),
    ("x·|x| at 0", lambda x: x * abs(x), lambda x: 2 * abs(x), 0.0),
    ("squared hinge at margin 1", lambda m: max(0.0, 1 - m) ** 2, lambda m: -2 * max(0.0, 1 - m), 1.0),
    ("ELU at 0", lambda x: x if x > 0 else math.expm1(x), lambda x: 1.0 if x > 0 else math.exp(x), 0.0),
    ("smoothstep joint", lambda x: x**3 if x > 0 else 0.0, lambda x: 3 * x * x if x > 0 else 0.0, 0.0),
]


@pytest.mark.parametrize(("name", "f", "grad", "x"), C1_POINTS, ids=[c[0] for c in C1_POINTS])
@pytest.mark.parametrize("magnitude", [1e-10, 1.0, 1e10])
def test_c1_points_where_the_second_derivative_jumps_pass(
    name: str, f: Callable[[float], float], grad: Callable[[float], float], x: float, magnitude: float
) -> None:
    report = check_grad(lambda t: magnitude * f(t) + 0.25 * magnitude * t, lambda t: magnitude * (grad(t) + 0.25), x)
    assert report.ok and report.rows[0].status == "ok", str(report)
    wrong = check_grad(lambda t: magnitude * f(t) + 0.25 * magnitude * t,
                       lambda t: magnitude * (grad(t) + 0.25) * (1 + 1e-4), x)  # fmt: skip
    assert not wrong.ok


def test_the_observed_order_picks_the_table() -> None:
    assert observed_base([1.5, 1.25, 1.125], [0.0] * 3) == 2.0  # D(h) = 1 + h/2: O(h)
    assert observed_base([1.25, 1.0625, 1.015625], [0.0] * 3) == 4.0  # D(h) = 1 + h²: O(h²)
    e = richardson(lambda t: [huber(1.0 + t)], 2.0**-8)
    assert e.values[0] == pytest.approx(1.0, abs=1e-12) and e.errors[0] < 1e-10


HARD = [
    ("3·x0 + x1² at x0 = 1e10", lambda v: 3 * v[0] + v[1] ** 2, lambda v: [3.0, 2 * v[1]], [1e10, 1.0]),
    ("1e8·x0² + x1² + 1e-8·x2²", lambda v: 1e8 * v[0] ** 2 + v[1] ** 2 + 1e-8 * v[2] ** 2,
     lambda v: [2e8 * v[0], 2 * v[1], 2e-8 * v[2]], [1.0, 1.0, 1.0]),
    ("exp at 100", lambda v: math.exp(v[0]) + math.exp(v[1]) * v[0], lambda v: [math.exp(v[0]) + math.exp(v[1]),
                                                                            math.exp(v[1]) * v[0]], [100.0, 99.0]),
    ("1/x at 1e-20", lambda x: 1 / x, lambda x: -1 / x**2, 1e-20),
    ("a pole 1e-7 away", lambda x: 1 / (x - 1.0000001), lambda x: -1 / (x - 1.0000001) ** 2, 1.0),
    ("x ** 0.5 at 5e-3", lambda x: x**0.5, lambda x: 0.5 * x**-0.5, 5e-3),
    ("x ** 0.5 at 1e-12", lambda x: x**0.5, lambda x: 0.5 * x**-0.5, 1e-12),
    ("log at 1e-8", math.log, lambda x: 1 / x, 1e-8),
]  # fmt: skip


@pytest.mark.parametrize(("name", "f", "grad", "x"), HARD, ids=[h[0] for h in HARD])
def test_what_float64_can_resolve_is_resolved(name: str, f: Any, grad: Any, x: Any) -> None:
    assert check_grad(f, grad, x).ok, str(check_grad(f, grad, x))
    flipped = check_grad(f, lambda v: (lambda g: [-t for t in g] if isinstance(g, list) else -g)(grad(v)), x)
    assert not flipped.ok and {r.status for r in flipped.failures} == {"wrong"}


def test_a_function_that_rounds_to_zero_is_never_called_wrong() -> None:
    tiny = check_grad(lambda x: 1e-200 * x * 1e-200, lambda x: 1e-400, 1.0)  # f and its derivative are 0.0
    assert tiny.ok
    hidden = check_grad(lambda x: 1e-300 * x * 1e-300, lambda x: 1e-300 * 1e-300 + 1e-320, 1.0)
    assert not hidden.ok and hidden.rows[0].status == "unresolved"
    assert "f is exactly 0.0 at the point and at every nudged point" in hidden.rows[0].note
    relu_off = check_grad(lambda x: max(0.0, -x), lambda x: 0.0, 5.0)  # an inactive relu is exactly 0 and flat
    assert relu_off.ok


def test_unresolved_says_what_would_resolve_it() -> None:
    def noisy(x: float) -> float:  # 2x plus a wiggle of 1e-9 faster than any step can follow
        return 2.0 * x + 1e-9 * math.sin(1e15 * x)

    row = check_grad(noisy, lambda x: 2.0, 0.5).rows[0]
    assert row.status == "unresolved" and "another point" in row.note and "method='complex'" in row.note
    hidden = check_grad(lambda v: 1e30 + v[0] * 1e-20, lambda v: [1e-20], [1.0]).rows[0]
    assert hidden.status == "unresolved" and "a wider step" in hidden.note


def test_smooth_functions_cost_few_evaluations_per_component() -> None:
    counts = []
    for f, grad, x in FUNCTIONS:
        for magnitude in MAGNITUDES:
            calls = [0]

            def counted(v: Vector, f: Any = f, s: float = magnitude, calls: list[int] = calls) -> float:
                calls[0] += 1
                return float(s * f(v))

            assert check_grad(counted, scaled(grad, magnitude), x).ok
            counts.append(calls[0] / len(x))
    assert statistics.median(counts) <= 12, counts
