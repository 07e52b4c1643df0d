"""The table of built-in primitives: each op's forward, local derivatives and domain, defined once.

(What an entry is made of, ``define_op`` and ``fn`` live in :mod:`micrograd_plus.ops.registry`; how each op
is shown, in :mod:`micrograd_plus.ops.display`.)

An ``Op`` holds the math each part of the library needs to know about one primitive:

- ``forward(*xs)`` on floats, and ``check(where, *xs)``, which refuses inputs where the op is undefined;
- ``grad_check(where, needed, *xs)``, which refuses inputs where a needed derivative is infinite or undefined
  (``sqrt`` is defined at 0, its derivative is not);
- ``derivatives(*xs, out)``: d(out)/d(x_i) for each input, written **once** as ordinary arithmetic
  with math functions from ``fn``. The same rule runs on floats (the local derivatives a node
  records), on Values (gradients that can be differentiated again), on dual numbers (forward mode)
  and on ``Symbol`` stand-ins, which turn it into source code (compiled replay) or formula text.

A family of ops (``x ** n`` for a number n, ``leaky_relu(slope)``, the ``step`` of relu-like derivatives,
the ops of ``Value.from_op``) has one entry per parameter, made on demand from shared functions with the
parameter as data, and kept in a small cache: nodes hold their entry, nothing else holds it for ever.

>>> TANH.forward(0.5) == math.tanh(0.5), TANH.local_grads((0.5,), math.tanh(0.5)) == (1 - math.tanh(0.5) ** 2,)
(True, True)
>>> from micrograd_plus.ops.symbols import Symbol
>>> TANH.derivatives(Symbol("x"), Symbol("t"))[0].code
'1.0 - t * t'
>>> power(3).name, power(3).param, power(3) is power(3)
('**3', 3.0, True)
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from micrograd_plus._validate import as_number, check_real, is_real, is_whole, shown
from micrograd_plus.ops.registry import BUILTINS, FAMILIES, REGISTRY, EachOperand, Op, Where, fn, register

__all__ = ["ABS", "ADD", "ARCCOS", "ARCSIN", "ARCTAN", "ATAN2", "COS", "COSH", "DIV", "DOT", "EXP", "EXPM1",
           "FAMILY_CACHE", "LOG", "LOG1P", "LOGSUMEXP", "MAX", "MEAN", "MUL", "NEG", "POW", "RELU", "SIGMOID", "SIGN",
           "SIN", "SINH", "SOFTPLUS", "SQRT", "STEP_KINK", "SUB", "SUM", "TAN", "TANH", "XLOGY", "leaky_relu", "power",
           "recorded", "step"]  # fmt: skip


def _operands(where: Where, n: int) -> str:
    return ", ".join(where(i) for i in range(n))


def _infinite(what: str, x: float, where: Where, fix: str) -> ValueError:
    """The error of a point where the op is defined but its derivative is not finite."""
    return ValueError(f"the derivative {what} is infinite at x = {x} ({where(0)}); {fix}")


# -- domain checks: they name the bad value and the operand it came from -------------------


def _div_check(where: Where, x: float, y: float) -> None:
    if y == 0.0:
        raise ZeroDivisionError(f"division by zero: the divisor is 0.0 ({where(1)})")


def _pow_refusal(where: Where, x: float, y: float) -> ValueError:
    return ValueError(
        f"x ** y with a Value exponent needs x > 0 (or x = 0 with y > 0), since d/dy = x^y ln x; got x = {x}, "
        f"y = {y} ({_operands(where, 2)}); for a fixed exponent use a plain number: x ** {y}"
    )


def _pow_check(where: Where, x: float, y: float) -> None:
    if (x == 0.0 and y < 0.0) or (x < 0.0 and not y.is_integer()):  # 0 ** -1 and (-2) ** 0.5: no real number
        raise _pow_refusal(where, x, y)


def _pow_grad_check(where: Where, needed: Sequence[bool], x: float, y: float) -> None:
    # d/dy = x^y ln x needs x > 0, or x = 0 with y > 0 (0 ** y is 0 for every y > 0, so d/dy = 0, as PyTorch
    # gives); at x = 0, y = 0 it jumps from 1 to 0 and has no derivative
    if needed[1] and (x < 0.0 or (x == 0.0 and y <= 0.0)):
        raise _pow_refusal(where, x, y)
    if needed[0] and x == 0.0 and y < 1.0:
        raise ValueError(
            f"the derivative d(x ** y)/dx is infinite at x = 0 for y = {y} < 1 ({where(0)}); keep x away from 0"
        )


def _log_check(where: Where, x: float) -> None:
    if x <= 0.0:
        raise ValueError(f"log is undefined for x = {x} ({where(0)}); inputs must be > 0")


def _sqrt_check(where: Where, x: float) -> None:
    if x < 0.0:
        raise ValueError(f"sqrt is undefined for x = {x} ({where(0)}); inputs must be >= 0")


def _sqrt_grad_check(where: Where, needed: Sequence[bool], x: float) -> None:
    if x == 0.0:
        raise _infinite("of sqrt, 1/(2√x),", x, where, "keep x > 0")


def _exp_check(where: Where, x: float) -> None:
    if x > 709.782712893384:
        raise OverflowError(f"exp({x}) overflows a float ({where(0)}); inputs must be below about 709.78")


def _arc_check(name: str) -> Callable[[Where, float], None]:
    def check(where: Where, x: float) -> None:
        if not -1.0 <= x <= 1.0:
            raise ValueError(f"{name} is undefined for x = {x} ({where(0)}); inputs must lie in [-1, 1]")

    return check


def _arc_grad_check(name: str) -> Callable[..., None]:
    def check(where: Where, needed: Sequence[bool], x: float) -> None:
        if x in (-1.0, 1.0):
            raise _infinite(f"of {name}, ±1/√(1 − x²),", x, where, "inputs must lie in (-1, 1)")

    return check


def _below(name: str, limit: float) -> Callable[[Where, float], None]:
    def check(where: Where, x: float) -> None:
        if abs(x) > limit:
            raise OverflowError(f"{name}({x}) overflows a float ({where(0)}); inputs must be within ±{limit:g}")

    return check


def _log1p_check(where: Where, x: float) -> None:
    if x <= -1.0:  # log1p(-1) is -inf: the op itself has no value there
        raise ValueError(f"log1p is undefined for x = {x} ({where(0)}); inputs must be > -1")


def _atan2_grad_check(where: Where, needed: Sequence[bool], y: float, x: float) -> None:
    if x == 0.0 and y == 0.0:
        raise ValueError(f"atan2 has no derivative at y = x = 0 ({_operands(where, 2)}); move the point off the origin")


def _xlogy_check(where: Where, a: float, b: float) -> None:
    if b <= 0.0 and a != 0.0:
        raise ValueError(f"a·ln b is undefined for b = {b} ({where(1)}) with a = {a} ({where(0)}); b must be > 0")


def _xlogy_grad_check(where: Where, needed: Sequence[bool], a: float, b: float) -> None:
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


def _max_derivatives(*args: Any) -> tuple[Any, ...]:
    """d(max)/dx_i: 1 for the first largest operand (the winner max pooling keeps, as PyTorch), 0 for the rest."""
    xs = args[:-1]
    winner = max(range(len(xs)), key=xs.__getitem__)  # compares: so every replay calls this rule on its numbers
    return tuple(1.0 if i == winner else 0.0 for i in range(len(xs)))


def _dot_check(where: Where, *ps: float) -> None:
    if not ps:  # n = 0 with a bias is a conv position that lies entirely on the padding: just b
        raise ValueError("dot needs operands (w_1..w_n, x_1..x_n[, b]), got none")


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


# -- the built-in primitives ---------------------------------------------------------------

ADD = Op("+", float.__add__, lambda x, y, out: (1.0, 1.0), arity=2, kind="arithmetic")
SUB = Op("-", float.__sub__, lambda x, y, out: (1.0, -1.0), arity=2, kind="arithmetic")
MUL = Op("*", float.__mul__, lambda x, y, out: (y, x), arity=2, kind="arithmetic")
DIV = Op("/", float.__truediv__, lambda x, y, out: (1.0 / y, -out / y), arity=2, check=_div_check, kind="arithmetic")
POW = Op("**", lambda x, y: x**y, EachOperand(lambda x, y, out: y * x ** (y - 1.0), lambda x, y, out: fn.xlogy(out, x)),
         arity=2, check=_pow_check, grad_check=_pow_grad_check, kind="arithmetic")  # fmt: skip
NEG = Op("neg", float.__neg__, lambda x, out: (-1.0,), kind="arithmetic")
STEP_KINK = (0.0,)
SIGN = Op("sign", lambda x: 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0, lambda x, out: (0.0,), kinks=STEP_KINK,
          kind="helper")  # fmt: skip
ABS = Op("abs", abs, lambda x, out: (fn.sign(x),), kinks=STEP_KINK)
EXP = Op("exp", math.exp, lambda x, out: (out,), check=_exp_check)
LOG = Op("log", math.log, lambda x, out: (1.0 / x,), check=_log_check)
SQRT = Op("sqrt", math.sqrt, lambda x, out: (0.5 / out,), check=_sqrt_check, grad_check=_sqrt_grad_check)
TANH = Op("tanh", math.tanh, lambda x, out: (1.0 - out * out,), kind="activation")
SIGMOID = Op("sigmoid", _sigmoid, lambda x, out: (out * (1.0 - out),), kind="activation")
SIN = Op("sin", math.sin, lambda x, out: (fn.cos(x),))
COS = Op("cos", math.cos, lambda x, out: (-fn.sin(x),))
TAN = Op("tan", math.tan, lambda x, out: (1.0 + out * out,))
ARCSIN = Op("arcsin", math.asin, lambda x, out: (1.0 / fn.sqrt(1.0 - x * x),), check=_arc_check("arcsin"),
            grad_check=_arc_grad_check("arcsin"))  # fmt: skip
ARCCOS = Op("arccos", math.acos, lambda x, out: (-1.0 / fn.sqrt(1.0 - x * x),), check=_arc_check("arccos"),
            grad_check=_arc_grad_check("arccos"))  # fmt: skip
ARCTAN = Op("arctan", math.atan, lambda x, out: (1.0 / (1.0 + x * x),))
SINH = Op("sinh", math.sinh, lambda x, out: (fn.cosh(x),), check=_below("sinh", 710.0))
COSH = Op("cosh", math.cosh, lambda x, out: (fn.sinh(x),), check=_below("cosh", 710.0))
LOG1P = Op("log1p", math.log1p, lambda x, out: (1.0 / (1.0 + x),), check=_log1p_check)
EXPM1 = Op("expm1", math.expm1, lambda x, out: (out + 1.0,), check=_exp_check)
SOFTPLUS = Op("softplus", _softplus, lambda x, out: (fn.sigmoid(x),), kind="activation")
RELU = Op("relu", lambda x: x if x > 0.0 else 0.0, lambda x, out: (fn.step(x),), kinks=STEP_KINK, kind="activation")
ATAN2 = Op("atan2", math.atan2, lambda y, x, out: (x / (x * x + y * y), -y / (x * x + y * y)), arity=2,
           grad_check=_atan2_grad_check)  # fmt: skip
SUM = Op("sum", lambda *xs: sum(xs), lambda *args: (1.0,) * (len(args) - 1), arity=None, partial=_sum_partial,
         kind="reduction")  # fmt: skip
MEAN = Op("mean", lambda *xs: sum(xs) / len(xs), lambda *args: (1.0 / (len(args) - 1),) * (len(args) - 1),
          arity=None, partial=_mean_partial, kind="reduction")  # fmt: skip
MAX = Op("max", lambda *xs: max(xs), _max_derivatives, arity=None, kind="reduction")
DOT = Op("dot", _dot, _dot_derivatives, arity=None, check=_dot_check, partial=_dot_partial, kind="reduction")
LOGSUMEXP = Op("logsumexp", _logsumexp, lambda *args: tuple(fn.exp(x - args[-1]) for x in args[:-1]), arity=None,
               partial=_logsumexp_partial, kind="reduction")  # fmt: skip
XLOGY = Op("xlogy", lambda a, b: 0.0 if a == 0.0 else a * math.log(b), EachOperand(lambda a, b, out: fn.log(b),
           lambda a, b, out: a / b), arity=2, check=_xlogy_check, grad_check=_xlogy_grad_check,
           kind="helper")  # fmt: skip


# -- families: one entry per parameter, made from shared functions with the parameter as data ---------------

FAMILY_CACHE = 256  # entries kept per family; an evicted entry lives on in the nodes that hold it


def _power_forward(k: float, x: float) -> float:
    result: float = x**k
    return result


def _power_derivatives(k: float, x: Any, out: Any) -> tuple[Any]:
    return (0.0,) if k == 0.0 else (k * x ** (k - 1.0),)  # d(x ** n)/dx = n x^(n-1)


def _power_check(k: float, where: Where, x: float) -> None:
    if x == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"0 ** {k} is undefined ({where(0)}); a negative power needs x != 0")
    if x < 0.0 and not k.is_integer():
        raise ValueError(f"{x} ** {k} is not a real number ({where(0)}); a negative base needs an integer exponent")
    if x != 0.0 and k * math.log(abs(x)) > 709.78:
        raise OverflowError(f"{x} ** {k} overflowed ({where(0)}); rescale the inputs")


def _power_grad_check(k: float, where: Where, needed: Sequence[bool], x: float) -> None:
    if x == 0.0 and 0.0 < k < 1.0:
        raise _infinite(f"d(x ** {k})/dx", x, where, "keep x away from 0")


def power(n: Any) -> Op:
    """x ** n for a fixed number n; d/dx = n x^(n-1). The op's name shows n as written: ``'**3'``."""
    if type(n) is not int and type(n) is not float:  # NumPy numbers count, as plain ints or floats
        if not is_real(n):
            raise TypeError(f"the exponent must be a number or a Value, got {shown(n)}")
        n = int(as_number(n)) if is_whole(n) else float(as_number(n))  # type: ignore[call-overload, arg-type]
    try:
        k = float(n)
    except OverflowError:
        raise ValueError(f"the exponent must be a finite number, got an int of {n.bit_length()} bits") from None
    if not math.isfinite(k):
        raise ValueError(f"the exponent must be a finite number, got {n!r}; x ** inf and x ** nan have no derivative")
    return _power(n)


@functools.lru_cache(maxsize=FAMILY_CACHE, typed=True)  # typed: 3 and 3.0 are named '**3' and '**3.0'
def _power(n: float) -> Op:
    k = float(n)
    return Op(f"**{n!r}", functools.partial(_power_forward, k), functools.partial(_power_derivatives, k),
              check=functools.partial(_power_check, k), grad_check=functools.partial(_power_grad_check, k),
              kind="arithmetic", param=k, family=power)  # fmt: skip


def _leaky_forward(a: float, x: float) -> float:
    return x if x > 0.0 else a * x


def _leaky_derivatives(a: float, x: Any, out: Any) -> tuple[Any]:
    return (fn.step(x, 1.0, a),)


def leaky_relu(slope: Any = 0.01) -> Op:
    """x for x > 0, slope·x otherwise; the derivative at 0 is taken as the slope."""
    if not is_real(slope) or not math.isfinite(float(as_number(slope))):  # type: ignore[arg-type]
        raise TypeError(f"leaky_relu needs a finite number as its slope, got {shown(slope)}")
    return _leaky_relu(float(as_number(slope)))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=FAMILY_CACHE)
def _leaky_relu(a: float) -> Op:
    return Op(f"leaky_relu({a!r})", functools.partial(_leaky_forward, a), functools.partial(_leaky_derivatives, a),
              kinks=STEP_KINK, kind="activation", param=a, family=leaky_relu)  # fmt: skip


def _step_forward(hi: float, lo: float, x: float) -> float:
    return hi if x > 0.0 else lo


def _step_derivatives(x: Any, out: Any) -> tuple[float]:
    return (0.0,)


def step(above: float = 1.0, below: float = 0.0) -> Op:
    """``above`` for x > 0, else ``below``: the derivative of relu-like ops (itself of derivative 0)."""
    if type(above) is not float or type(below) is not float:  # rules pass floats; anything else is checked
        above, below = check_real("step's value above 0", above), check_real("step's value below 0", below)
    return _step(above, below)


@functools.lru_cache(maxsize=FAMILY_CACHE)
def _step(hi: float, lo: float) -> Op:
    return Op("step", functools.partial(_step_forward, hi, lo), _step_derivatives, kinks=STEP_KINK, kind="helper",
              param=(hi, lo), family=step)  # fmt: skip


@functools.lru_cache(maxsize=FAMILY_CACHE)
def recorded(name: str) -> Op:
    """The op of a node made with ``Value.from_op``: a name and the float local derivatives it recorded."""
    return Op(name, None, None, arity=None, kind="recorded", builtin=False)


# -- registering them --------------------------------------------------------------------

for _op in (ADD, SUB, MUL, DIV, POW, NEG, SIGN, ABS, EXP, LOG, SQRT, RELU, leaky_relu(0.01), TANH, SIGMOID, SOFTPLUS,
            SIN, COS, TAN, ARCSIN, ARCCOS, ARCTAN, SINH, COSH, LOG1P, EXPM1, ATAN2, SUM, MEAN, DOT, LOGSUMEXP,
            XLOGY):  # fmt: skip
    _name = _op.name.partition("(")[0]  # a family (leaky_relu) under its plain name
    BUILTINS[_name] = REGISTRY[_name] = _op if _name != _op.name else register(_op)
FAMILIES.update(power=power, leaky_relu=leaky_relu, step=step)
