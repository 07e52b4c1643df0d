"""Shared fixtures: external programs are required in CI (a missing one fails) and optional elsewhere.

In CI, Hypothesis draws the same examples on every run, so that a landing does not hang on a lucky draw;
elsewhere each run draws new ones and keeps the failures it finds in .hypothesis/."""

from __future__ import annotations

import os
import shutil

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
