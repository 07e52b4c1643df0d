"""The parts every generated page shares: its templates, JSON safe inside a script, placeholders filled in one
pass, and text shortened to fit a line (the player, the exercise page, the explorer and the training page)."""

from __future__ import annotations

import json
import re
from importlib import resources

__all__ = ["page", "read_page", "script_json", "shorten"]


def shorten(text: str, limit: int) -> str:
    """``text`` cut at the last space before ``limit`` characters and ended in '…' if it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def read_page(name: str) -> str:
    """The text of one of the package's page templates (``micrograd_plus/viz/pages/``)."""
    return resources.files("micrograd_plus.viz").joinpath("pages").joinpath(name).read_text(encoding="utf-8")


def script_json(data: object) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' can end or open a tag."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(template: str, parts: dict[str, str]) -> str:
    """Fill ``__NAME__`` placeholders in one pass, so text put in (an SVG, a label) is never searched again."""
    return re.sub(r"__([A-Z]+)__", lambda m: parts.get(m[1], m[0]), template)
