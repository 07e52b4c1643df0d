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
from dataclasses import dataclass

from micrograd_plus.engine import Value, op_parameter
from micrograd_plus.tables import html_table, markdown_table, text_table

__all__ = ["BackwardStep", "BackwardTrace", "Contribution", "ForwardTrace", "explain_backward", "explain_forward"]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class _Names:
    """Display names: a node's label, or '#k' for its position in topological order."""

    def __init__(self, order: list[Value]) -> None:
        self.position = {id(v): i for i, v in enumerate(order)}

    def __call__(self, v: Value) -> str:
        return v.label or f"#{self.position[id(v)]}"


def local_formula(node: Value, j: int, name: Callable[[Value], str], fmt: str = ".4g") -> str:
    """d(node)/d(parent j) as the op's formula, then with numbers: '1 − tanh(x)² = 1 − 0.7616² = 0.42'."""
    op, parents, local = node.op, node.parents, node.local_grads[j]
    kind, n = op_parameter(op)
    x = parents[j].data

    def f(v: float) -> str:
        return format(v, fmt)

    def base(v: float) -> str:  # a negative base of a power needs parentheses: (-0.5)²
        return f"({f(v)})" if v < 0 else f(v)

    value = f(local)
    if op == "+" or op == "sum":
        return "1"
    if op == "-":
        return "1" if j == 0 else "-1"
    if op == "neg":
        return "-1"
    if op == "*":
        other = parents[1 - j]
        return f"{name(other)} = {value}"
    if op == "/":
        a, b = parents[0].data, parents[1].data
        return f"1/b = 1/{f(b)} = {value}" if j == 0 else f"-a/b² = -{base(a)}/{base(b)}² = {value}"
    if op == "**":
        if j == 0:
            y = parents[1].data
            return f"y·x^(y-1) = {f(y)}·{base(x)}^{f(y - 1)} = {value}"
        return f"x^y·ln x = {f(node.data)}·ln {f(parents[0].data)} = {value}"
    if kind == "**n":
        return f"{f(n)}·x^{f(n - 1)} = {f(n)}·{base(x)}^{f(n - 1)} = {value}"
    if op == "abs":
        return f"sign(x) = sign({f(x)}) = {value}"
    if op == "exp":
        return f"e^x = e^{f(x)} = {value}"
    if op == "log":
        return f"1/x = 1/{f(x)} = {value}"
    if op == "sqrt":
        return f"1/(2√x) = 1/(2·{f(node.data)}) = {value}"
    if op == "tanh":
        return f"1 − tanh(x)² = 1 − {base(node.data)}² = {value}"
    if op == "sigmoid":
        return f"σ(x)·(1 − σ(x)) = {f(node.data)}·(1 − {f(node.data)}) = {value}"
    if op == "relu":
        return f"x = {f(x)} > 0, so 1" if x > 0 else f"x = {f(x)} ≤ 0, so 0"
    if kind == "leaky_relu":
        return f"x = {f(x)} > 0, so 1" if x > 0 else f"x = {f(x)} ≤ 0, so the slope {value}"
    if op == "sin":
        return f"cos x = cos({f(x)}) = {value}"
    if op == "cos":
        return f"−sin x = −sin({f(x)}) = {value}"
    if op == "mean":
        return f"1/n = 1/{len(parents)} = {value}"
    if op == "dot":
        n = len(parents) // 2
        if j >= 2 * n:
            return "1 (the bias)"
        partner = parents[j + n] if j < n else parents[j - n]
        return f"{name(partner)} = {value}"
    if op == "logsumexp":
        return f"softmax_{j} = e^({f(x)} − {f(node.data)}) = {value}"
    return f"{value} (recorded by op {op!r})"


def forward_expression(node: Value, name: Callable[[Value], str]) -> str:
    """How ``node`` was computed from its parents' names: 'a * b', 'tanh(n)', 'w·x + b'."""
    op, ps = node.op, [name(p) for p in node.parents]
    if op in ("+", "-", "*", "/", "**") and len(ps) == 2:
        return f"{ps[0]} {op} {ps[1]}"
    if op_parameter(op)[0] == "**n":
        return f"{ps[0]} ** {op[2:]}"
    if op == "neg":
        return f"-{ps[0]}"
    if op == "dot":
        n = len(ps) // 2
        terms = " + ".join(f"{w}·{x}" for w, x in zip(ps[:n], ps[n : 2 * n]))
        return terms + (f" + {ps[-1]}" if len(ps) % 2 else "")
    return f"{op}({', '.join(ps)})"


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
class BackwardTrace:
    """The steps of one backward() from ``root``, and the gradient each node ends with."""

    root_name: str
    steps: tuple[BackwardStep, ...]
    grads: tuple[float, ...]  # by topological position
    fmt: str = ".4g"

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

    def summary(self) -> str:
        n = len(self.steps)
        return (
            f"backward from {self.root_name}: {n} step{'s' if n != 1 else ''} "
            f"(node gradients start at 0, d({self.root_name})/d({self.root_name}) = 1)"
        )

    def __str__(self) -> str:
        return self.summary() + "\n" + text_table(*self.rows())

    def to_markdown(self) -> str:
        return f"**{self.summary()}**\n\n" + markdown_table(*self.rows())

    def _repr_html_(self) -> str:
        return html_table(*self.rows(), caption=self.summary())


def explain_backward(root: Value, fmt: str = ".4g") -> BackwardTrace:
    """The chain-rule steps that ``root.backward()`` performs, in its order, with its arithmetic."""
    if not isinstance(root, Value):
        raise TypeError(f"explain_backward needs a Value, got {type(root).__name__} {root!r}")
    format(1.5, fmt)  # a bad format spec fails here, not halfway through
    order = root.topological_order()
    name = _Names(order)
    position = name.position
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
    return BackwardTrace(name(root), tuple(steps), tuple(totals), fmt)


@dataclass(frozen=True)
class ForwardTrace:
    """Each op of the forward pass in topological order: what it computed from what."""

    lines: tuple[tuple[str, str, str], ...]  # (name, expression with names, value)

    def rows(self) -> tuple[list[str], list[list[str]]]:
        return ["node", "computed as", "value"], [list(line) for line in self.lines]

    def __str__(self) -> str:
        return text_table(*self.rows())

    def to_markdown(self) -> str:
        return markdown_table(*self.rows())

    def _repr_html_(self) -> str:
        return html_table(*self.rows(), caption="forward pass")


def explain_forward(root: Value, fmt: str = ".4g") -> ForwardTrace:
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
    if not isinstance(root, Value):
        raise TypeError(f"explain_forward needs a Value, got {type(root).__name__} {root!r}")
    order = root.topological_order()
    name = _Names(order)
    lines = tuple((name(v), forward_expression(v, name) if v.parents else "leaf", format(v.data, fmt)) for v in order)
    return ForwardTrace(lines)
