"""Checking any derivative: plain Python or NumPy functions against numeric derivatives.

``check_grad(f, grad_f, x)`` checks a gradient you derived by hand: x is a
number, a Value, an N-d NumPy array, or a (nested) list, tuple or dict of them
(a parameter dict ``{"W1": array (4, 4), "b": array (4,)}``); ``f`` is called with
x in that same structure (arrays as float64) and returns one number, and
``grad_f`` returns the gradient in x's structure or as a flat list of its
numbers (:mod:`micrograd_plus.check.shapes`). Each component is named as in x:
``x``, ``x[2]``, ``W1[1, 2]``. ``check_jacobian(f, jac_f, x)`` does the same for
vector outputs (``jac_f`` m rows, one per output, each like a gradient; or an
array of shape f(x).shape + x.shape). A point whose central difference leaves
f's domain (``x ** 0.5`` at 1e-8) is differenced with smaller steps. Both
return the reports of :mod:`micrograd_plus.check.reports` and use the estimators
of :mod:`micrograd_plus.check.estimates`; ``method="complex"`` uses the complex
step when ``f`` accepts complex numbers (``cmath`` or NumPy functions), and
``method="taylor"`` the Taylor-remainder test. The default tolerance is
atol = 0, rtol = 1e-7 (the rounding of a hand-written formula): the numeric
estimate's own error bound carries the rest, so a gradient of 1e-12 is checked
as strictly as one of 1. ``mutants=True`` also runs mutants of grad_f's source
at x and reports those the point could not tell apart from it.
NumPy is never imported unless ``x`` is an array.

>>> import math
>>> check_grad(lambda v: v[0] * math.sin(v[1]), lambda v: [math.sin(v[1]), v[0] * math.cos(v[1])], [2.0, 0.5]).ok
True
>>> report = check_grad(lambda x: x**3, lambda x: 6 * x**2, 1.5)
>>> report.ok, report.findings[0]
(False, 'x: factor 2 too large (analytic 13.5, numeric 6.75)')
>>> report = check_grad(lambda p: p["w"][0] ** 2 + 3 * p["w"][1], lambda p: {"w": [2 * p["w"][0], -3.0]},
...                     {"w": [1.0, 2.0]})
>>> report.diagnosis()
'sign flipped at w[1]: analytic -3, numeric 3'

"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from micrograd_plus._validate import as_number, is_real, shown
from micrograd_plus.check.diagnosis import explain
from micrograd_plus.check.differences import ANALYTIC_RTOL
from micrograd_plus.check.mutation import MutantReport
from micrograd_plus.check.numeric_jacobian import judge_jacobian
from micrograd_plus.check.reports import GradcheckReport, GradcheckRow, JacobianReport, check_failed
from micrograd_plus.check.shapes import Structure, describe, is_array
from micrograd_plus.check.verdicts import Settings, compare, make_jacobian_report, numeric_jacobian
from micrograd_plus.check.weak_points import Analytic, run_mutants
from micrograd_plus.engine import Value

__all__ = ["ANALYTIC_RTOL", "assert_grad", "assert_jacobian", "check_grad", "check_jacobian"]


def _real(v: object, what: str, nudged: bool) -> float:
    """One output of f as a float. A complex number with an imaginary part is a ValueError at a nudged point (the
    estimators then try a smaller or one-sided step: x ** 0.5 at x - h < 0) and a TypeError at the user's point."""
    v = as_number(v.data if isinstance(v, Value) else v)
    if isinstance(v, complex) and v.imag == 0:  # cmath gives complex(v, 0) at real points: that is a real number
        v = v.real
    if nudged and isinstance(v, complex):
        raise ValueError(f"{what} is the complex number {v:.3g} there, outside f's real domain")
    if not is_real(v):
        where = " at a nudged point" if nudged else ""
        raise TypeError(f"{what} must be a real number{where}, got {shown(v)}")
    return float(v)  # type: ignore[arg-type]


def _one_number(out: object, what: str, nudged: bool = False) -> float:
    """f's result in check_grad: one number (or a list or array holding exactly one)."""
    if is_array(out) or isinstance(out, (list, tuple)):
        items: list[Any] = list(out.ravel().tolist() if is_array(out) else out)  # type: ignore[attr-defined, arg-type]
        if len(items) != 1:
            raise ValueError(
                f"{what} must return one number, got {len(items)} of them; use check_jacobian for vector outputs"
            )
        out = items[0]
    return _real(out, what, nudged)


def _finite(values: Sequence[object], names: Sequence[str], what: str) -> list[float]:
    floats = [_real(v, f"{what} for {name}", False) for v, name in zip(values, names)]
    for v, name in zip(floats, names):
        if not math.isfinite(v):
            raise ValueError(f"{what} for {name} is {v}; the analytic derivative must be finite at the point checked")
    return floats


def _evaluators(
    f: Callable[[Any], Any], point: Structure, method: str, read: Callable[[object, bool], list[float]]
) -> tuple[Callable[[list[float]], list[float]], Callable[[list[complex]], list[complex]] | None]:
    def evaluate(values: list[float]) -> list[float]:
        with point.quiet():
            return read(f(point.rebuild(values)), True)

    def evaluate_complex(values: list[complex]) -> list[complex]:
        try:
            with point.quiet():
                out = f(point.rebuild(values))
        except TypeError as error:
            raise TypeError(
                "method='complex' evaluates f at complex points x + ih·e_j, but f refused one "
                f"({error}); write f with cmath or NumPy functions instead of math, or use method='richardson'"
            ) from error
        if is_array(out):
            out = out.ravel().tolist()
        items = list(out) if isinstance(out, (list, tuple)) else [out]
        for v in items:
            if isinstance(v, bool) or not isinstance(v, numbers.Complex):
                raise TypeError(f"f(x + ih) must be a number, got {shown(v)}")
        return items  # a real number here is refused by complex_step

    return evaluate, (evaluate_complex if method == "complex" else None)


def _report(rows: list[GradcheckRow], settings: Settings, point: Structure) -> GradcheckReport:
    """The report, each wrong row explained, with a square matrix of x given back transposed recognised."""
    explained, findings = explain(rows, blocks=point.square_blocks())
    s = settings
    common = (tuple(explained), s.method, s.step_rule, s.atol, s.rtol, (), "component", tuple(findings))
    return GradcheckReport(*common, "check_grad")


def _called(fn: Callable[[Any], Any], point: Structure, values: Sequence[float], what: str) -> object:
    """fn at the point; what it raises becomes a ValueError naming fn and the point (its cause is kept)."""
    try:
        with point.quiet():
            return fn(point.rebuild(values))
    except Exception as error:
        raise ValueError(f"{what} raised {type(error).__name__} at the point checked: {error}") from error


def _twice(fn: Callable[[Any], Any], point: Structure, what: str, read: Callable[[object], list[float]]) -> list[float]:
    """fn read at x twice: a function whose value changes between two calls at the same x (unseeded randomness,
    state kept between calls) has no derivative to check, and would pass or fail by chance."""
    first, second = read(_called(fn, point, point.xs, what)), read(_called(fn, point, point.xs, what))
    if first != second and not all(a == b or (a != a and b != b) for a, b in zip(first, second)):
        k = next(k for k, (a, b) in enumerate(zip(first, second)) if a != b)
        raise ValueError(
            f"{what} is not deterministic: two calls at the same x gave {first[k]!r} and {second[k]!r}; "
            "seed its randomness or drop state kept between calls"
        )
    return first


def check_grad(
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    x: Any,
    *,
    method: str = "richardson",
    eps: float | None = None,
    atol: float = 0.0,
    rtol: float = ANALYTIC_RTOL,
    mutants: bool = False,
) -> GradcheckReport:
    """∇f(x) from ``grad_f`` against numeric derivatives ∂f/∂x_i, one row per component.

    With ``mutants=True`` the report's ``mutants`` also says which mutants of grad_f's source (a flipped
    ``+``, a doubled constant, a swapped index, a dropped term) the check at x could not tell from grad_f
    (:mod:`micrograd_plus.check.weak_points`).

    >>> check_grad(lambda x: x * x, lambda x: 2 * x, 1e12).ok
    True
    """
    _callables("check_grad", f=f, grad_f=grad_f)
    settings = Settings.of(method, eps, atol, rtol)
    point = Structure(x, "check_grad")
    f0 = _twice(f, point, "f(x)", lambda out: [_one_number(out, "f(x)")])[0]
    if not math.isfinite(f0):
        raise ValueError(f"f(x) is {f0} at the point checked; check at a point where f is finite")

    def read_gradient(fn: Callable[[Any], Any], values: Sequence[float]) -> list[list[float]]:
        out = point.match(_called(fn, point, values, "grad_f(x)"), "grad_f(x)")
        return [_finite(out, point.names, "grad_f(x)")]

    analytic = read_gradient(grad_f, point.xs)
    if read_gradient(grad_f, point.xs) != analytic:
        raise ValueError("grad_f(x) is not deterministic: two calls at the same x differ; seed its randomness")

    def read(out: object, nudged: bool) -> list[float]:
        return [_one_number(out, "f(x)", nudged)]

    rows, found = _checked(f, point, settings, read, [f0], analytic, (grad_f, read_gradient) if mutants else None)
    return replace(_report(rows, settings, point), mutants=found)


def _checked(
    f: Callable[[Any], Any],
    point: Structure,
    settings: Settings,
    read: Callable[[object, bool], list[float]],
    f0: list[float],
    analytic: list[list[float]],
    mutate: tuple[Callable[[Any], Any], Analytic] | None,
    output_names: Sequence[str] | None = None,
) -> tuple[list[GradcheckRow], MutantReport | None]:
    """The rows of check_grad or check_jacobian, and the mutants' report when asked for."""
    evaluate, evaluate_complex = _evaluators(f, point, settings.method, read)
    s = settings
    if s.method == "taylor":
        rows = compare(evaluate, point.xs, point.names, analytic, f0, s, output_names=output_names)
        numeric = None
    else:
        numeric = numeric_jacobian(evaluate, point.xs, point.names, f0, s, evaluate_complex)
        rows = judge_jacobian(numeric, analytic, point.names, s.atol, s.rtol, output_names)
    if mutate is None:
        return rows, None
    if numeric is None:  # the Taylor test has no numeric Jacobian to judge mutants by: estimate one
        numeric = numeric_jacobian(evaluate, point.xs, point.names, f0, Settings.of("richardson", None, s.atol, s.rtol))
    return rows, run_mutants(mutate[0], numeric, point.names, mutate[1], s.atol, s.rtol, output_names)


def check_jacobian(
    f: Callable[[Any], Any],
    jac_f: Callable[[Any], Any],
    x: Any,
    *,
    method: str = "richardson",
    eps: float | None = None,
    atol: float = 0.0,
    rtol: float = ANALYTIC_RTOL,
    limit: int = 10,
    mutants: bool = False,
) -> JacobianReport:
    """J[i][j] = ∂f_i/∂x_j from ``jac_f`` (m×n, rows are outputs) against numeric derivatives.

    The report prints the ``limit`` worst entries; ``full()`` prints all and
    ``matrix()`` both matrices; ``mutants=True`` as in :func:`check_grad`.

    >>> report = check_jacobian(lambda v: [v[0] * v[1], v[0] + v[1]], lambda v: [[v[1], v[0]], [1.0, 1.0]], [2.0, 3.0])
    >>> report.ok, report.shape
    (True, (2, 2))
    """
    _callables("check_jacobian", f=f, jac_f=jac_f)
    settings = Settings.of(method, eps, atol, rtol)
    point = Structure(x, "check_jacobian")
    n = len(point.xs)
    outputs = Structure(_called(f, point, point.xs, "f(x)"), "check_jacobian: f(x)", root="f", finite=False)
    f0 = _twice(f, point, "f(x)", lambda out: _finite(outputs.match(out, "f(x)"), outputs.names, "f(x)"))
    m = len(f0)

    def read_jacobian(fn: Callable[[Any], Any], values: Sequence[float]) -> list[list[float]]:
        rows = _jacobian_rows(_called(fn, point, values, "jac_f(x)"), outputs, point)
        return [_finite(point.match(row, f"jac_f(x)[{i}]"), point.names, f"jac_f(x)[{i}]")
                for i, row in enumerate(rows)]  # fmt: skip

    analytic = read_jacobian(jac_f, point.xs)

    def read(out: object, nudged: bool) -> list[float]:
        return [_real(v, f"f(x) at {name}", nudged) for v, name in zip(outputs.match(out, "f(x)"), outputs.names)]

    mutate = (jac_f, read_jacobian) if mutants else None
    rows, found = _checked(f, point, settings, read, f0, analytic, mutate, outputs.names)
    return replace(make_jacobian_report(rows, settings, (m, n), title="check_jacobian", limit=limit), mutants=found)


def _jacobian_rows(matrix: object, outputs: Structure, point: Structure) -> list[object]:
    """jac_f's result as m rows, one per output: an m×n array or nested list, or an array of shape
    f(x).shape + x.shape (the layout of jax.jacobian)."""
    m, n = len(outputs.xs), len(point.xs)
    if is_array(matrix) and getattr(matrix, "ndim", 0) >= 1:
        layout = (outputs.shape or ()) + (point.shape or ())
        if tuple(matrix.shape) in {(m, n), layout} and matrix.size == m * n:  # type: ignore[attr-defined]
            return list(matrix.reshape(m, n))  # type: ignore[attr-defined]
        matrix = list(matrix)  # type: ignore[call-overload]
    if not isinstance(matrix, (list, tuple)) or len(matrix) != m:
        got = f"{len(matrix)} rows" if isinstance(matrix, (list, tuple)) else describe(matrix)
        raise ValueError(
            f"jac_f(x) must be an m×n = {m}×{n} nested list or array (rows are outputs), got {got} for f's {m} "
            f"output{'s' if m != 1 else ''}"
        )
    return list(matrix)


def _callables(what: str, **functions: object) -> None:
    """Refuse what is not a function before anything is called: its own TypeError, not one from inside f."""
    for name, fn in functions.items():
        if not callable(fn):
            raise TypeError(
                f"{what}: {name} must be a function, got {shown(fn)}; pass the function itself, not its value"
            )


def _raise_unless_ok(report: GradcheckReport, hint: str) -> None:
    __tracebackhide__ = True  # pytest shows the test's line, not this helper's
    if not report.ok:
        raise check_failed(report.failure_message(hint))


def assert_grad(f: Callable[[Any], Any], grad_f: Callable[[Any], Any], x: Any, **options: Any) -> None:
    """For tests: ``AssertionError`` unless ``check_grad`` passes; the message's first line is one sentence.

    >>> assert_grad(lambda v: v[0] ** 2 + v[1], lambda v: [2 * v[0], 1.0], [3.0, 4.0])
    """
    __tracebackhide__ = True
    _raise_unless_ok(check_grad(f, grad_f, x, **options), "(analytic = grad_f(x), numeric = estimated from f)")


def assert_jacobian(f: Callable[[Any], Any], jac_f: Callable[[Any], Any], x: Any, **options: Any) -> None:
    """For tests: ``AssertionError`` unless ``check_jacobian`` passes; the first line is one sentence."""
    __tracebackhide__ = True
    _raise_unless_ok(check_jacobian(f, jac_f, x, **options), "(analytic = jac_f(x), numeric = estimated from f)")
