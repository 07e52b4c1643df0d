"""The graph explorer: the cluster tree in Python, and the page in Chromium (layout facts, not pixels)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import Value, losses
from micrograd_plus.data import make_moons
from micrograd_plus.nn import MLP, RNN
from micrograd_plus.viz.explain import explain_backward
from micrograd_plus.viz.explorer import explorer_data, write_explorer
from micrograd_plus.viz.graph_view import view
from micrograd_plus.viz.rollup import cluster_tree


def w1() -> tuple[Value, MLP]:
    """micrograd's demo step as benchmarks/bench_nn.py builds it: two moons, 100 points, MLP 2-16-16-1, hinge + L2."""
    xs, ys = make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], seed=0)
    loss = losses.hinge([model(x)[0] for x in xs], [2.0 * y - 1.0 for y in ys]) + 1e-4 * losses.l2(model.parameters())
    loss.backward()
    assert len(loss.topological_order()) == 7542
    return loss, model


def labels(tree: Any, kind: str) -> list[str]:
    return [c.label for c in tree if c.kind == kind]


def test_repeated_calls_roll_up_and_every_node_has_one_home() -> None:
    loss, model = w1()
    graph = view(loss, model)
    tree = cluster_tree(graph)
    assert sorted(labels(tree, "rollup")) == sorted(["MLP ×100"] + ["Layer ×2"] * 100 + ["Neuron ×16"] * 200)
    homes = sorted(i for c in tree for i in c.nodes)
    assert homes == list(range(len(graph.order)))  # each node in exactly one cluster
    top = tree[0]
    assert top.size == len(graph.order) and len(top.nodes) + len(top.children) <= 12  # the first view is small
    rolled = next(c for c in tree if c.label == "MLP ×100")
    assert len(rolled.children) == 100 and rolled.detail == "100 calls"
    assert all(tree[c].parent == rolled.number and tree[c].detail.startswith("call ") for c in rolled.children)


def test_rnn_steps_roll_up_and_different_calls_do_not() -> None:
    rnn = RNN(1, 3, 1, seed=0)
    run = rnn([[0.1 * t] for t in range(6)])
    root = losses.mse([y[0] for y in run.outputs], [0.0] * 6)
    tree = cluster_tree(view(root, rnn))
    assert [label for label in labels(tree, "rollup") if label.startswith("step")] == ["step ×5"]  # step 0 has no h
    model = MLP(2, [3, 1], seed=0)  # a hidden and an output layer of different work: no roll-up of the two
    tree = cluster_tree(view(model([1.0, 2.0])[0], model))
    assert "Layer ×2" not in labels(tree, "rollup") and "Neuron ×3" in labels(tree, "rollup")


def test_data_steps_follow_backward_and_bad_input_is_refused(tmp_path: Path) -> None:
    x = Value(0.5, label="x")
    y = (x * x + x).named("y")
    y.backward()
    graph = view(y)
    data = explorer_data(y, graph)
    trace = explain_backward(y, graph=graph)
    assert [s[0] for s in data["steps"]] == [s.position for s in trace.steps]
    assert data["grads"][graph.position(x)] == format(x.grad, ".4g")
    with pytest.raises(TypeError, match="needs a Value"):
        write_explorer(1.0, tmp_path / "e.html")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="title must be a string"):
        write_explorer(y, tmp_path / "e.html", title=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="number_format"):
        write_explorer(y, tmp_path / "e.html", number_format="%q")
    assert not (tmp_path / "e.html").exists()  # a refused call writes nothing


# ---- in the browser

OVERLAPS = """
const rects = [...document.querySelectorAll('#graph text')].map(t => t.getBoundingClientRect())
  .filter(r => r.width > 0 && r.height > 0);
const hits = [];
for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
  const a = rects[i], b = rects[j];
  const apart = a.right - 0.5 <= b.left || b.right - 0.5 <= a.left
    || a.bottom - 0.5 <= b.top || b.bottom - 0.5 <= a.top;
  if (!apart) hits.push([i, j]);
}
return [rects.length, hits.length];
"""


def open_page(browser: Any, path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.as_uri())
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return window.explorerReady !== undefined"))


def test_w1_opens_quickly_rolled_up_and_opens_and_closes(tmp_path: Path, browser: Any) -> None:
    loss, model = w1()
    path = write_explorer(loss, tmp_path / "w1.html", model)
    open_page(browser, path)
    ready = browser.execute_script("return window.explorerReady")
    assert ready < 10_000  # a sanity bound only; the measured time is in the report, not asserted
    texts, overlaps = browser.execute_script(OVERLAPS)
    assert texts >= 10 and overlaps == 0
    browser.save_screenshot(str(tmp_path / "w1-initial.png"))
    rolled = browser.execute_script(
        "return [...document.querySelectorAll('#graph .closed')].find(g => g.textContent.includes('MLP ×100')).id"
    )
    browser.find_element("css selector", f"#{rolled} rect.face").click()
    inside = browser.execute_script(f"return document.querySelectorAll('#{rolled}.cluster > .closed').length")
    assert inside == 100  # "×100" opened to its 100 calls
    assert browser.execute_script(OVERLAPS)[1] == 0
    browser.find_element("css selector", f"#{rolled} > text.title").click()  # close it again
    assert browser.execute_script(f"return document.querySelector('#{rolled}').classList.contains('closed')")
    assert browser.execute_script("return document.querySelectorAll('#graph .cluster').length") == 0


def test_search_opens_the_boxes_around_a_node(tmp_path: Path, browser: Any) -> None:
    loss, model = w1()
    open_page(browser, write_explorer(loss, tmp_path / "w1.html", model))
    box = browser.find_element("id", "search")
    box.send_keys("layers.1.neurons.3.w.7\n")
    found = browser.execute_script("const g = document.querySelector('#graph .found'); return g && g.textContent")
    assert found is not None and found.startswith("layers.1.neurons.3.w.7")
    assert browser.execute_script(OVERLAPS)[1] == 0
    browser.save_screenshot(str(tmp_path / "w1-search.png"))
    box.clear()
    box.send_keys("no such name\n")
    assert "no node's name contains" in browser.find_element("id", "results").text


def test_stepping_colours_exactly_the_nodes_whose_gradients_are_set(tmp_path: Path, browser: Any) -> None:
    model = MLP(2, [2, 1], seed=1)
    root = (model([0.5, -1.0])[0] - 0.3) ** 2
    root.backward()
    graph = view(root, model)
    trace = explain_backward(root, graph=graph)
    path = write_explorer(root, tmp_path / "small.html", model)
    open_page(browser, path)
    browser.execute_script(
        "let g; while ((g = document.querySelector('#graph .closed'))) explorer.toggle(+g.dataset.cluster);"
        "explorer.fit()"
    )
    shown = set(browser.execute_script("return explorer.items()"))
    assert browser.execute_script("return document.querySelectorAll('#graph .closed').length") == 0
    assert shown == set(range(len(graph.order)))
    set_so_far: set[int] = set()
    browser.find_element("id", "next").click()
    for k, step in enumerate(trace.steps, start=1):
        if k == 1:
            set_so_far.add(step.position)  # the root, at its own step
        set_so_far |= {
            c.parent_position
            for c in step.contributions
            if graph.roles[id(graph.order[c.parent_position])] != "constant"
        }
        coloured = set(
            browser.execute_script(
                "return [...document.querySelectorAll('#graph .node.set')].map(g => +g.dataset.node)"
            )
        )
        assert coloured == set_so_far, f"after step {k}"
        assert browser.execute_script("return explorer.step()") == k
        browser.find_element("id", "next").click()
    browser.save_screenshot(str(tmp_path / "small-steps.png"))
    browser.find_element("id", "final").click()
    assert browser.execute_script("return document.querySelectorAll('#graph .node.set').length") == 0


def test_gpt_of_one_token_rolls_up_by_block() -> None:
    from micrograd_plus.nn import GPT

    model = GPT(27, seed=0)
    loss = model.loss([26, 4])
    loss.backward()
    graph = view(loss, model)
    tree = cluster_tree(graph)
    assert "head ×4" in labels(tree, "rollup")
    heads = next(c for c in tree if c.label == "head ×4")
    assert [tree[c].label for c in heads.children] == [f"head {h}" for h in range(4)]
    assert {"mlp", "CausalSelfAttention attn", "Block layer0"} <= set(labels(tree, "call"))
    ops = labels(tree, "ops")
    for weights in ("layer0.attn_wq", "layer0.attn_wk", "layer0.attn_wv", "layer0.attn_wo", "lm_head", "wte, wpe"):
        assert any(f"· {weights} (" in label for label in ops), (weights, ops)
    parameters = next(c for c in tree if c.label.startswith("parameters ("))
    assert {tree[c].label.split(" (")[0] for c in parameters.children} == {"wte", "wpe", "lm_head", "layer0"}


def test_the_gpt_page_opens_its_heads(tmp_path: Path, browser: Any) -> None:
    from micrograd_plus.nn import GPT

    model = GPT(27, seed=0)
    loss = model.loss([26, 4])
    loss.backward()
    open_page(browser, write_explorer(loss, tmp_path / "gpt.html", model))
    assert browser.execute_script(OVERLAPS)[1] == 0
    find = (
        "return +[...document.querySelectorAll('#graph .closed')]"
        ".find(g => g.textContent.includes(arguments[0])).dataset.cluster"
    )
    browser.execute_script(f"explorer.toggle({browser.execute_script(find, 'CausalSelfAttention')})")
    heads = browser.execute_script(find, "head ×4")
    browser.execute_script(f"explorer.toggle({heads})")
    inside = browser.execute_script(
        f"return [...document.querySelectorAll('#c{heads} > .closed')].map(g => g.textContent)"
    )
    assert [text.split(" nodes")[0].replace("▸ ", "") for text in inside] == [f"head {h}10" for h in range(4)]
    assert browser.execute_script(OVERLAPS)[1] == 0
    browser.save_screenshot(str(tmp_path / "gpt-heads.png"))


INSIDE = """
const frame = document.querySelector('#graph').getBoundingClientRect();
return [...document.querySelectorAll(arguments[0])].map(g => {
  const r = g.querySelector('rect.face').getBoundingClientRect(), pad = 2;  // the outline drawn around the box
  return r.left - pad >= frame.left && r.right + pad <= frame.right && r.top - pad >= frame.top
    && r.bottom + pad <= frame.bottom;
});
"""


def test_next_always_advances_stepping_over_closed_boxes(tmp_path: Path, browser: Any) -> None:
    loss, model = w1()
    open_page(browser, write_explorer(loss, tmp_path / "w1.html", model))
    seen, said_skips = [], 0
    for press in range(20):
        browser.find_element("id", "next").click()
        counter = browser.find_element("id", "counter").text
        assert counter.startswith("step ") and counter.endswith(" of 6804"), counter
        seen.append(int(counter.split()[1]))
        said = browser.find_element("id", "said").text
        assert said, f"press {press + 1} said nothing"
        if "which is closed" in said:
            said_skips += 1
            last = re.match(r"Steps? (?:\d+–)?(\d+)", said)
            assert last is not None and int(last.group(1)) == seen[-1], said  # the counter counts them
        assert browser.execute_script(INSIDE, "#graph g.current") == [True], f"press {press + 1}: current off-screen"
    assert seen == sorted(set(seen)) and seen[0] == 1, seen  # strictly increasing from step 1
    assert said_skips >= 5 and seen[-1] > 20
    browser.save_screenshot(str(tmp_path / "w1-next.png"))
    stepped = seen[-1]
    browser.find_element("id", "prev").click()  # Prev goes back over the same runs
    assert int(browser.find_element("id", "counter").text.split()[1]) < stepped


def test_the_first_view_fits_a_small_graph_with_its_outlines(tmp_path: Path, browser: Any) -> None:
    from micrograd_plus.viz.compare import compare_graphs

    a, b = Value(0.5, label="a"), Value(2.0, label="b")
    mine = ((a * b).sigmoid() + a).named("out")
    reference = ((Value(0.5, label="a") * Value(2.0, label="b")).tanh() + Value(0.5, label="a")).named("out")
    mine.backward()
    reference.backward()
    assert compare_graphs(mine, reference).ops
    for size in ((1280, 720), (1400, 900), (900, 600)):
        browser.set_window_size(*size)
        open_page(browser, write_explorer(mine, tmp_path / "diff.html", reference=reference))
        inside = browser.execute_script(INSIDE, "#graph .box")
        assert len(inside) == 5 and all(inside), (
            size,
            inside,
            browser.execute_script(
                "return [explorer.view(), document.querySelector('#graph').getBoundingClientRect().toJSON(),"
                "[...document.querySelectorAll('#graph .box rect.face')].map(r=>r.getBoundingClientRect().toJSON())]"
            ),
        )
        assert browser.execute_script("return explorer.view().realZoom") >= 0.5  # readable, not a thumbnail
        if size == (1280, 720):
            browser.save_screenshot(str(tmp_path / "diff-1280.png"))


def test_search_puts_the_found_node_at_the_centre(tmp_path: Path, browser: Any) -> None:
    loss, model = w1()
    browser.set_window_size(1280, 720)
    open_page(browser, write_explorer(loss, tmp_path / "w1.html", model))
    box = browser.find_element("id", "search")
    for name in ("layers.1.neurons.3.w.2", "layers.0.neurons.15.b", "layers.2.neurons.0.w.9"):
        box.clear()
        box.send_keys(name + "\n")
        off = browser.execute_script(
            "const f = document.querySelector('#graph').getBoundingClientRect();"
            "const r = document.querySelector('#graph .found rect.face').getBoundingClientRect();"
            "return [r.left + r.width / 2 - (f.left + f.width / 2), r.top + r.height / 2 - (f.top + f.height / 2)]"
        )
        assert abs(off[0]) <= 4 and abs(off[1]) <= 4, (name, off)
    browser.save_screenshot(str(tmp_path / "w1-search-centre.png"))


def test_a_first_view_too_small_to_read_shows_the_root_at_readable_size(tmp_path: Path, browser: Any) -> None:
    loss, model = w1()
    browser.set_window_size(1280, 720)
    open_page(browser, write_explorer(loss, tmp_path / "w1.html", model))
    find = (
        "return +[...document.querySelectorAll('#graph .closed')]"
        ".find(g => g.textContent.includes('MLP ×100')).dataset.cluster"
    )
    rolled = browser.execute_script(find)
    browser.execute_script(f"explorer.toggle({rolled}); explorer.fit()")
    assert browser.execute_script("return explorer.view().realZoom") < 0.5  # the whole is a thumbnail here
    browser.execute_script("explorer.firstView()")
    assert browser.execute_script("return explorer.view().realZoom") == pytest.approx(1.0)
    assert browser.execute_script(INSIDE, "#graph #n7541") == [True]  # the root, inside the viewport
    browser.save_screenshot(str(tmp_path / "w1-open-first-view.png"))


BOX_IN_VIEW = """
const frame = document.querySelector('#graph svg').getBoundingClientRect();
const r = document.querySelector('#graph .frame:last-of-type') && [...document.querySelectorAll('#graph .frame')]
  .map(f => f.getBoundingClientRect()).reduce((a, b) => (a.width * a.height > b.width * b.height ? a : b));
return {frame: [frame.left, frame.top, frame.right, frame.bottom], box: [r.left, r.top, r.right, r.bottom]};
"""


@pytest.mark.parametrize("window", [(1280, 720), (1920, 1080)])
def test_an_opened_box_is_shown_whole_or_from_its_top_left(
    tmp_path: Path, browser: Any, window: tuple[int, int]
) -> None:
    loss, model = w1()
    path = write_explorer(loss, tmp_path / "w1.html", model)
    browser.set_window_size(*window)
    open_page(browser, path)
    for label in ("MLP ×100", "constants"):  # a wide box of calls, a tall box of 401 leaves
        browser.execute_script("explorer.firstView()")
        cluster = browser.execute_script(
            "return +[...document.querySelectorAll('#graph .closed')]"
            ".find(g => g.textContent.includes(arguments[0])).dataset.cluster;",
            label,
        )
        browser.execute_script(f"explorer.toggle({cluster})")
        facts = browser.execute_script(BOX_IN_VIEW)
        frame, box = facts["frame"], facts["box"]
        assert frame[0] - 0.5 <= box[0] and frame[1] - 0.5 <= box[1], (label, facts)  # its top left is on screen
        fits = box[2] <= frame[2] + 0.5 and box[3] <= frame[3] + 0.5
        zoom = browser.execute_script("return explorer.view().realZoom")
        assert fits or zoom == pytest.approx(0.5), (label, facts, zoom)  # whole, or as small as it may be drawn
        browser.execute_script(f"explorer.toggle({cluster})")  # closed again for the next box
