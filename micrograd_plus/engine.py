"""The scalar autograd engine: ``Value``, its operations, and ``backward()``.

Every operation computes its result *and* the local derivative of that result
with respect to each operand, and stores both on the new node. ``backward()``
then applies the chain rule once per edge,

    parent.grad += local_grad * node.grad

visiting the nodes in reverse topological order (every node before the nodes it
was made from), so each node's gradient is complete before it is passed on.

Each op is defined once, in :mod:`micrograd_plus.ops`; a node keeps its op's
registry ``entry``. The most used ops (``+ - *``, ``neg``, ``relu``, ``tanh``)
are written out here, result and local derivatives side by side, for speed and
for reading; a test holds each of them equal to its registry rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from numbers import Real
from operator import attrgetter
from typing import Any, Union

from micrograd_plus import ops
from micrograd_plus._validate import node_name
from micrograd_plus.ops import ADD, MUL, NEG, RELU, SUB, TANH
from micrograd_plus.tracing import note_branch

__all__ = [
    "Value",
    "apply",
    "current_scope",
    "grad_number",
    "gradients",
    "lift",
    "local_derivative_values",
    "node",
    "node_name",
    "scope",
]

Operand = Union["Value", int, float]

_new = object.__new__

# The module call making new nodes right now: None, or (tag, enclosing Scope). The nn modules set it while they run
# (``with scope(module):``), so that drawings can group a graph's nodes by the module call that made them. A context
# variable, so that two threads training two models never mix their scopes.
Scope = tuple[object, "Scope | None"]
_current_scope: ContextVar[Scope | None] = ContextVar("micrograd_plus_scope", default=None)
current_scope = _current_scope.get


class scope:  # noqa: N801 - used like a function: ``with scope(module):``
    """While active, new nodes record ``(tag, enclosing scope)`` as their ``scope`` (for drawings)."""

    __slots__ = ("tag", "token")

    def __init__(self, tag: object) -> None:
        self.tag = tag

    def __enter__(self) -> None:
        self.token = _current_scope.set((self.tag, _current_scope.get()))

    def __exit__(self, *exc: object) -> None:
        _current_scope.reset(self.token)


def node(data: float, parents: tuple[Value, ...], local_grads: tuple[float, ...], entry: ops.Op) -> Value:
    """Make the output node of an op (no checks of the operands); refuse an overflow instead of carrying inf on."""
    if data - data != 0.0:  # inf - inf is nan; a finite number minus itself is 0
        shown = ", ".join(f"{p.data!r} ({node_name(p)})" for p in parents)
        raise OverflowError(f"'{entry.name}' overflowed to {data} for inputs {shown}; rescale the inputs")
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.entry = entry
    out.parents = parents
    out.local_grads = local_grads
    out.scope = current_scope()
    return out


def grad_number(v: Value) -> float:
    """``v.grad`` as a number, also after ``backward(create_graph=True)`` made it a Value."""
    g = v.grad
    return g.data if isinstance(g, Value) else float(g)


def lift(x: Operand) -> Value:
    """A Value as it is, or a plain number as a constant leaf."""
    return x if isinstance(x, Value) else Value(x)


def apply(entry: ops.Op, *operands: Operand) -> Value:
    """The node of a registry op on these operands: its domain checked, forward and local derivatives computed."""
    parents = tuple(map(lift, operands))
    if not entry.accepts(len(parents)):
        raise TypeError(f"op {entry.name!r} takes {entry.arity} operand(s), got {len(parents)}")
    xs = [p.data for p in parents]

    def where(i: int) -> str:
        return node_name(parents[i])

    data = entry.evaluate(*xs, where=where)
    return node(data, parents, entry.local_grads(xs, data, where), entry)


class Value:
    """A scalar node: its ``data``, its ``grad`` d(root)/d(self), and how it was made.

    ``op`` names the operation that made it (``""`` for a leaf) and ``entry`` is
    that op's registry entry; ``parents`` are its operands in order and
    ``local_grads[i]`` is d(self)/d(parents[i]). ``scope`` records the module
    call that made it (see ``scope``).

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "entry", "parents", "local_grads", "scope")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:  # the common case skips the slower abstract-number test
            if isinstance(data, bool) or not isinstance(data, Real):
                raise TypeError(f"expected a Value, int or float, got {type(data).__name__} {data!r}")
            try:
                data = float(data)
            except OverflowError:
                raise ValueError(
                    f"Value needs a finite number, got {type(data).__name__} beyond the float range (about ±1.8e308); "
                    "rescale it"
                ) from None
        if data - data != 0.0:  # inf - inf and nan - nan are nan: not finite
            raise ValueError(f"Value needs a finite number, got {data}; check the input for nan or inf")
        self.data: float = data
        self.grad: float = 0.0  # a Value after backward(create_graph=True), so it can be differentiated again
        self.label: str = label
        self.entry: ops.Op | None = None
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.scope: Scope | None = _current_scope.get()

    @property
    def op(self) -> str:
        """The name of the op that made this node: ``'+'``, ``'tanh'``, ``'**3'``; ``''`` for a leaf."""
        return self.entry.name if self.entry is not None else ""

    @property
    def parameter(self) -> Any:
        """The op's parameter as data (the exponent of ``x ** 3``, a leaky relu's slope), or None."""
        return self.entry.param if self.entry is not None else None

    def __repr__(self) -> str:
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={grad:.6g}{label})"

    def __float__(self) -> float:
        raise TypeError(
            f"a Value cannot silently become a float: float(v), or a math function such as math.exp(v), would cut "
            f"the graph at {node_name(self)}; use the Value's own op (v.exp(), v.log(), v.sin(), or fn.exp(v) ...) "
            "to stay in the graph, or v.data for the number"
        )

    @classmethod
    def apply_op(cls, entry: ops.Op, *operands: Operand) -> Value:
        """``fn.exp(v)`` and the other registry functions on Values: ``apply(entry, ...)``."""
        return apply(entry, *operands)

    @classmethod
    def from_op(cls, data: float, parents: Sequence[Value], local_grads: Sequence[float], op: str) -> Value:
        """A one-off node with its result and d(result)/d(parent) for each parent, as floats.

        For an op that should also work with second derivatives, forward mode and
        compiled replay, define it once with ``define_op``.

        >>> x = Value(2.0)
        >>> cube = Value.from_op(x.data**3, [x], [3 * x.data**2], "cube")
        >>> cube.backward()
        >>> cube.data, x.grad
        (8.0, 12.0)
        """
        parents, local_grads = tuple(parents), tuple(map(float, local_grads))
        if not all(isinstance(p, Value) for p in parents):
            raise TypeError(f"from_op needs parents that are Values, got {[type(p).__name__ for p in parents]}")
        if len(parents) != len(local_grads) or not parents:
            raise ValueError(
                f"from_op needs one local derivative per parent, got {len(parents)} parents "
                f"and {len(local_grads)} local derivatives"
            )
        if not all(math.isfinite(g) for g in local_grads):
            raise ValueError(f"from_op needs finite local derivatives, got {local_grads}")
        if not isinstance(op, str):
            raise TypeError(f"from_op needs the op's name as a string, got {type(op).__name__} {op!r}")
        return node(Value(data).data, parents, local_grads, ops.recorded(op))

    def named(self, label: str) -> Value:
        """Set ``label`` and return the node itself: ``e = (a * b).named("e")``."""
        self.label = label
        return self

    # -- the most used ops, written out: result and local derivative(s) side by side -------------

    def __add__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        return node(self.data + other.data, (self, other), (1.0, 1.0), ADD)

    def __sub__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        return node(self.data - other.data, (self, other), (1.0, -1.0), SUB)

    def __mul__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        return node(self.data * other.data, (self, other), (other.data, self.data), MUL)

    def __neg__(self) -> Value:
        return node(-self.data, (self,), (-1.0,), NEG)

    def tanh(self) -> Value:
        """tanh x; d/dx = 1 - tanh² x."""
        t = math.tanh(self.data)
        return node(t, (self,), (1.0 - t * t,), TANH)

    def relu(self) -> Value:
        """max(0, x); relu'(0) is taken as 0."""
        x = self.data
        return node(x, (self,), (1.0,), RELU) if x > 0.0 else node(0.0, (self,), (0.0,), RELU)

    # -- every other op, from its registry entry ---------------------------------------------

    def __truediv__(self, other: Operand) -> Value:  # d(x/y)/dx = 1/y, d(x/y)/dy = -x/y²
        return apply(ops.DIV, self, other)

    def __pow__(self, other: Operand) -> Value:  # x ** n (a number) or x ** y (a Value)
        return apply(ops.POW, self, other) if isinstance(other, Value) else apply(ops.power(other), self)

    def __rpow__(self, base: Operand) -> Value:  # base ** self
        return apply(ops.POW, base, self)

    def __abs__(self) -> Value:  # abs'(0) is taken as 0
        return apply(ops.ABS, self)

    def exp(self) -> Value:
        """e^x; d/dx = e^x."""
        return apply(ops.EXP, self)

    def log(self) -> Value:
        """Natural log ln x, for x > 0; d/dx = 1/x."""
        return apply(ops.LOG, self)

    def sqrt(self) -> Value:
        """√x, for x > 0 (x = 0 is refused: the derivative 1/(2√x) is infinite there)."""
        return apply(ops.SQRT, self)

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^-x); d/dx = σ(x)(1 - σ(x))."""
        return apply(ops.SIGMOID, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, slope·x otherwise; the derivative at 0 is taken as ``slope``."""
        return apply(ops.leaky_relu(slope), self)

    def sin(self) -> Value:
        """sin x; d/dx = cos x."""
        return apply(ops.SIN, self)

    def cos(self) -> Value:
        """cos x; d/dx = -sin x."""
        return apply(ops.COS, self)

    def detach(self) -> Value:
        """A new leaf with the same data: gradients do not flow through it."""
        return Value(self.data, self.label)

    # -- comparisons compare data (for rules that branch); == stays identity, so nodes can be dict keys --

    def __lt__(self, other: Operand) -> bool:
        note_branch("a comparison of Values")
        return self.data < lift(other).data

    def __le__(self, other: Operand) -> bool:
        note_branch("a comparison of Values")
        return self.data <= lift(other).data

    def __gt__(self, other: Operand) -> bool:
        note_branch("a comparison of Values")
        return self.data > lift(other).data

    def __ge__(self, other: Operand) -> bool:
        note_branch("a comparison of Values")
        return self.data >= lift(other).data

    # -- composite ops: built from the primitives above -------------------------

    def __radd__(self, other: Operand) -> Value:  # other + self
        return lift(other) + self

    def __rsub__(self, other: Operand) -> Value:  # other - self
        return lift(other) - self

    def __rmul__(self, other: Operand) -> Value:  # other * self
        return lift(other) * self

    def __rtruediv__(self, other: Operand) -> Value:  # other / self
        return lift(other) / self

    # -- backpropagation --------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its parents; ``self`` last."""
        return depth_first_order(self)

    def backward(self, gradient: float = 1.0, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node below this one with d(self)/d(node).

        Gradients of interior nodes are recomputed on every call; gradients of
        leaves accumulate across calls until they are reset (as in PyTorch).
        With ``create_graph=True`` every gradient is itself a Value, built from
        graph operations, so it can be differentiated again (second derivatives).
        A gradient that overflows a float raises OverflowError naming the node.
        """
        if isinstance(gradient, bool) or not isinstance(gradient, Real) or not math.isfinite(gradient):
            raise TypeError(f"backward(gradient) needs a finite int or float, got {gradient!r}")
        if create_graph:
            if gradient != 1.0:
                raise ValueError("backward(create_graph=True) starts from d(root)/d(root) = 1; leave gradient at 1")
            _backward_with_graph(self)
            return
        leaves: list[Value] = []
        order = depth_first_order(self, leaves)  # leaves pass nothing on: they are kept apart
        for v in order:
            v.grad = 0.0
        self.grad += gradient
        for v in reversed(order):
            g = v.grad
            if g:  # a zero gradient adds nothing to any parent (half of all relus, say)
                if g - g:  # inf - inf and nan - nan are nan, which is true
                    _overflowed(v, g)
                for parent, local in zip(v.parents, v.local_grads):
                    parent.grad += local * g  # the chain rule
        total = sum(map(_grad, leaves))
        if type(total) is float and total - total:  # a leaf's gradient is inf or nan (or finite ones summed past it)
            for leaf in leaves:
                if leaf.grad - leaf.grad:
                    _overflowed(leaf, leaf.grad)


def depth_first_order(root: Value, leaves: list[Value] | None = None) -> list[Value]:
    """``root.topological_order()``; given a list ``leaves``, the leaves go there instead, in the same order.

    Iterative depth-first search, so deep graphs never hit the recursion limit. A node reached
    before is already in order unless it is on the stack, and no parent of a node can be on the
    stack (that would be a cycle), so a node whose parents were all reached is complete at once.
    """
    order: list[Value] = []
    leaf_done = order.append if leaves is None else leaves.append
    if not root.parents:
        leaf_done(root)
        return order
    visited = {root}
    all_visited = visited.issuperset  # one C-level test for a node whose parents were all reached before
    stack = [(root, iter(root.parents))]  # each node with the parents it has yet to visit
    while stack:
        v, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                grandparents = parent.parents
                if not grandparents:
                    leaf_done(parent)  # a leaf is complete at once
                elif all_visited(grandparents):
                    order.append(parent)  # so is a node whose parents are all in order
                elif len(grandparents) == 1 and (only := grandparents[0]).parents and all_visited(only.parents):
                    visited.add(only)  # an activation of such a node (relu of a new dot): both complete at once
                    order.append(only)
                    order.append(parent)
                else:
                    stack.append((parent, iter(grandparents)))
                    break  # descend; come back to v's other parents later
        else:  # every parent is in order: v is complete
            stack.pop()
            order.append(v)
    return order


_grad = attrgetter("grad")


def _overflowed(v: Value, g: float) -> None:
    raise OverflowError(
        f"the gradient of {node_name(v)} ({v.op or 'leaf'}, data {v.data!r}) overflowed to {g} in backward(); "
        "rescale the inputs or the loss"
    )


# -- gradients as Values: the same chain rule, with each local derivative built by its registry rule ----------------


def local_derivative_values(v: Value) -> list[Value]:
    """d(v)/d(parent) for each parent, as Values built from the parents (and v): differentiable again."""
    entry = v.entry
    if entry is None:
        return []
    if entry.derivatives is None:
        raise ValueError(
            f"op {entry.name!r} has no derivative rule over Values, so it cannot be differentiated twice; "
            "a node made with Value.from_op records only float derivatives: define the op with define_op instead"
        )
    for p in v.parents:
        if p.data in entry.kinks:
            raise ValueError(
                f"{entry.name} has no derivative at x = {p.data} (a kink), so no derivative of higher order "
                "through it exists there; move the point away from 0"
            )
    return [lift(d) for d in entry.derivatives(*v.parents, v)]


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


def _backward_with_graph(root: Value) -> None:
    """``root.backward(create_graph=True)``: every ``.grad`` becomes a Value; leaves accumulate."""
    order = root.topological_order()
    totals = gradients(root, order, create_graph=True)
    for v, total in zip(order, totals):
        v.grad = total if v.parents or not v.grad else v.grad + total


def _registry_method(entry: ops.Op) -> Callable[..., Value]:
    def method(self: Value, *others: Operand) -> Value:
        return apply(entry, self, *others)

    method.__name__ = method.__qualname__ = entry.name
    method.__doc__ = f"{entry.name}, from its registry entry (see micrograd_plus.ops)."
    return method


# Registry functions without a method above become methods too (x.arcsin(), y.atan2(x)): adding an op is one entry.
for _entry in list(ops.REGISTRY.values()):
    if _entry.kind in ("function", "activation") and _entry.name.isidentifier() and not hasattr(Value, _entry.name):
        setattr(Value, _entry.name, _registry_method(_entry))
