"""The machinery of the op registry: ``Op``, the registry itself, ``define_op`` and ``fn``.

The built-in primitives are defined in :mod:`micrograd_plus.ops.primitives`, which is the place to read
them; this module holds what every entry is made of and how a rule runs on something other than a
float: any type takes part by having a classmethod ``apply_op(op, *args)``, so ``fn.tanh(x)`` is
``math.tanh(x)`` for a float and ``type(x).apply_op(TANH, x)`` otherwise.

>>> op = Op("twice", lambda x: 2 * x, lambda x, out: (2.0,), builtin=False)
>>> op.evaluate(1.5), op.local_grads((1.5,), 3.0), op.local_grads((1.5,), 3.0, constant=(0,))
(3.0, (2.0,), (0.0,))
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Collection, Sequence
from typing import Any

from micrograd_plus._validate import as_number, check_count, is_real, shown
from micrograd_plus.ops.display import Formula, Shown, shown_as

__all__ = [
    "BUILTINS",
    "VERSION",
    "FAMILIES",
    "REGISTRY",
    "EachOperand",
    "Formula",
    "Functions",
    "Op",
    "Where",
    "activation",
    "define_op",
    "fn",
    "lookup",
    "register",
]

Where = Callable[[int], str]  # operand index -> how to name it in a message ("node 'h3'")
GradCheck = Callable[..., None]  # (where, needed, *xs): refuses a point where a needed derivative is not finite


class EachOperand:
    """A derivative rule written as one function per operand, so a caller can compute only those it needs.

    Called like any rule, ``rule(*xs, out)`` gives every derivative; ``local_grads`` with constant operands
    calls only the others (d(x ** y)/dx raises at x = 0 for y < 1, but a constant x needs no derivative).
    """

    __slots__ = ("rules",)

    def __init__(self, *rules: Callable[..., Any]) -> None:
        self.rules = rules

    def __call__(self, *args: Any) -> tuple[Any, ...]:
        return tuple(rule(*args) for rule in self.rules)

    def some(self, needed: Sequence[bool], *args: Any) -> tuple[Any, ...]:
        return tuple(rule(*args) if wanted else 0.0 for rule, wanted in zip(self.rules, needed))


class Op:
    """One primitive: name, arity (``None`` for any number of operands), forward and derivatives.

    ``check(where, *xs)`` refuses inputs where the op itself is undefined; ``grad_check(where, needed, *xs)``
    refuses inputs where a derivative that is needed (``needed[i]``) is infinite or undefined. How an op is
    shown lives in :mod:`micrograd_plus.ops.display`; ``expression``, ``formula`` and ``emit`` read it there
    (or from the arguments of the same names, for an op of your own).
    """

    __slots__ = ("name", "forward", "derivatives", "arity", "check", "grad_check", "kinks", "partial", "kind",
                 "param", "builtin", "family", "own")  # fmt: skip

    def __init__(
        self,
        name: str,
        forward: Callable[..., float] | None,
        derivatives: Callable[..., Sequence[Any]] | None,
        *,
        arity: int | None = 1,
        check: Callable[..., None] | None = None,
        grad_check: GradCheck | None = None,
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
        self.check, self.grad_check, self.kinks, self.partial = check, grad_check, kinks, partial
        self.kind, self.param, self.builtin = kind, param, builtin
        self.family = family  # the factory of a parametrised op (ops.power, ...), which made it from ``param``
        given = (expression, formula, emit)
        self.own: Shown | None = Shown(*given) if any(s is not None for s in given) else None

    def __repr__(self) -> str:
        return f"<op {self.name!r}>"

    @property
    def shown(self) -> Shown:
        """How this op is shown: its own ``expression``/``formula``/``emit``, or the display table's row."""
        if self.own is not None:
            return self.own
        if self.family is not None:
            return shown_as(self.name, self.family.__name__, self.param)
        return shown_as(self.name) if self.builtin else Shown()

    @property
    def expression(self) -> str | Callable[[Sequence[str]], str] | None:
        return self.shown.expression

    @property
    def formula(self) -> Sequence[str] | Formula | None:
        return self.shown.formula

    @property
    def emit(self) -> str | Callable[[Sequence[str]], str] | None:
        return self.shown.emit

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
        where = where or _operand
        if self.check is not None:
            self.check(where, *xs)
        try:
            out = float(self.forward(*xs))
        except OverflowError:
            out = math.inf
        except (ArithmeticError, ValueError, TypeError) as error:  # an op of your own outside its domain, say
            kind = type(error) if type(error) in (ValueError, TypeError, ZeroDivisionError) else ValueError
            raise kind(f"{self.name!r} failed for inputs {_shown(xs, where)}: {error}") from error
        if not math.isfinite(out):
            raise OverflowError(f"{self.name!r} overflowed to {out} for inputs {_shown(xs, where)}; rescale the inputs")
        return out

    def local_grads(
        self, xs: Sequence[float], out: float, where: Where | None = None, constant: Collection[int] = ()
    ) -> tuple[float, ...]:
        """The derivative rule on floats, checked: one finite number per input.

        ``constant`` lists the operands that are plain numbers: no derivative toward them is needed, so
        their derivative-domain checks are skipped and their local derivative is 0.0 (``0.0 ** y`` at
        y = 0.5: d/dx would be infinite, but x is a constant; d/dy = 0, as in PyTorch).
        """
        if self.derivatives is None:
            raise ValueError(f"op {self.name!r} was recorded with Value.from_op and has no derivative rule")
        where = where or _operand
        needed = [i not in constant for i in range(len(xs))] if constant else [True] * len(xs)
        if not any(needed):
            return (0.0,) * len(xs)
        if self.grad_check is not None:
            self.grad_check(where, needed, *xs)
        found = self._rule(xs, out, where, needed if constant else None)
        grads = []
        for g, wanted in zip(found, needed):
            if not wanted:
                grads.append(0.0)
                continue
            g = float(as_number(g))  # type: ignore[arg-type]
            if not math.isfinite(g):
                raise OverflowError(
                    f"the derivative of {self.name!r} is {g} at inputs {_shown(xs, where)}; "
                    "a local derivative must be finite: keep the inputs inside the op's domain, or rescale them"
                )
            grads.append(g)
        return tuple(grads)

    def _rule(self, xs: Sequence[float], out: float, where: Where, needed: Sequence[bool] | None) -> tuple[Any, ...]:
        """The rule's results, one real number per input (those not ``needed`` are never computed if it can)."""
        rule = self.derivatives
        assert rule is not None
        try:
            result = rule.some(needed, *xs, out) if needed and isinstance(rule, EachOperand) else rule(*xs, out)
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
        if not all(map(is_real, found)):
            raise TypeError(
                f"the derivatives of {self.name!r} must be numbers, got {found!r} at inputs {_shown(xs, where)}"
            )
        return found


def _operand(i: int) -> str:
    return f"operand {i}"


def _shown(xs: Sequence[float], where: Where) -> str:
    return ", ".join(f"{x!r} ({where(i)})" for i, x in enumerate(xs))


# -- the namespace rules are written in ---------------------------------------------------


def _dispatch(op: Op) -> Callable[..., Any]:
    """``op`` as a function: numbers in, float out; any other operand type decides through ``apply_op``."""
    forward = op.forward
    if forward is None:
        raise ValueError(f"op {op.name!r} has no forward function to call")

    def function(*args: Any) -> Any:
        for a in args:
            if type(a) is not float and type(a) is not int:  # the common case: floats, straight to the math
                return _call_mixed(op, args)
        return forward(*args)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = f"{op.name} on floats, Values, dual numbers or symbols"
    return function


def _call_mixed(op: Op, args: Sequence[Any]) -> Any:
    """``op`` on operands that are not all ints and floats: NumPy numbers count as numbers."""
    for a in args:
        if hasattr(type(a), "apply_op"):
            return type(a).apply_op(op, *args)
        if not is_real(a):
            raise TypeError(f"{op.name} needs numbers or Values, got {shown(a)}")
    assert op.forward is not None
    return op.forward(*[float(as_number(a)) for a in args])  # type: ignore[arg-type]


# -- the registry ------------------------------------------------------------------------

REGISTRY: dict[str, Op] = {}  # every op by name, ops of your own included: what ``lookup`` and the parser see
# the built-in ops by name, never replaced: what ``fn``, ``activation`` and every built-in rule use, so that
# ``define_op("sigmoid", ..., replace=True)`` changes what the name finds, never how the library's own ops work
BUILTINS: dict[str, Op] = {}
VERSION = 0  # how many times an op was registered or replaced


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
    global VERSION
    VERSION += 1  # compiled replays key on it: an op replaced after compiling is never run with its old rule
    return op


_register = register  # for define_op, whose argument ``register`` hides the function


def activation(name: str) -> Op | None:
    """The built-in op of an activation by name (``'relu'``, ``'tanh'``, ...), None for ``'linear'``."""
    if name == "linear":
        return None
    op = BUILTINS.get(name)
    if op is None or op.kind != "activation":
        names = [n for n, o in BUILTINS.items() if o.kind == "activation"] + ["linear"]
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
    register: bool = True,
) -> Callable[..., Any]:
    """Define a primitive once and get its function: it works on Values, floats, dual numbers and symbols.

    ``forward(*xs)`` computes the result from floats; ``derivatives(*xs, out)``
    returns d(out)/d(x_i) for each input, written with ordinary arithmetic and
    the math functions of ``fn``, so that the same rule also gives second
    derivatives, forward mode, compiled code and formula text. ``arity`` is
    counted from ``forward``'s parameters; ``None`` there (``*xs``) means any number.
    ``register=False`` keeps the op out of the registry (no name taken, nothing changed by defining it).
    Replacing a built-in name changes what ``lookup`` finds; the built-in's method, ``fn`` function and
    activation keep the built-in rule.

    >>> cube = define_op("cube", forward=lambda x: x ** 3, derivatives=lambda x, out: (3 * x * x,), register=False)
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
    if arity is not None:
        arity = check_count(f"define_op({name!r}) arity", arity)
    entry = Op(name, forward, derivatives, arity=arity, kind="custom", builtin=False)
    if register:
        _register(entry, replace)

    def function(*args: Any) -> Any:
        for a in args:
            if type(a) is not float and type(a) is not int:
                if hasattr(type(a), "apply_op"):
                    return type(a).apply_op(entry, *args)
                if not is_real(a):
                    raise TypeError(f"{name} needs numbers or Values, got {shown(a)}")
        return entry.evaluate(*[float(as_number(a)) for a in args])  # type: ignore[arg-type]

    function.__name__ = function.__qualname__ = name if name.isidentifier() else "custom_op"
    function.__doc__ = f"The op {name!r}, defined with define_op."
    function.entry = entry  # type: ignore[attr-defined]
    return function


class Functions:
    """The math functions derivative rules are written with: ``fn.exp(x)`` works on floats, Values,
    dual numbers and symbols alike. ``fn.step(x, above, below)`` is the step of relu-like derivatives.
    Every built-in function and activation is here, looked up when first used.

    >>> fn.exp(0.0), fn.tanh(0.0)
    (1.0, 0.0)
    """

    def __getattr__(self, name: str) -> Callable[..., Any]:
        op = BUILTINS.get(name)
        if op is None or op.kind not in ("function", "activation", "helper") or not name.isidentifier():
            names = sorted(n for n, o in BUILTINS.items() if o.kind in ("function", "activation", "helper"))
            raise AttributeError(f"fn has no function {name!r}; it has {', '.join(names)}")
        function = _dispatch(op)
        setattr(self, name, function)  # found once, then a plain attribute (built-ins are never replaced)
        return function

    def step(self, x: Any, above: float = 1.0, below: float = 0.0) -> Any:
        return _dispatch(FAMILIES["step"](above, below))(x)

    def leaky_relu(self, x: Any, slope: float = 0.01) -> Any:
        return _dispatch(FAMILIES["leaky_relu"](slope))(x)


fn = Functions()
# the parametrised families of micrograd_plus.ops (power, leaky_relu, step), by name, for fn and the parser
FAMILIES: dict[str, Callable[..., Op]] = {}
