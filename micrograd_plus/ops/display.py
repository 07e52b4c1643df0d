"""How each built-in op is shown, keyed by op name: the op table (:mod:`micrograd_plus.ops.primitives`) keeps
only the math.

For every op there are three ways to show it, each optional:

- ``expression``: how a result was computed from its operands' names (``"{0} * {1}"``, or a function of the
  names), for explanations and drawings;
- ``formula``: its local derivatives as text, one template per operand, filled with the operands' names
  (``{n0}``), numbers (``{x0}``, ``{b0}`` for a base in parentheses when negative), the result (``{out}``),
  the derivative (``{value}``) and a family's parameter (``{p}``, ``{p1}`` = p - 1); or a function
  ``(xs, out, j, names, format) -> text``;
- ``emit``: a Python template of the op for compiled replay (``"({0} * {1})"``), or a function of the operand codes.

A family of ops (``x ** n``, ``leaky_relu(slope)``, ``step(above, below)``) is shown from its parameter, so one
row serves every member.

>>> shown_as("*").expression.format("a", "b")
'a * b'
>>> shown_as("**3", family="power", param=3.0).emit.format("x")
'(x ** 3.0)'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

__all__ = ["FAMILY_SHOWN", "SHOWN", "Formula", "Shown", "shown_as"]

Formula = Callable[[Sequence[float], float, int, Sequence[str], Callable[[float], str]], str]


class Shown(NamedTuple):
    """How one op is shown: its expression, its derivative formula(s) and its code template (each may be None)."""

    expression: str | Callable[[Sequence[str]], str] | None = None
    formula: Sequence[str] | Formula | None = None
    emit: str | Callable[[Sequence[str]], str] | None = None


NOTHING = Shown()


def _max_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    winner = max(range(len(xs)), key=xs.__getitem__)
    return f"{names[j]} is the largest operand, so 1" if j == winner else f"{names[j]} is not the winner, so 0"


def _relu_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    return f"{names[0]} = {f(xs[0])} > 0, so 1" if xs[0] > 0 else f"{names[0]} = {f(xs[0])} ≤ 0, so 0"


def _dot_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    n = len(xs) // 2
    if j >= 2 * n:
        return "1 (the bias)"
    return f"{names[j + n] if j < n else names[j - n]} = {f(xs[j + n] if j < n else xs[j - n])}"


def _lse_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    return f"softmax_{j} = e^({f(xs[j])} − {f(out)}) = {f(math.exp(xs[j] - out))}"


def _mean_formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    return f"1/n = 1/{len(xs)} = {f(1.0 / len(xs))}"


def _dot_expression(names: Sequence[str]) -> str:
    n = len(names) // 2
    terms = " + ".join(f"{w}·{x}" for w, x in zip(names[:n], names[n : 2 * n]))
    return terms + (f" + {names[-1]}" if len(names) % 2 else "")


def _one(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
    return "1"


SHOWN: dict[str, Shown] = {
    "+": Shown("{0} + {1}", ("1", "1"), "({0} + {1})"),
    "-": Shown("{0} - {1}", ("1", "-1"), "({0} - {1})"),
    "*": Shown("{0} * {1}", ("{n1} = {value}", "{n0} = {value}"), "({0} * {1})"),
    "/": Shown("{0} / {1}", ("1/{n1} = 1/{x1} = {value}", "−{n0}/{n1}² = -{b0}/{b1}² = {value}"), "({0} / {1})"),
    "**": Shown(
        "{0} ** {1}",
        ("{n1}·{n0}^({n1} − 1) = {x1}·{b0}^{y1m} = {value}", "{n0}^{n1}·ln {n0} = {out}·ln {x0} = {value}"),
        "({0} ** {1})",
    ),
    "neg": Shown("-{0}", ("-1",), "(-{0})"),
    "sign": Shown(emit="(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0)"),
    "abs": Shown(formula=("sign({n0}) = sign({x0}) = {value}",), emit="abs({0})"),
    "exp": Shown(formula=("e^{n0} = e^{x0} = {value}",)),
    "log": Shown(formula=("1/{n0} = 1/{x0} = {value}",)),
    "sqrt": Shown(formula=("1/(2√{n0}) = 1/(2·{out}) = {value}",)),
    "tanh": Shown(formula=("1 − tanh({n0})² = 1 − {bout}² = {value}",)),
    "sigmoid": Shown(formula=("σ({n0})·(1 − σ({n0})) = {out}·(1 − {out}) = {value}",)),
    "sin": Shown(formula=("cos {n0} = cos({x0}) = {value}",)),
    "cos": Shown(formula=("−sin {n0} = −sin({x0}) = {value}",)),
    "tan": Shown(formula=("1 + tan({n0})² = 1 + {bout}² = {value}",)),
    "arcsin": Shown(formula=("1/√(1 − {n0}²) = 1/√(1 − {b0}²) = {value}",)),
    "arccos": Shown(formula=("−1/√(1 − {n0}²) = −1/√(1 − {b0}²) = {value}",)),
    "arctan": Shown(formula=("1/(1 + {n0}²) = 1/(1 + {b0}²) = {value}",)),
    "sinh": Shown(formula=("cosh {n0} = cosh({x0}) = {value}",)),
    "cosh": Shown(formula=("sinh {n0} = sinh({x0}) = {value}",)),
    "log1p": Shown(formula=("1/(1 + {n0}) = 1/(1 + {x0}) = {value}",)),
    "expm1": Shown(formula=("e^{n0} = e^{x0} = {value}",)),
    "softplus": Shown(formula=("σ({n0}) = σ({x0}) = {value}",)),
    "relu": Shown(formula=_relu_formula, emit="({0} if {0} > 0.0 else 0.0)"),
    "atan2": Shown(
        formula=(
            "{n1}/({n1}² + {n0}²) = {x1}/({b1}² + {b0}²) = {value}",
            "−{n0}/({n1}² + {n0}²) = −{b0}/({b1}² + {b0}²) = {value}",
        )
    ),
    "sum": Shown(formula=_one, emit=lambda codes: f"sum(({', '.join(codes)},))"),
    "mean": Shown(formula=_mean_formula),
    "dot": Shown(_dot_expression, _dot_formula),
    "logsumexp": Shown(formula=_lse_formula),
    "max": Shown(formula=_max_formula),
    "xlogy": Shown(emit="(0.0 if {0} == 0.0 else {0} * log({1}))"),
}


def _power(name: str, k: Any) -> Shown:
    written = name[2:]  # the exponent as the user wrote it: '**3' shows 3, '**3.0' shows 3.0
    if k == 2:  # n·x^(n−1) with n − 1 = 1: the power of one is noise on a student's page
        formula = "2·{n0} = 2·{b0} = {value}"
    elif k == 1:
        formula = "1"
    else:
        formula = "{p}·{n0}^{p1} = {p}·{b0}^{p1} = {value}"
    return Shown("{0} ** " + written, (formula,), "({0} ** " + repr(k) + ")")


def _leaky_relu(name: str, a: Any) -> Shown:
    def formula(xs: Sequence[float], out: float, j: int, names: Sequence[str], f: Callable[[float], str]) -> str:
        if xs[0] > 0:
            return f"{names[0]} = {f(xs[0])} > 0, so 1"
        return f"{names[0]} = {f(xs[0])} ≤ 0, so the slope {f(a)}"

    return Shown(formula=formula, emit="({0} if {0} > 0.0 else " + repr(a) + " * {0})")


def _step(name: str, param: Any) -> Shown:
    above, below = param
    return Shown(emit="(" + repr(above) + " if {0} > 0.0 else " + repr(below) + ")")


# a family's row is made from the member's name and parameter when it is shown (rarely: never per node)
FAMILY_SHOWN: dict[str, Callable[[str, Any], Shown]] = {"power": _power, "leaky_relu": _leaky_relu, "step": _step}


def shown_as(name: str, family: str | None = None, param: Any = None) -> Shown:
    """How the built-in op ``name`` (a member of ``family`` with ``param``, if given) is shown."""
    if family is not None:
        make = FAMILY_SHOWN.get(family)
        return NOTHING if make is None else make(name, param)
    return SHOWN.get(name, NOTHING)
