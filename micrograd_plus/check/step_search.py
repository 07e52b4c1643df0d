"""Choosing the step of a numeric derivative: an adaptive search over several decades, per component.

The first step is ``h = c·max(1, |x|)`` rounded to a power of two (relative to
|x| for large inputs, absolute below 1, where f usually does not scale with
x). The estimate there is kept when its bound is at most ``GOAL`` times the
component's own scale: the larger of the derivative and the change of f over
the step per unit step (:class:`~micrograd_plus.check.estimates.Estimate`), so a
gradient of 1e-12 is resolved as finely, relative to itself, as one of 1.
Otherwise the bound says which way to go: rounding (∝ 1/h) dominating means a
wider step (``3·x0 + x1²`` at x0 = 1e10 wants h ≈ 1e3 in x1), truncation (∝ h⁴)
a smaller one, at the step that balances the two; differences that do not
settle, or a kink the step may straddle, a smaller one (1/x at 1e-20 wants
h ≈ 1e-23, so the search jumps to c·|x| there; x³ at 1e-12 is tried at c·|x|
from the start, since a step of 1e-3 sees only its curvature). A direction that
makes the bound worse is reversed once; a wider step that leaves f's domain or
overshoots into truncation is tried again half as wide on a log scale. Where f
did not change at all, only a tighter bound replaces that estimate (a dead relu
stays 0 instead of being widened until it comes alive). A new step replaces the
old only when the two estimates agree within their bounds (or the new one's
estimate at a quarter step agrees): one step out of many that happens to look
settled is not evidence. When f fails (raises, inf, nan) at a nudged point, the edge of its
domain, the step is shrunk 16-fold at a time.

>>> import math
>>> round(estimate(lambda t: [math.log(1e-8 + t)], 1e-8).values[0] / 1e8, 6)  # steps shrink to stay in x > 0
1.0
>>> e = estimate(lambda t: [3e10 + (1.0 + t) ** 2], 1.0)  # f ≈ 3e10 hides x1² at h = 1e-3: the step widens
>>> e.values[0], e.step > 1.0
(2.0, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from micrograd_plus.check.estimates import (
    DEFAULT_STEP,
    METHODS,
    Estimate,
    EvaluationError,
    Offsets,
    at_step,
    complex_step,
    evaluate_at,
    step_size,
)

__all__ = ["GOAL", "estimate", "quality"]

GOAL = 1e-9  # a bound this far below a component's scale resolves any error worth reporting
TRIES = 10  # steps tried after the first
RETRIES = 8  # times the step is shrunk 16-fold when f fails at a nudged point
WIDEST = 2.0**48  # relative to max(1, |x|): the locality checks, not this, stop a step too wide for f
KINK_TRIES = 3  # a kink still there after this many smaller steps is at the point


def quality(e: Estimate, atol: float = 0.0, rtol: float = 0.0) -> float:
    """The worst output's bound over what resolves it (≤ 1: resolved): GOAL times its scale, or a hundredth of
    the user's tolerance atol + rtol·|value|; infinite at a kink or where the differences do not settle. An
    output that did not change at all says nothing about the step while another output did change: sin(a) along
    b must not drive the step of exp(a - b) along b."""
    worst = 0.0
    some_changed = bool(e.flat) and not all(e.flat)
    for k, (value, error) in enumerate(zip(e.values, e.errors)):
        if e.kinks and e.kinks[k] is not None:
            return math.inf
        if some_changed and e.flat[k]:
            continue
        scale = max(abs(value), 1e-3 * e.scales[k] if e.scales else 0.0)  # f's change: a minimum's scale
        target = max(GOAL * scale, 0.01 * (atol + rtol * abs(value)))
        if error > 0.0:
            worst = max(worst, error / target if target > 0.0 else math.inf)
    return worst


def _shrinking(g: Offsets, h: float, method: str, f0: list[float], x: float) -> Estimate:
    """The estimate at step h, or at h/16, h/256, ... when f fails at a nudged point (a domain edge)."""
    first: EvaluationError | None = None
    for _ in range(RETRIES + 1):
        try:
            return at_step(g, h, method, f0, x)
        except EvaluationError as error:
            first = first or error
            h /= 16
    assert first is not None
    raise first


def _factor(e: Estimate, x: float, coefficient: float) -> float:
    """The next step over this one, from what dominates the worst bound (a power of two)."""
    worst = max(range(len(e.values)), key=lambda k: e.errors[k] / max(abs(e.values[k]), e.scales[k], 1e-300))
    if any(e.kinks) or not math.isfinite(e.errors[worst]):
        if 0.0 < abs(x) < e.step:  # the step straddles x's own scale (1/x at 1e-20): go straight to c·|x|
            return 2.0 ** round(math.log2(coefficient * abs(x) / e.step))
        return 1 / 16 if any(e.kinks) else 1 / 64
    if e.flat and e.flat[worst]:
        return 2.0**10  # not a digit of f changed: only a wider step can show a change
    noise = e.noise[worst] if e.noise else 0.0
    truncation = max(e.errors[worst] - noise, 1e-300)
    if truncation < 0.05 * noise:  # no truncation to be seen: rounding ∝ 1/h alone says how much wider
        ratio = min(max(quality(e), 4.0), 2.0**10)
    else:
        ratio = (max(noise, 1e-300) / truncation) ** 0.2  # balances truncation ∝ h⁴ with rounding ∝ 1/h
        ratio = min(max(ratio, 2.0**-10), 2.0**10)
        ratio = max(ratio, 4.0) if noise >= truncation else min(ratio, 0.25)
    return 2.0 ** round(math.log2(ratio))


def _agree(a: Estimate, b: Estimate) -> bool:
    pairs = zip(a.values, b.values, a.errors, b.errors)
    return all(math.isfinite(ea + eb) and abs(u - v) <= ea + eb for u, v, ea, eb in pairs)


def _confirmed(g: Offsets, found: Estimate, previous: Estimate, method: str, f0: list[float], x: float) -> bool:
    """Whether ``found`` agrees with the previous best, or else with its own estimate at a quarter step."""
    if _agree(found, previous):
        return True
    try:
        check = at_step(g, found.step / 4, method, f0, x)
    except EvaluationError:
        return False
    return not any(check.kinks) and _agree(found, check)


def _worse(candidate: Estimate, current: Estimate, tolerance: tuple[float, float]) -> bool:
    """Whether the new step resolves no better; a step where f is still flat is no worse (keep widening), nor
    a smaller one still unsettled (keep shrinking)."""
    if all(candidate.flat) and all(current.flat):
        return False
    new, old = quality(candidate, *tolerance), quality(current, *tolerance)
    if math.isinf(new) and math.isinf(old) and candidate.step < current.step:
        return False  # still unsettled or at a kink: a pole or kink near x wants a still smaller step
    return new >= old


def _better(candidate: Estimate, best: Estimate, tolerance: tuple[float, float]) -> bool:
    """Whether ``candidate`` resolves better than ``best``. A best where f did not change at all (0 ± its
    rounding) is replaced only by a tighter bound: a step widened until f changes may reach beyond the region
    f is flat in (a relu dead at every sample comes alive 256 away) and carry a bound as large as its value."""
    if best.flat and all(best.flat) and not all(c < b for c, b in zip(candidate.errors, best.errors)):
        return False
    return quality(candidate, *tolerance) < quality(best, *tolerance)


def _near_zero(g: Offsets, first: Estimate, x: float, method: str, coefficient: float, f0: list[float]) -> Estimate:
    """At 0 < |x| far below the first step, also the step c·|x|: x³ at 1e-12 has derivative 3e-24, and a
    step of 1e-3 sees only its curvature (a bound far above the derivative that f's change over the step would
    pass as resolved). Kept when its bound is tighter for every output and the two estimates agree."""
    if not 0.0 < coefficient * abs(x) < first.step / 64 or any(first.kinks):
        return first
    if all(e <= GOAL * abs(v) for v, e in zip(first.values, first.errors)):
        return first
    try:
        near = at_step(g, 2.0 ** round(math.log2(coefficient * abs(x))), method, f0, x)
    except EvaluationError:
        return first
    if any(near.kinks) or any(near.flat) or not _agree(near, first):
        return first
    tighter = all(a < b for a, b in zip(near.errors, first.errors))
    return near if tighter else first


def _narrower(factor: float) -> float:
    """A widening factor half as large on a log scale (1024 → 32 → 4), never below 4."""
    return 2.0 ** max(2, round(math.log2(factor) / 2))


def _search(g: Offsets, first: Estimate, x: float, method: str, coefficient: float, f0: list[float],
            tolerance: tuple[float, float]) -> Estimate:  # fmt: skip
    """Better steps than the first, while the bound is not resolved (this module's docstring)."""
    lowest = 64 * math.ulp(x) if x else 2.0**-500
    highest = WIDEST * max(1.0, abs(x))
    best = current = _near_zero(g, first, x, method, coefficient, f0)
    tried, reversed_once, kinks = {first.step}, False, 0
    factor = _factor(first, x, coefficient)
    for _ in range(TRIES):
        if quality(best, *tolerance) <= 1.0:
            break
        step = current.step * factor
        while factor > 4 and (step in tried or step > highest):  # overshot before: widen less
            factor = _narrower(factor)
            step = current.step * factor
        if step in tried or not lowest <= step <= highest:
            break
        tried.add(step)
        try:
            candidate = at_step(g, step, method, f0, x)
        except EvaluationError:
            candidate = None
        failed = candidate is None or _worse(candidate, current, tolerance)
        if failed and factor > 4:  # the wider step left f's domain or overshot into truncation: widen less
            factor = _narrower(factor)
            continue
        if failed or candidate is None:
            if reversed_once or (candidate is None and factor < 1):
                break
            reversed_once, current = True, best  # this way the bound grows: try the other way from the best
            factor = 1 / factor if math.isfinite(quality(best, *tolerance)) else factor
            continue
        kinks += bool(any(candidate.kinks))
        if kinks >= KINK_TRIES:
            break
        current = candidate
        if _better(candidate, best, tolerance) and _confirmed(g, candidate, best, method, f0, x):
            best = candidate
        factor = _factor(current, x, coefficient)
    return best


def estimate(
    g: Offsets,
    x: float,
    method: str = "richardson",
    coefficient: float | None = None,
    *,
    f0: Sequence[float] | None = None,
    atol: float = 0.0,
    rtol: float = 0.0,
    complex_g: Callable[[complex], Sequence[complex]] | None = None,
    zero_expected: bool = False,
) -> Estimate:
    """The derivative of g at 0 by ``method``, at the step the search of this module settles on, for an
    input of size |x|; ``atol``/``rtol`` (when given) also end the search once the bound is well below them.
    With ``zero_expected`` (no path of the graph carries anything to this input: a relu dead at every
    sample), a first estimate where f did not change at all is final: the two agree, and no wider step
    says more about the derivative at x."""
    if method not in METHODS or method == "taylor":
        raise ValueError(f"method must be one of {', '.join(METHODS[:-1])}, got {method!r}")
    c = DEFAULT_STEP[method] if coefficient is None else coefficient
    h = step_size(x, c)
    if method == "complex":
        if complex_g is None:
            raise ValueError("complex step needs a function of complex numbers; use method='richardson'")
        return complex_step(complex_g, h)
    base = evaluate_at(g, 0.0) if f0 is None else list(f0)
    first = _shrinking(g, h, method, base, x)
    if zero_expected and first.flat and all(first.flat):
        return first
    return _search(g, first, x, method, c, base, (atol, rtol))
