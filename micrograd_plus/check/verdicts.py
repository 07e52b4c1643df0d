"""Analytic derivatives against numeric estimates: per input, or along seeded random directions.

The engine-independent core of every check (``gradcheck``, ``gradcheck_module``,
``check_grad``, ``check_jacobian``): it takes ``evaluate(point) -> outputs`` and
the analytic Jacobian (m outputs × n inputs), estimates each column numerically
(:mod:`micrograd_plus.check.estimates`) and judges each entry
(:func:`micrograd_plus.check.reports.judge`).

>>> import math
>>> opts = Settings.of("richardson", None, 1e-8, 1e-5)
>>> rows = compare(lambda p: [math.sin(p[0]) * p[1]], [0.5, 2.0], ["x", "y"], [[2 * math.cos(0.5), math.sin(0.5)]],
...                [math.sin(0.5) * 2.0], opts)
>>> [r.status for r in rows]
['ok', 'ok']
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from micrograd_plus._validate import check_count, check_real, make_rng
from micrograd_plus.check.diagnosis import explain, transposed
from micrograd_plus.check.differences import check_eps, check_tolerances
from micrograd_plus.check.estimates import DEFAULT_STEP, METHODS, Estimate, EvaluationError
from micrograd_plus.check.numeric_jacobian import NumericJacobian, estimate_jacobian, judge_jacobian, row_of
from micrograd_plus.check.reports import GradcheckReport, GradcheckRow, JacobianReport
from micrograd_plus.check.step_search import estimate
from micrograd_plus.check.taylor import taylor_rows

__all__ = [
    "NudgedPointError",
    "Settings",
    "compare",
    "compare_directions",
    "numeric_jacobian",
    "make_jacobian_report",
    "make_report",
    "random_unit_vector",
]

Evaluate = Callable[[list[float]], Sequence[float]]
ComplexEvaluate = Callable[[list[complex]], Sequence[complex]]


class NudgedPointError(ValueError):
    """f failed at every step tried near the point checked; the message names the nudged point."""


@dataclass(frozen=True)
class Settings:
    """How to estimate and judge: the method, the step coefficient c (h ≈ c·max(1, |x|)), atol and rtol;
    ``search_rtol``, when larger than rtol, ends each step search once the bound is a hundredth of it."""

    method: str
    coefficient: float
    atol: float
    rtol: float
    search_rtol: float = 0.0

    @staticmethod
    def of(method: object, eps: object, atol: object, rtol: object) -> Settings:
        """Validated settings: ValueError naming a bad method, step or tolerance."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        chosen = str(method)
        if eps is None:
            eps = DEFAULT_STEP[chosen]
        step = check_eps(eps)
        check_tolerances(atol, rtol)
        return Settings(chosen, step, check_real("atol", atol, low=0.0), check_real("rtol", rtol, low=0.0))

    @property
    def step_rule(self) -> str:
        return f"h ≈ {self.coefficient:g}·max(1, |x|)"


def _failed(error: EvaluationError, names: Sequence[str], point: Sequence[float], j: int | None) -> NudgedPointError:
    where = f"{names[j]} = {point[j]:.8g} + ({error.offset:.3g})" if j is not None else f"x + ({error.offset:.3g})·v"
    if not error.domain:
        return NudgedPointError(
            f"f failed at {where}, within the step of the point checked: {error.cause}; f ran at the point "
            "itself, so this is an error in f (or in what it calls) at nearby inputs, at every step tried"
        )
    return NudgedPointError(
        f"f failed at {where}, within the step of the point checked: {error.cause}; the point may be at the edge "
        "of f's domain: use method='forward' or method='backward' (one-sided differences), a smaller eps, "
        "or move the point"
    )


def _column(
    evaluate: Evaluate,
    xs: list[float],
    j: int,
    f0: Sequence[float],
    settings: Settings,
    complex_evaluate: ComplexEvaluate | None,
    zero_expected: bool = False,
) -> Estimate:
    def along(t: float) -> Sequence[float]:
        point = list(xs)
        point[j] += t
        return evaluate(point)

    along_complex = None
    if complex_evaluate is not None:
        ce = complex_evaluate

        def along_complex(t: complex) -> Sequence[complex]:
            point: list[complex] = list(map(complex, xs))
            point[j] += t
            return ce(point)

    s = settings
    rtol = max(s.rtol, s.search_rtol)
    return estimate(along, xs[j], s.method, s.coefficient, f0=f0, atol=s.atol, rtol=rtol, complex_g=along_complex,
                    zero_expected=zero_expected)  # fmt: skip


def numeric_jacobian(
    evaluate: Evaluate,
    xs: list[float],
    names: Sequence[str],
    f0: Sequence[float],
    settings: Settings,
    complex_evaluate: ComplexEvaluate | None = None,
    rounding: Sequence[Sequence[tuple[float, float]]] | None = None,
) -> NumericJacobian:
    """Every column of the Jacobian estimated (and the tie directions at kinks); NudgedPointError naming the
    input when f fails near the point at every step. A column's step search stops once its bound is well below
    atol plus the analytic entries' own rounding (``rounding[i][j]``: the size of the terms an entry adds up
    and their rounding, when known): a derivative that cancels to 0 is resolved when its bound is below that.
    Where those terms are all 0 (no path carries anything), f not changing at the first step settles it."""
    j = 0

    def column(k: int) -> Estimate:
        nonlocal j
        j = k
        if rounding is None:
            return _column(evaluate, xs, k, f0, settings, complex_evaluate)
        own = replace(settings, atol=settings.atol + max(r[k][1] for r in rounding))
        return _column(evaluate, xs, k, f0, own, complex_evaluate, all(r[k][0] == 0.0 for r in rounding))

    try:
        return estimate_jacobian(evaluate, xs, f0, settings.method, settings.coefficient, column)
    except EvaluationError as error:
        raise _failed(error, names, xs, j if j < len(xs) else None) from error


def compare(
    evaluate: Evaluate,
    xs: list[float],
    names: Sequence[str],
    analytic: Sequence[Sequence[float]],
    f0: Sequence[float],
    settings: Settings,
    *,
    output_names: Sequence[str] | None = None,
    complex_evaluate: ComplexEvaluate | None = None,
    rounding: Sequence[Sequence[tuple[float, float]]] | None = None,
) -> list[GradcheckRow]:
    """One row per entry of the Jacobian, in row-major order (output by output, input by input); with
    method="taylor" each judged by the slope of its Taylor remainder (:mod:`micrograd_plus.check.taylor`).
    ``rounding[i][j]``, when given, is the size of the terms the analytic entry adds up and their rounding
    (added to atol)."""
    if settings.method == "taylor":
        try:
            return taylor_rows(evaluate, xs, names, analytic, f0, settings.coefficient, output_names)
        except EvaluationError as error:
            raise _failed(error, names, xs, None) from error
    numeric = numeric_jacobian(evaluate, xs, names, f0, settings, complex_evaluate, rounding)
    return judge_jacobian(numeric, analytic, names, settings.atol, settings.rtol, output_names, rounding)


def random_unit_vector(n: int, rng: random.Random) -> list[float]:
    """A seeded direction: Gaussian components, scaled to length 1 (uniform over the sphere)."""
    v = [rng.gauss(0.0, 1.0) for _ in range(n)]
    norm = math.sqrt(sum(c * c for c in v)) or 1.0
    return [c / norm for c in v]


def compare_directions(
    evaluate: Evaluate,
    xs: list[float],
    names: Sequence[str],
    gradient: Sequence[float],
    f0: float,
    settings: Settings,
    count: int,
    seed: int,
) -> list[GradcheckRow]:
    """Directional derivatives along d_j = v_j·max(1, |x_j|) (v a seeded random unit vector), each from
    2·levels evaluations, against the analytic ∑_j ∂f/∂x_j·d_j."""
    count = check_count("directions", count)
    if settings.method in ("complex", "taylor"):
        raise ValueError("directions=k works with method='richardson', 'central', 'forward' or 'backward'")
    rng = make_rng(seed)
    rows = []
    for k in range(count):
        v = random_unit_vector(len(xs), rng)
        d = [c * max(1.0, abs(x)) for c, x in zip(v, xs)]

        def along(t: float, d: list[float] = d) -> Sequence[float]:
            return evaluate([x + t * c for x, c in zip(xs, d)])

        s = settings
        try:
            e = estimate(along, 1.0, s.method, s.coefficient, f0=[f0], atol=s.atol, rtol=s.rtol)
        except EvaluationError as error:
            raise _failed(error, names, xs, None) from error
        analytic = math.fsum(g * c for g, c in zip(gradient, d))
        rows.append(row_of(f"v{k}", math.nan, analytic, e, 0, f0, s.atol, s.rtol))
    return rows


def make_report(
    rows: Sequence[GradcheckRow],
    settings: Settings,
    *,
    subject: str = "input",
    directions: Sequence[GradcheckRow] = (),
    title: str = "gradcheck",
) -> GradcheckReport:
    """The report of these rows, each wrong row explained (:mod:`micrograd_plus.check.diagnosis`)."""
    explained, findings = explain(rows)
    s = settings
    return GradcheckReport(
        tuple(explained), s.method, s.step_rule, s.atol, s.rtol, tuple(directions), subject, tuple(findings), title
    )


def make_jacobian_report(
    rows: Sequence[GradcheckRow], settings: Settings, shape: tuple[int, int], *, title: str, limit: int = 10
) -> JacobianReport:
    """The report of an m×n Jacobian's entries (row-major), explained, with a transposed matrix recognised."""
    limit = check_count("limit", limit)  # the entries shown
    explained, findings = explain(rows)
    m, n = shape
    if m == n > 1:
        grid = [explained[i * n : (i + 1) * n] for i in range(n)]
        slack = max(2 * r.bound + settings.atol + settings.rtol * abs(r.numeric) for r in explained)
        numeric = [[r.numeric for r in line] for line in grid]
        if transposed([[r.analytic for r in line] for line in grid], numeric, slack):
            findings.insert(
                0, "the Jacobian is transposed: rows must be outputs and columns inputs, J[i][j] = df_i/dx_j"
            )
    s = settings
    common = (tuple(explained), s.method, s.step_rule, s.atol, s.rtol, (), "entry", tuple(findings), title)
    return JacobianReport(*common, shape=shape, limit=limit)
