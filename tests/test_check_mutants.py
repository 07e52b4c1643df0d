"""Mutants of grad_f tell weak test points from good ones; bad input is refused clearly, never passed."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest

from micrograd_plus import check_grad, check_jacobian
from micrograd_plus.check.mutation import make_mutants
from micrograd_plus.check.verdicts import NudgedPointError

pytest_plugins = ["pytester"]
Vector = list[float]


def f(v: Vector) -> float:
    return v[0] * v[1] + 3.0 * v[0] ** 2 - v[1]


def grad_f(v: Vector) -> Vector:
    return [v[1] + 6.0 * v[0], v[0] - 1.0]


def test_every_kind_of_mutant_is_made_from_the_source() -> None:
    mutants, skipped = make_mutants(grad_f)
    assert {m.kind for m in mutants} == {"swap +/-", "×2 a constant", "swap indices", "drop a term"} and not skipped
    line = grad_f.__code__.co_firstlineno + 1
    assert f"line {line}, column 13: v[1] + 6.0 * v[0] → v[1] - 6.0 * v[0]" in [m.where for m in mutants]
    assert all(m.function([0.7, -1.3]) != grad_f([0.7, -1.3]) for m in mutants)
    assert "__mutant__" not in globals() and "grad_f" in globals() and globals()["grad_f"] is grad_f


def test_a_special_point_lets_mutants_pass_and_a_good_one_catches_them() -> None:
    weak = check_grad(f, grad_f, [0.0, 0.0], mutants=True)
    assert weak.ok and weak.mutants is not None and not weak.mutants.ok
    assert weak.mutants.made == 10 and len(weak.mutants.survived) >= 3
    assert "too symmetric or too special" in weak.mutants.summary() and "mutants:" in str(weak)
    assert weak.mutants.diagnosis().startswith("weak test points: ") and len(weak.mutants.diagnosis()) <= 80
    good = check_grad(f, grad_f, [0.7, -1.3], mutants=True)
    assert good.mutants is not None and good.mutants.ok and good.mutants.caught == good.mutants.made == 10


def test_equal_components_hide_swapped_indices() -> None:
    def grad(v: Vector) -> Vector:
        return [v[1], v[0]]

    symmetric = check_grad(lambda v: v[0] * v[1], grad, [2.0, 2.0], mutants=True).mutants
    assert symmetric is not None and [s.split(" at ")[0] for s in symmetric.survived] == ["swap indices"] * 2
    assert check_grad(lambda v: v[0] * v[1], grad, [2.0, 3.0], mutants=True).mutants.ok  # type: ignore[union-attr]


def test_mutants_equal_to_grad_f_everywhere_are_not_counted_as_weakness() -> None:
    def grad(v: Vector) -> Vector:
        return [0.0 * v[0] + 2 * v[0]]  # dropping 0·v[0] changes nothing anywhere

    report = check_grad(lambda v: v[0] ** 2, grad, [1.5], mutants=True).mutants
    assert report is not None and report.ok and report.equivalent


def test_mutants_that_raise_or_return_the_wrong_shape_are_caught() -> None:
    def grad(v: Vector) -> Vector:
        return [0.5 / math.sqrt(v[0] - 2.0)] * 1  # ×2 of 2.0 leaves the domain; ×2 of 1 gives two components

    report = check_grad(lambda v: math.sqrt(v[0] - 2.0), grad, [3.0], mutants=True).mutants
    assert report is not None and report.ok and report.caught == report.made >= 3


def test_closures_methods_and_lambdas_are_mutated() -> None:
    scale = 3.0

    def closure(v: Vector) -> Vector:
        return [scale * 2 * v[0] + 0.5]

    made = check_grad(lambda v: scale * v[0] ** 2 + 0.5 * v[0], closure, [0.8], mutants=True).mutants
    assert made is not None and made.made == 5 and made.ok

    class Model:
        def grad(self, v: Vector) -> Vector:
            return [2 * v[0] + 1.0]

    assert check_grad(lambda v: v[0] ** 2 + v[0], Model().grad, [0.8], mutants=True).mutants.ok  # type: ignore[union-attr]
    same_line = check_grad(lambda x: x * x, lambda x: 2 * x, 0.5, mutants=True).mutants
    assert same_line is not None and same_line.made == 1 and same_line.ok


def test_what_was_not_mutated_is_said() -> None:
    builtin = check_grad(math.sin, math.cos, 0.5, mutants=True).mutants
    assert builtin is not None and builtin.made == 0 and "not a Python function with source" in builtin.summary()
    twins = [lambda x: 2 * x, lambda x: 2 * x]  # two identical lambdas on one line: which one is grad_f?
    ambiguous = check_grad(lambda x: x * x, twins[0], 0.5, mutants=True).mutants
    assert ambiguous is not None and "define grad_f with def" in ambiguous.summary()
    nothing = check_grad(lambda v: v[0] * v[1], lambda v: v, [1.0, 2.0], mutants=False).mutants
    assert nothing is None


def test_while_loops_are_not_mutated_so_no_mutant_loops_forever() -> None:
    def grad(v: Vector) -> Vector:
        k, total = 0, 0.0
        while k < 3:
            total += v[0]
            k += 1
        return [total + 1.0]

    report = check_grad(lambda v: 1.5 * v[0] ** 2 + v[0], grad, [0.6], mutants=True).mutants
    assert report is not None and "while loops were not mutated" in report.summary()
    assert report.made == 4 and report.ok  # total + 1.0: a sign, a doubled constant, either term dropped


def test_jacobian_mutants() -> None:
    def jac(v: Vector) -> list[Vector]:
        return [[v[1], v[0]], [1.0, -1.0]]

    report = check_jacobian(lambda v: [v[0] * v[1], v[0] - v[1]], jac, [0.3, 1.7], mutants=True)
    assert report.ok and report.mutants is not None and report.mutants.ok and report.mutants.made >= 4


# -- bad input: a clear built-in exception or a failing verdict, never a pass ---------------


def _flaky(v: float) -> float:
    return v * v + random.random() * 1e-3


BAD: list[tuple[str, Any, Any, Any, type[Exception], str]] = [
    ("f raises", lambda x: 1 / 0, lambda x: 1.0, 1.0, ValueError, "f(x) raised ZeroDivisionError at the point"),
    ("grad raises", lambda x: x, lambda x: [][1], 1.0, ValueError, "grad_f(x) raised IndexError"),
    ("f is nan", lambda x: math.nan, lambda x: 1.0, 1.0, ValueError, "f(x) is nan at the point checked"),
    ("grad is inf", lambda x: x, lambda x: math.inf, 1.0, ValueError, "grad_f(x) for x is inf"),
    ("f is complex", lambda x: 1j * x, lambda x: 1.0, 1.0, TypeError, "f(x) must be a real number"),
    ("grad has the wrong shape", lambda v: v[0] * v[1], lambda v: [1.0], [1.0, 2.0], ValueError, "1 component for 2"),
    ("f has many outputs", lambda v: [1.0, 2.0], lambda v: [1.0, 1.0], [1.0, 2.0], ValueError, "one number"),
    ("f is random", _flaky, lambda x: 2 * x, 1.0, ValueError, "f(x) is not deterministic"),
    ("grad is random", lambda x: x * x, lambda x: 2 * x + random.random(), 1.0, ValueError, "not deterministic"),
    ("f fails beside x", lambda x: x if x == 1.0 else None, lambda x: 1.0, 1.0, NudgedPointError,
     "r:f failed at x = 1 \\+ .*TypeError.*an error in f \\(or in what it calls\\) at nearby inputs"),
    ("f is nan beside x", lambda v: v[0] + (math.nan if v[1] != 2.0 else 0.0), lambda v: [1.0, 0.0], [1.0, 2.0],
     NudgedPointError, "f failed at x[1] = 2"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "fn", "grad", "x", "error", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_exception(name: str, fn: Any, grad: Any, x: Any, error: type[Exception],
                                          message: str) -> None:  # fmt: skip
    with pytest.raises(error, match=message[2:] if message.startswith("r:") else re.escape(message)) as caught:
        check_grad(fn, grad, x)
    assert "\n" not in str(caught.value)


def test_a_function_wrong_only_at_nudged_points_never_passes() -> None:
    def jumpy(x: float) -> float:  # right at x, a different function everywhere beside it
        return 0.0 if x == 1.0 else 5.0 * x

    report = check_grad(jumpy, lambda x: 0.0, 1.0)
    assert not report.ok


PLUGIN_TESTS = """
def grad(v):
    return [v[1] + 6.0 * v[0], v[0] - 1.0]

def f(v):
    return v[0] * v[1] + 3.0 * v[0] ** 2 - v[1]

def test_weak_point(gradcheck):
    gradcheck(f, grad, [0.0, 0.0])

def test_good_point(gradcheck):
    gradcheck(f, grad, [0.7, -1.3])
"""


def test_the_plugin_option_fails_tests_with_weak_points(pytester: pytest.Pytester, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for variable in ("CI", "BUILD_NUMBER"):
        monkeypatch.delenv(variable, raising=False)
    pytester.makepyfile(test_weak=PLUGIN_TESTS)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)  # off by default
    result = pytester.runpytest("-ra", "--gradcheck-mutants", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    first = [line.split("AssertionError: ", 1)[1] for line in result.outlines if line.startswith("E   ")
             and "AssertionError: " in line]  # fmt: skip
    assert len(first) == 1 and first[0].startswith("weak test points: 7 of 10 mutants of grad_f pass (")
    assert len(first[0]) <= 80
    summary = [line for line in result.outlines if line.startswith("FAILED")]
    assert len(summary) == 1 and len(summary[0]) <= 80 and "weak test points" in summary[0]
    assert "micrograd_plus/check" not in result.stdout.str()  # the checker's frames stay hidden
    pytester.makeini("[pytest]\nmicrograd_mutants = true\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, failed=1)


def test_the_same_text_twice_on_a_line_is_told_apart_and_long_lists_are_counted() -> None:
    def f(x: list[float]) -> float:
        return x[0] ** 2 * x[1] + 3.0 * x[1]

    def grad(x: list[float]) -> list[float]:
        return [2 * x[0] * x[1], x[0] ** 2 + 3.0]

    mutants, _ = make_mutants(grad)
    wheres = [m.where for m in mutants]
    assert len(wheres) == len(set(wheres)), wheres
    report = check_grad(f, grad, [1.0, 1.0], mutants=True).mutants
    assert report is not None and len(report.survived) == 4
    assert report.summary().count("swap indices") == 2 and "and 1 more" in report.summary()
