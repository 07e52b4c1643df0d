"""The scalar autograd engine: ``Value``, its operations, and ``backward()``.

Every operation computes its result *and* the local derivative of that result
with respect to each operand, and stores both on the new node. ``backward()``
then applies the chain rule once per edge,

    parent.grad += local_grad * node.grad

visiting the nodes in reverse topological order (every node before the nodes it
was made from), so each node's gradient is complete before it is passed on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Union

__all__ = ["Value", "op_parameter"]

Operand = Union["Value", int, float]

_new = object.__new__

# Where new nodes are being made: None, or a Scope (tag, enclosing Scope). The nn modules set it while
# they run, so that drawings can group a graph's nodes by the module call (or RNN time step) that made them.
Scope = tuple[object, "Scope | None"]
current_scope: Scope | None = None


def _name(node: Value) -> str:
    return f"node {node.label!r}" if node.label else "an unlabelled node"


def _result(data: float, parents: tuple[Value, ...], local_grads: tuple[float, ...], op: str) -> Value:
    """Make the output node of an op; refuse an overflow instead of carrying inf on."""
    if data - data != 0.0:  # inf - inf is nan; a finite number minus itself is 0
        shown = ", ".join(f"{p.data!r} ({_name(p)})" for p in parents)
        raise OverflowError(f"'{op}' overflowed to {data} for inputs {shown}; rescale the inputs")
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out.parents = parents
    out.local_grads = local_grads
    out.scope = current_scope
    return out


def op_parameter(op: str) -> tuple[str, float]:
    """An op's kind and the number written into its name: '**3' -> ('**n', 3.0), 'leaky_relu(0.2)' ->
    ('leaky_relu', 0.2); any other name -> (name, 0.0). Replaying, explaining and compiling read it back.
    """
    if op.startswith("**") and len(op) > 2:
        return "**n", float(op[2:])
    if op.startswith("leaky_relu(") and op.endswith(")"):
        return "leaky_relu", float(op[len("leaky_relu(") : -1])
    return op, 0.0


def _lift(x: Operand) -> Value:
    """A Value as it is, or a plain number as a constant leaf."""
    return x if isinstance(x, Value) else Value(x)


class Value:
    """A scalar node: its ``data``, its ``grad`` d(root)/d(self), and how it was made.

    ``op`` names the operation that made it (``""`` for a leaf), ``parents`` are
    its operands in order and ``local_grads[i]`` is d(self)/d(parents[i]).
    ``scope`` records the module call that made it (see ``current_scope``).

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "scope")

    def __init__(self, data: float, label: str = "") -> None:
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"expected a Value, int or float, got {type(data).__name__} {data!r}")
        data = float(data)
        if not math.isfinite(data):
            raise ValueError(f"Value needs a finite number, got {data}; check the input for nan or inf")
        self.data: float = data
        self.grad: float = 0.0
        self.label: str = label
        self.op: str = ""
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.scope: Scope | None = current_scope

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={float(self.grad):.6g}{label})"  # grad may be a Value

    def __float__(self) -> float:
        return self.data

    @classmethod
    def from_op(cls, data: float, parents: Sequence[Value], local_grads: Sequence[float], op: str) -> Value:
        """A node made by your own op: its result and d(result)/d(parent) for each parent.

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
        return _result(Value(data).data, parents, local_grads, op)

    def named(self, label: str) -> Value:
        """Set ``label`` and return the node itself: ``e = (a * b).named("e")``."""
        self.label = label
        return self

    # -- primitive ops: result and local derivative(s) side by side -------------

    def __add__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        return _result(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        return _result(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        return _result(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        y = other.data
        if y == 0.0:
            raise ZeroDivisionError(f"division by zero: the divisor is 0.0 ({_name(other)})")
        q = self.data / y
        return _result(q, (self, other), (1.0 / y, -q / y), "/")  # d(x/y)/dy = -x/y²

    def __pow__(self, other: Operand) -> Value:
        x = self.data
        if isinstance(other, Value):  # x ** y: d/dx = y x^(y-1), d/dy = x^y ln x
            y = other.data
            if x <= 0.0:
                raise ValueError(
                    f"x ** y with a Value exponent needs x > 0, since d/dy = x^y ln x; got x = {x} "
                    f"({_name(self)}); for a fixed exponent use a plain number: x ** {y}"
                )
            p = self._power(y)
            return _result(p, (self, other), (y * x ** (y - 1.0), p * math.log(x)), "**")
        if isinstance(other, bool) or not isinstance(other, Real):
            raise TypeError(f"expected a Value, int or float exponent, got {type(other).__name__} {other!r}")
        n = float(other)
        p = self._power(n)
        if n == 0.0:
            local = 0.0
        elif x == 0.0 and n < 1.0:
            raise ValueError(f"d(x ** {n})/dx is infinite at x = 0 ({_name(self)}); keep x away from 0")
        else:
            local = n * x ** (n - 1.0)  # d(x^n)/dx = n x^(n-1)
        return _result(p, (self,), (local,), f"**{other!r}")

    def _power(self, n: float) -> float:
        x = self.data
        if x == 0.0 and n < 0.0:
            raise ZeroDivisionError(f"0 ** {n} is undefined ({_name(self)}); a negative power needs x != 0")
        if x < 0.0 and not n.is_integer():
            raise ValueError(
                f"{x} ** {n} is not a real number ({_name(self)}); a negative base needs an integer exponent"
            )
        try:
            return float(x**n)
        except OverflowError:
            raise OverflowError(f"{x} ** {n} overflowed ({_name(self)}); rescale the inputs") from None

    def __rpow__(self, base: Operand) -> Value:  # base ** self
        return _lift(base) ** self

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), (-1.0,), "neg")

    def __abs__(self) -> Value:
        x = self.data  # abs'(0) is taken as 0
        return _result(abs(x), (self,), (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0,), "abs")

    def exp(self) -> Value:
        """e^x; d/dx = e^x."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data}) overflows a float ({_name(self)}); inputs must be below about 709.78"
            ) from None
        return _result(e, (self,), (e,), "exp")

    def log(self) -> Value:
        """Natural log ln x, for x > 0; d/dx = 1/x."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log is undefined for x = {x} ({_name(self)}); inputs must be > 0")
        return _result(math.log(x), (self,), (1.0 / x,), "log")

    def sqrt(self) -> Value:
        """√x, for x > 0 (x = 0 is refused: the derivative 1/(2√x) is infinite there)."""
        x = self.data
        if x <= 0.0:
            reason = "its derivative is infinite at 0" if x == 0.0 else "inputs must be >= 0"
            raise ValueError(f"sqrt is undefined for x = {x} ({_name(self)}); {reason}")
        r = math.sqrt(x)
        return _result(r, (self,), (0.5 / r,), "sqrt")

    def tanh(self) -> Value:
        """tanh x; d/dx = 1 - tanh² x."""
        t = math.tanh(self.data)
        return _result(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^-x); d/dx = σ(x)(1 - σ(x))."""
        x = self.data
        if x >= 0.0:  # two branches, so that e^(-x) and e^x never overflow
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _result(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        """max(0, x); relu'(0) is taken as 0."""
        x = self.data
        return _result(x, (self,), (1.0,), "relu") if x > 0.0 else _result(0.0, (self,), (0.0,), "relu")

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, slope·x otherwise; the derivative at 0 is taken as ``slope``."""
        x = self.data
        op = f"leaky_relu({slope!r})"  # the op names its slope, so it can be replayed and shown
        if x > 0.0:
            return _result(x, (self,), (1.0,), op)
        return _result(slope * x, (self,), (float(slope),), op)

    def sin(self) -> Value:
        """sin x; d/dx = cos x."""
        return _result(math.sin(self.data), (self,), (math.cos(self.data),), "sin")

    def cos(self) -> Value:
        """cos x; d/dx = -sin x."""
        return _result(math.cos(self.data), (self,), (-math.sin(self.data),), "cos")

    def detach(self) -> Value:
        """A new leaf with the same data: gradients do not flow through it."""
        return Value(self.data, self.label)

    # -- composite ops: built from the primitives above -------------------------

    def __radd__(self, other: Operand) -> Value:  # other + self
        return _lift(other) + self

    def __rsub__(self, other: Operand) -> Value:  # other - self
        return _lift(other) - self

    def __rmul__(self, other: Operand) -> Value:  # other * self
        return _lift(other) * self

    def __rtruediv__(self, other: Operand) -> Value:  # other / self
        return _lift(other) / self

    # -- backpropagation --------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its parents; ``self`` last.

        Iterative depth-first search, so deep graphs never hit the recursion limit.
        """
        order: list[Value] = []
        visited = {self}
        stack = [(self, iter(self.parents))]  # each node with the parents it has yet to visit
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    if parent.parents:
                        stack.append((parent, iter(parent.parents)))
                        break  # descend; come back to node's other parents later
                    order.append(parent)  # a leaf is complete at once
            else:  # every parent is in order: node is complete
                stack.pop()
                order.append(node)
        return order

    def backward(self, gradient: float = 1.0, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node below this one with d(self)/d(node).

        Gradients of interior nodes are recomputed on every call; gradients of
        leaves accumulate across calls until they are reset (as in PyTorch).
        With ``create_graph=True`` every gradient is itself a Value, built from
        graph operations, so it can be differentiated again (second derivatives).
        """
        if isinstance(gradient, bool) or not isinstance(gradient, Real) or not math.isfinite(gradient):
            raise TypeError(f"backward(gradient) needs a finite int or float, got {gradient!r}")
        if create_graph:
            if gradient != 1.0:
                raise ValueError("backward(create_graph=True) starts from d(root)/d(root) = 1; leave gradient at 1")
            from micrograd_plus.autodiff import backward_with_graph  # the derivative rules written over Values

            backward_with_graph(self)
            return
        order = [node for node in self.topological_order() if node.parents]  # leaves pass nothing on
        for node in order:
            node.grad = 0.0
        self.grad += gradient
        for node in reversed(order):
            g = node.grad
            if g:  # a zero gradient adds nothing to any parent (half of all relus, say)
                for parent, local in zip(node.parents, node.local_grads):
                    parent.grad += local * g  # the chain rule
