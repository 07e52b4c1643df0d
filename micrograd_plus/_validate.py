"""The checks of what a user passes in — reals, whole numbers, probabilities, seeds, lists of leaves — in one
message style: ``"<name> must be <what>, got <type> <value>"``, plus what to do where it is not obvious.

Any ``numbers.Integral`` counts as a whole number and any ``numbers.Real`` as a real number, so NumPy scalars
(``np.int64(3)``, ``np.float32(0.1)``) and NumPy 0-d arrays work wherever a Python int or float does;
``True``/``False`` never count as numbers. Every module that takes numbers from a user checks them here.

>>> check_count("n_samples", 10)
10
>>> check_real("lr", 0.5, low=0.0, low_open=True)
0.5
>>> check_probability("p", 1.0)
Traceback (most recent call last):
ValueError: p must be a finite number >= 0 and < 1, got 1.0
>>> make_rng(-1).random() != make_rng(1).random()
True
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterable
from functools import partial
from typing import Any

from micrograd_plus.tracing import DataFloat, check_data

__all__ = [
    "as_list",
    "as_number",
    "check_count",
    "check_from_op",
    "check_leaves",
    "check_probability",
    "check_real",
    "finite_float",
    "is_real",
    "is_whole",
    "make_rng",
    "node_name",
    "safe_text",
    "shown",
]


def node_name(v: Any) -> str:
    """How every message names a node: ``node 'h3'``, or ``an unlabelled node``."""
    return f"node {v.label!r}" if v.label else "an unlabelled node"


_NODE_ATTRIBUTES = ("data", "parents", "local_grads", "entry")
_node_types: set[type] = set()  # classes whose instances had them all: a parameter list is checked at C speed


def _is_node(x: object) -> bool:
    # this module sits below the engine (which uses it), so a Value is recognised by its graph attributes
    if type(x) in _node_types:
        return True
    if all(hasattr(x, a) for a in _NODE_ATTRIBUTES):
        if all(hasattr(type(x), a) for a in _NODE_ATTRIBUTES):  # slots or properties: every instance has them
            _node_types.add(type(x))
        return True
    return False


def shown(x: object) -> str:
    """A value as a message shows it: its type name, then its repr (cut to 60 characters)."""
    try:
        text = repr(as_number(x) if _is_numpy_scalar(x) else x)  # np.float64(3.0) shown as 3.0
    except ValueError:  # an int too long to print (Python refuses more than 4300 digits)
        text = f"of {x.bit_length()} bits" if isinstance(x, int) else "that cannot be shown"
    return f"{type(x).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def safe_text(text: str, limit: int | None = None) -> str:
    """A user's string as the library shows it anywhere (messages, drawings, code comments, pages): every
    non-printable character (NUL, tab, newline, U+2028, ...) written as a visible escape, so nothing can end a
    line or a comment; cut to ``limit`` characters with "..." when given.

    >>> safe_text("a\\tb\\x00")
    'a\\\\tb\\\\x00'
    """
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else _escape(ch) for ch in text)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _escape(ch: str) -> str:
    code = ord(ch)
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    return named.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def _is_numpy_scalar(x: object) -> bool:
    return type(x).__module__.split(".")[0] == "numpy" and getattr(x, "ndim", None) == 0 and hasattr(x, "item")


def as_list(x: object, ndim: int = 1) -> object:
    """A 1-D NumPy array as the list of Python numbers it holds (sizes, token ids), or with ``ndim=2`` a matrix as
    its list of rows; anything else as it is."""
    if type(x).__module__.split(".")[0] == "numpy" and getattr(x, "ndim", None) == ndim and hasattr(x, "tolist"):
        return x.tolist()
    return x


def as_number(x: object) -> object:
    """A NumPy 0-d array as the scalar it holds; anything else as it is."""
    if type(x) is not float and _is_numpy_scalar(x):
        return x.item()  # type: ignore[attr-defined]
    return x


def is_real(x: object) -> bool:
    """True for ints, floats and NumPy real scalars or 0-d arrays (finite or not); False for bools and the rest."""
    if type(x) is float or type(x) is int:  # the common case, at once
        return True
    x = as_number(x)
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def is_whole(x: object) -> bool:
    """True for ints and NumPy integer scalars or 0-d arrays; False for bools, floats (even 2.0) and the rest."""
    if type(x) is int:
        return True
    x = as_number(x)
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def finite_float(x: object) -> float:
    """A Value's number: ``x`` as a float if it is a finite real number; TypeError (not a number) or ValueError
    (nan, inf, beyond the float range) naming it otherwise."""
    number = as_number(x)
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        raise TypeError(f"expected a Value, int or float, got {shown(x)}")
    try:
        value = float(number)
    except OverflowError:
        raise ValueError(
            f"Value needs a finite number, got {shown(x)} beyond the float range (about ±1.8e308); rescale it"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"Value needs a finite number, got {value}; check the input for nan or inf")
    return value


def check_count(name: str, n: object, minimum: int = 1) -> int:
    """``n`` as an int, if it is a whole number >= ``minimum``; else ValueError naming it."""
    if not is_whole(n):
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {shown(n)}")
    whole: int = int(as_number(n))  # type: ignore[call-overload]
    if whole < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {whole}")
    return whole


def check_real(
    name: str,
    x: object,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """``x`` as a float, if it is a finite real number in the given bounds; else ValueError naming it."""
    if type(x) is float:  # the common case: no conversion, and the message is only built for a refusal
        value: float = x
    elif is_real(x):
        try:  # a DataFloat stays itself (a replayed step's data number keeps following the data)
            value = x if type(x) is DataFloat else float(as_number(x))  # type: ignore[arg-type]
        except OverflowError:  # an int beyond the float range
            raise ValueError(f"{_wanted(name, low, high, low_open, high_open)}, got {shown(x)}") from None
    else:
        raise ValueError(f"{_wanted(name, low, high, low_open, high_open)}, got {shown(x)}")
    if type(value) is DataFloat:  # the test is re-run on the data of every replay
        ok = check_data(value, partial(_within, low, high, low_open, high_open))
    else:
        ok = _within(low, high, low_open, high_open, value)
    if not ok:
        raise ValueError(f"{_wanted(name, low, high, low_open, high_open)}, got {float.__float__(value)!r}")
    return value


def _within(low: float, high: float, low_open: bool, high_open: bool, v: float) -> bool:
    too_low = v <= low if low_open else v < low
    too_high = v >= high if high_open else v > high
    return v - v == 0.0 and not too_low and not too_high  # v - v is nan for inf and nan


def _wanted(name: str, low: float, high: float, low_open: bool, high_open: bool) -> str:
    bounds = []
    if low > -math.inf:
        bounds.append(f"{'>' if low_open else '>='} {low:g}")
    if high < math.inf:
        bounds.append(f"{'<' if high_open else '<='} {high:g}")
    return f"{name} must be a finite number{' ' + ' and '.join(bounds) if bounds else ''}"


def check_probability(name: str, p: object, *, one_allowed: bool = False) -> float:
    """``p`` as a float in [0, 1) (or [0, 1] with ``one_allowed``); else ValueError naming it."""
    return check_real(name, p, low=0.0, high=1.0, high_open=not one_allowed)


def check_leaves(
    what: str,
    items: Iterable[Any],
    *,
    leaves_only: bool = True,
    distinct: bool = True,
    seen: dict[int, str] | None = None,
) -> list[Any]:
    """``items`` as a list of Values (leaves, unless ``leaves_only`` is False; each once, unless ``distinct`` is
    False); else an error naming the first bad one by its position (``"<what> 3"``) and its node, and the fix.
    Lists checked with one shared ``seen`` dict may not share a Value either."""
    if _is_node(items) or isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"{what}s must be a list of Values, got {shown(items)}")
    found: list[Any] = []
    seen = {} if seen is None else seen
    for k, v in enumerate(items):
        if not _is_node(v):
            raise TypeError(f"{what} {k} must be a Value, got {shown(v)}")
        if leaves_only and v.parents:
            raise ValueError(
                f"{what} {k} ({node_name(v)}, made by '{v.op}') is not a leaf: only leaves (parameters, data) "
                "can be listed; pass the Values the graph was built from"
            )
        if distinct and id(v) in seen:
            raise ValueError(f"{what} {k} ({node_name(v)}) is listed twice (also as {seen[id(v)]}); list each once")
        seen[id(v)] = f"{what} {k}"
        found.append(v)
    return found


def check_from_op(
    parents: Iterable[Any], local_grads: Iterable[object], op: object
) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    """``Value.from_op``'s parents (Values) and local derivatives (finite numbers, one per parent), checked."""
    if not isinstance(op, str):
        raise TypeError(f"from_op needs the op's name as a string, got {shown(op)}")
    nodes = tuple(check_leaves("from_op parent", parents, leaves_only=False, distinct=False))
    grads = tuple(float(check_real(f"from_op local derivative {i}", g)) for i, g in enumerate(local_grads))
    if len(nodes) != len(grads) or not nodes:
        raise ValueError(f"from_op needs one local derivative per parent, got {len(nodes)} parents and {len(grads)}")
    return nodes, grads


def make_rng(seed: object) -> random.Random:
    """A ``random.Random`` from a whole-number seed (reproducible), an existing generator (shared) or None (fresh).

    Seeds >= 0 seed the generator directly; a negative seed is seeded from its text,
    because ``random.Random(-1)`` would repeat the stream of ``random.Random(1)``.
    """
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if not is_whole(seed):
        raise TypeError(f"seed must be a whole number, a random.Random or None, got {shown(seed)}")
    whole = int(as_number(seed))  # type: ignore[call-overload]
    return random.Random(whole if whole >= 0 else f"negative seed {whole}")
