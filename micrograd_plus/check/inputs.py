"""The inputs of a check of Value functions: names and floats from a list or dict, and calling f at a point.

>>> named_floats({"a": 1, "b": 2.5})
(['a', 'b'], [1.0, 2.5])
>>> named_floats([0.5])
(['x0'], [0.5])
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from micrograd_plus._validate import as_number, is_real, shown
from micrograd_plus.engine import Value

__all__ = ["bind", "call_values", "named_floats", "outputs_of"]


def named_floats(inputs: Sequence[float] | Mapping[str, float]) -> tuple[list[str], list[float]]:
    """(names, values): dict keys or x0, x1, ...; TypeError/ValueError naming a bad input."""
    if isinstance(inputs, Mapping):
        names, values = [str(k) for k in inputs], list(inputs.values())
    elif isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"inputs must be a list of numbers or a dict of name: number, got {type(inputs).__name__}")
    else:
        names, values = [f"x{i}" for i in range(len(inputs))], list(inputs)
    if not values:
        raise ValueError("gradcheck needs at least one input")
    numbers = [x.data if isinstance(x, Value) else as_number(x) for x in values]  # a Value stands for its data
    for name, x in zip(names, numbers):
        if not is_real(x):
            raise TypeError(f"input {name} must be a real number, got {shown(x)}")
        if not math.isfinite(x):  # type: ignore[arg-type]
            raise ValueError(f"input {name} must be finite, got {x}")
    return names, [float(x) for x in numbers]  # type: ignore[arg-type]


def bind(f: Callable[..., Any], names: list[str], by_name: bool) -> None:
    """TypeError when f cannot take these inputs (one Value each, by keyword when ``by_name``)."""
    try:
        signature = inspect.signature(f)
    except ValueError:  # no signature to inspect (some builtins): let the call itself tell
        return
    try:
        signature.bind(**dict.fromkeys(names)) if by_name else signature.bind(*names)
    except TypeError as error:
        raise TypeError(f"f does not accept the {len(names)} inputs {names}: {error}") from None


def outputs_of(out: object, what: str = "f") -> list[Value]:
    """f's result as a list of Values: one Value, or a list/tuple of them (vector outputs)."""
    items: list[object] = list(out) if isinstance(out, (list, tuple)) else [out]
    if not items:
        raise ValueError(f"{what} returned an empty {type(out).__name__}; return a Value or a list of Values")
    for y in items:
        if not isinstance(y, Value):
            raise TypeError(
                f"{what} must return a Value (or a list of Values) built from the Values it is given, "
                f"got {type(y).__name__} {y!r}; for plain functions of floats use check_grad or check_jacobian"
            )
    return [y for y in items if isinstance(y, Value)]


def call_values(f: Callable[..., Any], names: list[str], values: Sequence[Value], by_name: bool) -> object:
    """f(*values), or f(name=value, ...) when the inputs came as a dict."""
    return f(**dict(zip(names, values))) if by_name else f(*values)
