"""Moved to :mod:`micrograd_plus.compile.program`.

This path keeps working for one release, with a DeprecationWarning.
"""

import warnings

from micrograd_plus.compile.program import CompiledGraph, compile_graph

__all__ = ["CompiledGraph", "compile_graph"]

warnings.warn(
    "micrograd_plus.compiler moved: import from micrograd_plus.compile instead; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
