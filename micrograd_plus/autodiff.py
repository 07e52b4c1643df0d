"""Higher-order derivatives and function transforms: ``grad``, ``hessian``, ``jvp`` and friends.

Reverse mode of any order: ``gradients(root, wrt, create_graph=True)`` builds the
gradients as new Values (graph operations), so they can be differentiated
again; ``grad`` composes: ``grad(grad(f))`` is the second derivative.

Forward mode: ``Dual`` numbers carry a value and a tangent; ``jvp`` replays a
recorded graph on duals, op by op, to get J·v in one pass.

Each op's derivative exists three times: as floats at forward time (the engine's
``local_grads``), as Values here (``local_derivative_values``) and as dual
numbers here; the test suite checks all three agree for every op.

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
from micrograd_plus.engine import Value, op_parameter

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


# -- derivative rules as graph operations ----------------------------------------------


def _kink(node: Value, where: float) -> None:
    raise ValueError(
        f"{node.op} has no derivative at x = {where} (a kink), so no derivative of higher order through it "
        "exists there; move the point away from 0"
    )


def local_derivative_values(node: Value) -> list[Value]:
    """d(node)/d(parent) for each parent, as Values built from the parents (and the node): differentiable again."""
    op, ps = node.op, node.parents
    kind, number = op_parameter(op)
    a = ps[0] if ps else node
    if op in ("+", "sum"):
        return [Value(1.0) for _ in ps]
    if op == "-":
        return [Value(1.0), Value(-1.0)]
    if op == "neg":
        return [Value(-1.0)]
    if op == "*":
        return [ps[1], ps[0]]
    if op == "/":
        return [1.0 / ps[1], -node / ps[1]]
    if op == "**":
        return [ps[1] * a ** (ps[1] - 1.0), node * a.log()]
    if kind == "**n":
        return [Value(0.0)] if number == 0.0 else [number * a ** (number - 1.0)]
    if op == "exp":
        return [node]
    if op == "log":
        return [1.0 / a]
    if op == "sqrt":
        return [0.5 / node]
    if op == "tanh":
        return [1.0 - node * node]
    if op == "sigmoid":
        return [node * (1.0 - node)]
    if op == "sin":
        return [a.cos()]
    if op == "cos":
        return [-a.sin()]
    if op in ("relu", "abs") or kind == "leaky_relu":
        if a.data == 0.0:
            _kink(node, a.data)
        return [Value(node.local_grads[0])]  # piecewise constant: its own derivative is 0
    if op == "mean":
        return [Value(1.0 / len(ps)) for _ in ps]
    if op == "dot":
        n = len(ps) // 2
        return [*ps[n : 2 * n], *ps[:n], *([Value(1.0)] if len(ps) % 2 else [])]
    if op == "logsumexp":
        return [(p - node).exp() for p in ps]  # softmax_i = e^(x_i - logsumexp(x))
    raise ValueError(
        f"op {op!r} has no derivative rule over Values, so it cannot be differentiated twice; "
        "higher-order derivatives work for the engine's own ops"
    )


# -- reverse mode without side effects --------------------------------------------------


def gradients(root: Value, wrt: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d(root)/d(w) for each w in ``wrt``, without touching any ``.grad``.

    With ``create_graph=True`` each gradient is a Value built from graph operations
    (so it can be differentiated again); otherwise a float.
    """
    order = root.topological_order()
    wanted = {id(w) for w in wrt}
    needed = set()
    for node in order:  # only nodes that depend on something in wrt carry useful gradient
        if id(node) in wanted or any(id(p) in needed for p in node.parents):
            needed.add(id(node))
    if create_graph:
        totals: dict[int, Any] = {id(root): Value(1.0)}
        for node in reversed(order):
            g = totals.get(id(node))
            if g is None or not node.parents or id(node) not in needed:
                continue
            for parent, local in zip(node.parents, local_derivative_values(node)):
                if id(parent) in needed:
                    previous = totals.get(id(parent))
                    totals[id(parent)] = local * g if previous is None else previous + local * g
        return [totals.get(id(w), Value(0.0)) for w in wrt]
    return _float_gradients(order, needed, wrt)


def _float_gradients(order: list[Value], needed: set[int], wrt: Sequence[Value]) -> list[Any]:
    """The float chain rule of ``Value.backward``, kept in a dict instead of ``.grad``."""
    totals: dict[int, float] = {id(order[-1]): 1.0}
    for node in reversed(order):
        upstream = totals.get(id(node), 0.0)
        if upstream and id(node) in needed:
            for parent, local in zip(node.parents, node.local_grads):
                if id(parent) in needed:
                    totals[id(parent)] = totals.get(id(parent), 0.0) + local * upstream
    return [totals.get(id(w), 0.0) for w in wrt]


def backward_with_graph(root: Value) -> None:
    """``root.backward(create_graph=True)``: every ``.grad`` becomes a Value; leaves accumulate."""
    order = root.topological_order()
    totals = gradients(root, order, create_graph=True)
    for node, total in zip(order, totals):  # with create_graph a gradient is a Value, not a float
        if node.parents or not node.grad:
            node.grad = total
        else:
            node.grad = node.grad + total


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

    >>> (Dual(0.5, 1.0).tanh() * 2).tangent == 2 * (1 - math.tanh(0.5) ** 2)
    True
    """

    value: float
    tangent: float = 0.0

    @staticmethod
    def lift(x: Dual | Number) -> Dual:
        return x if isinstance(x, Dual) else Dual(float(x))

    def __add__(self, other: Dual | Number) -> Dual:
        o = Dual.lift(other)
        return Dual(self.value + o.value, self.tangent + o.tangent)

    __radd__ = __add__

    def __sub__(self, other: Dual | Number) -> Dual:
        o = Dual.lift(other)
        return Dual(self.value - o.value, self.tangent - o.tangent)

    def __rsub__(self, other: Dual | Number) -> Dual:
        return Dual.lift(other) - self

    def __mul__(self, other: Dual | Number) -> Dual:
        o = Dual.lift(other)
        return Dual(self.value * o.value, self.tangent * o.value + self.value * o.tangent)

    __rmul__ = __mul__

    def __truediv__(self, other: Dual | Number) -> Dual:
        o = Dual.lift(other)
        q = self.value / o.value
        return Dual(q, (self.tangent - q * o.tangent) / o.value)

    def __rtruediv__(self, other: Dual | Number) -> Dual:
        return Dual.lift(other) / self

    def __pow__(self, other: Dual | Number) -> Dual:
        if isinstance(other, Dual):  # d(x^y) = y x^(y-1) dx + x^y ln x dy
            p = self.value**other.value
            return Dual(p, other.value * self.value ** (other.value - 1.0) * self.tangent
                        + p * math.log(self.value) * other.tangent)  # fmt: skip
        n = float(other)
        derivative = 0.0 if n == 0.0 else n * self.value ** (n - 1.0)
        return Dual(self.value**n, derivative * self.tangent)

    def __rpow__(self, base: Number) -> Dual:
        return Dual.lift(base) ** self

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.tangent)

    def __abs__(self) -> Dual:
        sign = 1.0 if self.value > 0 else -1.0 if self.value < 0 else 0.0
        return Dual(abs(self.value), sign * self.tangent)

    def _chain(self, value: float, derivative: float) -> Dual:
        return Dual(value, derivative * self.tangent)

    def exp(self) -> Dual:
        e = math.exp(self.value)
        return self._chain(e, e)

    def log(self) -> Dual:
        return self._chain(math.log(self.value), 1.0 / self.value)

    def sqrt(self) -> Dual:
        r = math.sqrt(self.value)
        return self._chain(r, 0.5 / r)

    def tanh(self) -> Dual:
        t = math.tanh(self.value)
        return self._chain(t, 1.0 - t * t)

    def sigmoid(self) -> Dual:
        s = 0.5 * (1.0 + math.tanh(0.5 * self.value))
        return self._chain(s, s * (1.0 - s))

    def relu(self) -> Dual:
        return self._chain(max(self.value, 0.0), 1.0 if self.value > 0 else 0.0)

    def leaky_relu(self, slope: float = 0.01) -> Dual:
        return self._chain(self.value if self.value > 0 else slope * self.value, 1.0 if self.value > 0 else slope)

    def sin(self) -> Dual:
        return self._chain(math.sin(self.value), math.cos(self.value))

    def cos(self) -> Dual:
        return self._chain(math.cos(self.value), -math.sin(self.value))


def _dual_logsumexp(*xs: Dual) -> Dual:
    m = max(x.value for x in xs)
    weights = [math.exp(x.value - m) for x in xs]
    total = sum(weights)
    return Dual(m + math.log(total), sum(w * x.tangent for w, x in zip(weights, xs)) / total)


def _dual_op(op: str) -> Callable[..., Dual]:
    """The dual-number version of an engine op, by the op's name."""
    simple: dict[str, Callable[..., Dual]] = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
        "**": lambda a, b: a**b,
        "neg": lambda a: -a,
        "abs": abs,
        "exp": Dual.exp,
        "log": Dual.log,
        "sqrt": Dual.sqrt,
        "tanh": Dual.tanh,
        "sigmoid": Dual.sigmoid,
        "relu": Dual.relu,
        "sin": Dual.sin,
        "cos": Dual.cos,
        "sum": lambda *xs: sum(xs, Dual(0.0)),
        "mean": lambda *xs: sum(xs, Dual(0.0)) / len(xs),
        "logsumexp": _dual_logsumexp,
    }
    if op in simple:
        return simple[op]
    if op == "dot":

        def dot(*ps: Dual) -> Dual:
            n = len(ps) // 2
            total = sum((w * x for w, x in zip(ps[:n], ps[n : 2 * n])), Dual(0.0))
            return total + ps[-1] if len(ps) % 2 else total

        return dot
    kind, number = op_parameter(op)
    if kind == "**n":
        return lambda a: a**number
    if kind == "leaky_relu":
        return lambda a: a.leaky_relu(number)
    raise ValueError(f"op {op!r} has no dual-number rule; forward mode works for the engine's own ops")


def jvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]) -> tuple[Any, Any]:
    """(f(primals), J·tangents) by forward mode: the recorded graph replayed on dual numbers.

    ``f`` takes one Value per primal and returns a Value or a list of Values.

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
    duals: dict[int, Dual] = {id(leaf): Dual(leaf.data, float(t)) for leaf, t in zip(leaves, tangents)}
    for y in outputs:
        for node in y.topological_order():
            if id(node) in duals:
                continue
            if not node.parents:
                duals[id(node)] = Dual(node.data)
            else:
                duals[id(node)] = _dual_op(node.op)(*[duals[id(p)] for p in node.parents])
    values = [duals[id(y)].value for y in outputs]
    result = [duals[id(y)].tangent for y in outputs]
    if isinstance(out, (list, tuple)):
        return values, result
    return values[0], result[0]
