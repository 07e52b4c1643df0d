"""Rows of a parameter table read by an index that is data, while ``Replay`` traces a step.

An embedding looks up row i of its table. When i is a number of the step's data (a token id under
``Replay(..., index_data=True)``), the traced graph must not depend on i. Inside ``gathering()``, ``gather``
gives fresh leaves standing for row i (their values copied from it) and notes which table and which data
number they came from. ``Replay`` compiles the graph with those leaves as inputs: each replay reads the row
the new data picks into them, and adds their gradients back into that row's ``.grad``, as indexing the
table eagerly would. Outside ``gathering()``, ``gather`` returns None and the caller computes the row
another way (the embedding's one-hot product).

>>> from micrograd_plus.engine import Value
>>> from micrograd_plus.tracing import DataFloat
>>> table = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
>>> with gathering() as found:
...     row = gather(table, DataFloat(1.0, lambda numbers: numbers[0]))
>>> [v.data for v in row], row[0] is table[1][0], read_rows(found, [0.0])
([3.0, 4.0], False, [1.0, 2.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import NamedTuple

from micrograd_plus.engine import Value
from micrograd_plus.tracing import DataFloat, Source

__all__ = ["Gathered", "add_row_grads", "gather", "gathering", "read_rows"]


class Gathered(NamedTuple):
    """Leaves standing for one row of ``table``, the row chosen by the data number ``source`` computes."""

    leaves: list[Value]
    table: Sequence[Sequence[Value]]
    source: Source


_active: ContextVar[list[Gathered] | None] = ContextVar("micrograd_plus_gathering", default=None)


class gathering:  # noqa: N801 - used like a function: ``with gathering() as found:``
    """While active, ``gather`` gives stand-in leaves for the rows it reads and lists them on the returned list."""

    __slots__ = ("found", "token")

    def __enter__(self) -> list[Gathered]:
        self.found: list[Gathered] = []
        self.token = _active.set(self.found)
        return self.found

    def __exit__(self, *exc: object) -> None:
        _active.reset(self.token)


def gather(table: Sequence[Sequence[Value]], index: DataFloat) -> list[Value] | None:
    """Stand-in leaves for row ``index`` of ``table`` (an index already checked), or None outside ``gathering()``."""
    found = _active.get()
    if found is None:
        return None
    leaves = [Value(w.data) for w in table[int(float.__float__(index))]]
    found.append(Gathered(leaves, table, index.source))
    return leaves


def read_rows(gathered: Sequence[Gathered], numbers: Sequence[float]) -> list[float]:
    """The current numbers of the rows the data ``numbers`` picks, in the order of the gathered leaves."""
    return [w.data for g in gathered for w in g.table[int(g.source(numbers))]]


def add_row_grads(gathered: Sequence[Gathered], numbers: Sequence[float], grads: Sequence[float]) -> None:
    """Add each stand-in leaf's gradient (``grads``, in the order of the leaves) into the row it stood for."""
    k = 0
    for g in gathered:
        for w in g.table[int(g.source(numbers))]:
            w.grad += grads[k]
            k += 1
