"""Fast paths that replay a recorded graph: compiled replay, ``Replay`` (automatic) and the batched NumPy replay.

- ``program``: ``compile_graph``, a graph turned into one Python function for forward and backward,
  scheduled by ``schedule`` (nodes grouped into list operations) with ``dot_code`` for ``dot`` batches;
- ``replay``: ``Replay``, the ordinary training step written once, compiled and replayed by itself;
- ``batched``: ``vectorize``, one sample's graph replayed over a batch as NumPy array operations, scheduled
  by ``batched_schedule`` with the registry's ops on arrays from ``array_ops`` (NumPy needed here only).
"""

from micrograd_plus.compile.batched import VectorizedGraph, vectorize
from micrograd_plus.compile.program import CompiledGraph, compile_graph
from micrograd_plus.compile.replay import Replay

__all__ = ["CompiledGraph", "Replay", "VectorizedGraph", "compile_graph", "vectorize"]
