"""``Symbol``: a stand-in operand on which a derivative rule builds text — source code or a formula.

>>> out, x = Symbol("out"), Symbol("x")
>>> text(1.0 - out * out), text((x - 1.0) - (x - 2.0)), text(x ** 2.0 * 3)
('1.0 - out * out', 'x - 1.0 - (x - 2.0)', 'x ** 2.0 * 3')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from micrograd_plus._validate import as_number, is_real, shown
from micrograd_plus.ops.arithmetic import Arithmetic
from micrograd_plus.ops.registry import Op

__all__ = ["Symbol", "operand_text", "text"]


class Symbol(Arithmetic):
    """A stand-in operand: arithmetic and ``fn`` calls on it build text (source code or a formula).

    ``call(op, codes)`` renders an op applied to operand texts; the compiler passes its own, which
    names functions in the generated program's namespace. Parentheses are written where Python's
    precedence needs them, so the text evaluates in exactly the order the rule does: that is why the
    infix operators are written here rather than taken from ``Arithmetic`` (every function is).
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

    def _branch(self, *_: Any) -> bool:
        # a stand-in has no number to compare: answering would trace one branch for every input
        raise TypeError(
            f"the derivative rule compares or tests its inputs ({self.code}), so it is called on every evaluation "
            "instead of being written out as code"
        )

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = __bool__ = _branch
    __hash__ = object.__hash__

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


def operand_text(x: Any, needed: int) -> str:
    """An operand's text, in parentheses when its own precedence is below ``needed``."""
    code = text(x)
    precedence = x.precedence if isinstance(x, Symbol) else (3 if code.startswith("-") else 9)
    return code if precedence >= needed else f"({code})"


def text(x: Any) -> str:
    """The text of an operand of a traced rule: a Symbol's code, or a plain number's repr."""
    if isinstance(x, Symbol):
        return x.code
    number = as_number(x)
    if not is_real(number) or not math.isfinite(number):  # type: ignore[arg-type]
        raise TypeError(f"a traced rule may combine only Symbols and finite numbers, got {shown(x)}")
    return repr(int(number)) if isinstance(number, int) else repr(float(number))  # type: ignore[arg-type]


def _call_by_name(op: Op, codes: Sequence[str]) -> str:
    emit = op.emit
    if isinstance(emit, str):
        return emit.format(*codes)
    if emit is not None:
        return emit(codes)
    return f"{op.name}({', '.join(codes)})"
