"""Checking any derivative: plain Python or NumPy functions against numeric derivatives.

``check_grad(f, grad_f, x)`` checks a gradient you derived by hand: ``f`` takes a
float, a list of floats or a 1-D NumPy array and returns one number, and
``grad_f`` returns the gradient in the same shape. ``check_jacobian(f, jac_f, x)``
does the same for vector outputs (``jac_f`` an m×n nested list or array, rows
are outputs). Both return the reports of :mod:`micrograd_plus.check.reports` and use
the estimators of :mod:`micrograd_plus.check.estimates`; ``method="complex"`` uses the
complex step when ``f`` accepts complex numbers (``cmath`` or NumPy functions).
NumPy is never imported unless ``x`` is an array.

>>> import math
>>> check_grad(lambda v: v[0] * math.sin(v[1]), lambda v: [math.sin(v[1]), v[0] * math.cos(v[1])], [2.0, 0.5]).ok
True
>>> report = check_grad(lambda x: x**3, lambda x: 6 * x**2, 1.5)
>>> report.ok, report.findings[0]
(False, 'x: factor 2 too large (analytic 13.5, numeric 6.75)')
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from micrograd_plus._validate import as_number, is_real, shown
from micrograd_plus.check.differences import ATOL, RTOL
from micrograd_plus.check.reports import GradcheckReport, JacobianReport
from micrograd_plus.check.verdicts import Settings, compare, make_jacobian_report, make_report

__all__ = ["assert_grad", "assert_jacobian", "check_grad", "check_jacobian"]


def _is_array(x: object) -> bool:
    return type(x).__module__.split(".")[0] == "numpy" and getattr(x, "ndim", None) is not None


class _Point:
    """The shape of the user's x (a number, a list or a 1-D array) and how to rebuild it from floats."""

    def __init__(self, x: object, what: str) -> None:
        self.kind = "scalar"
        if _is_array(x) and getattr(x, "ndim", 0) >= 1:
            if getattr(x, "ndim", 0) != 1:
                raise ValueError(f"x must be a number, a list or a 1-D array, got an array of shape {x.shape}")  # type: ignore[attr-defined]
            self.kind, values = "array", list(x.tolist())  # type: ignore[attr-defined]
        elif isinstance(x, (list, tuple)):
            self.kind, values = "list", list(x)
        else:
            values = [x]
        values = [as_number(v) for v in values]
        for i, v in enumerate(values):
            if not is_real(v):
                raise TypeError(f"{what}: x[{i}] must be a real number, got {shown(v)}")
            if not math.isfinite(v):
                raise ValueError(f"{what}: x[{i}] must be finite, got {v}")
        if not values:
            raise ValueError(f"{what}: x is empty; pass at least one number")
        self.xs = [float(v) for v in values]
        self.names = ["x"] if self.kind == "scalar" else [f"x{i}" for i in range(len(values))]

    def rebuild(self, values: Sequence[complex]) -> object:
        if self.kind == "scalar":
            return values[0]
        if self.kind == "list":
            return list(values)
        import numpy

        return numpy.array(values)

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """NumPy's warnings about nan or overflow at a nudged point are handled by the step rule instead."""
        if self.kind != "array":
            yield
            return
        import numpy

        with numpy.errstate(all="ignore"):
            yield


def _numbers(out: object, what: str, allow_complex: bool = False) -> list[Any]:
    """A result as a flat list of numbers: a number, a 0-d array, a list/tuple or a 1-D array of them."""
    if _is_array(out):
        out = out.tolist()  # type: ignore[attr-defined]
    items = list(out) if isinstance(out, (list, tuple)) else [out]
    if not allow_complex:  # cmath gives complex(v, 0) at real points: that is a real number
        items = [v.real if isinstance(v, complex) and v.imag == 0 else v for v in items]
    kind = numbers.Complex if allow_complex else numbers.Real
    for i, v in enumerate(items):
        if isinstance(v, bool) or not isinstance(v, kind):
            shown = f"[{i}]" if isinstance(out, (list, tuple)) else ""
            raise TypeError(f"{what}{shown} must be a real number, got {type(v).__name__} {v!r}")
    return items


def _finite(values: Sequence[float], what: str) -> list[float]:
    for i, v in enumerate(values):
        if not math.isfinite(v):
            raise ValueError(f"{what}[{i}] is {v}; the analytic derivative must be finite at the point checked")
    return [float(v) for v in values]


def _evaluators(
    f: Callable[[Any], Any], point: _Point, method: str
) -> tuple[Callable[[list[float]], list[float]], Callable[[list[complex]], list[complex]] | None]:
    def evaluate(values: list[float]) -> list[float]:
        with point.quiet():
            return [float(v) for v in _numbers(f(point.rebuild(values)), "f(x)")]

    def evaluate_complex(values: list[complex]) -> list[complex]:
        try:
            with point.quiet():
                out = f(point.rebuild(values))
        except TypeError as error:
            raise TypeError(
                "method='complex' evaluates f at complex points x + ih·e_j, but f refused one "
                f"({error}); write f with cmath or NumPy functions instead of math, or use method='richardson'"
            ) from error
        return _numbers(out, "f(x + ih)", allow_complex=True)  # a real number here is refused by complex_step

    return evaluate, (evaluate_complex if method == "complex" else None)


def check_grad(
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    x: Any,
    *,
    method: str = "richardson",
    eps: float | None = None,
    atol: float = ATOL,
    rtol: float = RTOL,
) -> GradcheckReport:
    """∇f(x) from ``grad_f`` against numeric derivatives ∂f/∂x_i, one row per component.

    >>> check_grad(lambda x: x * x, lambda x: 2 * x, 1e12).ok
    True
    """
    settings = Settings.of(method, eps, atol, rtol)
    point = _Point(x, "check_grad")
    n = len(point.xs)
    out = _numbers(f(point.rebuild(point.xs)), "f(x)")
    if len(out) != 1:
        raise ValueError(f"f(x) must return one number, got {len(out)} of them; use check_jacobian for vector outputs")
    gradient = _numbers(grad_f(point.rebuild(point.xs)), "grad_f(x)")
    if len(gradient) != n:
        raise ValueError(
            f"grad_f(x) returned {len(gradient)} component{'s' if len(gradient) != 1 else ''} for {n} "
            f"input{'s' if n != 1 else ''}; return one partial derivative per component of x"
        )
    analytic = [_finite(gradient, "grad_f(x)")]
    evaluate, evaluate_complex = _evaluators(f, point, settings.method)
    f0 = [float(out[0])]
    if not math.isfinite(f0[0]):
        raise ValueError(f"f(x) is {f0[0]} at the point checked; check at a point where f is finite")
    rows = compare(evaluate, point.xs, point.names, analytic, f0, settings, complex_evaluate=evaluate_complex)
    return make_report(rows, settings, subject="component", title="check_grad")


def check_jacobian(
    f: Callable[[Any], Any],
    jac_f: Callable[[Any], Any],
    x: Any,
    *,
    method: str = "richardson",
    eps: float | None = None,
    atol: float = ATOL,
    rtol: float = RTOL,
    limit: int = 10,
) -> JacobianReport:
    """J[i][j] = ∂f_i/∂x_j from ``jac_f`` (m×n, rows are outputs) against numeric derivatives.

    The report prints the ``limit`` worst entries; ``full()`` prints all and
    ``matrix()`` both matrices.

    >>> report = check_jacobian(lambda v: [v[0] * v[1], v[0] + v[1]], lambda v: [[v[1], v[0]], [1.0, 1.0]], [2.0, 3.0])
    >>> report.ok, report.shape
    (True, (2, 2))
    """
    settings = Settings.of(method, eps, atol, rtol)
    point = _Point(x, "check_jacobian")
    n = len(point.xs)
    f0 = _finite([float(v) for v in _numbers(f(point.rebuild(point.xs)), "f(x)")], "f(x)")
    m = len(f0)
    matrix = jac_f(point.rebuild(point.xs))
    rows_in = matrix.tolist() if _is_array(matrix) else matrix
    if not isinstance(rows_in, (list, tuple)) or len(rows_in) != m:
        size = len(rows_in) if isinstance(rows_in, (list, tuple)) else "no"
        raise ValueError(
            f"jac_f(x) must be an m×n = {m}×{n} nested list or array (rows are outputs), got {size} rows for "
            f"f's {m} outputs"
        )
    analytic = []
    for i, row in enumerate(rows_in):
        entries = _numbers(row, f"jac_f(x)[{i}]")
        if len(entries) != n or (not isinstance(row, (list, tuple)) and n != 1):
            raise ValueError(
                f"jac_f(x)[{i}] has {len(entries)} entries for {n} inputs; J must be m×n = {m}×{n} (rows are outputs)"
            )
        analytic.append(_finite(entries, f"jac_f(x)[{i}]"))
    evaluate, evaluate_complex = _evaluators(f, point, settings.method)
    outputs = [f"f{i}" for i in range(m)]
    rows = compare(
        evaluate, point.xs, point.names, analytic, f0, settings, output_names=outputs, complex_evaluate=evaluate_complex
    )
    return make_jacobian_report(rows, settings, (m, n), title="check_jacobian", limit=limit)


def _raise_unless_ok(report: GradcheckReport, hint: str) -> None:
    if not report.ok:
        raise AssertionError(f"{report.headline()}\n{hint}\n{report}")


def assert_grad(f: Callable[[Any], Any], grad_f: Callable[[Any], Any], x: Any, **options: Any) -> None:
    """For tests: ``AssertionError`` unless ``check_grad`` passes; the message's first line is one sentence.

    >>> assert_grad(lambda v: v[0] ** 2 + v[1], lambda v: [2 * v[0], 1.0], [3.0, 4.0])
    """
    _raise_unless_ok(check_grad(f, grad_f, x, **options), "(analytic = grad_f(x), numeric = estimated from f)")


def assert_jacobian(f: Callable[[Any], Any], jac_f: Callable[[Any], Any], x: Any, **options: Any) -> None:
    """For tests: ``AssertionError`` unless ``check_jacobian`` passes; the first line is one sentence."""
    _raise_unless_ok(check_jacobian(f, jac_f, x, **options), "(analytic = jac_f(x), numeric = estimated from f)")
