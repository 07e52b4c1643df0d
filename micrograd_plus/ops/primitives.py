"""The op registry: every primitive defined once — its forward, its local derivatives, its domain.

(What an entry is made of, ``define_op`` and ``fn`` live in :mod:`micrograd_plus.ops.registry`; they are
available from here too.)

An ``Op`` holds what each part of the library needs to know about one primitive:

- ``forward(*xs)`` on floats, and ``check(where, *xs)``, which refuses inputs outside the domain;
- ``derivatives(*xs, out)``: d(out)/d(x_i) for each input, written **once** as ordinary arithmetic
  with math functions from :data:`fn`. The same rule runs on floats (the local derivatives a node
  records), on Values (gradients that can be differentiated again), on dual numbers (forward mode)
  and on :class:`Symbol` stand-ins, which turn it into source code (compiled replay) or formula text;
- how to show it: ``expression`` (how the result was computed) and ``formula`` (its derivative).

Any type other than a plain number takes part by having a classmethod ``apply_op(op, *args)``:
``fn.tanh(x)`` is ``math.tanh(x)`` for a float and ``type(x).apply_op(TANH, x)`` otherwise.

>>> TANH.forward(0.5) == math.tanh(0.5), TANH.local_grads((0.5,), math.tanh(0.5)) == (1 - math.tanh(0.5) ** 2,)
(True, True)
>>> code = TANH.derivatives(Symbol("x"), Symbol("t"))[0]
>>> code.code
'1.0 - t * t'
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from micrograd_plus.ops.registry import (
    FAMILIES,
    REGISTRY,
    Formula,
    Op,
    Symbol,
    Where,
    activation,
    define_op,
    fn,
    lookup,
    operand_text,
    register,
    text,
)

__all__ = [
    "FAMILIES",
    "REGISTRY",
    "Formula",
    "Op",
    "Symbol",
    "Where",
    "activation",
    "define_op",
    "fn",
    "leaky_relu",
    "lookup",
    "operand_text",
    "power",
    "recorded",
    "register",
    "step",
    "text",
]


def _operands(where: Where, n: int) -> str:
    return ", ".join(where(i) for i in range(n))


# -- domain checks: they name the bad value and the operand it came from -------------------


def _div_check(where: Where, x: float, y: float) -> None:
    if y == 0.0:
        raise ZeroDivisionError(f"division by zero: the divisor is 0.0 ({where(1)})")


def _pow_check(where: Where, x: float, y: float) -> None:
    if x < 0.0 or (x == 0.0 and y <= 0.0):
        raise ValueError(
            f"x ** y with a Value exponent needs x > 0 (or x = 0 with y > 0), since d/dy = x^y ln x; got x = {x}, "
            f"y = {y} ({_operands(where, 2)}); for a fixed exponent use a plain number: x ** {y}"
        )
    if x == 0.0 and y < 1.0:
        raise ValueError(f"d(x ** y)/dx is infinite at x = 0 for y = {y} < 1 ({where(0)}); keep x away from 0")


def _log_check(where: Where, x: float) -> None:
    if x <= 0.0:
        raise ValueError(f"log is undefined for x = {x} ({where(0)}); inputs must be > 0")


def _sqrt_check(where: Where, x: float) -> None:
    if x <= 0.0:
        reason = "its derivative is infinite at 0" if x == 0.0 else "inputs must be >= 0"
        raise ValueError(f"sqrt is undefined for x = {x} ({where(0)}); {reason}")


def _exp_check(where: Where, x: float) -> None:
    if x > 709.782712893384:
        raise OverflowError(f"exp({x}) overflows a float ({where(0)}); inputs must be below about 709.78")


def _open_interval(name: str, low: float, high: float) -> Callable[[Where, float], None]:
    def check(where: Where, x: float) -> None:
        if not low < x < high:
            raise ValueError(
                f"{name} is undefined for x = {x} ({where(0)}) as a differentiable op; inputs must lie in "
                f"({low:g}, {high:g}), where the derivative is finite"
            )

    return check


def _below(name: str, limit: float) -> Callable[[Where, float], None]:
    def check(where: Where, x: float) -> None:
        if abs(x) > limit:
            raise OverflowError(f"{name}({x}) overflows a float ({where(0)}); inputs must be within ±{limit:g}")

    return check


def _log1p_check(where: Where, x: float) -> None:
    if x <= -1.0:
        raise ValueError(f"log1p is undefined for x = {x} ({where(0)}); inputs must be > -1")


def _atan2_check(where: Where, y: float, x: float) -> None:
    if x == 0.0 and y == 0.0:
        raise ValueError(f"atan2 has no derivative at y = x = 0 ({_operands(where, 2)}); move the point off the origin")


def _xlogy_check(where: Where, a: float, b: float) -> None:
    if b <= 0.0:
        raise ValueError(
            f"a·ln b has no derivative at b = {b} ({where(1)}): d(x ** y)/dy at x = 0 is taken as 0, as PyTorch "
            "does, but that has no derivative of its own, so no second derivative through 0 ** y exists there"
        )


# -- forward functions that need more than one expression ----------------------------------


def _sigmoid(x: float) -> float:
    if x >= 0.0:  # two branches, so that e^(-x) and e^x never overflow
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + e^x) without overflow


def _logsumexp(*xs: float) -> float:
    m = max(xs)
    return m + math.log(sum([math.exp(x - m) for x in xs]))  # each term in (0, 1]: no overflow


def _dot(*ps: float) -> float:
    """Σ w_i x_i (+ b) over operands (w_1..w_n, x_1..x_n[, b])."""
    n = len(ps) // 2
    total: float = sum(map(operator.mul, ps[:n], ps[n : 2 * n]))
    return total + ps[-1] if len(ps) % 2 else total


def _dot_derivatives(*args: Any) -> tuple[Any, ...]:
    ps = args[:-1]  # the last argument is the result
    n = len(ps) // 2
    return (*ps[n : 2 * n], *ps[:n], *((1.0,) if len(ps) % 2 else ()))


def _dot_check(where: Where, *ps: float) -> None:
    if len(ps) < 2:
        raise ValueError(f"dot needs operands (w_1..w_n, x_1..x_n[, b]) with n >= 1, got {len(ps)} operand(s)")


# -- linear-time partial evaluation of n-ary ops (for the per-node check) ---------------------


def _sum_partial(xs: Sequence[float]) -> Callable[[int, float], float]:
    total = math.fsum(xs)
    return lambda j, t: (total - xs[j]) + t


def _mean_partial(xs: Sequence[float]) -> Callable[[int, float], float]:
    total, n = math.fsum(xs), len(xs)
    return lambda j, t: ((total - xs[j]) + t) / n


def _dot_partial(ps: Sequence[float]) -> Callable[[int, float], float]:
    n = len(ps) // 2
    total = math.fsum([ps[i] * ps[n + i] for i in range(n)] + ([ps[-1]] if len(ps) % 2 else []))

    def at(j: int, t: float) -> float:
        if j >= 2 * n:
            return (total - ps[j]) + t
        partner = ps[j + n] if j < n else ps[j - n]
        return (total - ps[j] * partner) + t * partner

    return at


def _logsumexp_partial(xs: Sequence[float]) -> Callable[[int, float], float]:
    m = max(xs)
    total = math.fsum([math.exp(x - m) for x in xs])
    return lambda j, t: m + math.log((total - math.exp(xs[j] - m)) + math.exp(t - m))


# -- derivative formulas for explanations -------------------------------------------------


def _relu_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    return f"{names[0]} = {f(xs[0])} > 0, so 1" if xs[0] > 0 else f"{names[0]} = {f(xs[0])} ≤ 0, so 0"


def _dot_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    n = len(xs) // 2
    if j >= 2 * n:
        return "1 (the bias)"
    return f"{names[j + n] if j < n else names[j - n]} = {f(xs[j + n] if j < n else xs[j - n])}"


def _lse_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    return f"softmax_{j} = e^({f(xs[j])} − {f(out)}) = {f(math.exp(xs[j] - out))}"


def _dot_expression(names: Sequence[str]) -> str:
    n = len(names) // 2
    terms = " + ".join(f"{w}·{x}" for w, x in zip(names[:n], names[n : 2 * n]))
    return terms + (f" + {names[-1]}" if len(names) % 2 else "")


# -- the built-in primitives ---------------------------------------------------------------

ADD = Op("+", float.__add__, lambda x, y, out: (1.0, 1.0), arity=2, expression="{0} + {1}", formula=("1", "1"),
         emit="({0} + {1})", kind="arithmetic")  # fmt: skip
SUB = Op("-", float.__sub__, lambda x, y, out: (1.0, -1.0), arity=2, expression="{0} - {1}", formula=("1", "-1"),
         emit="({0} - {1})", kind="arithmetic")  # fmt: skip
MUL = Op("*", float.__mul__, lambda x, y, out: (y, x), arity=2, expression="{0} * {1}",
         formula=("{n1} = {value}", "{n0} = {value}"), emit="({0} * {1})", kind="arithmetic")  # fmt: skip
DIV = Op("/", float.__truediv__, lambda x, y, out: (1.0 / y, -out / y), arity=2, check=_div_check,
         expression="{0} / {1}", formula=("1/{n1} = 1/{x1} = {value}", "−{n0}/{n1}² = -{b0}/{b1}² = {value}"),
         emit="({0} / {1})", kind="arithmetic")  # fmt: skip
POW = Op("**", lambda x, y: x**y, lambda x, y, out: (y * x ** (y - 1.0), fn.xlogy(out, x)),
         arity=2, check=_pow_check, expression="{0} ** {1}",
         formula=("{n1}·{n0}^({n1} − 1) = {x1}·{b0}^{y1m} = {value}", "{n0}^{n1}·ln {n0} = {out}·ln {x0} = {value}"),
         emit="({0} ** {1})", kind="arithmetic")  # fmt: skip
NEG = Op("neg", float.__neg__, lambda x, out: (-1.0,), expression="-{0}", formula=("-1",), emit="(-{0})",
         kind="arithmetic")  # fmt: skip
STEP_KINK = (0.0,)
SIGN = Op("sign", lambda x: 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0, lambda x, out: (0.0,), kinks=STEP_KINK,
          emit="(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0)", kind="helper")  # fmt: skip
ABS = Op("abs", abs, lambda x, out: (fn.sign(x),), kinks=STEP_KINK, formula=("sign({n0}) = sign({x0}) = {value}",),
         emit="abs({0})")  # fmt: skip
EXP = Op("exp", math.exp, lambda x, out: (out,), check=_exp_check, formula=("e^{n0} = e^{x0} = {value}",))
LOG = Op("log", math.log, lambda x, out: (1.0 / x,), check=_log_check, formula=("1/{n0} = 1/{x0} = {value}",))
SQRT = Op("sqrt", math.sqrt, lambda x, out: (0.5 / out,), check=_sqrt_check,
          formula=("1/(2√{n0}) = 1/(2·{out}) = {value}",))  # fmt: skip
TANH = Op("tanh", math.tanh, lambda x, out: (1.0 - out * out,), formula=("1 − tanh({n0})² = 1 − {bout}² = {value}",),
          kind="activation")  # fmt: skip
SIGMOID = Op("sigmoid", _sigmoid, lambda x, out: (out * (1.0 - out),),
             formula=("σ({n0})·(1 − σ({n0})) = {out}·(1 − {out}) = {value}",), kind="activation")  # fmt: skip
SIN = Op("sin", math.sin, lambda x, out: (fn.cos(x),), formula=("cos {n0} = cos({x0}) = {value}",))
COS = Op("cos", math.cos, lambda x, out: (-fn.sin(x),), formula=("−sin {n0} = −sin({x0}) = {value}",))
TAN = Op("tan", math.tan, lambda x, out: (1.0 + out * out,),
         formula=("1 + tan({n0})² = 1 + {bout}² = {value}",))  # fmt: skip
ARCSIN = Op("arcsin", math.asin, lambda x, out: (1.0 / fn.sqrt(1.0 - x * x),), check=_open_interval("arcsin", -1, 1),
            formula=("1/√(1 − {n0}²) = 1/√(1 − {b0}²) = {value}",))  # fmt: skip
ARCCOS = Op("arccos", math.acos, lambda x, out: (-1.0 / fn.sqrt(1.0 - x * x),), check=_open_interval("arccos", -1, 1),
            formula=("−1/√(1 − {n0}²) = −1/√(1 − {b0}²) = {value}",))  # fmt: skip
ARCTAN = Op("arctan", math.atan, lambda x, out: (1.0 / (1.0 + x * x),),
            formula=("1/(1 + {n0}²) = 1/(1 + {b0}²) = {value}",))  # fmt: skip
SINH = Op("sinh", math.sinh, lambda x, out: (fn.cosh(x),), check=_below("sinh", 710.0),
          formula=("cosh {n0} = cosh({x0}) = {value}",))  # fmt: skip
COSH = Op("cosh", math.cosh, lambda x, out: (fn.sinh(x),), check=_below("cosh", 710.0),
          formula=("sinh {n0} = sinh({x0}) = {value}",))  # fmt: skip
LOG1P = Op("log1p", math.log1p, lambda x, out: (1.0 / (1.0 + x),), check=_log1p_check,
           formula=("1/(1 + {n0}) = 1/(1 + {x0}) = {value}",))  # fmt: skip
EXPM1 = Op("expm1", math.expm1, lambda x, out: (out + 1.0,), check=_exp_check,
           formula=("e^{n0} = e^{x0} = {value}",))  # fmt: skip
SOFTPLUS = Op("softplus", _softplus, lambda x, out: (fn.sigmoid(x),), formula=("σ({n0}) = σ({x0}) = {value}",),
              kind="activation")  # fmt: skip
RELU = Op("relu", lambda x: x if x > 0.0 else 0.0, lambda x, out: (fn.step(x),), kinks=STEP_KINK,
          formula=_relu_formula, emit="({0} if {0} > 0.0 else 0.0)", kind="activation")  # fmt: skip
ATAN2 = Op("atan2", math.atan2, lambda y, x, out: (x / (x * x + y * y), -y / (x * x + y * y)), arity=2,
           check=_atan2_check, formula=("{n1}/({n1}² + {n0}²) = {x1}/({b1}² + {b0}²) = {value}",
                                        "−{n0}/({n1}² + {n0}²) = −{b0}/({b1}² + {b0}²) = {value}"))  # fmt: skip
SUM = Op("sum", lambda *xs: sum(xs), lambda *args: (1.0,) * (len(args) - 1), arity=None, formula=lambda *a: "1",
         emit=lambda codes: f"sum(({', '.join(codes)},))", partial=_sum_partial, kind="reduction")  # fmt: skip
MEAN = Op("mean", lambda *xs: sum(xs) / len(xs), lambda *args: (1.0 / (len(args) - 1),) * (len(args) - 1),
          arity=None, formula=lambda xs, out, j, names, f: f"1/n = 1/{len(xs)} = {f(1.0 / len(xs))}",
          partial=_mean_partial, kind="reduction")  # fmt: skip
DOT = Op("dot", _dot, _dot_derivatives, arity=None, check=_dot_check, expression=_dot_expression, formula=_dot_formula,
         partial=_dot_partial, kind="reduction")  # fmt: skip
LOGSUMEXP = Op("logsumexp", _logsumexp, lambda *args: tuple(fn.exp(x - args[-1]) for x in args[:-1]), arity=None,
               formula=_lse_formula, partial=_logsumexp_partial, kind="reduction")  # fmt: skip
XLOGY = Op("xlogy", lambda a, b: 0.0 if a == 0.0 else a * math.log(b), lambda a, b, out: (fn.log(b), a / b), arity=2,
           check=_xlogy_check, emit="(0.0 if {0} == 0.0 else {0} * log({1}))", kind="helper")  # fmt: skip


# -- families: one entry per parameter value, the parameter kept as data ---------------------

_FAMILY: dict[tuple[str, Any], Op] = {}


def power(n: Any) -> Op:
    """x ** n for a fixed number n; d/dx = n x^(n-1). The op's name shows n as written: ``'**3'``."""
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise TypeError(f"expected a Value, int or float exponent, got {type(n).__name__} {n!r}")
    if not math.isfinite(n):
        raise ValueError(f"the exponent must be a finite number, got {n!r}; x ** inf and x ** nan have no derivative")
    key = ("**", repr(n))
    if key not in _FAMILY:
        k = float(n)

        def check(where: Where, x: float) -> None:
            if x == 0.0 and k < 0.0:
                raise ZeroDivisionError(f"0 ** {k} is undefined ({where(0)}); a negative power needs x != 0")
            if x < 0.0 and not k.is_integer():
                raise ValueError(
                    f"{x} ** {k} is not a real number ({where(0)}); a negative base needs an integer exponent"
                )
            if x == 0.0 and 0.0 < k < 1.0:
                raise ValueError(f"d(x ** {k})/dx is infinite at x = 0 ({where(0)}); keep x away from 0")
            if x != 0.0 and k * math.log(abs(x)) > 709.78:
                raise OverflowError(f"{x} ** {k} overflowed ({where(0)}); rescale the inputs")

        _FAMILY[key] = Op(
            f"**{n!r}",
            lambda x: x**k,
            lambda x, out: (0.0,) if k == 0.0 else (k * x ** (k - 1.0),),
            check=check,
            expression="{0} ** " + repr(n),
            formula=("{p}·{n0}^{p1} = {p}·{b0}^{p1} = {value}",),
            emit="({0} ** " + repr(k) + ")",
            kind="arithmetic",
            param=k,
            family=power,
        )
    return _FAMILY[key]


def leaky_relu(slope: Any = 0.01) -> Op:
    """x for x > 0, slope·x otherwise; the derivative at 0 is taken as the slope."""
    if isinstance(slope, bool) or not isinstance(slope, (int, float)) or not math.isfinite(slope):
        raise TypeError(f"leaky_relu needs a finite number as its slope, got {type(slope).__name__} {slope!r}")
    key = ("leaky_relu", repr(slope))
    if key not in _FAMILY:
        a = float(slope)

        def formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
            return (
                f"{names[0]} = {f(xs[0])} > 0, so 1"
                if xs[0] > 0
                else f"{names[0]} = {f(xs[0])} ≤ 0, so the slope {f(a)}"
            )

        _FAMILY[key] = Op(
            f"leaky_relu({slope!r})",
            lambda x: x if x > 0.0 else a * x,
            lambda x, out: (fn.step(x, 1.0, a),),
            kinks=STEP_KINK,
            formula=formula,
            emit="({0} if {0} > 0.0 else " + repr(a) + " * {0})",
            kind="activation",
            param=a,
            family=leaky_relu,
        )
    return _FAMILY[key]


def step(above: float = 1.0, below: float = 0.0) -> Op:
    """``above`` for x > 0, else ``below``: the derivative of relu-like ops (itself of derivative 0)."""
    key = ("step", (float(above), float(below)))
    if key not in _FAMILY:
        hi, lo = float(above), float(below)
        _FAMILY[key] = Op(
            "step",
            lambda x: hi if x > 0.0 else lo,
            lambda x, out: (0.0,),
            kinks=STEP_KINK,
            emit="(" + repr(hi) + " if {0} > 0.0 else " + repr(lo) + ")",
            kind="helper",
            param=(hi, lo),
            family=step,
        )
    return _FAMILY[key]


def recorded(name: str) -> Op:
    """The op of a node made with ``Value.from_op``: a name and the float local derivatives it recorded."""
    key = ("recorded", name)
    if key not in _FAMILY:
        _FAMILY[key] = Op(name, None, None, arity=None, kind="recorded", builtin=False)
    return _FAMILY[key]


# -- registering them --------------------------------------------------------------------

for _op in (ADD, SUB, MUL, DIV, POW, NEG, SIGN, ABS, EXP, LOG, SQRT, RELU, leaky_relu(0.01), TANH, SIGMOID, SOFTPLUS,
            SIN, COS, TAN, ARCSIN, ARCCOS, ARCTAN, SINH, COSH, LOG1P, EXPM1, ATAN2, SUM, MEAN, DOT, LOGSUMEXP,
            XLOGY):  # fmt: skip
    REGISTRY[_op.name.partition("(")[0]] = register(_op)  # a family (leaky_relu) under its plain name
REGISTRY.pop("leaky_relu(0.01)")
FAMILIES.update(power=power, leaky_relu=leaky_relu, step=step)
