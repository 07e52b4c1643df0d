"""The schedule of a compiled replay: a graph's nodes grouped into batches that each run as one list operation.

A node's *level* is 1 + the highest level of its parents (leaves are level 0), so
nodes of one level never depend on each other. The nodes of one level that share an
op and an arity form a **batch**: one list comprehension computes all their values,
and one more per operand computes all their edges' chain-rule products

    C[edge] = local_derivative(edge) * g(node)

into a flat array ``C`` of edge contributions. A node's gradient is then the sum of
the contributions of its outgoing edges, ``G[node] = Σ C[edges of node]``, read with
C-level getters. Every value lives in one flat list ``V`` (inputs first, then
constants, then each batch's nodes side by side), so a batch writes ``V[a:b]`` at once.

A ``dot`` batch works on whole operand vectors (:mod:`micrograd_plus.compile.dot_code`): one
gradient contribution per vector element rather than per edge, none for constants, and
nothing for nodes whose gradient is 0. n-ary ops never become one line per operand, so
a node with 10^5 operands or a graph of 10^6 nodes compiles in seconds. Nodes of a level too
few to batch (a deep chain, say) go to a **tape**: a list of (forward, parent
slots, slot, backward, ...) entries that a short loop runs, one node at a time.

The code of each batch comes from its op's registry entry: the forward from its
code template (or a call of its float forward), the local derivatives from its
derivative rule traced on ``ops.Symbol`` stand-ins, or a call of the rule when it
cannot be traced (it branches on its numbers).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from micrograd_plus import ops
from micrograd_plus._validate import safe_text
from micrograd_plus.compile.dot_code import Vectors, accumulate, dot_batch
from micrograd_plus.compile.edges import Edges, getter, times_g
from micrograd_plus.engine import Value

__all__ = ["MIN_BATCH", "Program", "tape_backward", "tape_forward"]

MIN_BATCH = 4  # fewer nodes of one op at one level run on the tape
STRAIGHT_LIMIT = 400  # a program with at most this many unbatched nodes writes them out, one line each

Namer = Callable[[Callable[..., Any], str], str]
Caller = Callable[[ops.Op, Sequence[str]], str]


def tape_forward(tape: Sequence[tuple[Any, ...]], V: list[float]) -> None:
    """Run the tape's nodes in order: V[slot] = forward(V[parent slots])."""
    for forward, parents, i, _, _, _ in tape:
        V[i] = forward(*[V[p] for p in parents])


def tape_backward(tape: Sequence[tuple[Any, ...]], V: list[float], C: list[float]) -> None:
    """Run the tape's nodes in reverse: g = Σ C[outgoing edges]; C[incoming edges] = local * g."""
    for _, parents, i, backward, c, incoming in reversed(tape):
        g = C[incoming] if incoming.__class__ is int else sum(incoming(C))
        C[c : c + len(parents)] = backward(*[V[p] for p in parents], V[i], g)


def _level(item: tuple[tuple[int, int, int], Value]) -> int:
    return item[0][0]


def _used(names: Sequence[str], code: str) -> list[str]:
    found = set(re.findall(r"\b(?:x\d+|out)\b", code))
    return [n for n in names if n in found]


class Program(Edges):
    """The batched replay of one graph: ``source`` (a Python function ``value_and_grad(x)``) and its globals."""

    def __init__(
        self, order: list[Value], inputs: Sequence[Value], name: Namer, call: Caller, n_wrt: int | None = None
    ) -> None:
        self.n_wrt = len(inputs) if n_wrt is None else n_wrt  # the first n_wrt inputs get gradients
        self.name, self.call = name, call
        self.globals: dict[str, Any] = {
            "__builtins__": {
                **{f.__name__: f for f in (abs, all, any, filter, sum, list, map, zip, tuple)},
            },
            "tape_forward": tape_forward,
            "tape_backward": tape_backward,
            "mul": operator.mul,
            "compress": itertools.compress,
            "repeat": itertools.repeat,
            "chain": itertools.chain,
            "accumulate": accumulate,
            "add": operator.add,
        }
        self.forward: list[str] = []
        self.backward: list[list[str]] = []  # per segment, run in reverse segment order
        self.n_batches = self.n_tape = 0
        self._traced: dict[tuple[int, int], list[str] | None] = {}
        self._layout(order, inputs)

    # -- where every value and every edge contribution lives ---------------------------------------

    def _layout(self, order: list[Value], inputs: Sequence[Value]) -> None:
        slot: dict[Value, int] = {x: k for k, x in enumerate(inputs)}  # by node: Values hash by identity
        constants = [v for v in order if not v.parents and v not in slot]
        for v in constants:
            slot[v] = len(slot)
        template = [0.0] * len(inputs) + [v.data for v in constants]
        segments = self._segments(order)
        self.incoming: list[Any] = [None] * (len(template) + len(order) - len(constants))
        self.n_edges = 0
        for _, nodes in segments:
            for v in nodes:
                slot[v] = len(slot)
            template.extend([0.0] * len(nodes))
        self.slot, self.template = slot, template
        self.needs = self._needs(order, inputs)
        self.vectors = Vectors()
        root = order[-1]
        self.incoming[slot[root]] = -1  # the root: g = 1
        self._finish: list[Callable[[], None]] = []  # what needs every edge known: the gradient getters
        n_tape = sum(len(nodes) for kind, nodes in segments if kind == "tape")
        for kind, nodes in segments:
            if kind == "tape" and n_tape <= STRAIGHT_LIMIT:
                self._straight(nodes)
            elif kind == "tape":
                self._tape(nodes)
            else:
                self._batch(nodes)
        for finish in self._finish:
            finish()
        self.n_values = len(template)
        self.root_slot = slot[root]

    def _needs(self, order: list[Value], inputs: Sequence[Value]) -> list[bool]:
        """Per slot: does the root's gradient with respect to it matter (an input, or a node that depends on one)?"""
        wanted = set(inputs[: self.n_wrt])  # the nodes themselves, as in ``_segments``
        for v in order:
            if v.parents and not wanted.isdisjoint(v.parents):
                wanted.add(v)
        needs = [False] * len(self.template)
        for v in order:
            if v in wanted:
                needs[self.slot[v]] = True
        return needs

    @staticmethod
    def _segments(order: list[Value]) -> list[tuple[str, list[Value]]]:
        """Nodes by level; at each level one batch per (op, arity) of at least MIN_BATCH nodes, the rest on a tape."""
        # keyed by the nodes themselves (Values hash by identity): a dot has up to 128 parents, and id() makes an
        # int for each of them; a map over the parents runs at C speed
        levels: dict[Value, int] = {}
        level_of = levels.__getitem__
        counts: dict[tuple[int, int, int], int] = {}
        interior: list[tuple[tuple[int, int, int], Value]] = []  # (level, op, arity) and node, in creation order
        for v in order:
            parents = v.parents
            if parents:
                level = levels[v] = 1 + max(map(level_of, parents))
                key = (level, id(v.entry), len(parents))
                counts[key] = counts.get(key, 0) + 1
                interior.append((key, v))
            else:
                levels[v] = 0
        interior.sort(key=_level)  # stable: creation order within a level
        segments: list[tuple[str, list[Value]]] = []
        tape: list[Value] = []
        batches: dict[tuple[int, int, int], list[Value]] = {}
        for key, v in interior:
            if counts[key] < MIN_BATCH and v.entry is not None and v.entry.arity is not None:
                tape.append(v)
                continue
            batch = batches.setdefault(key, [])
            batch.append(v)
            if len(batch) == counts[key]:  # complete: it runs after everything on the tape so far
                if tape:
                    segments.append(("tape", tape))
                    tape = []
                segments.append(("batch", batches.pop(key)))
        if tape:
            segments.append(("tape", tape))
        return segments

    def _gradients(self, nodes: Sequence[Value], a: int, b: int) -> str:
        """The line that fills G[a:b] from the contributions in C."""
        return f"G[{a}:{b}] = {self.sums(range(a, b))}"

    # -- the code of a batch -----------------------------------------------------------------------

    def _batch(self, nodes: list[Value]) -> None:
        entry, m, arity = nodes[0].entry, len(nodes), len(nodes[0].parents)
        assert entry is not None  # interior nodes have an entry; checked by the compiler before
        a = self.slot[nodes[0]]
        b, c = a + m, self.n_edges
        shown = repr(entry.name)[1:-1][:30]
        self.forward.append(f"# {m} × {shown} (arity {arity}) -> V[{a}:{b}]")
        lines = [f"# {m} × {shown}: gradients G[{a}:{b}], edge contributions C[{c}:{c + m * arity}]"]
        lines.append("")  # G[a:b] = ..., filled in once every edge is known

        def gradients() -> None:
            lines[1] = self._gradients(nodes, a, b)

        self._finish.append(gradients)
        if entry.arity is not None:
            columns = [[self.slot[v.parents[j]] for v in nodes] for j in range(arity)]
            self._fixed(entry, columns, a, b, c, lines)
        elif entry is ops.DOT and arity >= 2:  # a dot with no vector (a conv position on padding) is n-ary
            dot_batch(self, nodes, a, lines, self.needs.__getitem__)
        else:
            self._nary(entry, nodes, a, b, c, lines)
        self.backward.append(lines)
        self.n_batches += 1

    def _trace(self, entry: ops.Op, arity: int) -> list[str] | None:
        key = (id(entry), arity)
        if key not in self._traced:
            names = [f"x{j}" for j in range(arity)]
            try:
                rule = entry.derivatives
                assert rule is not None
                found = rule(*[ops.Symbol(n, self.call) for n in names], ops.Symbol("out", self.call))
                self._traced[key] = [ops.operand_text(d, 2) for d in found]
            except (TypeError, ValueError, ArithmeticError):  # a rule that branches on its numbers
                self._traced[key] = None
        return self._traced[key]

    def _fixed(self, entry: ops.Op, columns: list[list[int]], a: int, b: int, c: int, lines: list[str]) -> None:
        arity, m = len(columns), b - a
        names = [f"x{j}" for j in range(arity)]
        sources = [self.source_of(column) for column in columns]
        zipped = sources[0] if arity == 1 else f"zip({', '.join(sources)})"
        self.forward.append(f"V[{a}:{b}] = [{self.call(entry, names)} for {', '.join(names)} in {zipped}]")
        traced = self._trace(entry, arity)
        if traced is None:
            rule = self.name(entry.derivatives, "rule")  # type: ignore[arg-type]
            lines.append(f"D = list(map({rule}, {', '.join(sources)}, V[{a}:{b}]))")
        for j, column in enumerate(columns):
            # the edges into operand j, sorted by parent: each parent's contributions sit side by side
            order = sorted(range(m), key=column.__getitem__)
            nodes = [a + r for r in order]
            target = f"C[{c + j * m}:{c + (j + 1) * m}]"
            self.record_edges([column[r] for r in order], c + j * m)
            g_code = self.source_of(nodes, "G")
            if traced is None:
                ds = "D" if order == list(range(m)) else f"{self.constant(getter(order))}(D)"
                lines.append(f"{target} = [d[{j}] * g for d, g in zip({ds}, {g_code})]")
                continue
            local = traced[j]
            if local == "1.0":
                lines.append(f"{target} = {g_code}")
            elif local == "-1.0":
                lines.append(f"{target} = [-g for g in {g_code}]")
            else:
                pool = {n: self.source_of([col[r] for r in order]) for n, col in zip(names, columns)}
                pool["out"] = self.source_of(nodes)
                used = _used([*names, "out"], local)
                loop = ", ".join([*used, "g"])
                lines.append(
                    f"{target} = [{times_g(local)} for {loop} in zip({', '.join(pool[u] for u in used)}, {g_code})]"
                )

    def _nary(self, entry: ops.Op, nodes: list[Value], a: int, b: int, c: int, lines: list[str]) -> None:
        m, arity = len(nodes), len(nodes[0].parents)
        flat = [s for v in nodes for s in map(self.slot.__getitem__, v.parents)]
        code = self.source_of(flat)
        pieces = self.constant(tuple(slice(r * arity, (r + 1) * arity) for r in range(m)))
        order = sorted(range(len(flat)), key=flat.__getitem__)
        self.record_edges([flat[e] for e in order], c)
        target = f"C[{c}:{c + m * arity}]"
        if entry is ops.SUM or entry is ops.MEAN:
            scale = "" if entry is ops.SUM else f" / {float(arity)!r}"
            self.forward.append(f"V[{a}:{b}] = [s{scale} for s in map(sum, map({code}.__getitem__, {pieces}))]")
            g_code = self.source_of([a + e // arity for e in order], "G")
            local = "" if entry is ops.SUM else f"{1.0 / arity!r} * "
            lines.append(f"{target} = [{local}g for g in {g_code}]")
            return
        forward = self.name(entry.forward, "op")  # type: ignore[arg-type]
        rule = self.name(entry.derivatives, "rule")  # type: ignore[arg-type]
        self.forward.append(f"P = {code}")
        self.forward.append(f"V[{a}:{b}] = [{forward}(*P[s]) for s in {pieces}]")
        lines.append(f"P = {code}")
        products = f"[d * g for s, out, g in zip({pieces}, V[{a}:{b}], G[{a}:{b}]) for d in {rule}(*P[s], out)]"
        if order == list(range(len(flat))):
            lines.append(f"{target} = {products}")
        else:
            lines.append(f"{target} = {self.constant(getter(order))}({products})")

    # -- the tape ----------------------------------------------------------------------------------

    def _kernel(self, entry: ops.Op, arity: int) -> Callable[..., Any]:
        """backward(x0, .., out, g) -> the contributions (local_j * g for each operand j)."""
        key = f"k{id(entry)}_{arity}"
        if key not in self.globals:
            names = [f"x{j}" for j in range(arity)]
            traced = self._trace(entry, arity)
            if traced is None:
                rule = self.name(entry.derivatives, "rule")  # type: ignore[arg-type]
                body = f"tuple([d * g for d in {rule}({', '.join(names)}, out)])"
            else:
                body = "(" + "".join(f"{times_g(local)}, " for local in traced) + ")"
            namespace: dict[str, Any] = {}
            exec(f"def kernel({', '.join(names)}, out, g): return {body}", self.globals, namespace)  # our templates
            self.globals[key] = namespace["kernel"]
        kernel: Callable[..., Any] = self.globals[key]
        return kernel

    def _tape(self, nodes: list[Value]) -> None:
        slot, c = self.slot, self.n_edges
        entries: list[tuple[Any, tuple[int, ...], int, Any, int]] = []
        for v in nodes:
            entry = v.entry
            assert entry is not None and entry.forward is not None
            parents = tuple(map(slot.__getitem__, v.parents))
            entries.append((entry.forward, parents, slot[v], self._kernel(entry, len(parents)), c))
            self.record_edges(parents, c)
            c += len(parents)
        records: list[tuple[Any, ...]] = []

        def incoming() -> None:
            for record in entries:
                here = self.incoming[record[2]]
                single = here.__class__ is int and here >= 0
                records.append((*record, here if single else self.incoming_getter(record[2])))
            entries.clear()

        self._finish.append(incoming)
        tape = self.constant(records, "tape")
        self.forward.append(f"tape_forward({tape}, V)  # {len(nodes)} nodes, one at a time")
        self.backward.append([f"tape_backward({tape}, V, C)"])
        self.n_tape += len(nodes)

    def _straight(self, nodes: list[Value]) -> None:
        """Unbatched nodes written out, one line per op forward and one per edge backward (small graphs)."""
        slot, c = self.slot, self.n_edges
        lines: list[str] = []
        self.backward.append(lines)
        blocks: list[tuple[int, list[str]]] = []
        for v in nodes:
            entry = v.entry
            assert entry is not None
            parents = [slot[p] for p in v.parents]
            i = slot[v]
            names = [f"V[{p}]" for p in parents]
            shown = safe_text(v.label, 40) or f"#{i}"
            operands = ", ".join(safe_text(p.label, 40) or f"#{slot[p]}" for p in v.parents)
            self.forward.append(
                f"V[{i}] = {self.call(entry, names)}  # {shown} = {safe_text(entry.name, 40)}({operands})"
            )
            try:
                rule = entry.derivatives
                assert rule is not None
                traced: list[str] | None = [
                    ops.operand_text(d, 2)
                    for d in rule(*[ops.Symbol(n, self.call) for n in names], ops.Symbol(f"V[{i}]", self.call))
                ]
            except (TypeError, ValueError, ArithmeticError):
                traced = None
            own: list[str] = [f"# {shown} = {safe_text(entry.name, 40)}({operands}): g = d(root)/d({shown})", ""]
            if traced is None:
                own.append(f"d = {self.name(entry.derivatives, 'rule')}({', '.join(names)}, V[{i}])")  # type: ignore[arg-type]
            for j in range(len(parents)):
                local = f"d[{j}]" if traced is None else traced[j]
                term = "g" if local == "1.0" else "-g" if local == "-1.0" else times_g(local)
                own.append(f"C[{c + j}] = {term}")
            self.record_edges(parents, c)
            c += len(parents)
            blocks.append((i, own))

        def incoming() -> None:
            for i, own in blocks:
                here = self.incoming[i]
                if here == -1:
                    own[1] = "g = 1.0  # d(root)/d(root)"
                elif here.__class__ is int:
                    own[1] = f"g = C[{here}]"
                else:
                    own[1] = f"g = sum({self.constant(self.incoming_getter(i))}(C))"
            lines[:] = [line for _, own in reversed(blocks) for line in own]  # backward: the nodes in reverse

        self._finish.append(incoming)
        self.n_tape += len(nodes)

    # -- the whole program -------------------------------------------------------------------------

    def source(self, n_inputs: int, n_wrt: int | None = None) -> str:
        """``def value_and_grad(x)``: forward batches in order, backward batches in reverse."""
        self.globals["T"] = self.template
        n_wrt = n_inputs if n_wrt is None else n_wrt
        gradients = f"list({self.sums(range(n_wrt))})" if n_wrt else "[]"
        lines = ["def value_and_grad(x):", "    V = list(T)  # inputs, constants, then every node's value"]
        if self.vectors.index:
            lines.append("    X = []  # operand vectors of dot nodes, made as the forward pass reaches them")
        if n_inputs:
            lines.append(f"    V[0:{n_inputs}] = x")
        lines += [f"    {line}" for line in self.forward]
        lines.append(f"    C = [0.0] * {self.n_edges}  # one chain-rule product per edge")
        lines.append(f"    G = [0.0] * {self.n_values}  # d(root)/d(node) of batched nodes")
        for segment in reversed(self.backward):
            lines += [f"    {line}" for line in segment]
        lines.append(f"    return V[{self.root_slot}], {gradients}")
        return "\n".join(lines) + "\n"
