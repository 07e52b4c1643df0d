"""Layout facts of the projected player and exercise pages, read from Chromium at 1280×720 and 1400×900: the
whole graph in view at step 0 where it fits with its text at least 12 px high (else the root and its parents),
edge labels at least 11 px high, a frame that keeps its place from step to step, and the drawing's direction
(left to right or top down) chosen by which is drawn larger in the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_player_view import WINDOWS, inside, settle

from micrograd_plus import Value
from micrograd_plus.cli.demo import EXERCISE_TITLE
from micrograd_plus.exercises.backprop import exercise_graph
from micrograd_plus.viz import player


def demo_neuron() -> tuple[Value, list[Value], list[Value]]:
    """The demo's neuron as a fresh trial drew it: relu((b + w1·x1) + w2·x2), four-digit numbers."""
    w1, w2, b = Value(-0.6918, label="w1"), Value(0.8945, label="w2"), Value(-0.3184, label="b")
    x1, x2 = Value(-1.005, label="x1"), Value(0.846, label="x2")
    o = ((b + w1 * x1) + w2 * x2).named("n").relu().named("o")
    return o, [w1, w2, b], [x1, x2]


def pages(tmp_path: Path) -> dict[str, Path]:
    o, params, inputs = demo_neuron()
    loss, lparams, linputs = exercise_graph()
    return {
        "player": player.write_player(o, tmp_path / "player.html", params=params, inputs=inputs),
        "exercise": player.write_player(
            loss, tmp_path / "exercise.html", exercise=True, params=lparams, inputs=linputs, title=EXERCISE_TITLE
        ),
    }


FACTS = """
const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const heights = sel => [...document.querySelectorAll(sel)].filter(t => t.textContent.trim())
  .map(t => t.getBoundingClientRect().height);
const [, , width, height] = extents.get(graphSvg);
return {frame: rect(document.getElementById('graph')), window: [innerWidth, innerHeight],
  nodes: DATA.element.map(id => rect(document.getElementById(id))),
  whole: fitView().zoom >= readableZoom(), root: DATA.root, parents: DATA.steps[0].parents,
  text: Math.min(...heights('#graph g.node:not([id^="op"]) text')), edges: heights('#graph g.edge text'),
  wide: width > height, ids: document.querySelectorAll('[id="v0"]').length};
"""


@pytest.mark.parametrize("window", WINDOWS, ids=["1280x720", "1400x900"])
def test_step_zero_shows_the_whole_graph_where_it_is_readable(
    tmp_path: Path, browser: Any, window: tuple[int, int], dot_program: str
) -> None:
    browser.set_window_size(*window)
    for name, path in pages(tmp_path).items():
        browser.get(path.as_uri())
        settle(browser)
        facts = browser.execute_script(FACTS)
        seen = [k for k, b in enumerate(facts["nodes"]) if inside(b, facts["frame"], facts["window"])]
        if name == "player":  # the demo's neuron fits whole at both sizes
            assert facts["whole"], window
        if facts["whole"]:
            assert seen == list(range(len(facts["nodes"]))), (name, window)
        else:  # the output readable, and what it is computed from where they fit in the frame together
            group = [facts["nodes"][k] for k in (facts["root"], *facts["parents"])]
            frame = facts["frame"]
            fits = (
                max(b[2] for b in group) - min(b[0] for b in group) <= frame[2] - frame[0] - 24
                and max(b[3] for b in group) - min(b[1] for b in group) <= frame[3] - frame[1] - 24
            )
            assert facts["root"] in seen and (not fits or {facts["root"], *facts["parents"]} <= set(seen)), name
        assert facts["text"] >= 12 - 0.01, (name, window)
        assert all(h >= 11 for h in facts["edges"]), (name, window, min(facts["edges"]))
        assert facts["ids"] == 1  # one drawing in the document, the other held aside


@pytest.mark.parametrize("window", WINDOWS, ids=["1280x720", "1400x900"])
def test_the_frame_keeps_its_place_and_the_summary_shows_the_output(
    tmp_path: Path, browser: Any, window: tuple[int, int], dot_program: str
) -> None:
    browser.set_window_size(*window)
    for name, path in pages(tmp_path).items():
        browser.get(path.as_uri())
        settle(browser)
        n = browser.execute_script("return N;")
        frames = []
        for k in range(n + 1):
            browser.execute_script(f"show({k});")
            settle(browser)
            facts = browser.execute_script(FACTS)
            frames.append([round(x) for x in facts["frame"]])
        assert all(f == frames[0] for f in frames), (name, window, frames)  # no jump when a step's text appears
        assert inside(facts["nodes"][facts["root"]], facts["frame"], facts["window"]), (name, "summary")


CHOICE = """
return {shown: drawings.indexOf(graphSvg), best: fitScale(graphSvg) >= Math.max(...drawings.map(fitScale)),
  count: drawings.length, ids: document.querySelectorAll('[id="v0"]').length};
"""


def test_the_drawing_direction_follows_the_window(tmp_path: Path, browser: Any, dot_program: str) -> None:
    path = pages(tmp_path)["exercise"]
    browser.set_window_size(1280, 720)
    browser.get(path.as_uri())
    settle(browser)
    wide = browser.execute_script(CHOICE)
    assert wide["count"] == 2 and wide["best"] and wide["ids"] == 1  # the one drawn larger in a wide window
    browser.set_window_size(700, 1100)  # a portrait window: the other direction is drawn larger there
    settle(browser)
    tall = browser.execute_script(CHOICE)
    assert tall["best"] and tall["shown"] != wide["shown"] and tall["ids"] == 1
    browser.execute_script("show(3);")
    settle(browser)
    facts = browser.execute_script(FACTS)
    assert inside(facts["nodes"][browser.execute_script("return DATA.steps[2].node;")], facts["frame"], facts["window"])
    browser.set_window_size(1280, 720)
    settle(browser)
    back = browser.execute_script(CHOICE)
    assert back["shown"] == wide["shown"] and browser.execute_script("return current;") == 3
