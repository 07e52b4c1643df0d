"""``Embedding``: a table of learned vectors, one row per id; looking up an id returns that row's Values.

A lookup is a one-hot row times the table, e_i = W[i], done by indexing instead of multiplying: the
output *is* row i's parameters, so backward adds each gradient straight into the row that was used
and the graph grows by nothing. Rows start N(0, std²) (std 1, as ``torch.nn.Embedding``; the GPT
passes microgpt's 0.08).

>>> table = Embedding(3, 2, seed=0)
>>> row = table(2)
>>> row[0] is table.weight[2][0], len(row)
(True, 2)
"""

from __future__ import annotations

import random
from typing import Any

from micrograd_plus._validate import as_number, check_count, check_real, is_whole, shown
from micrograd_plus.engine import Value
from micrograd_plus.nn.module import Module, make_rng

__all__ = ["Embedding", "check_index", "normal_matrix"]


def normal_matrix(rng: random.Random, rows: int, columns: int, std: float) -> list[list[Value]]:
    """rows × columns Values drawn N(0, std²) row by row (microgpt's ``matrix(nout, nin, std)``, in its order)."""
    return [[Value(rng.gauss(0.0, std)) for _ in range(columns)] for _ in range(rows)]


def check_index(what: str, index: object, count: int, fix: str) -> int:
    """``index`` as an int in 0..count-1; TypeError (not a whole number) or IndexError naming it and ``fix``."""
    if not is_whole(index):
        raise TypeError(f"{what} must be a whole number in 0..{count - 1}, got {shown(index)}; {fix}")
    whole: int = int(as_number(index))  # type: ignore[call-overload]
    if not 0 <= whole < count:
        raise IndexError(f"{what} must be in 0..{count - 1}, got {whole}; {fix}")
    return whole


class Embedding(Module):
    """e = W[i]: ``num`` learned vectors of ``dim`` numbers, looked up by id (``weight`` is num × dim)."""

    def __init__(self, num: int, dim: int, std: float = 1.0, seed: int | random.Random | None = None) -> None:
        self.num, self.dim = check_count("num", num), check_count("dim", dim)
        self.std = check_real("std", std, low=0.0)
        self.weight = normal_matrix(make_rng(seed), self.num, self.dim, self.std)

    def config(self) -> dict[str, Any]:
        return {"num": self.num, "dim": self.dim, "std": self.std}

    def __call__(self, index: int) -> list[Value]:
        """Row ``index`` of the table: its own parameter Values (a new list, so the caller cannot reorder the row)."""
        i = check_index("Embedding index", index, self.num, f"the table has {self.num} rows (num={self.num})")
        return list(self.weight[i])
