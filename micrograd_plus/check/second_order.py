"""Second derivatives and forward mode, checked: ``gradgradcheck`` and ``check_forward_reverse``.

>>> gradgradcheck(lambda x, y: x * x * y, [1.0, 2.0]).ok
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import make_rng
from micrograd_plus.check.differences import ANALYTIC_RTOL, FLOOR_ATOL, ROUNDING
from micrograd_plus.check.inputs import call_values, named_floats, outputs_of
from micrograd_plus.check.reports import GradcheckReport
from micrograd_plus.check.verdicts import Settings, compare, make_report, random_unit_vector
from micrograd_plus.engine import Value

__all__ = ["check_forward_reverse", "gradgradcheck"]


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float] | Mapping[str, float],
    *,
    method: str = "richardson",
    eps: float | None = None,
    atol: float = FLOOR_ATOL,
    rtol: float = ANALYTIC_RTOL,
) -> GradcheckReport:
    """Second derivatives (reverse over reverse) against numeric derivatives of the first derivative.

    One row per pair (i, j): d²f/dx_i dx_j from ``hessian`` against the numeric
    derivative along x_j of ∂f/∂x_i computed by ``backward()``. Defaults as
    ``gradcheck`` (atol=1e-300, rtol=1e-7); an entry is resolved against the size
    of ∂f/∂x_i per unit x_j, so a second derivative of 0 at an inflection passes.

    >>> gradgradcheck(lambda x, y: (x * y).sin(), [0.5, 1.5]).ok
    True
    """
    from micrograd_plus.autodiff import gradients, hessian

    settings = replace(Settings.of(method, eps, atol, rtol), search_rtol=1e-5)  # the step search's cost as before
    if settings.method == "complex":
        raise ValueError("method='complex' needs a function of complex numbers; Values are real: use 'richardson'")
    names, xs = named_floats(inputs)
    by_name = isinstance(inputs, Mapping)

    def call(values: Sequence[Value]) -> Value:
        return outputs_of(call_values(f, names, list(values), by_name))[0]

    analytic = [[float(h) for h in row] for row in hessian(lambda vs: call(vs))(xs)]

    def first_derivatives(point: list[float]) -> list[float]:
        leaves = [Value(x) for x in point]
        return [float(g) for g in gradients(call(leaves), leaves)]

    slopes = first_derivatives(xs)
    # an entry is resolved against how much ∂f/∂x_i is per unit x_j (0 at an inflection, as arcsin'' at 0), and
    # the analytic entry may carry the rounding of that size
    sizes = [[abs(g) / max(1.0, abs(x)) for x in xs] for g in slopes]
    rounding = [[(t, 8 * ROUNDING * t) for t in row] for row in sizes]
    rows = compare(first_derivatives, xs, names, analytic, slopes, settings, output_names=names, rounding=rounding)
    n = len(xs)
    rows = [replace(r, name=f"d2/d{names[k // n]}d{names[k % n]}") for k, r in enumerate(rows)]
    return make_report(rows, settings, subject="second derivative")


def check_forward_reverse(
    f: Callable[..., Any], inputs: Sequence[float], *, seed: int = 0, rtol: float = 1e-10
) -> tuple[float, float, bool]:
    """Forward mode against reverse mode: uᵀ(J v) from ``jvp`` and (uᵀJ)·v from ``backward`` for
    seeded random unit vectors u and v. Returns both numbers and whether they agree.

    >>> lhs, rhs, ok = check_forward_reverse(lambda x, y: [x * y, (x - y).tanh()], [0.3, -1.2])
    >>> ok
    True
    """
    from micrograd_plus.autodiff import gradients, jvp

    rng = make_rng(seed)
    xs = [float(x) for x in inputs]
    v = random_unit_vector(len(xs), rng)
    _, tangents = jvp(f, xs, v)
    outputs = tangents if isinstance(tangents, list) else [tangents]
    u = random_unit_vector(len(outputs), rng)
    forward = sum(a * b for a, b in zip(u, outputs))  # uᵀ (J v)
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    ys = list(out) if isinstance(out, (list, tuple)) else [out]
    weighted = F.sum([y * c for y, c in zip(ys, u)])  # uᵀ f, whose gradient is uᵀ J
    row = gradients(weighted, leaves)
    reverse = sum(g * c for g, c in zip(row, v))  # (uᵀ J) v
    scale = max(1.0, abs(forward), abs(reverse))
    return forward, reverse, abs(forward - reverse) <= rtol * scale
