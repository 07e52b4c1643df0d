"""``micrograd-plus exercise``: the default exercise page (where every hint can fire) or one for an expression."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus.cli.commands import main
from micrograd_plus.exercises.backprop import EXERCISE_FORMULA, EXERCISE_POINT


def page_data(path: Path) -> Any:
    return json.loads(re.search(r"const DATA = (.*);\n", path.read_text())[1])  # type: ignore[index]


def test_the_default_exercise(tmp_path: Path, capsys: pytest.CaptureFixture[str], dot_program: str) -> None:
    out = tmp_path / "ex.html"
    assert main(["exercise", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    data = page_data(out)
    assert data["exercise"] is True and data["names"][-1] == "L"
    roles = dict(zip(data["names"], data["roles"]))
    assert [n for n, r in roles.items() if r == "parameter"] == ["w1", "b", "w2"]
    assert {n for n, r in roles.items() if r == "input"} == {"x1", "x2", "y"}
    assert "<title>Exercise: one tanh neuron" in out.read_text()
    for name, value in EXERCISE_POINT.items():
        assert data["data"][data["names"].index(name)] == format(value, ".4g")


def test_an_exercise_for_an_expression(tmp_path: Path, dot_program: str) -> None:
    out = tmp_path / "ex.html"
    assert main(["exercise", "tanh(w*x + b)", "--at", "w=0.5,x=2,b=-1", "--out", str(out)]) == 0
    data = page_data(out)
    roles = dict(zip(data["names"], data["roles"]))
    assert roles["w"] == roles["b"] == "parameter" and roles["x"] == "input"
    assert "<title>Exercise: tanh(w*x + b)</title>" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "a=1"], "--at gives the values of an expression; give the expression too"),
        (["--out", "ex.txt"], "--out ex.txt: end the file name in .html"),
        (["a*b", "--at", "a=1"], "no value for b"),
    ],
)
def test_refusals(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["exercise", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err, err


def test_help_names_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["exercise", "--help"])
    text = capsys.readouterr().out
    assert EXERCISE_FORMULA in " ".join(text.split()) and "``" not in text  # argparse wraps the help


def test_explain_labels_weights_and_biases_as_parameters(tmp_path: Path, dot_program: str) -> None:
    out = tmp_path / "p.html"
    assert main(["explain", "sigmoid(w*x + b)", "--at", "w=0.5,x=2,b=-1", "--player", str(out)]) == 0
    roles = dict(zip(page_data(out)["names"], page_data(out)["roles"]))
    assert roles["w"] == roles["b"] == "parameter" and roles["x"] == "input"
