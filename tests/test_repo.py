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
    assert len(demo_commands) == 1 and demo_commands[0].endswith("micrograd-plus demo")
    done = subprocess.run(
        [sys.executable, "-m", "micrograd_plus", "demo", "--steps", "40"], capture_output=True, text=True, check=True
    )
    assert "MLP(n_in=2, sizes=[16, 16, 1]" in done.stdout
    accuracies = [float(a) for a in re.findall(r"accuracy\s+([\d.]+)%", done.stdout)]
    assert len(accuracies) == 5 and accuracies[-1] >= 90.0  # steps 0, 10, 20, 30, 39: it learns
    regions = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert len(regions) == 20 and any("x" in r for r in regions) and any("o" in r for r in regions)


def test_demo_rejects_bad_steps() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "micrograd_plus", "demo", "--steps", "0"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "--steps must be at least 1, got 0" in done.stderr


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
