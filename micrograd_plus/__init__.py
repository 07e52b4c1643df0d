"""micrograd_plus: a scalar reverse-mode autograd engine for learning and testing backprop.

>>> from micrograd_plus import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> y.data, x.grad
(15.0, 8.0)
"""

from micrograd_plus import functional
from micrograd_plus.engine import Value

__version__ = "0.1.0"

__all__ = ["Value", "functional", "__version__"]
