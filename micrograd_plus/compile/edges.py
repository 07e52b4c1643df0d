"""Where a compiled replay keeps its numbers: every value in one flat list ``V``, every edge's chain-rule
product in one flat list ``C``, and C-level getters that read a node's gradient as the sum of the products
of its outgoing edges, ``G[node] = Σ C[edges of node]``.

>>> getter([2, 4, 6])([0, 1, 2, 3, 4, 5, 6])
[2, 4, 6]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from operator import itemgetter
from typing import Any

__all__ = ["Edges", "Getter", "getter", "times_g"]

Getter = Callable[[Sequence[float]], Sequence[float]]

_STEP = re.compile(r"\(1\.0 if ([^()]*) else 0\.0\)")  # a 0/1 local derivative: relu's, a max's winner


def times_g(local: str) -> str:
    """The code of ``local * g``; a 0/1 step as a choice, ``(g if c else 0.0 * g)``: the same numbers (1.0 * g is g,
    and 0.0 * g keeps the sign of a zero and a nan), one multiply fewer where the step is 1."""
    step = _STEP.fullmatch(local)
    if step is None or " if " in step[1] or " else " in step[1]:
        return f"{local} * g"
    return f"(g if {step[1]} else 0.0 * g)"


def _nothing(_: Sequence[float]) -> Sequence[float]:
    return ()


def _one(_: Sequence[float]) -> Sequence[float]:
    return (1.0,)  # d(root)/d(root)


def _contiguous(slots: Sequence[int]) -> bool:
    return bool(slots) and slots[-1] - slots[0] == len(slots) - 1 and all(b - a == 1 for a, b in pairwise(slots))


def getter(slots: Sequence[int]) -> Getter:
    """A C-level function ``list -> the items at these positions``, always returning a sequence."""
    n = len(slots)
    if n == 0:
        return _nothing
    first = slots[0]
    if n == 1:
        return itemgetter(slice(first, first + 1))
    step = slots[1] - first
    if step > 0 and all(b - a == step for a, b in pairwise(slots)):  # evenly spaced: one slice
        return itemgetter(slice(first, slots[-1] + 1, step))
    return itemgetter(*slots)


class Edges:
    """The slots of a program's edges: which C entries hold the contributions of each node's outgoing edges,
    and the code that reads values (``source_of``) and gradients (``sums``) by slot."""

    globals: dict[str, Any]
    incoming: list[Any]  # per slot: None, -1 (the root), one C index, or a list of them
    n_edges: int

    def getter_of(self, slots: Sequence[int]) -> Getter:
        """``getter(slots)``: a C-level function reading these positions of a list."""
        return getter(slots)

    def record_edges(self, parents: Sequence[int], first: int) -> None:
        """Record that the contributions of these parent slots are at C[first], C[first + 1], ..."""
        incoming = self.incoming
        for k, p in enumerate(parents):
            here = incoming[p]
            if here is None:
                incoming[p] = first + k
            elif here.__class__ is int:
                incoming[p] = [here, first + k]
            else:
                here.append(first + k)
        self.n_edges = max(self.n_edges, first + len(parents))

    def incoming_getter(self, i: int) -> Getter:
        """G[i] = sum(getter(C)): the contributions of node i's outgoing edges."""
        here = self.incoming[i]
        if here is None:
            return _nothing
        if here == -1:
            return _one
        return getter([here] if here.__class__ is int else here)

    def constant(self, value: Any, kind: str = "t") -> str:
        name = f"{kind}{len(self.globals)}"
        self.globals[name] = value
        return name

    def source_of(self, slots: Sequence[int], array: str = "V") -> str:
        """Code for the items of ``array`` at these slots, as a sequence: a slice when they are contiguous."""
        if _contiguous(slots):
            return f"{array}[{slots[0]}:{slots[0] + len(slots)}]"
        return f"{self.constant(getter(slots))}({array})"

    def sums(self, slots: Sequence[int]) -> str:
        """Code for [G[i] for i in slots] read from C: one sum per node over its outgoing edges' contributions."""
        here = [self.incoming[i] for i in slots]
        if all(h.__class__ is int and h >= 0 for h in here):
            return self.source_of(here, "C")
        runs: list[Sequence[int]] = [() if h is None else [h] if h.__class__ is int else h for h in here]
        if all(r and h != -1 and r[-1] - r[0] == len(r) - 1 for h, r in zip(here, runs)):  # parent-sorted: contiguous
            pieces = self.constant(tuple(slice(r[0], r[-1] + 1) for r in runs))
            return f"list(map(sum, map(C.__getitem__, {pieces})))"
        if all(r and h != -1 for h, r in zip(here, runs)) and len({len(r) for r in runs}) == 1 and len(runs[0]) <= 4:
            # every node has the same few contributions (a parameter in a layer and in the L2 term): add k lists
            columns = [self.source_of([r[j] for r in runs], "C") for j in range(len(runs[0]))]
            listed = ", ".join(columns)
            return f"list(map(add, {listed}))" if len(columns) == 2 else f"list(map(sum, zip({listed})))"
        getters = self.constant(tuple(self.incoming_getter(i) for i in slots))
        return f"[sum(f(C)) for f in {getters}]"
