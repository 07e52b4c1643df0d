"""The per-node check: every op's recorded local derivatives against a finite difference of that op alone.

``gradcheck`` says *whether* a function's gradient is right; this says *which op*
is wrong. Each interior node's op is replayed on its parents' data, nudged one
operand at a time, and the central difference compared with the node's
``local_grads``; ``first_faulty`` is the wrong op closest to the inputs.
"""

from __future__ import annotations

import html
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from micrograd_plus import functional as F
from micrograd_plus.differences import ATOL, EPS, RTOL, allowed_error, check_eps, check_tolerances, kink_slopes, nudged
from micrograd_plus.engine import Value, op_parameter

__all__ = ["LocalGradReport", "NodeCheck", "check_local_grads", "replay_for"]


def _engine(build: Callable[..., Value]) -> Callable[..., float]:
    return lambda *xs: build(*[Value(x) for x in xs]).data


def _dot(*parents: Value) -> Value:
    """Replay a dot node: parents are (w_1..w_n, x_1..x_n), plus a bias when their number is odd."""
    n = len(parents) // 2
    return F.dot(parents[:n], parents[n : 2 * n], parents[-1] if len(parents) % 2 else None)


_REPLAY: dict[str, Callable[..., float]] = {
    "+": _engine(operator.add),
    "-": _engine(operator.sub),
    "*": _engine(operator.mul),
    "/": _engine(operator.truediv),
    "**": _engine(operator.pow),
    "neg": _engine(operator.neg),
    "abs": _engine(abs),
    "exp": _engine(Value.exp),
    "log": _engine(Value.log),
    "sqrt": _engine(Value.sqrt),
    "tanh": _engine(Value.tanh),
    "sigmoid": _engine(Value.sigmoid),
    "relu": _engine(Value.relu),
    "sin": _engine(Value.sin),
    "cos": _engine(Value.cos),
    "sum": _engine(lambda *v: F.sum(v)),
    "mean": _engine(lambda *v: F.mean(v)),
    "logsumexp": _engine(lambda *v: F.logsumexp(v)),
    "dot": _engine(_dot),
}


def replay_for(op: str, extra: Mapping[str, Callable[..., float]]) -> Callable[..., float] | None:
    """The forward function of an op, from its name: our own ops, ``extra``, or parametrised names."""
    if op in extra:
        return extra[op]
    if op in _REPLAY:
        return _REPLAY[op]
    kind, number = op_parameter(op)
    if kind == "**n":
        return _engine(lambda v: v**number)
    if kind == "leaky_relu":
        return _engine(lambda v: v.leaky_relu(number))
    return None


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
    derivative is *located*: ``first_faulty`` names the op. Ops of your own (made
    with ``Value.from_op``) are checked when ``ops`` maps their name to a
    function of floats; otherwise they are reported as unchecked.

    >>> from micrograd_plus import Value
    >>> x = Value(0.5, "x")
    >>> report = check_local_grads((x * 3).tanh())
    >>> report.ok, len(report.checks)
    (True, 3)
    """
    check_eps(eps)
    check_tolerances(atol, rtol)
    extra = ops or {}
    checks = []
    for position, node in enumerate(root.topological_order()):
        if not node.parents:
            continue
        replay = replay_for(node.op, extra)
        xs = [p.data for p in node.parents]
        for j, recorded in enumerate(node.local_grads):
            checks.append(_check_edge(replay, node, position, xs, j, recorded, eps, atol, rtol))
    return LocalGradReport(tuple(checks))


def _check_edge(
    replay: Callable[..., float] | None,
    node: Value,
    position: int,
    xs: list[float],
    j: int,
    recorded: float,
    eps: float,
    atol: float,
    rtol: float,
) -> NodeCheck:
    nan = float("nan")
    if replay is None:
        note = f"unknown op {node.op!r}: pass ops={{{node.op!r}: forward_function}} to check it"
        return NodeCheck(position, node, j, recorded, nan, "unchecked", note)
    h = eps * max(1.0, abs(xs[j]))
    up, down = nudged(xs, j, h)
    try:
        f_x, f_up, f_down = replay(*xs), replay(*up), replay(*down)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        return NodeCheck(position, node, j, recorded, nan, "unchecked", f"the op fails within {h:g}: {error}")
    numeric = (f_up - f_down) / (2 * h)
    if abs(f_x - node.data) > 1e-12 * max(1.0, abs(f_x)):
        note = f"the node's data {node.data!r} differs from its op replayed on its parents, {f_x!r}"
        return NodeCheck(position, node, j, recorded, numeric, "wrong", note)
    slopes = kink_slopes(f_up, f_x, f_down, h, numeric)
    if slopes:
        note = f"operand = {xs[j]:g} may be at a kink: one-sided slopes {slopes[0]:.6g} and {slopes[1]:.6g}"
        return NodeCheck(position, node, j, recorded, numeric, "kink", note)
    ok = abs(recorded - numeric) <= allowed_error(numeric, f_up, f_down, h, atol, rtol)
    return NodeCheck(position, node, j, recorded, numeric, "ok" if ok else "wrong")
