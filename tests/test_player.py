"""The backprop player: a self-contained page, and a real headless browser stepping through it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import Value, explain_backward
from micrograd_plus.nn import MLP
from micrograd_plus.viz import player


def small_graph(label: str = "a") -> Value:
    a, b = Value(2.0, label=label), Value(-3.0, label="b")
    c = (a * b + a).named("c")
    return c.tanh().named("d")


def page_data(page: str) -> Any:
    return json.loads(re.search(r"const DATA = (.*);\n", page).group(1))  # type: ignore[union-attr]


def test_page_is_self_contained(tmp_path: Path, dot_program: str) -> None:
    page = player.write_player(small_graph(), tmp_path / "player.html").read_text()
    assert "<svg" in page and "<script>" in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|https?://(?!www\.w3\.org)", page)
    data = page_data(page)
    assert len(data["steps"]) == 3 and data["root"] == 4  # a, b, a*b, c, d
    assert data["steps"][0]["title"].startswith("d = tanh(c); upstream gradient")
    assert "<title>Backprop: d = tanh(a * b + a)</title>" in page  # written out in the graph's order
    assert data["summary"]["lines"] == ["a.grad = -0.002682 (2 contributions)", "b.grad = 0.002682 (1 contribution)"]


def test_title_option_and_exercise_flag(tmp_path: Path, dot_program: str) -> None:
    page = player.write_player(small_graph(), tmp_path / "p.html", title="tanh(a*b + a)", exercise=True).read_text()
    assert "<title>Exercise: tanh(a*b + a)</title>" in page and page_data(page)["exercise"] is True
    assert not re.search(r"->[^\n]*label=", page.split("<svg")[0])  # nothing drawn outside the SVG
    assert "<text" in page and not re.search(r">0\.001341<", page)  # no local derivative on the edges


@pytest.mark.parametrize("label", ["</script><script>alert(1)</script>", "__DATA__", "__SVG__", "__SCRIPT__"])
def test_labels_cannot_change_the_page(tmp_path: Path, label: str, dot_program: str) -> None:
    page = player.write_player(small_graph(label), tmp_path / "p.html").read_text()
    assert "<script>alert(1)" not in page
    assert page.count("<script>") == 1 and page.count("const DATA = ") == 1
    assert page.count("<svg") == 2 and page.count("<template id=") == 1  # left to right, and top down aside
    assert page_data(page)["names"][0] == label


def test_options_are_checked_by_the_public_name(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"write_player\(\) got an unknown option 'quiz'; valid options: .*exercise"):
        player.write_player(small_graph(), tmp_path / "p.html", quiz=True)
    with pytest.raises(TypeError, match=r"write_player\(\) does not take show_grad: .*exercise=True"):
        player.write_player(small_graph(), tmp_path / "p.html", show_grad=False)
    with pytest.raises(TypeError, match="exercise must be True or False"):
        player.write_player(small_graph(), tmp_path / "p.html", exercise="yes")
    assert not (tmp_path / "p.html").exists()


def test_module_names_are_the_same_in_text_and_graph(tmp_path: Path, dot_program: str) -> None:
    model = MLP(2, [2, 1], activation="tanh", seed=3)
    out = model([1.0, -0.5])[0]
    page = player.write_player(out, tmp_path / "p.html", module=model).read_text()
    data = page_data(page)
    named = [n for n in data["names"] if n.startswith("layers.")]
    assert "layers.0.neurons.0.w.0" in named
    text_names = {c["name"] for step in data["steps"] for c in step["contributions"]}
    assert set(named) <= text_names  # every parameter is named by its path in the steps too
    svg = page.split("<svg", 1)[1]
    assert all(f">{name}</text>" in svg for name in named)  # and the same name in its box


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def test_stepping_through_backward_in_a_browser(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    path = player.write_player(small_graph(), tmp_path / "player.html")
    driver.get(path.as_uri())

    def text(element_id: str) -> str:
        return by_id(driver, element_id).text  # type: ignore[no-any-return]

    def highlighted() -> list[str]:
        return sorted(e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, ".node.current"))

    def grad_of(node: str) -> str:
        cells = driver.find_elements(By.CSS_SELECTOR, f"#{node} text")
        return next(c.text for c in cells if c.text.startswith("grad "))

    assert text("counter") == "step 0 / 3" and highlighted() == ["v4"]
    assert grad_of("v0") == "grad 0" and text("title").startswith("Start:")
    assert text("lines").endswith("d → c → #1") and "reverse topological order" in text("lines")
    by_id(driver, "next").click()
    assert text("counter") == "step 1 / 3"
    assert text("title").startswith("d = tanh(c)") and "c.grad += [1 − tanh(c)²" in text("lines")
    assert highlighted() == ["op4", "v4"]
    assert "c" in text("near") and "d" in text("near")  # the neighbourhood beside the graph
    stroke = driver.find_element(By.CSS_SELECTOR, "#v4 polygon").value_of_css_property("stroke")
    assert stroke == "rgb(123, 44, 191)"  # the highlight colour, apart from the gradient reds
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert text("counter") == "step 2 / 3" and highlighted() == ["op3", "v3"]
    assert grad_of("v0") == "grad 0.001341"  # a received its first contribution
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert "2nd contribution" in text("lines") and grad_of("v0") == "grad -0.002682"
    by_id(driver, "next").click()
    assert text("counter") == "summary" and "a.grad = -0.002682 (2 contributions)" in text("lines")
    by_id(driver, "prev").click()
    by_id(driver, "prev").click()
    assert text("counter") == "step 2 / 3" and grad_of("v0") == "grad 0.001341"
    driver.find_element(By.CSS_SELECTOR, "#v0 text").click()  # a's whole chain-rule sum, complete at step 3
    assert text("sum").splitlines()[0] == "When step 3 has run (its last contribution):"
    assert text("sum").splitlines()[1] == "a.grad = d(#1)/d(a) · #1.grad + d(c)/d(a) · c.grad"
    assert text("sum").splitlines()[-1].strip() == "= -0.002682"
    by_id(driver, "next").click()
    driver.find_element(By.CSS_SELECTOR, "#v0 text").click()  # at step 3 the sum is a's gradient as shown
    assert text("sum").splitlines()[0] == "a.grad = d(#1)/d(a) · #1.grad + d(c)/d(a) · c.grad"
    driver.save_screenshot(str(tmp_path / "player.png"))
    assert (tmp_path / "player.png").read_bytes()[:4] == b"\x89PNG"


def sigmoid_graph() -> Value:
    a, b = Value(2.0, label="a"), Value(-0.5, label="b")
    c = (a * b + a).named("c")
    return c.sigmoid().named("d")


def answer(driver: Any, row: int, local: str, total: str) -> str:
    from selenium.webdriver.common.by import By

    element = by_id(driver, f"row{row}")
    for name, value in (("local", local), ("total", total)):
        box = element.find_element(By.CLASS_NAME, name)
        box.clear()
        box.send_keys(value)
    element.find_element(By.CLASS_NAME, "check").click()
    return element.find_element(By.CLASS_NAME, "verdict").get_attribute("data-kind")  # type: ignore[no-any-return]


def test_exercise_mode_checks_answers_and_names_misconceptions(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    root = sigmoid_graph()
    steps = explain_backward(root).steps
    driver.get(player.write_player(root, tmp_path / "exercise.html", exercise=True).as_uri())
    cells = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#v0 text")]
    assert "grad ?" in cells  # nothing given away
    by_id(driver, "next").click()  # d = σ(c): the only contribution goes to c
    first = steps[0].contributions[0]
    assert answer(driver, 0, "abc", "1") == "not-a-number"
    assert "Please type numbers" in by_id(driver, "row0").text
    assert answer(driver, 0, repr(root.data), repr(first.total)) == "output-for-derivative"  # σ(x) for σ′(x)
    assert answer(driver, 0, repr(first.local), repr(first.total)) == "right"
    assert any(c.text == f"grad {first.total:.4g}" for c in driver.find_elements(By.CSS_SELECTOR, "#v3 text"))
    by_id(driver, "next").click()  # c = #2 + a, upstream σ′: #2 first, then a
    second = steps[1].contributions[0]
    assert answer(driver, 0, "1", "1") == "forgot-upstream"
    assert answer(driver, 0, "1", repr(-second.total)) == "sign"
    by_id(driver, "row1").find_element(By.CLASS_NAME, "reveal").click()
    by_id(driver, "next").click()  # #2 = a * b: a's 2nd contribution, b's 1st
    to_a, to_b = steps[2].contributions
    assert to_a.count == 2 and to_b.parent_name == "b"
    assert answer(driver, 0, repr(to_a.local), repr(to_a.product)) == "assigned"  # = for +=
    assert answer(driver, 0, repr(to_a.local), repr(to_a.total - to_a.product)) == "missed-contribution"
    assert answer(driver, 1, repr(-to_b.local), repr(to_b.total)) == "sign"
    assert answer(driver, 1, repr(to_b.local), repr(to_b.total)) == "right"
    by_id(driver, "next").click()
    assert by_id(driver, "counter").text == "summary"


def test_a_large_graph_is_collapsed_and_legible(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By

    model = MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])[0]
    driver = browser
    page = player.write_player(out, tmp_path / "mlp.html", module=model)
    data = page_data(page.read_text())
    assert any(e.startswith("box") for e in data["element"])  # drawn collapsed by module call
    driver.get(page.as_uri())
    by_id(driver, "next").click()
    heights = [t.size["height"] for t in driver.find_elements(By.CSS_SELECTOR, "#graph svg text")[:20]]
    assert min(heights) >= 10  # at its natural size, scrolled, never shrunk to fit 1,400 px
    assert len(by_id(driver, "near").text.splitlines()) >= 3  # the current node's neighbourhood in full
    assert driver.find_elements(By.CSS_SELECTOR, "#graph .current")


def test_without_rankdir_the_page_holds_both_directions_the_larger_first(tmp_path: Path, dot_program: str) -> None:
    def sizes(page: Path) -> list[tuple[float, float]]:
        return [player.drawing_size(svg) for svg in re.findall(r"<svg[^>]*>", page.read_text())]

    def fitted(size: tuple[float, float]) -> float:
        return min(player.FRAME[0] / size[0], player.FRAME[1] / size[1])

    model = MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])[0]
    across = sizes(player.write_player(out, tmp_path / "lr.html", module=model, rankdir="LR"))
    down = sizes(player.write_player(out, tmp_path / "tb.html", module=model, rankdir="TB"))
    chosen = sizes(player.write_player(out, tmp_path / "auto.html", module=model))
    assert len(across) == len(down) == 1 and sorted(chosen) == sorted(across + down)  # both, for the page to pick
    assert fitted(chosen[0]) >= fitted(chosen[1])  # the one larger in a wide window is shown before any choice
    wide = small_graph()  # a chain: left to right fits the wide frame best, and comes first
    assert (
        sizes(player.write_player(wide, tmp_path / "a.html"))[0]
        == sizes(player.write_player(wide, tmp_path / "b.html", rankdir="LR"))[0]
    )
    with pytest.raises(ValueError, match="no size in points"):
        player.drawing_size("<svg>")
