"""Moved to :mod:`micrograd_plus.compile.replay`.

This path keeps working for one release, with a DeprecationWarning.
"""

import warnings

from micrograd_plus.compile.replay import Replay

__all__ = ["Replay"]

warnings.warn(
    "micrograd_plus.replay moved: import from micrograd_plus.compile instead; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
