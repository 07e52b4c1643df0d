"""Checking ``backward()`` against numeric derivatives: functions of Values, modules, the step-size sweep.

Each input's derivative is estimated by Richardson extrapolation of central
differences at steps h, h/2, h/4, starting from h ≈ 1e-3·max(1, |x|) and
searched over several decades where that does not resolve it (the estimators
are in :mod:`micrograd_plus.check.estimates`, the search in
:mod:`micrograd_plus.check.step_search`), and the estimate carries a bound on
its own error. A row passes when |analytic - numeric| is
within atol + rtol·|numeric| plus that bound and the bound itself is below the
tolerance: a derivative the estimate could not resolve fails as *unresolved*
instead of passing (:mod:`micrograd_plus.check.reports`). A failure says how the
derivative is wrong where the numbers show it (:mod:`micrograd_plus.check.diagnosis`).

The defaults are atol = 1e-300 (below the normal floats a graph's results keep
no relative accuracy; above them no absolute tolerance) and rtol = 1e-7, the
same rule as ``check_grad``: a sign flip or a factor 2 fails at a gradient of
1e-12 as at one of 1e9. To each entry's atol is added the rounding of
``backward()`` itself (:func:`backward_rounding`, relative to the terms it adds):
a derivative that cancels to 0 computes as about 1e-16, and that is right; it
counts as resolved once the estimate's bound is small beside those terms.

Measured over every op of the engine across its domain
(``benchmarks/bench_checker.py``), no correct op failed and every derivative
0.05% wrong failed. At a kink (relu or abs at 0) the derivative must be a
subgradient: between the one-sided slopes (their convex hull at a tie of max
or min); such a row passes as ``subgradient``, any other value fails as ``kink``.
Plain functions of floats are checked by
:mod:`micrograd_plus.check.functions`; the per-node check, which locates a wrong op,
is :mod:`micrograd_plus.check.local_grads`.

>>> from micrograd_plus import Value
>>> report = gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
>>> report.ok
True
>>> print(report)  # doctest: +ELLIPSIS
gradcheck passed: 2 inputs (richardson, h ≈ 0.001·max(1, |x|), atol=1e-300, rtol=1e-07)
input  value  analytic     numeric      ± numeric  abs error  rel error  result
x0     0.5    -0.89487871  -0.89487871  ...  ok
x1     -1.5   0.2982929    0.2982929    ...  ok
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from micrograd_plus.check.differences import (
    ANALYTIC_RTOL,
    FLOOR_ATOL,
    ROUNDING,
    central_difference,
    check_eps,
    relative_error,
)
from micrograd_plus.check.inputs import bind, call_values, named_floats, outputs_of
from micrograd_plus.check.reports import GradcheckReport, GradcheckRow, JacobianReport, check_failed
from micrograd_plus.check.second_order import check_forward_reverse, gradgradcheck
from micrograd_plus.check.verdicts import (
    NudgedPointError,
    Settings,
    compare,
    compare_directions,
    make_jacobian_report,
    make_report,
)
from micrograd_plus.engine import Value

__all__ = [
    "NudgedPointError",
    "backward_rounding",
    "GradcheckReport",
    "GradcheckRow",
    "JacobianReport",
    "SweepPoint",
    "assert_gradients_match",
    "central_difference",
    "check_forward_reverse",
    "eps_sweep",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
]

SEARCH_RTOL = 1e-5  # a step search ends at a bound of 1e-7·|g|: about 6 evaluations per input, as gradcheck_module
# always cost; the verdict is still judged at rtol = 1e-7 plus that bound
SWEEP_EPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13)


def _real_method(settings: Settings) -> None:
    if settings.method == "complex":
        raise ValueError(
            "method='complex' needs a function of complex numbers, and Values hold real numbers; "
            "use check_grad or check_jacobian with a plain function, or method='richardson'"
        )


def _backward_rows(outputs: list[Value], leaves: list[Value]) -> list[list[float]]:
    """d(output)/d(leaf) for every output, each by its own ``backward()``."""
    jacobian = []
    for y in outputs:
        for leaf in leaves:
            leaf.grad = 0.0
        y.backward()
        jacobian.append([leaf.grad for leaf in leaves])
    return jacobian


def backward_rounding(outputs: Sequence[Value], leaves: Sequence[Value]) -> list[list[tuple[float, float]]]:
    """For each ``backward()`` result, the size of the terms it adds up and a bound on its rounding.

    The terms' size T is Σ over paths of the |products| of local derivatives (the reverse sweep run on
    absolute values); each level's local derivative, product and sum round by a few units of ε relative to
    T, not to the sum, so the bound is 32ε·depth·T (8 evaluations' worth of ``ROUNDING`` per level). Softmax
    of three equal inputs has derivative 0, computed as about 1e-16 from terms near 1/3 that cancel: it is
    right to that rounding, and resolved once the estimate's bound is small beside T. Where nothing cancels
    T is the derivative's own size and the bound ~1e-14 of it, far below rtol.
    """
    rows = []
    for y in outputs:
        size: dict[int, float] = {id(y): 1.0}
        depth: dict[int, int] = {id(y): 1}
        for v in reversed(y.topological_order()):
            a, d = size.get(id(v), 0.0), depth.get(id(v), 1)
            for parent, local in zip(v.parents, v.local_grads):
                size[id(parent)] = size.get(id(parent), 0.0) + abs(local) * a
                depth[id(parent)] = max(depth.get(id(parent), 1), d + 1)
        terms = [size.get(id(leaf), 0.0) for leaf in leaves]
        rows.append([(t, 8 * ROUNDING * depth.get(id(leaf), 1) * t) for t, leaf in zip(terms, leaves)])
    return rows


def _finish(
    evaluate: Callable[[list[float]], Sequence[float]],
    xs: list[float],
    names: list[str],
    jacobian: list[list[float]],
    f0: list[float],
    settings: Settings,
    directions: int | None,
    seed: int,
    subject: str,
    rounding: list[list[tuple[float, float]]],
) -> GradcheckReport:
    checked: list[GradcheckRow] = []
    if directions is not None:
        if len(f0) != 1:
            raise ValueError("directions=k checks a function with one output; drop directions for list outputs")
        checked = compare_directions(evaluate, xs, names, jacobian[0], f0[0], settings, directions, seed)
        if all(d.ok for d in checked):
            return make_report((), settings, subject=subject, directions=checked)
    if len(f0) == 1:
        rows = compare(evaluate, xs, names, jacobian, f0, settings, rounding=rounding)
        return make_report(rows, settings, subject=subject, directions=checked)
    outputs = [f"y{i}" for i in range(len(f0))]
    rows = compare(evaluate, xs, names, jacobian, f0, settings, output_names=outputs, rounding=rounding)
    return make_jacobian_report(rows, settings, (len(f0), len(xs)), title="gradcheck")


def gradcheck(
    f: Callable[..., Value | Sequence[Value]],
    inputs: Sequence[float] | Mapping[str, float],
    *extra: object,
    method: str = "richardson",
    eps: float | None = None,
    atol: float = FLOOR_ATOL,
    rtol: float = ANALYTIC_RTOL,
    directions: int | None = None,
    seed: int = 0,
) -> GradcheckReport:
    """Compare ``backward()`` with numeric derivatives ∂f/∂x_i for every input of ``f``.

    ``f`` takes one Value per input (keyword arguments when ``inputs`` is a dict)
    and returns a Value, or a list of Values (then every entry of the Jacobian
    is checked and a :class:`JacobianReport` returned). ``method`` is
    ``"richardson"`` (default), ``"central"``, ``"forward"`` or ``"backward"``
    (one-sided, for a point at the edge of f's domain); ``eps`` the step
    relative to max(1, |x|). With ``directions=k``, check k seeded random
    directional derivatives first and fall back to the full table only when
    one of them disagrees.

    >>> gradcheck(lambda a, b: a / b, {"a": 1.0, "b": 4.0}).ok
    True
    >>> gradcheck(lambda a, b: [a * b, a + b], [2.0, 3.0]).shape
    (2, 2)
    """
    if extra:  # gradcheck(f, grad_f, x): the signature of check_grad and of the pytest fixture
        raise TypeError(
            f"gradcheck(f, inputs) checks backward() of a function of Values and takes 2 positional arguments, got "
            f"{2 + len(extra)}; for a gradient written by hand use check_grad(f, grad_f, x)"
        )
    settings = replace(Settings.of(method, eps, atol, rtol), search_rtol=SEARCH_RTOL)
    _real_method(settings)
    names, xs = named_floats(inputs)
    by_name = isinstance(inputs, Mapping)
    bind(f, names, by_name)
    leaves = [Value(x, name) for name, x in zip(names, xs)]
    outputs = outputs_of(call_values(f, names, leaves, by_name))
    ids = {id(node) for y in outputs for node in y.topological_order()}
    if not any(id(leaf) in ids for leaf in leaves):
        raise ValueError(
            "f's result does not depend on any of its inputs, so there is no gradient to check; "
            "build the result from the Values f is given (not from new Values or plain numbers)"
        )
    jacobian = _backward_rows(outputs, leaves)

    def evaluate(point: list[float]) -> list[float]:
        return [y.data for y in outputs_of(call_values(f, names, [Value(x, n) for n, x in zip(names, point)], by_name))]

    f0 = [y.data for y in outputs]
    rounding = backward_rounding(outputs, leaves)
    return _finish(evaluate, xs, names, jacobian, f0, settings, directions, seed, "input", rounding)


def assert_gradients_match(
    f: Callable[..., Value | Sequence[Value]], inputs: Sequence[float] | Mapping[str, float], **options: Any
) -> None:
    """For pytest: raise ``AssertionError`` when any input disagrees; its first line is the one-sentence
    summary (the short test summary shows it), the table follows.

    >>> assert_gradients_match(lambda x: x.sin() * x, [0.3])
    """
    report = gradcheck(f, inputs, **options)
    if not report.ok:
        hint = "check_local_grads(f(...)) names the op whose local derivative is wrong"
        raise check_failed(f"{report.headline()}\n{hint}\n{report}")


class _HasParameters(Protocol):
    def parameters(self) -> Sequence[Value]: ...


def _loss_value(loss_fn: Callable[[Any], Value], model: Any) -> Value:
    out = loss_fn(model)
    if not isinstance(out, Value):
        raise TypeError(f"loss_fn must return a Value, got {type(out).__name__} {out!r}")
    return out


def _replayer(loss: Value, params: list[Value]) -> Callable[[list[float]], list[float]] | None:
    """Evaluate the recorded loss graph at new parameter values without rebuilding it (None when refused)."""
    from micrograd_plus.compile.program import compile_graph

    try:
        compiled = compile_graph(loss, params)
    except ValueError:  # an op of the user's own: rebuild instead
        return None
    return lambda point: [compiled.forward(point)]


def gradcheck_module(
    model: _HasParameters,
    loss_fn: Callable[[Any], Value],
    *,
    method: str = "richardson",
    eps: float | None = None,
    atol: float = FLOOR_ATOL,
    rtol: float = ANALYTIC_RTOL,
    directions: int | None = None,
    seed: int = 0,
    replay: bool = True,
) -> GradcheckReport:
    """Check ``backward()`` for every parameter of ``model``, with ``loss_fn(model)`` as the function.

    A parameter reachable twice (tied weights) is checked once. The nudged
    points are evaluated by replaying the compiled loss graph
    (:func:`micrograd_plus.compile.program.compile_graph`), about 5x faster than
    rebuilding it; the graph is rebuilt by calling ``loss_fn`` each time when it
    has an op of your own, or with ``replay=False`` (needed when ``loss_fn``
    branches in Python on parameter values, which a recorded graph cannot
    follow). Parameters are always restored and their ``.grad`` left as it was.
    Names come from ``named_parameters()`` when the object has it.
    """
    settings = replace(Settings.of(method, eps, atol, rtol), search_rtol=SEARCH_RTOL)
    _real_method(settings)
    listed = list(model.parameters())
    named = getattr(model, "named_parameters", None)
    all_names = [name for name, _ in named()] if callable(named) else [f"p{i}" for i in range(len(listed))]
    first = {id(p): i for i, p in reversed(list(enumerate(listed)))}
    keep = sorted(first.values())
    params, names = [listed[i] for i in keep], [all_names[i] for i in keep]
    if not params:
        raise ValueError(f"{type(model).__name__} has no parameters to check")
    saved_data, saved_grads = [p.data for p in params], [p.grad for p in params]

    def rebuild(point: list[float]) -> list[float]:
        try:
            for p, x in zip(params, point):
                p.data = x
            return [_loss_value(loss_fn, model).data]
        finally:
            for p, x in zip(params, saved_data):
                p.data = x

    try:
        for p in params:
            p.grad = 0.0
        loss = _loss_value(loss_fn, model)
        loss.backward()
        grads = [p.grad for p in params]
    finally:
        for p, g in zip(params, saved_grads):
            p.grad = g
    evaluate = (_replayer(loss, params) if replay else None) or rebuild
    rounding = backward_rounding([loss], params)
    return _finish(evaluate, saved_data, names, [grads], [loss.data], settings, directions, seed, "parameter", rounding)


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
    names, xs = named_floats(inputs)
    by_name = isinstance(inputs, Mapping)
    analytic = [r.analytic for r in reference.rows]

    def evaluate(*point: float) -> float:
        return outputs_of(call_values(f, names, [Value(x, n) for n, x in zip(names, point)], by_name))[0].data

    points = []
    for eps in eps_values:
        errors = [abs(central_difference(evaluate, xs, i, eps) - a) for i, a in enumerate(analytic)]
        rel = [relative_error(e, a) for e, a in zip(errors, analytic)]
        points.append(SweepPoint(eps, max(errors), max(rel)))
    return points
