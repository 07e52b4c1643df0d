"""The repository keeps its promises: CI runs the README's test command; the demo runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import micrograd_plus

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^python3 -m venv .*$", text, flags=re.MULTILINE)


def test_ci_runs_the_readme_test_command() -> None:
    test_commands = [c for c in readme_commands() if "pytest" in c]
    assert len(test_commands) == 1
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_commands[0] in ci_lines


def test_readme_demo_command_runs_the_demo() -> None:
    demo_commands = [c for c in readme_commands() if "demo" in c]
    assert len(demo_commands) == 1 and " demo" in demo_commands[0]


def test_version_has_one_source() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "micrograd_plus", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"micrograd-plus {micrograd_plus.__version__}"
    from importlib.metadata import version

    assert version("micrograd_plus") == micrograd_plus.__version__


def test_public_names_are_listed() -> None:
    for name in micrograd_plus.__all__:
        assert hasattr(micrograd_plus, name)
    assert (ROOT / "micrograd_plus" / "py.typed").exists()
