"""The ``worksheet`` subcommand: a class's backprop worksheet for one expression, for the student and the teacher.

The student's files are ``blank.svg``/``.dot`` (the graph with values, no gradients, no local
derivatives) and ``blank.md``/``.tex`` (the forward values, then the backward table with its upstream,
local derivative, product and total cells empty, and the gradients to find); the teacher's are
``answers.svg``/``.dot`` and ``steps.md``/``.tex`` (the same table filled in). Variables named like
weights and biases (``w``, ``w1``, ``w_out``, ``b``, ``b2``, ``bias``, ``weight``) are parameters, the others inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
from pathlib import Path

from micrograd_plus import viz
from micrograd_plus.engine import Value
from micrograd_plus.viz.explain import BackwardTrace, explain_backward, explain_forward
from micrograd_plus.viz.tables import latex_escape, latex_table, markdown_table

__all__ = ["BLANK_COLUMNS", "blank_rows", "is_parameter_name", "leaf_roles", "write_worksheet"]

PARAMETER_NAME = re.compile(r"(?:[wWbB](?:\d+|_\w*)?|bias\w*|weights?\w*)")
BLANK_COLUMNS = ("upstream", "local derivative", "product", "parent total")  # what the student works out


def is_parameter_name(name: str) -> bool:
    """Whether a variable's name reads as a weight or a bias: w, w1, w_2, b, b1, bias, weights (not x, beta, bx).

    >>> [n for n in ("w", "w1", "W_out", "b2", "bias", "x", "beta", "bx", "y") if is_parameter_name(n)]
    ['w', 'w1', 'W_out', 'b2', 'bias']
    """
    return PARAMETER_NAME.fullmatch(name) is not None


def leaf_roles(leaves: dict[str, Value]) -> tuple[list[Value], list[Value]]:
    """The expression's variables split into parameters (by name, see ``is_parameter_name``) and inputs."""
    params = [v for name, v in leaves.items() if is_parameter_name(name)]
    return params, [v for name, v in leaves.items() if not is_parameter_name(name)]


def blank_rows(trace: BackwardTrace) -> tuple[list[str], list[list[str]]]:
    """The step table with the cells a student computes left empty; the first step's upstream, d(root)/d(root) = 1,
    is given, since every backward pass starts from it."""
    head, rows = trace.rows()
    blank = [head.index(column) for column in BLANK_COLUMNS]
    out = []
    for row in rows:
        given = row[0] == "1" and row[1] == trace.root_name
        out.append(["" if k in blank and not (given and head[k] == "upstream") else cell for k, cell in enumerate(row)])
    return head, out


def _leaves_line(leaves: dict[str, Value], fmt: str) -> str:
    params, inputs = leaf_roles(leaves)
    parts = []
    for what, group in (("parameters (learned)", params), ("inputs (given)", inputs)):
        if group:
            parts.append(f"{what}: " + ", ".join(f"{v.label} = {format(v.data, fmt)}" for v in group))
    return "; ".join(parts)


def write_worksheet(
    root: Value, leaves: dict[str, Value], heading: str, out: Path, fmt: str = ".4g"
) -> tuple[list[Path], BackwardTrace]:
    """Write the student's and the teacher's files (see the module) into ``out``, for ``root`` after its one
    ``backward()``. Returns the files written and the trace."""
    trace = explain_backward(root, fmt)
    forward = explain_forward(root, fmt)
    out.mkdir(parents=True, exist_ok=True)
    params, inputs = leaf_roles(leaves)
    blank = {"params": params, "inputs": inputs, "show_grad": False, "edge_labels": False, "number_format": fmt}
    answers = {"params": params, "inputs": inputs, "number_format": fmt}
    written = []
    for name, options in (("blank", blank), ("answers", answers)):
        written.append(out / f"{name}.dot")
        written[-1].write_text(viz.to_dot(root, **options), encoding="utf-8")
        if shutil.which("dot") is not None:
            with contextlib.suppress(ImportError):  # without the graphviz package the .dot file is still there
                written.append(viz.render(root, out / f"{name}.svg", **options))
    roles = _leaves_line(leaves, fmt)
    r = trace.root_name
    asked = ", ".join(f"d({r})/d{name}" for name in leaves)
    found = "\n".join(f"- d({r})/d{name} = {format(v.grad, fmt)}" for name, v in leaves.items())
    todo = "\n".join(f"- d({r})/d{name} = ______" for name in leaves)
    forward_head, forward_rows = forward.rows()
    role = {v.label: "parameter" for v in params} | {v.label: "input" for v in inputs}
    forward_rows = [[row[0], role.get(row[0], row[1]) if row[1] == "leaf" else row[1], row[2]] for row in forward_rows]
    forward_md = markdown_table(forward_head, forward_rows)
    intro = f"# {heading}\n\n{roles}.\n\n## Forward pass\n\n{forward_md}\n\n## Backward pass\n\n"
    (out / "blank.md").write_text(
        intro + f"Fill in each empty cell, step by step; d({r})/d({r}) = 1 is given.\n\n"
        f"{markdown_table(*blank_rows(trace))}\n\n## Gradients\n\n{todo}\n",
        encoding="utf-8",
    )
    (out / "steps.md").write_text(intro + f"{trace.to_markdown()}\n\n## Gradients\n\n{found}\n", encoding="utf-8")
    head, rows = blank_rows(trace)
    spec = "".join("p{2cm}" if column in BLANK_COLUMNS else "l" for column in head)
    tex_intro = (
        latex_escape(heading) + "\n\n" + latex_escape(roles) + ".\n\n" + latex_table(forward_head, forward_rows) + "\n"
    )
    (out / "blank.tex").write_text(
        tex_intro + latex_escape(f"Fill in each empty cell; d({r})/d({r}) = 1 is given. Find {asked}.")
        + "\n\n{\\renewcommand{\\arraystretch}{2}\n"
        + latex_table(head, rows, caption=f"backward from {r}", spec=spec) + "}\n",
        encoding="utf-8",
    )  # fmt: skip
    (out / "steps.tex").write_text(tex_intro + trace.to_latex(), encoding="utf-8")
    written += [out / "blank.md", out / "blank.tex", out / "steps.md", out / "steps.tex"]
    return written, trace


def worksheet_command(args: argparse.Namespace, root: Value, leaves: dict[str, Value], heading: str) -> int:
    """Write the worksheet for a parsed expression (``root`` after backward()) and say what was written."""
    written, trace = write_worksheet(root, leaves, heading, args.out, args.format)
    print(f"worksheet for {heading}: {len(trace.steps)} steps")
    print("for the students: " + ", ".join(str(p) for p in written if p.name.startswith("blank")))
    print("for the teacher: " + ", ".join(str(p) for p in written if not p.name.startswith("blank")))
    return 0
