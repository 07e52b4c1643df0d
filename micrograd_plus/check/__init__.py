"""Is this derivative right? Every derivative check, behind one front door.

- ``functions``: plain Python or NumPy functions and their hand-written gradients (``check_grad``,
  ``check_jacobian``, ``assert_grad``, ``assert_jacobian``);
- ``values``: functions of Values and modules against ``backward()`` (``gradcheck``, ``gradcheck_module``,
  ``eps_sweep``), ``second_order``: second derivatives and forward mode (``gradgradcheck``,
  ``check_forward_reverse``), ``local_grads``: the per-node check that locates a wrong op;
- underneath: ``differences`` and ``estimates`` (numeric derivatives and their error, in the observed order),
  ``step_search`` (the step, searched over several decades per component), ``numeric_jacobian`` (every column
  once, ties at kinks, judged against any analytic Jacobian), ``taylor`` (the Taylor-remainder test),
  ``verdicts`` (analytic against numeric), ``diagnosis`` (how a derivative is wrong), ``reports`` (how a check
  is shown), ``inputs`` (the points of a check of Value functions), ``shapes`` (arrays, lists, dicts);
- ``mutation`` and ``weak_points``: mutants of grad_f's source, to tell whether the test points can catch bugs;
- for test authors: ``op_table`` (the engine's op table), ``strategies`` (Hypothesis inputs) and the
  ``pytest_plugin``.
"""

from micrograd_plus.check.differences import central_difference
from micrograd_plus.check.functions import assert_grad, assert_jacobian, check_grad, check_jacobian
from micrograd_plus.check.local_grads import LocalGradReport, check_local_grads
from micrograd_plus.check.values import (
    GradcheckReport,
    JacobianReport,
    assert_gradients_match,
    check_forward_reverse,
    eps_sweep,
    gradcheck,
    gradcheck_module,
    gradgradcheck,
)

__all__ = [
    "GradcheckReport",
    "JacobianReport",
    "LocalGradReport",
    "assert_grad",
    "assert_gradients_match",
    "assert_jacobian",
    "central_difference",
    "check_forward_reverse",
    "check_grad",
    "check_jacobian",
    "check_local_grads",
    "eps_sweep",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
]
