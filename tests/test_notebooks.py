"""The course notebooks: in course order, committed with their outputs, still running from top to bottom,
with prose that teaches, and exercises whose student copies match their solutions copies."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

HERE = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
SOLUTIONS = sorted((HERE / "solutions").glob("*.ipynb"))
EVERY_COPY = NOTEBOOKS + SOLUTIONS
COPY_IDS = [p.stem for p in NOTEBOOKS] + [f"solutions/{p.stem}" for p in SOLUTIONS]

# from the maths to the tools
COURSE = [
    "01_value_and_the_chain_rule",
    "02_activation_functions",
    "03_gradient_descent",
    "04_perceptron_and_the_delta_rule",
    "05_mlp_on_moons",
    "06_losses_optimizers_regularisation",
    "07_softmax_and_cross_entropy",
    "08_the_matrix_view",
    "09_initialisation_and_vanishing_gradients",
    "10_batch_normalisation",
    "11_convolutional_networks",
    "12_rnns",
    "13_drawing_graphs",
    "14_checking_gradients",
    "15_compiled_replay",
    "16_higher_order_derivatives",
    "17_a_small_gpt",
]
CHECK_CALL = re.compile(r"check_answer\(\s*\"([\w.-]+)\"")


def _make_student_copies() -> Any:
    spec = importlib.util.spec_from_file_location("make_student_copies", HERE / "make_student_copies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(cell: Any) -> str:
    parts = []
    for out in cell.outputs:
        parts.append(out.get("text", "") if out.output_type == "stream" else out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_the_course_is_in_order() -> None:
    assert [p.stem for p in NOTEBOOKS] == COURSE
    assert [p.stem for p in SOLUTIONS] == COURSE


@pytest.mark.parametrize("path", EVERY_COPY, ids=COPY_IDS)
def test_committed_with_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs for cell in code), "execute the notebook and commit it with outputs"
    assert not any(out.output_type == "error" for cell in code for out in cell.outputs)
    assert not any("sys.path" in cell.source for cell in code)  # notebooks use the installed package


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_prose_that_teaches(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    words = sum(len(re.findall(r"\S+", c.source)) for c in notebook.cells if c.cell_type == "markdown")
    assert words >= 400, f"{path.name} has {words} words of prose; a lesson needs at least 400"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_student_copy_is_made_from_the_solutions(path: Path) -> None:
    student = nbformat.read(HERE / path.name, as_version=4)
    expected = _make_student_copies().student_cells(nbformat.read(path, as_version=4))
    assert [(c.cell_type, c.source) for c in student.cells] == expected, (
        f"notebooks/{path.name} is out of date: run python notebooks/make_student_copies.py {path.stem[:2]}"
    )


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_exercises_checked_blank_for_students_correct_in_solutions(path: Path) -> None:
    from micrograd_plus.exercises import EXERCISES

    solution = nbformat.read(path, as_version=4)
    student = nbformat.read(HERE / path.name, as_version=4)
    checks = [c for c in solution.cells if c.cell_type == "code" and CHECK_CALL.search(c.source)]
    ids = [i for c in checks for i in CHECK_CALL.findall(c.source)]
    assert 2 <= len(ids) <= 3 and len(set(ids)) == len(ids), f"{path.name} checks {ids}; a lesson has 2 or 3"
    assert set(ids) <= set(EXERCISES)
    for cell in checks:
        assert _text(cell).count(": correct") == len(CHECK_CALL.findall(cell.source)), _text(cell)
    blanks = [c for c in student.cells if c.cell_type == "code" and CHECK_CALL.search(c.source)]
    assert len(blanks) == len(checks)
    for cell in blanks:
        assert "None  # your answer" in cell.source
        assert _text(cell).count("not answered yet") == len(CHECK_CALL.findall(cell.source)), _text(cell)


def test_strip_solutions() -> None:
    strip = _make_student_copies().strip_solutions
    source = "x = 2\nanswer = x * 3  # solution\nif x:\n    # BEGIN SOLUTION\n    y = x\n    # END SOLUTION\nprint(1)"
    assert strip(source) == "x = 2\nanswer = None  # your answer\nif x:\n    ...  # your code here\nprint(1)"
    with pytest.raises(ValueError, match="without"):
        strip("# BEGIN SOLUTION\nx = 1")


def test_solution_cells_are_left_out_of_the_student_copy() -> None:
    make = _make_student_copies()
    solution = nbformat.v4.new_notebook()
    solution.cells = [
        nbformat.v4.new_markdown_cell("question"),
        nbformat.v4.new_code_cell("answer = 2 * 3  # solution\ncheck_answer('a.b', answer)"),
        nbformat.v4.new_markdown_cell("why: 2 times 3", metadata={"tags": ["solution"]}),
    ]
    student = make.make_student_copy(solution)
    assert [(c.cell_type, c.source) for c in student.cells] == [
        ("markdown", "question"),
        ("code", "answer = None  # your answer\ncheck_answer('a.b', answer)"),
    ]
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("path", EVERY_COPY, ids=COPY_IDS)
def test_runs_from_top_to_bottom(path: Path, tmp_path: Path, dot_program: str) -> None:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    assert all(cell.outputs for cell in notebook.cells if cell.cell_type == "code")
    if path.parent.name == "solutions":  # the solutions still pass their checks against today's library
        for cell in notebook.cells:
            if cell.cell_type == "code" and CHECK_CALL.search(cell.source):
                assert _text(cell).count(": correct") == len(CHECK_CALL.findall(cell.source)), _text(cell)


def test_the_readme_lists_the_course_and_how_to_open_it() -> None:
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    positions = [readme.index(f"`{name}`") for name in COURSE]
    assert positions == sorted(positions), "the README lists the lessons in course order"
    extra = re.search(r"^notebooks = \[(.*)\]$", (HERE.parent / "pyproject.toml").read_text(), flags=re.MULTILINE)
    assert extra is not None and re.search(r'"(jupyterlab|notebook)[>=<]', extra.group(1)), "a Jupyter front end"
    assert re.search(r'pip install .*-e "\.\[notebooks\]" && \.venv/bin/jupyter lab notebooks', readme)


def test_every_exercise_belongs_to_a_lesson() -> None:
    from micrograd_plus.exercises import EXERCISES

    used = [
        i for path in SOLUTIONS for c in nbformat.read(path, as_version=4).cells for i in CHECK_CALL.findall(c.source)
    ]
    assert sorted(used) == sorted(EXERCISES), "each exercise is checked by exactly one lesson"
