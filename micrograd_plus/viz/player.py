"""The backprop player: a self-contained HTML page stepping through ``backward()`` one chain-rule step at a time.

The page, its drawing and its text all read one :class:`~micrograd_plus.viz.graph_view.GraphView`, so a
node has the same name in the step text and in its box. ``exercise=True`` hides local derivatives
and gradients: at each step the student types them, the page checks each answer and names the
likely misconception.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from micrograd_plus.engine import Value
from micrograd_plus.viz import drawing as viz
from micrograd_plus.viz import graph_view as graphview
from micrograd_plus.viz.explain import BackwardTrace, explain_backward, forward_expression
from micrograd_plus.viz.graph_view import GraphView

__all__ = ["PLAYER_OPTIONS", "page", "player_data", "read_page", "script_json", "write_player"]

# drawing options the player takes; the others are refused with the reason
PLAYER_OPTIONS = (
    "module", "params", "inputs", "edge_labels", "rankdir", "number_format", "clusters", "collapse", "max_nodes",
    "title", "exercise",
)  # fmt: skip
REFUSED = {
    "show_grad": "the player fills gradients in step by step (exercise=True hides them for the student to compute)",
    "colour": "gradient colours would give the answers away before each step",
    "legend": "the page explains its colours in its own text",
    "highlight": "the player highlights the current step's node and edges itself",
}
AUTO_COLLAPSE = ("Neuron", "Layer", "step")  # tried in this order when the full graph exceeds max_nodes


def _options(options: dict[str, Any]) -> tuple[viz.DrawOptions, str | None, bool]:
    for name, reason in REFUSED.items():
        if name in options:
            raise TypeError(
                f"write_player() does not take {name}: {reason}; valid options: {', '.join(PLAYER_OPTIONS)}"
            )
    options = dict(options)
    title, exercise = options.pop("title", None), options.pop("exercise", False)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"write_player(): title must be a string, got {type(title).__name__} {title!r}")
    if not isinstance(exercise, bool):
        raise TypeError(f"write_player(): exercise must be True or False, got {exercise!r}")
    options.setdefault("max_nodes", 250)
    if exercise:
        options["edge_labels"] = False  # the local derivatives are the student's to find
    opts = viz.drawing_options("write_player", options, PLAYER_OPTIONS)
    if exercise:  # a box's colour would give its gradient's sign away
        opts = dataclasses.replace(opts, colour=False)
    return opts, title, exercise


def _fitting_collapse(graph: GraphView, opts: viz.DrawOptions) -> viz.DrawOptions:
    """The options as given, or collapsed by the first module type that makes a too-large graph fit."""
    if opts.collapse is not None or graphview.layout(graph).n_drawn <= opts.max_nodes:
        return opts
    for kind in AUTO_COLLAPSE:
        try:
            if graphview.layout(graph, kind, opts.module).n_drawn <= opts.max_nodes:
                return viz.DrawOptions(**{**opts.__dict__, "collapse": kind})
        except ValueError:
            continue  # no such module call in this graph
    return opts  # layout_lines then says how large it is and what to do


def _chain_sums(graph: GraphView, trace: BackwardTrace, fmt: str) -> list[str]:
    """Per node, its whole chain-rule sum over the nodes that use it, with numbers."""
    used = graph.consumers()
    sums = []
    for v in graph.order:
        name = graph.name(v)
        if v is graph.root:
            sums.append(f"{name}.grad = d({name})/d({name}) = 1 (the root)")
            continue
        terms, numbers = [], []
        for consumer, j in used[id(v)]:
            c = graph.name(consumer)
            terms.append(f"d({c})/d({name}) · {c}.grad")
            upstream = trace.grads[graph.position(consumer)]
            numbers.append(f"({format(consumer.local_grads[j], fmt)})·({format(upstream, fmt)})")
        total = format(trace.grads[graph.position(v)], fmt)
        sums.append(f"{name}.grad = {' + '.join(terms)}\n        = {' + '.join(numbers)}\n        = {total}")
    return sums


def player_data(
    root: Value, graph: GraphView, trace: BackwardTrace, element: dict[int, str], fmt: str
) -> dict[str, Any]:
    """Everything the page's script needs: steps, contributions, names, neighbourhoods, the summary."""
    used = graph.consumers()
    steps = []
    for step in trace.steps:
        node = graph.order[step.position]
        contributions = [
            {"parent": c.parent_position, "name": c.parent_name, "operand": c.operand, "local": c.local,
             "upstream": c.upstream, "before": c.total - c.product, "total": c.total, "count": c.count,
             "out": node.data, "op": node.op, "text": c.describe(fmt)}
            for c in step.contributions
        ]  # fmt: skip
        steps.append(
            {
                "node": step.position,
                "element": element[id(node)],
                "title": step.title(fmt),
                "lines": [c.describe(fmt) for c in step.contributions] or [step.note],
                "edges": [f"e{step.position}_{c.operand}" for c in step.contributions],
                "updates": [[c.parent_position, format(c.total, fmt)] for c in step.contributions],
                "contributions": contributions,
                "parents": sorted({graph.position(p) for p in node.parents}),
                "consumers": sorted({graph.position(u) for u, _ in used[id(node)]}),
            }
        )
    n_leaves = len(trace.leaves)
    leaves = f"{n_leaves} leaf gradient" if n_leaves == 1 else f"all {n_leaves} leaf gradients"
    return {
        "steps": steps,
        "names": [graph.name(v) for v in graph.order],
        "data": [format(v.data, fmt) for v in graph.order],
        "ops": [v.op for v in graph.order],
        "element": [element[id(v)] for v in graph.order],
        "initial": [[i, format(1.0 if v is root else 0.0, fmt)] for i, v in enumerate(graph.order)],
        "root": graph.position(root),
        "sums": _chain_sums(graph, trace, fmt),
        "summary": {
            "title": f"Done: backward() gave {leaves} in {graphview.plural(len(trace.steps), 'step')}.",
            "lines": trace.leaf_lines(),
        },
    }


def read_page(name: str) -> str:
    """The text of one of the package's page templates (``micrograd_plus/viz/pages/``)."""
    return resources.files("micrograd_plus.viz").joinpath("pages").joinpath(name).read_text(encoding="utf-8")


def script_json(data: object) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' can end or open a tag."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(template: str, parts: dict[str, str]) -> str:
    """Fill ``__NAME__`` placeholders in one pass, so text put in (an SVG, a label) is never searched again."""
    return re.sub(r"__([A-Z]+)__", lambda m: parts.get(m[1], m[0]), template)


def write_player(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write a self-contained HTML page that steps through ``root.backward()`` one chain-rule step at a time.

    Prev / Next / Play buttons and the arrow keys move between steps; the current node and its parent
    edges are highlighted, gradients fill in as they are computed, and each step shows its chain-rule
    products; the last step sums up every leaf's gradient. Clicking a node shows its whole chain-rule
    sum. Options: those of :func:`micrograd_plus.viz.to_dot` that apply (see ``PLAYER_OPTIONS``),
    ``title`` (default: the root's expression) and ``exercise`` (the student computes each step).
    A graph too large to draw in full is drawn collapsed by module call, the current node's
    neighbourhood drawn beside it. No network needed.
    """
    opts, title, exercise = _options(options)
    if not isinstance(root, Value):
        raise TypeError(f"write_player needs a Value, got {type(root).__name__} {root!r}")
    graph = graphview.view(root, opts.module, opts.params, opts.inputs)
    opts = _fitting_collapse(graph, opts)
    trace = explain_backward(root, opts.number_format, graph=graph)
    graphviz = viz.require_graphviz()
    lines = viz.layout_lines(graph, opts, list(trace.grads))  # boxes sized for their final gradients
    svg = graphviz.Digraph(viz.GRAPH_NAME, body=lines).pipe(format="svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]
    element = graphview.layout(graph, opts.collapse, opts.module).element
    data = player_data(root, graph, trace, element, opts.number_format)
    data.update(exercise=exercise, highlight=viz.HIGHLIGHT)
    heading = title if title is not None else f"{graph.name(root)} = {forward_expression(root, graph.name)}"
    if not root.parents:
        heading = graph.name(root)
    parts = {
        "TITLE": viz.text(("Exercise: " if exercise else "Backprop: ") + heading),
        "SVG": svg,
        "DATA": script_json(data),
        "SCRIPT": read_page("player.js"),
        "HIGHLIGHT": viz.HIGHLIGHT,
    }
    path = Path(path)
    path.write_text(page(read_page("player.html"), parts), encoding="utf-8")
    return path
