"""The course notebooks: committed with their outputs, and still running from top to bottom."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_course_is_there() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert len(names) >= 7 and names == sorted(names)
    assert [n[:2] for n in names[:7]] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_with_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs for cell in code), "execute the notebook and commit it with outputs"
    assert not any(out.output_type == "error" for cell in code for out in cell.outputs)
    assert not any("sys.path" in cell.source for cell in code)  # notebooks use the installed package


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_from_top_to_bottom(path: Path, tmp_path: Path, dot_program: str) -> None:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    assert all(cell.outputs for cell in notebook.cells if cell.cell_type == "code")
