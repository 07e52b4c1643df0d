"""Make each lesson's student copy from its solutions copy, so that the two never drift.

The solutions copy ``notebooks/solutions/NN_name.ipynb`` is the source. Its student copy
``notebooks/NN_name.ipynb`` is the same notebook with the answers taken out:

* a code line ending in ``# solution`` (``answer = 0.25  # solution``) becomes
  ``answer = None  # your answer``;
* the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` become ``...  # your code here``;
* a cell tagged ``solution`` (an explanation of the answer) is left out.

Usage (from the repository root):

    python notebooks/make_student_copies.py                 # every lesson, executed
    python notebooks/make_student_copies.py 03 07           # only these lessons
    python notebooks/make_student_copies.py --check         # exit 1 if a student copy is out of date
    python notebooks/make_student_copies.py --no-execute    # rewrite sources only, keep no outputs

Executing runs both copies top to bottom in ``notebooks/`` (so files they write land in one
place) and stores their outputs, as the repository commits them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOLUTIONS = HERE / "solutions"
ANSWER_LINE = re.compile(r"^(?P<indent>\s*)(?P<name>[A-Za-z_][\w\[\]\"', .]*?)\s*=\s*.+#\s*solution\s*$")
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


def strip_solutions(source: str) -> str:
    """The code of a cell with its answers replaced by blanks for the student to fill in."""
    lines: list[str] = []
    inside = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} in cell:\n{source}")
            inside = True
            lines.append(line[: len(line) - len(line.lstrip())] + "...  # your code here")
        elif stripped == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r} in cell:\n{source}")
            inside = False
        elif not inside:
            match = ANSWER_LINE.match(line)
            lines.append(f"{match['indent']}{match['name']} = None  # your answer" if match else line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in cell:\n{source}")
    return "\n".join(lines)


def student_cells(solution: Any) -> list[tuple[str, str]]:
    """(cell type, source) of every cell of the student copy of a solutions notebook."""
    cells = []
    for cell in solution.cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        source = strip_solutions(cell.source) if cell.cell_type == "code" else cell.source
        cells.append((cell.cell_type, source))
    return cells


def make_student_copy(solution: Any) -> Any:
    """A new notebook: the student copy of ``solution``, without outputs."""
    import nbformat

    notebook = nbformat.v4.new_notebook(metadata=solution.metadata)
    for cell_type, source in student_cells(solution):
        new = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
        notebook.cells.append(new(source))
    return notebook


def execute(notebook: Any) -> None:
    import nbclient

    nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
    ).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce(cell.outputs)


def _as_shown(text: str) -> str:
    """Stream text as a terminal shows it: each carriage return starts its line again (progress bars)."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def coalesce(outputs: list[Any]) -> list[Any]:
    """Consecutive outputs of one stream joined into one, redrawn lines kept only as last drawn: a progress
    bar is saved as its final line, not as one output per update."""
    merged: list[Any] = []
    for output in outputs:
        if (
            output.output_type == "stream"
            and merged
            and merged[-1].output_type == "stream"
            and (merged[-1].name == output.name)
        ):
            merged[-1].text += output.text
        else:
            merged.append(output)
    for output in merged:
        if output.output_type == "stream":
            output.text = _as_shown(output.text)
    return [o for o in merged if o.output_type != "stream" or o.text.strip()]  # a bar's closing newline, say


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers or names (default: all)")
    parser.add_argument("--check", action="store_true", help="only check that the student copies are up to date")
    parser.add_argument("--no-execute", action="store_true", help="do not execute the notebooks")
    args = parser.parse_args(argv)
    paths = sorted(SOLUTIONS.glob("*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if any(p.stem.startswith(lesson) for lesson in args.lessons)]
        if not paths:
            parser.error(f"no solutions notebook matches {args.lessons}; see {SOLUTIONS}")
    stale = []
    for path in paths:
        solution = nbformat.read(path, as_version=4)
        student_path = HERE / path.name
        if args.check:
            current = nbformat.read(student_path, as_version=4) if student_path.exists() else None
            if current is None or [(c.cell_type, c.source) for c in current.cells] != student_cells(solution):
                stale.append(student_path.name)
            continue
        student = make_student_copy(solution)
        if not args.no_execute:
            execute(solution)
            nbformat.write(solution, path)
            execute(student)
        nbformat.write(student, student_path)
        print(f"wrote {student_path.relative_to(HERE.parent)}")
    if stale:
        print("out of date (run python notebooks/make_student_copies.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
