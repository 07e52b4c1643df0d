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


def _imports() -> dict[str, set[str]]:
    """Each package module and the package modules it imports (at the top or inside functions)."""
    import ast

    package = ROOT / "micrograd_plus"
    graph: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("micrograd_plus"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    where = ROOT / full.replace(".", "/")
                    is_module = where.with_suffix(".py").exists() or (where / "__init__.py").exists()
                    found.add(full if is_module else node.module)
        graph[module] = found - {module}
    return graph


def test_no_import_cycles() -> None:
    graph = _imports()
    # packages that only re-export
    aggregators = {f"micrograd_plus.{p}" for p in ("nn", "ops", "viz", "check", "compile", "cli", "exercises")}
    aggregators.add("micrograd_plus")

    def visit(module: str, path: list[str]) -> None:
        for dependency in graph.get(module, set()) - aggregators:
            assert dependency not in path, f"import cycle: {' -> '.join([*path, dependency])}"
            visit(dependency, [*path, dependency])

    for module in graph:
        visit(module, [module])


def test_no_module_imports_another_modules_private_names() -> None:
    import ast

    for path in (ROOT / "micrograd_plus").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("micrograd_plus"):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                assert not private, f"{path.name} imports private names {private} from {node.module}"


OLD_PATHS = {
    "micrograd_plus.compiler": ("micrograd_plus.compile", "compile_graph"),
    "micrograd_plus.replay": ("micrograd_plus.compile", "Replay"),
    "micrograd_plus.vectorized": ("micrograd_plus.compile", "vectorize"),
    "micrograd_plus.player": ("micrograd_plus.viz.player", "write_player"),
    "micrograd_plus.testing": ("micrograd_plus.check.op_table", "OPS"),
    "micrograd_plus.strategies": ("micrograd_plus.check.strategies", "floats_in"),
}


def test_old_module_paths_still_import_with_a_warning_naming_the_new_one() -> None:
    import importlib

    import pytest

    for old, (new, name) in OLD_PATHS.items():
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match=rf"{old} moved: import from {new} instead"):
            module = importlib.import_module(old)
        assert getattr(module, name) is getattr(importlib.import_module(new), name)
