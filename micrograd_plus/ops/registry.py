"""The machinery of the op registry: ``Op``, the registry itself, ``define_op``, ``fn`` and ``Symbol``.

The built-in primitives are defined in :mod:`micrograd_plus.ops`, which is the place to read them;
this module holds what every entry is made of and how a rule runs on something other than a
float: any type takes part by having a classmethod ``apply_op(op, *args)``, so ``fn.tanh(x)`` is
``math.tanh(x)`` for a float and ``type(x).apply_op(TANH, x)`` otherwise.

>>> op = Op("twice", lambda x: 2 * x, lambda x, out: (2.0,), builtin=False)
>>> op.evaluate(1.5), op.local_grads((1.5,), 3.0)
(3.0, (2.0,))
>>> text(op.derivatives(Symbol("x"), Symbol("out"))[0])
'2.0'
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "FAMILIES",
    "REGISTRY",
    "Formula",
    "Functions",
    "Op",
    "Symbol",
    "Where",
    "activation",
    "define_op",
    "fn",
    "lookup",
    "operand_text",
    "register",
    "text",
]

Where = Callable[[int], str]  # operand index -> how to name it in a message ("node 'h3'")
Formula = Callable[[Sequence[float], float, int, Sequence[str], Callable[[float], str]], str]


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
        family: Callable[..., Op] | None = None,
    ) -> None:
        self.name, self.forward, self.derivatives, self.arity = name, forward, derivatives, arity
        self.check, self.expression, self.formula, self.emit = check, expression, formula, emit
        self.kinks, self.partial, self.kind, self.param, self.builtin = kinks, partial, kind, param, builtin
        self.family = family  # the factory of a parametrised op (ops.power, ...), which made it from ``param``

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
        except (ArithmeticError, ValueError, TypeError) as error:  # an op of your own outside its domain, say
            kind = type(error) if type(error) in (ValueError, TypeError, ZeroDivisionError) else ValueError
            raise kind(f"{self.name!r} failed for inputs {_shown(xs, where)}: {error}") from error
        if out - out != 0.0:  # inf or nan
            raise OverflowError(f"{self.name!r} overflowed to {out} for inputs {_shown(xs, where)}; rescale the inputs")
        return out

    def local_grads(self, xs: Sequence[float], out: float, where: Where | None = None) -> tuple[float, ...]:
        """The derivative rule on floats, checked: one finite number per input."""
        if self.derivatives is None:
            raise ValueError(f"op {self.name!r} was recorded with Value.from_op and has no derivative rule")
        where = where or (lambda i: f"operand {i}")
        try:
            result = self.derivatives(*xs, out)
        except OverflowError:
            raise OverflowError(
                f"the derivative of {self.name!r} overflows a float at inputs {_shown(xs, where)}; "
                "keep the inputs inside the op's domain, or rescale them"
            ) from None
        except (ArithmeticError, ValueError, TypeError) as error:
            raise ValueError(
                f"the derivatives of {self.name!r} failed at inputs {_shown(xs, where)}: {error}"
            ) from error
        if isinstance(result, (str, bytes)) or not hasattr(result, "__iter__"):
            raise TypeError(
                f"the derivatives of {self.name!r} must return a tuple of one number per input, got {result!r} "
                f"at inputs {_shown(xs, where)}; write (d,) for one input"
            )
        found = tuple(result)
        if len(found) != len(xs):
            raise ValueError(
                f"the derivatives of {self.name!r} must return one number per input: got {len(found)} for "
                f"{len(xs)} input{'s' if len(xs) != 1 else ''} {_shown(xs, where)}"
            )
        if not all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in found):
            raise TypeError(
                f"the derivatives of {self.name!r} must be numbers, got {found!r} at inputs {_shown(xs, where)}"
            )
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
        return Symbol.apply_op(REGISTRY["abs"], self)


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
    Every function and activation of the registry is here, looked up when first used.

    >>> fn.exp(0.0), fn.tanh(0.0)
    (1.0, 0.0)
    """

    def __getattr__(self, name: str) -> Callable[..., Any]:
        op = REGISTRY.get(name)
        if op is None or op.kind not in ("function", "activation", "helper") or not name.isidentifier():
            names = sorted(n for n, o in REGISTRY.items() if o.kind in ("function", "activation", "helper"))
            raise AttributeError(f"fn has no function {name!r}; it has {', '.join(names)}")
        function = _dispatch(op)
        setattr(self, name, function)  # found once, then a plain attribute
        return function

    def step(self, x: Any, above: float = 1.0, below: float = 0.0) -> Any:
        return _dispatch(FAMILIES["step"](above, below))(x)

    def leaky_relu(self, x: Any, slope: float = 0.01) -> Any:
        return _dispatch(FAMILIES["leaky_relu"](slope))(x)


fn = Functions()
# the parametrised families of micrograd_plus.ops (power, leaky_relu, step), by name, for fn and the parser
FAMILIES: dict[str, Callable[..., Op]] = {}
