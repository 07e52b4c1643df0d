"""The engine's op table and Hypothesis strategies for testing functions of Values.

``OPS`` has one row per public op: how to build it from Values, an independent
plain-float reference written with :mod:`math`, and the domain each input is
drawn from (kept away from kinks, poles and overflow). Our own test suite
drives both value tests and finite-difference derivative tests from it, and
test authors can use the same rows and strategies for their own functions.

Hypothesis is needed only for the strategies (install the ``dev`` extra).

>>> spec = OPS["tanh"]
>>> x = 0.5
>>> spec.build(Value(x)).data == spec.reference(x)
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from micrograd_plus import functional as F
from micrograd_plus.engine import Value
from micrograd_plus.ops import define_op, fn

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["OPS", "Domain", "Expression", "OpSpec", "expressions", "op_inputs"]


@dataclass(frozen=True)
class Domain:
    """Inputs in [low, high], at least ``margin`` away from each point in ``avoid`` (kinks, poles)."""

    low: float = -3.0
    high: float = 3.0
    avoid: tuple[float, ...] = ()
    margin: float = 1e-2

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high and all(abs(x - a) >= self.margin for a in self.avoid)


REAL = Domain()
POSITIVE = Domain(0.1, 5.0)
NONZERO = Domain(-3.0, 3.0, avoid=(0.0,), margin=0.1)
AWAY_FROM_ZERO = Domain(-3.0, 3.0, avoid=(0.0,))


@dataclass(frozen=True)
class OpSpec:
    """One op: ``build`` makes it from Values, ``reference`` computes it from floats."""

    name: str
    covers: str  # the public name this row tests: a Value method or a functional helper
    build: Callable[..., Value]
    reference: Callable[..., float]
    domains: tuple[Domain, ...]
    second_order: bool = True  # False where a second derivative is not defined (documented per row)

    @property
    def arity(self) -> int:
        return len(self.domains)


def _sigmoid(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))  # σ(x) = (1 + tanh(x/2)) / 2, independent of the engine's form


def _huber(x: float) -> float:
    return x * x / 2 if abs(x) <= 1 else abs(x) - 0.5


def _logsumexp(*xs: float) -> float:
    return math.log(math.fsum(math.exp(x) for x in xs))


# Ops of your own, defined once with define_op, are tested by the same rows as the engine's. They are not
# registered: importing this module changes nothing in the registry.
CUBE = define_op("cube", lambda x: x * x * x, lambda x, out: (3 * x * x,), register=False)
SQUARES = define_op("sum_of_squares", lambda *xs: sum(x * x for x in xs), lambda *a: tuple(2 * x for x in a[:-1]),
                    register=False)  # fmt: skip
HUBER = define_op(  # a rule that branches on its input: compiled replay calls it instead of inlining it
    "huber",
    lambda x: 0.5 * x * x if abs(x) <= 1.0 else abs(x) - 0.5,
    lambda x, out: (x if abs(x) <= 1.0 else (1.0 if x > 0 else -1.0),),
    register=False,
)


def _row(name: str, covers: str, build: Callable[..., Value], ref: Callable[..., float], *doms: Domain) -> OpSpec:
    return OpSpec(name, covers, build, ref, doms)


def _arithmetic_rows() -> list[OpSpec]:
    return [
        _row("a + b", "__add__", lambda a, b: a + b, lambda a, b: a + b, REAL, REAL),
        _row("2.5 + a", "__radd__", lambda a: 2.5 + a, lambda a: 2.5 + a, REAL),
        _row("a - b", "__sub__", lambda a, b: a - b, lambda a, b: a - b, REAL, REAL),
        _row("2.5 - a", "__rsub__", lambda a: 2.5 - a, lambda a: 2.5 - a, REAL),
        _row("a * b", "__mul__", lambda a, b: a * b, lambda a, b: a * b, REAL, REAL),
        _row("2.5 * a", "__rmul__", lambda a: 2.5 * a, lambda a: 2.5 * a, REAL),
        _row("a / b", "__truediv__", lambda a, b: a / b, lambda a, b: a / b, REAL, NONZERO),
        _row("2.5 / a", "__rtruediv__", lambda a: 2.5 / a, lambda a: 2.5 / a, NONZERO),
        _row("a ** 3", "__pow__", lambda a: a**3, lambda a: a * a * a, REAL),
        _row("a ** -2", "__pow__", lambda a: a**-2, lambda a: 1.0 / (a * a), NONZERO),
        _row("a ** 2.5", "__pow__", lambda a: a**2.5, lambda a: math.exp(2.5 * math.log(a)), POSITIVE),
        _row("a ** b", "__pow__", lambda a, b: a**b, lambda a, b: math.exp(b * math.log(a)), POSITIVE, REAL),
        _row("2 ** a", "__rpow__", lambda a: 2**a, lambda a: math.exp(a * math.log(2.0)), REAL),
        _row("-a", "__neg__", lambda a: -a, lambda a: -a, REAL),
        _row("abs(a)", "__abs__", abs, lambda a: math.copysign(a, 1.0), AWAY_FROM_ZERO),
        _row("exp", "exp", lambda a: a.exp(), math.exp, Domain(-5.0, 5.0)),
        _row("log", "log", lambda a: a.log(), math.log, POSITIVE),
        _row("sqrt", "sqrt", lambda a: a.sqrt(), lambda a: math.pow(a, 0.5), POSITIVE),
        _row("tanh", "tanh", lambda a: a.tanh(), lambda a: (1 - math.exp(-2 * a)) / (1 + math.exp(-2 * a)), REAL),
        _row("sigmoid", "sigmoid", lambda a: a.sigmoid(), _sigmoid, Domain(-10.0, 10.0)),
        _row("relu", "relu", lambda a: a.relu(), lambda a: max(a, 0.0), AWAY_FROM_ZERO),
        _row("leaky_relu", "leaky_relu", lambda a: a.leaky_relu(), lambda a: a if a > 0 else 0.01 * a, AWAY_FROM_ZERO),
        _row(
            "leaky_relu(0.2)",
            "leaky_relu",
            lambda a: a.leaky_relu(0.2),
            lambda a: a if a > 0 else 0.2 * a,
            AWAY_FROM_ZERO,
        ),
    ]


def _function_rows() -> list[OpSpec]:
    unit = Domain(-0.95, 0.95)
    return [
        _row("sin", "sin", lambda a: a.sin(), math.sin, REAL),
        _row("cos", "cos", lambda a: a.cos(), math.cos, REAL),
        _row("tan", "tan", lambda a: a.tan(), lambda a: math.sin(a) / math.cos(a), Domain(-1.4, 1.4)),
        _row("arcsin", "arcsin", lambda a: a.arcsin(), lambda a: math.atan2(a, math.sqrt(1 - a * a)), unit),
        _row("arccos", "arccos", lambda a: a.arccos(), lambda a: math.atan2(math.sqrt(1 - a * a), a), unit),
        _row("arctan", "arctan", lambda a: a.arctan(), lambda a: math.asin(a / math.sqrt(1 + a * a)), REAL),
        _row("sinh", "sinh", lambda a: a.sinh(), lambda a: (math.exp(a) - math.exp(-a)) / 2, REAL),
        _row("cosh", "cosh", lambda a: a.cosh(), lambda a: (math.exp(a) + math.exp(-a)) / 2, REAL),
        _row("log1p", "log1p", lambda a: a.log1p(), lambda a: math.log(1 + a), Domain(-0.9, 3.0)),
        _row("expm1", "expm1", lambda a: a.expm1(), lambda a: math.exp(a) - 1, REAL),
        _row("softplus", "softplus", lambda a: a.softplus(), lambda a: math.log(1 + math.exp(a)), Domain(-10, 10)),
        _row("atan2", "atan2", lambda a, b: a.atan2(b), lambda a, b: math.atan(a / b), REAL, POSITIVE),
        _row("a.abs()", "abs", lambda a: a.abs(), lambda a: math.copysign(a, 1.0), AWAY_FROM_ZERO),
        _row("fn.tanh", "fn", lambda a: fn.tanh(a), lambda a: math.tanh(a), REAL),
    ]


def _composite_rows() -> list[OpSpec]:  # ops of your own, and the n-ary helpers of micrograd_plus.functional
    return [
        _row("cube", "define_op", CUBE, lambda a: a**3, REAL),
        _row("sum_of_squares", "define_op", SQUARES, lambda *v: math.fsum(x * x for x in v), REAL, REAL, REAL),
        _row("huber", "define_op", HUBER, _huber, Domain(-3.0, 3.0, avoid=(-1.0, 1.0))),
        _row("sum", "sum", lambda *v: F.sum(v), lambda *v: math.fsum(v), REAL, REAL, REAL),
        _row("mean", "mean", lambda *v: F.mean(v), lambda *v: math.fsum(v) / 3, REAL, REAL, REAL),
        _row(
            "dot",
            "dot",
            lambda a, b, c, d: F.dot([a, b], [c, d]),
            lambda a, b, c, d: a * c + b * d,
            *[REAL] * 4,
        ),
        _row(
            "dot + bias",
            "dot",
            lambda a, b, c, d, e: F.dot([a, b], [c, d], bias=e),
            lambda a, b, c, d, e: a * c + b * d + e,
            *[REAL] * 5,
        ),
        _row(
            "affine",
            "affine",
            lambda a, b, c, d, e: F.affine([a, b], [c, d], e),
            lambda a, b, c, d, e: a * c + b * d + e,
            *[REAL] * 5,
        ),
        _row("logsumexp", "logsumexp", lambda *v: F.logsumexp(v), _logsumexp, REAL, REAL, REAL),
        _row(
            "softmax[0]",
            "softmax",
            lambda *v: F.softmax(v)[0],
            lambda *v: math.exp(v[0] - _logsumexp(*v)),
            *[REAL] * 3,
        ),
        _row(
            "log_softmax[1]",
            "log_softmax",
            lambda *v: F.log_softmax(v)[1],
            lambda *v: v[1] - _logsumexp(*v),
            *[REAL] * 3,
        ),
    ]


def _rows() -> list[OpSpec]:
    return _arithmetic_rows() + _function_rows() + _composite_rows()


OPS: dict[str, OpSpec] = {spec.name: spec for spec in _rows()}


def _require_hypothesis() -> None:
    try:
        import hypothesis  # noqa: F401
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("the strategies need Hypothesis: pip install 'micrograd_plus[dev]'") from error


def op_inputs(spec: OpSpec) -> SearchStrategy[tuple[float, ...]]:
    """A Hypothesis strategy for one tuple of inputs inside ``spec``'s domains.

    >>> from hypothesis import given
    >>> @given(op_inputs(OPS["log"]))
    ... def check(xs):
    ...     assert xs[0] > 0
    >>> check()
    """
    _require_hypothesis()
    from hypothesis import strategies as st

    def within(domain: Domain) -> SearchStrategy[float]:
        floats = st.floats(domain.low, domain.high, allow_nan=False, allow_infinity=False)
        return floats.filter(domain.contains)

    parts: Sequence[SearchStrategy[Any]] = [within(d) for d in spec.domains]
    return st.tuples(*parts)


def _formula(name: str, operands: tuple[int, ...]) -> str:
    """'a * b' with operands (3, 0) reads 'r3 * r0'; names without a and b read 'tanh(r2)'."""
    if re.search(r"\b[ab]\b", name):
        return re.sub(r"\b[ab]\b", lambda m: f"r{operands['ab'.index(m.group())]}", name)
    return f"{name}({', '.join(f'r{i}' for i in operands)})"


@dataclass(frozen=True)
class Expression:
    """A random program over ``OPS``: registers r0..r(n-1) hold the inputs, each step adds one register.

    Calling it with one Value per input builds the graph and returns the last
    register. Steps may reuse any earlier register, so fan-out and diamonds occur.

    >>> e = Expression(inputs=(0.5, 2.0), steps=(("a * b", (0, 1)), ("tanh", (2,)), ("a + b", (3, 0))))
    >>> e
    Expression(inputs=(0.5, 2.0): r2 = r0 * r1; r3 = tanh(r2); r4 = r3 + r0)
    >>> round(e(Value(0.5), Value(2.0)).data, 6)
    1.261594
    """

    inputs: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def __call__(self, *values: Value) -> Value:
        registers = list(values)
        for name, operands in self.steps:
            registers.append(OPS[name].build(*[registers[i] for i in operands]))
        return registers[-1]

    def __repr__(self) -> str:
        n = len(self.inputs)
        steps = "; ".join(f"r{n + k} = {_formula(name, operands)}" for k, (name, operands) in enumerate(self.steps))
        return f"Expression(inputs={self.inputs}: {steps})"


def expressions(max_inputs: int = 3, max_steps: int = 8) -> SearchStrategy[Expression]:
    """A Hypothesis strategy for random expression graphs whose every op sees inputs in its domain.

    Inputs are drawn from [-2, 2]; each step picks an op and operands among the
    earlier registers whose values lie in that op's domain, so no node is near a
    kink, a pole or an overflow, and finite differences are meaningful everywhere.

    >>> from hypothesis import given, settings
    >>> from micrograd_plus.check.values import gradcheck
    >>> @given(expressions())
    ... @settings(max_examples=20)
    ... def check(e):
    ...     assert gradcheck(e, e.inputs).ok
    >>> check()
    """
    _require_hypothesis()
    from hypothesis import strategies as st

    if max_inputs < 1 or max_steps < 1:
        raise ValueError(f"expressions needs max_inputs >= 1 and max_steps >= 1, got {max_inputs} and {max_steps}")
    specs = list(OPS.values())
    start = Domain(-2.0, 2.0, avoid=(0.0,))

    @st.composite
    def draw_expression(draw: Any) -> Expression:
        n = draw(st.integers(1, max_inputs))
        inputs = draw(st.lists(st.floats(-2.0, 2.0).filter(start.contains), min_size=n, max_size=n))
        values = list(inputs)
        steps = []
        for _ in range(draw(st.integers(1, max_steps))):
            usable = [
                (spec, [[i for i, v in enumerate(values) if d.contains(v)] for d in spec.domains]) for spec in specs
            ]
            usable = [(spec, regs) for spec, regs in usable if all(regs)]
            spec, registers = draw(st.sampled_from(usable))
            operands = tuple(draw(st.sampled_from(r)) for r in registers)
            values.append(spec.build(*[Value(values[i]) for i in operands]).data)
            steps.append((spec.name, operands))
        return Expression(tuple(inputs), tuple(steps))

    strategy: SearchStrategy[Expression] = draw_expression()
    return strategy
