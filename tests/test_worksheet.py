"""The worksheet: blank tables for the students beside the answers, and weights and biases labelled parameters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from micrograd_plus import Value
from micrograd_plus.cli.commands import main
from micrograd_plus.cli.worksheet import BLANK_COLUMNS, blank_rows, is_parameter_name, leaf_roles
from micrograd_plus.viz.explain import explain_backward


def cells(table: str) -> list[list[str]]:
    """The rows of a Markdown table as lists of cells (the header and the rule dropped)."""
    lines = [line for line in table.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]


def section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(
    ("name", "parameter"),
    [("w", True), ("w1", True), ("w_out", True), ("W2", True), ("b", True), ("b12", True), ("bias", True),
     ("weights", True), ("x", False), ("x1", False), ("beta", False), ("bx", False), ("wx", False), ("y", False)],
)  # fmt: skip
def test_weights_and_biases_are_parameters_by_name(name: str, parameter: bool) -> None:
    assert is_parameter_name(name) is parameter


def test_leaf_roles_split_in_the_given_order() -> None:
    leaves = {n: Value(1.0, label=n) for n in ("x", "w", "b", "y")}
    params, inputs = leaf_roles(leaves)
    assert [v.label for v in params] == ["w", "b"] and [v.label for v in inputs] == ["x", "y"]


def test_blank_rows_empty_what_the_student_computes() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    root = (a * b + a).named("f")
    trace = explain_backward(root)
    head, rows = blank_rows(trace)
    full = trace.rows()[1]
    assert len(rows) == len(full) == 4
    for row, answer in zip(rows, full):
        for column, cell, given in zip(head, row, answer):
            if column in BLANK_COLUMNS and not (column == "upstream" and row[0] == "1"):
                assert cell == ""
            else:
                assert cell == given  # step, node, op, parent and which contribution stay
    assert rows[0][head.index("upstream")] == "1"  # d(f)/d(f) = 1 is where every backward pass starts


def test_worksheet_files_for_students_and_teacher(tmp_path: Path, dot_program: str) -> None:
    out = tmp_path / "sheet"
    assert main(["worksheet", "tanh(w1*x1 + w2*x2 + b)", "--at", "w1=0.5,x1=2,w2=-1,x2=1.5,b=0.3", "--out",
                 str(out)]) == 0  # fmt: skip
    blank, answers = (out / "blank.md").read_text(), (out / "steps.md").read_text()
    for text in (blank, answers):
        assert "parameters (learned): w1 = 0.5, w2 = -1, b = 0.3; inputs (given): x1 = 2, x2 = 1.5." in text
        forward = {row[0]: row[1] for row in cells(section(text, "Forward pass"))}
        assert forward["w1"] == forward["b"] == "parameter" and forward["x2"] == "input"
    table = cells(section(blank, "Backward pass"))
    assert len(table) == 9 and all(row[5:8] == ["", "", ""] for row in table)  # local, product, total: blank
    assert [row[3] for row in table] == ["1"] + [""] * 8
    assert "- d(out)/dw1 = ______" in blank and not re.search(r"0\.96|1\.922|0\.4805", blank)  # no answer
    assert "- d(out)/dw1 = 1.922" in answers and "0.961" in answers
    drawing = (out / "blank.dot").read_text()
    assert drawing.count(">parameter<") == 3 and drawing.count(">input<") == 2
    tex = (out / "blank.tex").read_text()
    assert "p{2cm}" in tex and "parameters (learned): w1 = 0.5" in tex
    assert re.search(r"\n1 & out & tanh & 1 & \\#(\d+) &  &  &  & 1st contribution to \\#\1 ", tex)  # upstream 1 given
    assert "w1 & parameter & 0.5" in tex and "x1 & input & 2" in tex
    assert "0.961" not in tex and "0.961" in (out / "steps.tex").read_text()
