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
from operator import itemgetter
from typing import Any

from micrograd_plus.engine import Value

__all__ = ["dot_batch"]

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
    nodes: Sequence[Value], slot: dict[int, int], vectors: Vectors, new: list[Slots]
) -> tuple[list[tuple[int, int, int]], dict[int, list[tuple[int, int]]], dict[int, Slots]]:
    """Per node (w vector, x vector, bias slot or -1); per vector its uses (node, partner vector); the slots of each."""
    arity = len(nodes[0].parents)
    n, bias = arity // 2, arity % 2
    table: list[tuple[int, int, int]] = []
    uses: dict[int, list[tuple[int, int]]] = {}
    slots_of: dict[int, Slots] = {}
    for r, v in enumerate(nodes):
        parents = [slot[id(p)] for p in v.parents]
        ws, xs = tuple(parents[:n]), tuple(parents[n : 2 * n])
        w, x = vectors.number(ws, new), vectors.number(xs, new)
        slots_of[w], slots_of[x] = ws, xs
        table.append((w, x, parents[-1] if bias else -1))
        uses.setdefault(w, []).append((r, x))
        uses.setdefault(x, []).append((r, w))
    return table, uses, slots_of


def dot_batch(program: Any, nodes: list[Value], a: int, lines: list[str], needs: Callable[[int], bool]) -> None:
    """Append the forward line(s) of a batch of dot nodes (values V[a:a+m]) to ``program.forward`` and the
    backward lines to ``lines``; ``needs(slot)`` tells whether a slot's gradient is wanted at all."""
    new: list[Slots] = []
    table, uses, slots_of = _uses(nodes, program.slot, program.vectors, new)
    m, bias = len(nodes), table[0][2] >= 0
    if new:
        getters = program.constant(tuple(program.getter_of(s) for s in new))
        program.forward.append(f"X += [f(V) for f in {getters}]  # {len(new)} operand vectors")
    # every node's (w, x) operand lists, in node order; C-level from here on: Σ_t w_t x_t (+ b) per node
    pairs = f"{program.constant(itemgetter(*[w for w, _, _ in table]) if m > 1 else _one(table[0][0]))}(X), " + (
        f"{program.constant(itemgetter(*[x for _, x, _ in table]) if m > 1 else _one(table[0][1]))}(X)"
    )
    products = f"map(sum, map(map, repeat(mul), {pairs}))"
    if bias:
        biases = program.source_of([b for _, _, b in table])
        program.forward.append(f"V[{a}:{a + m}] = map(add, {products}, {biases})  # w·x + b")
    else:
        program.forward.append(f"V[{a}:{a + m}] = {products}  # w·x")
    wanted = [u for u in uses if any(map(needs, slots_of[u]))]
    single = [u for u in wanted if len(uses[u]) == 1]
    shared = [u for u in wanted if len(uses[u]) > 1]
    n = len(slots_of[table[0][0]])
    if single:  # d/du_t = g · p_t for the one node r that reads u, with partner p; nothing when g = 0
        rows_single = []
        for u in single:
            r, partner = uses[u][0]
            rows_single.append((partner, a + r, program.n_edges, program.n_edges + n))
            program.record_edges(slots_of[u], program.n_edges)
        lines.append(f"for k, i, c, d in {program.constant(tuple(rows_single))}:  # d(w·x)/dw_t = x_t, d/dx_t = w_t")
        lines.append("    g = G[i]")
        lines.append("    if g:")
        lines.append("        C[c:d] = [p * g for p in X[k]]")
    if shared:  # d/du_t = Σ_i g(r_i) · p_i[t]: dot products with the columns of the partners' transpose
        partner_sets: dict[tuple[int, ...], int] = {}
        rows_shared = []
        for u in shared:
            q = partner_sets.setdefault(tuple(p for _, p in uses[u]), len(partner_sets))
            g_slots = tuple(a + r for r, _ in uses[u])
            rows_shared.append((program.getter_of(g_slots), q, program.n_edges, program.n_edges + n))
            program.record_edges(slots_of[u], program.n_edges)
        lines.append(f"R = [list(zip(*map(X.__getitem__, P))) for P in {program.constant(tuple(partner_sets))}]")
        lines.append(f"for f, q, c, d in {program.constant(tuple(rows_shared))}:  # Σ_i g(r_i) · partner_i[t]")
        lines.append("    gs = f(G)")
        lines.append("    if all(gs):")
        lines.append("        C[c:d] = map(sum, map(map, repeat(mul), repeat(gs), R[q]))")
        lines.append("    elif any(gs):  # only the nodes whose gradient is not 0 contribute")
        lines.append("        nonzero = list(filter(None, gs))")
        lines.append("        C[c:d] = map(sum, map(map, repeat(mul), repeat(nonzero), map(compress, R[q], repeat(gs))))")
    if bias:
        bs = [b for _, _, b in table]
        if any(map(needs, bs)):
            lines.append(program.sorted_products(bs, None, list(range(a, a + m)), program.n_edges) + "  # d/db = 1")
