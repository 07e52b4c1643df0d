"""The player's view, read from Chromium: on 1280×720 and 1400×900 windows every step's node is in view with
its text at least 11 px high, its parents too where they fit; the whole graph only where that stays readable;
the reader's pan and zoom kept; buttons one line each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_player_page import neuron

from micrograd_plus import Value
from micrograd_plus.nn import MLP
from micrograd_plus.viz import player

# ---- readable when projected: 1280×720 and 1400×900 windows ----------------------------------------

WINDOWS = [(1280, 720), (1400, 900)]

SETTLE = """
const done = arguments[arguments.length - 1];
const wait = () => (motion === null ? requestAnimationFrame(() => requestAnimationFrame(() => done(true)))
  : requestAnimationFrame(wait));
wait();
"""

VIEW = """
const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const step = current >= 1 && current <= DATA.steps.length ? DATA.steps[current - 1] : null;
const node = step ? step.node : DATA.root, parents = step ? step.parents : [];
const box = document.getElementById(DATA.element[node]);
const oneLine = b => {  // the button's height when its text is on one line
  const c = b.cloneNode(true);
  c.style.cssText = 'position: absolute; visibility: hidden; white-space: nowrap';
  b.parentNode.appendChild(c);
  const h = c.getBoundingClientRect().height;
  c.remove();
  return h;
};
const buttons = [...document.querySelectorAll('button')].filter(b => b.offsetParent !== null)
  .map(b => [b.textContent, b.getBoundingClientRect().height, oneLine(b)]);
return {node: rect(box), parents: parents.map(i => rect(document.getElementById(DATA.element[i]))),
  text: Math.min(...[...box.querySelectorAll('text')].filter(t => t.textContent.trim())
    .map(t => t.getBoundingClientRect().height)),
  frame: rect(document.getElementById('graph')), window: [innerWidth, innerHeight], buttons: buttons,
  steps: DATA.steps.length};
"""

MARGIN = 12  # the page keeps a box this far inside the frame when it pans to it


def settle(browser: Any) -> None:
    """Wait until the page's pan to the step has ended and svg-pan-zoom has drawn it."""
    browser.execute_async_script(SETTLE)


def inside(box: list[float], frame: list[float], window: list[int]) -> bool:
    left, top, right, bottom = box
    return (
        max(frame[0], 0) <= left + 0.5
        and right <= min(frame[2], window[0]) + 0.5
        and max(frame[1], 0) <= top + 0.5
        and bottom <= min(frame[3], window[1]) + 0.5
    )


def check_readable_steps(browser: Any, path: Path, window: tuple[int, int], shots: Path, name: str) -> None:
    """At every step: the node's box is in view with text ≥ 11 px, its parents too where they fit in the frame,
    every button is one line high. Screenshots at steps 0, 3 and the last one."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(*window)
    browser.get(path.as_uri())
    settle(browser)
    k = 0
    while True:
        facts = browser.execute_script(VIEW)
        where = f"{name} at {window}, step {k}"
        assert inside(facts["node"], facts["frame"], facts["window"]), where
        assert facts["text"] >= 11, f"{where}: text {facts['text']:.1f} px"
        boxes = [facts["node"], *facts["parents"]]
        width = max(b[2] for b in boxes) - min(b[0] for b in boxes)
        height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
        frame = facts["frame"]
        if width <= frame[2] - frame[0] - 2 * MARGIN and height <= frame[3] - frame[1] - 2 * MARGIN:
            assert all(inside(b, frame, facts["window"]) for b in facts["parents"]), where
        for text, height, one_line in facts["buttons"]:
            assert height <= one_line + 0.5, f"{where}: button {text!r} is {height} px high, one line is {one_line}"
        if k in (0, 3, facts["steps"]):
            browser.save_screenshot(str(shots / f"{name}_{window[0]}x{window[1]}_step{k}.png"))
        if k == facts["steps"]:
            break
        browser.find_element(By.ID, "next").click()
        settle(browser)
        k += 1


@pytest.mark.parametrize("window", WINDOWS, ids=["1280x720", "1400x900"])
def test_the_player_is_readable_at_every_step(
    tmp_path: Path, browser: Any, window: tuple[int, int], dot_program: str
) -> None:
    root, params, inputs = neuron()
    path = player.write_player(root, tmp_path / "p.html", params=params, inputs=inputs, title="one neuron of layer 0")
    check_readable_steps(browser, path, window, tmp_path, "player")
    # a graph too wide to fit readably: readable at every step as well
    x = [Value(0.1 * k, label=f"x{k}") for k in range(12)]
    chain = x[0]
    for v in x[1:]:
        chain = (chain * v + v).tanh()
    check_readable_steps(browser, player.write_player(chain.named("y"), tmp_path / "c.html"), window, tmp_path, "chain")


def view_of(browser: Any) -> Any:
    return browser.execute_script(
        "const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };"
        "return {drawing: r(document.querySelector('#graph svg .graph')), frame: r(document.getElementById('graph')),"
        "zoom: panZoom.getSizes().realZoom, pan: panZoom.getPan(), window: [innerWidth, innerHeight]};"
    )


def test_a_large_graph_starts_readable_at_its_root_and_fit_shows_it_whole(
    tmp_path: Path, browser: Any, dot_program: str
) -> None:
    from selenium.webdriver.common.by import By

    model = MLP(2, [16, 16, 1], seed=0)
    path = player.write_player(model([0.5, -1.0])[0], tmp_path / "mlp.html", module=model)
    check_readable_steps(browser, path, (1280, 720), tmp_path, "mlp")  # to the last step
    browser.get(path.as_uri())
    settle(browser)
    start = browser.execute_script(VIEW)
    assert inside(start["node"], start["frame"], start["window"]) and start["text"] >= 11  # the root, readable
    browser.find_element(By.ID, "fit").click()
    settle(browser)
    whole = view_of(browser)
    drawing, frame = whole["drawing"], whole["frame"]
    assert inside(drawing, frame, whole["window"])  # the whole drawing is on screen
    assert drawing[2] - drawing[0] >= frame[2] - frame[0] - 2 or drawing[3] - drawing[1] >= frame[3] - frame[1] - 2
    for _ in range(3):
        browser.find_element(By.ID, "next").click()
    settle(browser)
    facts = browser.execute_script(VIEW)
    assert inside(facts["node"], facts["frame"], facts["window"]) and facts["text"] >= 11  # readable again


def test_the_readers_pan_and_zoom_are_kept_until_the_next_step(tmp_path: Path, browser: Any, dot_program: str) -> None:
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    model = MLP(2, [4, 1], seed=0)
    path = player.write_player(model([0.5, -1.0])[0], tmp_path / "mlp.html", module=model)
    browser.get(path.as_uri())
    settle(browser)
    before = view_of(browser)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.SHIFT + Keys.ARROW_LEFT)
    settle(browser)
    assert view_of(browser)["pan"]["x"] == pytest.approx(before["pan"]["x"] + 80)  # shift+arrow pans
    wheel = "new WheelEvent('wheel', {deltaY: -120, clientX: 500, clientY: 500, bubbles: true, cancelable: true})"
    assert browser.execute_script(
        "show(1); const moving = motion !== null; graphSvg.dispatchEvent(" + wheel + ");return [moving, motion];"
    ) == [True, None]  # a wheel during the move stops it
    settle(browser)
    kept = view_of(browser)
    time.sleep(0.5)  # longer than a move: nothing moves by itself afterwards
    assert view_of(browser)["zoom"] == pytest.approx(kept["zoom"]) and view_of(browser)["pan"] == kept["pan"]


def test_a_new_window_size_gets_the_steps_view_anew(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By

    root, params, inputs = neuron()
    browser.set_window_size(1280, 720)
    browser.get(player.write_player(root, tmp_path / "p.html", params=params, inputs=inputs).as_uri())
    for _ in range(3):
        browser.find_element(By.ID, "next").click()
    settle(browser)
    small = view_of(browser)
    assert inside(small["drawing"], small["frame"], small["window"])  # whole at 12 px: the page's spacing
    browser.set_window_size(1400, 900)  # e.g. full screen on a projector
    settle(browser)
    large = view_of(browser)
    assert inside(large["drawing"], large["frame"], large["window"])  # now whole, and still readable
    assert browser.execute_script(VIEW)["text"] >= 11
    browser.set_window_size(1280, 720)
    settle(browser)
    facts = browser.execute_script(VIEW)
    assert inside(facts["node"], facts["frame"], facts["window"]) and facts["text"] >= 11


def test_keys_and_buttons_zoom_and_fit(tmp_path: Path, browser: Any, dot_program: str) -> None:
    import time

    from selenium.webdriver.common.by import By

    root, params, inputs = neuron()
    browser.get(player.write_player(root, tmp_path / "p.html", params=params, inputs=inputs).as_uri())
    body = browser.find_element(By.TAG_NAME, "body")

    def zoom() -> float:
        time.sleep(0.1)  # svg-pan-zoom draws on the next animation frame
        return browser.execute_script("return panZoom.getSizes().realZoom")  # type: ignore[no-any-return]

    browser.find_element(By.ID, "fit").click()
    fitted = zoom()
    body.send_keys("+")
    assert zoom() > fitted * 1.1
    body.send_keys("0")
    assert zoom() == pytest.approx(fitted)
    browser.find_element(By.ID, "zoom-out").click()
    assert zoom() < fitted / 1.1
    browser.find_element(By.ID, "fit").click()
    assert zoom() == pytest.approx(fitted)
