"""What the player shows, as layout facts read from Chromium: the root is in view at step 0, a box is coloured
exactly when backward() has set its gradient, no two labels overlap, every role tag meets WCAG AA
contrast, names have no gaps, and the title and the root's text read as the graph computes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_player import page_data

from micrograd_plus import Value, explain_backward
from micrograd_plus.nn import MLP
from micrograd_plus.viz import player


def neuron(bias_first: bool = True) -> tuple[Value, list[Value], list[Value]]:
    """The demo's neuron, relu(w1·x1 + w2·x2 + b) built as sum() builds it (or with the bias added second)."""
    w1, w2, b = Value(-1.2, label="w1"), Value(0.9, label="w2"), Value(0.3, label="b")
    x1, x2 = Value(-0.5, label="x1"), Value(0.7, label="x2")
    first = b + w1 * x1 if bias_first else w1 * x1 + b
    o = (first + w2 * x2).named("n").relu().named("o")
    return o, [w1, w2, b], [x1, x2]


def shared() -> tuple[Value, list[Value], list[Value]]:
    """A node used twice, a constant, and gradients of both signs: o = a·b + 2a − b."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    return (a * b + a * 2.0 - b).named("o"), [a], [b]


# ---- names, title and the root's text, from the page's data -------------------------------------


def test_unnamed_nodes_are_numbered_without_gaps(tmp_path: Path, dot_program: str) -> None:
    o, params, inputs = neuron()
    data = page_data(player.write_player(o, tmp_path / "p.html", params=params, inputs=inputs).read_text())
    assert data["names"] == ["b", "w1", "x1", "#1", "#2", "w2", "x2", "#3", "n", "o"]
    x = Value(1.0, label="x")
    y = ((x * x - x / 2 + x**2).exp() + x.tanh()).named("y")
    names = page_data(player.write_player(y, tmp_path / "q.html").read_text())["names"]
    numbered = [n for n in names if n.startswith("#")]
    assert numbered == [f"#{k}" for k in range(1, len(numbered) + 1)]
    clash = (Value(1.0, label="#1") * Value(2.0, label="c") + 1.0).named("r")  # a label that reads '#1'
    names = page_data(player.write_player(clash, tmp_path / "r.html").read_text())["names"]
    assert names.count("#1") == 1 and len(set(names)) == len(names)


def test_the_text_names_nodes_as_the_boxes_do(tmp_path: Path, dot_program: str) -> None:
    o, params, inputs = neuron()
    page = player.write_player(o, tmp_path / "p.html", params=params, inputs=inputs).read_text()
    data = page_data(page)
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]  # the drawing shown first
    for name in ("#1", "#2", "#3"):
        assert f">{name}</text>" in svg and any(name in line for s in data["steps"] for line in s["lines"])
    assert ">#4<" not in svg and ">#7<" not in svg


@pytest.mark.parametrize(
    ("build", "formula"),
    [
        (lambda: neuron(bias_first=True)[0], "o = relu((b + w1 * x1) + w2 * x2)"),
        (lambda: neuron(bias_first=False)[0], "o = relu((w1 * x1 + b) + w2 * x2)"),
        (lambda: shared()[0], "o = (a * b + a * 2) - b"),
        (lambda: (Value(2.0, label="a") * (Value(1.0, label="b") + 1.0)).named("y"), "y = a * (b + 1)"),
        (lambda: (Value(2.0, label="a") - (Value(1.0, label="b") - 3.0)).named("y"), "y = a - (b - 3)"),
        (lambda: Value(2.0, label="a").tanh().exp().named("y"), "y = exp(tanh(a))"),
    ],
)
def test_the_title_is_written_in_the_graphs_order(tmp_path: Path, build: Any, formula: str, dot_program: str) -> None:
    page = player.write_player(build(), tmp_path / "p.html").read_text()
    assert f"<title>Backprop: {formula}</title>" in page
    titled = player.write_player(build(), tmp_path / "t.html", title="one neuron").read_text()
    assert "<title>Backprop: one neuron</title>" in titled and f'<div id="formula">{formula}</div>' in titled


def test_a_node_used_twice_keeps_its_name_and_a_long_title_is_cut(tmp_path: Path, dot_program: str) -> None:
    a = Value(2.0, label="a")
    h = a * 3.0
    page = player.write_player((h + h.tanh()).named("y"), tmp_path / "p.html").read_text()
    assert "<title>Backprop: y = #2 + tanh(#2)</title>" in page  # #2 = a * 3 is used twice
    model = MLP(2, [16, 16, 1], seed=0)
    page = player.write_player(model([0.5, -1.0])[0], tmp_path / "m.html", module=model).read_text()
    title = re.search(r"<title>(.*)</title>", page)[1]  # type: ignore[index]
    assert len(title) <= 110 and title.endswith(" …")
    assert all(len(step["title"]) < 260 for step in page_data(page)["steps"])


def test_the_root_is_named_in_its_own_derivative(tmp_path: Path, dot_program: str) -> None:
    o, params, inputs = neuron()
    data = page_data(player.write_player(o, tmp_path / "p.html", params=params, inputs=inputs).read_text())
    assert data["start"].startswith("Start: d(o)/d(o) = 1 and every other gradient is 0")
    assert data["steps"][0]["title"] == "o = relu(n); upstream gradient d(o)/d(o) = 1 (the root)"
    assert data["steps"][1]["title"] == "n = #2 + #3; upstream gradient d(o)/d(n) = 1"
    assert not any("d(root)" in s["title"] for s in data["steps"])


def test_step_zero_lists_the_order_the_steps_visit(tmp_path: Path, dot_program: str) -> None:
    o, params, inputs = neuron()
    for exercise in (False, True):
        path = tmp_path / f"p{exercise}.html"
        data = page_data(player.write_player(o, path, params=params, inputs=inputs, exercise=exercise).read_text())
        names = [data["names"][step["node"]] for step in data["steps"]]
        assert names[:2] == ["o", "n"]
        assert data["order"] == [
            f"The {len(names)} steps visit the nodes in reverse topological order: a node comes after every node"
            " that uses it, so its gradient is complete before it passes it on:",
            " → ".join(names),
        ]


@pytest.mark.parametrize("count", [1, 2, 3, 10, 40, 200])
def test_a_long_visiting_order_is_cut_in_the_middle(count: int) -> None:
    names = [f"node{i}" for i in range(count)]
    *why, order = player.visiting_order(names)
    if count == 1:
        assert why == [] and order == "One step: node0 passes its gradient on to its parents."
        return
    assert len(order) <= 150 or order.count(" → ") == 2
    shown = order.split(" → ")
    assert shown[0] == "node0" and shown[-1] == f"node{count - 1}"
    if len(" → ".join(names)) <= 150:
        assert shown == names
    else:
        cut = next(s for s in shown if s.startswith("… "))
        assert len(shown) - 1 + int(cut.split()[1]) == count  # every name either shown or counted


def test_the_drawing_starts_white_and_colours_are_given_per_step(tmp_path: Path, dot_program: str) -> None:
    o, params, inputs = shared()
    page = player.write_player(o, tmp_path / "p.html", params=params, inputs=inputs).read_text()
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]  # the drawing shown first
    boxes = re.findall(r'<g id="v\d+" class="node">\s*<title>[^<]*</title>\s*<polygon fill="([^"]+)"', svg)
    assert len(boxes) == len(o.topological_order()) and set(boxes) == {"#ffffff"}
    data = page_data(page)
    assert data["steps"][0]["paint"][0][0] == data["root"]  # the root takes its colour at its own step
    exercise = page_data(player.write_player(o, tmp_path / "e.html", exercise=True).read_text())
    assert all(step["paint"] == [] for step in exercise["steps"])  # a colour would give a sign away


# ---- in Chromium --------------------------------------------------------------------------------


LAYOUT = """
const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const root = document.getElementById(DATA.element[DATA.root]);
const boxes = [...document.querySelectorAll('#graph g.node[id^="v"]')].map(g => [Number(g.id.slice(1)),
  getComputedStyle(g.querySelector('polygon')).fill, g.classList.contains('set')]);
const texts = [...document.querySelectorAll('#graph svg text, #near svg text')]
  .filter(t => t.textContent.trim() && !t.closest('defs')).map(t => [t.textContent, rect(t)]);
const under = t => {  // the colour of what a tag sits on: the first shape or box under its middle
  const r = t.getBoundingClientRect();
  if (r.right < 0 || r.bottom < 0 || r.left > innerWidth || r.top > innerHeight) return null;  // panned away
  for (const e of document.elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2)) {
    if (e === t && e instanceof SVGElement) continue;  // a text's fill is its ink; a span's background is its own
    const c = e instanceof SVGElement ? getComputedStyle(e).fill : getComputedStyle(e).backgroundColor;
    if (c && c !== 'none' && c !== 'rgba(0, 0, 0, 0)') return c;
  }
  return 'rgb(255, 255, 255)';
};
const tags = [...document.querySelectorAll('.tag')].map(t => [t.textContent,
  t instanceof SVGElement ? getComputedStyle(t).fill : getComputedStyle(t).color, under(t)]);
return {root: rect(root), frame: rect(document.getElementById('graph')), window: [innerWidth, innerHeight],
  boxes: boxes, texts: texts, tags: tags, heading: document.getElementById('heading').textContent,
  title: document.getElementById('title').textContent};
"""


def luminance(colour: str) -> float:
    r, g, b = (int(c) / 255 for c in re.findall(r"[\d.]+", colour)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21.0)
    assert contrast("rgb(217, 130, 43)", "rgb(255, 255, 255)") < 4.5  # the old orange tag on white


def overlapping(texts: list[Any]) -> list[tuple[str, str]]:
    pairs = []
    for k, (a, (l1, t1, r1, b1)) in enumerate(texts):
        for b, (l2, t2, r2, b2) in texts[k + 1 :]:
            if min(r1, r2) - max(l1, l2) > 0.5 and min(b1, b2) - max(t1, t2) > 0.5:
                pairs.append((a, b))
    return pairs


def gradients_after(root: Value, k: int) -> dict[int, float]:
    """The gradients backward() has set after k steps, by position: each step's node's, and its parents' so far."""
    steps = explain_backward(root).steps[:k]
    grads = {s.position: s.upstream for s in steps}
    grads.update((c.parent_position, c.total) for s in steps for c in s.contributions)
    return grads


@pytest.mark.parametrize("build", [neuron, shared], ids=["neuron", "shared"])
def test_stepping_colours_exactly_the_set_gradients(tmp_path: Path, browser: Any, build: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By

    root, params, inputs = build()
    path = player.write_player(root, tmp_path / "p.html", params=params, inputs=inputs)
    data = page_data(path.read_text())
    constants = {i for i, role in enumerate(data["roles"]) if role == "constant"}
    browser.get(path.as_uri())
    n = len(data["steps"])
    facts = browser.execute_script(LAYOUT)
    left, top, right, bottom = facts["root"]
    assert left >= 0 and top >= 0 and right <= facts["window"][0] and bottom <= facts["window"][1]
    assert facts["frame"][0] <= left and right <= facts["frame"][2] and facts["frame"][1] <= top
    assert (
        facts["heading"]
        == "Backprop: "
        + data["names"][data["root"]]
        + re.search(  # type: ignore[index]
            r"<title>Backprop: \S+(.*)</title>", path.read_text()
        )[1]
    )
    assert facts["title"].startswith(f"Start: d({data['names'][data['root']]})/d(")
    moves = ["next"] * n + ["prev"] * n  # forward to the last step, then back to the start
    k = 0
    for move in [None, *moves]:
        if move:
            browser.find_element(By.ID, move).click()
            k += 1 if move == "next" else -1
            facts = browser.execute_script(LAYOUT)
        coloured = {i for i, fill, _ in facts["boxes"] if fill != "rgb(255, 255, 255)"}
        marked = {i for i, _, is_set in facts["boxes"] if is_set}
        grads = gradients_after(root, k)
        assert marked == set(grads) - constants, f"step {k}"
        assert coloured == {i for i in marked if grads[i] != 0}, f"step {k}"
        assert not overlapping(facts["texts"]), f"step {k}"
        assert len(facts["tags"]) == len(params) + len(inputs) + len(constants) + 3  # the boxes' and the legend's
        for tag, ink, paper in facts["tags"]:
            assert paper is None or contrast(ink, paper) >= 4.5, f"{tag}: {ink} on {paper} at step {k}"
        if k == 0:
            assert coloured == set()
        if move == "prev" and k == n - 1:  # nearly every box coloured, and all of them in view
            browser.find_element(By.ID, "fit").click()
            tags = browser.execute_script(LAYOUT)["tags"]
            assert all(paper is not None and contrast(ink, paper) >= 4.5 for _, ink, paper in tags), tags
    browser.save_screenshot(str(tmp_path / "player.png"))
