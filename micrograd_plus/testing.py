"""Moved to :mod:`micrograd_plus.check.op_table`.

This path keeps working for one release, with a DeprecationWarning.
"""

import warnings

from micrograd_plus.check.op_table import OPS, Domain, Expression, OpSpec, expressions, op_inputs

__all__ = ["OPS", "Domain", "Expression", "OpSpec", "expressions", "op_inputs"]

warnings.warn(
    "micrograd_plus.testing moved: import from micrograd_plus.check.op_table instead; "
    "the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
