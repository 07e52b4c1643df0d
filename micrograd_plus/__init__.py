"""micrograd_plus: a scalar reverse-mode autograd engine for learning and testing backprop.

>>> from micrograd_plus import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> y.data, x.grad
(15.0, 8.0)
"""

from micrograd_plus import autodiff, data, functional, losses, nn, optim, viz
from micrograd_plus.autodiff import grad, hessian, hvp, jacobian, jvp, value_and_grad
from micrograd_plus.engine import Value
from micrograd_plus.explain import explain_backward, explain_forward
from micrograd_plus.gradcheck import (
    GradcheckReport,
    LocalGradReport,
    assert_gradients_match,
    central_difference,
    check_forward_reverse,
    check_local_grads,
    eps_sweep,
    gradcheck,
    gradcheck_module,
    gradgradcheck,
)
from micrograd_plus.layerwise import explain_layers

__version__ = "0.1.0"

__all__ = [
    "GradcheckReport",
    "LocalGradReport",
    "Value",
    "__version__",
    "assert_gradients_match",
    "autodiff",
    "check_forward_reverse",
    "central_difference",
    "check_local_grads",
    "data",
    "eps_sweep",
    "explain_backward",
    "explain_forward",
    "explain_layers",
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
    "optim",
    "value_and_grad",
    "viz",
]
