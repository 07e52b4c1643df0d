"""The pytest plugin, run inside pytest's own ``pytester``: fixtures, one-sentence failures, ini defaults."""

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
    sign = by_test["test_sign_flipped"]
    assert sign.endswith(
        "AssertionError: check_grad FAILED: 1 of 2 components wrong: only x0 is wrong (the other 1 agree): "
        "sign flipped (analytic -6, numeric 6)"
    )
    assert by_test["test_helper_factor_two"].endswith("x: factor 2 too large (analytic 13.5, numeric 6.75)")
    assert by_test["test_values_with_a_wrong_op"].endswith(
        "gradcheck FAILED: 2 of 2 inputs wrong: all 2 wrong components are off by the same factor 1.0005 (+0.050%)"
    )
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
