"""Numeric derivatives with an error bound: Richardson, central, one-sided and complex-step differences.

Every estimator differentiates a function of one offset, ``g(t) = f(x + t·d)``
(d a coordinate or a scaled direction), which may return several outputs, and
returns an :class:`Estimate`: the derivative of each output, a bound on that
number's own error (truncation measured from the steps, plus rounding), and what
the bound is made of, so a verdict can say what would resolve it. The step is
chosen by :mod:`micrograd_plus.check.step_search`.

**The observed order.** Central differences D(h) of a smooth g err by
c₂h² + c₄h⁴ + …, so D(h) - D(h/2) shrinks 4-fold per halving; where g is C¹
but g'' jumps (Huber at |r| = δ, x·|x| at 0, ELU at 0) every power of h
appears and it shrinks 2-fold. The ratio of the first two differences picks the
table: powers of 4 when it is near 4 (or more), powers of 2 when it is near 2.
Extrapolating with the wrong order leaves an O(h) error the bound would not
show; with the observed one, a piecewise quadratic is exact.

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
>>> e = richardson(lambda t: [t * abs(t) + 3 * t], 2.0**-10)  # C¹ at 0, f'' jumps: D(h) = 3 + 0·h exactly
>>> e.values[0], e.errors[0] < 1e-12
(3.0, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .differences import KINK_TOL, ROUNDING, rounding_error

__all__ = [
    "DEFAULT_STEP",
    "METHODS",
    "Estimate",
    "EvaluationError",
    "at_step",
    "central",
    "complex_step",
    "one_sided",
    "richardson",
    "step_size",
]

METHODS = ("richardson", "central", "forward", "backward", "complex", "taylor")
DEFAULT_STEP = {
    "richardson": 1e-3,
    "central": 1e-6,
    "forward": 1e-3,
    "backward": 1e-3,
    "complex": 1e-20,
    "taylor": 1e-2,
}
LEVELS = 3  # Richardson uses h, h/2, h/4: truncation O(h⁶) on smooth g, 6 evaluations

Offsets = Callable[[float], Sequence[float]]
Samples = list[tuple[float, list[float], list[float]]]


class EvaluationError(ValueError):
    """``f`` raised or returned inf/nan at ``x + offset·d`` for every step tried."""

    def __init__(self, offset: complex, cause: str, domain: bool = True) -> None:
        super().__init__(f"f failed at offset {offset:g}: {cause}")
        self.offset, self.cause = offset, cause
        self.domain = domain  # arithmetic or value errors, inf and nan: the edge of f's domain; others are bugs


@dataclass(frozen=True)
class Estimate:
    """d f_k/dt at t = 0 for each output k, each with a bound on its own error.

    ``kinks`` holds the one-sided slopes (right, left) of outputs whose slope jumps at t = 0 and
    ``kink_errors`` their error; ``noise`` is the rounding part of each error; ``scales`` how much each output
    changes over the steps, per unit step (max |g(±h) - g(0)|/h: the size a derivative must be compared with,
    which is not 0 at a minimum); ``flat`` whether an output was exactly the same at every step (no information).
    """

    values: tuple[float, ...]
    errors: tuple[float, ...]
    step: float
    method: str
    kinks: tuple[tuple[float, float] | None, ...] = ()
    noise: tuple[float, ...] = ()
    scales: tuple[float, ...] = ()
    flat: tuple[bool, ...] = ()
    kink_errors: tuple[float, ...] = ()


def step_size(x: float, coefficient: float) -> float:
    """c·max(1, |x|) rounded to the nearest power of two, so that x ± h is exact.

    >>> step_size(3.0, 1e-3), step_size(1e20, 1e-3) == 2.0**56
    (0.00390625, True)
    """
    return 2.0 ** round(math.log2(coefficient * max(1.0, abs(x))))


def evaluate_at(g: Offsets, t: float) -> list[float]:
    """g(t) as floats; EvaluationError when g raises or gives inf/nan (the caller may try a smaller step)."""
    try:
        out = [float(v) for v in g(t)]
    except Exception as error:  # whatever f raises near the point is reported with the component, not thrown
        cause = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise EvaluationError(t, cause, isinstance(error, (ArithmeticError, ValueError))) from error
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


def observed_base(column: list[float], rounding: list[float]) -> float:
    """The factor by which the error of D(h) shrinks per halving of h, as observed: 2 when the differences
    D(h) - D(h/2) halve (an O(h) error: g is C¹ but g'' jumps), else 4 (the O(h²) of a smooth g).

    >>> observed_base([3.5, 3.25, 3.125], [0.0] * 3), observed_base([3.4, 3.1, 3.025], [0.0] * 3)
    (2.0, 4.0)
    """
    first, second = column[0] - column[1], column[1] - column[2]
    if abs(second) > 10 * (rounding[1] + rounding[2]) and first * second > 0 and 1.4 < first / second < 2.8:
        return 2.0
    return 4.0


def _extrapolate(column: list[float], rounding: list[float], base: float) -> tuple[float, float, float]:
    """Richardson's table over steps h/2^k, error terms in powers of ``base`` (4: even powers of h, 2: every
    power): the best value, its error (difference of the two best extrapolations, plus propagated rounding) and
    the rounding part of that error; an infinite error when the differences do not settle as truncation would."""
    values, noise = list(column), list(rounding)
    previous = values[-1]
    factor = 1.0
    for _ in range(len(column) - 1):
        factor *= base
        previous = values[-1]
        values = [fine + (fine - coarse) / (factor - 1) for coarse, fine in itertools.pairwise(values)]
        noise = [fine + (fine + coarse) / (factor - 1) for coarse, fine in itertools.pairwise(noise)]
    rounding_part = noise[-1] + 2 * rounding_error(values[-1])
    if not _settled(column, rounding, base):
        return values[-1], math.inf, rounding_part
    return values[-1], abs(values[-1] - previous) + rounding_part, rounding_part


def _kinks(
    samples: Samples, f0: Sequence[float], values: Sequence[float]
) -> tuple[tuple[tuple[float, float] | None, ...], tuple[float, ...]]:
    """Slope jumps: (g(h) - 2g(0) + g(-h))/h halves with h for a smooth g and stays put at a kink. The one-sided
    slopes are extrapolated from the two smallest steps (their error is O(h)), with that correction as error."""
    (h_big, up_big, down_big), (h, up, down) = samples[-2], samples[-1]
    found: list[tuple[float, float] | None] = []
    errors: list[float] = []
    for k, (u, d, c) in enumerate(zip(up, down, f0)):
        jump, jump_big = (u - 2 * c + d) / h, (up_big[k] - 2 * c + down_big[k]) / h_big
        noise = 4 * rounding_error(u, c, c, d) / h
        right, left = (u - c) / h, (c - d) / h
        size = max(abs(values[k]), abs(right), abs(left))  # relative: a kink of f scaled by 1e-12 is a kink
        sharp = abs(jump) > KINK_TOL * size + noise and abs(jump) > 2 / 3 * abs(jump_big)
        right_big, left_big = (up_big[k] - c) / h_big, (c - down_big[k]) / h_big
        error = abs(right - right_big) + abs(left - left_big) + 4 * noise
        sharp = sharp and error < abs(right - left) / 4  # the slopes of a pole or wiggle the step straddles drift
        found.append((2 * right - right_big, 2 * left - left_big) if sharp else None)
        errors.append(error if sharp else 0.0)
    return tuple(found), tuple(errors)


def _bend(samples: Samples, f0: Sequence[float], i: int) -> float:
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


def _scale_and_flat(samples: Samples, c: float, i: int) -> tuple[float, bool]:
    """How much output i changes over the steps, per unit step, and whether it did not change at all."""
    scale = max(max(abs(up[i] - c), abs(down[i] - c)) / hk for hk, up, down in samples)
    return scale, scale == 0.0


def _rounding(up: float, down: float, slope: float, h: float, x: float) -> float:
    """The rounding of (up - down)/2h: of each evaluation of f, and of x ± h itself (|g'|·ε|x| each)."""
    return (rounding_error(up, down) + 2 * ROUNDING * abs(x * slope)) / (2 * h)


def _central_samples(g: Offsets, h: float, levels: int) -> Samples:
    return [(h / 2**k, evaluate_at(g, h / 2**k), evaluate_at(g, -h / 2**k)) for k in range(levels)]


def _shrinks(parts: list[float], noise: float, low: float, high: float) -> bool:
    for big, small in itertools.pairwise(parts):
        if abs(big) > noise and (not low * abs(small) <= abs(big) <= high * abs(small) or big * small < 0):
            return False
    return True


def _local_both(samples: Samples, c: float, i: int, x: float) -> bool:
    """Whether the odd part (g(h) - g(-h))/2 = f'h + f‴h³/6 + ... shrinks by 2 to 8 per halving and the even
    part (g(h) + g(-h))/2 - g(0) = f''h²/2 + ... by 4 to 16: the steps are inside the scale on which f varies.
    Split so, a wide step in x1 of x1² + 3e10 passes, where g(-h) - g(0) = -2h + h² shrinks by no fixed factor."""
    odd = [(up[i] - down[i]) / 2 for _, up, down in samples]
    even = [(up[i] + down[i]) / 2 - c for _, up, down in samples]
    noise = 10 * rounding_error(c, max((v for _, up, down in samples for v in (up[i], down[i])), key=abs))
    noise += 10 * ROUNDING * abs(x) * max(abs(o) / hk for o, (hk, _, _) in zip(odd, samples))  # x ± h is rounded
    return _shrinks(odd, noise, 1.5, 8.5) and _shrinks(even, noise, 3.0, 17.0)


def richardson(
    g: Offsets, h: float, f0: Sequence[float] | None = None, levels: int = LEVELS, x: float = 0.0
) -> Estimate:
    """Central differences at h, h/2, ..., h/2^(levels-1), extrapolated in the observed order.

    >>> e = richardson(lambda t: [(2.0 + t) ** 3], 0.25)
    >>> e.values[0], e.errors[0] < 1e-12
    (12.0, True)
    """
    f0 = evaluate_at(g, 0.0) if f0 is None else list(f0)
    samples = _central_samples(g, h, levels)
    values: list[float] = []
    errors: list[float] = []
    noises: list[float] = []
    scales: list[float] = []
    flats: list[bool] = []
    for i, c in enumerate(f0):
        column = [(up[i] - down[i]) / (2 * hk) for hk, up, down in samples]
        rounding = [_rounding(up[i], down[i], d, hk, x) for d, (hk, up, down) in zip(column, samples)]
        value, error, noise = _extrapolate(column, rounding, observed_base(column, rounding))
        scale, flat = _scale_and_flat(samples, c, i)
        values.append(value)
        errors.append(error + _bend(samples, f0, i) if _local_both(samples, c, i, x) else math.inf)
        noises.append(noise)
        scales.append(scale)
        flats.append(flat)
    kinks, kink_errors = _kinks(samples, f0, values)
    return Estimate(tuple(values), tuple(errors), h, "richardson", kinks, tuple(noises), tuple(scales),
                    tuple(flats), kink_errors)  # fmt: skip


def central(g: Offsets, h: float, f0: Sequence[float] | None = None, x: float = 0.0) -> Estimate:
    """(g(h) - g(-h)) / 2h; its truncation error, |D(h) - D(2h)|/3, is measured from the steps 2h and 4h.

    >>> e = central(lambda t: [(1.0 + t) ** 2], 2.0**-20)
    >>> e.values[0]
    2.0
    """
    f0 = evaluate_at(g, 0.0) if f0 is None else list(f0)
    samples = _central_samples(g, 4 * h, 3)
    values: list[float] = []
    errors: list[float] = []
    noises: list[float] = []
    scales: list[float] = []
    flats: list[bool] = []
    for i, c in enumerate(f0):
        column = [(up[i] - down[i]) / (2 * hk) for hk, up, down in samples]
        rounding = _rounding(samples[-1][1][i], samples[-1][2][i], column[-1], h, x)
        base = observed_base(column, [rounding / 4, rounding / 2, rounding])
        values.append(column[-1])
        settled = _settled(column, [rounding / 4, rounding / 2, rounding], base) and _local_both(samples, c, i, x)
        error = abs(column[-1] - column[-2]) / (base - 1) + rounding + _bend(samples, f0, i)
        errors.append(error if settled else math.inf)
        scale, flat = _scale_and_flat(samples, c, i)
        noises.append(rounding)
        scales.append(scale)
        flats.append(flat)
    kinks, kink_errors = _kinks(samples, f0, values)
    return Estimate(tuple(values), tuple(errors), h, "central", kinks, tuple(noises), tuple(scales), tuple(flats),
                    kink_errors)  # fmt: skip


def one_sided(
    g: Offsets, h: float, side: int, f0: Sequence[float] | None = None, levels: int = LEVELS, x: float = 0.0
) -> Estimate:
    """(g(±h) - g(0)) / ±h at h, h/2, ..., extrapolated: for a point at the edge of f's domain.

    ``side`` is +1 (forward: only x + h is evaluated) or -1 (backward).

    >>> e = one_sided(lambda t: [math.sqrt(t)], 2.0**-10, +1)  # sqrt at 0: no derivative, grows as h shrinks
    >>> e.values[0] > 50
    True
    """
    f0 = evaluate_at(g, 0.0) if f0 is None else list(f0)
    samples = [(h / 2**k, evaluate_at(g, side * h / 2**k)) for k in range(levels)]
    values: list[float] = []
    errors: list[float] = []
    noises: list[float] = []
    scales: list[float] = []
    flats: list[bool] = []
    for i, c in enumerate(f0):
        column = [(out[i] - c) / hk * side for hk, out in samples]
        rounding = [
            rounding_error(out[i], c) / hk + ROUNDING * abs(x * d) / hk for d, (hk, out) in zip(column, samples)
        ]
        value, error, noise = _extrapolate(column, rounding, 2.0)
        values.append(value)
        errors.append(error if _local([out[i] - c for _, out in samples], c) else math.inf)
        scale = max(abs(out[i] - c) / hk for hk, out in samples)
        noises.append(noise)
        scales.append(scale)
        flats.append(scale == 0.0)
    method = "forward" if side > 0 else "backward"
    return Estimate(tuple(values), tuple(errors), h, method, (), tuple(noises), tuple(scales), tuple(flats))


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
    noise = [2 * rounding_error(v) for v in values]
    errors = [abs(v - w.imag / (2 * h)) + n for v, w, n in zip(values, second, noise)]
    for v, z in zip(values, first):
        if not (math.isfinite(v) and math.isfinite(z.real)):
            raise EvaluationError(1j * h, f"f is {z} there")
    scales = tuple(abs(v) for v in values)
    return Estimate(tuple(values), tuple(errors), h, "complex", (), tuple(noise), scales, tuple(s == 0 for s in scales))


def at_step(g: Offsets, h: float, method: str, f0: list[float], x: float = 0.0) -> Estimate:
    """The estimate of ``method`` at base step h, for an input of size |x|."""
    if method == "richardson":
        return richardson(g, h, f0, x=x)
    if method == "central":
        return central(g, h, f0, x)
    if method in ("forward", "backward"):
        return one_sided(g, h, +1 if method == "forward" else -1, f0, x=x)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
