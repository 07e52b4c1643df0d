"""Moved to :mod:`micrograd_plus.compile.batched`.

This path keeps working for one release, with a DeprecationWarning.
"""

import warnings

from micrograd_plus.compile.batched import VectorizedGraph, vectorize

__all__ = ["VectorizedGraph", "vectorize"]

warnings.warn(
    "micrograd_plus.vectorized moved: import from micrograd_plus.compile instead; "
    "the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
