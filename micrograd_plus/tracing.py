"""What a traced run did besides building its graph: branches on numbers and leaves drawn at random.

``Replay`` runs a training step once inside ``recording()`` to learn whether its graph can be
replayed: code whose graph depends on the numbers (a comparison of Values, max pooling, batch
statistics) calls ``note_branch``, and code that draws random leaves (dropout masks) calls
``record_random`` with a way to draw the next ones. Outside ``recording()`` both do nothing.

>>> with recording() as found:
...     note_branch("a comparison of Values")
>>> found.branches
['a comparison of Values']
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

__all__ = ["Recording", "compared", "note_branch", "record_random", "recording"]


class Recording:
    """What a traced run did besides building its graph: data-dependent branches, random leaves (see ``recording``)."""

    __slots__ = ("branches", "random")

    def __init__(self) -> None:
        self.branches: list[str] = []  # why the graph's structure may depend on the numbers
        self.random: list[tuple[list[Any], Callable[[], list[float]]]] = []  # leaves and how to draw them again


_recording: ContextVar[Recording | None] = ContextVar("micrograd_plus_recording", default=None)


class recording:  # noqa: N801 - used like a function: ``with recording() as found:``
    """While active, code that branches on numbers (``note_branch``) and random leaves (``record_random``) are
    noted on the ``Recording`` it returns: what a replay of the graph needs to know to stay equal to eager mode.
    """

    __slots__ = ("found", "token")

    def __enter__(self) -> Recording:
        self.found = Recording()
        self.token = _recording.set(self.found)
        return self.found

    def __exit__(self, *exc: object) -> None:
        _recording.reset(self.token)


def note_branch(reason: str) -> None:
    """Record (while ``recording``) that the graph being built depends on the numbers, not only on their count."""
    found = _recording.get()
    if found is not None:
        found.branches.append(reason)


def compared(outcome: bool) -> bool:
    """The outcome of a comparison of Values, noted (while ``recording``) as a branch on the numbers."""
    note_branch("a comparison of Values")
    return outcome


def record_random(leaves: list[Any], redraw: Callable[[], list[float]]) -> None:
    """Record (while ``recording``) leaves drawn at random and a function drawing their next values, in order."""
    found = _recording.get()
    if found is not None:
        found.random.append((leaves, redraw))
