"""The compiled code of a batch of ``dot`` nodes, written with whole vectors instead of single edges.

A layer's dot nodes share their operand vectors: in ``MLP`` every neuron's weight vector
meets every sample's input vector. The batch therefore works on **vectors**, the tuples
of slots a node reads as its ``w`` or its ``x``, each made once per replay as a list
``X[k]`` (a slice of ``V`` when its slots are side by side):

    forward    V[node] = sum(map(mul, X[w], X[x])) + V[b]
    backward   for a vector u used by nodes r_1 .. r_k with partner vectors p_1 .. p_k,
               d(root)/du_t = Σ_i g(r_i) · p_i[t]      (d(w·x)/dw_t = x_t, d/dx_t = w_t)

The sums over i are again dot products, of the gradients (g(r_1) .. g(r_k)) with a column
of the partners' transpose ``zip(p_1, .., p_k)``: a weight vector met by 100 samples gets
its gradient as 16 sums of 100 products, one contribution per element instead of one per
edge. Vectors that only hold constants (the data) get no gradient at all, and partner
sets shared by several vectors (every weight vector meets the same samples) are
transposed once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from operator import add, itemgetter, mul
from typing import Any

from micrograd_plus.engine import Value

__all__ = ["accumulate", "dot_batch"]

Slots = tuple[int, ...]


def _one(k: int) -> Callable[[list[Any]], tuple[Any]]:
    """``X -> (X[k],)``: the operand lists of a batch of one node."""
    return lambda X: (X[k],)


class Vectors:
    """Every operand vector a program reads, numbered in the order the forward pass makes them."""

    def __init__(self) -> None:
        self.index: dict[Slots, int] = {}

    def number(self, slots: Slots, new: list[Slots]) -> int:
        k = self.index.get(slots)
        if k is None:
            k = self.index[slots] = len(self.index)
            new.append(slots)
        return k


def _uses(
    nodes: Sequence[Value], slot: dict[Value, int], vectors: Vectors, new: list[Slots]
) -> tuple[list[tuple[int, int, int]], dict[int, list[tuple[int, int]]], dict[int, Slots]]:
    """Per node (w vector, x vector, bias slot or -1); per vector its uses (node, partner vector); the slots of each."""
    arity = len(nodes[0].parents)
    n, bias = arity // 2, arity % 2
    table: list[tuple[int, int, int]] = []
    uses: dict[int, list[tuple[int, int]]] = {}
    slots_of: dict[int, Slots] = {}
    slot_of = slot.__getitem__
    for r, v in enumerate(nodes):
        parents = list(map(slot_of, v.parents))
        ws, xs = tuple(parents[:n]), tuple(parents[n : 2 * n])
        w, x = vectors.number(ws, new), vectors.number(xs, new)
        slots_of[w], slots_of[x] = ws, xs
        table.append((w, x, parents[-1] if bias else -1))
        uses.setdefault(w, []).append((r, x))
        uses.setdefault(x, []).append((r, w))
    return table, uses, slots_of


def accumulate(u: Sequence[float], columns: Sequence[Sequence[float]]) -> list[float]:
    """Σ_t u_t · columns[t] over the t with u_t ≠ 0, in the order of t: the values of k dots that share u."""
    total: list[float] | None = None
    for ut, column in zip(u, columns):
        if ut:
            scaled = map(mul, column, repeat(ut))
            total = list(scaled) if total is None else list(map(add, total, scaled))
    return [0.0] * len(columns[0]) if total is None else total


# estimated costs (ns) of the two forms of a dot batch's forward, measured on CPython 3.11: a product summed in
# ``sum(map(mul, w, x))``, a product added in a vector operation, an element transposed, per node, per vector operation
ROW_PRODUCT, COLUMN_PRODUCT, TRANSPOSED, PER_NODE, PER_VECTOR_OP = 30, 45, 5, 150, 300
# from this vector length on, the backward of a shared vector whose readers' gradients are partly 0 transposes only
# the partners of the nonzero ones, instead of dropping zeros from every column of the full transpose (measured)
SELECT_PARTNERS_FROM = 4


def _column_side(table: list[tuple[int, int, int]], n: int) -> int | None:
    """0 (group by w) or 1 (group by x) when the column form is estimated faster than one sum per node, else None."""
    m = len(table)
    best, side = m * (n * ROW_PRODUCT + PER_NODE), None
    for k in (0, 1):
        groups = len({row[k] for row in table})
        cost = n * (m * (COLUMN_PRODUCT + TRANSPOSED) + groups * PER_VECTOR_OP)  # n vector operations per group
        if groups < m and cost < best:
            best, side = cost, k
    return side


def _forward(program: Any, table: list[tuple[int, int, int]], n: int, a: int, bias: bool) -> None:
    """V[a:a+m] = w·x (+ b) per node: one sum of products per node, or, when many dots share a vector u (the
    inputs of a narrow layer, say), their values as a vector: Σ_t u_t · (the partners' column t)."""
    m = len(table)
    side = _column_side(table, n)
    if side is None:
        pairs = [itemgetter(*[row[k] for row in table]) if m > 1 else _one(table[0][k]) for k in (0, 1)]
        code = f"map(sum, map(map, repeat(mul), {program.constant(pairs[0])}(X), {program.constant(pairs[1])}(X)))"
    else:
        groups: dict[int, list[int]] = {}
        for r, row in enumerate(table):
            groups.setdefault(row[side], []).append(r)
        distinct: dict[tuple[int, ...], int] = {}  # partner sets: every weight vector meets the same samples
        index = [distinct.setdefault(tuple(table[r][1 - side] for r in rs), len(distinct)) for rs in groups.values()]
        sets = program.constant(tuple(distinct))
        program.forward.append(f"F = [list(zip(*map(X.__getitem__, P))) for P in {sets}]  # the partners' columns")
        shared = program.constant(itemgetter(*groups) if len(groups) > 1 else _one(next(iter(groups))))
        columns = "F" if len(distinct) == len(index) else f"map(F.__getitem__, {program.constant(tuple(index))})"
        code = f"chain.from_iterable(map(accumulate, {shared}(X), {columns}))"
        order = [r for rs in groups.values() for r in rs]  # node of each value, in the order they come
        if order != list(range(m)):
            where = sorted(range(m), key=order.__getitem__)
            code = f"{program.constant(itemgetter(*where))}(list({code}))"  # m > 1: one node is always in order
    if bias:
        program.forward.append(f"V[{a}:{a + m}] = map(add, {code}, {program.source_of([r[2] for r in table])})")
    else:
        program.forward.append(f"V[{a}:{a + m}] = {code}")


def dot_batch(program: Any, nodes: list[Value], a: int, lines: list[str], needs: Callable[[int], bool]) -> None:
    """Append the forward line(s) of a batch of dot nodes (values V[a:a+m]) to ``program.forward`` and the
    backward lines to ``lines``; ``needs(slot)`` tells whether a slot's gradient is wanted at all."""
    new: list[Slots] = []
    table, uses, slots_of = _uses(nodes, program.slot, program.vectors, new)
    bias, n = table[0][2] >= 0, len(slots_of[table[0][0]])
    if new:
        getters = program.constant(tuple(program.getter_of(s) for s in new))
        shown = f"{len(new)} operand vectors" if len(new) > 1 else "1 operand vector"
        program.forward.append(f"X += [f(V) for f in {getters}]  # {shown}")
    _forward(program, table, n, a, bias)
    wanted = [u for u in uses if any(map(needs, slots_of[u]))]
    _backward_single(program, [u for u in wanted if len(uses[u]) == 1], uses, slots_of, a, n, lines)
    _backward_shared(program, [u for u in wanted if len(uses[u]) > 1], uses, slots_of, a, n, lines)
    if bias:
        _backward_bias(program, table, a, needs, lines)


def _backward_bias(
    program: Any, table: list[tuple[int, int, int]], a: int, needs: Callable[[int], bool], lines: list[str]
) -> None:
    """d/db = Σ g(r) over the nodes r that add the bias b (every sample's neuron j adds b_j): one sum per bias."""
    readers: dict[int, list[int]] = {}
    for r, (_, _, b) in enumerate(table):
        readers.setdefault(b, []).append(a + r)
    wanted = [b for b in readers if needs(b)]
    if not wanted:
        return
    c = program.n_edges
    program.record_edges(wanted, c)
    if all(len(readers[b]) == 1 for b in wanted):
        firsts = program.source_of([readers[b][0] for b in wanted], "G")
        lines.append(f"C[{c}:{c + len(wanted)}] = {firsts}  # d/db = 1")
    else:
        sums = program.constant(tuple(program.getter_of(readers[b]) for b in wanted))
        lines.append(f"C[{c}:{c + len(wanted)}] = [sum(f(G)) for f in {sums}]  # d/db = Σ g over the nodes adding b")


Uses = dict[int, list[tuple[int, int]]]


def _backward_single(
    program: Any, single: list[int], uses: Uses, slots_of: dict[int, Slots], a: int, n: int, lines: list[str]
) -> None:
    """d/du_t = g · p_t for a vector u read by one node r (gradient g) with partner p; nothing when g = 0."""
    if not single:
        return
    rows = []
    for u in single:
        r, partner = uses[u][0]
        rows.append((partner, a + r, program.n_edges, program.n_edges + n))
        program.record_edges(slots_of[u], program.n_edges)
    lines.append(f"for k, i, c, d in {program.constant(tuple(rows))}:  # d(w·x)/dw_t = x_t, d/dx_t = w_t")
    lines.append("    g = G[i]")
    lines.append("    if g:")
    lines.append("        C[c:d] = [p * g for p in X[k]]")


def _by_columns(readers: int, n: int) -> bool:
    """Whether Σ_i g(r_i) · partner_i for a vector of length n read by ``readers`` nodes is estimated faster as one
    vector operation per reader (few readers of a long vector: the 337 parameters in an L2 term) than as one sum
    per element over the partners' transpose."""
    by_columns = readers * (n * COLUMN_PRODUCT + PER_VECTOR_OP)
    return by_columns < n * (readers * (ROW_PRODUCT + TRANSPOSED) + PER_NODE)


def _backward_shared(
    program: Any, shared: list[int], uses: Uses, slots_of: dict[int, Slots], a: int, n: int, lines: list[str]
) -> None:
    """d/du_t = Σ_i g(r_i) · p_i[t] for a vector read by nodes r_1, r_2, ...: dot products of their gradients with
    the columns of the partners' transpose, over the nodes whose gradient is not 0; for few readers of a long
    vector, Σ_i g(r_i) · p_i as vector operations instead (``accumulate``, the same sums in the same order)."""
    if not shared:
        return
    partner_sets: dict[tuple[int, ...], int] = {}
    rows: list[tuple[Any, int, int, int]] = []
    column_rows: list[tuple[Any, int, int, int]] = []
    for u in shared:
        q = partner_sets.setdefault(tuple(p for _, p in uses[u]), len(partner_sets))
        g_slots = tuple(a + r for r, _ in uses[u])
        row = (program.getter_of(g_slots), q, program.n_edges, program.n_edges + n)
        (column_rows if _by_columns(len(g_slots), n) else rows).append(row)
        program.record_edges(slots_of[u], program.n_edges)
    sets = program.constant(tuple(partner_sets))
    lines.append(f"Q = [list(map(X.__getitem__, S)) for S in {sets}]  # each partner set's vectors")
    if column_rows:
        lines.append(f"for f, q, c, d in {program.constant(tuple(column_rows))}:  # Σ_i g(r_i) · partner_i")
        lines.append("    C[c:d] = accumulate(f(G), Q[q])")
    if not rows:
        return
    # a full transpose is needed only where every reader's gradient is nonzero (for short vectors, wherever one
    # is): late in training most readers of a shared vector are samples whose loss is flat, so it is made lazily
    lines.append(f"R = [None] * {len(partner_sets)}  # their transposes, each made when first needed")
    lines.append(f"for f, q, c, d in {program.constant(tuple(rows))}:  # Σ_i g(r_i) · partner_i[t]")
    lines.append("    gs = f(G)")
    lines.append("    if all(gs):")
    lines.append("        columns = R[q] = R[q] or list(zip(*Q[q]))")
    lines.append("        C[c:d] = map(sum, map(map, repeat(mul), repeat(gs), columns))")
    lines.append("    elif any(gs):  # only the nodes whose gradient is not 0 contribute")
    lines.append("        nonzero = list(filter(None, gs))")
    # long vectors: transpose just the partners of those nodes; short ones: drop the zeros from each column
    if n >= SELECT_PARTNERS_FROM:
        columns = "zip(*compress(Q[q], gs))"
    else:
        lines.append("        R[q] = R[q] or list(zip(*Q[q]))")
        columns = "map(compress, R[q], repeat(gs))"
    lines.append(f"        C[c:d] = map(sum, map(map, repeat(mul), repeat(nonzero), {columns}))")
