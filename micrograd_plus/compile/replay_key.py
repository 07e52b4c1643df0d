"""What a replay's cache key is made of: the structure of the step's data (its nesting, lengths and the values that
are not data) and the state of every module (training mode, hyper-parameters, buffers). The data's numbers are
read separately, as ``DataFloat``s that a replay reads afresh from each call's data.
"""

from __future__ import annotations

import numbers
from operator import itemgetter
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from micrograd_plus.tracing import DataFloat

__all__ = ["data_numbers", "is_data", "module_state", "structure"]


def is_data(x: object, ints: bool) -> bool:
    """A number the replay reads afresh each call: a float, or (``ints``) an int that is not a bool."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return False
    return ints or not isinstance(x, numbers.Integral)


def data_numbers(data: Any, found: list[float], ints: bool = False) -> Any:
    """``data`` with every float (and, with ``ints``, int) replaced by a DataFloat reading position k of the flat
    data (and appended)."""
    if isinstance(data, (list, tuple)):
        return type(data)(data_numbers(item, found, ints) for item in data)
    if is_data(data, ints):
        k = len(found)
        found.append(float(data))
        return DataFloat(float(data), itemgetter(k), isinstance(data, numbers.Integral))
    return data


def structure(data: Any, numbers_out: list[float], ints: bool = False) -> Any:
    """What the graph's shape may depend on (nesting, lengths, non-data values); the data's numbers go to
    ``numbers_out`` (floats, and with ``ints`` the ints too), in the order ``_data_numbers`` reads them."""
    if isinstance(data, (list, tuple)):
        kinds = set(map(type, data))
        if data and (kinds == {float} or (ints and kinds == {int})):  # a row of plain numbers, at C speed
            numbers_out += data if float in kinds else map(float, data)
            return (type(data).__name__, len(data), float in kinds)
        return (type(data).__name__, tuple(structure(item, numbers_out, ints) for item in data))
    if is_data(data, ints):  # an int of the data is keyed apart from a float: only an int is an id
        numbers_out.append(float(data))
        return int if isinstance(data, numbers.Integral) else float
    if isinstance(data, (bool, int, str, bytes, type(None), numbers.Integral)):
        return data
    raise TypeError(
        f"Replay passes the step's data as lists and tuples of numbers (and ints, strings); got "
        f"{type(data).__name__} {data!r}: turn it into a list, or build the graph with loss_fn(...) eagerly"
    )


_SIMPLE = frozenset({bool, int, float, str, type(None), FunctionType, BuiltinFunctionType, MethodType})


def module_state(modules: list[Any]) -> tuple[Any, ...]:
    """Every module's mode, hyper-parameters, functions and buffers (lists of floats): what a compiled step is
    keyed on. Values, submodules and random generators are left out: parameters and draws are handled apart."""
    state: list[Any] = []
    add = state.append
    for m in modules:
        add(id(m))
        for value in vars(m).values():
            kind = type(value)
            if kind in _SIMPLE:
                add(value)
            elif (kind is list or kind is tuple) and value and type(value[0]) is float:
                add(tuple(value))  # a buffer (running statistics)
    return tuple(state)
