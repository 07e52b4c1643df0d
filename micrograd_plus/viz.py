"""Drawing computation graphs: DOT text in pure Python, graphviz rendering, and the backprop player.

Each value is a box with its label, data and grad; the op that made it is a
small ellipse in front of it; every edge into an op carries the local
derivative d(out)/d(in). Leaves are marked by role (parameter, input,
constant). Boxes are coloured by the sign and size of their gradient. Nodes
made inside a module call (a Neuron, a Layer, an RNN time step) are grouped in
a labelled cluster; ``collapse=`` draws each such call as a single box.

>>> from micrograd_plus import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = (a * b).named("c")
>>> c.backward()
>>> print([line.strip() for line in to_dot(c).splitlines() if "->" in line])
['op2 -> v2 [id="e2" color="#444444"]', 'v0 -> op2 [id="e2_0" label="-3"]', 'v1 -> op2 [id="e2_1" label="2"]']
"""

from __future__ import annotations

import html
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from micrograd_plus.engine import Scope, Value, grad_number

__all__ = ["draw_dot", "render", "to_dot", "write_player"]

GRAPH_NAME = "micrograd_plus"
ROLE_COLOURS = {"parameter": "#d9822b", "input": "#2e8b57", "constant": "#888888", "value": "#444444"}
INSTALL_DOT = (
    "the Graphviz 'dot' program is not installed: apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or see https://graphviz.org/download/; "
    "the DOT text is still available from micrograd_plus.viz.to_dot(root)"
)


def _number(x: float, spec: str) -> str:
    return format(x, spec)


def _grad_colour(grad: float, largest: float) -> str:
    """White for 0, deepening to red for positive and blue for negative gradients (by |grad| / largest)."""
    if not grad or not largest:
        return "#ffffff"
    strength = min(1.0, abs(grad) / largest) ** 0.5  # square root: small gradients stay visible
    full = (214, 39, 40) if grad > 0 else (31, 119, 180)
    r, g, b = (round(255 + (c - 255) * strength * 0.75) for c in full)
    return f"#{r:02x}{g:02x}{b:02x}"


@dataclass
class _Graph:
    """The graph as drawn: nodes in topological order, with their display names and roles."""

    order: list[Value]
    index: dict[int, int]  # id(node) -> position in order
    names: dict[int, str]  # id(node) -> shown name ("" when none)
    roles: dict[int, str]
    module_names: dict[int, str]  # id(module) -> attribute path


def _inspect(root: Value, module: Any, params: Iterable[Value] | None, inputs: Iterable[Value] | None) -> _Graph:
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value to draw, got {type(root).__name__} {root!r}")
    order = root.topological_order()
    names = {id(v): v.label for v in order}
    module_names: dict[int, str] = {}
    param_ids: set[int] = set()
    if module is not None:
        if not hasattr(module, "named_parameters"):
            raise TypeError(f"module must be an nn.Module, got {type(module).__name__}")
        for name, p in module.named_parameters():
            param_ids.add(id(p))
            if not names.get(id(p)):
                names[id(p)] = name
        stack: list[tuple[str, Any]] = [(type(module).__name__, module)]
        while stack:
            path, m = stack.pop()
            module_names[id(m)] = path
            stack += [(child_name, child) for child_name, child in m.named_children()]
    param_ids |= {id(p) for p in params or ()}
    input_ids = {id(x) for x in inputs or ()}
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
    return _Graph(order, {id(v): i for i, v in enumerate(order)}, names, roles, module_names)


def _scope_chain(scope: Scope | None) -> list[Scope]:
    chain = []
    while scope is not None:
        chain.append(scope)
        scope = scope[1]
    return chain[::-1]  # outermost first


def _scope_label(scope: Scope, module_names: dict[int, str]) -> str:
    tag = scope[0]
    if isinstance(tag, str):
        return tag
    kind = type(tag).__name__
    path = module_names.get(id(tag))
    return f"{kind} {path}" if path and path != kind else kind


def _scope_matches(scope: Scope, collapse: str) -> bool:
    tag = scope[0]
    return tag.split()[0] == collapse if isinstance(tag, str) else type(tag).__name__ == collapse


def _on_paths(graph: _Graph, highlight: Value | None) -> set[int]:
    """Nodes on some path from ``highlight`` to the root (empty without a highlight)."""
    if highlight is None:
        return set()
    if id(highlight) not in graph.index:
        raise ValueError(f"highlight={highlight!r} is not part of this graph")
    on = {id(highlight)}
    for v in graph.order:
        if any(id(p) in on for p in v.parents):
            on.add(id(v))
    return on


def _value_label(v: Value, grad: float, graph: _Graph, fmt: str, show_grad: bool, position: int) -> str:
    """An HTML-like label (every user string escaped): name, role, data and grad in a row of cells."""
    name = graph.names[id(v)] or f"#{position}"
    role = graph.roles[id(v)]
    cells = [f"<td><b>{html.escape(name)}</b></td>"]
    if role != "value":
        cells.append(f'<td><font point-size="9" color="{ROLE_COLOURS[role]}">{role}</font></td>')
    cells.append(f"<td>data {html.escape(_number(v.data, fmt))}</td>")
    if show_grad:
        cells.append(f"<td>grad {html.escape(_number(grad, fmt))}</td>")
    return f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4"><tr>{"".join(cells)}</tr></table>>'


def _dot_lines(
    root: Value,
    *,
    module: Any = None,
    params: Iterable[Value] | None = None,
    inputs: Iterable[Value] | None = None,
    show_grad: bool = True,
    edge_labels: bool = True,
    rankdir: str = "LR",
    number_format: str = ".4g",
    clusters: bool = True,
    collapse: str | None = None,
    highlight: Value | None = None,
    legend: bool = True,
    colour: bool = True,
    max_nodes: int = 400,
    grads: list[float] | None = None,
) -> list[str]:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top down), got {rankdir!r}")
    try:
        _number(1.5, number_format)
    except (ValueError, TypeError):
        raise ValueError(f"number_format must be a format spec such as '.4g' or '.3f', got {number_format!r}") from None
    graph = _inspect(root, module, params, inputs)
    on_path = _on_paths(graph, highlight)
    grad_of = {id(v): g for v, g in zip(graph.order, grads)} if grads else {id(v): grad_number(v) for v in graph.order}

    # which nodes disappear into a collapsed box, and which box stands for them
    box_of: dict[int, Scope] = {}
    if collapse is not None:
        for v in graph.order:
            for scope in _scope_chain(v.scope):
                if _scope_matches(scope, collapse):
                    box_of[id(v)] = scope
                    break
        if not box_of:
            raise ValueError(
                f"collapse={collapse!r} matches no module call in this graph; use a module type "
                "name such as 'Layer' or 'Neuron', or 'step' for RNN time steps"
            )
    boxes: dict[int, int] = {}  # id(scope) -> box number, in order of first appearance
    box_sizes: dict[int, int] = {}
    box_scopes: dict[int, Scope] = {}
    for v in graph.order:
        box = box_of.get(id(v))
        if box is not None:
            boxes.setdefault(id(box), len(boxes))
            box_sizes[id(box)] = box_sizes.get(id(box), 0) + 1
            box_scopes[id(box)] = box

    # in a collapsed drawing a module's parameters are one node each group (e.g. "layers.0: 48 parameters")
    groups: dict[int, str] = {}
    if collapse is not None and module is not None:
        types = {path: type(m).__name__ for path, m in module.named_modules()}
        for name, p in module.named_parameters():
            parts = name.split(".")
            prefixes = [".".join(parts[:k]) for k in range(1, len(parts))]
            matching = [prefix for prefix in prefixes if types.get(prefix) == collapse]
            groups[id(p)] = matching[0] if matching else parts[0]
    group_number = {key: n for n, key in enumerate(sorted({groups[id(v)] for v in graph.order if id(v) in groups}))}
    group_size = {key: sum(1 for v in graph.order if groups.get(id(v)) == key) for key in group_number}

    def node_id(v: Value) -> str:
        scope = box_of.get(id(v))
        if scope is not None:
            return f"box{boxes[id(scope)]}"
        return f"params{group_number[groups[id(v)]]}" if id(v) in groups else f"v{graph.index[id(v)]}"

    shown = [v for v in graph.order if id(v) not in box_of and id(v) not in groups]
    n_drawn = len(shown) + sum(1 for v in shown if v.parents) + len(boxes) + len(group_number)
    if n_drawn > max_nodes:
        raise ValueError(
            f"the graph has {n_drawn} nodes to draw, more than max_nodes={max_nodes}; pass collapse='Layer' "
            "(or 'Neuron', or 'step' for an RNN) to draw each module call as one box, or raise max_nodes"
        )
    largest = max(map(abs, grad_of.values()), default=0.0)

    lines = [
        f"\trankdir={rankdir}\n",
        '\tnode [fontname="Helvetica" fontsize=11]\n',
        '\tedge [fontname="Helvetica" fontsize=9 color="#555555"]\n',
    ]
    # cluster tree: every scope that holds a shown node gets a subgraph, nested like the module calls
    members: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    scopes: dict[int, Scope] = {}
    top: list[str] = []
    top_children: list[int] = []

    def place(scope: Scope | None, text: str) -> None:
        chain = _scope_chain(scope) if clusters else []
        if not chain:
            top.append(text)
            return
        for outer, inner in zip([None, *chain[:-1]], chain):
            if id(inner) not in scopes:
                scopes[id(inner)] = inner
                (children.setdefault(id(outer), []) if outer is not None else top_children).append(id(inner))
        members.setdefault(id(chain[-1]), []).append(text)

    for v in shown:
        i = graph.index[id(v)]
        faded = bool(on_path) and id(v) not in on_path
        fill = _grad_colour(grad_of[id(v)], largest) if show_grad and colour else "#ffffff"
        role = graph.roles[id(v)]
        border = "#cccccc" if faded else ("crimson" if id(v) in on_path else ROLE_COLOURS[role])
        style = "filled,dashed" if role == "constant" else "filled,bold" if role == "parameter" else "filled"
        label = _value_label(v, grad_of[id(v)], graph, number_format, show_grad, i)
        text = f'\tv{i} [id="v{i}" label={label} shape=box style="{style}" fillcolor="{fill}" color="{border}"]\n'
        if v.parents:
            op_colour = "#cccccc" if faded else ("crimson" if id(v) in on_path else "#444444")
            op_label = html.escape(v.op or "?")
            text += f'\top{i} [id="op{i}" label=<{op_label}> shape=ellipse color="{op_colour}" fontsize=10]\n'
            text += f'\top{i} -> v{i} [id="e{i}" color="{op_colour}"]\n'
        place(v.scope if id(v) not in box_of else None, text)

    for scope_id, number in boxes.items():
        scope = box_scopes[scope_id]
        label = html.escape(_scope_label(scope, graph.module_names))
        text = (
            f'\tbox{number} [id="box{number}" label=<<b>{label}</b><br/>'
            f'<font point-size="9">{box_sizes[scope_id]} nodes</font>> shape=box3d style=filled fillcolor="#f3f3f3"]\n'
        )
        place(scope[1], text)

    for key, number in group_number.items():
        text = (
            f'\tparams{number} [id="params{number}" label=<<b>{html.escape(key)}</b><br/>'
            f'<font point-size="9">{group_size[key]} parameters</font>> shape=folder style="filled,bold" '
            f'fillcolor="#fff4e6" color="{ROLE_COLOURS["parameter"]}"]\n'
        )
        top.append(text)

    edges = []
    seen_box_edges = set()
    for v in graph.order:
        if not v.parents:
            continue
        target = f"op{graph.index[id(v)]}" if id(v) not in box_of else node_id(v)
        for j, (parent, local) in enumerate(zip(v.parents, v.local_grads)):
            source = node_id(parent)
            if source == target:
                continue  # an edge inside a collapsed box
            if source.startswith(("box", "params")) or target.startswith("box"):
                if (source, target) in seen_box_edges:
                    continue
                seen_box_edges.add((source, target))
                edges.append(f"\t{source} -> {target}\n")
                continue
            attrs = [f'id="e{graph.index[id(v)]}_{j}"']
            if edge_labels:
                attrs.append(f'label="{html.escape(_number(local, number_format))}"')
            if on_path:
                hot = id(parent) in on_path and id(v) in on_path
                attrs.append('color="crimson" penwidth=2.5' if hot else 'color="#cccccc"')
            edges.append(f"\t{source} -> {target} [{' '.join(attrs)}]\n")

    def emit(scope_id: int, depth: int) -> list[str]:
        scope = scopes[scope_id]
        pad = "\t" * depth
        label = html.escape(_scope_label(scope, graph.module_names))
        out = [
            f"{pad}subgraph cluster_{len(emitted)} {{\n",
            f'{pad}\tlabel=<{label}> style="rounded" color="#999999"\n',
        ]
        emitted.append(scope_id)
        out += [pad + text.replace("\n\t", "\n\t" + pad) for text in members.get(scope_id, [])]
        for child in children.get(scope_id, []):
            out += emit(child, depth + 1)
        out.append(f"{pad}}}\n")
        return out

    emitted: list[int] = []
    lines += top
    for scope_id in top_children:
        lines += emit(scope_id, 1)
    lines += edges
    if legend and show_grad and colour:
        lines += [
            "\tsubgraph cluster_legend {\n",
            '\t\tlabel="legend" style="rounded" color="#bbbbbb" fontsize=9\n',
            f'\t\tlegend_pos [label="grad > 0" shape=box style=filled fillcolor="{_grad_colour(1.0, 1.0)}"]\n',
            f'\t\tlegend_neg [label="grad < 0" shape=box style=filled fillcolor="{_grad_colour(-1.0, 1.0)}"]\n',
            '\t\tlegend_size [label="deeper colour: larger |grad|" shape=plaintext fontsize=9]\n',
            '\t\tlegend_roles [label=<<font color="#d9822b">parameter</font> · <font color="#2e8b57">input</font>'
            ' · <font color="#888888">constant</font>> shape=plaintext fontsize=9]\n',
            "\t}\n",
        ]
    return lines


def to_dot(root: Value, **options: Any) -> str:
    """The graph below ``root`` as DOT text; needs no graphviz. Nodes are named by topological position.

    Options: ``module`` (an nn.Module: names its parameters and module clusters), ``params`` and
    ``inputs`` (leaves to mark by role), ``show_grad`` (False before backward), ``edge_labels``,
    ``rankdir`` ('LR' or 'TB'), ``number_format`` ('.4g'), ``clusters``, ``collapse`` (a module type
    such as 'Layer', or 'step'), ``highlight`` (a Value: emphasise its paths to the root), ``legend``,
    ``colour`` (fill boxes by gradient), ``max_nodes`` (400).
    """
    return f"digraph {GRAPH_NAME} {{\n" + "".join(_dot_lines(root, **options)) + "}\n"


def _require_graphviz() -> Any:
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
    graphviz = _require_graphviz()
    return graphviz.Digraph(GRAPH_NAME, body=_dot_lines(root, **options))


def render(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write the drawing to ``path``; the format comes from its suffix (.svg, .png or .pdf)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"cannot tell the format of {str(path)!r}; end the name in .svg, .png or .pdf")
    data = draw_dot(root, **options).pipe(format=fmt)
    path.write_bytes(data)
    return path


def write_player(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write a self-contained HTML page that steps through ``root.backward()`` one chain-rule step at a time.

    Prev / Next / Play buttons and the arrow keys move between steps; the current
    node and its parent edges are highlighted, gradients fill in as they are
    computed, and each step shows its chain-rule products. No network needed.
    """
    from micrograd_plus.explain import explain_backward

    options.setdefault("max_nodes", 250)
    # every node visible, grads shown as text only (colours would give the answers away), and each
    # box sized for its final gradient, which the page fills in step by step
    options.update(show_grad=True, colour=False, collapse=None)
    trace = explain_backward(root)
    graphviz = _require_graphviz()
    lines = _dot_lines(root, grads=list(trace.grads), **options)
    svg = graphviz.Digraph(GRAPH_NAME, body=lines).pipe(format="svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]
    fmt = options.get("number_format", ".4g")
    steps = [
        {
            "node": step.position,
            "title": step.title(),
            "lines": [c.describe(fmt) for c in step.contributions] or [step.note],
            "edges": [f"e{step.position}_{c.operand}" for c in step.contributions],
            "updates": [[c.parent_position, _number(c.total, fmt)] for c in step.contributions],
        }
        for step in trace.steps
    ]
    initial = [[i, _number(1.0 if v is root else 0.0, fmt)] for i, v in enumerate(root.topological_order())]
    data = json.dumps({"steps": steps, "initial": initial, "root": len(initial) - 1})
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # cannot close the script
    page = _PLAYER.replace("__SVG__", svg).replace("__DATA__", data)
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


_PLAYER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>backprop player</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #222; }
#controls button { font-size: 15px; padding: 4px 14px; margin-right: 6px; }
#counter { margin-left: 12px; font-weight: bold; }
#title { font-size: 17px; margin: 12px 0 4px; }
#lines { font-family: Menlo, Consolas, monospace; white-space: pre; background: #f6f6f6; padding: 8px;
  min-height: 3em; }
#graph svg { max-width: 100%; height: auto; }
g.node.current polygon, g.node.current ellipse { stroke: crimson; stroke-width: 4px; }
g.edge.current path { stroke: crimson; stroke-width: 3px; }
g.edge.current polygon { stroke: crimson; fill: crimson; }
g.node.done polygon { stroke-width: 2px; }
</style></head>
<body>
<h2>Backprop, one chain-rule step at a time</h2>
<div id="controls"><button id="prev">&#9664; Prev</button><button id="next">Next &#9654;</button>
<button id="play">Play</button><span id="counter"></span></div>
<div id="title"></div><div id="lines"></div>
<p>Keys: &larr; and &rarr; step, space plays. Gradients fill in as backward() computes them.</p>
<div id="graph">__SVG__</div>
<script>
const DATA = __DATA__;
let current = 0, timer = null;
function gradCell(i) {
  for (const t of document.querySelectorAll('#v' + i + ' text')) { if (t.textContent.startsWith('grad ')) return t; }
  return null;
}
function show(k) {
  current = Math.max(0, Math.min(DATA.steps.length, k));
  for (const [i, text] of DATA.initial) { const t = gradCell(i); if (t) t.textContent = 'grad ' + text; }
  for (let s = 0; s < current; s++) {
    for (const [i, text] of DATA.steps[s].updates) { const t = gradCell(i); if (t) t.textContent = 'grad ' + text; }
  }
  document.querySelectorAll('.current').forEach(e => e.classList.remove('current'));
  const counter = document.getElementById('counter');
  counter.textContent = 'step ' + current + ' / ' + DATA.steps.length;
  if (current === 0) {
    document.getElementById('title').textContent = 'Start: d(root)/d(root) = 1, every other gradient is 0.';
    document.getElementById('lines').textContent = '';
    const root = document.getElementById('v' + DATA.root); if (root) root.classList.add('current');
    return;
  }
  const step = DATA.steps[current - 1];
  document.getElementById('title').textContent = step.title;
  document.getElementById('lines').textContent = step.lines.join('\\n');
  const node = document.getElementById('v' + step.node); if (node) node.classList.add('current');
  const op = document.getElementById('op' + step.node); if (op) op.classList.add('current');
  for (const id of step.edges) { const e = document.getElementById(id); if (e) e.classList.add('current'); }
}
function play() {
  if (timer) { clearInterval(timer); timer = null; document.getElementById('play').textContent = 'Play'; return; }
  document.getElementById('play').textContent = 'Pause';
  if (current >= DATA.steps.length) show(0);
  timer = setInterval(() => { if (current >= DATA.steps.length) { play(); } else { show(current + 1); } }, 1200);
}
document.getElementById('prev').onclick = () => show(current - 1);
document.getElementById('next').onclick = () => show(current + 1);
document.getElementById('play').onclick = play;
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowRight') show(current + 1);
  else if (e.key === 'ArrowLeft') show(current - 1);
  else if (e.key === ' ') { e.preventDefault(); play(); }
});
show(0);
</script>
</body></html>
"""
