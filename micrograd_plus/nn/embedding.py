"""``Embedding``: a table of learned vectors, one row per id; looking up an id returns that row's Values.

A lookup is a one-hot row times the table, e_i = W[i], done by indexing instead of multiplying: the
output *is* row i's parameters, so backward adds each gradient straight into the row that was used
and the graph grows by nothing. Rows start N(0, std²) (std 1, as ``torch.nn.Embedding``; the GPT
passes microgpt's 0.08).

**An id that is data.** Under ``Replay(..., index_data=True)`` an id arrives as a ``tracing.DataFloat``:
a number of the step's data, which the compiled replay reads afresh on every call. Indexing by it would
make the graph depend on its value (a new compile for every id). While ``Replay`` traces, the row is read
through ``gathering.gather``: stand-in leaves that each replay fills from the row the new id picks, and
whose gradients it adds back into that row. Elsewhere the row is the one-hot product written out,
e_j = Σ_k [i = k]·W[k][j], one ``dot`` node per entry whose one-hot operands are data leaves computed from
the id: the graph depends only on the table's size. Either way the numbers and gradients are exactly those
of indexing (1·w and 0·w add nothing but w; 1·g and 0·g give g and 0).

>>> table = Embedding(3, 2, seed=0)
>>> row = table(2)
>>> row[0] is table.weight[2][0], len(row)
(True, 2)
"""

from __future__ import annotations

import math
import random
from itertools import chain
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import as_number, check_count, check_real, is_whole, shown
from micrograd_plus.engine import Value
from micrograd_plus.gathering import gather
from micrograd_plus.nn.module import Module, make_rng
from micrograd_plus.tracing import DataFloat, check_data

__all__ = ["Embedding", "check_data_index", "check_index", "normal_matrix", "one_hot"]


def normal_matrix(rng: random.Random, rows: int, columns: int, std: float) -> list[list[Value]]:
    """rows × columns Values drawn N(0, std²) row by row (microgpt's ``matrix(nout, nin, std)``, in its order)."""
    drawn = [[rng.gauss(0.0, std) for _ in range(columns)] for _ in range(rows)]
    if not all(map(math.isfinite, chain.from_iterable(drawn))):
        raise ValueError(f"std = {std!r} draws weights past the float range; choose a std below 1e300 (0.08 is usual)")
    return [[Value(x) for x in row] for row in drawn]


def check_index(what: str, index: object, count: int, fix: str) -> int:
    """``index`` as an int in 0..count-1; TypeError (not a whole number) or IndexError naming it and ``fix``."""
    if not is_whole(index):
        raise TypeError(f"{what} must be a whole number in 0..{count - 1}, got {shown(index)}; {fix}")
    whole: int = int(as_number(index))  # type: ignore[call-overload]
    if not 0 <= whole < count:
        raise IndexError(f"{what} must be in 0..{count - 1}, got {whole}; {fix}")
    return whole


def check_data_index(what: str, index: DataFloat, count: int, fix: str) -> DataFloat:
    """``check_index`` for an id that is data: the test is re-run on every replay's data (a replay whose id
    fails it runs eagerly and raises here), instead of keying the compiled graph on the id itself. A float of the
    data is refused as ``check_index`` refuses a float: only the ints of the data (``index_data=True``) are ids."""
    if not index.whole:
        raise TypeError(f"{what} must be a whole number in 0..{count - 1}, got {shown(float.__float__(index))}; {fix}")
    if not check_data(index, lambda x: x.is_integer() and 0 <= x < count):
        raise IndexError(f"{what} must be a whole number in 0..{count - 1}, got {float.__repr__(index)}; {fix}")
    return index


def one_hot(index: DataFloat, count: int) -> list[Value]:
    """[i = k] for k = 0..count-1 as data leaves: each computed from the step's data whenever it is replayed."""
    source, now = index.source, float.__float__(index)  # the plain number: reading it is not a test of the data

    def entry(k: int) -> Value:
        return Value(DataFloat(1.0 if now == k else 0.0, lambda numbers: 1.0 if source(numbers) == k else 0.0))

    return [entry(k) for k in range(count)]


class Embedding(Module):
    """e = W[i]: ``num`` learned vectors of ``dim`` numbers, looked up by id (``weight`` is num × dim)."""

    def __init__(self, num: int, dim: int, std: float = 1.0, seed: int | random.Random | None = None) -> None:
        self.num, self.dim = check_count("num", num), check_count("dim", dim)
        self.std = check_real("std", std, low=0.0)
        self.weight = normal_matrix(make_rng(seed), self.num, self.dim, self.std)

    def config(self) -> dict[str, Any]:
        return {"num": self.num, "dim": self.dim, "std": self.std}

    def __call__(self, index: int | DataFloat) -> list[Value]:
        """Row ``index`` of the table: its own parameter Values (a new list, so the caller cannot reorder the row);
        for an index that is data (a ``DataFloat``), the one-hot product (see the module docstring)."""
        fix = f"the table has {self.num} rows (num={self.num})"
        if type(index) is DataFloat:
            return self.lookup(check_data_index("Embedding index", index, self.num, fix))
        return list(self.weight[check_index("Embedding index", index, self.num, fix)])

    def lookup(self, index: int | DataFloat) -> list[Value]:
        """Row ``index``, already checked: the row itself for an int, Σ_k [index = k]·W[k] for a DataFloat."""
        if not isinstance(index, DataFloat):
            return list(self.weight[index])
        gathered = gather(self.weight, index)  # while Replay traces: the row, read afresh by every replay
        if gathered is not None:
            return gathered
        selector = one_hot(index, self.num)
        return [F.dot(selector, [row[j] for row in self.weight]) for j in range(self.dim)]
