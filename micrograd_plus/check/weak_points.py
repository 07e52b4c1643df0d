"""Are the test points strong enough? Mutants of grad_f judged against the check's own numeric derivatives.

The numeric Jacobian of a check is estimated once; each mutant of grad_f
(:mod:`micrograd_plus.check.mutation`) is called at the same point and judged
against it exactly as grad_f was. A mutant that raises, returns the wrong
shape, or returns nan is caught. A mutant that passes is compared with grad_f
at two seeded points nearby: equal there too, it is the same function written
differently (not a bug); else the points of the check could not tell a real bug
from the right gradient.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from micrograd_plus.check.mutation import MutantReport, make_mutants
from micrograd_plus.check.numeric_jacobian import NumericJacobian, judge_jacobian

__all__ = ["run_mutants"]

Analytic = Callable[[Callable[..., Any], Sequence[float]], list[list[float]]]


def _nearby(xs: Sequence[float], seed: int) -> list[float]:
    rng = random.Random(seed)
    return [x + 0.1 * max(1.0, abs(x)) * rng.uniform(0.3, 1.0) * rng.choice((-1, 1)) for x in xs]


def _same_elsewhere(original: Callable[..., Any], mutant: Callable[..., Any], xs: Sequence[float],
                    analytic: Analytic) -> bool:  # fmt: skip
    """Whether the mutant returns grad_f's values at two points near xs (then it is no bug at all)."""
    for seed in (1, 2):
        point = _nearby(xs, seed)
        try:
            a, b = analytic(original, point), analytic(mutant, point)
        except Exception:
            return False
        flat_a, flat_b = [v for row in a for v in row], [v for row in b for v in row]
        if any(abs(u - v) > 1e-12 * max(abs(u), abs(v), 1e-300) for u, v in zip(flat_a, flat_b)):
            return False
    return True


def run_mutants(
    grad_f: Callable[..., Any],
    numeric: NumericJacobian,
    names: Sequence[str],
    analytic: Analytic,
    atol: float,
    rtol: float,
    output_names: Sequence[str] | None = None,
) -> MutantReport:
    """Each mutant of grad_f judged at the check's point; ``analytic(fn, xs)`` reads fn's Jacobian at xs (it
    raises on a wrong shape, a non-number or nan)."""
    mutants, skipped = make_mutants(grad_f)
    caught, survived, equivalent = 0, [], []
    for m in mutants:
        label = f"{m.kind} at {m.where}"
        try:
            jacobian = analytic(m.function, numeric.xs)
        except Exception:
            caught += 1
            continue
        rows = judge_jacobian(numeric, jacobian, names, atol, rtol, output_names)
        if not all(r.ok for r in rows):
            caught += 1
        elif _same_elsewhere(grad_f, m.function, numeric.xs, analytic):
            equivalent.append(label)
        else:
            survived.append(label)
    return MutantReport(len(mutants), caught, tuple(survived), tuple(equivalent), tuple(skipped))
