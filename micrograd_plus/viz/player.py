"""The backprop player: a self-contained HTML page stepping through ``backward()`` one chain-rule step at a time.

The page, its drawing and its text all read one :class:`~micrograd_plus.viz.graph_view.GraphView`, so a
node has the same name in the step text and in its box. ``exercise=True`` hides local derivatives
and gradients: at each step the student types them, the page checks each answer and names the
likely misconception.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from micrograd_plus._files import writable, write_atomically
from micrograd_plus.engine import Value
from micrograd_plus.viz import drawing as viz
from micrograd_plus.viz import exercise_page
from micrograd_plus.viz import graph_view as graphview
from micrograd_plus.viz.explain import BackwardTrace, explain_backward, forward_expression
from micrograd_plus.viz.graph_view import GraphView
from micrograd_plus.viz.page_parts import page, read_page, script_json, shorten

__all__ = ["PLAYER_OPTIONS", "exercise_view", "page", "player_data", "read_page", "script_json", "write_player"]

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
# the graph's frame, in screen pixels, on the 1280- to 1400-pixel-wide windows of a projected page: of left-to-
# right and top-down, the layout drawn larger in it is chosen when the caller names no rankdir
FRAME = (1300.0, 450.0)
AUTO_COLLAPSE = ("Neuron", "Layer", "step")  # tried in this order when the full graph exceeds max_nodes
NEUTRAL = "#ffffff"  # a box backward() has not reached yet


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


def graph_expression(graph: GraphView, fmt: str, limit: int = 90) -> str:
    """The root's formula written as the graph computes it: ``o = relu((b + w1 * x1) + w2 * x2)``.

    Each operand that is an intermediate used once is written out in place, in the graph's operand
    order; a sum or difference inside another is bracketed, so the grouping shown is the grouping
    computed. A node used more than once, or a formula that would pass ``limit`` characters, keeps
    its name. An unnamed constant is shown as its value.
    """
    used = {key: len(users) for key, users in graph.consumers().items()}

    def written(v: Value, depth: int) -> tuple[str, int]:  # the text and its binding: 0 sum, 1 product, 2 atom
        name = graph.name(v)
        if not v.parents:
            constant = graph.roles[id(v)] == "constant" and not v.label
            return (format(v.data, fmt) if constant else name), 2
        if v is not graph.root and (used[id(v)] > 1 or depth > 12):
            return name, 2
        operands = list({id(p): p for p in v.parents}.values())  # x * x: one operand, written once
        token = {id(p): f"\x00{k}\x00" for k, p in enumerate(operands)}
        template = forward_expression(v, lambda p: token[id(p)])
        binding = 0 if re.search(r" [-+] ", template) else 1 if re.search(r" [-*/·@] |\*\*", template) else 2
        for p in operands:
            text, inner = written(p, depth + 1)
            mark = token[id(p)]
            alone = f"({mark})" in template or f"({mark}," in template or f", {mark})" in template
            template = template.replace(mark, text if alone or inner > min(binding, 1) else f"({text})")
        return template, binding

    text = written(graph.root, 0)[0]
    if len(text) > limit:
        text = shorten(forward_expression(graph.root, graph.name), limit)
    return f"{graph.name(graph.root)} = {text}" if graph.root.parents else graph.name(graph.root)


def _chain_sums(graph: GraphView, trace: BackwardTrace, fmt: str, with_numbers: bool = True) -> list[str]:
    """Per node, its whole chain-rule sum over the nodes that use it, with numbers (or names only)."""
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
        if not with_numbers:
            sums.append(f"{name}.grad = {' + '.join(terms) or '0 (nothing uses it)'}")
            continue
        total = format(trace.grads[graph.position(v)], fmt)
        sums.append(f"{name}.grad = {' + '.join(terms)}\n        = {' + '.join(numbers)}\n        = {total}")
    return sums


def _paints(graph: GraphView, trace: BackwardTrace, colour: bool) -> list[list[list[Any]]]:
    """Per step, the boxes it colours and their colour: each parent its gradient so far, the root at its own step.

    The scale is the drawing's (the largest final |grad| is the deepest colour), so a box ends in the
    colour a static drawing gives it. Constants stay white (nothing learns from them), and the
    exercise page colours nothing: a colour would give a gradient's sign away.
    """
    largest = max((abs(g) for v, g in zip(graph.order, trace.grads) if graph.roles[id(v)] != "constant"), default=0)
    paints: list[list[list[Any]]] = []
    for step in trace.steps:
        node = graph.order[step.position]
        changes = [(step.position, step.upstream)] if node is graph.root else []
        changes += [(c.parent_position, c.total) for c in step.contributions]
        paints.append(
            [
                [i, viz.grad_colour(g, largest)]
                for i, g in changes
                if colour and graph.roles[id(graph.order[i])] != "constant"
            ]
        )
    return paints


def visiting_order(names: list[str], limit: int = 150) -> list[str]:
    """Step 0's lines: the order in which the steps visit the nodes, and why (shortened in the middle when long).

    >>> visiting_order(["L", "e", "o"])[1]
    'L → e → o'
    """
    if len(names) == 1:
        return [f"One step: {names[0]} passes its gradient on to its parents."]
    shown, cut = names, 0
    while cut < len(names) - 2 and len(" → ".join(shown)) > limit:  # one more name left out of the middle
        cut += 1
        head = (len(names) - cut + 1) // 2
        shown = [*names[:head], f"… {cut} more …", *names[head + cut :]]
    why = "reverse topological order: a node comes after every node that uses it, so its gradient is complete"
    return [f"The {len(names)} steps visit the nodes in {why} before it passes it on:", " → ".join(shown)]


def final_steps(graph: GraphView, trace: BackwardTrace) -> list[int]:
    """Per node, the step after which its gradient is complete: its last contribution's (0 for the root)."""
    final = [0] * len(graph.order)
    for k, step in enumerate(trace.steps, 1):
        for c in step.contributions:
            final[c.parent_position] = k
    return final


def _step_title(graph: GraphView, step: Any, fmt: str) -> str:
    root = graph.name(graph.root)
    upstream = f"d({root})/d({step.name}) = {format(step.upstream, fmt)}"
    return f"{step.name} = {shorten(step.expression, 160)}; upstream gradient {upstream}" + (
        " (the root)" if step.name == root else ""
    )


def player_data(
    root: Value, graph: GraphView, trace: BackwardTrace, element: dict[int, str], fmt: str, colour: bool = True
) -> dict[str, Any]:
    """Everything the page's script needs: steps, contributions, names, colours, neighbourhoods, the summary."""
    used = graph.consumers()
    steps = []
    for step, paint in zip(trace.steps, _paints(graph, trace, colour)):
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
                "title": _step_title(graph, step, fmt),
                "lines": [c.describe(fmt) for c in step.contributions] or [step.note],
                "edges": [f"e{step.position}_{c.operand}" for c in step.contributions],
                "updates": [[c.parent_position, format(c.total, fmt)] for c in step.contributions],
                "paint": paint,
                "contributions": contributions,
                "parents": sorted({graph.position(p) for p in node.parents}),
                "consumers": sorted({graph.position(u) for u, _ in used[id(node)]}),
            }
        )
    n_leaves = len(trace.leaves)
    leaves = f"{n_leaves} leaf gradient" if n_leaves == 1 else f"all {n_leaves} leaf gradients"
    name = graph.name(root)
    return {
        "steps": steps,
        "names": [graph.name(v) for v in graph.order],
        "data": [format(v.data, fmt) for v in graph.order],
        "ops": [v.op for v in graph.order],
        "roles": [graph.roles[id(v)] for v in graph.order],
        "element": [element[id(v)] for v in graph.order],
        "initial": [[i, format(1.0 if v is root else 0.0, fmt)] for i, v in enumerate(graph.order)],
        "root": graph.position(root),
        "start": f"Start: d({name})/d({name}) = 1 and every other gradient is 0; no box is coloured yet. "
        "Next runs the first step.",
        "order": visiting_order([graph.name(graph.order[step.position]) for step in trace.steps]),
        "neutral": NEUTRAL,
        "sums": _chain_sums(graph, trace, fmt),
        "final": final_steps(graph, trace),
        "summary": {
            "title": f"Done: backward() gave {leaves} in {graphview.plural(len(trace.steps), 'step')}.",
            "lines": trace.leaf_lines(),
        },
    }


def exercise_view(data: dict[str, Any], graph: GraphView, trace: BackwardTrace, fmt: str) -> dict[str, Any]:
    """The player's data with every number that backward() computes taken out, for the exercise page.

    What stays is public: the forward values, the names, the root's gradient 1. Each contribution
    becomes the hashes and hints of :func:`~micrograd_plus.viz.exercise_page.exercise_data`; the
    chain-rule sums keep their names only; the summary is built from the student's own answers.
    """
    root = graph.name(graph.root)
    for step, rows, traced in zip(data["steps"], exercise_page.exercise_data(graph, trace, fmt), trace.steps):
        upstream = "1 (the root)" if traced.name == root else f"{traced.name}.grad, from the steps before"
        title = f"{traced.name} = {shorten(traced.expression, 160)}; upstream gradient d({root})/d({traced.name}) = "
        step.update(title=title + upstream, lines=[traced.note] if traced.note else [], updates=[], paint=[])
        step["contributions"] = rows
    data["sums"] = _chain_sums(graph, trace, fmt, with_numbers=False)
    data["summary"] = {"title": f"Done: {len(trace.steps)} steps. Your answers:", "lines": []}
    data["initial"] = [[i, "1" if i == data["root"] else "?"] for i, _ in data["initial"]]
    data["leaves"] = [i for i, v in enumerate(graph.order) if not v.parents and graph.roles[id(v)] != "constant"]
    data["start"] = (
        f"Start: d({root})/d({root}) = 1. At each step type the local derivative and the parent's new gradient, "
        "to 3 significant digits or more, and press Check. Next goes to the next step."
    )
    return data


def _legend(exercise: bool) -> str:
    """The page's own legend: when a box takes its colour, what the colours and the tags mean."""
    chips = " ".join(f'<span class="tag" style="background:{c}">{role}</span>' for role, c in viz.TAG_CHIPS.items())
    if exercise:
        colours = (
            "Boxes stay white: a colour would give a gradient's sign away. The page holds no answer, only hashes "
            "of them: 'Show how' gives the derivation with the forward values, and the arithmetic stays yours."
        )
    else:
        swatch = '<span class="swatch" style="background:{}"></span>'
        colours = (
            "A box stays white until the step that sets its gradient runs, then takes the gradient's colour: "
            f"{swatch.format(viz.grad_colour(1.0, 1.0))} grad &gt; 0, "
            f"{swatch.format(viz.grad_colour(-1.0, 1.0))} grad &lt; 0, deeper for larger |grad|."
        )
    return f"{colours} Tags: {chips}."


def drawing_size(svg: str) -> tuple[float, float]:
    """The (width, height) in points of a drawing made by Graphviz's svg output."""
    size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if size is None:
        raise ValueError("the drawing has no size in points; was it made by Graphviz's svg output?")
    return float(size[1]), float(size[2])


def fitted_scale(svg: str, frame: tuple[float, float] = FRAME) -> float:
    """The scale at which a drawing fits in ``frame``: the smaller of the width and the height ratios."""
    width, height = drawing_size(svg)
    return min(frame[0] / width, frame[1] / height)


# Projected, the smallest text limits the zoom: the drawing's 9 pt edge labels and role tags are set at the node
# text's 11 pt, and the drawing packed closer (cell padding, ranks, nodes, the op ellipses' minimum size), so a
# small graph such as one neuron fits a 1280-pixel window whole and readable. An edge's label goes to its middle,
# where dot leaves room for it, rather than beside its tail, where it sits on the neighbouring arrows.
PAGE_GRAPH = ("\tranksep=0.2\n", "\tnodesep=0.12\n")
PAGE_TEXT = 11


def page_lines(lines: list[str]) -> list[str]:
    """The drawing's DOT statements with the page's text size and spacing (see ``PAGE_GRAPH``)."""
    sized = [
        re.sub(r"(\bedge \[[^]]*fontsize=)\d+", rf"\g<1>{PAGE_TEXT}", line)
        .replace("\tnode [", "\tnode [width=0.4 height=0.3 ")
        .replace('<font point-size="9"', f'<font point-size="{PAGE_TEXT}"')
        .replace(' cellpadding="4"', ' cellpadding="3"')
        .replace(" taillabel=<", " label=<")
        for line in lines
    ]
    return sized + list(PAGE_GRAPH)


def _drawings(graph: GraphView, opts: viz.DrawOptions, grads: list[float], choose_rankdir: bool) -> list[str]:
    """The SVG drawing of the graph; with ``choose_rankdir``, both the left-to-right and the top-down drawing, the
    one larger in the wide ``FRAME`` first: the page shows whichever fits its own window at the larger scale."""
    graphviz = viz.require_graphviz()

    def draw(o: viz.DrawOptions) -> str:
        body = page_lines(viz.layout_lines(graph, o, grads))
        text: str = graphviz.Digraph(viz.GRAPH_NAME, body=body).pipe(format="svg").decode()
        return text[text.index("<svg") :]

    svg = draw(opts)
    if not (choose_rankdir and opts.rankdir == "LR"):
        return [svg]
    down = draw(dataclasses.replace(opts, rankdir="TB"))
    return [down, svg] if fitted_scale(down) > fitted_scale(svg) else [svg, down]


def write_player(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write a self-contained HTML page that steps through ``root.backward()`` one chain-rule step at a time.

    Prev / Next / Play buttons and the arrow keys move between steps; the current node and its parent
    edges are highlighted, gradients fill in as they are computed, and each step shows its chain-rule
    products; the last step sums up every leaf's gradient. The drawing is shown whole where its text
    stays 12 px high on screen (readable projected); a larger one is shown at that size, starting at the
    root and panning smoothly to each step's node and its parents. The reader pans and zooms (drag,
    wheel, + − 0, Fit shows the whole graph). Without ``rankdir``, the page holds a left-to-right and a
    top-down drawing and shows the one drawn larger in its window (a wide window: left to right).
    A box stays white until the step that sets its
    gradient runs, then takes that gradient's colour, so stepping back un-colours it. Clicking a node
    shows its whole chain-rule sum. Options: those of :func:`micrograd_plus.viz.to_dot` that apply
    (see ``PLAYER_OPTIONS``), ``title`` (default: the root's expression) and ``exercise`` (the student
    computes each step). A graph too large to draw in full is drawn collapsed by module call, the current node's
    neighbourhood drawn beside it. No network needed.
    """
    target = writable(path, "write_player")  # before any work: a missing folder is said at once
    opts, title, exercise = _options(options)
    if not isinstance(root, Value):
        raise TypeError(f"write_player needs a Value, got {type(root).__name__} {root!r}")
    graph = graphview.view(root, opts.module, opts.params, opts.inputs)  # unnamed nodes numbered #1, #2, ...
    opts = _fitting_collapse(graph, opts)
    drawn = dataclasses.replace(opts, colour=False, legend=False)
    trace = explain_backward(root, opts.number_format, graph=graph)
    # boxes sized for their final gradients, drawn white: the page colours each as its step runs
    # exercise boxes are sized for one placeholder that shows '?': no gradient, nor its width, in the drawing
    grads = [exercise_page.PLACEHOLDER] * len(graph.order) if exercise else list(trace.grads)
    svg, *other = _drawings(graph, drawn, grads, choose_rankdir="rankdir" not in options)
    if exercise:
        placeholder = format(exercise_page.PLACEHOLDER, opts.number_format).replace("-", "&#45;")  # as dot writes it
        svg, *other = [d.replace(f">grad {placeholder}<", ">grad ?<") for d in [svg, *other]]
    element = graphview.layout(graph, opts.collapse, opts.module).element
    data = player_data(root, graph, trace, element, opts.number_format, colour=opts.colour)
    if exercise:
        data = exercise_view(data, graph, trace, opts.number_format)
    data.update(exercise=exercise, highlight=viz.HIGHLIGHT)
    formula = graph_expression(graph, opts.number_format)
    parts = {
        "TITLE": viz.text(("Exercise: " if exercise else "Backprop: ") + (title if title is not None else formula)),
        "FORMULA": viz.text(formula if title is not None and title != formula else ""),
        "LEGEND": _legend(exercise),
        "PANZOOM": read_page("svg-pan-zoom.min.js"),
        "SVG": svg,
        "OTHER": "".join(other),  # in a <template>: not in the document until the page swaps it in
        "DATA": script_json(data),
        "SCRIPT": read_page("exercise.js") + read_page("player.js"),  # the exercise mode first: the player calls it
        "HIGHLIGHT": viz.HIGHLIGHT,
    }
    write_atomically(target, page(read_page("player.html"), parts))
    return target
