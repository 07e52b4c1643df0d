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


def _package_files() -> list[Path]:
    return sorted((ROOT / "micrograd_plus").rglob("*.py"))


def _page_scripts() -> list[Path]:
    """The pages' own scripts (a vendored minified library aside)."""
    return sorted(p for p in (ROOT / "micrograd_plus").rglob("*.js") if not p.name.endswith(".min.js"))


def test_no_file_over_400_lines() -> None:
    files = _package_files() + _page_scripts()
    assert any(p.name == "player.js" for p in files)
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 400}
    assert not long, f"split these files by what each part owns: {long}"


def test_no_function_over_60_lines() -> None:
    import ast

    long = []
    for path in _package_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, f"split these functions: {long}"


def _module_map() -> dict[str, str]:
    """The module map of docs/architecture.md: each `micrograd_plus/...py` path with its one-line role."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\s*[-*] `(micrograd_plus/[\w/]+\.py)` — (\S.*)$", text, flags=re.MULTILINE))


def test_every_module_is_in_the_module_map_with_its_role() -> None:
    modules = {str(p.relative_to(ROOT)) for p in _package_files() if p.name != "__init__.py"}
    listed = _module_map()
    assert modules - set(listed) == set(), "add these modules to the module map in docs/architecture.md"
    assert set(listed) - modules == set(), "docs/architecture.md's module map lists modules that do not exist"
    assert all(len(role) >= 20 for role in listed.values()), "give each module a one-line role"


# The public API: what `from micrograd_plus... import *` gives. A change here is a change users see.
PUBLIC_API = {
    "micrograd_plus": [
        "GradcheckReport",
        "JacobianReport",
        "LocalGradReport",
        "Value",
        "__version__",
        "assert_grad",
        "assert_gradients_match",
        "assert_jacobian",
        "autodiff",
        "central_difference",
        "check_forward_reverse",
        "check_grad",
        "check_jacobian",
        "check_local_grads",
        "data",
        "define_op",
        "eps_sweep",
        "explain_backward",
        "explain_forward",
        "explain_layers",
        "fn",
        "functional",
        "grad",
        "gradcheck",
        "gradcheck_module",
        "gradgradcheck",
        "hessian",
        "hvp",
        "jacobian",
        "jvp",
        "losses",
        "nn",
        "ops",
        "optim",
        "paused_collector",
        "value_and_grad",
        "viz",
    ],
    "micrograd_plus.autodiff": [
        "Dual",
        "grad",
        "gradients",
        "hessian",
        "hvp",
        "jacobian",
        "jvp",
        "local_derivative_values",
        "value_and_grad",
    ],
    "micrograd_plus.check": [
        "GradcheckReport",
        "JacobianReport",
        "LocalGradReport",
        "assert_grad",
        "assert_gradients_match",
        "assert_jacobian",
        "central_difference",
        "check_forward_reverse",
        "check_grad",
        "check_jacobian",
        "check_local_grads",
        "eps_sweep",
        "gradcheck",
        "gradcheck_module",
        "gradgradcheck",
    ],
    "micrograd_plus.cli": [
        "main",
    ],
    "micrograd_plus.compile": [
        "CompiledGraph",
        "Replay",
        "VectorizedGraph",
        "compile_graph",
        "vectorize",
    ],
    "micrograd_plus.data": [
        "CharSequence",
        "CharTokenizer",
        "GLYPHS",
        "load_names",
        "make_blobs",
        "make_char_sequence",
        "make_circles",
        "make_glyphs",
        "make_linearly_separable",
        "make_moons",
        "make_sine_sequence",
        "make_spirals",
        "make_xor",
        "train_val_split",
    ],
    "micrograd_plus.exercises": [
        "Answer",
        "AnswerCheck",
        "EXERCISES",
        "Exercise",
        "check_answer",
        "question",
    ],
    "micrograd_plus.functional": [
        "affine",
        "dot",
        "log_softmax",
        "logsumexp",
        "mean",
        "softmax",
        "sum",
    ],
    "micrograd_plus.losses": [
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "cross_entropy",
        "hinge",
        "l2",
        "mse",
    ],
    "micrograd_plus.nn": [
        "ACTIVATIONS",
        "Activation",
        "AvgPool2d",
        "BatchNorm1d",
        "CausalSelfAttention",
        "Conv1d",
        "Conv2d",
        "Dropout",
        "Embedding",
        "Flatten",
        "GPT",
        "KVCache",
        "Layer",
        "LayerNorm",
        "MLP",
        "MaxPool1d",
        "MaxPool2d",
        "Module",
        "Neuron",
        "Perceptron",
        "RMSNorm",
        "RNN",
        "RNNCell",
        "RNNOutput",
        "Sequential",
        "init",
        "load_microgpt_weights",
    ],
    "micrograd_plus.ops": [
        "ABS",
        "ADD",
        "ARCCOS",
        "ARCSIN",
        "ARCTAN",
        "ATAN2",
        "Arithmetic",
        "BUILTINS",
        "COS",
        "COSH",
        "DIV",
        "DOT",
        "EXP",
        "EXPM1",
        "EachOperand",
        "FAMILIES",
        "FAMILY_CACHE",
        "Formula",
        "LOG",
        "LOG1P",
        "LOGSUMEXP",
        "MAX",
        "MEAN",
        "MUL",
        "NEG",
        "Op",
        "POW",
        "REGISTRY",
        "RELU",
        "SIGMOID",
        "SIGN",
        "SIN",
        "SINH",
        "SOFTPLUS",
        "SQRT",
        "STEP_KINK",
        "SUB",
        "SUM",
        "Symbol",
        "TAN",
        "TANH",
        "Where",
        "XLOGY",
        "activation",
        "define_op",
        "fn",
        "leaky_relu",
        "lookup",
        "operand_text",
        "power",
        "recorded",
        "register",
        "step",
        "text",
    ],
    "micrograd_plus.optim": [
        "Adam",
        "LinearDecay",
        "Optimizer",
        "SGD",
    ],
    "micrograd_plus.progress": [
        "progress",
    ],
    "micrograd_plus.viz": [
        "DrawOptions",
        "GraphComparison",
        "HIGHLIGHT",
        "compare_graphs",
        "dot_lines",
        "draw_dot",
        "drawing_options",
        "render",
        "to_dot",
        "write_explorer",
    ],
}


def test_public_api_is_the_committed_list() -> None:
    import importlib

    found = {name: sorted(importlib.import_module(name).__all__) for name in PUBLIC_API}
    assert found == PUBLIC_API
    for name, names in PUBLIC_API.items():
        module = importlib.import_module(name)
        assert all(hasattr(module, n) for n in names), name
