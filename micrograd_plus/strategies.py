"""Moved to :mod:`micrograd_plus.check.strategies`.

This path keeps working for one release, with a DeprecationWarning.
"""

import warnings

from micrograd_plus.check.strategies import Domain, floats_in, magnitudes, points

__all__ = ["Domain", "floats_in", "magnitudes", "points"]

warnings.warn(
    "micrograd_plus.strategies moved: import from micrograd_plus.check.strategies instead; "
    "the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
