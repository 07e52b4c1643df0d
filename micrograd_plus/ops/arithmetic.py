"""``Arithmetic``: Python's operators and one method per built-in function, for every type that takes part in
the ops (``Value``, ``Dual``, ``Symbol``), written once.

Each method is ``type(self).apply_op(ENTRY, *operands)``: the type decides what applying a registry entry
means (a graph node, a dual number, a piece of text). ``x ** n`` with a plain number n is the ``power(n)``
family entry, ``x ** y`` with y of an ``Arithmetic`` type is ``POW``. A subclass may write any method out
for speed (``Value`` writes ``+ - *``, ``neg``, ``tanh`` and ``relu`` out); a test holds each equal to its rule.

>>> from micrograd_plus.ops.symbols import Symbol
>>> x = Symbol("x")
>>> (x.exp() * 2 + abs(x)).code
'exp(x) * 2 + abs(x)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from micrograd_plus._validate import is_real
from micrograd_plus.ops import primitives as P
from micrograd_plus.ops.registry import Op

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on

__all__ = ["Arithmetic"]


class Arithmetic:
    """Operators and registry functions as methods, each ``type(self).apply_op(entry, *operands)``."""

    __slots__ = ()

    @classmethod
    def apply_op(cls, op: Op, *operands: Any) -> Self:
        """The registry op ``op`` applied to ``operands``: each subclass says what that makes."""
        raise NotImplementedError(f"{cls.__name__} must define apply_op(op, *operands)")

    # -- operators -------------------------------------------------------------------------

    def __add__(self, other: Any) -> Self:
        """x + y; d/dx = d/dy = 1."""
        return type(self).apply_op(P.ADD, self, other)

    def __radd__(self, other: Any) -> Self:
        """y + x, for a plain number y."""
        return type(self).apply_op(P.ADD, other, self)

    def __sub__(self, other: Any) -> Self:
        """x - y; d/dx = 1, d/dy = -1."""
        return type(self).apply_op(P.SUB, self, other)

    def __rsub__(self, other: Any) -> Self:
        """y - x, for a plain number y."""
        return type(self).apply_op(P.SUB, other, self)

    def __mul__(self, other: Any) -> Self:
        """x·y; d/dx = y, d/dy = x."""
        return type(self).apply_op(P.MUL, self, other)

    def __rmul__(self, other: Any) -> Self:
        """y·x, for a plain number y."""
        return type(self).apply_op(P.MUL, other, self)

    def __truediv__(self, other: Any) -> Self:
        """x / y; d/dx = 1/y, d/dy = -x/y²."""
        return type(self).apply_op(P.DIV, self, other)

    def __rtruediv__(self, other: Any) -> Self:
        """y / x, for a plain number y."""
        return type(self).apply_op(P.DIV, other, self)

    def __pow__(self, other: Any) -> Self:
        """x ** n = x^n, d/dx = n x^(n-1) for a number n; x ** y = x^y, d/dy = x^y ln x for y of this kind."""
        if isinstance(other, Arithmetic):
            return type(self).apply_op(P.POW, self, other)
        return type(self).apply_op(P.power(other), self)

    def __rpow__(self, base: Any) -> Self:
        """b ** x = b^x for a plain number b; d/dx = b^x ln b (0 for b = 0 and x > 0, as in PyTorch)."""
        if not is_real(base):
            return NotImplemented
        return type(self).apply_op(P.POW, base, self)

    def __neg__(self) -> Self:
        """-x; d/dx = -1."""
        return type(self).apply_op(P.NEG, self)

    def __abs__(self) -> Self:
        """|x|; d/dx = sign x (taken as 0 at 0)."""
        return type(self).apply_op(P.ABS, self)

    # -- one method per built-in function and activation -------------------------------------------

    def abs(self) -> Self:
        """|x|; d/dx = sign x (taken as 0 at 0)."""
        return type(self).apply_op(P.ABS, self)

    def exp(self) -> Self:
        """e^x; d/dx = e^x."""
        return type(self).apply_op(P.EXP, self)

    def log(self) -> Self:
        """ln x, for x > 0; d/dx = 1/x."""
        return type(self).apply_op(P.LOG, self)

    def sqrt(self) -> Self:
        """√x, for x >= 0; d/dx = 1/(2√x), for x > 0."""
        return type(self).apply_op(P.SQRT, self)

    def relu(self) -> Self:
        """max(0, x); d/dx = 1 for x > 0, else 0 (taken as 0 at 0)."""
        return type(self).apply_op(P.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Self:
        """x for x > 0, slope·x otherwise; d/dx = 1 or slope (taken as slope at 0)."""
        return type(self).apply_op(P.leaky_relu(slope), self)

    def tanh(self) -> Self:
        """tanh x; d/dx = 1 - tanh² x."""
        return type(self).apply_op(P.TANH, self)

    def sigmoid(self) -> Self:
        """σ(x) = 1 / (1 + e^-x); d/dx = σ(x)(1 - σ(x))."""
        return type(self).apply_op(P.SIGMOID, self)

    def softplus(self) -> Self:
        """ln(1 + e^x); d/dx = σ(x)."""
        return type(self).apply_op(P.SOFTPLUS, self)

    def sin(self) -> Self:
        """sin x; d/dx = cos x."""
        return type(self).apply_op(P.SIN, self)

    def cos(self) -> Self:
        """cos x; d/dx = -sin x."""
        return type(self).apply_op(P.COS, self)

    def tan(self) -> Self:
        """tan x; d/dx = 1 + tan² x."""
        return type(self).apply_op(P.TAN, self)

    def arcsin(self) -> Self:
        """arcsin x, for |x| <= 1; d/dx = 1/√(1 - x²), for |x| < 1."""
        return type(self).apply_op(P.ARCSIN, self)

    def arccos(self) -> Self:
        """arccos x, for |x| <= 1; d/dx = -1/√(1 - x²), for |x| < 1."""
        return type(self).apply_op(P.ARCCOS, self)

    def arctan(self) -> Self:
        """arctan x; d/dx = 1/(1 + x²)."""
        return type(self).apply_op(P.ARCTAN, self)

    def sinh(self) -> Self:
        """sinh x; d/dx = cosh x."""
        return type(self).apply_op(P.SINH, self)

    def cosh(self) -> Self:
        """cosh x; d/dx = sinh x."""
        return type(self).apply_op(P.COSH, self)

    def log1p(self) -> Self:
        """ln(1 + x), for x > -1; d/dx = 1/(1 + x)."""
        return type(self).apply_op(P.LOG1P, self)

    def expm1(self) -> Self:
        """e^x - 1; d/dx = e^x."""
        return type(self).apply_op(P.EXPM1, self)

    def atan2(self, x: Any) -> Self:
        """atan2(y, x) with y = self: the angle of (x, y); d/dy = x/(x² + y²), d/dx = -y/(x² + y²)."""
        return type(self).apply_op(P.ATAN2, self, x)
