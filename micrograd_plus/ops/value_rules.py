"""The derivative rules run on graph nodes: a node's local derivatives built as nodes, so they can be
differentiated again (``backward(create_graph=True)``, ``autodiff.grad`` of a gradient).

The same rule an op records as floats (``Op.local_grads``) runs here on the node's parents, producing new
nodes of the same type (``Value``); this module needs no import of the engine for that.
"""

from __future__ import annotations

from typing import Any

__all__ = ["backward_with_graph", "local_derivative_values"]


def local_derivative_values(v: Any) -> list[Any]:
    """d(v)/d(parent) for each parent of node ``v``, as nodes built from the parents (and v): differentiable again.

    >>> from micrograd_plus import Value
    >>> x = Value(3.0)
    >>> [d.data for d in local_derivative_values(x * x)]
    [3.0, 3.0]
    """
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
                "through it exists there; move the point away from it"
            )
    node_type = type(v)
    return [d if isinstance(d, node_type) else node_type(d) for d in entry.derivatives(*v.parents, v)]


def backward_with_graph(root: Any) -> None:
    """``root.backward(create_graph=True)``: the chain rule with nodes, so every ``.grad`` becomes a node.

    Every gradient is built before any ``.grad`` changes; leaves accumulate, interior nodes are recomputed.

    >>> from micrograd_plus import Value
    >>> x = Value(3.0)
    >>> backward_with_graph(x * x * x)
    >>> x.grad.data  # 3x², a Value that can be differentiated again
    27.0
    """
    node_type = type(root)
    order = root.topological_order()
    totals: dict[int, Any] = {id(root): node_type(1.0)}
    for v in reversed(order):
        g = totals.get(id(v))
        if g is not None:
            for parent, local in zip(v.parents, local_derivative_values(v)):
                total = totals.get(id(parent))
                totals[id(parent)] = local * g if total is None else total + local * g
    for v in order:
        total = totals.get(id(v), node_type(0.0))
        v.grad = total if v.parents or not v.grad else v.grad + total
