"""Finite differences and the error they may show: the numbers every derivative check is built on.

The central difference (f(x + h) - f(x - h)) / 2h has a truncation error of
about h²·f'''/6 and a rounding error of about ε·|f|/h (ε = 2.2e-16). A
derivative computed another way is accepted when

    |analytic - numeric| <= atol + rtol·|numeric| + 4ε·(|f(x+h)| + |f(x-h)|) / 2h

(``allowed_error``). A point where the one-sided slopes disagree by more than
curvature and rounding explain (``kink_slopes``) has no derivative to check.
These single-step helpers serve the per-node check and the step-size sweep; the
whole-function checks use the estimators with error bounds of
:mod:`micrograd_plus.check.estimates`.

>>> up, down = nudged([1.0, 2.0], 1, 0.5)
>>> up, down
([1.0, 2.5], [1.0, 1.5])
>>> round(central_difference(lambda x, y: x * y * y, [1.0, 2.0], 1), 6)
4.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from micrograd_plus._validate import check_real

__all__ = [
    "ANALYTIC_RTOL",
    "ATOL",
    "FLOOR_ATOL",
    "EPS",
    "KINK_TOL",
    "ROUNDING",
    "RTOL",
    "UNDERFLOW",
    "allowed_error",
    "central_difference",
    "check_eps",
    "check_tolerances",
    "kink_slopes",
    "nudged",
    "relative_error",
    "rounding_error",
]

EPS = 1e-6
ATOL = 1e-8  # the single-step check of one local derivative (check_local_grads), which has no error estimate
RTOL = 1e-5
ANALYTIC_RTOL = 1e-7  # the whole-function checks: the rounding a derivative's formula may carry, nothing more
FLOOR_ATOL = 1e-300  # Value checks: below the normal floats (2.2e-308) a graph's results keep no relative accuracy
KINK_TOL = 1e-3  # slopes on either side further apart than this (relative) mean a kink, not curvature
ROUNDING = 4 * 2.0**-52  # a few units of rounding in each evaluation of f
UNDERFLOW = 2.0**-1000  # below 2**-1022 floats are evenly spaced: there rounding is absolute, not relative


def rounding_error(*values: float) -> float:
    """The rounding error of a sum of evaluations of f: relative to each, but never below the absolute
    spacing of the subnormal floats (5e-324 / 2 has no relative accuracy left).

    >>> rounding_error(1.0) == 4 * 2.0**-52 * (1.0 + 2.0**-1000), rounding_error(0.0) > 0.0
    (True, True)
    """
    return ROUNDING * sum(abs(v) + UNDERFLOW for v in values)


def check_eps(eps: object) -> float:
    """``eps`` as a float, or ValueError naming it: a step must be a positive finite number."""
    try:
        return check_real("eps", eps, low=0.0, low_open=True)
    except ValueError as error:
        raise ValueError(f"{error} (the step relative to max(1, |x|)); the default is {EPS}") from None


def check_tolerances(atol: object, rtol: object) -> None:
    """ValueError unless both tolerances are finite numbers >= 0."""
    check_real("atol", atol, low=0.0)
    check_real("rtol", rtol, low=0.0)


def nudged(xs: Sequence[float], i: int, h: float) -> tuple[list[float], list[float]]:
    """The two points x + h·e_i and x - h·e_i of a central difference."""
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return up, down


def central_difference(f: Callable[..., float], xs: Sequence[float], i: int, eps: float = EPS) -> float:
    """∂f/∂x_i ≈ (f(x + eps·e_i) - f(x - eps·e_i)) / 2eps for a plain function of floats.

    >>> round(central_difference(lambda x, y: x * x * y, [3.0, 2.0], 0), 6)
    12.0
    """
    check_eps(eps)
    if not 0 <= i < len(xs):
        raise ValueError(f"input index {i} is out of range for {len(xs)} inputs; use 0..{len(xs) - 1}")
    up, down = nudged(xs, i, eps)
    return (float(f(*up)) - float(f(*down))) / (2 * eps)


def allowed_error(numeric: float, f_up: float, f_down: float, h: float, atol: float, rtol: float) -> float:
    """The error a correct derivative may show against a central difference: tolerance plus rounding.

    >>> allowed_error(2.0, 1.0, 1.0, 1e-6, 1e-8, 1e-5) > 2e-5
    True
    """
    return atol + rtol * abs(numeric) + rounding_error(f_up, f_down) / (2 * h)


def kink_slopes(f_up: float, f_x: float, f_down: float, h: float, numeric: float) -> tuple[float, float] | None:
    """The one-sided slopes (right, left) when they disagree by more than curvature and rounding explain.

    >>> kink_slopes(1.0, 0.0, 0.0, 1.0, 0.5)  # |x| at 0: slope 1 from the right, 0 from the left
    (1.0, 0.0)
    """
    right, left = (f_up - f_x) / h, (f_x - f_down) / h
    rounding = 4 * allowed_error(0.0, f_up, f_down, h, 0.0, 0.0)
    return (right, left) if abs(right - left) > KINK_TOL * (1.0 + abs(numeric)) + rounding else None


def relative_error(error: float, reference: float) -> float:
    """error / |reference|; 0 for no error against 0, inf for an error against 0."""
    return error / abs(reference) if reference else (0.0 if error == 0.0 else math.inf)
