"""Drawing computation graphs: DOT text in pure Python, and graphviz rendering.

Each value is a box with its name, data and grad; the op that made it is a
small ellipse in front of it; every edge into an op carries the local
derivative d(out)/d(in) as a label at the edge's tail, or in its tooltip where many edges would
put their labels in one place (into a ``dot`` from a value that other ops use too). Leaves are
marked by role (parameter, input, constant). Boxes are coloured by the sign and size of their gradient
(constants stay white: nothing learns from them). Nodes made inside a module
call (a Neuron, a Layer, an RNN time step) are grouped in a labelled cluster;
``collapse=`` draws each such call as a single box. The walk of the graph
(order, names, roles, what collapses) is :mod:`micrograd_plus.viz.graph_view`'s;
this module turns it into DOT.

>>> from micrograd_plus import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = (a * b).named("c")
>>> c.backward()
>>> print([line.strip() for line in to_dot(c).splitlines() if "->" in line])
['op2 -> v2 [id="e2" color="#444444"]', 'v0 -> op2 [id="e2_0" taillabel=<-3>]', 'v1 -> op2 [id="e2_1" taillabel=<2>]']
"""

from __future__ import annotations

import html
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from micrograd_plus._files import writable, write_atomically
from micrograd_plus._validate import check_count, safe_text
from micrograd_plus.engine import Value, grad_number
from micrograd_plus.scopes import Scope
from micrograd_plus.viz import graph_view as graphview
from micrograd_plus.viz.graph_view import GraphView, Layout, plural, scope_chain

__all__ = ["HIGHLIGHT", "DrawOptions", "dot_lines", "draw_dot", "drawing_options", "render", "to_dot"]

GRAPH_NAME = "micrograd_plus"
ROLE_COLOURS = {"parameter": "#d9822b", "input": "#2e8b57", "constant": "#888888", "value": "#444444"}
# A role tag is white on its own dark chip, so it reads the same on every box fill; each chip is at
# least 6:1 against white (WCAG AA asks 4.5:1), and keeps the hue of the role's border.
TAG_CHIPS = {"parameter": "#9c4a00", "input": "#1d6b3e", "constant": "#595959"}
HIGHLIGHT = "#7b2cbf"  # violet: apart from the red/blue of the gradient colours and the role colours
# An edge's label sits at its tail. Where an op has more operands than this (a dot, a mean) and the
# operand feeds other ops too (a shared weight, an input of every neuron), the labels of the edges
# leaving that operand would pile up at it: such an edge carries its local derivative in its tooltip.
LABELLED_OPERANDS = 3
LEGEND_MIN_BOXES = 6  # smaller drawings explain themselves; the legend would be wider than the graph
INSTALL_DOT = (
    "the Graphviz 'dot' program is not installed: apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or see https://graphviz.org/download/; "
    "the DOT text is still available from micrograd_plus.viz.to_dot(root)"
)


def quoted(s: str) -> str:
    """A user string inside a double-quoted DOT attribute (a tooltip): control characters shown, quotes escaped."""
    return safe_text(s).replace("\\", "\\\\").replace('"', '\\"')


def text(s: str) -> str:
    """A user string as the text of an HTML-like DOT label: control characters shown, markup escaped."""
    return html.escape(safe_text(s))


@dataclass(frozen=True)
class DrawOptions:
    """The drawing options of to_dot, draw_dot and render, each validated."""

    module: Any = None
    params: Iterable[Value] | None = None
    inputs: Iterable[Value] | None = None
    show_grad: bool = True
    edge_labels: bool = True
    rankdir: str = "LR"
    number_format: str = ".4g"
    clusters: bool = True
    collapse: str | tuple[str, ...] | None = None
    highlight: Value | None = None
    legend: bool | None = None  # None: only when the drawing has LEGEND_MIN_BOXES boxes or more
    colour: bool = True
    max_nodes: int = 400


OPTION_NAMES = tuple(f.name for f in fields(DrawOptions))


def drawing_options(function: str, options: dict[str, Any], allowed: Iterable[str] = OPTION_NAMES) -> DrawOptions:
    """Check ``options`` for ``function`` (its name, for messages) and return them as DrawOptions."""
    allowed = tuple(allowed)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(
            f"{function}() got an unknown option {unknown[0]!r}; valid options: {', '.join(sorted(allowed))}"
        )
    for name in ("show_grad", "edge_labels", "clusters", "colour"):
        if name in options and not isinstance(options[name], bool):
            raise TypeError(f"{function}(): {name} must be True or False, got {options[name]!r}")
    if options.get("legend") is not None and not isinstance(options["legend"], bool):
        raise TypeError(f"{function}(): legend must be True, False or None (automatic), got {options['legend']!r}")
    if options.get("rankdir", "LR") not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top down), got {options['rankdir']!r}")
    fmt = options.get("number_format", ".4g")
    try:
        if not isinstance(fmt, str):
            raise TypeError
        format(1.5, fmt)
    except (ValueError, TypeError):
        raise ValueError(f"number_format must be a format spec such as '.4g' or '.3f', got {fmt!r}") from None
    max_nodes = options.get("max_nodes", 400)
    max_nodes = check_count(f"{function}(): max_nodes", max_nodes)
    collapse = options.get("collapse")
    if isinstance(collapse, (list, tuple)) and collapse and all(isinstance(kind, str) for kind in collapse):
        options = {**options, "collapse": tuple(collapse)}
    elif collapse is not None and not isinstance(collapse, str):
        raise TypeError(
            f"{function}(): collapse must be a module type name such as 'Layer', or a list of them such as "
            f"['head', 'mlp'], got {collapse!r}"
        )
    highlight = options.get("highlight")
    if highlight is not None and not isinstance(highlight, Value):
        raise TypeError(f"{function}(): highlight must be a Value of the graph, got {type(highlight).__name__}")
    return DrawOptions(**options)


def grad_colour(grad: float, largest: float) -> str:
    """White for 0, deepening to red for positive and blue for negative gradients (by |grad| / largest)."""
    if not grad or not largest:
        return "#ffffff"
    strength = min(1.0, abs(grad) / largest) ** 0.5  # square root: small gradients stay visible
    full = (214, 39, 40) if grad > 0 else (31, 119, 180)
    r, g, b = (round(255 + (c - 255) * strength * 0.75) for c in full)
    return f"#{r:02x}{g:02x}{b:02x}"


def on_paths(graph: GraphView, highlight: Value | None) -> set[int]:
    """Nodes on some path from ``highlight`` to the root (empty without a highlight)."""
    if highlight is None:
        return set()
    if id(highlight) not in graph.index:
        raise ValueError(f"highlight={highlight!r} is not part of this graph")
    return graphview.on_paths(graph, highlight)


def value_label(v: Value, grad: float, graph: GraphView, fmt: str, show_grad: bool, rows: int = 1) -> str:
    """An HTML-like label (every user string escaped): name, role, data and grad in a row of cells.

    With ``rows=2`` the name and role sit above the numbers: half as wide, for top-down drawings,
    whose width is a rank's boxes side by side.
    """
    role = graph.roles[id(v)]
    head = [f"<td><b>{text(graph.name(v))}</b></td>"]
    if role != "value":
        head.append(f'<td bgcolor="{TAG_CHIPS[role]}"><font point-size="9" color="#ffffff">{role}</font></td>')
    numbers = [f"<td>data {text(format(v.data, fmt))}</td>"]
    if show_grad and role != "constant":
        numbers.append(f"<td>grad {text(format(grad, fmt))}</td>")
    table = '<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
    if rows == 1:
        return f"<{table}<tr>{''.join(head + numbers)}</tr></table>>"
    span = max(len(head), len(numbers))
    head[-1] = head[-1].replace("<td", f'<td colspan="{span - len(head) + 1}"', 1)
    numbers[-1] = numbers[-1].replace("<td", f'<td colspan="{span - len(numbers) + 1}"', 1)
    return f"<{table}<tr>{''.join(head)}</tr><tr>{''.join(numbers)}</tr></table>>"


def _value_node(v: Value, graph: GraphView, opts: DrawOptions, grad: float, largest: float, on: set[int]) -> str:
    i = graph.position(v)
    faded = bool(on) and id(v) not in on
    role = graph.roles[id(v)]
    fill = grad_colour(grad, largest) if opts.show_grad and opts.colour and role != "constant" else "#ffffff"
    border = "#cccccc" if faded else (HIGHLIGHT if id(v) in on else ROLE_COLOURS[role])
    style = "filled,dashed" if role == "constant" else "filled,bold" if role == "parameter" else "filled"
    label = value_label(
        v, grad, graph, opts.number_format, opts.show_grad, rows=2 if opts.rankdir in ("TB", "BT") else 1
    )
    out = f'\tv{i} [id="v{i}" label={label} shape=box style="{style}" fillcolor="{fill}" color="{border}"]\n'
    if v.parents:
        op_colour = "#cccccc" if faded else (HIGHLIGHT if id(v) in on else "#444444")
        out += f'\top{i} [id="op{i}" label=<{text(v.op or "?")}> shape=ellipse color="{op_colour}" fontsize=10]\n'
        out += f'\top{i} -> v{i} [id="e{i}" color="{op_colour}"]\n'
    return out


def _edges(graph: GraphView, drawn: Layout, opts: DrawOptions, on: set[int]) -> list[str]:
    edges, seen = [], set()
    uses = {key: len(users) for key, users in graph.consumers().items()}
    shared: dict[str, list[str]] = {}  # parameter group -> the collapsed calls that use it
    for v in graph.order:
        if not v.parents:
            continue
        target = f"op{graph.position(v)}" if id(v) not in drawn.box_of else drawn.element[id(v)]
        for j, (parent, local) in enumerate(zip(v.parents, v.local_grads)):
            source = drawn.element[id(parent)]
            if source == target:
                continue  # an edge inside a collapsed box
            if source.startswith("params") and target.startswith("box"):
                shared.setdefault(source, [])
                if target not in shared[source]:
                    shared[source].append(target)
                continue
            if source.startswith(("box", "params")) or target.startswith("box"):
                if (source, target) not in seen:
                    seen.add((source, target))
                    edges.append(f"\t{source} -> {target}\n")
                continue
            attrs = [f'id="e{graph.position(v)}_{j}"']
            if opts.edge_labels and (len(v.parents) <= LABELLED_OPERANDS or uses[id(parent)] == 1):
                # at the edge's tail, where the edges of a graph spread out: a label in an edge's middle can sit
                # closer to a neighbouring edge than to its own
                attrs.append(f"taillabel=<{text(format(local, opts.number_format))}>")
            elif opts.edge_labels:  # many edges meet at this op: a label each would pile up at its ellipse
                said = f"d({graph.name(v)})/d({graph.name(parent)}) = {format(local, opts.number_format)}"
                attrs.append(f'tooltip="{quoted(said)}"')
            if on:
                hot = id(parent) in on and id(v) in on
                attrs.append(f'color="{HIGHLIGHT}" penwidth=2.5' if hot else 'color="#cccccc"')
            edges.append(f"\t{source} -> {target} [{' '.join(attrs)}]\n")
    for source, targets in shared.items():  # weights shared by every time step: one edge, not one per step
        if len(targets) > 2:
            edges.append(f"\t{source} -> {targets[0]} [style=dashed label=<used by all {len(targets)}>]\n")
        else:
            edges += [f"\t{source} -> {target}\n" for target in targets]
    return edges


class _Clusters:
    """The cluster tree: every module call that holds a drawn node is a subgraph, nested like the calls."""

    def __init__(self, graph: GraphView, enabled: bool) -> None:
        self.graph, self.enabled = graph, enabled
        self.members: dict[int, list[str]] = {}
        self.children: dict[int, list[int]] = {}
        self.scopes: dict[int, Scope] = {}
        self.top: list[str] = []
        self.top_children: list[int] = []

    def place(self, scope: Scope | None, statement: str) -> None:
        chain = scope_chain(scope) if self.enabled else []
        if not chain:
            self.top.append(statement)
            return
        for outer, inner in zip([None, *chain[:-1]], chain):
            if id(inner) not in self.scopes:
                self.scopes[id(inner)] = inner
                (self.children.setdefault(id(outer), []) if outer is not None else self.top_children).append(id(inner))
        self.members.setdefault(id(chain[-1]), []).append(statement)

    def lines(self) -> list[str]:
        out = list(self.top)
        count = [0]

        def emit(scope_id: int, depth: int) -> None:
            pad = "\t" * depth
            label = text(self.graph.scope_label(self.scopes[scope_id]))
            out.append(f"{pad}subgraph cluster_{count[0]} {{\n")
            out.append(f'{pad}\tlabel=<{label}> style="rounded" color="#999999"\n')
            count[0] += 1
            out.extend(pad + member.replace("\n\t", "\n\t" + pad) for member in self.members.get(scope_id, []))
            for child in self.children.get(scope_id, []):
                emit(child, depth + 1)
            out.append(f"{pad}}}\n")

        for scope_id in self.top_children:
            emit(scope_id, 1)
        return out


def _legend() -> list[str]:
    """One compact row: what the colours and role names mean."""
    cells = (
        f'<td bgcolor="{grad_colour(1.0, 1.0)}">grad &gt; 0</td><td bgcolor="{grad_colour(-1.0, 1.0)}">grad &lt; 0</td>'
        "<td>deeper: larger |grad|</td>"
        + "".join(f'<td bgcolor="{chip}"><font color="#ffffff">{role}</font></td>' for role, chip in TAG_CHIPS.items())
    )
    table = f'<table border="0" cellborder="1" cellspacing="0" cellpadding="2"><tr>{cells}</tr></table>'
    return [f'\tlegend [id="legend" label=<{table}> shape=plaintext fontsize=8]\n']


def _legend_below(lines: list[str]) -> list[str]:
    """In a top-down drawing the legend row goes under the graph, not beside its widest rank."""
    return [*lines, "\t{rank=sink; legend}\n"]


def dot_lines(root: Value, opts: DrawOptions, grads: list[float] | None = None) -> list[str]:
    """The body of the DOT text (statements between the braces) for validated options."""
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value to draw, got {type(root).__name__} {root!r}")
    graph = graphview.view(root, opts.module, opts.params, opts.inputs)
    return layout_lines(graph, opts, grads)


def layout_lines(graph: GraphView, opts: DrawOptions, grads: list[float] | None = None) -> list[str]:
    """DOT statements for a walked graph: value boxes, op ellipses, collapsed boxes, edges, legend."""
    drawn = graphview.layout(graph, opts.collapse, opts.module)
    if drawn.n_drawn > opts.max_nodes:
        raise ValueError(
            f"the graph has {drawn.n_drawn} nodes to draw, more than max_nodes={opts.max_nodes}; pass collapse='Layer' "
            "(or 'Neuron', or 'step' for an RNN) to draw each module call as one box, or raise max_nodes"
        )
    on = on_paths(graph, opts.highlight)
    grad_of = {id(v): g for v, g in zip(graph.order, grads)} if grads else {id(v): grad_number(v) for v in graph.order}
    largest = max(
        (abs(g) for v in graph.order if graph.roles[id(v)] != "constant" for g in [grad_of[id(v)]]), default=0
    )
    clusters = _Clusters(graph, opts.clusters)
    for v in drawn.shown:
        clusters.place(v.scope, _value_node(v, graph, opts, grad_of[id(v)], largest, on))
    for scope_id, number in drawn.boxes.items():
        scope = drawn.box_scopes[scope_id]
        statement = (
            f'\tbox{number} [id="box{number}" label=<<b>{text(graph.scope_label(scope))}</b><br/>'
            f'<font point-size="9">{plural(drawn.box_sizes[scope_id], "node")}</font>> shape=box3d style=filled '
            'fillcolor="#f3f3f3"]\n'
        )
        clusters.place(scope[1], statement)
    for key, number in drawn.group_number.items():
        clusters.top.append(
            f'\tparams{number} [id="params{number}" label=<<b>{text(key)}</b><br/>'
            f'<font point-size="9">{plural(drawn.group_size[key], "parameter")}</font>> shape=folder '
            f'style="filled,bold" fillcolor="#fff4e6" color="{ROLE_COLOURS["parameter"]}"]\n'
        )
    lines = [
        f"\trankdir={opts.rankdir}\n",
        '\tnode [fontname="Helvetica" fontsize=11]\n',
        '\tedge [fontname="Helvetica" fontsize=9 color="#555555"]\n',
    ]
    lines += clusters.lines() + _edges(graph, drawn, opts, on)
    wanted = opts.legend if opts.legend is not None else len(drawn.shown) >= LEGEND_MIN_BOXES
    if wanted and opts.show_grad and opts.colour:
        lines += _legend_below(_legend()) if opts.rankdir in ("TB", "BT") else _legend()
    return lines


def to_dot(root: Value, **options: Any) -> str:
    """The graph below ``root`` as DOT text; needs no graphviz. Box ids are ``v<topological position>``.

    Options: ``module`` (an nn.Module: names its parameters and module clusters), ``params`` and
    ``inputs`` (leaves to mark by role), ``show_grad`` (False before backward), ``edge_labels``,
    ``rankdir`` ('LR' or 'TB'), ``number_format`` ('.4g'), ``clusters``, ``collapse`` (a module type
    such as 'Layer', or 'step', or a list of them: a GPT by block with ``["RMSNorm", "CausalSelfAttention",
    "mlp"]``), ``highlight`` (a Value: emphasise its paths to the root), ``legend``
    (None: only for drawings of 6 boxes or more), ``colour`` (fill boxes by gradient), ``max_nodes`` (400).
    """
    opts = drawing_options("to_dot", options)
    return f"digraph {GRAPH_NAME} {{\n" + "".join(dot_lines(root, opts)) + "}\n"


def require_graphviz() -> Any:
    """The graphviz package, after checking that the ``dot`` program is there too."""
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            "drawing needs the graphviz Python package: pip install 'micrograd_plus[viz]' "
            "(to_dot(root) gives the DOT text without it)"
        ) from error
    if shutil.which("dot") is None:
        raise RuntimeError(INSTALL_DOT)
    return graphviz


def draw_dot(root: Value, **options: Any) -> Any:
    """A ``graphviz.Digraph`` of the graph (shown inline in Jupyter; ``.render()`` to SVG/PNG/PDF).

    Takes the options of :func:`to_dot`. Needs the ``viz`` extra and Graphviz's ``dot`` program.
    """
    opts = drawing_options("draw_dot", options)
    graphviz = require_graphviz()
    return graphviz.Digraph(GRAPH_NAME, body=dot_lines(root, opts))


def render(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write the drawing to ``path``; the format comes from its suffix (.svg, .png or .pdf)."""
    path = writable(path, "render")
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"cannot tell the format of {str(path)!r}; end the name in .svg, .png or .pdf")
    opts = drawing_options("render", options)
    graphviz = require_graphviz()
    write_atomically(path, graphviz.Digraph(GRAPH_NAME, body=dot_lines(root, opts)).pipe(format=fmt))
    return path
