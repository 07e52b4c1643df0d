"""The exercise page: no answer in its source, each misconception's hint on its own wrong answer, a summary
of solved, solved after a hint and revealed, and labels that do not overlap (read from Chromium)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_player import by_id, page_data
from test_player_page import overlapping
from test_player_view import WINDOWS, check_readable_steps, inside, settle

from micrograd_plus import Value, explain_backward
from micrograd_plus.cli.demo import EXERCISE_TITLE
from micrograd_plus.exercises.backprop import exercise_graph
from micrograd_plus.viz import exercise_page, player
from micrograd_plus.viz.graph_view import view

FORMATS = (".4g", ".3g", ".5g", ".6g", ".2f", ".3f", ".4f", "r")


def written(x: float, fmt: str) -> str:
    return repr(x) if fmt == "r" else format(x, fmt)


def exercise_file(tmp_path: Path, build: Any = exercise_graph) -> tuple[Path, Value]:
    root, params, inputs = build()
    path = player.write_player(root, tmp_path / "exercise.html", exercise=True, params=params, inputs=inputs)
    return path, root


def public_text(page: str) -> str:
    """The page as a reader could search it: the drawing's text (not its coordinates), the data and the script,
    without the vendored pan-zoom library (minified code whose digits mean nothing)."""
    page = page.replace(player.read_page("svg-pan-zoom.min.js"), "")
    start, end = page.index("<svg"), page.index("</svg>")
    return page[:start] + re.sub(r"<[^>]*>", " ", page[start:end]) + page[end:]


def answers(root: Value) -> list[float]:
    """Every number the student is asked for: each local derivative and each running total, and every gradient."""
    trace = explain_backward(root)
    found = [x for s in trace.steps for c in s.contributions for x in (c.local, c.total, c.product)]
    return found + list(trace.grads)


def test_the_page_source_holds_no_answer(tmp_path: Path, dot_program: str) -> None:
    def sigmoid_shared() -> tuple[Value, list[Value], list[Value]]:
        a, b = Value(2.0, label="a"), Value(-0.5, label="b")
        c = (a * b + a).named("c")
        return (c * c + c).sigmoid().named("d"), [a], [b]

    for build in (exercise_graph, sigmoid_shared):
        path, root = exercise_file(tmp_path, build)
        text = public_text(path.read_text())
        public = [v.data for v in root.topological_order()] + [0.0, 1.0, -1.0]
        searched = 0
        for x in answers(root):
            for fmt in FORMATS:
                shown = written(x, fmt)
                if any(written(p, fmt) == shown for p in public) or shown.strip("-0.") == "":
                    continue  # a forward value or 0, ±1: public by design
                searched += 1
                assert not re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d])", text), f"{shown} ({x}) is in the page"
        assert searched > 60
        assert "grad ?" in text and re.search(r"grad -?\d", text) is None  # boxes drawn without gradients


def test_answer_keys_round_as_the_page_does() -> None:
    assert exercise_page.answer_key(-0.69175) == "-6.92e-1" and exercise_page.answer_key(0.0) == "0"
    assert exercise_page.answer_key(2.5366) == "2.54e+0" and exercise_page.answer_key(-1234.5) == "-1.23e+3"
    near_edge = exercise_page.answer_keys(0.12349)  # within 0.5% of 0.1235: both neighbours count
    assert {"1.23e-1", "1.24e-1"} <= near_edge


def test_every_misconception_of_the_default_exercise_has_a_distinct_wrong_answer() -> None:
    root, _, _ = exercise_graph()
    graph, trace = view(root), explain_backward(root)
    kinds: set[str] = set()
    for s, step in enumerate(trace.steps):
        for c in step.contributions:
            wrong = exercise_page.wrong_answers(graph, trace, s, c)
            right = {"local": exercise_page.answer_keys(c.local), "total": exercise_page.answer_keys(c.total)}
            for field in ("local", "total"):
                kinds |= {kind for kind, x in wrong[field] if not exercise_page.answer_keys(x) & right[field]}
    assert {"sign", "value-for-derivative", "output-for-derivative", "forgot-upstream", "assigned",
            "missed-contribution"} <= kinds  # fmt: skip
    upstreams = [s.upstream for s in trace.steps]
    assert any(u not in (0.0, 1.0) for u in upstreams)  # an upstream gradient other than 1
    assert any(c.count == 2 for s in trace.steps for c in s.contributions)  # a node used twice


def go_to(driver: Any, step: int) -> None:
    driver.execute_script(f"show({step});")


def answer(driver: Any, row: int, local: float | str, total: float | str) -> str:
    from selenium.webdriver.common.by import By

    element = by_id(driver, f"row{row}")
    for name, value in (("local", local), ("total", total)):
        box = element.find_element(By.CLASS_NAME, name)
        box.clear()
        box.send_keys(str(value))
    element.find_element(By.CLASS_NAME, "check").click()
    return element.find_element(By.CLASS_NAME, "verdict").get_attribute("data-kind")  # type: ignore[no-any-return]


def find(trace: Any, parent: str, count: int = 1) -> tuple[int, int, Any]:
    """The (step from 1, row, contribution) that adds the ``count``-th product to ``parent``."""
    for s, step in enumerate(trace.steps, start=1):
        for k, c in enumerate(step.contributions):
            if c.parent_name == parent and c.count == count:
                return s, k, c
    raise LookupError(parent)


def test_each_misconception_fires_on_its_own_wrong_answer(tmp_path: Path, browser: Any, dot_program: str) -> None:
    path, root = exercise_file(tmp_path)
    trace = explain_backward(root)
    driver = browser
    driver.get(path.as_uri())
    w2 = next(v for v in root.topological_order() if v.label == "w2")
    s, k, to_w2 = find(trace, "w2", 2)  # d(w2·x2)/d(w2) = x2, and w2 is used twice
    go_to(driver, s)
    assert answer(driver, k, w2.data, 0) == "value-for-derivative"  # w2's value for d/dw2
    assert "w2's own value" in by_id(driver, f"row{k}").text
    assert answer(driver, k, -to_w2.local, 0) == "sign"
    before = to_w2.total - to_w2.product
    assert answer(driver, k, to_w2.local, to_w2.product) == "assigned"  # = for +=
    assert answer(driver, k, to_w2.local, before) == "missed-contribution"
    assert answer(driver, k, to_w2.local, before + to_w2.local) == "forgot-upstream"
    assert answer(driver, k, to_w2.local, before - to_w2.product) == "sign"
    assert answer(driver, k, to_w2.local, "abc") == "not-a-number"
    assert answer(driver, k, to_w2.local, 12345) == "wrong-total"
    assert answer(driver, k, f"{to_w2.local:.3g}", f"{to_w2.total:.4g}") == "right"
    s, k, _ = find(trace, "n")  # o = tanh(n): tanh(n) typed for tanh′(n)
    go_to(driver, s)
    o = next(v for v in root.topological_order() if v.label == "o")
    assert answer(driver, k, o.data, 0) == "output-for-derivative"
    assert "1 − tanh(n)²" in by_id(driver, f"row{k}").text
    assert answer(driver, k, 123, 0) == "wrong-local"


def test_a_node_used_twice_upstream_that_misses_a_use(tmp_path: Path, browser: Any, dot_program: str) -> None:
    def shared() -> tuple[Value, list[Value], list[Value]]:
        a, b = Value(1.5, label="a"), Value(-0.5, label="b")
        c = (a * b).named("c")
        return (c * 3.0 + c.tanh()).named("d"), [a], [b]

    path, root = exercise_file(tmp_path, shared)
    trace = explain_backward(root)
    browser.get(path.as_uri())
    s, k, to_a = find(trace, "a")  # c's upstream is the sum of two uses
    go_to(browser, s)
    uses = [c.product for step in trace.steps for c in step.contributions if c.parent_name == "c"]
    assert len(uses) == 2 and to_a.upstream == sum(uses)
    for use in uses:  # c.grad summed from one of its two users only
        assert answer(browser, k, to_a.local, to_a.local * use) == "missed-upstream"
    assert "sum of all 2 products" in by_id(browser, f"row{k}").text


def test_summary_counts_solved_hinted_and_revealed(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By

    path, root = exercise_file(tmp_path)
    steps = explain_backward(root).steps
    driver = browser
    driver.get(path.as_uri())
    assert by_id(driver, "score").text.startswith(
        "Solved first try 0, solved after a hint 0, revealed 0, still open 15"
    )
    go_to(driver, 1)  # L = #1 + #2: both products are 1
    first, second = steps[0].contributions
    assert answer(driver, 0, first.local, first.total) == "right"
    assert answer(driver, 1, 5.55, 5.55) == "wrong-local"
    assert answer(driver, 1, second.local, second.total) == "right"
    go_to(driver, 2)
    row = by_id(driver, "row0")
    row.find_element(By.CLASS_NAME, "reveal").click()
    shown = row.find_element(By.CLASS_NAME, "verdict").text
    assert shown.startswith("d(#5)/d(w2) = 2·w2") and "0.75" in shown  # the rule with the public value
    assert f"{steps[1].contributions[0].local:.4g}" not in shown.replace("0.75", "")  # and not its result
    assert by_id(driver, "score").text.startswith("Solved first try 1, solved after a hint 1, revealed 1")
    grads = driver.execute_script(
        "return [...document.querySelectorAll('#graph svg text')].map(t => t.textContent)"
        ".filter(t => t.startsWith('grad'))"
    )
    assert "grad 1" in grads and grads.count("grad ?") == len(grads) - 3  # L and its two solved parents
    go_to(driver, len(steps) + 1)
    assert by_id(driver, "counter").text == "summary"
    assert "revealed 1, still open 12 (of 15 answers)" in by_id(driver, "lines").text
    assert "w2.grad = ? (not found yet)" in by_id(driver, "lines").text  # its last contribution is still open


def test_enter_checks_and_short_numbers_ask_for_digits(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path, root = exercise_file(tmp_path)
    trace = explain_backward(root)
    browser.get(path.as_uri())
    s, k, c = find(trace, "n")  # d(o)/d(n) = 1 - tanh(n)^2 = 0.2804..., n.grad = -1.0366...
    assert all(abs(float(f"{x:.1g}") - x) > 0.01 * abs(x) for x in (c.local, c.total))  # beyond the tolerance
    go_to(browser, s)
    row = by_id(browser, f"row{k}")
    verdict = row.find_element(By.CLASS_NAME, "verdict")
    for local, total, kind in [
        (f"{c.local:.1g}", f"{c.total:.4g}", "digits"),  # right to 1 digit: too short to judge
        (f"{c.local:.4g}", f"{c.total:.1g}", "digits"),
        (f"{c.local:.4g}", f"{c.total:.2g}", "digits"),  # right to 2 digits (-1.0, not -1.04)
        ("0.9", "0", "wrong-local"),  # short and wrong: no right answer rounds to it
        (f"{c.local:.4g}", f"{2 * c.total:.1g}", "wrong-total"),
        (f"{-c.local:.2g}", "0", "sign"),  # a misconception's own answer is named however it is typed
        (f"{c.local + 0.5:.4g}", f"{c.total:.4g}", "wrong-local"),  # 3 digits or more are judged
        (f"{c.local:.4g}", f"{c.total:.4g}", "right"),
    ]:
        for name, value in (("local", local), ("total", total)):
            box = row.find_element(By.CLASS_NAME, name)
            box.clear()
            box.send_keys(value)
        box.send_keys(Keys.ENTER)  # Enter in an answer box presses Check
        assert verdict.get_attribute("data-kind") == kind, (local, total)
        if kind == "digits":
            assert "at least 3 significant digits" in verdict.text
        if kind == "right":  # the student's own number, not a rounding the page made up
            assert verdict.text == f"Right: n.grad = {c.total:.4g} (to 3 significant digits)."
    assert by_id(browser, "score").text.startswith("Solved first try 0, solved after a hint 1")  # 'digits': no try
    go_to(browser, 1)  # an exact round answer typed short ('1') is right, not asked for more digits
    for k, c in enumerate(trace.steps[0].contributions):
        assert f"{c.local:g}" == f"{c.total:g}" == "1" and answer(browser, k, "1", "1") == "right"


def test_a_revealed_gradient_is_named_revealed_in_the_summary(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By

    path, root = exercise_file(tmp_path)
    trace = explain_backward(root)
    browser.get(path.as_uri())
    data = page_data(path.read_text())
    for name in ("x1", "w1"):  # each leaf's only (so last) contribution
        s, k, _ = find(trace, name)
        go_to(browser, s)
        row = by_id(browser, f"row{k}")
        row.find_element(By.CLASS_NAME, "reveal").click()
        shown = row.find_element(By.CLASS_NAME, "verdict").text
        other = {"x1": "w1", "w1": "x1"}[name]
        value = data["data"][data["names"].index(other)]
        assert f"= {other} ({other} = {value}, as its box shows)" in shown  # the operand's public value
        assert "#1.grad" in shown  # the upstream, not yet found by the student, stays symbolic
    go_to(browser, len(trace.steps) + 1)
    lines = by_id(browser, "lines").text
    for name in ("x1", "w1"):
        assert f"{name}.grad = ? (revealed" in lines and f"{name}.grad = ? (not found yet)" not in lines
    assert "b.grad = ? (not found yet)" in lines


LABELS = """
const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
return [...document.querySelectorAll('#graph svg text, #near svg text')]
  .filter(t => t.textContent.trim()).map(t => [t.textContent, rect(t)]);
"""


def test_labels_do_not_overlap_and_the_screenshot_is_taken(tmp_path: Path, browser: Any, dot_program: str) -> None:
    path, root = exercise_file(tmp_path)
    browser.get(path.as_uri())
    for step in range(len(explain_backward(root).steps) + 2):
        go_to(browser, step)
        assert not overlapping(browser.execute_script(LABELS)), f"step {step}"
        if step == 3:
            answer(browser, 0, 1, 1)
            browser.save_screenshot(str(tmp_path / "exercise.png"))
    assert (tmp_path / "exercise.png").read_bytes()[:4] == b"\x89PNG"
    assert page_data(path.read_text())["exercise"] is True


def test_the_page_rounds_and_hashes_as_python_does(tmp_path: Path, browser: Any, dot_program: str) -> None:
    """The page finds an answer only if its script writes a number's key and hashes it exactly as Python did."""
    import hashlib
    import random

    path, _ = exercise_file(tmp_path)
    browser.get(path.as_uri())
    rng = random.Random(7)
    numbers = [rng.uniform(-1, 1) * 10 ** rng.randint(-6, 6) for _ in range(3000)]
    numbers += [0.0, -0.0, 1e-10, 0.125, 9.995, 1234.5, -0.69175, 2.5366, 1.0, -1.0, 1e300]
    keys = browser.execute_script("return arguments[0].map(answerKey);", numbers)
    for x, key in zip(numbers, keys):
        assert key in exercise_page.answer_keys(x), (x, key)  # a tie may round either way: both keys are stored
    texts = ["", "abc", "x" * 55, "y" * 56, "z" * 64, "salt|0.1.local|-6.92e-1", "σ′ × ∂L/∂w2 " * 9]
    digests = browser.execute_script("return arguments[0].map(sha256);", texts)
    assert digests == [hashlib.sha256(t.encode()).hexdigest() for t in texts]


@pytest.mark.parametrize("window", WINDOWS, ids=["1280x720", "1400x900"])
def test_the_default_exercise_is_readable_at_every_step(
    tmp_path: Path, browser: Any, window: tuple[int, int], dot_program: str
) -> None:
    root, params, inputs = exercise_graph()
    path = player.write_player(
        root, tmp_path / "exercise.html", exercise=True, params=params, inputs=inputs, title=EXERCISE_TITLE
    )
    check_readable_steps(browser, path, window, tmp_path, "exercise")  # 'Check' and 'Show how' on one line each


def test_typing_into_a_row_brings_its_parent_into_view(tmp_path: Path, browser: Any, dot_program: str) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(1280, 720)
    path, _ = exercise_file(tmp_path)
    browser.get(path.as_uri())
    go_to(browser, 1)  # L = #4 + #5: #5 = w2² is drawn far from L, beyond a readable view of both
    data = page_data(path.read_text())
    for k, c in enumerate(data["steps"][0]["contributions"]):
        by_id(browser, f"row{k}").find_element(By.CLASS_NAME, "total").click()
        settle(browser)
        facts = browser.execute_script(
            "const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };"
            "const box = document.getElementById(DATA.element[arguments[0]]);"
            "return {box: r(box), frame: r(document.getElementById('graph')), window: [innerWidth, innerHeight],"
            "text: Math.min(...[...box.querySelectorAll('text')].map(t => t.getBoundingClientRect().height))};",
            c["parent"],
        )
        assert inside(facts["box"], facts["frame"], facts["window"]) and facts["text"] >= 11, c["name"]
