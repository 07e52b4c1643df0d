"""Checking plain functions: every right gradient passes, every wrong one fails with the right diagnosis."""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from micrograd_plus import Value, check_grad, check_jacobian, gradcheck
from micrograd_plus.check.op_table import OPS


def numpy() -> Any:
    """NumPy, or a skip: the checks work without it, only the array cases need it."""
    return pytest.importorskip("numpy")


Vector = list[float]


@dataclass(frozen=True)
class Case:
    """f: R^n -> R with its right gradient; ``term`` is one term of ∂f/∂x_term_index, for the 'missing' bug."""

    name: str
    f: Callable[[Any], float]
    grad: Callable[[Vector], Vector]
    x: Vector
    term: Callable[[Vector], float] | None = None
    term_index: int = 0


CASES = [
    Case("x0²·x1 + 3·x1", lambda v: v[0] ** 2 * v[1] + 3 * v[1], lambda v: [2 * v[0] * v[1], v[0] ** 2 + 3],
         [1.5, -2.0], lambda v: 3.0, 1),
    Case("exp(x0)·sin(x1) + x0·x1", lambda v: math.exp(v[0]) * math.sin(v[1]) + v[0] * v[1],
         lambda v: [math.exp(v[0]) * math.sin(v[1]) + v[1], math.exp(v[0]) * math.cos(v[1]) + v[0]], [0.3, 1.2],
         lambda v: v[1], 0),
    Case("log(x) at 1e-8", lambda v: math.log(v[0]), lambda v: [1 / v[0]], [1e-8]),
    Case("x² at 1e12", lambda v: v[0] * v[0], lambda v: [2 * v[0]], [1e12]),
    Case("3x at 1e10", lambda v: 3 * v[0], lambda v: [3.0], [1e10]),
    Case("Σ x_i³ at 1e10..3e12", lambda v: sum(t**3 for t in v), lambda v: [3 * t * t for t in v], [1e10, -2e11, 3e12],
         lambda v: 3 * v[2] ** 2, 2),
    Case("log(x0) + √x1 at 1e-8, 1e6", lambda v: math.log(v[0]) + math.sqrt(v[1]),
         lambda v: [1 / v[0], 0.5 / math.sqrt(v[1])], [1e-8, 1e6], lambda v: 0.5 / math.sqrt(v[1]), 1),
    Case("1e16·(x0² + 2·x1²) at 1e-8", lambda v: 1e16 * (v[0] ** 2 + 2 * v[1] ** 2),
         lambda v: [2e16 * v[0], 4e16 * v[1]], [1e-8, -3e-8]),
    Case("tanh(x0·x1) / x2", lambda v: math.tanh(v[0] * v[1]) / v[2],
         lambda v: [v[1] * (1 - math.tanh(v[0] * v[1]) ** 2) / v[2], v[0] * (1 - math.tanh(v[0] * v[1]) ** 2) / v[2],
                    -math.tanh(v[0] * v[1]) / v[2] ** 2], [0.4, -0.9, 1.7]),
]  # fmt: skip

BUGS: dict[str, tuple[Callable[[Vector, Case], Vector], str]] = {
    "0.05% off": (lambda g, c: [t * 1.0005 for t in g], "+0.050%"),
    "sign": (lambda g, c: [-t for t in g], "sign flipped"),
    "factor 2": (lambda g, c: [2 * t for t in g], "factor 2 too large"),
    "half": (lambda g, c: [t / 2 for t in g], "factor 1/2"),
}


def as_kind(x: Vector, kind: str) -> Any:
    return numpy().array(x) if kind == "numpy" else list(x)


@pytest.mark.parametrize("kind", ["list", "numpy"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_right_gradients_pass(case: Case, kind: str) -> None:
    report = check_grad(case.f, lambda x: case.grad(list(x)), as_kind(case.x, kind))
    assert report.ok, str(report)
    assert len(report.rows) == len(case.x) and report.findings == ()


@pytest.mark.parametrize("bug", list(BUGS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_wrong_gradients_fail_with_the_diagnosis(case: Case, bug: str) -> None:
    wrong, words = BUGS[bug]
    report = check_grad(case.f, lambda x: wrong(case.grad(list(x)), case), case.x)
    assert not report.ok and all(r.status == "wrong" for r in report.rows), str(report)
    assert words in report.summary(), str(report)


@pytest.mark.parametrize("case", [c for c in CASES if len(c.x) > 1], ids=lambda c: c.name)
def test_swapped_components_are_named(case: Case) -> None:
    def swapped(x: Any) -> Vector:
        g = case.grad(list(x))
        g[0], g[1] = g[1], g[0]
        return g

    report = check_grad(case.f, swapped, case.x)
    assert not report.ok
    assert report.findings[0] == "x[0] and x[1] are swapped (each analytic value is the other's numeric)"


@pytest.mark.parametrize("case", [c for c in CASES if c.term is not None], ids=lambda c: c.name)
def test_a_missing_term_is_located(case: Case) -> None:
    assert case.term is not None
    term, k = case.term, case.term_index

    def missing(x: Any) -> Vector:
        g = case.grad(list(x))
        g[k] -= term(list(x))
        return g

    report = check_grad(case.f, missing, case.x)
    assert [r.name for r in report.failures] == [f"x[{k}]"]
    assert report.findings[0].startswith(f"only x[{k}] is wrong (the other {len(case.x) - 1} agree)")


def test_a_scalar_input_and_a_kink() -> None:
    assert check_grad(math.sin, math.cos, 0.7).rows[0].name == "x"
    report = check_grad(abs, lambda x: 2.0, 0.0)
    assert report.rows[0].status == "kink" and "kink: not a subgradient: 2 is outside [-1, 1]" in report.summary()
    assert report.diagnosis() == "kink: not a subgradient at x: analytic 2, numeric 0"
    valid = check_grad(abs, lambda x: 1.0, 0.0)  # 1 lies between the one-sided slopes -1 and 1
    assert valid.ok and valid.rows[0].status == "subgradient"


def test_an_unresolvable_derivative_fails_instead_of_passing() -> None:
    def rough(x: float) -> float:  # 2x plus noise of 1e-9 that varies faster than any step can follow
        return 2.0 * x + 1e-9 * math.sin(1e15 * x)

    report = check_grad(rough, lambda x: 2.0, 0.5)
    assert not report.ok and report.rows[0].status == "unresolved"
    assert "could not be checked" in report.summary()
    assert report.diagnosis().startswith("unresolved (numeric ±") and report.diagnosis().endswith(
        " at x: analytic 2, numeric 2"
    )


# -- Jacobians -------------------------------------------------------------------------


def polar(v: Any) -> list[float]:
    return [v[0] * math.cos(v[1]), v[0] * math.sin(v[1])]


def polar_jacobian(v: Any) -> list[list[float]]:
    return [[math.cos(v[1]), -v[0] * math.sin(v[1])], [math.sin(v[1]), v[0] * math.cos(v[1])]]


@pytest.mark.parametrize("kind", ["list", "numpy"])
def test_a_right_jacobian_passes(kind: str) -> None:
    x = as_kind([2.0, 0.7], kind)
    array = numpy().array if kind == "numpy" else list
    report = check_jacobian(lambda v: array(polar(v)), lambda v: array(polar_jacobian(v)), x)
    assert report.ok and report.shape == (2, 2)
    assert [r.name for r in report.rows] == ["df[0]/dx[0]", "df[0]/dx[1]", "df[1]/dx[0]", "df[1]/dx[1]"]
    assert "analytic (2×2" in report.matrix()


def test_a_transposed_jacobian_is_recognised() -> None:
    report = check_jacobian(polar, lambda v: [list(col) for col in zip(*polar_jacobian(v))], [2.0, 0.7])
    assert not report.ok and report.findings[0].startswith("the Jacobian is transposed")
    assert report.diagnosis() == "jac_f(x) is transposed: rows must be outputs, J[i][j] = df_i/dx_j"


def test_the_worst_entries_are_shown_first() -> None:
    def f(v: Any) -> list[float]:
        return [v[i] * v[j] for i in range(4) for j in range(4)]  # 16 outputs, 4 inputs

    def jac(v: Any) -> list[list[float]]:
        rows = [
            [(v[j] if k == i else 0.0) + (v[i] if k == j else 0.0) for k in range(4)]
            for i in range(4)
            for j in range(4)
        ]
        rows[5][1] *= -1  # d(x1·x1)/dx1 with the sign flipped
        return rows

    report = check_jacobian(f, jac, [0.5, 1.5, -2.0, 3.0], limit=3)
    assert not report.ok and report.worst(1)[0].name == "df[5]/dx[1]"
    text = str(report)
    assert "df[5]/dx[1]" in text and "61 more entries" in text
    assert len(report.full().splitlines()) == 2 + 64


# -- complex step ---------------------------------------------------------------------------


def test_complex_step_has_no_cancellation_error() -> None:
    report = check_grad(lambda x: cmath.exp(x) * cmath.sin(x), lambda x: math.exp(x) * (math.sin(x) + math.cos(x)),
                        1.3, method="complex")  # fmt: skip
    assert report.ok and report.rows[0].abs_error < 1e-14 * abs(report.rows[0].numeric) + 1e-300
    np = numpy()
    arrays = check_grad(lambda v: np.sum(np.exp(v) * v), lambda v: np.exp(v) * (v + 1), np.array([0.1, 2.0]),
                        method="complex")  # fmt: skip
    assert arrays.ok
    assert not check_grad(cmath.exp, lambda x: 1.0005 * math.exp(x), 2.0, method="complex").ok


def test_complex_step_refuses_functions_of_reals() -> None:
    with pytest.raises(TypeError, match=r"method='complex' evaluates f at complex points .*cmath"):
        check_grad(math.exp, math.exp, 1.0, method="complex")
    with pytest.raises(TypeError, match=r"drop the imaginary part"):
        check_grad(lambda x: abs(x) * 2, lambda x: 2.0, 1.0, method="complex")


# -- Value functions with list outputs --------------------------------------------------------


def test_value_functions_with_list_outputs_are_checked_as_jacobians() -> None:
    report = gradcheck(lambda r, t: [r * t.cos(), r * t.sin()], [2.0, 0.7])
    assert report.ok and [r.name for r in report.rows][:2] == ["dy0/dx0", "dy0/dx1"]

    def wrong(r: Value, t: Value) -> list[Value]:
        y = Value.from_op(r.data * math.sin(t.data), [r, t], [math.sin(t.data), -r.data * math.cos(t.data)], "bad")
        return [r * t.cos(), y]

    bad = gradcheck(wrong, [2.0, 0.7])
    assert [r.name for r in bad.failures] == ["dy1/dx1"] and "sign flipped" in bad.summary()


# -- every op of the engine, as a plain function of floats ----------------------------------------


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_reference_checks_against_the_engine(name: str) -> None:
    spec = OPS[name]
    xs = [d.low + 0.37 * (d.high - d.low) for d in spec.domains]
    xs = [x if d.contains(x) else x + 2 * d.margin for x, d in zip(xs, spec.domains)]

    def engine_gradient(v: Any) -> list[float]:
        leaves = [Value(t) for t in v]
        spec.build(*leaves).backward()
        return [leaf.grad for leaf in leaves]

    assert check_grad(lambda v: spec.reference(*v), engine_gradient, xs).ok


# -- bad input ------------------------------------------------------------------------------------


def right_half(v: Any) -> float:
    if v[0] < 0:
        raise ValueError(f"defined for x >= 0 only, got {v[0]}")
    return v[0] ** 2 + v[0]


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: check_grad(lambda v: v[0] * v[1], lambda v: [1.0, 2.0, 3.0], [1.0, 2.0]), ValueError,
         r"grad_f\(x\) returned 3 components for 2 inputs \(x is list of 2\)"),
        (lambda: check_grad(lambda v: v[0] * v[1], lambda v: [1.0, math.nan], [1.0, 2.0]), ValueError,
         r"grad_f\(x\) for x\[1\] is nan"),
        (lambda: check_grad(lambda v: [v[0], v[1]], lambda v: [1.0, 1.0], [1.0, 2.0]), ValueError,
         r"one number, got 2 .*check_jacobian"),
        (lambda: check_grad(lambda v: "1", lambda v: [1.0], [1.0]), TypeError, r"f\(x\) must be a real number"),
        (lambda: check_grad(lambda v: v[0], lambda v: [1.0], ["1"]), TypeError,
         r"check_grad: x\[0\] must be a real number, .*, got str '1'"),
        (lambda: check_grad(lambda v: v[0], lambda v: [1.0], []), ValueError, r"x is empty"),
        (lambda: check_grad(lambda v: v[0], lambda v: [1.0], [math.inf]), ValueError, r"x\[0\] must be finite"),
        (lambda: check_grad(lambda v: 1.0, lambda v: [1.0], numpy().ones((2, 2))), ValueError,
         r"grad_f\(x\) returned 1 component for 4 inputs \(x is array \(2, 2\)\)"),
        (lambda: check_grad(right_half, lambda v: [1.0], [0.0]), ValueError,
         r"f failed at x\[0\] = 0 \+ \(-0\.000977\).*defined for x >= 0 only.*method='forward'"),
        (lambda: check_grad(math.sin, math.cos, 1.0, method="spline"), ValueError, r"method must be one of .*'spline'"),
        (lambda: check_grad(math.sin, math.cos, 1.0, eps=-1.0), ValueError, r"eps must be a finite number > 0"),
        (lambda: check_jacobian(polar, lambda v: [[1.0, 2.0]], [1.0, 2.0]), ValueError,
         r"m×n = 2×2 .*got 1 rows for f's 2 outputs"),
        (lambda: check_jacobian(polar, lambda v: [[1.0, 2.0], [1.0]], [1.0, 2.0]), ValueError,
         r"jac_f\(x\)\[1\] returned 1 component for 2 inputs"),
        (lambda: check_jacobian(polar, polar_jacobian, [1.0, 2.0], limit=0), ValueError, r"limit must be .*got 0"),
    ],
)  # fmt: skip
def test_bad_input(call: Callable[[], object], error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_one_sided_differences_at_a_domain_edge() -> None:
    report = check_grad(right_half, lambda v: [1.0], [0.0], method="forward")
    assert report.ok and report.rows[0].numeric == pytest.approx(1.0, rel=1e-12)
    assert not check_grad(right_half, lambda v: [1.0005], [0.0], method="forward").ok
