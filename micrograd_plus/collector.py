"""A scoped pause of Python's cyclic garbage collector, for loops that make and drop many graph nodes.

A ``Value`` graph has no reference cycles: every node is freed by reference counting the moment
the last reference to it goes. The cyclic collector still runs, though, every few hundred new
objects, and walks every object that survived the last pass, so a training step that makes tens of
thousands of nodes pays for passes that can find nothing to free in its graph (on W1, micrograd's
moons step, about 10-30% of an eager step). ``paused_collector()`` switches it off for the ``with``
block only and then puts back exactly the setting it found, so it never changes a program's setting
behind its back:

>>> import gc
>>> from micrograd_plus import paused_collector
>>> with paused_collector():
...     gc.isenabled()
False
>>> gc.isenabled()  # as it was before the block (on, by default)
True

Nested blocks are fine (the inner one finds the collector off and leaves it off), and the setting is
put back when the block raises too. Garbage with reference cycles made inside the block (none comes
from the engine) is not lost: the first collection after the block frees it.
"""

from __future__ import annotations

import gc
from types import TracebackType

__all__ = ["paused_collector"]


class paused_collector:  # noqa: N801 - used like a function: ``with paused_collector():``
    """Disable the cyclic garbage collector inside a ``with`` block; on leaving it, restore the setting found."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: list[bool] = []  # the setting found on each entry: one object may be entered again, nested

    def __enter__(self) -> paused_collector:
        self.found.append(gc.isenabled())
        gc.disable()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.found.pop():
            gc.enable()
        else:
            gc.disable()  # off when the block began: stays off, even if code inside switched it on
