"""What a traced run did besides building its graph: branches on numbers and leaves drawn at random.

``Replay`` runs a training step once inside ``recording()`` to learn whether its graph can be
replayed: code whose graph depends on the numbers (a comparison of Values, max pooling, batch
statistics) calls ``note_branch``, and code that draws random leaves (dropout masks) calls
``record_random`` with a way to draw the next ones. Outside ``recording()`` both do nothing.

>>> with recording() as found:
...     note_branch("a comparison of Values")
>>> found.branches
['a comparison of Values']
"""

from __future__ import annotations

import math
import operator
import os
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

__all__ = [
    "DataFloat",
    "Recording",
    "compared",
    "data_leaf",
    "guards_hold",
    "note_branch",
    "note_state",
    "record_random",
    "recording",
    "watched_reads",
]

Source = Callable[[Sequence[float]], Any]  # how a number is computed from the flat list of a step's data


class Recording:
    """What a traced run did besides building its graph: data-dependent branches, random leaves (see ``recording``)."""

    __slots__ = ("branches", "data", "guards", "random")

    def __init__(self) -> None:
        self.branches: list[str] = []  # why the graph's structure may depend on the numbers
        self.random: list[tuple[list[Any], Callable[[], list[float]]]] = []  # leaves and how to draw them again
        self.data: list[tuple[Any, Source]] = []  # leaves made from the step's data, and how each is computed
        self.guards: list[tuple[Source, Any, str]] = []  # (recompute, outcome, what) of every test on the data


_recording: ContextVar[Recording | None] = ContextVar("micrograd_plus_recording", default=None)


class recording:  # noqa: N801 - used like a function: ``with recording() as found:``
    """While active, code that branches on numbers (``note_branch``) and random leaves (``record_random``) are
    noted on the ``Recording`` it returns: what a replay of the graph needs to know to stay equal to eager mode.
    """

    __slots__ = ("found", "token")

    def __enter__(self) -> Recording:
        self.found = Recording()
        self.token = _recording.set(self.found)
        return self.found

    def __exit__(self, *exc: object) -> None:
        _recording.reset(self.token)


def note_branch(reason: str) -> None:
    """Record (while ``recording``) that the graph being built depends on the numbers, not only on their count."""
    found = _recording.get()
    if found is not None:
        found.branches.append(reason)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep  # code here reads .data to compute, not to branch


class watched_reads:  # noqa: N801 - used like a function: ``with watched_reads(Value):``
    """While active, a read of ``cls.data`` by code outside this package is noted as a branch (``note_branch``):
    the step's own code took a number out of the graph (``if loss.data > 1``, ``w.data * x``), which a replay
    would keep as it was when traced. The slot is swapped for a property that looks at its caller, for the
    traced call only (about 0.4 µs per read), and put back on exit."""

    __slots__ = ("cls", "member")

    def __init__(self, cls: type) -> None:
        self.cls, self.member = cls, cls.__dict__["data"]

    def __enter__(self) -> None:
        if isinstance(self.member, property):  # already watched: a step traced inside another one's trace
            return
        cls, get, put = self.cls, self.member.__get__, self.member.__set__

        def read(v: Any) -> Any:
            caller = sys._getframe(1)
            if not caller.f_code.co_filename.startswith(_PACKAGE):
                where = f"{os.path.basename(caller.f_code.co_filename)}:{caller.f_lineno}"
                note_branch(
                    f"the step's own code reads a Value's .data at {where}; keep the number a Value, or pass it as data"
                )
            return get(v, cls)

        cls.data = property(read, put)  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        self.cls.data = self.member  # type: ignore[attr-defined]


def compared(outcome: bool) -> bool:
    """The outcome of a comparison of Values, noted (while ``recording``) as a branch on the numbers."""
    note_branch("a comparison of Values")
    return outcome


def record_random(leaves: list[Any], redraw: Callable[[], list[float]]) -> None:
    """Record (while ``recording``) leaves drawn at random and a function drawing their next values, in order."""
    found = _recording.get()
    if found is not None:
        found.random.append((leaves, redraw))


# -- the numbers of a replayed step's data ----------------------------------------------------------------------------


def _note_guard(check: Source, outcome: Any, what: str) -> None:
    found = _recording.get()
    if found is not None:
        found.guards.append((check, outcome, what))


def note_state(read: Callable[[], Any], what: str) -> Any:
    """``read()``, a state the graph depends on that is neither data nor in a replay's key (the mode of a module
    outside the model); noted (while ``recording``) as a guard, so a replay runs only while it reads the same."""
    outcome = read()
    _note_guard(lambda _: read(), outcome, what)
    return outcome


def _fixed(value: float) -> Source:
    return lambda _: value


def guards_hold(guards: Sequence[tuple[Source, Any, str]], numbers: Sequence[float]) -> str | None:
    """None when every test the traced step made on its data comes out the same on ``numbers``; else the first
    test that does not (its text)."""
    for check, outcome, what in guards:
        try:
            if check(numbers) != outcome:
                return what
        except ArithmeticError:  # the data now makes the test fail (1 / t at t = 0): eager will say so
            return what
    return None


def _number(x: Any) -> float:
    """A DataFloat's (or any number's) value as a plain float, noting nothing."""
    return float.__float__(x) if isinstance(x, float) else float(x)


def _source_of(x: object) -> Source | None:
    if isinstance(x, DataFloat):
        return x.source
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        constant = float(x)

        def fixed(numbers: Sequence[float]) -> float:
            return constant

        return fixed
    return None


def _tested(name: str, test: Callable[[Any, Any], Any]) -> Callable[[DataFloat, object], Any]:
    def method(self: DataFloat, other: object) -> Any:
        other_source = _source_of(other)
        if other_source is None:
            return NotImplemented
        source = self.source
        outcome = test(_number(self), _number(other))
        _note_guard(lambda numbers: test(source(numbers), other_source(numbers)), outcome, f"{name} {other!r}")
        return outcome

    return method


_WHOLE_OPS = (operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod)  # int op int is an int


def _is_whole(x: object) -> bool:
    """An int of the data (a DataFloat that stands for one) or a plain int; not a bool."""
    return x.whole if isinstance(x, DataFloat) else type(x) is int


def _computed(op: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[[DataFloat, object], Any]:
    def method(self: DataFloat, other: object) -> Any:
        other_source = _source_of(other)
        if other_source is None:
            return NotImplemented  # a Value: its own operator lifts this number into a data leaf
        a, b = (other_source, self.source) if reflected else (self.source, other_source)
        value = op(_number(other), _number(self)) if reflected else op(_number(self), _number(other))
        if not isinstance(value, float):
            return value
        whole = op in _WHOLE_OPS and self.whole and _is_whole(other)  # what the same ints would give eagerly
        return DataFloat(value, lambda numbers: op(a(numbers), b(numbers)), whole)

    return method


class DataFloat(float):
    """A number of a replayed step's data, as the step's function receives it: a float to every test and every
    operation (``t == 1.0``, ``t in (0.0, 1.0)``, ``if t:``, ``2 * t - 1`` behave as they do eagerly), which also
    knows how it is computed from the step's data (``source``). While ``recording``, each test notes its outcome
    (a guard: a replay is valid only where every test comes out the same), and each DataFloat that becomes a
    leaf of the graph is noted as a data leaf, so a replay computes its value from the new data.

    >>> t = DataFloat(1.0, lambda numbers: numbers[0])
    >>> with recording() as found:
    ...     label = 1.0 if t == 1.0 else -1.0
    ...     shifted = 2 * t - 1
    >>> label, shifted, shifted.source([0.0]), guards_hold(found.guards, [0.0])
    (1.0, 1.0, -1.0, '== 1.0')

    ``whole`` is True for a number that stands for an int of the data (a token id under ``index_data=True``), and
    for what ``+ - * // %`` make of such numbers and ints: a check that wants an int (an embedding's index)
    refuses a float of the data, as it refuses a float eagerly.
    """

    __slots__ = ("source", "whole")
    source: Source
    whole: bool

    def __new__(cls, value: float, source: Source | None = None, whole: bool = False) -> DataFloat:
        number = super().__new__(cls, value)
        if source is None:  # rebuilt from a number by code outside the library (``statistics`` does type(x)(v))
            note_branch("a number computed from the data by code the replay cannot follow (statistics, fractions)")
            source = _fixed(float(value))
        number.source = source
        number.whole = whole
        return number

    __eq__ = _tested("==", operator.eq)
    __ne__ = _tested("!=", operator.ne)
    __lt__ = _tested("<", operator.lt)
    __le__ = _tested("<=", operator.le)
    __gt__ = _tested(">", operator.gt)
    __ge__ = _tested(">=", operator.ge)
    __add__, __radd__ = _computed(operator.add), _computed(operator.add, True)
    __sub__, __rsub__ = _computed(operator.sub), _computed(operator.sub, True)
    __mul__, __rmul__ = _computed(operator.mul), _computed(operator.mul, True)
    __truediv__, __rtruediv__ = _computed(operator.truediv), _computed(operator.truediv, True)
    __pow__, __rpow__ = _computed(operator.pow), _computed(operator.pow, True)  # type: ignore[assignment]
    __floordiv__, __rfloordiv__ = _computed(operator.floordiv), _computed(operator.floordiv, True)
    __mod__, __rmod__ = _computed(operator.mod), _computed(operator.mod, True)

    def _read(self, what: str, read: Callable[[float], Any]) -> Any:
        source, outcome = self.source, read(_number(self))
        _note_guard(lambda numbers: read(source(numbers)), outcome, what)
        return outcome

    def __bool__(self) -> bool:
        return bool(self._read("a truth test", bool))

    def __hash__(self) -> int:  # a dict or set lookup: the replay is valid for this very number only
        return int(self._read("a hash (a dict or set lookup)", hash))

    def __int__(self) -> int:
        return int(self._read("int()", int))

    def __round__(self, ndigits: Any = None) -> Any:
        return self._read("round()", lambda x: round(x, ndigits))

    def __floor__(self) -> int:  # math.floor(t)
        return int(self._read("math.floor()", math.floor))

    def __ceil__(self) -> int:  # math.ceil(t)
        return int(self._read("math.ceil()", math.ceil))

    def __trunc__(self) -> int:  # math.trunc(t)
        return int(self._read("math.trunc()", math.trunc))

    def __float__(self) -> float:  # a plain float no longer follows the data: valid for this very number only
        return float(self._read("float()", float.__float__))

    def __neg__(self) -> DataFloat:
        source = self.source
        return DataFloat(-_number(self), lambda numbers: -source(numbers), self.whole)

    def __abs__(self) -> DataFloat:
        source = self.source
        return DataFloat(abs(_number(self)), lambda numbers: abs(source(numbers)), self.whole)

    def __repr__(self) -> str:
        return repr(_number(self))


def check_data(value: Any, valid: Callable[[float], bool]) -> bool:
    """``valid(value)``, for a check of a number the step received (a loss's targets in [0, 1], labels ±1): for a
    DataFloat the check is re-run on the data of every replay (a replay whose data fails it runs eagerly, and
    raises as eager mode does) instead of guarding on each comparison inside it."""
    if type(value) is DataFloat:
        source = value.source
        _note_guard(lambda numbers: valid(source(numbers)), True, "a check of the data")
        return valid(_number(value))
    return valid(value)


def data_leaf(leaf: Any, number: DataFloat) -> float:
    """Note (while ``recording``) that ``leaf`` was made from a number of the step's data; its value as a float."""
    found = _recording.get()
    if found is not None:
        found.data.append((leaf, number.source))
    return _number(number)
