"""Numeric derivatives with an error bound: Richardson, central, one-sided and complex-step differences.

Every estimator differentiates a function of one offset, ``g(t) = f(x + t·d)``
(d a coordinate or a scaled direction), which may return several outputs, and
returns an :class:`Estimate`: the derivative of each output and a bound on that
number's own error (truncation estimated from two step sizes, plus rounding).

**The step rule.** The base step is ``h = c · max(1, |x|)`` rounded to a power of
two: relative to ``|x|`` for large inputs (a step of 1e-6 at x = 1e20 is below
the spacing of floats there, and the difference comes out as 0 or noise), and
absolute below 1, where ``f`` usually does not scale with ``x``. A power of two
makes ``x ± h`` exact, so the step taken is exactly the one divided by. The default
``c`` is 1e-3 for Richardson and one-sided differences (extrapolation cancels
the truncation error, so a large step keeps rounding small) and 1e-6 for the
plain central difference (near the ε^(1/3) optimum of its error). When ``f``
fails or gives inf/nan at a nudged point (the edge of its domain), the step is
shrunk 16-fold at a time; when the bound is larger than the tolerance, other
base steps are tried and the first accurate, confirmed estimate kept.

**The error bound** of a Richardson estimate is the difference of its two best
extrapolations, plus the rounding of each evaluation carried through the
extrapolation, plus the part of the second differences (g(h) - 2g(0) + g(-h))/h
that does not halve with h (a kink of some term between the steps). It is
infinite when the differences D(h) - D(h/2) do not shrink level by level as
truncation error does, or g(±h) - g(0) does not shrink with h like f'·h: the
step is then larger than the scale on which f varies (sin at x = 1e12 with
h = 1e9), and no number is better than a wrong one.

>>> import math
>>> e = richardson(lambda t: [math.exp(1.0 + t)], step_size(1.0, 1e-3))
>>> abs(e.values[0] - math.e) < 1e-12, e.errors[0] < 1e-9
(True, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .differences import KINK_TOL, rounding_error

__all__ = [
    "DEFAULT_STEP",
    "METHODS",
    "Estimate",
    "EvaluationError",
    "central",
    "complex_step",
    "estimate",
    "one_sided",
    "richardson",
    "step_size",
]

METHODS = ("richardson", "central", "forward", "backward", "complex")
DEFAULT_STEP = {"richardson": 1e-3, "central": 1e-6, "forward": 1e-3, "backward": 1e-3, "complex": 1e-20}
LEVELS = 3  # Richardson uses h, h/2, h/4: truncation O(h⁶), 6 evaluations
SEARCH = 12  # smaller base steps tried (16-fold apart) when the first is not accurate enough
RETRIES = 8  # times the step is shrunk 16-fold when f fails at a nudged point

Offsets = Callable[[float], Sequence[float]]


class EvaluationError(ValueError):
    """``f`` raised or returned inf/nan at ``x + offset·d`` for every step tried."""

    def __init__(self, offset: complex, cause: str) -> None:
        super().__init__(f"f failed at offset {offset:g}: {cause}")
        self.offset, self.cause = offset, cause


@dataclass(frozen=True)
class Estimate:
    """d f_k/dt at t = 0 for each output k, each with a bound on its own error; ``kinks`` holds
    the one-sided slopes (right, left) of outputs whose slope jumps at t = 0."""

    values: tuple[float, ...]
    errors: tuple[float, ...]
    step: float
    method: str
    kinks: tuple[tuple[float, float] | None, ...] = ()


def step_size(x: float, coefficient: float) -> float:
    """c·max(1, |x|) rounded to the nearest power of two, so that x ± h is exact.

    >>> step_size(3.0, 1e-3), step_size(1e20, 1e-3) == 2.0**56
    (0.00390625, True)
    """
    return 2.0 ** round(math.log2(coefficient * max(1.0, abs(x))))


def _evaluate(g: Offsets, t: float) -> list[float]:
    try:
        out = [float(v) for v in g(t)]
    except (ArithmeticError, ValueError) as error:
        raise EvaluationError(t, str(error) or type(error).__name__) from error
    bad = next((v for v in out if not math.isfinite(v)), None)
    if bad is not None:
        raise EvaluationError(t, f"f is {bad} there")
    return out


def _settled(column: list[float], rounding: list[float], base: float) -> bool:
    """Whether the differences D(h) - D(h/2) shrink level after level as truncation error does
    (by ``base``: 4 for central, 2 for one-sided); steps far larger than f's own scale do not."""
    gaps = [abs(a - b) for a, b in itertools.pairwise(column)]
    floor = 1e-9 * max(abs(c) for c in column)  # rounding inside f can exceed the estimate made from |f|
    for k in range(len(gaps) - 1):
        if gaps[k] > 10 * (rounding[k] + rounding[k + 1]) + floor and gaps[k + 1] > (2.4 / base) * gaps[k]:
            return False
    return True


def _local(changes: list[float], f0: float) -> bool:
    """Whether g(±h_k) - g(0) shrinks with h like f'h + f''h²/2 + ... (by 2 to 8 per halving), i.e. whether the
    steps are inside the scale on which f varies; sin at x = 1e12 with h = 1e6 gives numbers of no pattern."""
    noise = 10 * rounding_error(f0, max(changes, key=abs))
    for big, small in itertools.pairwise(changes):
        if abs(big) > noise and not 1.5 * abs(small) <= abs(big) <= 8.5 * abs(small):
            return False
        if abs(big) > noise and big * small < 0:
            return False
    return True


def _extrapolate(column: list[float], rounding: list[float], base: float) -> tuple[float, float]:
    """Richardson's table over steps h/2^k, error terms in powers of ``base`` (4 for central, 2 for one-sided):
    the best value and its error (difference of the two best extrapolations, plus propagated rounding);
    an infinite error when the differences do not settle as truncation error would."""
    values, noise = list(column), list(rounding)
    previous = values[-1]
    factor = 1.0
    for _ in range(len(column) - 1):
        factor *= base
        previous = values[-1]
        values = [fine + (fine - coarse) / (factor - 1) for coarse, fine in itertools.pairwise(values)]
        noise = [fine + (fine + coarse) / (factor - 1) for coarse, fine in itertools.pairwise(noise)]
    if not _settled(column, rounding, base):
        return values[-1], math.inf
    return values[-1], abs(values[-1] - previous) + noise[-1] + 2 * rounding_error(values[-1])


def _kinks(
    samples: list[tuple[float, list[float], list[float]]], f0: Sequence[float], values: Sequence[float]
) -> tuple[tuple[float, float] | None, ...]:
    """Slope jumps: (g(h) - 2g(0) + g(-h))/h halves with h for a smooth g and stays put at a kink."""
    (h_big, up_big, down_big), (h, up, down) = samples[-2], samples[-1]
    found: list[tuple[float, float] | None] = []
    for k, (u, d, c) in enumerate(zip(up, down, f0)):
        jump, jump_big = (u - 2 * c + d) / h, (up_big[k] - 2 * c + down_big[k]) / h_big
        noise = 4 * rounding_error(u, c, c, d) / h
        sharp = abs(jump) > KINK_TOL * (1.0 + abs(values[k])) + noise and abs(jump) > 2 / 3 * abs(jump_big)
        found.append(((u - c) / h, (c - d) / h) if sharp else None)
    return tuple(found)


def _bend(samples: list[tuple[float, list[float], list[float]]], f0: Sequence[float], i: int) -> float:
    """How far the second differences S(h) = (g(h) - 2g(0) + g(-h))/h are from halving with h, beyond rounding.

    A smooth g gives S(h) ≈ g''·h; a kink (relu of some term) between the steps adds a part that does not
    halve, and spoils the central differences by about as much, so this is added to their error bound.
    """
    c = f0[i]
    second = [(up[i] - 2 * c + down[i]) / hk for hk, up, down in samples]
    noise = [4 * rounding_error(up[i], c, c, down[i]) / hk for hk, up, down in samples]
    excess = [abs(small - big / 2) - n_big / 2 - n_small for big, small, n_big, n_small in
              zip(second, second[1:], noise, noise[1:])]  # fmt: skip
    return max(0.0, *excess)


def richardson(g: Offsets, h: float, f0: Sequence[float] | None = None, levels: int = LEVELS) -> Estimate:
    """Central differences at h, h/2, ..., h/2^(levels-1), extrapolated: error O(h^(2·levels)).

    >>> e = richardson(lambda t: [(2.0 + t) ** 3], 0.25)
    >>> e.values[0], e.errors[0] < 1e-12
    (12.0, True)
    """
    f0 = _evaluate(g, 0.0) if f0 is None else list(f0)
    samples = []
    for k in range(levels):
        hk = h / 2**k
        samples.append((hk, _evaluate(g, hk), _evaluate(g, -hk)))
    values, errors = [], []
    for i in range(len(f0)):
        column = [(up[i] - down[i]) / (2 * hk) for hk, up, down in samples]
        rounding = [rounding_error(up[i], down[i]) / (2 * hk) for hk, up, down in samples]
        value, error = _extrapolate(column, rounding, 4.0)
        local = _local([up[i] - f0[i] for _, up, _ in samples], f0[i])
        local = local and _local([down[i] - f0[i] for _, _, down in samples], f0[i])
        values.append(value)
        errors.append(error + _bend(samples, f0, i) if local else math.inf)
    return Estimate(tuple(values), tuple(errors), h, "richardson", _kinks(samples, f0, values))


def central(g: Offsets, h: float, f0: Sequence[float] | None = None) -> Estimate:
    """(g(h) - g(-h)) / 2h; its truncation error, |D(h) - D(2h)|/3, is measured from the steps 2h and 4h.

    >>> e = central(lambda t: [(1.0 + t) ** 2], 2.0**-20)
    >>> e.values[0]
    2.0
    """
    f0 = _evaluate(g, 0.0) if f0 is None else list(f0)
    samples = [(hk, _evaluate(g, hk), _evaluate(g, -hk)) for hk in (4 * h, 2 * h, h)]
    values, errors = [], []
    for i in range(len(f0)):
        column = [(up[i] - down[i]) / (2 * hk) for hk, up, down in samples]
        rounding = rounding_error(samples[-1][1][i], samples[-1][2][i]) / (2 * h)
        values.append(column[-1])
        settled = _settled(column, [rounding / 4, rounding / 2, rounding], 4.0)
        settled = settled and _local([up[i] - f0[i] for _, up, _ in samples], f0[i])
        settled = settled and _local([down[i] - f0[i] for _, _, down in samples], f0[i])
        error = abs(column[-1] - column[-2]) / 3 + rounding + _bend(samples, f0, i)
        errors.append(error if settled else math.inf)
    return Estimate(tuple(values), tuple(errors), h, "central", _kinks(samples, f0, values))


def one_sided(g: Offsets, h: float, side: int, f0: Sequence[float] | None = None, levels: int = LEVELS) -> Estimate:
    """(g(±h) - g(0)) / ±h at h, h/2, ..., extrapolated: for a point at the edge of f's domain.

    ``side`` is +1 (forward: only x + h is evaluated) or -1 (backward).

    >>> e = one_sided(lambda t: [math.sqrt(t)], 2.0**-10, +1)  # sqrt at 0: no derivative, grows as h shrinks
    >>> e.values[0] > 50
    True
    """
    f0 = _evaluate(g, 0.0) if f0 is None else list(f0)
    samples = [(h / 2**k, _evaluate(g, side * h / 2**k)) for k in range(levels)]
    values, errors = [], []
    for i in range(len(f0)):
        column = [(out[i] - f0[i]) / hk * side for hk, out in samples]
        rounding = [rounding_error(out[i], f0[i]) / hk for hk, out in samples]
        value, error = _extrapolate(column, rounding, 2.0)
        values.append(value)
        errors.append(error if _local([out[i] - f0[i] for _, out in samples], f0[i]) else math.inf)
    return Estimate(tuple(values), tuple(errors), h, "forward" if side > 0 else "backward")


def complex_step(g: Callable[[complex], Sequence[complex]], h: float) -> Estimate:
    """Im g(ih) / h: no difference of nearly equal numbers, so no cancellation; exact to rounding.

    ``g`` must accept a complex offset and keep its imaginary part; the bound
    compares the steps h and 2h (they agree for every analytic g).

    >>> complex_step(lambda t: [(2.0 + t) ** 3], 1e-20).values
    (12.0,)
    """
    first, second = list(g(1j * h)), list(g(2j * h))
    for z in (*first, *second):
        if not isinstance(z, complex):
            raise TypeError(
                f"complex step needs f to return complex numbers at complex inputs, got {type(z).__name__} {z!r}: "
                "abs(), float(), max() and comparisons drop the imaginary part; use method='richardson'"
            )
    values = [z.imag / h for z in first]
    errors = [abs(v - w.imag / (2 * h)) + 2 * rounding_error(v) for v, w in zip(values, second)]
    for v, z in zip(values, first):
        if not (math.isfinite(v) and math.isfinite(z.real)):
            raise EvaluationError(1j * h, f"f is {z} there")
    return Estimate(tuple(values), tuple(errors), h, "complex")


def _at_step(g: Offsets, h: float, method: str, f0: list[float]) -> Estimate:
    if method == "richardson":
        return richardson(g, h, f0)
    if method == "central":
        return central(g, h, f0)
    if method in ("forward", "backward"):
        return one_sided(g, h, +1 if method == "forward" else -1, f0)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def _shrinking(g: Offsets, h: float, method: str, f0: list[float]) -> Estimate:
    """The estimate at step h, or at h/16, h/256, ... when f fails at a nudged point (a domain edge)."""
    first: EvaluationError | None = None
    for _ in range(RETRIES + 1):
        try:
            return _at_step(g, h, method, f0)
        except EvaluationError as error:
            first = first or error
            h /= 16
    assert first is not None
    raise first


def _confirmed(g: Offsets, found: Estimate, method: str, f0: list[float]) -> bool:
    """Whether the estimate at a quarter of the step agrees with ``found`` within both error bounds."""
    try:
        check = _at_step(g, found.step / 4, method, f0)
    except EvaluationError:
        return False
    pairs = zip(found.values, check.values, found.errors, check.errors)
    return not any(check.kinks) and all(math.isfinite(eb) and abs(a - b) <= ea + eb for a, b, ea, eb in pairs)


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
) -> Estimate:
    """The derivative of g at 0 by ``method``, with the step rule of this module for an input of size |x|.

    When some output's error bound exceeds atol + rtol·|value|, the estimator tries
    the base steps 16h, h/16, h/256, ... (down to 16 units in the last place of x)
    and takes the first that is accurate enough and confirmed by the estimate at a
    quarter of its step; when none is, the estimate at h stands with its bound, so
    that a check fails as unresolved rather than guess. With atol = rtol = 0 (the
    default) there is no target, so no search.

    >>> round(estimate(lambda t: [math.log(1e-8 + t)], 1e-8).values[0] / 1e8, 6)  # steps shrink to stay in x > 0
    1.0
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    h = step_size(x, DEFAULT_STEP[method] if coefficient is None else coefficient)
    if method == "complex":
        if complex_g is None:
            raise ValueError("complex step needs a function of complex numbers; use method='richardson'")
        return complex_step(complex_g, h)
    base = _evaluate(g, 0.0) if f0 is None else list(f0)

    def badness(e: Estimate) -> float:
        if not (atol or rtol):
            return 0.0
        worst = 0.0
        for v, err in zip(e.values, e.errors):
            tolerance = atol + rtol * abs(v)
            worst = max(worst, err / tolerance if tolerance else (math.inf if err else 0.0))
        return worst

    best = _shrinking(g, h, method, base)
    start = best.step
    if badness(best) <= 1.0 and not any(best.kinks):
        return best
    # a kink that is real stays at every step; one the step merely straddles (a pole or kink near x) goes away
    larger = () if any(best.kinks) else (16.0,)
    for factor in (*larger, *(16.0**-k for k in range(1, SEARCH + 1))):
        if start * factor < 16 * math.ulp(max(1.0, abs(x))):
            break
        try:
            candidate = _at_step(g, start * factor, method, base)
        except EvaluationError:
            continue
        # one step out of many that happens to look settled is not evidence: its quarter step must agree
        if badness(candidate) <= 1.0 and not any(candidate.kinks) and _confirmed(g, candidate, method, base):
            return candidate
    return best
