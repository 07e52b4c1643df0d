"""The graph explorer: one offline HTML page for graphs too big to draw whole (a W1 step has 7,542 nodes).

The page opens on the top of the cluster tree (:mod:`micrograd_plus.viz.rollup`): module calls as closed
boxes, repeated calls as one "×n" box, crowds of leaves and ops as groups. A click opens a box (a
"×n" box opens to its n calls) and a click on an open box's title closes it. Only what is open is
laid out, in the browser, by a layered layout of each open box's contents: the page stays quick at
any graph size. Search finds nodes by name, opens the boxes around them and centres the node; Prev /
Next step through ``backward()``, colouring each box as the step that sets its gradient runs, as the
player does; the steps of a node inside a closed box are stepped over as one run, and the page says
which steps ran inside which box (Next always advances). With ``reference=`` the page marks where the
graph differs from a reference graph (:func:`micrograd_plus.viz.compare.compare_graphs`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from micrograd_plus._files import writable, write_atomically
from micrograd_plus.engine import Value
from micrograd_plus.viz import drawing
from micrograd_plus.viz import graph_view as graphview
from micrograd_plus.viz.compare import GraphComparison, compare_graphs
from micrograd_plus.viz.explain import BackwardTrace, explain_backward
from micrograd_plus.viz.graph_view import GraphView
from micrograd_plus.viz.page_parts import page, read_page, script_json, shorten
from micrograd_plus.viz.rollup import cluster_tree, initially_open

__all__ = ["explorer_data", "write_explorer"]

NEUTRAL = "#ffffff"  # a box whose gradient backward() has not set yet


def _steps(graph: GraphView, trace: BackwardTrace, fmt: str) -> list[list[Any]]:
    """Per backward step: its node, upstream gradient, and per contribution the parent, numbers and colour.

    Colours are the drawing's scale (the largest final |grad| is deepest); constants are never painted
    (nothing learns from them), as in the player and the drawings.
    """
    roles = graph.roles
    largest = max((abs(g) for v, g in zip(graph.order, trace.grads) if roles[id(v)] != "constant"), default=0.0)
    steps = []
    for step in trace.steps:
        contributions = [
            [c.parent_position, format(c.local, fmt), format(c.product, fmt), format(c.total, fmt),
             "" if roles[id(graph.order[c.parent_position])] == "constant" else drawing.grad_colour(c.total, largest)]
            for c in step.contributions
        ]  # fmt: skip
        steps.append(
            [step.position, format(step.upstream, fmt), contributions, step.note, shorten(step.expression, 70)]
        )
    return steps


def _marks(comparison: GraphComparison | None) -> dict[str, Any]:
    """What a comparison marks on the student's nodes, and its report's lines for the page's panel."""
    if comparison is None:
        return {"marks": {}, "report": []}
    return {"marks": {str(i): kind for i, kind in comparison.student_marks().items()},
            "report": str(comparison).splitlines()}  # fmt: skip


def explorer_data(
    root: Value, graph: GraphView, fmt: str = ".4g", comparison: GraphComparison | None = None
) -> dict[str, Any]:
    """Everything the page's script reads: nodes, their clusters, the cluster tree, the backward steps."""
    trace = explain_backward(root, fmt, graph=graph)
    clusters = cluster_tree(graph)
    home = [0] * len(graph.order)
    for cluster in clusters:
        for i in cluster.nodes:
            home[i] = cluster.number
    roles = graph.roles
    largest = max((abs(g) for v, g in zip(graph.order, trace.grads) if roles[id(v)] != "constant"), default=0.0)
    return {
        "names": [graph.name(v) for v in graph.order],
        "ops": [v.op for v in graph.order],
        "data": [format(v.data, fmt) for v in graph.order],
        "grads": [format(g, fmt) for g in trace.grads],
        "colours": [
            NEUTRAL if roles[id(v)] == "constant" else drawing.grad_colour(g, largest)
            for v, g in zip(graph.order, trace.grads)
        ],
        "roles": [roles[id(v)] for v in graph.order],
        "parents": [[graph.index[id(p)] for p in v.parents] for v in graph.order],
        "cluster": home,
        "clusters": [[c.label, c.detail, c.kind, c.parent, c.children, c.size, c.first] for c in clusters],
        "open": initially_open(clusters),
        "root": len(graph.order) - 1,
        "steps": _steps(graph, trace, fmt),
        "neutral": NEUTRAL,
        "chips": drawing.TAG_CHIPS,
        "highlight": drawing.HIGHLIGHT,
        **_marks(comparison),
    }


def write_explorer(
    root: Value,
    path: str | os.PathLike[str],
    module: Any = None,
    *,
    params: Any = None,
    inputs: Any = None,
    reference: Value | None = None,
    title: str | None = None,
    number_format: str = ".4g",
) -> Path:
    """Write the explorer page for the graph below ``root`` to ``path`` (one offline HTML file).

    ``module`` names parameters by path and clusters by module; ``params`` and ``inputs`` mark leaves
    by role; ``reference`` (the root of a reference graph) marks the nodes where this graph differs;
    ``title`` heads the page. Boxes open on click, "×n" boxes to their n repeated calls; search by
    name; Prev / Next step through backward(), over a closed box's steps as one run. No network needed.
    The folder of ``path`` must exist (FileNotFoundError before anything is written otherwise).
    """
    if not isinstance(root, Value):
        raise TypeError(f"write_explorer needs a Value, got {type(root).__name__} {root!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"write_explorer(): title must be a string, got {type(title).__name__} {title!r}")
    opts = drawing.drawing_options("write_explorer", {"number_format": number_format})
    target = writable(path, "write_explorer")
    graph = graphview.view(root, module, params, inputs)
    comparison = compare_graphs(root, reference) if reference is not None else None
    data = explorer_data(root, graph, opts.number_format, comparison)
    heading = (
        title if title is not None else f"Graph of {graph.name(root)}: {graphview.plural(len(graph.order), 'node')}"
    )
    parts = {
        "TITLE": drawing.text(heading),
        "PANZOOM": read_page("svg-pan-zoom.min.js"),
        "DATA": script_json(data),
        "SCRIPT": read_page("explorer.js"),
        "HIGHLIGHT": drawing.HIGHLIGHT,
    }
    write_atomically(target, page(read_page("explorer.html"), parts))
    return target
