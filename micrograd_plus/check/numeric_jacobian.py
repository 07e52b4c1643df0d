"""The numeric side of a check: every column of the Jacobian with its error, estimated once, and judged
against any number of analytic Jacobians (the user's, and each mutant's).

At a point where several inputs show kinks for one output (a tie of ``max`` or ``min``), the derivative along
the sum of those inputs' directions is estimated too: a subgradient g of a tie lies in the convex hull of the
pieces' gradients, which the one-sided slopes of each input alone do not pin down (g = (1, 1) lies between
the slopes 0 and 1 of each input of max(x0, x1) at x0 = x1, but its slope along (1, 1) is 2 where f's is 1).

>>> import math
>>> numeric = estimate_jacobian(lambda p: [max(p[0], p[1])], [1.0, 1.0], [1.0], "richardson", 1e-3)
>>> [r.status for r in judge_jacobian(numeric, [[0.5, 0.5]], ["x0", "x1"], 0.0, 0.0)]
['subgradient', 'subgradient']
>>> [r.status for r in judge_jacobian(numeric, [[1.0, 1.0]], ["x0", "x1"], 0.0, 0.0)]
['kink', 'kink']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from micrograd_plus.check.estimates import Estimate
from micrograd_plus.check.reports import RESOLVE, GradcheckRow, judge
from micrograd_plus.check.step_search import estimate

__all__ = ["NumericJacobian", "estimate_jacobian", "judge_jacobian", "row_of"]

Evaluate = Callable[[list[float]], Sequence[float]]


@dataclass(frozen=True)
class NumericJacobian:
    """The estimated columns (one Estimate per input), the point, f(x), and for each output with a tie of
    kinks the direction (+1/-1 on the tied inputs) and the estimate along it."""

    xs: tuple[float, ...]
    f0: tuple[float, ...]
    columns: tuple[Estimate, ...]
    ties: tuple[tuple[int, tuple[float, ...], Estimate], ...] = ()


def row_of(name: str, value: float, analytic: float, e: Estimate, i: int, f0: float, atol: float,
           rtol: float, terms: float = 0.0) -> GradcheckRow:  # fmt: skip
    """The verdict on output i of one estimate against one analytic number (made of terms of size ``terms``)."""
    kink = e.kinks[i] if e.kinks else None
    flat = bool(e.flat and e.flat[i])
    return judge(name, value, analytic, e.values[i], e.errors[i], kink, atol, rtol,
                 scale=e.scales[i] if e.scales else 0.0, noise=e.noise[i] if e.noise else 0.0, flat=flat,
                 flat_zero=flat and f0 == 0.0, kink_error=e.kink_errors[i] if e.kink_errors else 0.0,
                 step=e.step, terms=terms)  # fmt: skip


def _tie_direction(columns: Sequence[Estimate], i: int) -> tuple[float, ...] | None:
    """+1 or -1 on each input with a kink in output i (the sign of its slopes' sum), None unless two or more."""
    kinked = [(j, c.kinks[i]) for j, c in enumerate(columns) if c.kinks and c.kinks[i] is not None]
    if len(kinked) < 2:
        return None
    direction = [0.0] * len(columns)
    for j, slopes in kinked:
        assert slopes is not None
        direction[j] = -1.0 if slopes[0] + slopes[1] < 0 else 1.0
    return tuple(direction)


def estimate_jacobian(
    evaluate: Evaluate,
    xs: Sequence[float],
    f0: Sequence[float],
    method: str,
    coefficient: float,
    column: Callable[[int], Estimate] | None = None,
) -> NumericJacobian:
    """Each column by ``column(j)`` (or the step search along x_j), then the tie directions at kinks."""

    def along_input(j: int) -> Estimate:
        def g(t: float) -> Sequence[float]:
            point = list(xs)
            point[j] += t
            return evaluate(point)

        return estimate(g, xs[j], method, coefficient, f0=f0)

    columns = tuple((column or along_input)(j) for j in range(len(xs)))
    ties = []
    for i in range(len(f0)):
        d = _tie_direction(columns, i)
        if d is None or method not in ("richardson", "central"):
            continue

        def g_d(t: float, d: tuple[float, ...] = d) -> Sequence[float]:
            return evaluate([x + t * c for x, c in zip(xs, d)])

        size = max(abs(x) for x, c in zip(xs, d) if c)
        ties.append((i, d, estimate(g_d, size, method, coefficient, f0=f0)))
    return NumericJacobian(tuple(xs), tuple(f0), columns, tuple(ties))


def _hull(rows: list[GradcheckRow], numeric: NumericJacobian, analytic: Sequence[Sequence[float]], n: int,
          names: Sequence[str]) -> None:  # fmt: skip
    """Rows of a tie whose analytic slope along the tie direction falls outside f's one-sided slopes there."""
    for i, d, e in numeric.ties:
        tied = [j for j, c in enumerate(d) if c]
        if not all(rows[i * n + j].status == "subgradient" for j in tied):
            continue
        slope = sum(analytic[i][j] * d[j] for j in tied)
        kink = e.kinks[i] if e.kinks else None
        low, high = sorted(kink) if kink is not None else (e.values[i], e.values[i])
        slack = (e.kink_errors[i] if kink is not None and e.kink_errors else e.errors[i]) + RESOLVE * max(
            abs(low), abs(high), 1e-300
        )
        if low - slack <= slope <= high + slack:
            continue
        along = " + ".join(("-" if d[j] < 0 else "") + names[j] for j in tied)
        note = (
            f"kink: not a subgradient: along {along} (a tie) the analytic slope {slope:.6g} is outside "
            f"[{low:.6g}, {high:.6g}], f's one-sided slopes there; at a tie of max or min a subgradient is a "
            "convex combination of the tied pieces' gradients"
        )
        for j in tied:
            rows[i * n + j] = replace(rows[i * n + j], ok=False, status="kink", note=note)


def judge_jacobian(
    numeric: NumericJacobian,
    analytic: Sequence[Sequence[float]],
    names: Sequence[str],
    atol: float,
    rtol: float,
    output_names: Sequence[str] | None = None,
    rounding: Sequence[Sequence[tuple[float, float]]] | None = None,
) -> list[GradcheckRow]:
    """One row per entry of the Jacobian, in row-major order (output by output, input by input); an entry's
    ``rounding[i][j]`` (the size of the terms the analytic number adds up and their rounding, when known)
    widens its atol, and the terms' size is a scale the entry is resolved against."""
    n = len(numeric.columns)
    rows = []
    for i, c in enumerate(numeric.f0):
        for j, column in enumerate(numeric.columns):
            name = names[j] if output_names is None else f"d{output_names[i]}/d{names[j]}"
            terms, own = rounding[i][j] if rounding is not None else (0.0, 0.0)
            rows.append(row_of(name, numeric.xs[j], analytic[i][j], column, i, c, atol + own, rtol, terms))
    _hull(rows, numeric, analytic, n, names)
    return rows
