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
        recorder.record(step, loss.data, accuracy)
        opt.step()
    return recorder.history


def test_recording_keeps_every_kth_step_with_layers_and_boundary() -> None:
    history = recorded_run()
    assert [f["step"] for f in history] == [0, 2, 4, 6, 8, 10]
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
    with pytest.raises(ValueError, match=r"history\[1\] \(step 2\) has another shape than history\[0\]"):
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
    assert driver.find_element(By.ID, "stepinfo").text.startswith("step 0 loss")
    slider = driver.find_element(By.ID, "slider")
    for _ in range(5):
        slider.send_keys(Keys.ARROW_RIGHT)
    assert driver.find_element(By.ID, "stepinfo").text.startswith("step 10 loss")
    assert boundary() != first and driver.get_screenshot_as_png() != shot
    assert len(driver.find_elements(By.CSS_SELECTOR, "#layers canvas")) == 4  # weights and grads of 2 layers
    driver.find_element(By.ID, "play").click()
    assert driver.find_element(By.ID, "play").text == "Pause"
