"""Shared fixtures: external programs are required in CI (a missing one fails) and optional elsewhere.

In CI, Hypothesis draws the same examples on every run, so that a landing does not hang on a lucky draw;
elsewhere each run draws new ones and keeps the failures it finds in .hypothesis/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def require_program(name: str, install: str) -> str:
    """The program's path; in CI its absence is a failure, elsewhere a skip."""
    path = shutil.which(name)
    if path is None:
        message = f"'{name}' is not installed ({install})"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run must install it")
        pytest.skip(message)
    return path


@pytest.fixture
def dot_program() -> str:
    return require_program("dot", "apt-get install graphviz")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium driven by selenium (a failure in CI when it is missing, a skip elsewhere)."""
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
