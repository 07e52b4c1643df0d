"""One walk of a graph, read by explanations, drawings and the player: order, names, roles, scopes, layout.

A node is called the same everywhere: its label, else (with ``module=``) its parameter path such
as ``layers.0.neurons.1.w.0``, else ``#k``: the unnamed nodes numbered 1, 2, 3, ... in topological
order, so the numbers a reader meets have no gaps to explain (a number some label already spells,
such as a node labelled ``#2``, is skipped).

>>> from micrograd_plus import Value
>>> a = Value(2.0, label="a")
>>> graph = view((a * 3).named("y"))
>>> [graph.name(v) for v in graph.order], [graph.roles[id(v)] for v in graph.order]
(['a', '#1', 'y'], ['input', 'constant', 'value'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from micrograd_plus.engine import Value
from micrograd_plus.scopes import Scope

__all__ = ["GraphView", "Layout", "layout", "number_unnamed", "on_paths", "plural", "scope_chain", "view"]


def plural(n: int, noun: str) -> str:
    """'1 parameter', '2 parameters'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def scope_chain(scope: Scope | None) -> list[Scope]:
    """The module calls around a node, outermost first."""
    chain = []
    while scope is not None:
        chain.append(scope)
        scope = scope[1]
    return chain[::-1]


@dataclass(frozen=True)
class GraphView:
    """The graph below ``root``: nodes in topological order with their display names, roles and module paths."""

    root: Value
    order: list[Value]
    index: dict[int, int]  # id(node) -> position in order
    names: dict[int, str]  # id(node) -> display name
    roles: dict[int, str]  # 'parameter', 'input', 'constant' or 'value'
    module_names: dict[int, str]  # id(module) -> attribute path

    def name(self, v: Value) -> str:
        """The node's display name: label, parameter path, or '#k' (unnamed nodes numbered without gaps)."""
        return self.names[id(v)]

    def position(self, v: Value) -> int:
        """The node's position in topological order (the root is last)."""
        return self.index[id(v)]

    def scope_label(self, scope: Scope) -> str:
        """'Layer layers.0', 'Neuron neurons.1' or a string tag such as 'step 3'."""
        tag = scope[0]
        if isinstance(tag, str):
            return tag
        kind = type(tag).__name__
        path = self.module_names.get(id(tag))
        return f"{kind} {path}" if path and path != kind else kind

    def consumers(self) -> dict[int, list[tuple[Value, int]]]:
        """For each node, the nodes that use it and at which operand position."""
        used: dict[int, list[tuple[Value, int]]] = {id(v): [] for v in self.order}
        for v in self.order:
            for j, parent in enumerate(v.parents):
                used[id(parent)].append((v, j))
        return used


def view(
    root: Value, module: Any = None, params: Iterable[Value] | None = None, inputs: Iterable[Value] | None = None
) -> GraphView:
    """Walk the graph below ``root`` once: order, names (``module=`` names parameters by path), roles."""
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__} {root!r}")
    order = root.topological_order()
    index = {id(v): i for i, v in enumerate(order)}
    names = {id(v): v.label for v in order}
    module_names: dict[int, str] = {}
    param_ids: set[int] = set()
    if module is not None:
        if not hasattr(module, "named_parameters"):
            raise TypeError(f"module must be an nn.Module, got {type(module).__name__}")
        for path, p in module.named_parameters():
            param_ids.add(id(p))
            if not names.get(id(p)):
                names[id(p)] = path
        stack: list[tuple[str, Any]] = [(type(module).__name__, module)]
        while stack:
            path, m = stack.pop()
            if id(m) not in module_names:  # each module once: a back-reference to an owner ends here
                module_names[id(m)] = path
                stack += list(m.named_children())
    param_ids |= {id(p) for p in params or ()}
    input_ids = {id(x) for x in inputs or ()}
    number_unnamed(order, names)
    roles = {}
    for v in order:
        if v.parents:
            roles[id(v)] = "value"
        elif id(v) in param_ids:
            roles[id(v)] = "parameter"
        elif id(v) in input_ids or (v.label and not input_ids):
            roles[id(v)] = "input"
        else:
            roles[id(v)] = "constant"
    return GraphView(root, order, index, names, roles, module_names)


def number_unnamed(order: list[Value], names: dict[int, str]) -> None:
    """Name each node of ``order`` that has no name yet ``#1``, ``#2``, ... in order, skipping numbers a name spells.

    Counting only the unnamed nodes (not every position) leaves no gaps for a reader to wonder about;
    skipping a number that a label already reads (a node labelled ``#2``) keeps every name unique.
    """
    taken = set(names.values())
    number = 0
    for v in order:
        if not names.get(id(v)):
            number += 1
            while f"#{number}" in taken:
                number += 1
            names[id(v)] = f"#{number}"


def on_paths(graph: GraphView, node: Value) -> set[int]:
    """ids of the nodes on some path from ``node`` up to the root: ``node`` and every node computed from it."""
    if id(node) not in graph.index:
        raise ValueError(f"{node!r} is not part of the graph of {graph.name(graph.root)}")
    on = {id(node)}
    for v in graph.order[graph.position(node) + 1 :]:
        if any(id(p) in on for p in v.parents):
            on.add(id(v))
    return on


@dataclass
class Layout:
    """What a drawing shows: which nodes are drawn, which collapse into a box, and the cluster tree."""

    shown: list[Value]  # nodes drawn as themselves, in topological order
    box_of: dict[int, Scope]  # id(node) -> the collapsed module call it disappears into
    boxes: dict[int, int]  # id(scope) -> box number, in order of first appearance
    box_sizes: dict[int, int]
    box_scopes: dict[int, Scope]
    groups: dict[int, str]  # id(parameter) -> its group's name in a collapsed drawing
    group_number: dict[str, int]
    group_size: dict[str, int]
    element: dict[int, str] = field(default_factory=dict)  # id(node) -> DOT id of what stands for it

    @property
    def n_drawn(self) -> int:
        """Boxes, ellipses and parameter groups the drawing has."""
        return len(self.shown) + sum(1 for v in self.shown if v.parents) + len(self.boxes) + len(self.group_number)


def _kinds(collapse: str | tuple[str, ...] | None) -> tuple[str, ...]:
    return () if collapse is None else (collapse,) if isinstance(collapse, str) else tuple(collapse)


def _matches(scope: Scope, kinds: tuple[str, ...]) -> bool:
    tag = scope[0]
    return (tag.split() or [""])[0] in kinds if isinstance(tag, str) else type(tag).__name__ in kinds


def layout(graph: GraphView, collapse: str | tuple[str, ...] | None = None, module: Any = None) -> Layout:
    """Decide what is drawn: with ``collapse`` (a module type or 'step', or several), each such call becomes one box.

    A node inside several matching calls goes into the outermost, so ``collapse=("head", "mlp")``
    draws a GPT's attention heads and MLP as one box each.
    """
    box_of: dict[int, Scope] = {}
    kinds = _kinds(collapse)
    if kinds:
        for v in graph.order:
            for scope in scope_chain(v.scope):
                if _matches(scope, kinds):
                    box_of[id(v)] = scope
                    break
        if not box_of:
            raise ValueError(
                f"collapse={collapse!r} matches no module call in this graph; use a module type "
                "name such as 'Layer' or 'Neuron', or 'step' for RNN time steps"
            )
    boxes: dict[int, int] = {}
    box_sizes: dict[int, int] = {}
    box_scopes: dict[int, Scope] = {}
    for v in graph.order:
        box = box_of.get(id(v))
        if box is not None:
            boxes.setdefault(id(box), len(boxes))
            box_sizes[id(box)] = box_sizes.get(id(box), 0) + 1
            box_scopes[id(box)] = box
    # in a collapsed drawing a module's parameters are one node per group ("layers.0: 48 parameters")
    groups: dict[int, str] = {}
    if kinds and module is not None:
        types = {path: type(m).__name__ for path, m in module.named_modules()}
        for path, p in module.named_parameters():
            parts = path.split(".")
            prefixes = [".".join(parts[:k]) for k in range(1, len(parts))]
            matching = [prefix for prefix in prefixes if types.get(prefix) in kinds]
            groups[id(p)] = matching[0] if matching else parts[0]
    present = sorted({groups[id(v)] for v in graph.order if id(v) in groups})
    group_number = {key: n for n, key in enumerate(present)}
    group_size = dict.fromkeys(present, 0)
    for v in graph.order:
        if id(v) in groups:
            group_size[groups[id(v)]] += 1
    shown = [v for v in graph.order if id(v) not in box_of and id(v) not in groups]
    result = Layout(shown, box_of, boxes, box_sizes, box_scopes, groups, group_number, group_size)
    for v in graph.order:
        if id(v) in box_of:
            result.element[id(v)] = f"box{boxes[id(box_of[id(v)])]}"
        elif id(v) in groups:
            result.element[id(v)] = f"params{group_number[groups[id(v)]]}"
        else:
            result.element[id(v)] = f"v{graph.index[id(v)]}"
    return result
