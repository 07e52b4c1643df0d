"""A progress bar for long training loops: tqdm when it is installed (the ``progress`` extra), else nothing.

``progress(range(200), desc="training")`` iterates like the range and draws a bar: a
widget in Jupyter when ipywidgets is there, text otherwise (in a terminal, or in a
notebook without widgets, where tqdm's own fallback would first print a warning).
Without tqdm it returns the iterable unchanged, so a loop never depends on it.
``bar.set_postfix_str(f"loss {loss:.3f}")`` shows the latest loss beside the bar.

>>> steps = progress(range(3), desc="demo", disable=True)
>>> [step for step in steps]
[0, 1, 2]
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["progress"]


class _Plain:
    """What ``progress`` gives without tqdm: the iterable, with the bar's methods doing nothing."""

    def __init__(self, iterable: Iterable[Any] | None) -> None:
        self.iterable = iterable if iterable is not None else ()

    def __iter__(self) -> Any:
        return iter(self.iterable)

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        """Nothing to show."""

    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def write(self, text: str, file: Any = None) -> None:
        print(text, file=file or sys.stdout)

    def close(self) -> None:
        """Nothing to close."""


def progress(iterable: Iterable[Any] | None = None, desc: str = "training", **options: Any) -> Any:
    """tqdm's bar over ``iterable`` (``total=`` for a bar that is advanced with ``update()``), or the plain iterable."""
    if importlib.util.find_spec("tqdm") is None:
        return _Plain(iterable)
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm  # type: ignore[import-untyped,import-not-found,unused-ignore]
    else:
        from tqdm.std import tqdm  # type: ignore[import-untyped,import-not-found,unused-ignore]
    options.setdefault("file", sys.stderr)
    options.setdefault("mininterval", 1.0)  # a few updates per second is enough, and keeps saved notebooks small
    return tqdm(iterable, desc=desc, **options)
