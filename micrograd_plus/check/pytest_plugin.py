"""pytest integration, registered through the package's ``pytest11`` entry point: installed, it is active.

Tests get the ``gradcheck`` fixture, a checker whose calls fail the test with a
first line that says what is wrong and where, in at most 80 characters
(``sign flipped at W1[1, 2]: analytic 0.5, numeric -0.5``, what ``pytest -ra``
prints as the short summary, without the exception's name), then the verdict and the whole table; the
plugin's own frames are hidden from the traceback; ``assert_grad`` and ``assert_jacobian`` do the same without
a fixture. Defaults come from the ini options ``micrograd_method``,
``micrograd_atol`` and ``micrograd_rtol`` (unset: each check's own), and
``micrograd_mutants`` or the command-line flag ``--gradcheck-mutants`` makes the
fixture run mutants of grad_f too (:mod:`micrograd_plus.check.weak_points`).

.. code-block:: python

    def test_my_gradient(gradcheck):
        gradcheck(lambda v: v[0] * v[1], lambda v: [v[1], v[0]], [2.0, 3.0])
        gradcheck.values(lambda x, y: (x * y).tanh(), [0.5, -1.0])  # functions of Values
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from micrograd_plus.check.functions import assert_grad, assert_jacobian, check_grad, check_jacobian
from micrograd_plus.check.reports import GradcheckReport, JacobianReport, check_failed
from micrograd_plus.check.values import gradcheck as gradcheck_values
from micrograd_plus.engine import Value

__all__ = ["GradientChecker", "assert_grad", "assert_jacobian", "gradcheck"]

_VALUE_HINT = "check_local_grads(f(...)) names the op whose local derivative is wrong"


class GradientChecker:
    """Derivative checks that fail the test: ``checker(f, grad_f, x)``, ``.jacobian(f, jac_f, x)`` and
    ``.values(f, inputs)`` for functions of Values; each returns its report when it passes. With
    ``mutants=True`` (the ``--gradcheck-mutants`` option) a check also fails when a mutant of grad_f passes at
    the test's points: they are too weak to catch such a bug."""

    def __init__(self, mutants: bool = False, **defaults: Any) -> None:
        self.mutants = mutants
        self.defaults = defaults

    def _fail_unless_ok(self, report: GradcheckReport, hint: str) -> None:
        __tracebackhide__ = True  # the test's own line is what matters, not the checker's frames
        if not report.ok:
            raise check_failed(report.failure_message(hint))
        if report.mutants is not None and not report.mutants.ok:
            raise check_failed(f"{report.mutants.diagnosis()}\n{report.mutants.summary()}\n{report}")

    def __call__(
        self, f: Callable[[Any], Any], grad_f: Callable[[Any], Any], x: Any, **options: Any
    ) -> GradcheckReport:
        __tracebackhide__ = True
        report = check_grad(f, grad_f, x, **{"mutants": self.mutants, **self.defaults, **options})
        self._fail_unless_ok(report, "(analytic = grad_f(x), numeric = estimated from f)")
        return report

    def jacobian(self, f: Callable[[Any], Any], jac_f: Callable[[Any], Any], x: Any, **options: Any) -> JacobianReport:
        __tracebackhide__ = True
        report = check_jacobian(f, jac_f, x, **{"mutants": self.mutants, **self.defaults, **options})
        self._fail_unless_ok(report, "(analytic = jac_f(x), numeric = estimated from f)")
        return report

    def values(
        self,
        f: Callable[..., Value | Sequence[Value]],
        inputs: Sequence[float] | Mapping[str, float],
        **options: Any,
    ) -> GradcheckReport:
        __tracebackhide__ = True
        report = gradcheck_values(f, inputs, **{**self.defaults, **options})
        self._fail_unless_ok(report, _VALUE_HINT)
        return report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("micrograd_method", "numeric derivative of the gradcheck fixture", default="richardson")
    parser.addini(
        "micrograd_atol", "absolute tolerance of the gradcheck fixture (default: each check's own)", default=""
    )
    parser.addini(
        "micrograd_rtol", "relative tolerance of the gradcheck fixture (default: each check's own)", default=""
    )
    parser.addini("micrograd_mutants", "also run mutants of grad_f at the test's points", type="bool", default=False)
    parser.addoption(
        "--gradcheck-mutants",
        action="store_true",
        help="the gradcheck fixture also fails a test whose points cannot tell mutants of grad_f from it",
    )


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> GradientChecker:
    """A :class:`GradientChecker` with the ini file's method and tolerances (unset: each check's defaults)."""
    config = request.config
    tolerances = {}
    try:
        for name in ("atol", "rtol"):
            text = str(config.getini(f"micrograd_{name}")).strip()
            if text:
                tolerances[name] = float(text)
    except ValueError as error:
        raise pytest.UsageError(f"micrograd_atol and micrograd_rtol must be numbers: {error}") from None
    mutants = bool(config.getoption("--gradcheck-mutants") or config.getini("micrograd_mutants"))
    return GradientChecker(mutants=mutants, method=str(config.getini("micrograd_method")), **tolerances)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed derivative check's short-summary line is its diagnosis alone: ``pytest -ra`` cuts the line at the
    terminal's width, and the exception's name would take 20 of the characters the diagnosis needs."""
    outcome = yield
    crash = getattr(outcome.get_result().longrepr, "reprcrash", None)
    if call.excinfo is not None and getattr(call.excinfo.value, "derivative_check", False) and crash is not None:
        crash.message = str(call.excinfo.value).split("\n", 1)[0]
