"""The pytest plugin, run inside pytest's own ``pytester``: fixtures, failures whose first line is the diagnosis,
hidden plugin frames, ini defaults."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

TESTS = """
import math
from micrograd_plus import Value
from micrograd_plus.check.pytest_plugin import assert_grad

def test_right(gradcheck):
    report = gradcheck(lambda v: v[0] * math.sin(v[1]), lambda v: [math.sin(v[1]), v[0] * math.cos(v[1])], [2.0, 0.5])
    assert report.ok

def test_sign_flipped(gradcheck):
    gradcheck(lambda v: v[0] ** 2 + v[1], lambda v: [-2 * v[0], 1.0], [3.0, 1.0])

def test_helper_factor_two():
    assert_grad(lambda x: x ** 3, lambda x: 6 * x ** 2, 1.5)

def test_values_with_a_wrong_op(gradcheck):
    def bad_tanh(x):
        t = math.tanh(x.data)
        return Value.from_op(t, [x], [(1 - t * t) * 1.0005], "tanh")
    gradcheck.values(lambda x, y: bad_tanh(x * y), [0.5, 2.0])

def test_jacobian(gradcheck):
    gradcheck.jacobian(lambda v: [v[0] * v[1], v[0]], lambda v: [[v[1], v[0]], [1.0, 0.0]], [2.0, 3.0])
"""


def test_the_plugin_is_registered_as_an_entry_point() -> None:
    names = {e.value for e in entry_points(group="pytest11")}
    assert "micrograd_plus.check.pytest_plugin" in names


def test_failures_are_one_sentence_in_the_short_summary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gradients=TESTS)
    result = pytester.runpytest("-ra", "-vv", "-p", "no:cacheprovider")  # -vv: summary lines are not cut
    result.assert_outcomes(passed=2, failed=3)
    summary = [line for line in result.outlines if line.startswith("FAILED")]
    assert len(summary) == 3
    by_test = {line.split("::")[1].split(" ")[0]: line for line in summary}
    assert by_test["test_sign_flipped"].endswith(" - sign flipped at x[0]: analytic -6, numeric 6")
    assert by_test["test_helper_factor_two"].endswith("factor 2 too large at x: analytic 13.5, numeric 6.75")
    assert by_test["test_values_with_a_wrong_op"].endswith(
        "off by +0.050% at x0 (+1 more): analytic 0.840369, numeric 0.839949"
    )
    result.stdout.fnmatch_lines(["*only x[[]0[]] is wrong (the other 1 agree): sign flipped*"])  # the verdict follows
    result.stdout.fnmatch_lines(["*check_local_grads(f(...)) names the op whose local derivative is wrong*"])
    result.stdout.fnmatch_lines(["*component  value*analytic*numeric*"])  # the table follows the sentence


def test_ini_options_set_the_fixture_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmicrograd_rtol = 0.01\nmicrograd_method = central\n")
    pytester.makepyfile(
        test_loose="""
def test_loose(gradcheck):
    report = gradcheck(lambda x: x * x, lambda x: 2.001 * x, 1.0)  # 0.05% off passes rtol = 1%
    assert report.method == "central" and report.rtol == 0.01
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_bad_ini_options_are_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmicrograd_atol = tiny\n")
    pytester.makepyfile(test_bad="def test_bad(gradcheck):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*micrograd_atol and micrograd_rtol must be numbers*"])


PARAMETERS = """
import numpy as np
from micrograd_plus.check.pytest_plugin import assert_grad, assert_jacobian

W = np.arange(16.0).reshape(4, 4) / 20 - 0.3
B = np.array([0.3, -0.7, 1.1, 0.5])

def loss(p):
    return float(np.sum(np.tanh(p["W1"] @ B + p["b"]) ** 2))

def grad(p):
    t = np.tanh(p["W1"] @ B + p["b"])
    d = 2 * t * (1 - t * t)
    g = {"W1": np.outer(d, B), "b": d.copy()}
    g["W1"][1, 2] *= -1
    return g

def test_fixture_with_a_parameter_dict(gradcheck):
    gradcheck(loss, grad, {"W1": W, "b": B})

def test_helper_with_a_matrix():
    assert_grad(lambda w: float(np.sum(w @ w)), lambda w: (np.ones((3, 3)) @ w.T + w.T @ np.ones((3, 3))).T,
                np.arange(9.0).reshape(3, 3) / 7)

def test_jacobian_helper():
    assert_jacobian(lambda v: [v[0] * v[1], v[1]], lambda v: [[v[1], -v[0]], [0.0, 1.0]], [2.0, 3.0])
"""


def test_the_failure_line_fits_80_columns_and_hides_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("numpy")
    monkeypatch.setenv("COLUMNS", "80")
    for variable in ("CI", "BUILD_NUMBER"):  # pytest never shortens its summary lines on CI: run as on a terminal
        monkeypatch.delenv(variable, raising=False)
    pytester.makepyfile(test_params=PARAMETERS)
    result = pytester.runpytest("-ra", "--showlocals", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    text = result.stdout.str()
    assert "micrograd_plus/check" not in text and "micrograd_plus\\check" not in text  # no frame of the checker
    assert "report = " not in text and "settings = " not in text  # nor its locals (--showlocals)
    first = [line.split("AssertionError: ", 1)[1] for line in result.outlines if line.startswith("E   ")
             and "AssertionError: " in line]  # fmt: skip
    assert first == [
        "sign flipped at W1[1, 2]: analytic 0.846558, numeric -0.846558",
        "x is transposed at x[0, 1] (+5 more): analytic 2.14286, numeric 3",
        "sign flipped at df[0]/dx[1]: analytic -2, numeric 2",
    ], text
    assert all(len(line) <= 80 for line in first)
    summary = [line for line in result.outlines if line.startswith("FAILED")]
    assert len(summary) == 3 and all(len(line) <= 80 for line in summary), summary
    assert summary[0].startswith("FAILED test_params.py::test_fixture_with_a_parameter_dict - sign flipped at W")
    assert all(any(kind in line for kind in ("sign flipped", "transposed")) for line in summary), summary


def test_gradcheck_with_three_arguments_points_to_check_grad() -> None:
    from micrograd_plus import gradcheck

    for call in (lambda: gradcheck(lambda x: x * x, lambda x: 2 * x, 1.0),
                 lambda: gradcheck(lambda x: x * x, lambda x: 2 * x, [1.0], method="central")):  # fmt: skip
        with pytest.raises(TypeError, match=r"takes 2 positional arguments, got 3; .*use check_grad\(f, grad_f, x\)"):
            call()
