"""n-ary helpers over sequences of Values (plain numbers are accepted too).

``sum``, ``mean``, ``dot`` and ``logsumexp`` each make **one** node with one
parent per operand, rather than a chain of binary nodes: the graph is smaller,
backward is faster, and a drawing of a neuron shows one ``dot`` where the math
has one dot product.

>>> from micrograd_plus import Value, functional as F
>>> w, x = [Value(0.5), Value(-1.0)], [Value(2.0), Value(3.0)]
>>> y = F.dot(w, x)
>>> y.backward()
>>> y.data, [wi.grad for wi in w], len(y.parents)
(-2.0, [2.0, 3.0], 4)
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from operator import mul

from micrograd_plus import ops
from micrograd_plus.engine import Operand, Value, apply, lift, node
from micrograd_plus.ops import DOT, MEAN, SUM

__all__ = ["sum", "mean", "dot", "affine", "logsumexp", "softmax", "log_softmax"]


def _bad_element(values: Iterable[Operand], error: Exception) -> str:
    """The reason a sequence's element cannot be a Value, with its position when the sequence can be read again."""
    if isinstance(values, Sequence):
        for i, v in enumerate(values):
            try:
                lift(v)
            except (TypeError, ValueError) as bad:
                return f"element {i}: {bad}"
    return str(error)


def _nonempty(values: Iterable[Operand], what: str) -> tuple[Value, ...]:
    try:
        nodes = tuple(map(lift, values))
    except (TypeError, ValueError) as error:  # say which function and which element, then the element's own reason
        raise type(error)(f"{what}: {_bad_element(values, error)}") from None
    if not nodes:
        raise ValueError(f"{what} of an empty sequence is undefined; pass at least one value")
    return nodes


def sum(values: Iterable[Operand]) -> Value:
    """Σ v_i as one node; every local derivative is 1. The sum of nothing is ``Value(0.0)``.

    >>> sum([Value(1.0), 2, Value(3.5)]).data
    6.5
    """
    nodes = tuple(map(lift, values))
    if not nodes:
        return Value(0.0)
    return node(builtins.sum([v.data for v in nodes]), nodes, (1.0,) * len(nodes), SUM)


def mean(values: Iterable[Operand]) -> Value:
    """(1/n) Σ v_i as one node; every local derivative is 1/n.

    >>> mean([1, 2, 6]).data
    3.0
    """
    nodes = _nonempty(values, "mean")
    n = len(nodes)
    return node(builtins.sum([v.data for v in nodes]) / n, nodes, (1.0 / n,) * n, MEAN)


def dot(ws: Iterable[Operand], xs: Iterable[Operand], bias: Operand | None = None) -> Value:
    """Σ w_i x_i (+ b) as one node with parents (w_1..w_n, x_1..x_n[, b]); d/dw_i = x_i, d/dx_i = w_i, d/db = 1.

    >>> dot([1, 2], [3, 4]).data
    11.0
    >>> dot([1, 2], [3, 4], bias=0.5).data
    11.5
    """
    w_nodes, x_nodes = _nonempty(ws, "dot"), _nonempty(xs, "dot")
    if len(w_nodes) != len(x_nodes):
        raise ValueError(f"dot needs two sequences of equal length, got {len(w_nodes)} and {len(x_nodes)}")
    if bias is not None:
        return affine(w_nodes, x_nodes, lift(bias))
    w_data = [w.data for w in w_nodes]
    x_data = [x.data for x in x_nodes]
    return node(builtins.sum(map(mul, w_data, x_data)), w_nodes + x_nodes, (*x_data, *w_data), DOT)


def affine(ws: Sequence[Value], xs: Sequence[Value], bias: Value, x_data: Sequence[float] | None = None) -> Value:
    """w·x + b as one ``dot`` node, without checks: for callers whose operands are already Values of
    equal length (the nn modules). ``x_data`` may pass [x.data for x in xs] when it is shared by many calls.
    """
    w_data = [w.data for w in ws]
    if x_data is None:
        x_data = [x.data for x in xs]
    total = builtins.sum(map(mul, w_data, x_data)) + bias.data
    return node(total, (*ws, *xs, bias), (*x_data, *w_data, 1.0), DOT)


def logsumexp(values: Iterable[Operand]) -> Value:
    """log Σ e^(v_i) as one node; d/dv_i = softmax(v)_i. Shifted by max(v), so ±1000 is fine.

    >>> round(logsumexp([1000, 1000]).data, 6)
    1000.693147
    """
    return apply(ops.LOGSUMEXP, *_nonempty(values, "logsumexp"))


def log_softmax(values: Iterable[Operand]) -> list[Value]:
    """log softmax(v)_i = v_i - logsumexp(v), one ``-`` node per output.

    >>> [round(p.data, 4) for p in log_softmax([0, 0])]
    [-0.6931, -0.6931]
    """
    nodes = _nonempty(values, "log_softmax")
    lse = logsumexp(nodes)
    return [v - lse for v in nodes]


def softmax(values: Iterable[Operand]) -> list[Value]:
    """softmax(v)_i = e^(v_i - logsumexp(v)); the exponent is <= 0, so it never overflows.

    >>> [round(p.data, 4) for p in softmax([1000, 0, -1000])]
    [1.0, 0.0, 0.0]
    """
    return [v.exp() for v in log_softmax(_nonempty(values, "softmax"))]
