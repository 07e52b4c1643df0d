"""The training page: recording a run, refusing bad histories, and a headless browser scrubbing through it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import losses, optim
from micrograd_plus.data import make_moons
from micrograd_plus.nn import MLP
from micrograd_plus.viz.training_page import TrainingRecorder, check_history, write_training_page


def recorded_run(steps: int = 12) -> list[dict[str, Any]]:
    X, y = make_moons(40, noise=0.1, seed=2)
    model = MLP(2, [8, 1], seed=1)
    opt = optim.SGD(model.parameters(), lr=0.5)
    recorder = TrainingRecorder(model, X, y, every=2, grid=12)
    for step in range(steps):
        scores = [model(x)[0] for x in X]
        loss = losses.hinge(scores, [2.0 * t - 1.0 for t in y])
        opt.zero_grad()
        loss.backward()
        accuracy = sum((s.data > 0) == bool(t) for s, t in zip(scores, y)) / len(y)
        recorder.record(step + 1, loss.data, accuracy)  # steps numbered from 1, as the demo prints them
        opt.step()
    return recorder.history


def test_recording_keeps_every_kth_step_with_layers_and_boundary() -> None:
    history = recorded_run()
    assert [f["step"] for f in history] == [2, 4, 6, 8, 10, 12]
    first = history[0]
    assert [len(layer["weights"]) for layer in first["layers"]] == [8, 1]
    assert len(first["layers"][0]["weights"][0]) == 3  # two weights and the bias
    assert first["layers"][1]["grad_norm"] > 0
    assert len(first["boundary"]["scores"]) == 12 and history[0]["boundary"] != history[-1]["boundary"]


def test_page_is_self_contained(tmp_path: Path) -> None:
    page = write_training_page(recorded_run(), tmp_path / "t.html", title="<moons>").read_text()
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|https?://", page)
    assert "<title>&lt;moons&gt;</title>" in page and page.count("<script>") == 1
    data = json.loads(re.search(r"const HISTORY = (.*);\n", page).group(1))  # type: ignore[union-attr]
    assert len(data) == 6


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([], "history is empty"),
        ([{"step": 0}], r"history\[0\] is not a frame"),
        ("frames", "history must be a list"),
    ],
)
def test_bad_histories_are_refused_before_writing(tmp_path: Path, history: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        write_training_page(history, tmp_path / "t.html")
    assert not (tmp_path / "t.html").exists()


def test_ragged_histories_are_refused() -> None:
    history = recorded_run(4)
    history[1]["layers"][0]["weights"].pop()
    with pytest.raises(ValueError, match=r"history\[1\] \(step 4\) has another shape than history\[0\]"):
        check_history(history)
    history = recorded_run(4)
    history[1]["loss"] = float("nan")
    with pytest.raises(ValueError, match=r"history\[1\]\['loss'\] is nan"):
        check_history(history)
    with pytest.raises(ValueError, match="every must be a whole number"):
        TrainingRecorder(MLP(2, [1], seed=0), every=0)


def test_slider_moves_the_boundary_in_a_browser(tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(write_training_page(recorded_run(), tmp_path / "t.html").as_uri())

    def boundary() -> str:
        return driver.execute_script("return document.getElementById('boundary').toDataURL()")  # type: ignore[no-any-return]

    first, shot = boundary(), driver.get_screenshot_as_png()
    assert driver.find_element(By.ID, "stepinfo").text.startswith("step 2 / 12  loss")
    slider = driver.find_element(By.ID, "slider")
    for _ in range(5):
        slider.send_keys(Keys.ARROW_RIGHT)
    assert driver.find_element(By.ID, "stepinfo").text.startswith("step 12 / 12  loss")
    assert boundary() != first and driver.get_screenshot_as_png() != shot
    assert len(driver.find_elements(By.CSS_SELECTOR, "#layers canvas")) == 4  # weights and grads of 2 layers
    assert len(driver.find_elements(By.CSS_SELECTOR, "#layers svg.colour-bar")) == 4  # each with its colour scale
    driver.find_element(By.ID, "play").click()
    assert driver.find_element(By.ID, "play").text == "Pause"


FACTS = """
const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const texts = sel => [...document.querySelectorAll(sel)].filter(t => t.textContent.trim()).map(t => t.textContent);
return {
  labels: [...document.querySelectorAll('svg text')].filter(t => t.textContent.trim())
    .map(t => [t.textContent, rect(t)]),
  curves: texts('#curves text'), legend: texts('#curves text.legend'), norms: texts('#norms text'),
  boundary: texts('#boundary-axes text'), key: texts('#boundary-key text'), bars: texts('#layers svg.colour-bar text'),
  plot: rect(document.querySelector('#curves rect')),
  ticks: [...document.querySelectorAll('#curves text.tick')].map(t => [t.textContent, rect(t)]),
};
"""


def overlapping(labels: list[Any]) -> list[tuple[str, str]]:
    pairs = []
    for k, (a, (l1, t1, r1, b1)) in enumerate(labels):
        for b, (l2, t2, r2, b2) in labels[k + 1 :]:
            if min(r1, r2) - max(l1, l2) > 0.5 and min(b1, b2) - max(t1, t2) > 0.5:
                pairs.append((a, b))
    return pairs


def test_axes_legend_and_colour_scales_without_overlap(tmp_path: Path, browser: Any) -> None:
    history = recorded_run(40)
    driver = browser
    driver.get(write_training_page(history, tmp_path / "t.html").as_uri())
    last = len(history) - 1
    for frame in (0, last // 2, last):
        driver.execute_script(f"show({frame});")
        facts = driver.execute_script(FACTS)
        assert not overlapping(facts["labels"]), f"frame {frame}: {overlapping(facts['labels'])}"
        assert facts["legend"] == ["loss (left axis)", "accuracy (right axis)"]
        assert {"loss", "accuracy", "step"} <= set(facts["curves"])  # the three axes' titles
        assert {"0%", "50%", "100%"} <= set(facts["curves"])  # the accuracy scale
        left, _, right, _ = facts["plot"]
        steps = [float(t) for t, (a, _, b, _) in facts["ticks"] if a > left - 1 and b < right + 20 and t.isdigit()]
        assert steps and min(steps) >= history[0]["step"] and max(steps) <= history[-1]["step"]
        losses = [float(t) for t, (_, _, r, _) in facts["ticks"] if r < left]  # the loss scale, left of the plot
        assert len(losses) >= 3 and max(losses) >= max(f["loss"] for f in history)
        assert {"x₁", "x₂"} <= set(facts["boundary"]) and "model score (its sign is the class)" in facts["key"]
        assert "0" in facts["key"] and len(facts["bars"]) == 4 * 4  # a title and three values per heatmap scale
        assert {"layers.0", "layers.1", "norm (log scale)"} <= set(facts["norms"])
    steps = [f["step"] for f in history]
    assert driver.find_element("id", "stepinfo").text.startswith(f"step {steps[-1]} / {steps[-1]} ")
    driver.save_screenshot(str(tmp_path / "training.png"))
    assert (tmp_path / "training.png").read_bytes()[:4] == b"\x89PNG"
