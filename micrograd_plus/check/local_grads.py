"""The per-node check: every op's recorded local derivatives against a finite difference of that op alone.

``gradcheck`` says *whether* a function's gradient is right; this says *which op*
is wrong. Each interior node's op is replayed on its parents' data, nudged one
operand at a time, and the central difference compared with the node's
``local_grads``; ``first_faulty`` is the wrong op closest to the inputs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from micrograd_plus.check.differences import ATOL, EPS, RTOL, allowed_error, check_eps, check_tolerances, kink_slopes
from micrograd_plus.engine import Value

__all__ = ["LocalGradReport", "NodeCheck", "check_local_grads", "float_forward_of"]


def float_forward_of(
    node: Value, extra: Mapping[str, Callable[..., float]] | None = None
) -> Callable[..., float] | None:
    """The forward function of a node's op on floats, with its domain check: from its registry entry, or, for a
    node made with ``Value.from_op``, from ``extra`` by the op's name; None when there is none."""
    entry = node.entry
    if entry is None:
        return None
    if entry.forward is not None:
        return entry.evaluate
    return (extra or {}).get(entry.name)


@dataclass(frozen=True)
class NodeCheck:
    """One edge of the graph: a node's recorded d(node)/d(parent) against a finite difference of its op."""

    position: int  # the node's index in topological order
    node: Value = field(repr=False)
    parent: int  # which operand
    recorded: float
    numeric: float
    status: str  # "ok", "wrong", "kink" or "unchecked"
    note: str = ""

    @property
    def name(self) -> str:
        label = f" {self.node.label!r}" if self.node.label else ""
        return f"#{self.position}{label} ({self.node.op})"

    def __str__(self) -> str:
        return (
            f"{self.name}, operand {self.parent}: recorded {self.recorded:.8g}, numeric {self.numeric:.8g}"
            f" -> {self.status}" + (f" ({self.note})" if self.note else "")
        )


@dataclass(frozen=True)
class LocalGradReport:
    """Every interior node's local derivatives checked; ``first_faulty`` locates a wrong op."""

    checks: tuple[NodeCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.checks)

    @property
    def first_faulty(self) -> NodeCheck | None:
        """The first wrong local derivative in topological order: the op closest to the inputs."""
        return next((c for c in self.checks if c.status == "wrong"), None)

    def __str__(self) -> str:
        counts = {s: sum(c.status == s for c in self.checks) for s in ("ok", "wrong", "kink", "unchecked")}
        nodes = len({c.position for c in self.checks})
        head = f"local derivatives of {nodes} ops, {len(self.checks)} edges: " + ", ".join(
            f"{n} {s}" for s, n in counts.items() if n
        )
        lines = [head]
        if self.first_faulty is not None:
            lines.append(f"first faulty op: {self.first_faulty}")
        lines += [f"  {c}" for c in self.checks if c.status != "ok"]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(str(self)) + "</pre>"


def check_local_grads(
    root: Value,
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    ops: Mapping[str, Callable[..., float]] | None = None,
) -> LocalGradReport:
    """Check every node's ``local_grads`` against a central difference of that node's own op.

    Each op is replayed on its parents' data, nudged one at a time, so a wrong
    derivative is *located*: ``first_faulty`` names the op. Every registry op is
    checked against its own forward, ops of your own (``define_op``) included; a
    node made with ``Value.from_op`` is checked when ``ops`` maps its op's name
    to a function of floats, and otherwise reported as unchecked.

    >>> from micrograd_plus import Value
    >>> x = Value(0.5, "x")
    >>> report = check_local_grads((x * 3).tanh())
    >>> report.ok, len(report.checks)
    (True, 3)
    """
    check_eps(eps)
    check_tolerances(atol, rtol)
    checks = []
    for position, node in enumerate(root.topological_order()):
        if node.parents:
            checks += _check_node(node, position, float_forward_of(node, ops), eps, atol, rtol)
    return LocalGradReport(tuple(checks))


def _check_node(
    node: Value, position: int, replay: Callable[..., float] | None, eps: float, atol: float, rtol: float
) -> list[NodeCheck]:
    """Every edge of one node. An n-ary built-in op is evaluated with one operand changed in O(1) (its entry's
    ``partial``), so a node of n operands costs O(n), not O(n²)."""
    nan = float("nan")
    xs = [p.data for p in node.parents]
    if replay is None:
        note = f"unknown op {node.op!r}: pass ops={{{node.op!r}: forward_function}} to check it"
        return [NodeCheck(position, node, j, g, nan, "unchecked", note) for j, g in enumerate(node.local_grads)]
    try:
        f_x = replay(*xs)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        note = f"the op fails on its own operands: {error}"
        return [NodeCheck(position, node, j, g, nan, "unchecked", note) for j, g in enumerate(node.local_grads)]
    if abs(f_x - node.data) > 1e-12 * max(1.0, abs(f_x)):
        note = f"the node's data {node.data!r} differs from its op replayed on its parents, {f_x!r}"
        return [NodeCheck(position, node, j, g, nan, "wrong", note) for j, g in enumerate(node.local_grads)]
    entry = node.entry
    one_changed: Callable[[int, float], float]
    if entry is not None and entry.partial is not None and entry.forward is not None:
        one_changed = entry.partial(xs)
    else:
        one_changed = lambda j, t: replay(*nudged_at(xs, j, t))  # noqa: E731

    return [_check_edge(one_changed, node, position, xs, f_x, j, g, eps, atol, rtol)
            for j, g in enumerate(node.local_grads)]  # fmt: skip


def nudged_at(xs: list[float], j: int, t: float) -> list[float]:
    """xs with operand j replaced by t."""
    moved = list(xs)
    moved[j] = t
    return moved


def _check_edge(
    one_changed: Callable[[int, float], float],
    node: Value,
    position: int,
    xs: list[float],
    f_x: float,
    j: int,
    recorded: float,
    eps: float,
    atol: float,
    rtol: float,
) -> NodeCheck:
    h = eps * max(1.0, abs(xs[j]))
    try:  # only operand j moves, so only it is passed: no copy of all n operands per edge
        f_up, f_down = one_changed(j, xs[j] + h), one_changed(j, xs[j] - h)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        return NodeCheck(position, node, j, recorded, float("nan"), "unchecked", f"the op fails within {h:g}: {error}")
    numeric = (f_up - f_down) / (2 * h)
    slopes = kink_slopes(f_up, f_x, f_down, h, numeric)
    if slopes:
        note = f"operand = {xs[j]:g} may be at a kink: one-sided slopes {slopes[0]:.6g} and {slopes[1]:.6g}"
        return NodeCheck(position, node, j, recorded, numeric, "kink", note)
    ok = abs(recorded - numeric) <= allowed_error(numeric, f_up, f_down, h, atol, rtol)
    return NodeCheck(position, node, j, recorded, numeric, "ok" if ok else "wrong")
