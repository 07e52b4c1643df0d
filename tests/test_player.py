"""The backprop player: a self-contained page, and a real headless browser stepping through it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import require_program

from micrograd_plus import Value, viz


def small_graph(label: str = "a") -> Value:
    a, b = Value(2.0, label=label), Value(-3.0, label="b")
    c = (a * b + a).named("c")
    return c.tanh().named("d")


def test_page_is_self_contained(tmp_path: Path, dot_program: str) -> None:
    page = viz.write_player(small_graph(), tmp_path / "player.html").read_text()
    assert "<svg" in page and "<script>" in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|https?://(?!www\.w3\.org)", page)
    data = json.loads(re.search(r"const DATA = (.*);\n", page).group(1))  # type: ignore[union-attr]
    assert len(data["steps"]) == 3 and data["root"] == 4  # a, b, a*b, c, d
    assert data["steps"][0]["title"].startswith("d = tanh(c); upstream gradient")


def test_labels_cannot_escape_the_script(tmp_path: Path, dot_program: str) -> None:
    page = viz.write_player(small_graph("</script><script>alert(1)</script>"), tmp_path / "p.html").read_text()
    assert "<script>alert(1)" not in page
    assert page.count("<script>") == 1


@pytest.fixture
def browser(tmp_path: Path) -> object:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    chromium = require_program("chromium", "apt-get install chromium")
    driver_path = require_program("chromedriver", "apt-get install chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,900", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def test_stepping_through_backward_in_a_browser(tmp_path: Path, browser: object, dot_program: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    path = viz.write_player(small_graph(), tmp_path / "player.html")
    driver.get(path.as_uri())  # type: ignore[attr-defined]

    def text(element_id: str) -> str:
        return driver.find_element(By.ID, element_id).text  # type: ignore[attr-defined,no-any-return]

    def highlighted() -> list[str]:
        return sorted(e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, ".node.current"))  # type: ignore[attr-defined]

    def grad_of(node: str) -> str:
        cells = driver.find_elements(By.CSS_SELECTOR, f"#{node} text")  # type: ignore[attr-defined]
        return next(c.text for c in cells if c.text.startswith("grad "))

    assert text("counter") == "step 0 / 3" and highlighted() == ["v4"]
    assert grad_of("v0") == "grad 0"
    driver.find_element(By.ID, "next").click()  # type: ignore[attr-defined]
    assert text("counter") == "step 1 / 3"
    assert text("title").startswith("d = tanh(c)") and "c.grad += [1 − tanh(x)²" in text("lines")
    assert highlighted() == ["op4", "v4"]
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)  # type: ignore[attr-defined]
    assert text("counter") == "step 2 / 3" and highlighted() == ["op3", "v3"]
    assert grad_of("v0") == "grad 0.001341"  # a received its first contribution
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)  # type: ignore[attr-defined]
    assert "2nd contribution" in text("lines") and grad_of("v0") == "grad -0.002682"
    driver.find_element(By.ID, "prev").click()  # type: ignore[attr-defined]
    assert text("counter") == "step 2 / 3" and grad_of("v0") == "grad 0.001341"
    driver.save_screenshot(str(tmp_path / "player.png"))  # type: ignore[attr-defined]
    assert (tmp_path / "player.png").read_bytes()[:4] == b"\x89PNG"
