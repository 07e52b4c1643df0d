"""pytest integration, registered through the package's ``pytest11`` entry point: installed, it is active.

Tests get the ``gradcheck`` fixture, a checker whose calls fail the test with a
first line that says what is wrong and where, in at most 80 characters
(``W1[1, 2]: analytic 0.5, numeric -0.5 — sign flipped``, what ``pytest -ra``
prints as the short summary), then the verdict and the whole table; the
plugin's own frames are hidden from the traceback; ``assert_grad`` and ``assert_jacobian`` do the same without
a fixture. Defaults come from the ini options ``micrograd_method``,
``micrograd_atol`` and ``micrograd_rtol``.

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
from micrograd_plus.check.reports import GradcheckReport, JacobianReport
from micrograd_plus.check.values import gradcheck as gradcheck_values
from micrograd_plus.engine import Value

__all__ = ["GradientChecker", "assert_grad", "assert_jacobian", "gradcheck"]

_VALUE_HINT = "check_local_grads(f(...)) names the op whose local derivative is wrong"


class GradientChecker:
    """Derivative checks that fail the test: ``checker(f, grad_f, x)``, ``.jacobian(f, jac_f, x)`` and
    ``.values(f, inputs)`` for functions of Values; each returns its report when it passes."""

    def __init__(self, **defaults: Any) -> None:
        self.defaults = defaults

    def _fail_unless_ok(self, report: GradcheckReport, hint: str) -> None:
        __tracebackhide__ = True  # the test's own line is what matters, not the checker's frames
        if not report.ok:
            raise AssertionError(report.failure_message(hint))

    def __call__(
        self, f: Callable[[Any], Any], grad_f: Callable[[Any], Any], x: Any, **options: Any
    ) -> GradcheckReport:
        __tracebackhide__ = True
        report = check_grad(f, grad_f, x, **{**self.defaults, **options})
        self._fail_unless_ok(report, "(analytic = grad_f(x), numeric = estimated from f)")
        return report

    def jacobian(self, f: Callable[[Any], Any], jac_f: Callable[[Any], Any], x: Any, **options: Any) -> JacobianReport:
        __tracebackhide__ = True
        report = check_jacobian(f, jac_f, x, **{**self.defaults, **options})
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
    parser.addini("micrograd_atol", "absolute tolerance of the gradcheck fixture", default="1e-8")
    parser.addini("micrograd_rtol", "relative tolerance of the gradcheck fixture", default="1e-5")


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> GradientChecker:
    """A :class:`GradientChecker` with the ini file's method and tolerances."""
    config = request.config
    try:
        atol, rtol = float(config.getini("micrograd_atol")), float(config.getini("micrograd_rtol"))
    except ValueError as error:
        raise pytest.UsageError(f"micrograd_atol and micrograd_rtol must be numbers: {error}") from None
    return GradientChecker(method=str(config.getini("micrograd_method")), atol=atol, rtol=rtol)
