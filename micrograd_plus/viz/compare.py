"""Compare a student's graph with a reference graph: missing and extra nodes, the first value and gradient that differ.

Nodes are matched from the roots down by operand position: the roots are a pair, and operand j of a
matched node pairs with operand j of its partner (for ``+`` and ``*``, whose operands commute, the
order that matches the operands' values is taken, so ``x*w`` matches ``w*x``). Where two nodes'
ops differ and an operand of one has the other's op, that one side has a node the other lacks:
the walk steps over it, so ``tanh(w*x)`` against ``tanh(w*x + b)`` misses ``+`` and ``b`` only. A reference node
left without a partner is *missing*, a student node *extra*. Of the matched pairs, the first whose
value differs in forward order is where the student's computation goes wrong; the first whose
gradient differs in backward order (from the root) is where their backward goes wrong.

>>> from micrograd_plus import Value
>>> def reference(x, w, b): return (w * x + b).tanh().named("o")
>>> x, w, b = Value(2.0, label="x"), Value(-0.5, label="w"), Value(0.3, label="b")
>>> mine = (w * x - b).tanh().named("o")  # a sign slip
>>> print(compare_graphs(mine, reference(x, w, b)))
compare_graphs: 6 nodes in yours, 6 in the reference; 6 matched by op and operand position
node #2: op '-' in yours, '+' in the reference
first value difference (forward order): #2: -1.3 in yours, -0.7 in the reference
first gradient difference (backward order): none

Numbers that differ are printed with as many digits as it takes to tell them apart, so a difference
in the fifth digit is not shown as two equal numbers; constants are printed with every digit they have.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from micrograd_plus._files import writable, write_atomically
from micrograd_plus.engine import Value
from micrograd_plus.viz import drawing
from micrograd_plus.viz import graph_view as graphview
from micrograd_plus.viz.explain import forward_expression
from micrograd_plus.viz.graph_view import GraphView

__all__ = ["GraphComparison", "compare_graphs"]

COMMUTATIVE = ("+", "*")
MARK_COLOURS = {"extra": "#c00000", "op": "#7b2cbf", "value": "#b35900", "grad": "#1f5fa8", "missing": "#777777"}


@dataclass(frozen=True)
class GraphComparison:
    """How a student's graph differs from a reference: pairs, missing and extra nodes, differing pairs in order."""

    student: GraphView
    reference: GraphView
    pairs: dict[int, int]  # student position -> reference position
    missing: tuple[int, ...]  # reference positions without a partner
    extra: tuple[int, ...]  # student positions without a partner
    ops: tuple[int, ...]  # student positions whose partner has another op
    values: tuple[int, ...]  # student positions whose value differs from their partner's, in forward order
    grads: tuple[int, ...]  # student positions whose gradient differs, in backward order
    fmt: str = ".4g"
    grad_note: str = ""  # why gradients were not compared (one side has none), else empty

    @property
    def same(self) -> bool:
        """True when every node has a partner with the same op, value and gradient."""
        return not (self.missing or self.extra or self.ops or self.values or self.grads or self.grad_note)

    def partner(self, position: int) -> Value:
        """The reference node matched with the student's node at ``position``."""
        return self.reference.order[self.pairs[position]]

    def student_marks(self) -> dict[int, str]:
        """Each student node that differs: 'extra', 'op', 'value' or 'grad' (the first that applies)."""
        marks = dict.fromkeys(self.grads, "grad")
        marks.update(dict.fromkeys(self.values, "value"))
        marks.update(dict.fromkeys(self.ops, "op"))
        marks.update(dict.fromkeys(self.extra, "extra"))
        return marks

    def _described(self, graph: GraphView, i: int) -> str:
        v = graph.order[i]
        if not v.parents:
            return f"{graph.name(v)} (leaf, {exact(v.data, self.fmt)})"
        return f"{graph.name(v)} = {forward_expression(v, graph.name)}"

    def _difference(self, i: int, what: str) -> str:
        mine, theirs = self.student.order[i], self.partner(i)
        a, b = (mine.data, theirs.data) if what == "value" else (mine.grad, theirs.grad)
        shown_a, shown_b = apart(a, b, self.fmt)
        return f"{self.student.name(mine)}: {shown_a} in yours, {shown_b} in the reference"

    def __str__(self) -> str:
        lines = [
            f"compare_graphs: {len(self.student.order)} nodes in yours, {len(self.reference.order)} in the "
            f"reference; {len(self.pairs)} matched by op and operand position"
        ]
        if self.same:
            unset = not _has_gradients(self.student)
            return (
                lines[0]
                + "\nthe graphs agree: every node matched, with equal values"
                + (" (neither graph has gradients to compare: call backward() on both)" if unset else " and gradients")
            )
        lines += [
            f"missing (in the reference, not in yours): {self._described(self.reference, i)}" for i in self.missing
        ]
        lines += [f"extra (in yours, not in the reference): {self._described(self.student, i)}" for i in self.extra]
        for i in self.ops:
            v, theirs = self.student.order[i], self.partner(i).op or "leaf"
            lines.append(f"node {self.student.name(v)}: op {v.op or 'leaf'!r} in yours, {theirs!r} in the reference")
        first_value = self._difference(self.values[0], "value") if self.values else "none"
        first_grad = self.grad_note or (self._difference(self.grads[0], "grad") if self.grads else "none")
        lines.append(f"first value difference (forward order): {first_value}")
        lines.append(f"first gradient difference (backward order): {first_grad}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        count = len(self.student_marks()) + len(self.missing)
        verdict = "the same" if self.same else f"{count} differences" if count else "gradients on one side only"
        return f"<GraphComparison: {verdict}; print() it for the report>"

    def to_dot(self) -> str:
        """The student's graph as DOT, differing nodes outlined, missing reference nodes dashed grey."""
        return f"digraph {drawing.GRAPH_NAME} {{\n" + "".join(_comparison_lines(self)) + "}\n"

    def render(self, path: str | os.PathLike[str]) -> Path:
        """Write the comparison drawing to ``path`` (.svg, .png or .pdf); needs Graphviz."""
        path = writable(path, "render")
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"cannot tell the format of {str(path)!r}; end the name in .svg, .png or .pdf")
        graphviz = drawing.require_graphviz()
        write_atomically(path, graphviz.Digraph(drawing.GRAPH_NAME, body=_comparison_lines(self)).pipe(format=fmt))
        return path

    def _repr_svg_(self) -> str:  # a notebook shows the drawing
        graphviz = drawing.require_graphviz()
        svg: str = graphviz.Digraph(drawing.GRAPH_NAME, body=_comparison_lines(self)).pipe(format="svg").decode()
        return svg


def apart(a: float, b: float, fmt: str = ".4g") -> tuple[str, str]:
    """``a`` and ``b`` as text with enough significant digits that two different numbers read differently.

    ``fmt`` first; then 5, 6, ... up to 17 significant digits, which tell any two different doubles
    apart (1.2621 and 1.2624 are not both "1.262").

    >>> apart(1.26211, 1.26243)
    ('1.2621', '1.2624')
    """
    shown_a, shown_b = format(a, fmt), format(b, fmt)
    digits = 5
    while a != b and shown_a == shown_b and digits <= 17:
        shown_a, shown_b = format(a, f".{digits}g"), format(b, f".{digits}g")
        digits += 1
    return shown_a, shown_b


def exact(x: float, fmt: str = ".4g") -> str:
    """``x`` as text that reads back as ``x``: ``fmt`` when it does, else the fewest digits (up to 17) that do.

    >>> exact(1.0001), exact(0.5)
    ('1.0001', '0.5')
    """
    text, digits = format(x, fmt), 5
    while float(text) != x and digits <= 17 and math.isfinite(x):
        text, digits = format(x, f".{digits}g"), digits + 1
    return text


def _has_gradients(graph: GraphView) -> bool:
    """Whether backward() has run from ``graph``'s root: it sets the root's gradient to 1.

    The root, not any node: leaves shared with the other graph carry that graph's gradients.
    """
    return graph.order[-1].grad != 0


def _grad_note(mine: GraphView, theirs: GraphView) -> str:
    """Why gradients cannot be compared when only one side has them, else empty."""
    if _has_gradients(mine) == _has_gradients(theirs):
        return ""
    if _has_gradients(theirs):
        return "not compared: your root's gradient is 0, so backward() has not run on your graph; call it first"
    return "not compared: the reference's root gradient is 0, so backward() has not run on it; call it first"


def _close(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def _alike(a: Value, b: Value, rel_tol: float, abs_tol: float) -> int:
    """How well two operands agree: 2 for the same op and value, 1 for the same op and label, else 0."""
    if a.op != b.op:
        return 0
    return 2 if _close(a.data, b.data, rel_tol, abs_tol) else 1 if a.label and a.label == b.label else 0


def _operand_pairs(s: Value, r: Value, rel_tol: float, abs_tol: float) -> list[tuple[Value, Value]]:
    pairs = list(zip(s.parents, r.parents))
    if s.op == r.op and s.op in COMMUTATIVE and len(pairs) == 2:
        (s0, r0), (s1, r1) = pairs
        straight = _alike(s0, r0, rel_tol, abs_tol) + _alike(s1, r1, rel_tol, abs_tol)
        crossed = _alike(s0, r1, rel_tol, abs_tol) + _alike(s1, r0, rel_tol, abs_tol)
        if crossed > straight:
            pairs = [(s0, r1), (s1, r0)]
    return pairs


def _best(candidates: tuple[Value, ...], like: Value) -> Value | None:
    """The operand with ``like``'s op (and its label, when several have the op), if any."""
    same_op = [c for c in candidates if c.op == like.op]
    return next((c for c in same_op if c.label == like.label), same_op[0] if same_op else None)


def _skipped(s: Value, r: Value, rel_tol: float, abs_tol: float) -> tuple[Value, Value] | None:
    """Where one side has a node the other lacks: the pair to compare instead, or None.

    If one of the reference node's operands is like the student node (its op, and its value when
    the two nodes' values differ), the student left the reference node out (it is missing); if one
    of the student node's operands is like the reference node, the student added one (it is extra).
    Of the two readings, the one whose pair computes the same number is taken. Two nodes with the
    same op whose values agree are a pair; with the same op and different values they are a pair
    unless a reading explains the difference (``tanh(a + b)`` against ``tanh((a + b) + c)``).
    """
    missing, extra = _best(r.parents, s), _best(s.parents, r)
    options = ([(s, missing)] if missing is not None else []) + ([(extra, r)] if extra is not None else [])
    agreeing = [pair for pair in options if _close(pair[0].data, pair[1].data, rel_tol, abs_tol)]
    if s.op == r.op:
        return None if _close(s.data, r.data, rel_tol, abs_tol) or not agreeing else agreeing[0]
    chosen = agreeing or options
    return chosen[0] if chosen else None


def compare_graphs(
    student: Value, reference: Value, *, rel_tol: float = 1e-9, abs_tol: float = 1e-12
) -> GraphComparison:
    """Match ``student``'s graph to ``reference``'s by op and operand position: what is missing, extra or differs.

    Call ``backward()`` on both first to compare gradients too. Values and gradients count as equal
    within ``rel_tol`` (relative) or ``abs_tol`` (absolute).
    """
    for name, root in (("student", student), ("reference", reference)):
        if not isinstance(root, Value):
            raise TypeError(
                f"compare_graphs(): {name} must be a Value (the root of a graph), got {type(root).__name__} {root!r}"
            )
    for name, tol in (("rel_tol", rel_tol), ("abs_tol", abs_tol)):
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
            raise ValueError(f"compare_graphs(): {name} must be a number >= 0, got {tol!r}")
    mine, theirs = graphview.view(student), graphview.view(reference)
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    queue = [(student, reference)]
    while queue:
        s, r = queue.pop()
        i, j = mine.position(s), theirs.position(r)
        if i in pairs or j in taken:
            continue
        skipped = _skipped(s, r, rel_tol, abs_tol)
        if skipped is not None:  # one side has a node the other lacks: pair around it, leave it unmatched
            queue.append(skipped)
            continue
        pairs[i] = j
        taken.add(j)
        queue += reversed(_operand_pairs(s, r, rel_tol, abs_tol))
    ops = tuple(i for i in sorted(pairs) if mine.order[i].op != theirs.order[pairs[i]].op)
    matched = sorted(pairs)
    values = tuple(i for i in matched if not _close(mine.order[i].data, theirs.order[pairs[i]].data, rel_tol, abs_tol))
    note = _grad_note(mine, theirs)
    grads = tuple(
        i
        for i in reversed(matched)
        if not note and not _close(mine.order[i].grad, theirs.order[pairs[i]].grad, rel_tol, abs_tol)
    )
    missing = tuple(j for j in range(len(theirs.order)) if j not in taken)
    extra = tuple(i for i in range(len(mine.order)) if i not in pairs)
    return GraphComparison(mine, theirs, pairs, missing, extra, ops, values, grads, grad_note=note)


def _box(graph: GraphView, v: Value, dot_id: str, mark: str, note: str, shown: tuple[str, str]) -> str:
    """One box: name and op, ``shown`` (its data and grad as text), and the note on how it differs."""
    colour = MARK_COLOURS.get(mark, "#444444")
    style = "dashed" if mark == "missing" else "bold" if mark else "solid"
    head = f"<b>{drawing.text(graph.name(v))}</b>" + (f"&#160;= {drawing.text(v.op)}" if v.parents else "")
    cells = [head, f"data {drawing.text(shown[0])}", f"grad {drawing.text(shown[1])}"]
    if note:
        cells.append(f'<font color="{colour}">{drawing.text(note)}</font>')
    label = "<br/>".join(cells)
    width = 2 if mark else 1
    return f'\t{dot_id} [id="{dot_id}" label=<{label}> shape=box style="{style}" color="{colour}" penwidth={width}]\n'


def _comparison_lines(c: GraphComparison) -> list[str]:
    lines = [
        "\trankdir=LR\n",
        '\tnode [fontname="Helvetica" fontsize=11]\n',
        '\tedge [fontname="Helvetica" fontsize=9]\n',
    ]
    marks = c.student_marks()
    for i, v in enumerate(c.student.order):
        mark = marks.get(i, "")
        note = ""
        data, grad = (exact(v.data, c.fmt) if not v.parents else format(v.data, c.fmt)), format(v.grad, c.fmt)
        if mark == "value":
            data, theirs = apart(v.data, c.partner(i).data, c.fmt)
            note = f"reference data {theirs}"
        elif mark == "grad":
            grad, theirs = apart(v.grad, c.partner(i).grad, c.fmt)
            note = f"reference grad {theirs}"
        elif mark == "op":
            note = f"reference op {c.partner(i).op or 'leaf'}"
        elif mark == "extra":
            note = "extra: not in the reference"
        lines.append(_box(c.student, v, f"s{i}", mark, note, (data, grad)))
        lines += [f"\ts{c.student.position(p)} -> s{i}\n" for p in v.parents]
    partner_of = {j: i for i, j in c.pairs.items()}
    for j in c.missing:
        r = c.reference.order[j]
        shown = (exact(r.data, c.fmt) if not r.parents else format(r.data, c.fmt)), format(r.grad, c.fmt)
        lines.append(_box(c.reference, r, f"r{j}", "missing", "missing: in the reference only", shown))
        for p in r.parents:
            k = c.reference.position(p)
            source = f"s{partner_of[k]}" if k in partner_of else f"r{k}"
            lines.append(f'\t{source} -> r{j} [style=dashed color="{MARK_COLOURS["missing"]}"]\n')
    for j in c.missing:  # where the missing node would have been used
        r = c.reference.order[j]
        for u in c.reference.order:
            if any(p is r for p in u.parents) and c.reference.position(u) in partner_of:
                target = partner_of[c.reference.position(u)]
                lines.append(f'\tr{j} -> s{target} [style=dashed color="{MARK_COLOURS["missing"]}"]\n')
    return lines
