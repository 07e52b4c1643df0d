"""The command line, run as a user would: exit codes, output, files, and every refused expression."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "micrograd_plus", *args], capture_output=True, text=True, timeout=300)


def test_demo_trains_and_writes_its_files(tmp_path: Path, dot_program: str) -> None:
    done = run("demo", "--steps", "40", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "MLP(n_in=2, sizes=[16, 16, 1]" in done.stdout
    accuracies = [float(a) for a in re.findall(r"accuracy\s+([\d.]+)%", done.stdout)]
    assert accuracies[0] <= 60.0 and accuracies[-1] >= 90.0  # it learns
    assert re.search(r"step\s+40/40", done.stdout)  # training reached the end
    assert "replayed 39x" in done.stdout  # every step after the first replayed the compiled graph
    regions = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert len(regions) == 20 and any("x" in r for r in regions) and any("o" in r for r in regions)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "decision_boundary.png",
        "exercise.html",
        "model.json",
        "neuron.dot",
        "neuron.svg",
        "player.html",
        "training.html",
    ]
    assert "open " + str(out / "player.html") + " first" in done.stdout
    history = json.loads(re.search(r"const HISTORY = (.*);\n", (out / "training.html").read_text())[1])  # type: ignore[index]
    assert [f["step"] for f in history] == list(range(1, 41))  # the steps the terminal prints, from 1
    printed = {
        int(m[0]): (float(m[1]), float(m[2]))
        for m in re.findall(r"step\s+(\d+)/40\s+loss ([\d.]+)\s+accuracy\s+([\d.]+)%", done.stdout)
    }
    assert set(printed) >= {1, 40}
    for frame in history:  # the page and the terminal measure the loss and the accuracy at one point
        if frame["step"] in printed:
            assert printed[frame["step"]] == (round(frame["loss"], 4), round(100 * frame["accuracy"], 1))
    assert "measured before its update" in done.stdout
    assert (out / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "model.json").read_text())["architecture"]["sizes"] == [16, 16, 1]
    assert "<b>w1</b>" in (out / "neuron.dot").read_text() and "<svg" in (out / "neuron.svg").read_text()
    assert "const DATA" in (out / "player.html").read_text()


@pytest.mark.parametrize("steps", ["0", "-3"])
def test_demo_rejects_bad_steps(steps: str) -> None:
    done = run("demo", "--steps", steps)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == f"micrograd-plus demo: error: --steps must be a whole number >= 1, got {steps}"


@pytest.mark.parametrize("steps", [0, -1, 2.0, True, "10", None])
def test_demo_function_checks_its_steps_first(steps: object, capsys: pytest.CaptureFixture[str]) -> None:
    from micrograd_plus.cli.demo import demo

    with pytest.raises(ValueError, match=r"^steps must be a whole number >= 1, got "):
        demo(steps)  # type: ignore[arg-type]
    assert capsys.readouterr().out == ""  # refused before any training or printing


def test_explain_prints_forward_backward_and_gradients() -> None:
    done = run("explain", "tanh(a*b + c)", "--at", "a=2,b=-3,c=6.5")
    assert done.returncode == 0, done.stderr
    assert "#1    a * b        -6" in done.stdout
    assert "1 − tanh(#2)² = 1 − 0.4621² = 0.7864" in done.stdout  # the real operand, not a generic x
    assert re.search(r"d\(out\)/da = -2\.359\n\s+d\(out\)/db = 1\.573\n\s+d\(out\)/dc = 0\.7864", done.stdout)


def test_explain_writes_graph_and_player(tmp_path: Path, dot_program: str) -> None:
    done = run("explain", "log(x) ** 2", "--at", "x=3", "--graph", str(tmp_path / "g.svg"), "--player",
               str(tmp_path / "p.html"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml") and (tmp_path / "p.html").exists()


def test_explain_writes_an_exercise_player(tmp_path: Path, dot_program: str) -> None:
    done = run(
        "explain", "sigmoid(w*x+b)", "--at", "w=0.5,x=2,b=-1", "--player", str(tmp_path / "p.html"), "--exercise"
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "p.html").read_text()
    assert "<title>Exercise: sigmoid(w*x+b)</title>" in page and '"exercise": true' in page


def test_worksheet_writes_blank_answers_and_tables(tmp_path: Path, dot_program: str) -> None:
    out = tmp_path / "sheet"
    done = run("worksheet", "sigmoid(w*x+b)", "--at", "w=0.5,x=2,b=-1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "answers.dot", "answers.svg", "blank.dot", "blank.md", "blank.svg", "blank.tex", "steps.md", "steps.tex"
    ]  # fmt: skip
    assert "grad " not in (out / "blank.dot").read_text() and "grad 0.5" in (out / "answers.dot").read_text()
    assert "label=<0.25>" not in (out / "blank.dot").read_text()  # no local derivatives on a blank sheet
    assert "σ(#2)·(1 − σ(#2)) = 0.5·(1 − 0.5) = 0.25" in (out / "steps.md").read_text()
    tex = (out / "steps.tex").read_text()
    assert "\\begin{table}" in tex and "\\ensuremath{\\sigma}(\\#2)" in tex and "\\end{tabular}" in tex
    refused = run("worksheet", "x", "--at", "x=1")
    assert refused.returncode == 2 and "--out" in refused.stderr


def test_the_demo_neuron_is_live() -> None:
    from micrograd_plus.cli.demo import demo_neuron
    from micrograd_plus.data import make_moons
    from micrograd_plus.nn import MLP

    X, _ = make_moons(100, noise=0.1, seed=1)
    for seed in range(4):
        o, params, inputs = demo_neuron(MLP(2, [16, 16, 1], seed=seed), X)
        assert o.data > 0 and all(leaf.grad != 0 for leaf in [*params, *inputs])


def test_gradcheck_passes_and_fails_with_exit_codes() -> None:
    done = run("gradcheck", "x * sin(y) + exp(-x) / y", "--at", "x=0.3,y=1.7")
    assert done.returncode == 0 and done.stdout.startswith("gradcheck passed: 2 inputs")
    kink = run("gradcheck", "relu(x) + abs(y)", "--at", "x=0,y=1")  # relu′(0) = 0 lies between the one-sided slopes
    assert kink.returncode == 0 and "kink: the analytic value is a valid subgradient" in kink.stdout


def test_gradcheck_options_and_bounded_numbers() -> None:
    huge = run("gradcheck", "x*3", "--at", "x=1e20")
    assert huge.returncode == 0 and "x      1e+20  3         3  " in huge.stdout
    assert max(len(line) for line in huge.stdout.splitlines()) < 120  # %.8g, not 300 digits of fixed point
    central = run("gradcheck", "exp(x)*y", "--at", "x=300,y=1e100", "--method", "central", "--rtol", "1e-6")
    assert central.returncode == 0 and "(central, h ≈ 1e-06·max(1, |x|), atol=1e-300, rtol=1e-06)" in central.stdout
    tiny = run("gradcheck", "x*y*1e-12", "--at", "x=0.5,y=2")  # the defaults: no absolute tolerance to hide in
    assert tiny.returncode == 0 and "(richardson, h ≈ 0.001·max(1, |x|), atol=1e-300, rtol=1e-07)" in tiny.stdout
    helped = run("gradcheck", "--help")
    assert "default 1e-300" in helped.stdout and "default 1e-07" in helped.stdout
    assert "1.9424264e+230" in central.stdout
    loose = run("gradcheck", "relu(x)", "--at", "x=1", "--atol", "0", "--eps", "1e-4")
    assert loose.returncode == 0 and "h ≈ 0.0001·max(1, |x|), atol=0," in loose.stdout
    for args, message in [
        (["--method", "complex"], r"--method: invalid choice: 'complex' \(choose from 'richardson', 'central'\)"),
        (["--atol", "-1"], r"atol must be a (finite )?number >= 0, got -1\.0"),
        (["--atol", "nan"], r"atol must be a (finite )?number >= 0, got nan"),
        (["--rtol", "inf"], r"rtol must be a (finite )?number >= 0, got inf"),
        (["--eps", "0"], r"eps must be a (positive|finite) number"),
    ]:
        done = run("gradcheck", "x*3", "--at", "x=2", *args)
        assert done.returncode == 2 and re.search(message, done.stderr) and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("expression", "at", "message"),
    [
        ("x.real", "x=1", "unsupported syntax: attribute access at column 1"),
        ("x[0]", "x=1", "unsupported syntax: subscripts"),
        ("(lambda: 1)()", "", "unknown function"),
        ("lambda: 1", "", "unsupported syntax: lambdas"),
        ("__import__('os').system('true')", "", "unknown function \"__import__('os').system\""),
        ("__import__('os')", "", "unknown function '__import__'"),
        ("open('f')", "", "unknown function 'open'"),
        ("x if x else 1", "x=1", "unsupported syntax: if-expressions"),
        ("x < 1", "x=1", "unsupported syntax: comparisons"),
        ("x // 2", "x=1", "unsupported operator FloorDiv"),
        ("'a' * 3", "", "only numbers may appear as constants, got 'a'"),
        ("_secret + 1", "_secret=1", "names may not start with '_'"),
        ("tanh", "", "'tanh' is a function; call it"),
        ("tanh(x, 2)", "x=1", "tanh() takes 1 positional argument"),
        ("tanh(x=1)", "", "tanh() takes 1 positional argument"),
        ("a +", "a=1", "syntax error in 'a +'"),
        ("", "", "the expression is empty"),
        ("a * b", "a=1", "no value for b; give one with --at b=1.0"),
        ("a", "a=1,z=2", "z does not appear in 'a'"),
        ("a", "a=one", "a must be a finite number, got str 'one'"),
        ("a", "a=", "a must be a finite number, got str ''"),
        ("a", "a=inf", "a must be a finite number, got inf"),
        ("a", "a=-1e999", "a must be a finite number, got -inf"),
        ("a", "a=1,a=2", "a is given twice"),
        ("a", "a", "cannot read 'a'; write values as name=number"),
        ("a", "a=nan", "a must be a finite number, got nan"),
        ("log(a)", "a=-1", "log is undefined for x = -1.0 (node 'a')"),
        ("1 / a", "a=0", "division by zero"),
    ],
)
@pytest.mark.parametrize("command", ["explain", "gradcheck"])
def test_refused_expressions(command: str, expression: str, at: str, message: str) -> None:
    done = run(command, expression, *(["--at", at] if at else []))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"micrograd-plus {command}: error: ") and message in lines[0]


def test_help_and_version() -> None:
    for args in (["--help"], ["demo", "--help"], ["explain", "--help"], ["gradcheck", "--help"]):
        done = run(*args)
        assert done.returncode == 0 and "usage: micrograd-plus" in done.stdout
    assert run("--version").stdout.startswith("micrograd-plus 0.")


@pytest.mark.parametrize("command", [None, "demo", "explain", "exercise", "gradcheck", "worksheet"])
def test_help_is_plain_text(capsys: pytest.CaptureFixture[str], command: str | None) -> None:
    """Help shows no reStructuredText marks from the docstrings it is built from, and no choice that always fails."""
    code, out, _ = main_result(capsys, *([command] if command else []), "--help")
    assert code == 0 and out.startswith("usage: micrograd-plus")
    assert "``" not in out and not re.search(r":[a-z]+:`", out) and "`" not in out
    assert "complex" not in out


def test_plain_removes_rst_marks() -> None:
    from micrograd_plus.cli.commands import plain

    assert plain("The ``micrograd-plus`` tool; see :func:`~micrograd_plus.viz.explain` and ``a * b``.") == (
        "The micrograd-plus tool; see micrograd_plus.viz.explain and a * b."
    )


# -- refused before any work, in one line ---------------------------------------------------


def main_result(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from micrograd_plus.cli.commands import main

    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse's own errors
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "x", "--at", "x=1", "--format", "zz"], "--format 'zz' is not a number format"),
        (["explain", "x", "--at", "x=1", "--format", "d"], "--format 'd' is not a number format"),
        (["explain", "x", "--at", "x=1", "--format", "2000000000"], "width 2000000000, precision 0; the limits"),
        (["explain", "x", "--at", "x=1", "--format", ".500f"], "precision 500"),
        (["explain", "x", "--at", "x=1", "--graph", "x.jpg"], "--graph x.jpg: end the file name in .svg, .png or .pdf"),
        (["explain", "x", "--at", "x=1", "--player", "x.txt"], "--player x.txt: end the file name in .html"),
        (["explain", "x^2", "--at", "x=1"], "'^' is bitwise xor in Python, not a power at column 1; write x ** 2"),
        (["explain", "2x + 1", "--at", "x=1"], "invalid decimal literal; for a product write 2*x"),
        (["explain", "3.5y", "--at", "y=1"], "for a product write 3.5*y"),
        (["explain", "tanhh(x)", "--at", "x=1"], "unknown function 'tanhh' at column 1; did you mean 'tanh'?"),
        (["gradcheck", "sigmod(x)", "--at", "x=1"], "did you mean 'sigmoid'?"),
        (["explian", "x"], "micrograd-plus: error: unknown command 'explian'; did you mean 'explain'?"),
        (["zzz"], "unknown command 'zzz'; choose from demo, explain, exercise, gradcheck, worksheet"),
        (["explain", "x", "--at", "if=1"], "'if' cannot be a variable name"),
        (["explain", "x", "--at", "_x=1"], "'_x' cannot be a variable name"),
        (["explain", "x*1e300*1e300", "--at", "x=1e-300"], "overflowed to inf in backward"),
        (["explain", "-" * 5000 + "x", "--at", "x=1"], "nested too deeply for Python's parser"),
        (["explain", "x" + "+x" * 49_999, "--at", "x=1"], "99,999 characters long; the limit is 10,000"),
        (["explain", "x", "--at", "x=1", "--eps", "1"], "unrecognized arguments: --eps 1"),
        (["explain"], "required: expression (an expression that starts with '-' goes after --"),
        (["explain", "a+b", "--at", "a=1", "--at", "a=2"], "a is given twice, in --at a=1 and in --at a=2; give each"),
        (["explain", "a+b", "--at", "a=1,b=2", "--at", "b=2"], "b is given twice, in --at a=1,b=2 and in --at b=2"),
        (["gradcheck", "a+b", "--at", "b=1", "--at=a=1", "--at", "b=1"], "b is given twice, in --at b=1 and in"),
        (["worksheet", "a", "--at", "a=1", "--at", "a=1", "--out", "w"], "a is given twice"),
        (["explain", "\u00b5", "--at", "\u00b5=1", "--at", "\u03bc=2"], "\u03bc is given twice, in --at \u00b5=1 and"),
        (["explain", "a", "--at", "a=1", "--at", "a=x"], "a must be a finite number, got str 'x'"),
        (["explain", "a", "--at", "a=1", "--exercise"], "--exercise needs --player FILE"),
        (["explain", "a", "--at", "a=1", "--exercise", "--graph", "g.svg"], "--exercise needs --player FILE"),
        (["explain", "a", "--at", "a=1", "--exer"], "--exercise needs --player FILE"),
        (["gradcheck", "a", "--at", "a=1", "--method", "complex"], "invalid choice: 'complex'"),
        (["gradcheck", "a", "--at", "a=1", "--method", "complex"], "expressions are built from real Values"),
        (["gradcheck", "a", "--at", "a=1", "--method", "nope"], "--method: invalid choice: 'nope' (choose from"),
    ],
)
def test_refused_in_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = main_result(capsys, *args)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_output_paths_are_checked_before_the_work(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("keep")
    cases = [
        (["explain", "x", "--at", "x=1", "--graph", str(tmp_path)], "is a directory; give a file name inside it"),
        (["explain", "x", "--at", "x=1", "--graph", str(tmp_path / "no" / "g.svg")], "does not exist; create it"),
        (["explain", "x", "--at", "x=1", "--player", str(tmp_path / "no" / "p.html")], "does not exist"),
        (["explain", "x", "--at", "x=1", "--graph", str(a_file / "g.svg")], "does not exist"),
        (["demo", "--steps", "1", "--out", str(a_file)], "exists and is not a directory"),
        (["demo", "--steps", "1", "--out", str(a_file / "sub")], "exists and is not a directory"),
    ]
    for args, message in cases:
        code, out, err = main_result(capsys, *args)
        assert (code, out) == (2, ""), args  # no training, no printing: the path was checked first
        assert len(err.splitlines()) == 1 and message in err, err
    assert a_file.read_text() == "keep" and sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.mark.parametrize(
    ("args", "gradient"),
    [
        (["explain", "-a*b", "--at", "a=1,b=2"], "d(out)/da = -2"),
        (["explain", "--at", "a=1,b=2", "-a*b"], "d(out)/db = -1"),
        (["explain", "--", "-a*b", "--at", "a=1,b=2"], "d(out)/da = -2"),
        (["explain", "self * 2", "--at", "self=3"], "d(out)/dself = 2"),
        (["explain", "x" + "+x" * 999, "--at", "x=1"], "d(out)/dx = 1000"),
        (["explain", "x" + "**x" * 999, "--at", "x=1"], "d(out)/dx = 1"),
        (["explain", "-" * 900 + "x", "--at", "x=1"], "d(out)/dx = 1"),
        (["explain", "x", "--at", "x=1.5", "--format=+.3e"], "d(x)/dx = +1.000e+00"),
        (["explain", "a*b", "--at", "a=3", "--at", "b=2"], "d(out)/da = 2"),
        (["explain", "a*b*c", "--at", "a=3", "--at=b=2,c=1", "--at", ""], "d(out)/dc = 6"),
        (["gradcheck", "a*b", "--at", "a=3", "--at", "b=2"], "gradcheck passed: 2 inputs"),
    ],
)
def test_accepted(capsys: pytest.CaptureFixture[str], args: list[str], gradient: str) -> None:
    code, out, err = main_result(capsys, *args)
    assert code == 0 and err == "" and gradient in out


def test_gradcheck_of_names_that_clash_with_python(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = main_result(capsys, "gradcheck", "self * cls + x1", "--at", "self=2,cls=3,x1=1")
    assert code == 0 and out.startswith("gradcheck passed: 3 inputs")


@pytest.mark.parametrize(
    "expression",
    ["x" + "+x" * 49_999, "-" * 100_000 + "x", "x" + "**x" * 20_000, "(" * 300 + "x" + ")" * 300],
    ids=["50000-term sum", "100000 minus", "20000 powers", "300 parentheses"],
)
def test_huge_expressions_fail_fast_as_a_user_sees_it(expression: str) -> None:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "micrograd_plus", "explain", expression, "--at", "x=1"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert time.perf_counter() - start < 20
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("micrograd-plus explain: error: ")


# -- names read as Python reads identifiers (NFKC) ------------------------------------------

# (as typed, as Python reads it): the micro sign, a fullwidth letter, a ligature, the Kelvin sign
SPELLINGS = [("\u00b5", "\u03bc"), ("\uff58", "x"), ("\ufb01", "fi"), ("\u212a", "K")]


@pytest.mark.parametrize(("typed", "read"), SPELLINGS, ids=["micro", "fullwidth", "ligature", "kelvin"])
@pytest.mark.parametrize("where", ["expression", "at", "both"])
@pytest.mark.parametrize("command", ["explain", "gradcheck"])
def test_names_are_read_as_python_reads_them(
    capsys: pytest.CaptureFixture[str], command: str, where: str, typed: str, read: str
) -> None:
    in_expression = typed if where in ("expression", "both") else read
    in_at = typed if where in ("at", "both") else read
    code, out, err = main_result(capsys, command, f"{in_expression} * y", "--at", f"{in_at}=2,y=3")
    assert (code, err) == (0, ""), err
    if command == "explain":
        assert f"d(out)/d{read} = 3\n" in out and "d(out)/dy = 2\n" in out
    else:
        assert out.startswith("gradcheck passed: 2 inputs")


def test_a_worksheet_reads_names_as_python_does(tmp_path: Path) -> None:
    from micrograd_plus.cli.commands import main

    assert main(["worksheet", "\u00b5 * \uff58", "--at", "\u03bc=2,x=3", "--out", str(tmp_path)]) == 0
    assert "blank.dot" in {p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize(
    ("expression", "at", "message"),
    [
        ("x*\u00b5", "x=2,m=3", "no value for \u00b5 (read as \u03bc); give one with --at \u00b5=1.0"),
        ("\uff59 * 2", "Y=1", "no value for \uff59 (read as y)"),  # NFKC keeps case: Y is not y
        ("\ufb01", "f=1", "no value for \ufb01 (read as fi)"),  # the ligature is two letters, not one
        ("\u212a", "k=1", "no value for \u212a (read as K)"),  # the Kelvin sign is a capital K
        ("x", "x=1,\uff5a=2", "\uff5a (read as z) does not appear in 'x'"),
        ("x", "\u00b5=1,\u03bc=2", "\u03bc is given twice in '\u00b5=1,\u03bc=2' (\u00b5 and \u03bc are one name"),
        ("x", "x=1,\uff58=2", "x is given twice in 'x=1,\uff58=2' (x and \uff58 are one name to Python)"),
        ("\u00b5", "\u00b5=nan", "\u00b5 must be a finite number, got nan"),
        ("\u00b5 + x.real", "x=1", "attribute access at column 5"),  # columns count characters, not UTF-8 bytes
        ("\u00b5\u00b5 + 2x", "x=1", "at column 6: invalid decimal literal"),
        ("\uff54\uff41\uff4e\uff48", "", "'tanh' is a function; call it"),
    ],
)
def test_names_that_python_reads_differently_are_refused_clearly(
    capsys: pytest.CaptureFixture[str], expression: str, at: str, message: str
) -> None:
    code, out, err = main_result(capsys, "explain", expression, *(["--at", at] if at else []))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and message in err, err
