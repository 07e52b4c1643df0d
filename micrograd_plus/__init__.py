"""micrograd_plus: a scalar reverse-mode autograd engine for learning and testing backprop.

>>> from micrograd_plus import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> y.data, x.grad
(15.0, 8.0)
"""

from micrograd_plus import autodiff, data, functional, losses, nn, ops, optim, viz
from micrograd_plus.autodiff import grad, hessian, hvp, jacobian, jvp, value_and_grad
from micrograd_plus.check import (
    GradcheckReport,
    JacobianReport,
    LocalGradReport,
    assert_grad,
    assert_gradients_match,
    assert_jacobian,
    central_difference,
    check_forward_reverse,
    check_grad,
    check_jacobian,
    check_local_grads,
    eps_sweep,
    gradcheck,
    gradcheck_module,
    gradgradcheck,
)
from micrograd_plus.collector import paused_collector
from micrograd_plus.engine import Value
from micrograd_plus.ops import define_op, fn
from micrograd_plus.viz.explain import explain_backward, explain_forward
from micrograd_plus.viz.matrix_view import explain_layers

__version__ = "0.1.0"

__all__ = [
    "GradcheckReport",
    "JacobianReport",
    "LocalGradReport",
    "Value",
    "__version__",
    "assert_grad",
    "assert_gradients_match",
    "assert_jacobian",
    "autodiff",
    "check_forward_reverse",
    "check_grad",
    "check_jacobian",
    "central_difference",
    "check_local_grads",
    "data",
    "define_op",
    "eps_sweep",
    "explain_backward",
    "explain_forward",
    "explain_layers",
    "fn",
    "functional",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "losses",
    "nn",
    "ops",
    "optim",
    "paused_collector",
    "value_and_grad",
    "viz",
]
