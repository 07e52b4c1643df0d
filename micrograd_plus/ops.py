"""The op registry: every primitive defined once — its forward, its local derivatives, its domain.

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

import inspect
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "REGISTRY",
    "Op",
    "activation",
    "Symbol",
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

fn: Functions  # the namespace rules are written with, made below once every op exists

Where = Callable[[int], str]  # operand index -> how to name it in a message ("node 'h3'")
Formula = Callable[[Sequence[float], float, int, Sequence[str], Callable[[float], str]], str]


def _operands(where: Where, n: int) -> str:
    return ", ".join(where(i) for i in range(n))


class Op:
    """One primitive: name, arity (``None`` for any number of operands), forward, derivatives and display."""

    def __init__(
        self,
        name: str,
        forward: Callable[..., float] | None,
        derivatives: Callable[..., Sequence[Any]] | None,
        *,
        arity: int | None = 1,
        check: Callable[..., None] | None = None,
        expression: str | Callable[[Sequence[str]], str] | None = None,
        formula: Sequence[str] | Formula | None = None,
        emit: str | Callable[[Sequence[str]], str] | None = None,
        kinks: tuple[float, ...] = (),
        partial: Callable[[Sequence[float]], Callable[[int, float], float]] | None = None,
        kind: str = "function",
        param: Any = None,
        builtin: bool = True,
    ) -> None:
        self.name, self.forward, self.derivatives, self.arity = name, forward, derivatives, arity
        self.check, self.expression, self.formula, self.emit = check, expression, formula, emit
        self.kinks, self.partial, self.kind, self.param, self.builtin = kinks, partial, kind, param, builtin

    def __repr__(self) -> str:
        return f"<op {self.name!r}>"

    @property
    def recorded(self) -> bool:
        """True for a node made with ``Value.from_op``: its float local derivatives are all that is known."""
        return self.derivatives is None

    def accepts(self, n: int) -> bool:
        return n >= 1 if self.arity is None else n == self.arity

    def evaluate(self, *xs: float, where: Where | None = None) -> float:
        """The op on floats, after its domain check: what a node's ``data`` is."""
        if self.forward is None:
            raise ValueError(f"op {self.name!r} was recorded with Value.from_op and has no forward function")
        where = where or (lambda i: f"operand {i}")
        if self.check is not None:
            self.check(where, *xs)
        try:
            out = float(self.forward(*xs))
        except OverflowError:
            out = math.inf
        if out - out != 0.0:  # inf or nan
            raise OverflowError(f"{self.name!r} overflowed to {out} for inputs {_shown(xs, where)}; rescale the inputs")
        return out

    def local_grads(self, xs: Sequence[float], out: float, where: Where | None = None) -> tuple[float, ...]:
        """The derivative rule on floats, checked: one finite number per input."""
        if self.derivatives is None:
            raise ValueError(f"op {self.name!r} was recorded with Value.from_op and has no derivative rule")
        where = where or (lambda i: f"operand {i}")
        try:
            found = tuple(self.derivatives(*xs, out))
        except OverflowError:
            raise OverflowError(
                f"the derivative of {self.name!r} overflows a float at inputs {_shown(xs, where)}; "
                "keep the inputs inside the op's domain, or rescale them"
            ) from None
        except (ArithmeticError, ValueError, TypeError) as error:
            raise ValueError(
                f"the derivatives of {self.name!r} failed at inputs {_shown(xs, where)}: {error}"
            ) from error
        if len(found) != len(xs):
            raise ValueError(
                f"the derivatives of {self.name!r} must return one number per input: got {len(found)} "
                f"for {len(xs)} inputs {_shown(xs, where)}"
            )
        if not all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in found):
            raise TypeError(f"the derivatives of {self.name!r} must be numbers, got {found!r}")
        grads = tuple(map(float, found))
        for g in grads:
            if g - g != 0.0:  # inf or nan
                raise OverflowError(
                    f"the derivative of {self.name!r} is {g} at inputs {_shown(xs, where)}; "
                    "a local derivative must be finite: keep the inputs inside the op's domain, or rescale them"
                )
        return grads


def _shown(xs: Sequence[float], where: Where) -> str:
    return ", ".join(f"{x!r} ({where(i)})" for i, x in enumerate(xs))


# -- the namespace rules are written in ---------------------------------------------------


def _dispatch(op: Op) -> Callable[..., Any]:
    """``op`` as a function: floats in, float out; any other operand type decides through ``apply_op``."""
    forward = op.forward
    if forward is None:
        raise ValueError(f"op {op.name!r} has no forward function to call")

    def function(*args: Any) -> Any:
        for a in args:
            if not isinstance(a, (int, float)):
                return type(a).apply_op(op, *args)
        return forward(*args)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = f"{op.name} on floats, Values, dual numbers or symbols"
    return function


class Symbol:
    """A stand-in operand: arithmetic and ``fn`` calls on it build text (source code or a formula).

    ``call(op, codes)`` renders an op applied to operand texts; the compiler passes its own, which
    names functions in the generated program's namespace. Parentheses are written where Python's
    precedence needs them, so the text evaluates in exactly the order the rule does.
    """

    __slots__ = ("call", "code", "precedence")

    def __init__(self, code: str, call: Callable[[Op, Sequence[str]], str] | None = None, precedence: int = 9) -> None:
        self.code, self.call, self.precedence = code, call or _call_by_name, precedence

    @classmethod
    def apply_op(cls, op: Op, *args: Any) -> Symbol:
        symbols = [a for a in args if isinstance(a, Symbol)]
        call = symbols[0].call
        return Symbol(call(op, [text(a) for a in args]), call)

    def _infix(self, sign: str, precedence: int, other: Any, reflected: bool = False) -> Symbol:
        left, right = (other, self) if reflected else (self, other)
        # a left operand of equal precedence needs no parentheses ((a - b) - c), a right one does (a - (b - c))
        code = f"{operand_text(left, precedence)} {sign} {operand_text(right, precedence + 1)}"
        return Symbol(code, self.call, precedence)

    def __add__(self, o: Any) -> Symbol:
        return self._infix("+", 1, o)

    def __radd__(self, o: Any) -> Symbol:
        return self._infix("+", 1, o, True)

    def __sub__(self, o: Any) -> Symbol:
        return self._infix("-", 1, o)

    def __rsub__(self, o: Any) -> Symbol:
        return self._infix("-", 1, o, True)

    def __mul__(self, o: Any) -> Symbol:
        return self._infix("*", 2, o)

    def __rmul__(self, o: Any) -> Symbol:
        return self._infix("*", 2, o, True)

    def __truediv__(self, o: Any) -> Symbol:
        return self._infix("/", 2, o)

    def __rtruediv__(self, o: Any) -> Symbol:
        return self._infix("/", 2, o, True)

    def __pow__(self, o: Any) -> Symbol:  # ** binds right to left: both operands in parentheses unless atoms
        return Symbol(f"{operand_text(self, 9)} ** {operand_text(o, 9)}", self.call, 4)

    def __rpow__(self, o: Any) -> Symbol:
        return Symbol(f"{operand_text(o, 9)} ** {operand_text(self, 9)}", self.call, 4)

    def __neg__(self) -> Symbol:
        return Symbol(f"-{operand_text(self, 9)}", self.call, 3)

    def __abs__(self) -> Symbol:
        return Symbol.apply_op(ABS, self)


def operand_text(x: Any, needed: int) -> str:
    """An operand's text, in parentheses when its own precedence is below ``needed``."""
    code = text(x)
    precedence = x.precedence if isinstance(x, Symbol) else (3 if code.startswith("-") else 9)
    return code if precedence >= needed else f"({code})"


def text(x: Any) -> str:
    """The text of an operand of a traced rule: a Symbol's code, or a plain number's repr."""
    if isinstance(x, Symbol):
        return x.code
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise TypeError(f"a traced rule may combine only Symbols and finite numbers, got {type(x).__name__} {x!r}")
    return repr(x) if isinstance(x, int) else repr(float(x))


def _call_by_name(op: Op, codes: Sequence[str]) -> str:
    if isinstance(op.emit, str):
        return op.emit.format(*codes)
    if op.emit is not None:
        return op.emit(codes)
    return f"{op.name}({', '.join(codes)})"


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
        )
    return _FAMILY[key]


def recorded(name: str) -> Op:
    """The op of a node made with ``Value.from_op``: a name and the float local derivatives it recorded."""
    key = ("recorded", name)
    if key not in _FAMILY:
        _FAMILY[key] = Op(name, None, None, arity=None, kind="recorded", builtin=False)
    return _FAMILY[key]


# -- the registry ------------------------------------------------------------------------

REGISTRY: dict[str, Op] = {}


def register(op: Op, replace: bool = False) -> Op:
    """Add ``op`` under its name; a name already taken is refused unless ``replace=True``."""
    if not isinstance(op, Op):
        raise TypeError(f"register needs an Op, got {type(op).__name__}")
    if op.name in REGISTRY and not replace:
        raise ValueError(
            f"an op named {op.name!r} is already registered ({REGISTRY[op.name]!r}); choose another name "
            "or pass replace=True"
        )
    REGISTRY[op.name] = op
    return op


def activation(name: str) -> Op | None:
    """The registry op of an activation by name (``'relu'``, ``'tanh'``, ...), None for ``'linear'``."""
    if name == "linear":
        return None
    op = REGISTRY.get(name)
    if op is None or op.kind != "activation":
        names = [n for n, o in REGISTRY.items() if o.kind == "activation"] + ["linear"]
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(map(repr, names))}")
    return op


def lookup(name: str) -> Op:
    """The registered op of this name, or ValueError listing the names there are."""
    if name not in REGISTRY:
        raise ValueError(f"no op named {name!r}; registered ops: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


for _op in (ADD, SUB, MUL, DIV, POW, NEG, SIGN, ABS, EXP, LOG, SQRT, RELU, leaky_relu(0.01), TANH, SIGMOID, SOFTPLUS,
            SIN, COS, TAN, ARCSIN, ARCCOS, ARCTAN, SINH, COSH, LOG1P, EXPM1, ATAN2, SUM, MEAN, DOT, LOGSUMEXP,
            XLOGY):  # fmt: skip
    REGISTRY[_op.name.partition("(")[0]] = register(_op)  # a family (leaky_relu) under its plain name
REGISTRY.pop("leaky_relu(0.01)")


# -- ops of your own -------------------------------------------------------------------------


def define_op(
    name: str,
    forward: Callable[..., float],
    derivatives: Callable[..., Sequence[Any]],
    *,
    arity: int | None = None,
    replace: bool = False,
) -> Callable[..., Any]:
    """Register a primitive once and get its function: it works on Values, floats, dual numbers and symbols.

    ``forward(*xs)`` computes the result from floats; ``derivatives(*xs, out)``
    returns d(out)/d(x_i) for each input, written with ordinary arithmetic and
    the math functions of ``fn``, so that the same rule also gives second
    derivatives, forward mode, compiled code and formula text. ``arity`` is
    counted from ``forward``'s parameters; ``None`` there (``*xs``) means any number.

    >>> cube = define_op("cube", forward=lambda x: x ** 3, derivatives=lambda x, out: (3 * x * x,), replace=True)
    >>> from micrograd_plus import Value
    >>> x = Value(2.0)
    >>> y = cube(x)
    >>> y.backward()
    >>> y.data, x.grad, cube(2.0)
    (8.0, 12.0, 8.0)
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"define_op needs a non-empty name, got {name!r}")
    if not callable(forward) or not callable(derivatives):
        raise TypeError(f"define_op({name!r}) needs callables forward and derivatives")
    if arity is None:
        parameters = inspect.signature(forward).parameters.values()
        if not any(p.kind is p.VAR_POSITIONAL for p in parameters):
            arity = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
    if arity is not None and (isinstance(arity, bool) or not isinstance(arity, int) or arity < 1):
        raise ValueError(f"define_op({name!r}) needs an arity >= 1, got {arity!r}")
    entry = register(Op(name, forward, derivatives, arity=arity, kind="custom", builtin=False), replace)

    def function(*args: Any) -> Any:
        for a in args:
            if not isinstance(a, (int, float)):
                return type(a).apply_op(entry, *args)
        return entry.evaluate(*args)

    function.__name__ = function.__qualname__ = name if name.isidentifier() else "custom_op"
    function.__doc__ = f"The op {name!r}, defined with define_op."
    function.entry = entry  # type: ignore[attr-defined]
    return function


class Functions:
    """The math functions derivative rules are written with: ``fn.exp(x)`` works on floats, Values,
    dual numbers and symbols alike. ``fn.step(x, above, below)`` is the step of relu-like derivatives.

    >>> fn.exp(0.0), fn.tanh(0.0)
    (1.0, 0.0)
    """

    def __init__(self) -> None:
        for op in REGISTRY.values():
            if op.kind in ("function", "activation", "helper") and op.name.isidentifier():
                setattr(self, op.name, _dispatch(op))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        raise AttributeError(f"fn has no function {name!r}; it has {', '.join(sorted(vars(self)))}")

    def step(self, x: Any, above: float = 1.0, below: float = 0.0) -> Any:
        return _dispatch(step(above, below))(x)

    def leaky_relu(self, x: Any, slope: float = 0.01) -> Any:
        return _dispatch(leaky_relu(slope))(x)


fn = Functions()
