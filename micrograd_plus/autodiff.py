"""Higher-order derivatives and function transforms: ``grad``, ``hessian``, ``jvp`` and friends.

Reverse mode of any order: ``gradients(root, wrt, create_graph=True)`` builds the
gradients as new Values (graph operations), so they can be differentiated
again; ``grad`` composes: ``grad(grad(f))`` is the second derivative.

Forward mode: ``Dual`` numbers carry a value and a tangent; ``jvp`` replays a
recorded graph on duals, op by op, to get J·v in one pass.

Every op's derivative is written once, in :mod:`micrograd_plus.ops`; ``Dual``
runs that same rule on floats to carry its tangent, and ``jvp`` pushes tangents
through the local derivatives each node recorded.

>>> second = grad(grad(lambda x: x.sin() * x))
>>> round(second(0.5), 6)  # d²/dx² x sin x = 2 cos x - x sin x
1.515452
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus import ops
from micrograd_plus._validate import as_number, check_real, is_real, is_whole, node_name, shown
from micrograd_plus.engine import Value
from micrograd_plus.ops.arithmetic import Arithmetic
from micrograd_plus.ops.value_rules import local_derivative_values

__all__ = [
    "Dual",
    "gradients",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "local_derivative_values",
    "value_and_grad",
]

Number = int | float


# -- function transforms ----------------------------------------------------------------


def gradients(root: Value, wrt: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d(root)/d(w) for each w in ``wrt``, without touching any ``.grad``.

    With ``create_graph=True`` each gradient is a Value built from graph operations
    (so it can be differentiated again); otherwise a float.

    >>> x = Value(3.0)
    >>> gradients(x * x, [x]), gradients(x * x, [x], create_graph=True)[0].data
    ([6.0], 6.0)
    """
    order = root.topological_order()
    wanted = {id(w) for w in wrt}
    needed = set()
    for v in order:  # only nodes that depend on something in wrt carry a useful gradient
        if id(v) in wanted or any(id(p) in needed for p in v.parents):
            needed.add(id(v))
    totals: dict[int, Any] = {id(root): Value(1.0) if create_graph else 1.0}
    for v in reversed(order):
        g = totals.get(id(v))
        if g is None or not v.parents or id(v) not in needed:
            continue
        locals_ = local_derivative_values(v) if create_graph else v.local_grads
        for parent, local in zip(v.parents, locals_):
            if id(parent) in needed:
                previous = totals.get(id(parent))
                totals[id(parent)] = local * g if previous is None else previous + local * g
    zero = Value(0.0) if create_graph else 0.0
    return [totals.get(id(w), zero) for w in wrt]


def _identity(x: Value) -> Value:
    """A new node equal to x (a sum of one term, d/dx = 1): the variable an inner transform differentiates
    against, while the outer transform still sees the path back to x."""
    return F.sum([x])


def _as_variables(arg: Any, argnum: int) -> tuple[Any, list[Value], bool]:
    """The argument as Values to differentiate against, the list of them, and whether it is a sequence."""
    if isinstance(arg, (list, tuple)):
        leaves = [_variable(x, f"{argnum}[{k}]") for k, x in enumerate(arg)]
        return leaves, leaves, True
    leaf = _variable(arg, str(argnum))
    return leaf, [leaf], False


def _variable(x: Any, where: str) -> Value:
    if isinstance(x, Value):
        return _identity(x)
    if not is_real(x) or not math.isfinite(float(as_number(x))):  # type: ignore[arg-type]
        raise TypeError(f"argument {where} must be a finite number or a Value, got {shown(x)}")
    return Value(float(as_number(x)))  # type: ignore[arg-type]


def _numbers(what: str, xs: Any) -> list[float]:
    """A sequence of finite real numbers as floats; ValueError naming the first that is not one."""
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__") or getattr(xs, "ndim", 1) == 0:
        raise TypeError(f"{what}s must be a list of numbers, got {shown(xs)}")
    return [check_real(f"{what} {k}", x) for k, x in enumerate(xs)]


def _traced(args: Sequence[Any]) -> bool:
    """True inside another transform: the arguments are Values, so results must stay Values."""
    return any(isinstance(a, Value) or (isinstance(a, (list, tuple)) and any(isinstance(x, Value) for x in a))
               for a in args)  # fmt: skip


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning (f(*args), df/d args[argnums]); composable with itself and ``grad``.

    >>> value_and_grad(lambda x, y: x * y, argnums=1)(3.0, 2.0)
    (6.0, 3.0)
    """
    single = not isinstance(argnums, (list, tuple))  # one position (checked below), or a list of them
    positions: list[Any] = [argnums] if single else list(argnums)  # type: ignore[arg-type]

    def transformed(*args: Any) -> tuple[Any, Any]:
        for k in positions:
            if not is_whole(k) or not -len(args) <= int(k) < len(args):
                raise ValueError(
                    f"argnums={k!r} is out of range for a function called with {len(args)} arguments; "
                    "argnums must be a whole number (or a list of them) naming an argument"
                )
        nested = _traced(args)
        # the other arguments: plain numbers become constant Values (so x.exp() works on them too)
        call = [Value(float(as_number(a))) if is_real(a) else a for a in args]  # type: ignore[arg-type]
        variables: list[list[Value]] = []
        shapes = []
        for k in positions:
            call[k], leaves, is_list = _as_variables(args[k], k)
            variables.append(leaves)
            shapes.append(is_list)
        out = f(*call)
        if isinstance(out, (list, tuple)):
            raise TypeError(
                f"grad applies to functions returning one Value, but f returned a {type(out).__name__} of "
                f"{len(out)}; use jacobian for vector outputs"
            )
        if not isinstance(out, Value):
            raise TypeError(f"f must return a Value built from its arguments, got {type(out).__name__} {out!r}")
        flat = [leaf for leaves in variables for leaf in leaves]
        flat_ids = {id(v) for v in flat}
        if not any(id(n) in flat_ids for n in out.topological_order()):
            warnings.warn("f's output does not depend on the differentiated inputs; the gradient is 0", stacklevel=2)
        found = gradients(out, flat, create_graph=nested)
        results, at = [], 0
        for leaves, is_list in zip(variables, shapes):
            part = found[at : at + len(leaves)]
            at += len(leaves)
            results.append(part if is_list else part[0])
        value = out if nested else out.data
        return value, (results[0] if single else tuple(results))

    return transformed


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """df/d args[argnums] as a function; ``grad(grad(f))`` is the second derivative, and so on.

    Arguments may be numbers, Values, or lists of them (the gradient is then a list).

    >>> grad(lambda x: x ** 3)(2.0), grad(grad(lambda x: x ** 3))(2.0)
    (12.0, 12.0)
    """
    with_value = value_and_grad(f, argnums)
    return lambda *args: with_value(*args)[1]


def jacobian(f: Callable[[list[Any]], Any]) -> Callable[[Sequence[Any]], list[list[Any]]]:
    """J[i][j] = d f_i / d x_j for f taking a list of n values and returning m Values (or one).

    >>> jacobian(lambda v: [v[0] * v[1], v[0] + v[1]])([2.0, 3.0])
    [[3.0, 2.0], [1.0, 1.0]]
    """

    def transformed(xs: Sequence[Any]) -> list[list[Any]]:
        nested = _traced([xs])
        leaves, flat, _ = _as_variables(list(xs), 0)
        out = f(leaves)
        outputs = list(out) if isinstance(out, (list, tuple)) else [out]
        for y in outputs:
            if not isinstance(y, Value):
                raise TypeError(f"f must return Values built from its argument, got {type(y).__name__} {y!r}")
        return [gradients(y, flat, create_graph=nested) for y in outputs]

    return transformed


def hessian(f: Callable[[list[Any]], Value]) -> Callable[[Sequence[Any]], list[list[Any]]]:
    """H[i][j] = d²f / dx_i dx_j for a scalar f of a list: the jacobian of the gradient.

    >>> hessian(lambda v: v[0] ** 2 * v[1])([1.0, 2.0])
    [[4.0, 2.0], [2.0, 0.0]]
    """
    return jacobian(grad(f))


def hvp(f: Callable[[list[Any]], Value]) -> Callable[[Sequence[Any], Sequence[float]], list[Any]]:
    """H·v without forming H: the gradient of ∇f·v (two reverse sweeps).

    >>> hvp(lambda v: v[0] ** 2 * v[1])([1.0, 2.0], [1.0, 0.0])
    [4.0, 2.0]
    """

    def transformed(xs: Sequence[Any], v: Sequence[float]) -> list[Any]:
        direction = _numbers("v", v)
        if len(direction) != len(xs):
            raise ValueError(f"hvp needs a vector v as long as x: got {len(direction)} and {len(xs)}")
        return grad(lambda ys: F.dot(grad(f)(ys), direction))(list(xs))  # type: ignore[no-any-return]

    return transformed


# -- forward mode: dual numbers -----------------------------------------------------------


@dataclass(frozen=True)
class Dual(Arithmetic):
    """a + b·ε with ε² = 0: ``value`` and ``tangent`` (the directional derivative) travel together.

    Every op on duals is its registry entry: the value from its forward, the tangent
    Σ d(op)/d(x_i) · tangent_i from its derivative rule on the values. A plain number
    operand is a constant: no derivative toward it is needed, so none is computed.

    >>> (Dual(0.5, 1.0).tanh() * 2).tangent == 2 * (1 - math.tanh(0.5) ** 2)
    True
    >>> (0.0 ** Dual(0.5, 1.0)).tangent  # d(0 ** y)/dy = 0 for y > 0, since 0 ** y is 0 there (as in PyTorch)
    0.0
    """

    value: float
    tangent: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_real("a dual number's value", self.value))
        object.__setattr__(self, "tangent", check_real("a dual number's tangent", self.tangent))

    @staticmethod
    def lift(x: Dual | Number) -> Dual:
        return x if isinstance(x, Dual) else Dual(check_real("an operand of a dual number op", x))

    @classmethod
    def apply_op(cls, entry: ops.Op, *args: Dual | Number) -> Dual:
        """The op on duals: its value, and the tangent by the chain rule over its local derivatives."""
        duals = [Dual.lift(a) for a in args]
        constant = [i for i, a in enumerate(args) if not isinstance(a, Dual)]
        values = [d.value for d in duals]
        out = entry.evaluate(*values)
        local = entry.local_grads(values, out, constant=constant)
        return Dual(out, _tangent(entry.name, local, [d.tangent for d in duals], values))

    def __getattr__(self, name: str) -> Callable[..., Dual]:
        """``d.sign()`` and the other helpers of ``fn`` without a method of their own, on duals."""
        if name.startswith("_"):
            raise AttributeError(name)
        function = getattr(ops.fn, name)  # AttributeError lists the functions there are
        return lambda *args: function(self, *args)


def _tangent(name: str, local: Sequence[float], tangents: Sequence[float], values: Sequence[float]) -> float:
    """Σ local_i · tangent_i, refusing an overflow as the engine refuses one (naming the op)."""
    try:
        total = math.fsum([g * t for g, t in zip(local, tangents)])
    except (OverflowError, ValueError):  # fsum's intermediate overflow, or inf - inf
        total = math.inf
    if not math.isfinite(total):
        raise OverflowError(
            f"the tangent of {name!r} overflowed to {total} for inputs {', '.join(map(repr, values))} and tangents "
            f"{', '.join(map(repr, tangents))}; rescale the tangents"
        )
    return total


def jvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]) -> tuple[Any, Any]:
    """(f(primals), J·tangents) by forward mode: tangents pushed through the recorded graph.

    ``f`` takes one Value per primal and returns a Value or a list of Values. Each
    node's tangent is Σ local_grads[i] · tangent(parent i), in creation order, so it
    works for every op, including ops of your own.

    >>> jvp(lambda x, y: x * y, [3.0, 2.0], [1.0, 0.0])
    (6.0, 2.0)
    """
    xs, ts = _numbers("primal", primals), _numbers("tangent", tangents)
    if len(xs) != len(ts):
        raise ValueError(f"jvp needs one tangent per primal, got {len(xs)} primals and {len(ts)} tangents")
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    outputs = list(out) if isinstance(out, (list, tuple)) else [out]
    if not all(isinstance(y, Value) for y in outputs):
        raise TypeError("f must return a Value or a list of Values built from its arguments")
    tangent: dict[int, float] = {id(leaf): t for leaf, t in zip(leaves, ts)}
    for y in outputs:
        for v in y.topological_order():
            if id(v) not in tangent:
                ins = [tangent[id(p)] for p in v.parents]
                try:
                    tangent[id(v)] = _tangent(v.op, v.local_grads, ins, [p.data for p in v.parents])
                except OverflowError as error:
                    raise OverflowError(f"{error} (at {node_name(v)})") from None
    values = [y.data for y in outputs]
    result = [tangent[id(y)] for y in outputs]
    if isinstance(out, (list, tuple)):
        return values, result
    return values[0], result[0]
