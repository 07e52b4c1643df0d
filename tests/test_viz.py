"""Graph drawing: DOT structure, roles, clusters, collapsing, highlighting, limits, escaping, rendering."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from micrograd_plus import Value, losses, viz
from micrograd_plus.nn import MLP, RNN


def neuron() -> tuple[Value, list[Value], list[Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).named("n").tanh().named("o")
    o.backward()
    return o, [w1, w2, b], [x1, x2]


def node_names(dot_text: str) -> list[str]:
    return re.findall(r"^\t+(\w+) \[", dot_text, flags=re.MULTILINE)


def test_nodes_are_named_in_topological_order_and_output_is_deterministic() -> None:
    o, params, inputs = neuron()
    text = viz.to_dot(o, params=params, inputs=inputs, legend=False)
    assert text.startswith("digraph micrograd_plus {\n") and text.endswith("}\n")
    values = [n for n in node_names(text) if n.startswith("v")]
    assert values == [f"v{i}" for i in range(len(o.topological_order()))]
    again, params_again, inputs_again = neuron()
    assert text == viz.to_dot(again, params=params_again, inputs=inputs_again, legend=False)


def test_op_nodes_and_edges_labelled_with_local_derivatives() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b).named("c")
    c.backward()
    text = viz.to_dot(c)
    assert 'op2 [id="op2" label=<*>' in text
    assert 'v0 -> op2 [id="e2_0" taillabel=<-3>]' in text  # dc/da = b
    assert 'v1 -> op2 [id="e2_1" taillabel=<2>]' in text  # dc/db = a
    assert "op2 -> v2" in text
    assert "<b>c</b>" in text and "data -6" in text and "grad 1" in text


def test_roles_and_gradient_colours() -> None:
    o, params, inputs = neuron()
    text = viz.to_dot((o * 2.5).named("y"), params=params, inputs=inputs)
    # each role once more in the legend
    assert text.count(">parameter</font>") == 3 + 1 and text.count(">input</font>") == 2 + 1
    assert text.count(">constant</font>") == 1 + 1  # the 2.5
    x1_line = next(line for line in text.splitlines() if "<b>x1</b>" in line)
    assert 'fillcolor="#' in x1_line and 'fillcolor="#ffffff"' not in x1_line  # x1.grad = -1.5: blue
    w2_line = next(line for line in text.splitlines() if "<b>w2</b>" in line)
    assert 'fillcolor="#ffffff"' in w2_line  # w2.grad = 0: white
    assert text.count('id="legend"') == 1 and "grad &lt; 0" in text  # one compact legend row
    constant = next(line for line in text.splitlines() if ">constant</font>" in line and "legend" not in line)
    assert 'fillcolor="#ffffff"' in constant and "grad " not in constant  # nothing learns from a constant


def test_options() -> None:
    o = neuron()[0]
    hidden = viz.to_dot(o, show_grad=False)
    assert "grad " not in hidden and 'id="legend"' not in hidden
    assert "rankdir=TB" in viz.to_dot(o, rankdir="TB")
    assert "data 0.88" in viz.to_dot(o, number_format=".2f")
    assert "label=" not in "".join(line for line in viz.to_dot(o, edge_labels=False).splitlines() if "->" in line)
    with pytest.raises(ValueError, match="rankdir must be 'LR'"):
        viz.to_dot(o, rankdir="up")
    with pytest.raises(ValueError, match="number_format must be a format spec"):
        viz.to_dot(o, number_format="%d")
    with pytest.raises(TypeError, match="expected a Value to draw, got float"):
        viz.to_dot(1.0)  # type: ignore[arg-type]


def mlp_graph() -> tuple[Value, MLP]:
    model = MLP(2, [3, 2, 1], seed=0)
    out = model([1.0, -0.5])[0]
    out.backward()
    return out, model


def test_clusters_follow_module_calls() -> None:
    out, model = mlp_graph()
    text = viz.to_dot(out, module=model)
    labels = re.findall(r"label=<([^<>]+)> style=\"rounded\"", text)
    assert labels[0] == "MLP" and labels[1] == "Layer layers.0" and labels[2] == "Neuron neurons.0"
    assert labels.count("Layer layers.1") == 1 and len([x for x in labels if x.startswith("Neuron")]) == 6
    assert "layers.0.neurons.1.w.0" in text  # parameters named by their path
    assert "subgraph cluster" not in viz.to_dot(out, module=model, clusters=False, legend=False)


def test_collapsed_mode_draws_each_call_as_a_box() -> None:
    out, model = mlp_graph()
    text = viz.to_dot(out, module=model, collapse="Layer")
    boxes = re.findall(r"box\d+ \[id=\"box\d+\" label=<<b>([^<]+)</b>", text)
    assert boxes == ["Layer layers.0", "Layer layers.1", "Layer layers.2"]
    assert re.findall(r"<b>(layers\.\d)</b><br/><font point-size=\"9\">(\d+) parameters", text) == [
        ("layers.0", "9"),
        ("layers.1", "8"),
        ("layers.2", "3"),
    ]
    assert "box0 -> box1" in text and "box1 -> box2" in text
    with pytest.raises(ValueError, match="collapse='Tree' matches no module call"):
        viz.to_dot(out, module=model, collapse="Tree")


def test_unrolled_rnn_collapses_by_time_step() -> None:
    model = RNN(1, 3, 1, seed=0)
    run = model([[0.1 * t] for t in range(30)])
    loss = losses.mse([y[0] for y in run.outputs], [0.0] * 30)
    loss.backward()
    with pytest.raises(ValueError, match=r"more than max_nodes=400; pass collapse='Layer'"):
        viz.to_dot(loss, module=model)
    text = viz.to_dot(loss, module=model, collapse="step")
    assert re.findall(r"label=<<b>(step \d+)</b>", text) == [f"step {t}" for t in range(30)]
    assert "box0 -> box1" in text and "box28 -> box29" in text
    assert "used by all 30>" in text and not re.search(r"params\d -> box[1-9]", text)  # one edge per shared group


def test_collapsed_rnn_time_flows_left_to_right_in_a_line(dot_program: str) -> None:
    model = RNN(1, 3, 1, seed=0)
    run = model([[0.1 * t] for t in range(8)])
    loss = losses.mse([y[0] for y in run.outputs], [0.0] * 8)
    loss.backward()
    layout = json.loads(viz.draw_dot(loss, module=model, collapse="step").pipe(format="json"))
    where = {obj["name"]: tuple(map(float, obj["pos"].split(","))) for obj in layout["objects"] if "pos" in obj}
    xs, ys = [where[f"box{t}"][0] for t in range(8)], {where[f"box{t}"][1] for t in range(8)}
    assert xs == sorted(xs) and len(set(xs)) == 8 and len(ys) == 1


def test_highlight_marks_every_path_to_the_root() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = (a * b).named("c")
    d = (c + a).named("d")
    e = (b * 3).named("e")
    root = (d * e).named("root")
    root.backward()
    text = viz.to_dot(root, highlight=a)
    hot = [line for line in text.splitlines() if "penwidth=2.5" in line]
    assert len(hot) == 4  # a -> (*), c -> (+), a -> (+), d -> (*)
    assert all(viz.HIGHLIGHT in line for line in hot) and "crimson" not in text
    with pytest.raises(ValueError, match="is not part of this graph"):
        viz.to_dot(root, highlight=Value(5.0))


NASTY = ['say "hi"', "back\\slash", "<b>bold</b>", "{x}", "a|b", "two\nlines", '"]; evil [label="x']


@pytest.mark.parametrize("label", NASTY)
def test_labels_cannot_break_or_inject_into_dot(label: str, dot_program: str) -> None:
    x = Value(1.0, label=label)
    y = (x * 2).named(label)
    y.backward()
    text = viz.to_dot(y, legend=False)
    layout = json.loads(viz.draw_dot(y, legend=False).pipe(format="json"))  # the real dot parser
    names = sorted(obj["name"] for obj in layout.get("objects", []))
    assert names == ["op2", "v0", "v1", "v2"]
    assert not re.search(r"^\s*evil", text, flags=re.MULTILINE)  # inside an escaped label, not a statement


def test_draw_dot_is_the_same_text(dot_program: str) -> None:
    o, params, inputs = neuron()
    graph = viz.draw_dot(o, params=params, inputs=inputs)
    assert graph.source == viz.to_dot(o, params=params, inputs=inputs)


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_render_through_dot(tmp_path: Path, suffix: str, dot_program: str) -> None:
    out, model = mlp_graph()
    path = viz.render(out, tmp_path / f"mlp{suffix}", module=model)
    data = path.read_bytes()
    assert {".svg": b"<svg", ".png": b"\x89PNG", ".pdf": b"%PDF"}[suffix] in data[:400]


def test_render_refuses_unknown_formats(tmp_path: Path, dot_program: str) -> None:
    with pytest.raises(ValueError, match=r"end the name in \.svg, \.png or \.pdf"):
        viz.render(Value(1.0), tmp_path / "graph.gif")


def test_missing_graphviz_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"pip install 'micrograd_plus\[viz\]'"):
        viz.draw_dot(Value(1.0))


def test_missing_dot_program(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("graphviz")
    monkeypatch.setattr("shutil.which", lambda name: None)  # the drawing looks dot up when it draws
    with pytest.raises(RuntimeError, match=r"apt-get install graphviz.*to_dot\(root\)"):
        viz.draw_dot(Value(1.0))
    assert viz.to_dot(Value(1.0)).startswith("digraph")  # the text never needs it


HOSTILE = ["nul\x00here", "\x01", "vertical\x0btab", "form\x0cfeed", "\t", "bad\ufffe", "\ud800", "\x7f"]


@pytest.mark.parametrize("where", ["label", "op", "scope"])
@pytest.mark.parametrize("nasty", HOSTILE)
def test_control_characters_never_break_dot(nasty: str, where: str, dot_program: str) -> None:
    from micrograd_plus.scopes import scope

    x = Value(1.0, label=nasty if where == "label" else "x")
    with scope(nasty if where == "scope" else "block"):
        y = Value.from_op(2.0, [x], [2.0], nasty if where == "op" else "double").named("y")
    y.backward()
    layout = json.loads(viz.draw_dot(y).pipe(format="json"))  # the real dot parser
    assert sorted(obj["name"] for obj in layout["objects"] if not obj["name"].startswith("cluster")) == [
        "op1",
        "v0",
        "v1",
    ]
    svg = viz.draw_dot(y).pipe(format="svg").decode()
    assert "\\x" in svg or "\\t" in svg or "\\u" in svg  # shown as a visible escape


@pytest.mark.parametrize("spec", ["\\>12.3f", "\\<9g", '">8.2f', "\\^10.1e"])
def test_number_formats_with_hostile_fills_stay_inside_their_labels(spec: str, dot_program: str) -> None:
    o = neuron()[0]
    layout = json.loads(viz.draw_dot(o, number_format=spec).pipe(format="json"))
    assert len([obj for obj in layout["objects"] if obj["name"].startswith("v")]) == len(o.topological_order())
    assert len(layout["edges"]) == len(re.findall(r" -> ", viz.to_dot(o, number_format=spec)))


def test_unknown_and_mistyped_options_name_the_public_function() -> None:
    o = neuron()[0]
    for function in (viz.to_dot, viz.draw_dot):
        with pytest.raises(TypeError, match=rf"{function.__name__}\(\) got an unknown option 'quiz'; valid options: "):
            function(o, quiz=True)
    with pytest.raises(TypeError, match=r"render\(\) got an unknown option 'colours'.*colour, edge_labels"):
        viz.render(o, "x.svg", colours=False)
    with pytest.raises(TypeError, match="show_grad must be True or False"):
        viz.to_dot(o, show_grad="no")
    with pytest.raises(ValueError, match="max_nodes must be a whole number"):
        viz.to_dot(o, max_nodes=0)
    with pytest.raises(TypeError, match="highlight must be a Value"):
        viz.to_dot(o, highlight="w1")


def test_small_graphs_need_no_legend_and_plurals_are_right() -> None:
    a = Value(2.0, label="a")
    tiny = (a * 3).named("y")
    tiny.backward()
    assert 'id="legend"' not in viz.to_dot(tiny) and 'id="legend"' in viz.to_dot(tiny, legend=True)
    model = MLP(1, [1, 1], seed=0)
    out = model([0.5])[0]
    out.backward()
    text = viz.to_dot(out, module=model, collapse="Neuron")
    assert "1 parameters" not in text and "1 nodes" not in text
    assert re.search(r">2 parameters<", text) and re.search(r">\d+ nodes<", text)


def test_drawing_a_module_with_a_back_reference_to_its_owner() -> None:
    from micrograd_plus.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    model.layers[0].owner = model  # type: ignore[attr-defined]  # a submodule that points back at its owner
    root = model([1.0, -1.0])[0]
    text = viz.to_dot(root, module=model)
    assert text.count("cluster") >= 2 and "layers.0" in text


def test_role_tags_are_white_on_dark_chips_with_aa_contrast() -> None:
    from micrograd_plus.viz.drawing import TAG_CHIPS

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for role, chip in TAG_CHIPS.items():
        assert (1.0 + 0.05) / (luminance(chip) + 0.05) >= 4.5, role  # white text on the chip
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    dot_text = viz.to_dot((w * x + 1.0).named("y"), params=[w], inputs=[x])
    for role in ("parameter", "input", "constant"):
        assert f'<td bgcolor="{TAG_CHIPS[role]}"><font point-size="9" color="#ffffff">{role}</font></td>' in dot_text


def test_a_gpt_of_one_token_draws_rolled_up_by_block() -> None:
    from micrograd_plus.nn import GPT

    model = GPT(27, seed=0)
    loss = model.loss([26, 4])
    loss.backward()
    text = viz.to_dot(loss, module=model, collapse=["embeddings", "RMSNorm", "CausalSelfAttention", "mlp"])
    boxes = re.findall(r'box\d+ \[id="box\d+" label=<<b>([^<]+)</b>', text)
    assert sorted(boxes) == ["CausalSelfAttention attn", "RMSNorm attn_norm", "RMSNorm norm", "embeddings", "mlp"]
    groups = re.findall(r'params\d+ \[id="params\d+" label=<<b>([^<]+)</b>', text)
    assert sorted(groups) == ["layer0", "lm_head", "wpe", "wte"]
    assert len(re.findall(r"^\t+v\d+ \[", text, flags=re.MULTILINE)) == 16 + 27 + 3  # residual, logits, loss
    ends = viz.to_dot(loss, module=model, collapse=["embeddings", "lm_head"], max_nodes=1000)
    assert sorted(re.findall(r'box\d+ \[id="box\d+" label=<<b>([^<]+)</b>', ends)) == ["embeddings", "lm_head"]
    heads = viz.to_dot(loss, module=model, collapse=("head", "mlp"), max_nodes=1000)
    assert sorted(re.findall(r"label=<<b>(head \d)</b>", heads)) == [f"head {h}" for h in range(4)]
    with pytest.raises(TypeError, match=r"or a list of them such as \['head', 'mlp'\]"):
        viz.to_dot(loss, module=model, collapse=["head", 3])
    with pytest.raises(ValueError, match="matches no module call"):
        viz.to_dot(loss, module=model, collapse=["Conv2d"])


def _curve_points(d: str) -> list[tuple[float, float]]:
    """Points along an SVG path of cubic Béziers (M x,y C x1,y1 x2,y2 x3,y3 ...), as graphviz writes edges."""
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", d)]
    corners = list(zip(numbers[0::2], numbers[1::2]))
    points = [corners[0]]
    for k in range(1, len(corners) - 2, 3):
        p0, p1, p2, p3 = corners[k - 1 : k + 3]
        for i in range(1, 21):
            t = i / 20
            weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3)
            points.append(
                (
                    sum(w * p[0] for w, p in zip(weights, (p0, p1, p2, p3))),
                    sum(w * p[1] for w, p in zip(weights, (p0, p1, p2, p3))),
                )
            )
    return points


def edge_label_owners(svg: str) -> list[tuple[str, str, str]]:
    """Each edge label with its own edge and the edge whose curve passes nearest to it."""
    import math
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2000/svg}"
    curves, labels = {}, {}
    for g in ET.fromstring(svg).iter(f"{ns}g"):
        if g.get("class") == "edge":
            path = g.find(f".//{ns}path")
            assert path is not None
            curves[g.get("id", "")] = _curve_points(path.get("d", ""))
            for t in g.findall(f".//{ns}text"):  # the text's middle: anchored at its baseline, 9-point font
                labels[g.get("id", "")] = (float(t.get("x", 0)), float(t.get("y", 0)) - 3, t.text or "")
    owners = []
    for own, (x, y, said) in labels.items():
        distance = {key: min(math.hypot(x - px, y - py) for px, py in pts) for key, pts in curves.items()}
        owners.append((said, own, min(distance, key=lambda key: distance[key])))
    return owners


def shared_graphs() -> list[tuple[str, Value, dict[str, object]]]:
    from micrograd_plus.nn import Conv2d

    tiny = Conv2d(1, 1, kernel_size=2, seed=1)  # lesson 11's weight-sharing drawing
    pixels = [[[0.2, -0.5, 0.9], [0.4, 0.1, -0.3], [0.7, -0.8, 0.5]]]
    feature = tiny(pixels)
    conv = losses.mse([v for row in feature[0] for v in row], [0.0] * 4)
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    shared = (c + a) * c + b * a - a / b  # values used three and five times
    square = (a * a + a).named("y")
    o, params, inputs = neuron()
    return [
        ("conv", conv, {"module": tiny, "highlight": tiny.weight[0][0][0][0]}),
        ("shared", shared, {}),
        ("square", square, {}),
        ("neuron", o, {"params": params, "inputs": inputs}),
    ]


@pytest.mark.parametrize("case", range(4))
def test_each_edge_label_is_nearest_its_own_edge(case: int, dot_program: str, tmp_path: Path) -> None:
    name, root, options = shared_graphs()[case]
    root.backward()
    svg = viz.render(root, tmp_path / f"{name}.svg", **options).read_text()
    owners = edge_label_owners(svg)
    assert owners, "the drawing has edge labels"
    assert [(said, own) for said, own, nearest in owners if own != nearest] == []


def test_shared_operands_of_many_operand_ops_carry_their_local_derivatives_in_tooltips() -> None:
    _, root, options = shared_graphs()[0]
    root.backward()
    text = viz.to_dot(root, **options)
    into_ops = [line for line in text.splitlines() if "-> op" in line]
    tips = [line for line in into_ops if "tooltip=" in line]
    # into each position's dot: 4 shared weights, the shared bias and 3 of the 4 pixels (corners are used once)
    assert len(tips) == 4 * 4 + 4 + 12
    assert all("taillabel=" not in line for line in tips)
    assert all("taillabel=" in line for line in into_ops if line not in tips)  # every other edge keeps its label
    assert any('tooltip="d(#5)/d(weight.0.0.0.0) = 0.2"' in line for line in tips)


def test_top_down_drawings_stack_each_boxs_numbers_under_its_name() -> None:
    o, params, inputs = neuron()
    wide, tall = viz.to_dot(o, params=params, inputs=inputs), viz.to_dot(o, params=params, inputs=inputs, rankdir="TB")
    w1 = next(line for line in tall.splitlines() if "<b>w1</b>" in line)
    assert w1.count("<tr>") == 2 and "grad" in w1.split("</tr>")[1]  # name and role above, data and grad below
    assert all(line.count("<tr>") == 1 for line in wide.splitlines() if "<b>w1</b>" in line)
    assert "{rank=sink; legend}" in tall and "rank=sink" not in wide


def test_the_readme_figure_fits_the_readmes_column() -> None:
    """notebooks/figures/neuron.svg (lesson 1 draws it) shows at its own size in an 830-pixel column: 11-point text."""
    figure = Path(__file__).resolve().parents[1] / "notebooks" / "figures" / "neuron.svg"
    width = float(re.search(r'<svg width="([\d.]+)pt"', figure.read_text())[1])  # type: ignore[index]
    assert width * 4 / 3 <= 830
