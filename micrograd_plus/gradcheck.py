"""Checking derivatives against finite differences: whole functions, modules, second derivatives.

Each input is nudged by ``eps`` both ways and the central difference compared
with ``backward()``, within the error a correct derivative may show (see
:mod:`micrograd_plus.differences`): rtol = 1e-5 and atol = 1e-8 plus the
difference's own rounding error. Measured over every op of the engine across
its domain (``micrograd_plus.testing.OPS``, 3,000 points each) the worst error
was 4e-7 absolute on a gradient of 2,000 and 5e-9 absolute on gradients below
1e-3; a derivative 0.05% wrong is off by 5e-4 relative, fifty times rtol.

A point where the function has a kink (relu or abs at 0) has no derivative: the
forward and backward one-sided slopes disagree there. Such a row always fails,
with a note saying so, even when the central difference happens to agree.
The per-node check, which locates a wrong op, is :mod:`micrograd_plus.localcheck`.

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
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from micrograd_plus import functional as F
from micrograd_plus.differences import (
    ATOL,
    EPS,
    RTOL,
    allowed_error,
    central_difference,
    check_eps,
    check_tolerances,
    kink_slopes,
    nudged,
    relative_error,
)
from micrograd_plus.engine import Value
from micrograd_plus.tables import html_table, text_table

__all__ = [
    "GradcheckReport",
    "GradcheckRow",
    "SweepPoint",
    "assert_gradients_match",
    "central_difference",
    "check_forward_reverse",
    "eps_sweep",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
]

SWEEP_EPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13)


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
        return relative_error(self.abs_error, self.numeric)


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
    up, down = nudged(xs, i, eps)
    f_up, f_down = evaluate(up), evaluate(down)
    numeric = (f_up - f_down) / (2 * eps)
    slopes = kink_slopes(f_up, f_x, f_down, eps, numeric)
    if slopes:
        note = (
            f"one-sided slopes differ ({slopes[0]:.6g} from the right, {slopes[1]:.6g} from the left): "
            f"{name} = {xs[i]:g} may be at a kink, where there is no derivative to check"
        )
        return GradcheckRow(name, xs[i], analytic, numeric, False, note)
    ok = abs(analytic - numeric) <= allowed_error(numeric, f_up, f_down, eps, atol, rtol)
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
        ok = abs(analytic - numeric) <= allowed_error(numeric, f_up, f_down, eps, atol, rtol)
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
    check_eps(eps)
    check_tolerances(atol, rtol)
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
    check_eps(eps)
    check_tolerances(atol, rtol)
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
        check_eps(eps)
    reference = gradcheck(f, inputs)
    names, xs = _as_floats(inputs)
    by_name = isinstance(inputs, Mapping)
    analytic = [r.analytic for r in reference.rows]

    def evaluate(*point: float) -> float:
        return _call(f, names, [Value(x, n) for n, x in zip(names, point)], by_name).data

    points = []
    for eps in eps_values:
        errors = [abs(central_difference(evaluate, xs, i, eps) - a) for i, a in enumerate(analytic)]
        rel = [relative_error(e, a) for e, a in zip(errors, analytic)]
        points.append(SweepPoint(eps, max(errors), max(rel)))
    return points


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

    check_eps(eps)
    check_tolerances(atol, rtol)
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
        up, down = nudged(xs, i, eps)
        g_up, g_down = first_derivatives(up), first_derivatives(down)
        for j in range(len(xs)):
            numeric = (g_up[j] - g_down[j]) / (2 * eps)
            ok = abs(analytic[i][j] - numeric) <= allowed_error(numeric, g_up[j], g_down[j], eps, atol, rtol)
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
