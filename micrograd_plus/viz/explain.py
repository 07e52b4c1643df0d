"""Step-by-step explanations of a forward pass and of ``backward()``.

``explain_backward(root)`` replays exactly what ``backward()`` does, in the same
order and with the same arithmetic, without touching any ``.grad``: for each
node (root first) its upstream gradient, and for each parent the local
derivative (as a formula and a number), the product added to the parent's
gradient, and the parent's running total. Shared nodes collect several
contributions, and the trace says which one each is.

>>> from micrograd_plus import Value
>>> a = Value(2.0, label="a")
>>> y = (a * a + a).named("y")
>>> print(explain_backward(y))  # doctest: +NORMALIZE_WHITESPACE
backward from y: 2 steps (node gradients start at 0, d(y)/d(y) = 1)
step  node   op  upstream  parent  local derivative  product  parent total   note
1     y      +   1         #1      1                 1        1             1st contribution to #1
1     y      +   1         a       1                 1        1             1st contribution to a
2     #1     *   1         a       a = 2             2        3             2nd contribution to a
2     #1     *   1         a       a = 2             2        5             3rd contribution to a
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from micrograd_plus import ops
from micrograd_plus.engine import Value
from micrograd_plus.viz import graph_view as graphview
from micrograd_plus.viz.graph_view import GraphView
from micrograd_plus.viz.tables import SummarisedTable, html_table, latex_table, markdown_table, text_table

__all__ = [
    "BackwardStep",
    "BackwardTrace",
    "Contribution",
    "ForwardTrace",
    "LeafGradient",
    "explain_backward",
    "explain_forward",
]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def local_formula(node: Value, j: int, name: Callable[[Value], str], fmt: str = ".4g") -> str:
    """d(node)/d(parent j) as the op's formula, then with numbers: '1 − tanh(x)² = 1 − 0.7616² = 0.42'.

    Built-in ops carry their formula in the registry; an op of your own shows its derivative rule
    traced with the operands' names (``3 * x * x = 12``).
    """
    entry, parents, local = node.entry, node.parents, node.local_grads[j]
    xs = [p.data for p in parents]

    def f(v: float) -> str:
        return format(v, fmt)

    def base(v: float) -> str:  # a negative base of a power needs parentheses: (-0.5)²
        return f"({f(v)})" if v < 0 else f(v)

    value = f(local)
    names = [name(p) for p in parents]
    formula = entry.formula if entry is not None else None
    if callable(formula):
        return formula(xs, node.data, j, names, f)
    if formula is not None:
        fields = {"value": value, "out": f(node.data), "bout": base(node.data), "x": f(xs[j]), "j": str(j)}
        for k, (x, n) in enumerate(zip(xs[:2], names[:2])):
            fields.update({f"x{k}": f(x), f"b{k}": base(x), f"n{k}": n})
        if len(xs) > 1:
            fields["y1m"] = f(xs[1] - 1)
        if isinstance(entry.param, float):  # type: ignore[union-attr]
            fields.update(p=f(entry.param), p1=f(entry.param - 1))  # type: ignore[union-attr]
        return formula[j].format(**fields)
    traced = _traced_rule(node, j, names)
    if traced:
        return f"{traced} = {value}"
    recorded = entry is None or entry.derivatives is None
    return f"{value} (recorded by op {node.op!r})" if recorded else f"by the derivative rule of {node.op!r}: {value}"


def _traced_rule(node: Value, j: int, names: list[str]) -> str:
    """An op's own derivative rule written out with its operands' names, or '' when it cannot be traced."""
    entry = node.entry
    if entry is None or entry.derivatives is None:
        return ""
    try:
        found = entry.derivatives(*[ops.Symbol(n) for n in names], ops.Symbol("out"))
        return ops.text(list(found)[j])
    except (TypeError, ValueError, ArithmeticError, IndexError):  # a rule that branches on its numbers
        return ""


def forward_expression(node: Value, name: Callable[[Value], str]) -> str:
    """How ``node`` was computed from its parents' names: 'a * b', 'tanh(n)', 'w·x + b'."""
    names = [name(p) for p in node.parents]
    expression = node.entry.expression if node.entry is not None else None
    if callable(expression):
        return expression(names)
    if expression is not None and node.entry is not None and node.entry.accepts(len(names)):
        return expression.format(*names)
    return f"{node.op}({', '.join(names)})"


@dataclass(frozen=True)
class Contribution:
    """One chain-rule product: parent.grad += local derivative × upstream gradient."""

    parent_position: int
    parent_name: str
    operand: int
    formula: str
    local: float
    upstream: float
    product: float
    total: float
    count: int  # which contribution to this parent it is: 1, 2, ...

    def describe(self, fmt: str = ".4g") -> str:
        return (
            f"{self.parent_name}.grad += [{self.formula}] × {format(self.upstream, fmt)} = {format(self.product, fmt)}"
            f"   → {self.parent_name}.grad = {format(self.total, fmt)} ({_ordinal(self.count)} contribution)"
        )


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in backward(): its upstream gradient passed to each parent."""

    position: int
    name: str
    op: str
    expression: str
    upstream: float
    contributions: tuple[Contribution, ...]
    note: str = ""

    def title(self, fmt: str = ".4g") -> str:
        return (
            f"{self.name} = {self.expression}; upstream gradient d(root)/d({self.name}) = {format(self.upstream, fmt)}"
        )


@dataclass(frozen=True)
class LeafGradient:
    """A leaf at the end of backward(): d(root)/d(leaf) and the number of chain-rule products summed into it."""

    position: int
    name: str
    grad: float
    contributions: int


@dataclass(frozen=True)
class BackwardTrace(SummarisedTable):
    """The steps of one backward() from ``root``, and the gradient each node ends with."""

    root_name: str
    steps: tuple[BackwardStep, ...]
    grads: tuple[float, ...]  # by topological position
    fmt: str = ".4g"
    leaves: tuple[LeafGradient, ...] = ()  # every leaf's final gradient and how many contributions made it
    focus_name: str = ""  # with focus=: the node whose gradient the steps follow
    all_steps: int = 0  # with focus=: the steps of the whole backward(), of which ``steps`` are on the paths

    def leaf_lines(self) -> list[str]:
        """One line per leaf: 'a.grad = 5 (3 contributions)'."""
        return [
            f"{leaf.name}.grad = {format(leaf.grad, self.fmt)} ({graphview.plural(leaf.contributions, 'contribution')})"
            for leaf in self.leaves
        ]

    def rows(self) -> tuple[list[str], list[list[str]]]:
        f = self.fmt
        head = ["step", "node", "op", "upstream", "parent", "local derivative", "product", "parent total", "note"]
        body = []
        for k, step in enumerate(self.steps, start=1):
            up = format(step.upstream, f)
            if not step.contributions:
                body.append([str(k), step.name, step.op, up, "", "", "", "", step.note])
            for c in step.contributions:
                note = f"{_ordinal(c.count)} contribution to {c.parent_name}"
                body.append(
                    [str(k), step.name, step.op, up, c.parent_name, c.formula, format(c.product, f),
                     format(c.total, f), note]
                )  # fmt: skip
        return head, body

    def __repr__(self) -> str:
        # the full dataclass repr of every step fills a screen at a REPL; the table is what str() is for
        steps = graphview.plural(len(self.steps), "step")
        return f"<BackwardTrace of {self.root_name!r}: {steps}; print() it for the table>"

    def summary(self) -> str:
        n = len(self.steps)
        focus = f" on the paths from {self.focus_name} (of {self.all_steps})" if self.focus_name else ""
        return (
            f"backward from {self.root_name}: {n} step{'s' if n != 1 else ''}{focus} "
            f"(node gradients start at 0, d({self.root_name})/d({self.root_name}) = 1)"
        )

    def to_latex(self) -> str:
        """The step table as a LaTeX ``tabular`` (UTF-8 source; σ, ², √ written as math)."""
        return latex_table(*self.rows(), caption=self.summary())


def _walk(function: str, root: Value, module: Any, graph: GraphView | None) -> GraphView:
    if not isinstance(root, Value):
        raise TypeError(f"{function} needs a Value, got {type(root).__name__} {root!r}")
    if graph is None:
        return graphview.view(root, module)
    if graph.root is not root:
        raise ValueError(f"{function}: graph= is the walk of another root; pass graphview.view(root)")
    return graph


def explain_backward(
    root: Value, fmt: str = ".4g", *, module: Any = None, graph: GraphView | None = None, focus: Value | None = None
) -> BackwardTrace:
    """The chain-rule steps that ``root.backward()`` performs, in its order, with its arithmetic.

    ``focus=node`` follows one node's gradient (an attention weight, a weight deep in a network):
    only the steps of nodes on a path from ``node`` up to the root are kept, each with only its
    contributions to nodes on those paths, so the trace ends in the products that sum to
    ``node.grad``. The gradients are still the whole backward()'s.

    Nodes are named as in drawings and the player: label, parameter path (with ``module=``), or
    ``#k``, the unnamed nodes numbered 1, 2, ... in topological order without gaps.
    """
    graph = _walk("explain_backward", root, module, graph)
    format(1.5, fmt)  # a bad format spec fails here, not halfway through
    order, name, position = graph.order, graph.name, graph.index
    totals = [0.0] * len(order)
    counts = [0] * len(order)
    totals[-1] = 1.0
    steps = []
    for node in reversed(order):  # the loop of Value.backward
        if not node.parents:
            continue
        i = position[id(node)]
        g = totals[i]
        contributions = []
        note = ""
        if g:
            for j, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
                p = position[id(parent)]
                product = local * g
                totals[p] += product  # the same addition, in the same order, as backward()
                counts[p] += 1
                formula = local_formula(node, j, name, fmt)
                contributions.append(Contribution(p, name(parent), j, formula, local, g, product, totals[p], counts[p]))
        else:
            note = "upstream gradient is 0: nothing to pass on (backward() skips it)"
        steps.append(
            BackwardStep(i, name(node), node.op, forward_expression(node, name), g, tuple(contributions), note)
        )
    leaves = tuple(LeafGradient(i, name(v), totals[i], counts[i]) for i, v in enumerate(order) if not v.parents)
    trace = BackwardTrace(name(root), tuple(steps), tuple(totals), fmt, leaves)
    return trace if focus is None else _focused(trace, graph, focus)


def _focused(trace: BackwardTrace, graph: GraphView, focus: Value) -> BackwardTrace:
    """The trace's steps on the paths from ``focus`` to the root, each with its contributions along them."""
    if not isinstance(focus, Value):
        raise TypeError(f"explain_backward(): focus must be a Value of the graph, got {type(focus).__name__} {focus!r}")
    if id(focus) not in graph.index:
        raise ValueError(
            f"explain_backward(): focus={focus!r} is not in the graph of {graph.name(graph.root)}; "
            "pass a node that the root was computed from"
        )
    on = graphview.on_paths(graph, focus)
    positions = {graph.index[key] for key in on}
    steps = tuple(
        replace(step, contributions=tuple(c for c in step.contributions if c.parent_position in positions))
        for step in trace.steps
        if step.position in positions and step.position != graph.position(focus)
    )
    i = graph.position(focus)
    count = sum(1 for step in steps for c in step.contributions if c.parent_position == i)
    leaf = LeafGradient(i, graph.name(focus), trace.grads[i], count)
    return replace(trace, steps=steps, leaves=(leaf,), focus_name=graph.name(focus), all_steps=len(trace.steps))


@dataclass(frozen=True)
class ForwardTrace:
    """Each op of the forward pass in topological order: what it computed from what."""

    lines: tuple[tuple[str, str, str], ...]  # (name, expression with names, value)

    def rows(self) -> tuple[list[str], list[list[str]]]:
        return ["node", "computed as", "value"], [list(line) for line in self.lines]

    def __repr__(self) -> str:
        root = repr(self.lines[-1][0]) if self.lines else "an empty graph"
        return f"<ForwardTrace of {root}: {graphview.plural(len(self.lines), 'node')}; print() it for the table>"

    def __str__(self) -> str:
        return text_table(*self.rows())

    def to_markdown(self) -> str:
        return markdown_table(*self.rows())

    def _repr_html_(self) -> str:
        return html_table(*self.rows(), caption="forward pass")


def explain_forward(
    root: Value, fmt: str = ".4g", *, module: Any = None, graph: GraphView | None = None
) -> ForwardTrace:
    """Every node below ``root`` in the order it was computed: leaves with their data, ops as formulas.

    >>> from micrograd_plus import Value
    >>> x = Value(0.5, label="x")
    >>> print(explain_forward((x * 2).tanh().named("y")))
    node  computed as  value
    x     leaf         0.5
    #1    leaf         2
    #2    x * #1       1
    y     tanh(#2)     0.7616
    """
    graph = _walk("explain_forward", root, module, graph)
    name = graph.name
    lines = tuple(
        (name(v), forward_expression(v, name) if v.parents else "leaf", format(v.data, fmt)) for v in graph.order
    )
    return ForwardTrace(lines)
