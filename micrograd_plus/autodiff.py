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
from micrograd_plus.engine import Value, gradients, local_derivative_values

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
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise TypeError(f"argument {where} must be a finite number or a Value, got {type(x).__name__} {x!r}")
    return Value(float(x))


def _traced(args: Sequence[Any]) -> bool:
    """True inside another transform: the arguments are Values, so results must stay Values."""
    return any(isinstance(a, Value) or (isinstance(a, (list, tuple)) and any(isinstance(x, Value) for x in a))
               for a in args)  # fmt: skip


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning (f(*args), df/d args[argnums]); composable with itself and ``grad``.

    >>> value_and_grad(lambda x, y: x * y, argnums=1)(3.0, 2.0)
    (6.0, 3.0)
    """
    single = isinstance(argnums, int)
    positions = [argnums] if isinstance(argnums, int) else list(argnums)

    def transformed(*args: Any) -> tuple[Any, Any]:
        for k in positions:
            if isinstance(k, bool) or not isinstance(k, int) or not -len(args) <= k < len(args):
                raise ValueError(f"argnums={k!r} is out of range for a function called with {len(args)} arguments")
        nested = _traced(args)
        # the other arguments: plain numbers become constant Values (so x.exp() works on them too)
        call = [Value(float(a)) if isinstance(a, (int, float)) and not isinstance(a, bool) else a for a in args]
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
        if len(v) != len(xs):
            raise ValueError(f"hvp needs a vector v as long as x: got {len(v)} and {len(xs)}")
        return grad(lambda ys: F.dot(grad(f)(ys), list(v)))(list(xs))  # type: ignore[no-any-return]

    return transformed


# -- forward mode: dual numbers -----------------------------------------------------------


@dataclass(frozen=True)
class Dual:
    """a + b·ε with ε² = 0: ``value`` and ``tangent`` (the directional derivative) travel together.

    Every op on duals is its registry entry: the value from its forward, the tangent
    Σ d(op)/d(x_i) · tangent_i from its derivative rule on the values.

    >>> (Dual(0.5, 1.0).tanh() * 2).tangent == 2 * (1 - math.tanh(0.5) ** 2)
    True
    """

    value: float
    tangent: float = 0.0

    @staticmethod
    def lift(x: Dual | Number) -> Dual:
        return x if isinstance(x, Dual) else Dual(float(x))

    @classmethod
    def apply_op(cls, entry: ops.Op, *args: Dual | Number) -> Dual:
        """The op on duals: its value, and the tangent by the chain rule over its local derivatives."""
        duals = [Dual.lift(a) for a in args]
        values = [d.value for d in duals]
        out = entry.evaluate(*values)
        local = entry.local_grads(values, out)
        return Dual(out, math.fsum(g * d.tangent for g, d in zip(local, duals)))

    def __add__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.ADD, self, other)

    def __radd__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.ADD, other, self)

    def __sub__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.SUB, self, other)

    def __rsub__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.SUB, other, self)

    def __mul__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.MUL, self, other)

    def __rmul__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.MUL, other, self)

    def __truediv__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.DIV, self, other)

    def __rtruediv__(self, other: Dual | Number) -> Dual:
        return Dual.apply_op(ops.DIV, other, self)

    def __pow__(self, other: Dual | Number) -> Dual:
        if isinstance(other, Dual):
            return Dual.apply_op(ops.POW, self, other)
        return Dual.apply_op(ops.power(other), self)

    def __rpow__(self, base: Number) -> Dual:
        return Dual.apply_op(ops.POW, base, self)

    def __neg__(self) -> Dual:
        return Dual.apply_op(ops.NEG, self)

    def __abs__(self) -> Dual:
        return Dual.apply_op(ops.ABS, self)

    def __getattr__(self, name: str) -> Callable[..., Dual]:
        """``d.exp()``, ``d.tanh()``, ``d.leaky_relu(0.2)``: every registry function, on duals."""
        if name.startswith("_"):
            raise AttributeError(name)
        function = getattr(ops.fn, name)  # AttributeError lists the functions there are
        return lambda *args: function(self, *args)


def jvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]) -> tuple[Any, Any]:
    """(f(primals), J·tangents) by forward mode: tangents pushed through the recorded graph.

    ``f`` takes one Value per primal and returns a Value or a list of Values. Each
    node's tangent is Σ local_grads[i] · tangent(parent i), in creation order, so it
    works for every op, including ops of your own.

    >>> jvp(lambda x, y: x * y, [3.0, 2.0], [1.0, 0.0])
    (6.0, 2.0)
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp needs one tangent per primal, got {len(primals)} primals and {len(tangents)} tangents")
    leaves = [Value(p) for p in primals]
    out = f(*leaves)
    outputs = list(out) if isinstance(out, (list, tuple)) else [out]
    if not all(isinstance(y, Value) for y in outputs):
        raise TypeError("f must return a Value or a list of Values built from its arguments")
    tangent: dict[int, float] = {id(leaf): float(t) for leaf, t in zip(leaves, tangents)}
    for y in outputs:
        for v in y.topological_order():
            if id(v) not in tangent:
                tangent[id(v)] = math.fsum(g * tangent[id(p)] for p, g in zip(v.parents, v.local_grads))
    values = [y.data for y in outputs]
    result = [tangent[id(y)] for y in outputs]
    if isinstance(out, (list, tuple)):
        return values, result
    return values[0], result[0]
