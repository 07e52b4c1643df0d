"""Which module call is making nodes right now, so that drawings can group a graph's nodes by module.

The nn modules run their forward inside ``with scope(module):``; every node made meanwhile records
``(tag, enclosing scope)`` as its ``scope``. A context variable, so two threads training two models never
mix their scopes.

>>> with scope("layer 1"):
...     current_scope()
('layer 1', None)
>>> current_scope() is None
True
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["Scope", "current_scope", "scope"]

Scope = tuple[object, "Scope | None"]  # (tag, enclosing scope)
_current: ContextVar[Scope | None] = ContextVar("micrograd_plus_scope", default=None)
current_scope = _current.get


class scope:  # noqa: N801 - used like a function: ``with scope(module):``
    """While active, new nodes record ``(tag, enclosing scope)`` as their ``scope`` (for drawings)."""

    __slots__ = ("tag", "token")

    def __init__(self, tag: object) -> None:
        self.tag = tag

    def __enter__(self) -> None:
        self.token = _current.set((self.tag, _current.get()))

    def __exit__(self, *exc: object) -> None:
        _current.reset(self.token)
