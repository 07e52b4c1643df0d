"""The cluster tree of a big graph: module calls nested as they ran, repeated siblings rolled up as one "×n" block.

A graph of 7,500 nodes is read from the top down: first the module calls (an ``MLP`` call per sample,
its ``Layer`` calls, their ``Neuron`` calls; an RNN's time steps; a conv's positions; a GPT's blocks,
attention heads and MLP), each a cluster that opens on demand. Siblings that did the same work (the
same kind of call, the same ops, the same sub-calls) in a row are one block ``Neuron ×16`` that opens
to its 16 calls. Leaves and loose ops that would crowd a cluster are grouped by role and by op.

>>> from micrograd_plus.nn import MLP
>>> from micrograd_plus.viz.graph_view import view
>>> model = MLP(2, [3, 3, 1], seed=0)
>>> tree = cluster_tree(view(model([1.0, 2.0])[0], model))
>>> [c.label for c in tree if c.kind == "rollup"]
['Layer ×2', 'Neuron ×3', 'Neuron ×3']
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from micrograd_plus.viz.graph_view import GraphView, plural, scope_chain

__all__ = ["Cluster", "cluster_tree", "initially_open"]

LEAF_LIMIT = 6  # more leaves of one role than this in a cluster are one group box
LOOSE_LIMIT = 12  # more loose ops than this in a cluster are grouped by op and weights read
ROLE_GROUPS = {"parameter": "parameters", "input": "inputs", "constant": "constants"}


@dataclass
class Cluster:
    """One box of the explorer: a module call, a "×n" roll-up of repeated calls, or a group of leaves or ops."""

    number: int
    label: str
    kind: str  # 'graph', 'call', 'rollup', 'leaves' or 'ops'
    parent: int  # -1 for the whole graph
    detail: str = ""
    nodes: list[int] = field(default_factory=list)  # positions of the nodes directly inside
    children: list[int] = field(default_factory=list)
    size: int = 0  # nodes inside, at any depth
    first: int = 0  # the smallest position inside: clusters are ordered by it


def call_kind(graph: GraphView, tag: object) -> str:
    """What kind of call a scope is: the module type, or a string tag's first word ('step 3' -> 'step')."""
    if isinstance(tag, str):
        return re.split(r"[\s(]", tag.strip(), maxsplit=1)[0] or tag
    return type(tag).__name__


class _Builder:
    def __init__(self, graph: GraphView) -> None:
        self.graph = graph
        self.clusters = [Cluster(0, "graph", "graph", -1)]
        self.kinds: dict[int, str] = {}

    def add(self, label: str, kind: str, parent: int, detail: str = "") -> Cluster:
        cluster = Cluster(len(self.clusters), label, kind, parent, detail)
        self.clusters.append(cluster)
        self.clusters[parent].children.append(cluster.number)
        return cluster

    def calls(self) -> None:
        """One cluster per module call, nested like the calls; each node in its innermost call."""
        of_scope: dict[int, int] = {}
        for i, v in enumerate(self.graph.order):
            parent = 0
            for scope in scope_chain(v.scope):
                number = of_scope.get(id(scope))
                if number is None:
                    cluster = self.add(self.graph.scope_label(scope), "call", parent)
                    number = of_scope[id(scope)] = cluster.number
                    self.kinds[number] = call_kind(self.graph, scope[0])
                parent = number
            self.clusters[parent].nodes.append(i)

    def group(self, cluster: Cluster) -> None:
        """Crowds of leaves become one box per role; a crowd of loose ops one box per op and weight matrix read."""
        order, roles = self.graph.order, self.graph.roles
        leaves: dict[str, list[int]] = {}
        ops: dict[tuple[str, str], list[int]] = {}
        for i in cluster.nodes:
            if order[i].parents:
                ops.setdefault((order[i].op, self._weights_read(i)), []).append(i)
            else:
                leaves.setdefault(roles[id(order[i])], []).append(i)
        kept = [i for i in cluster.nodes if order[i].parents]
        for role, members in leaves.items():
            if len(members) <= LEAF_LIMIT:
                kept += members
                continue
            box = self.add(f"{ROLE_GROUPS[role]} ({len(members)})", "leaves", cluster.number)
            if role == "parameter":
                self._split_parameters(box, members, 1)
            else:
                box.nodes.extend(members)
        if len(kept) - sum(1 for i in kept if not order[i].parents) > LOOSE_LIMIT:
            kept = [i for i in kept if not order[i].parents]
            for (op, weights), members in ops.items():
                if len(members) == 1:
                    kept += members
                else:
                    label = f"{op or '?'} ops" + (f" · {weights}" if weights else "") + f" ({len(members)})"
                    self.add(label, "ops", cluster.number).nodes.extend(members)
        cluster.nodes = sorted(kept)

    def _weights_read(self, i: int) -> str:
        """The weight matrices a node reads (its parameter operands' paths without the indices), or ''."""
        found: list[str] = []
        for p in self.graph.order[i].parents:
            if self.graph.roles[id(p)] == "parameter":
                parts = self.graph.name(p).split(".")
                while len(parts) > 1 and parts[-1].isdigit():
                    parts.pop()
                if ".".join(parts) not in found:
                    found.append(".".join(parts))
        return ", ".join(found)

    def _split_parameters(self, box: Cluster, members: list[int], depth: int) -> None:
        """Parameters named by path are grouped by module (``layers.0``, then ``layers.0.neurons.3``) if it splits.

        The first path depth that splits them into two or more groups is used, so ``wte``, ``wpe``,
        ``layer0`` group a GPT's and ``layers.0``, ``layers.1`` an MLP's.
        """
        names = [self.graph.name(self.graph.order[i]).split(".") for i in members]
        longest = max(len(parts) for parts in names)
        while len(members) > 3 * LEAF_LIMIT and depth < longest:
            by_module: dict[str, list[int]] = {}
            for i, parts in zip(members, names):
                by_module.setdefault(".".join(parts[:depth]) if len(parts) > depth else "", []).append(i)
            if "" in by_module:
                break
            if len(by_module) > 1:
                for prefix, group in by_module.items():
                    inner = self.add(f"{prefix} ({plural(len(group), 'parameter')})", "leaves", box.number)
                    self._split_parameters(inner, group, depth + 1)
                return
            depth += 1
        box.nodes.extend(members)

    def measure(self, number: int) -> tuple[int, int]:
        """Fill in size and first, bottom-up."""
        cluster = self.clusters[number]
        size, first = len(cluster.nodes), min(cluster.nodes, default=len(self.graph.order))
        for child in cluster.children:
            child_size, child_first = self.measure(child)
            size, first = size + child_size, min(first, child_first)
        cluster.size, cluster.first = size, first
        cluster.children.sort(key=lambda c: self.clusters[c].first)
        return size, first

    def signature(self, number: int, memo: dict[int, object]) -> object:
        """Two calls did the same work when their kind, their ops and their sub-calls' signatures agree."""
        if number not in memo:
            cluster = self.clusters[number]
            ops = Counter(self.graph.order[i].op for i in cluster.nodes)
            inner = tuple(self.signature(c, memo) for c in cluster.children if self.clusters[c].kind != "leaves")
            memo[number] = (self.kinds.get(number, cluster.kind), tuple(sorted(ops.items())), inner)
        return memo[number]

    def roll_up(self, number: int, memo: dict[int, object]) -> None:
        """Runs of two or more sibling calls with one signature move under one "kind ×n" cluster."""
        cluster = self.clusters[number]
        calls = [c for c in cluster.children if self.clusters[c].kind == "call" and cluster.kind != "rollup"]
        runs: list[list[int]] = []
        for c in calls:
            if runs and self.signature(runs[-1][0], memo) == self.signature(c, memo):
                runs[-1].append(c)
            else:
                runs.append([c])
        for run in runs:
            if len(run) < 2:
                continue
            head, tail = self.clusters[run[0]], self.clusters[run[-1]]
            kind = self.kinds[run[0]]
            detail = f"{head.label} … {tail.label}" if len(run) > 2 else f"{head.label}, {tail.label}"
            if head.label == tail.label:  # calls of one unnamed module: numbered in the order they ran
                detail = plural(len(run), "call")
                for k, c in enumerate(run, start=1):
                    self.clusters[c].detail = f"call {k} of {len(run)}"
            rolled = self.add(f"{kind} ×{len(run)}", "rollup", number, detail)
            cluster.children.remove(rolled.number)
            cluster.children[cluster.children.index(run[0])] = rolled.number
            for c in run[1:]:
                cluster.children.remove(c)
            for c in run:
                self.clusters[c].parent = rolled.number
            rolled.children = list(run)
            rolled.size = sum(self.clusters[c].size for c in run)
            rolled.first = head.first
        for c in list(cluster.children):
            self.roll_up(c, memo)


def cluster_tree(graph: GraphView) -> list[Cluster]:
    """The graph's clusters, the whole graph first: calls, "×n" roll-ups of repeated calls, leaf and op groups."""
    builder = _Builder(graph)
    builder.calls()
    for cluster in list(builder.clusters):
        builder.group(cluster)
    builder.measure(0)
    builder.roll_up(0, {})
    return builder.clusters


def initially_open(clusters: list[Cluster], budget: int = 12) -> list[int]:
    """The clusters open at first: module calls, breadth first, while the boxes on screen stay within ``budget``.

    Groups of leaves or ops stay closed: they are many boxes of one kind, opened when wanted.
    """
    shown = len(clusters[0].nodes) + len(clusters[0].children)
    opened, queue = [0], list(clusters[0].children)
    while queue:
        cluster = clusters[queue.pop(0)]
        grows = len(cluster.nodes) + len(cluster.children) - 1
        if cluster.kind in ("call", "rollup") and shown + grows <= budget:
            shown += grows
            opened.append(cluster.number)
            queue += cluster.children
    return opened
