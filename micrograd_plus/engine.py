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
for reading (a test holds each equal to its registry rule); every other op is a
method of ``Arithmetic`` (``micrograd_plus/ops/arithmetic.py``) that calls ``apply``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, Union

from micrograd_plus import ops
from micrograd_plus._validate import as_number, check_from_op, finite_float, is_real, node_name
from micrograd_plus.ops import ADD, MUL, NEG, RELU, SUB, TANH
from micrograd_plus.ops.arithmetic import Arithmetic
from micrograd_plus.ops.value_rules import backward_with_graph
from micrograd_plus.scopes import Scope, current_scope
from micrograd_plus.tracing import DataFloat, compared, data_leaf, note_branch

Operand = Union["Value", int, float]


class Value(Arithmetic):
    """A scalar node: its ``data``, its ``grad`` d(root)/d(self), and how it was made.

    ``op`` names the operation that made it (``""`` for a leaf) and ``entry`` is
    that op's registry entry; ``parents`` are its operands in order and
    ``local_grads[i]`` is d(self)/d(parents[i]). ``scope`` records the module
    call that made it (see :mod:`micrograd_plus.scopes`).

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "entry", "parents", "local_grads", "scope")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float or data - data != 0.0:  # a finite float skips the checks (inf - inf is nan)
            # a number of a replayed step's data becomes a data leaf: the replay reads it from the new data
            data = finite_float(data_leaf(self, data) if type(data) is DataFloat else data)
        self.data: float = data
        self.grad: float = 0.0  # a Value after backward(create_graph=True), so it can be differentiated again
        self.label: str = label
        self.entry: ops.Op | None = None
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.scope: Scope | None = current_scope()

    @property
    def op(self) -> str:
        """The name of the op that made this node: ``'+'``, ``'tanh'``, ``'**3'``; ``''`` for a leaf."""
        return self.entry.name if self.entry is not None else ""

    @property
    def parameter(self) -> Any:
        """The op's parameter as data (the exponent of ``x ** 3``, a leaky relu's slope), or None."""
        return self.entry.param if self.entry is not None else None

    def named(self, label: str) -> Value:
        """Set ``label`` and return the node itself: ``e = (a * b).named("e")``."""
        self.label = label
        return self

    def __repr__(self) -> str:
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={grad:.6g}{label})"

    # -- the most used ops, written out: result and local derivative(s) side by side -------------

    def __add__(self, other: Operand) -> Value:  # d(x+y)/dx = d(x+y)/dy = 1
        other = other if isinstance(other, Value) else Value(other)
        return node(self.data + other.data, (self, other), (1.0, 1.0), ADD)

    def __sub__(self, other: Operand) -> Value:  # d(x-y)/dx = 1, d(x-y)/dy = -1
        other = other if isinstance(other, Value) else Value(other)
        return node(self.data - other.data, (self, other), (1.0, -1.0), SUB)

    def __mul__(self, other: Operand) -> Value:  # d(xy)/dx = y, d(xy)/dy = x
        other = other if isinstance(other, Value) else Value(other)
        return node(self.data * other.data, (self, other), (other.data, self.data), MUL)

    def __neg__(self) -> Value:
        return node(-self.data, (self,), (-1.0,), NEG)

    def __radd__(self, other: Operand) -> Value:  # other + self
        return lift(other) + self

    def __rsub__(self, other: Operand) -> Value:  # other - self
        return lift(other) - self

    def __rmul__(self, other: Operand) -> Value:  # other * self
        return lift(other) * self

    def tanh(self) -> Value:
        """tanh x; d/dx = 1 - tanh² x."""
        t = math.tanh(self.data)
        return node(t, (self,), (1.0 - t * t,), TANH)

    def relu(self) -> Value:
        """max(0, x); relu'(0) is taken as 0."""
        x = self.data
        return node(x, (self,), (1.0,), RELU) if x > 0.0 else node(0.0, (self,), (0.0,), RELU)

    # every other op (/, **, abs, exp, log, sin, ...) comes from Arithmetic: apply(its registry entry, operands)

    @classmethod
    def apply_op(cls, entry: ops.Op, *operands: Operand) -> Value:
        """The node of registry op ``entry`` on these operands (how ``Arithmetic`` and ``fn.exp(v)`` make nodes)."""
        return apply(entry, *operands)

    def detach(self) -> Value:
        """A new leaf with the same data: gradients do not flow through it."""
        note_branch("a detached Value (detach() takes a number out of the graph)")  # Replay: the number would stay
        return Value(self.data, self.label)

    def __float__(self) -> float:
        raise TypeError(
            f"a Value cannot silently become a float: float(v), or a math function such as math.exp(v), would cut "
            f"the graph at {node_name(self)}; use the Value's own op (v.exp(), v.log(), v.sin(), or fn.exp(v) ...) "
            "to stay in the graph, or v.data for the number"
        )

    # -- comparisons compare data (rules that branch); == stays identity, so nodes can be dict keys --

    def __lt__(self, other: Operand) -> bool:
        return compared(self.data < lift(other).data)

    def __le__(self, other: Operand) -> bool:
        return compared(self.data <= lift(other).data)

    def __gt__(self, other: Operand) -> bool:
        return compared(self.data > lift(other).data)

    def __ge__(self, other: Operand) -> bool:
        return compared(self.data >= lift(other).data)

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
        A gradient that overflows a float raises OverflowError naming the node,
        and leaves every ``.grad`` as it was before the call.
        """
        if not is_real(gradient) or not math.isfinite(gradient := float(as_number(gradient))):  # type: ignore[arg-type]
            raise TypeError(f"backward(gradient) needs a finite int or float, got {gradient!r}")
        if create_graph:
            if gradient != 1.0:
                raise ValueError("backward(create_graph=True) starts from d(root)/d(root) = 1; leave gradient at 1")
            backward_with_graph(self)
            return
        leaves: list[Value] = []
        order = depth_first_order(self, leaves)  # leaves pass nothing on: they are kept apart
        before = [v.grad for v in order], [v.grad for v in leaves]  # restored if the call raises (~1% of a step)
        for v in order:
            v.grad = 0.0
        self.grad += gradient
        try:
            for v in reversed(order):
                g = v.grad
                if g:  # a zero gradient adds nothing to any parent (half of all relus, say)
                    if g - g:  # inf - inf and nan - nan are nan, which is true
                        _overflowed(v, g)
                    for parent, local in zip(v.parents, v.local_grads):
                        parent.grad += local * g  # the chain rule
            total = sum(map(_grad, leaves))
            if type(total) is float and total - total:  # a leaf's gradient is inf or nan (or their sum is)
                for leaf in leaves:
                    if leaf.grad - leaf.grad:
                        _overflowed(leaf, leaf.grad)
        except OverflowError:
            for nodes, grads in zip((order, leaves), before):
                for v, g in zip(nodes, grads):
                    v.grad = g
            raise

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
        nodes, grads = check_from_op(parents, local_grads, op)
        return node(Value(data).data, nodes, grads, ops.recorded(op))


# -- making nodes -------------------------------------------------------------------------------


_new = object.__new__  # one name lookup instead of two, for every node made (about 1% of a training step)


def node(data: float, parents: tuple[Value, ...], local_grads: tuple[float, ...], entry: ops.Op) -> Value:
    """Make the output node of an op (no checks of the operands); refuse an overflow instead of carrying inf on."""
    if data - data != 0.0:  # inf - inf is nan; a finite number minus itself is 0
        shown = ", ".join(f"{p.data!r} ({node_name(p)})" for p in parents)
        raise OverflowError(f"'{entry.name}' overflowed to {data} for inputs {shown}; rescale the inputs")
    out: Value = _new(Value)  # __init__'s checks are for user input; data here is already a float
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.entry = entry
    out.parents = parents
    out.local_grads = local_grads
    out.scope = current_scope()
    return out


def apply(entry: ops.Op, *operands: Operand) -> Value:
    """The node of a registry op on these operands: its domain checked, forward and local derivatives computed."""
    parents = tuple(map(lift, operands))
    if not entry.accepts(len(parents)):
        raise TypeError(f"op {entry.name!r} takes {entry.arity} operand(s), got {len(parents)}")
    xs = [p.data for p in parents]

    def where(i: int) -> str:
        return node_name(parents[i])

    data = entry.evaluate(*xs, where=where)
    try:
        local_grads = entry.local_grads(xs, data, where)
    except (ValueError, OverflowError):  # a derivative outside its domain: is it only toward plain numbers?
        constant = [i for i, x in enumerate(operands) if not isinstance(x, Value)]
        if not constant:
            raise
        # no gradient ever flows to a plain number, so its edge records 0 (0.0 ** y at y = 0.5: d/dy = 0)
        local_grads = entry.local_grads(xs, data, where, constant)
    return node(data, parents, local_grads, entry)


def lift(x: Operand) -> Value:
    """A Value as it is, or a plain number as a constant leaf."""
    return x if isinstance(x, Value) else Value(x)


def grad_number(v: Value) -> float:
    """``v.grad`` as a number, also after ``backward(create_graph=True)`` made it a Value."""
    g = v.grad
    return g.data if isinstance(g, Value) else float(g)


# -- the order of backward ------------------------------------------------------------------------


def depth_first_order(root: Value, leaves: list[Value] | None = None) -> list[Value]:
    """``root.topological_order()``; given a list ``leaves``, the leaves go there instead, in the same order.

    Iterative depth-first search, so deep graphs never hit the recursion limit. A node reached
    before is already in order unless it is on the stack, and no parent of a node can be on the
    stack (that would be a cycle), so a node whose parents were all reached is complete at once.
    That shortcut, and the one for an activation of such a node (relu of a fresh dot), are kept for
    speed: W1's order (micrograd's moons step) takes 1.8-2.8 ms with them, 2.9-4.0 ms without (a
    plain depth-first search), about 5% of a training step.
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
                    visited.add(only)  # an activation of such a node: both complete at once
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
