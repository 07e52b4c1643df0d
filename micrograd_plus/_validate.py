"""Checks of the numbers a user passes in (counts, reals, seeds), with one message style.

Any ``numbers.Integral`` counts as a whole number and any ``numbers.Real`` as a
real number, so numpy scalars (``np.int64(3)``, ``np.float32(0.1)``) work wherever
a Python int or float does; ``True``/``False`` never count as numbers.

>>> check_count("n_samples", 10)
10
>>> check_real("lr", 0.5, low=0.0, low_open=True)
0.5
>>> make_rng(-1).random() != make_rng(1).random()
True
"""

from __future__ import annotations

import math
import numbers
import random

__all__ = ["check_count", "check_real", "make_rng", "shown"]


def shown(x: object) -> str:
    """A value as a message shows it: its type name, then its repr (cut to 60 characters)."""
    text = repr(x)
    return f"{type(x).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def check_count(name: str, n: object, minimum: int = 1) -> int:
    """``n`` as an int, if it is a whole number >= ``minimum``; else ValueError naming it."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {shown(n)}")
    if n < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {int(n)}")
    return int(n)


def check_real(
    name: str,
    x: object,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """``x`` as a float, if it is a finite real number in the given bounds; else ValueError naming it."""
    bounds = []
    if low > -math.inf:
        bounds.append(f"{'>' if low_open else '>='} {low:g}")
    if high < math.inf:
        bounds.append(f"{'<' if high_open else '<='} {high:g}")
    wanted = f"{name} must be a finite number{' ' + ' and '.join(bounds) if bounds else ''}"
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{wanted}, got {shown(x)}")
    value = float(x)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        raise ValueError(f"{wanted}, got {value!r}")
    return value


def make_rng(seed: object) -> random.Random:
    """A ``random.Random`` from a whole-number seed (reproducible), an existing generator (shared) or None (fresh).

    Seeds >= 0 seed the generator directly; a negative seed is seeded from its text,
    because ``random.Random(-1)`` would repeat the stream of ``random.Random(1)``.
    """
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a whole number, a random.Random or None, got {shown(seed)}")
    whole = int(seed)
    return random.Random(whole if whole >= 0 else f"negative seed {whole}")
