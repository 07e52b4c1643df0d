"""The Taylor-remainder test: a second opinion on a derivative that needs no step size to be right.

Along each input's direction d (a coordinate scaled to max(1, |x_j|)) the
remainder r(h) = |f(x + h·d) - f(x) - h·∇f·d| is O(h²) when ∇f is right and
only O(h), h·|error·d|, when it is wrong. Over the steps h, h/2, …, h/128
(h ≈ 0.01·max(1, |x|)) the observed slope of log r against log h is the verdict:
about 2 (or a remainder at the rounding of f at every step: f linear along d)
passes, about 1 fails, anything between is unresolved. It suits functions whose
finite differences are poor (noisy f, derivatives far from the step's scale),
and is what ``method="taylor"`` runs. The numeric column shown is the
extrapolated one-sided difference from the same evaluations.

>>> import math
>>> rows = taylor_rows(lambda p: [math.sin(p[0])], [0.5], ["x"], [[math.cos(0.5)]], [math.sin(0.5)], 1e-2)
>>> rows[0].status, rows[0].note
('ok', 'Taylor remainder falls as h^2.00 (want 2)')
>>> taylor_rows(lambda p: [math.sin(p[0])], [0.5], ["x"], [[1.0]], [math.sin(0.5)], 1e-2)[0].note
'Taylor remainder falls as h^1.00 (want 2): the derivative is off by about 0.12'
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from micrograd_plus.check.differences import rounding_error
from micrograd_plus.check.estimates import Estimate, EvaluationError, evaluate_at, one_sided, step_size
from micrograd_plus.check.reports import GradcheckRow

__all__ = ["STEPS", "remainder_slope", "taylor_rows"]

STEPS = 8  # h, h/2, ..., h/128
RETRIES = 8  # 16-fold smaller steps tried when f fails at a nudged point

Evaluate = Callable[[list[float]], Sequence[float]]


def remainder_slope(steps: Sequence[float], remainders: Sequence[float], noise: Sequence[float]) -> float | None:
    """The slope of log r against log h over the smallest steps whose remainder is above rounding (the median
    of the last three consecutive pairs); None when fewer than two remainders are (f is linear along d).

    >>> remainder_slope([1.0, 0.5, 0.25], [1.0, 0.25, 0.0625], [0.0] * 3)
    2.0
    """
    pairs = [
        math.log(r_big / r_small) / math.log(h_big / h_small)
        for h_big, h_small, r_big, r_small, n_big, n_small in zip(
            steps, steps[1:], remainders, remainders[1:], noise, noise[1:]
        )
        if r_big > 10 * n_big and r_small > 10 * n_small
    ]
    return statistics.median(pairs[-3:]) if pairs else None


def _samples(evaluate: Evaluate, xs: Sequence[float], j: int, coefficient: float) -> tuple[float, list[list[float]]]:
    """f at x + h_k·d_j for the steps h_k, shrunk 16-fold while f fails there; the scaled step and the outputs."""
    scale = max(1.0, abs(xs[j]))
    h = step_size(xs[j], coefficient) / scale
    first: EvaluationError | None = None
    for _ in range(RETRIES + 1):
        try:
            return h, [evaluate_at(lambda t: evaluate(_moved(xs, j, t * scale)), h / 2**k) for k in range(STEPS)]
        except EvaluationError as error:
            first, h = first or error, h / 16
    assert first is not None
    raise first


def _moved(xs: Sequence[float], j: int, t: float) -> list[float]:
    point = list(xs)
    point[j] += t
    return point


def _fitted(steps: list[float], outs: list[float], c: float) -> Estimate:
    """The one-sided Richardson estimate from evaluations already made at the steps h, h/2, h/4."""
    known = dict(zip(steps, outs))
    return one_sided(lambda t: [known[t] if t else c], steps[0], +1, [c])


def _row(name: str, value: float, analytic: float, slope: float | None, numeric: float, bound: float,
         error: float) -> GradcheckRow:  # fmt: skip
    if slope is None:
        note = "Taylor remainder is at f's rounding at every step (f is linear along it)"
        return GradcheckRow(name, value, analytic, numeric, True, note, bound, "ok")
    note = f"Taylor remainder falls as h^{slope:.2f} (want 2)"
    if slope >= 1.8:
        return GradcheckRow(name, value, analytic, numeric, True, note, bound, "ok")
    if slope <= 1.2:
        return GradcheckRow(name, value, analytic, numeric, False, f"{note}: the derivative is off by about "
                            f"{error:.2g}", bound, "wrong")  # fmt: skip
    note = f"unresolved: {note}, neither h (wrong) nor h² (right); check at another point or with method='richardson'"
    return GradcheckRow(name, value, analytic, numeric, False, note, bound, "unresolved")


def taylor_rows(
    evaluate: Evaluate,
    xs: Sequence[float],
    names: Sequence[str],
    analytic: Sequence[Sequence[float]],
    f0: Sequence[float],
    coefficient: float,
    output_names: Sequence[str] | None = None,
) -> list[GradcheckRow]:
    """One row per entry of the Jacobian (row-major), each judged by its remainder's slope."""
    columns = [_samples(evaluate, xs, j, coefficient) for j in range(len(xs))]
    rows = []
    for i, c in enumerate(f0):
        for j, (h, outs) in enumerate(columns):
            scale = max(1.0, abs(xs[j]))
            steps = [h / 2**k for k in range(STEPS)]
            a = analytic[i][j] * scale  # the derivative along d_j = scale·e_j
            remainders = [abs(out[i] - c - hk * a) for hk, out in zip(steps, outs)]
            noise = [rounding_error(out[i], c, hk * a) for hk, out in zip(steps, outs)]
            slope = remainder_slope(steps, remainders, noise)
            fit = _fitted(steps[-3:], [out[i] for out in outs[-3:]], c)
            name = names[j] if output_names is None else f"d{output_names[i]}/d{names[j]}"
            off = remainders[-1] / steps[-1] / scale
            rows.append(_row(name, xs[j], analytic[i][j], slope, fit.values[0] / scale, fit.errors[0] / scale, off))
    return rows
