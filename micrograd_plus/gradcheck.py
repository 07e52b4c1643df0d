"""Checking derivatives against finite differences: whole functions, single nodes, modules.

The central difference (f(x + h) - f(x - h)) / 2h has a truncation error of
about h²·f'''/6 and a rounding error of about ε·|f|/h (ε = 2.2e-16). With the
default h = 1e-6 both stay below 1e-9 for moderate f, so a gradient passes when

    |analytic - numeric| <= atol + rtol·|numeric| + 4ε·(|f(x+h)| + |f(x-h)|) / 2h

with rtol = 1e-5 and atol = 1e-8. Measured over every op of the engine across
its domain (``micrograd_plus.testing.OPS``, 3,000 points each) the worst error
was 4e-7 absolute on a gradient of 2,000 and 5e-9 absolute on gradients below
1e-3; a derivative 0.05% wrong is off by 5e-4 relative, fifty times rtol.

A point where the function has a kink (relu or abs at 0) has no derivative: the
forward and backward one-sided slopes disagree there. Such a row always fails,
with a note saying so, even when the central difference happens to agree.

>>> from micrograd_plus import Value
>>> report = gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
>>> report.ok
True
>>> print(report)  # doctest: +ELLIPSIS
gradcheck passed: 2 inputs (eps=1e-06, atol=1e-08, rtol=1e-05)
input  value  analytic     numeric      abs error  rel error  result
x0     0.5    -0.89487871  -0.89487871  ...  ok
x1     -1.5   0.29829290   0.29829290   ...  ok
"""

from __future__ import annotations

import html
import inspect
import math
import operator
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from micrograd_plus import functional as F
from micrograd_plus.engine import Value, op_parameter
from micrograd_plus.tables import html_table, text_table

__all__ = [
    "GradcheckReport",
    "GradcheckRow",
    "LocalGradReport",
    "NodeCheck",
    "SweepPoint",
    "assert_gradients_match",
    "central_difference",
    "check_forward_reverse",
    "check_local_grads",
    "eps_sweep",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
]

EPS = 1e-6
ATOL = 1e-8
RTOL = 1e-5
SWEEP_EPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13)
KINK_TOL = 1e-3  # one-sided slopes further apart than this (relative) mean a kink, not curvature
_ROUNDING = 4 * 2.0**-52


# -- the numbers ---------------------------------------------------------------


def central_difference(f: Callable[..., float], xs: Sequence[float], i: int, eps: float = EPS) -> float:
    """∂f/∂x_i ≈ (f(x + eps·e_i) - f(x - eps·e_i)) / 2eps for a plain function of floats.

    >>> round(central_difference(lambda x, y: x * x * y, [3.0, 2.0], 0), 6)
    12.0
    """
    _check_eps(eps)
    if not 0 <= i < len(xs):
        raise ValueError(f"input index {i} is out of range for {len(xs)} inputs; use 0..{len(xs) - 1}")
    up, down = list(xs), list(xs)
    up[i] += eps
    down[i] -= eps
    return (float(f(*up)) - float(f(*down))) / (2 * eps)


def _check_eps(eps: float) -> None:
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not 0.0 < eps < math.inf:
        raise ValueError(f"eps must be a positive number, got {eps!r}; the default is {EPS}")


def _check_tolerances(atol: float, rtol: float) -> None:
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if not isinstance(tol, (int, float)) or isinstance(tol, bool) or not 0.0 <= tol < math.inf:
            raise ValueError(f"{name} must be a number >= 0, got {tol!r}")


def _allowed(numeric: float, f_up: float, f_down: float, eps: float, atol: float, rtol: float) -> float:
    """The error a correct derivative may show: tolerance plus the difference's rounding error."""
    return atol + rtol * abs(numeric) + _ROUNDING * (abs(f_up) + abs(f_down)) / (2 * eps)


def _kink(f_up: float, f_x: float, f_down: float, h: float, numeric: float) -> tuple[float, float] | None:
    """The one-sided slopes (right, left) when they disagree by more than curvature and rounding explain."""
    right, left = (f_up - f_x) / h, (f_x - f_down) / h
    rounding = 4 * _allowed(0.0, f_up, f_down, h, 0.0, 0.0)
    return (right, left) if abs(right - left) > KINK_TOL * (1.0 + abs(numeric)) + rounding else None


def _relative(error: float, reference: float) -> float:
    return error / abs(reference) if reference else (0.0 if error == 0.0 else math.inf)


# -- gradcheck: every input of a function -----------------------------------------


@dataclass(frozen=True)
class GradcheckRow:
    """One input: its analytic (backward) and numeric (central difference) derivative."""

    name: str
    value: float
    analytic: float
    numeric: float
    ok: bool
    note: str = ""

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        return _relative(self.abs_error, self.numeric)


@dataclass(frozen=True)
class GradcheckReport:
    """The outcome of a check: ``.ok``, one row per input (or direction), printable as a table."""

    rows: tuple[GradcheckRow, ...]
    eps: float
    atol: float
    rtol: float
    directions: tuple[GradcheckRow, ...] = ()
    subject: str = "input"

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows) if self.rows else all(d.ok for d in self.directions)

    @property
    def failures(self) -> list[GradcheckRow]:
        return [r for r in self.rows if not r.ok]

    def summary(self) -> str:
        settings = f"eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"
        if self.rows:
            n, bad = len(self.rows), len(self.failures)
            plural = f"{n} {self.subject}{'s' if n != 1 else ''}"
            verdict = f"passed: {plural}" if self.ok else f"FAILED: {bad} of {plural} wrong"
            line = f"gradcheck {verdict} ({settings})"
        else:
            line = f"gradcheck passed along {len(self.directions)} random directions ({settings})"
        if self.directions and self.rows:
            missed = sum(not d.ok for d in self.directions)
            line += (
                f"; {missed} of {len(self.directions)} random directions disagreed, so every {self.subject} was checked"
            )
        return line

    def _table(self) -> tuple[list[str], list[list[str]]]:
        rows = self.rows or self.directions
        head = [self.subject if self.rows else "direction", "value", "analytic", "numeric"]
        head += ["abs error", "rel error", "result"]
        body = [
            [
                r.name,
                "" if math.isnan(r.value) else f"{r.value:.8g}",
                f"{r.analytic:.8f}",
                f"{r.numeric:.8f}",
                f"{r.abs_error:.2e}",
                f"{r.rel_error:.2e}",
                "ok" if r.ok else "FAIL" + (f": {r.note}" if r.note else ""),
            ]
            for r in rows
        ]
        return head, body

    def __str__(self) -> str:
        return self.summary() + "\n" + text_table(*self._table())

    def _repr_html_(self) -> str:
        colour = "#e6f4e6" if self.ok else "#fbe3e3"
        summary = html.escape(self.summary())
        return f'<div><p style="background:{colour};padding:4px">{summary}</p>{html_table(*self._table())}</div>'


def _one_input(
    evaluate: Callable[[list[float]], float],
    xs: list[float],
    f_x: float,
    i: int,
    name: str,
    analytic: float,
    eps: float,
    atol: float,
    rtol: float,
) -> GradcheckRow:
    up, down = list(xs), list(xs)
    up[i] += eps
    down[i] -= eps
    f_up, f_down = evaluate(up), evaluate(down)
    numeric = (f_up - f_down) / (2 * eps)
    slopes = _kink(f_up, f_x, f_down, eps, numeric)
    if slopes:
        note = (
            f"one-sided slopes differ ({slopes[0]:.6g} from the right, {slopes[1]:.6g} from the left): "
            f"{name} = {xs[i]:g} may be at a kink, where there is no derivative to check"
        )
        return GradcheckRow(name, xs[i], analytic, numeric, False, note)
    ok = abs(analytic - numeric) <= _allowed(numeric, f_up, f_down, eps, atol, rtol)
    return GradcheckRow(name, xs[i], analytic, numeric, ok)


def _random_unit_vector(n: int, rng: random.Random) -> list[float]:
    """A seeded direction: Gaussian components, scaled to length 1 (uniform over the sphere)."""
    v = [rng.gauss(0.0, 1.0) for _ in range(n)]
    norm = math.sqrt(sum(c * c for c in v)) or 1.0
    return [c / norm for c in v]


def _directional(
    evaluate: Callable[[list[float]], float],
    xs: list[float],
    grads: list[float],
    count: int,
    seed: int,
    eps: float,
    atol: float,
    rtol: float,
) -> tuple[GradcheckRow, ...]:
    """v·∇f against (f(x + eps·v) - f(x - eps·v)) / 2eps for ``count`` seeded random unit vectors v."""
    rng = random.Random(seed)
    rows = []
    for k in range(count):
        v = _random_unit_vector(len(xs), rng)
        f_up = evaluate([x + eps * c for x, c in zip(xs, v)])
        f_down = evaluate([x - eps * c for x, c in zip(xs, v)])
        numeric = (f_up - f_down) / (2 * eps)
        analytic = sum(g * c for g, c in zip(grads, v))
        ok = abs(analytic - numeric) <= _allowed(numeric, f_up, f_down, eps, atol, rtol)
        rows.append(GradcheckRow(f"v{k}", float("nan"), analytic, numeric, ok))
    return tuple(rows)


def _check(
    evaluate: Callable[[list[float]], float],
    xs: list[float],
    names: list[str],
    grads: list[float],
    f_x: float,
    *,
    eps: float,
    atol: float,
    rtol: float,
    directions: int | None,
    seed: int,
    subject: str,
) -> GradcheckReport:
    checked: tuple[GradcheckRow, ...] = ()
    if directions is not None:
        if isinstance(directions, bool) or not isinstance(directions, int) or directions < 1:
            raise ValueError(f"directions must be a whole number >= 1, got {directions!r}")
        checked = _directional(evaluate, xs, grads, directions, seed, eps, atol, rtol)
        if all(d.ok for d in checked):
            return GradcheckReport((), eps, atol, rtol, checked, subject)
    rows = tuple(_one_input(evaluate, xs, f_x, i, names[i], grads[i], eps, atol, rtol) for i in range(len(xs)))
    return GradcheckReport(rows, eps, atol, rtol, checked, subject)


def _as_floats(inputs: Sequence[float] | Mapping[str, float]) -> tuple[list[str], list[float]]:
    if isinstance(inputs, Mapping):
        names, values = [str(k) for k in inputs], list(inputs.values())
    elif isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"inputs must be a list of numbers or a dict of name: number, got {type(inputs).__name__}")
    else:
        names, values = [f"x{i}" for i in range(len(inputs))], list(inputs)
    if not values:
        raise ValueError("gradcheck needs at least one input")
    numbers = [x.data if isinstance(x, Value) else x for x in values]  # a Value stands for its data
    for name, x in zip(names, numbers):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise TypeError(f"input {name} must be a number, got {type(x).__name__} {x!r}")
        if not math.isfinite(x):
            raise ValueError(f"input {name} must be finite, got {x}")
    return names, [float(x) for x in numbers]


def _call(f: Callable[..., Any], names: list[str], values: list[Value], by_name: bool) -> Value:
    out = f(**dict(zip(names, values))) if by_name else f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value built from the Values it is given, got {type(out).__name__} {out!r}")
    return out


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float] | Mapping[str, float],
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    directions: int | None = None,
    seed: int = 0,
) -> GradcheckReport:
    """Compare ``backward()`` with central differences for every input of ``f``.

    ``f`` takes one Value per input (keyword arguments when ``inputs`` is a dict)
    and returns a Value. With ``directions=k``, check k seeded random directional
    derivatives first (2k evaluations instead of 2n) and fall back to the full
    per-input table only when one of them disagrees.

    >>> gradcheck(lambda a, b: a / b, {"a": 1.0, "b": 4.0}).ok
    True
    """
    _check_eps(eps)
    _check_tolerances(atol, rtol)
    names, xs = _as_floats(inputs)
    by_name = isinstance(inputs, Mapping)
    try:
        inspect.signature(f).bind(**dict.fromkeys(names)) if by_name else inspect.signature(f).bind(*xs)
    except TypeError as error:
        raise TypeError(f"f does not accept the {len(xs)} inputs {names}: {error}") from None
    except ValueError:  # no signature to inspect (some builtins): let the call itself tell
        pass
    leaves = [Value(x, name) for name, x in zip(names, xs)]
    out = _call(f, names, leaves, by_name)
    ids = {id(node) for node in out.topological_order()}
    if not any(id(leaf) in ids for leaf in leaves):
        raise ValueError(
            "f's result does not depend on any of its inputs, so there is no gradient to check; "
            "build the result from the Values f is given (not from new Values or plain numbers)"
        )
    out.backward()

    def evaluate(point: list[float]) -> float:
        try:
            return _call(f, names, [Value(x, n) for n, x in zip(names, point)], by_name).data
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise ValueError(
                f"f failed at {dict(zip(names, point))}, within eps = {eps:g} of the point checked: {error}; "
                "move the point away from the edge of f's domain or use a smaller eps"
            ) from error

    grads = [leaf.grad for leaf in leaves]
    return _check(
        evaluate,
        xs,
        names,
        grads,
        out.data,
        eps=eps,
        atol=atol,
        rtol=rtol,
        directions=directions,
        seed=seed,
        subject="input",
    )


def assert_gradients_match(
    f: Callable[..., Value], inputs: Sequence[float] | Mapping[str, float], **options: Any
) -> None:
    """For pytest: raise ``AssertionError`` with the whole gradcheck table when any input disagrees.

    >>> assert_gradients_match(lambda x: x.sin() * x, [0.3])
    """
    report = gradcheck(f, inputs, **options)
    if not report.ok:
        raise AssertionError("\n" + str(report))


class _HasParameters(Protocol):
    def parameters(self) -> Sequence[Value]: ...


def gradcheck_module(
    model: _HasParameters,
    loss_fn: Callable[[Any], Value],
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    directions: int | None = None,
    seed: int = 0,
) -> GradcheckReport:
    """Check ``backward()`` for every parameter of ``model``, with ``loss_fn(model)`` as the function.

    Parameters are nudged in place and always restored, and their ``.grad`` is
    left as it was. Any object with ``parameters()`` works; names come from
    ``named_parameters()`` when the object has it.
    """
    _check_eps(eps)
    _check_tolerances(atol, rtol)
    params = list(model.parameters())
    if not params:
        raise ValueError(f"{type(model).__name__} has no parameters to check")
    named = getattr(model, "named_parameters", None)
    names = [name for name, _ in named()] if callable(named) else [f"p{i}" for i in range(len(params))]
    saved_data, saved_grads = [p.data for p in params], [p.grad for p in params]

    def evaluate(point: list[float]) -> float:
        try:
            for p, x in zip(params, point):
                p.data = x
            out = loss_fn(model)
            if not isinstance(out, Value):
                raise TypeError(f"loss_fn must return a Value, got {type(out).__name__} {out!r}")
            return out.data
        finally:
            for p, x in zip(params, saved_data):
                p.data = x

    try:
        for p in params:
            p.grad = 0.0
        loss = loss_fn(model)
        if not isinstance(loss, Value):
            raise TypeError(f"loss_fn must return a Value, got {type(loss).__name__} {loss!r}")
        loss.backward()
        grads = [p.grad for p in params]
    finally:
        for p, g in zip(params, saved_grads):
            p.grad = g
    return _check(
        evaluate,
        saved_data,
        names,
        grads,
        loss.data,
        eps=eps,
        atol=atol,
        rtol=rtol,
        directions=directions,
        seed=seed,
        subject="parameter",
    )


# -- step-size sweep --------------------------------------------------------------


@dataclass(frozen=True)
class SweepPoint:
    """The largest error of the central difference against ``backward()`` at one step size."""

    eps: float
    max_abs_error: float
    max_rel_error: float


def eps_sweep(
    f: Callable[..., Value],
    inputs: Sequence[float] | Mapping[str, float],
    eps_values: Sequence[float] = SWEEP_EPS,
) -> list[SweepPoint]:
    """Error of the central difference at each step size: truncation (large h) vs rounding (tiny h).

    >>> points = eps_sweep(lambda x: x.exp(), [1.0], [1e-1, 1e-5, 1e-12])
    >>> [p.max_abs_error < 1e-8 for p in points]
    [False, True, False]
    """
    for eps in eps_values:
        _check_eps(eps)
    reference = gradcheck(f, inputs)
    names, xs = _as_floats(inputs)
    by_name = isinstance(inputs, Mapping)
    analytic = [r.analytic for r in reference.rows]

    def evaluate(*point: float) -> float:
        return _call(f, names, [Value(x, n) for n, x in zip(names, point)], by_name).data

    points = []
    for eps in eps_values:
        errors = [abs(central_difference(evaluate, xs, i, eps) - a) for i, a in enumerate(analytic)]
        rel = [_relative(e, a) for e, a in zip(errors, analytic)]
        points.append(SweepPoint(eps, max(errors), max(rel)))
    return points


# -- per-node check: which op is wrong -----------------------------------------------


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


def _replay_for(op: str, extra: Mapping[str, Callable[..., float]]) -> Callable[..., float] | None:
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
    _check_eps(eps)
    _check_tolerances(atol, rtol)
    extra = ops or {}
    checks = []
    for position, node in enumerate(root.topological_order()):
        if not node.parents:
            continue
        replay = _replay_for(node.op, extra)
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
    up, down = list(xs), list(xs)
    up[j] += h
    down[j] -= h
    try:
        f_x, f_up, f_down = replay(*xs), replay(*up), replay(*down)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        return NodeCheck(position, node, j, recorded, nan, "unchecked", f"the op fails within {h:g}: {error}")
    numeric = (f_up - f_down) / (2 * h)
    if abs(f_x - node.data) > 1e-12 * max(1.0, abs(f_x)):
        note = f"the node's data {node.data!r} differs from its op replayed on its parents, {f_x!r}"
        return NodeCheck(position, node, j, recorded, numeric, "wrong", note)
    slopes = _kink(f_up, f_x, f_down, h, numeric)
    if slopes:
        note = f"operand = {xs[j]:g} may be at a kink: one-sided slopes {slopes[0]:.6g} and {slopes[1]:.6g}"
        return NodeCheck(position, node, j, recorded, numeric, "kink", note)
    ok = abs(recorded - numeric) <= _allowed(numeric, f_up, f_down, h, atol, rtol)
    return NodeCheck(position, node, j, recorded, numeric, "ok" if ok else "wrong")


# -- second derivatives and forward mode ------------------------------------------------------


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float] | Mapping[str, float],
    *,
    eps: float = 1e-5,
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> GradcheckReport:
    """Second derivatives (reverse over reverse) against central differences of the first derivative.

    One row per pair (i, j): d²f/dx_i dx_j from ``hessian`` against
    (∂f/∂x_j(x + eps·e_i) - ∂f/∂x_j(x - eps·e_i)) / 2eps, where ∂f/∂x_j is
    computed by ``backward()``. The default step is larger than gradcheck's,
    because differencing a derivative loses about half of the digits.

    >>> gradgradcheck(lambda x, y: (x * y).sin(), [0.5, 1.5]).ok
    True
    """
    from micrograd_plus.autodiff import gradients, hessian

    _check_eps(eps)
    _check_tolerances(atol, rtol)
    names, xs = _as_floats(inputs)
    by_name = isinstance(inputs, Mapping)

    def call(values: Sequence[Value]) -> Value:
        return _call(f, names, list(values), by_name)

    analytic = hessian(lambda vs: call(vs))(xs)

    def first_derivatives(point: list[float]) -> list[float]:
        leaves = [Value(x) for x in point]
        return list(gradients(call(leaves), leaves))

    rows = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        g_up, g_down = first_derivatives(up), first_derivatives(down)
        for j in range(len(xs)):
            numeric = (g_up[j] - g_down[j]) / (2 * eps)
            ok = abs(analytic[i][j] - numeric) <= _allowed(numeric, g_up[j], g_down[j], eps, atol, rtol)
            rows.append(GradcheckRow(f"d2/d{names[i]}d{names[j]}", xs[i], float(analytic[i][j]), numeric, ok))
    return GradcheckReport(tuple(rows), eps, atol, rtol, subject="second derivative")


def check_forward_reverse(
    f: Callable[..., Any], inputs: Sequence[float], *, seed: int = 0, rtol: float = 1e-10
) -> tuple[float, float, bool]:
    """Forward mode against reverse mode: uᵀ(J v) from ``jvp`` and (uᵀJ)·v from ``backward`` for
    seeded random unit vectors u and v. Returns both numbers and whether they agree.

    >>> lhs, rhs, ok = check_forward_reverse(lambda x, y: [x * y, (x - y).tanh()], [0.3, -1.2])
    >>> ok
    True
    """
    from micrograd_plus.autodiff import gradients, jvp

    rng = random.Random(seed)
    xs = [float(x) for x in inputs]
    v = _random_unit_vector(len(xs), rng)
    _, tangents = jvp(f, xs, v)
    outputs = tangents if isinstance(tangents, list) else [tangents]
    u = _random_unit_vector(len(outputs), rng)
    forward = sum(a * b for a, b in zip(u, outputs))  # uᵀ (J v)
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    ys = list(out) if isinstance(out, (list, tuple)) else [out]
    weighted = F.sum([y * c for y, c in zip(ys, u)])  # uᵀ f, whose gradient is uᵀ J
    row = gradients(weighted, leaves)
    reverse = sum(g * c for g, c in zip(row, v))  # (uᵀ J) v
    scale = max(1.0, abs(forward), abs(reverse))
    return forward, reverse, abs(forward - reverse) <= rtol * scale
