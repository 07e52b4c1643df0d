"""Griffe extension: the package's docstrings are plain text with doctests, so the API pages show them as written.

The docstrings state the math in plain characters (``x[i][j]``, ``a * b``, ``__init__``), end with doctest
examples and now and then name a module as Sphinx does (``:mod:`name```). Read as Markdown, ``[i][j]`` would be
a reference link, ``*`` emphasis and the doctest lines one paragraph. Before a docstring is parsed, this
extension escapes Markdown's link, emphasis and HTML characters outside code spans, shows a Sphinx role as its
code span, and fences every run of doctest lines as a ``pycon`` code block.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# ``code`` or `code`: left as written, Markdown shows it as code
CODE_SPAN = re.compile(r"(``.+?``|`[^`]+`)")
# :mod:`x`, :func:`x`, ...: Sphinx cross-reference roles, shown as the code span they wrap
SPHINX_ROLE = re.compile(r":(?:mod|func|class|meth|attr|data|obj|exc):(?=`)")
ESCAPES = str.maketrans({"\\": "\\\\", "[": "\\[", "]": "\\]", "*": "\\*", "_": "\\_", "<": "&lt;", ">": "&gt;"})


def escape_prose(line: str) -> str:
    """The line with Markdown's special characters escaped everywhere but inside code spans."""
    parts = CODE_SPAN.split(SPHINX_ROLE.sub("", line))
    return "".join(part if i % 2 else part.translate(ESCAPES) for i, part in enumerate(parts))


def as_markdown(text: str) -> str:
    """Doctest runs (a ``>>>`` line to the next blank line) fenced as ``pycon``; indented code kept; prose escaped."""
    out: list[str] = []
    in_doctest = False
    for line in text.splitlines():
        if not in_doctest and line.lstrip().startswith(">>>"):
            out += ["", "```pycon"]
            in_doctest = True
        elif in_doctest and not line.strip():
            out += ["```", ""]
            in_doctest = False
        if in_doctest or line.startswith("    "):
            out.append(line)
        else:
            out.append(escape_prose(line))
    if in_doctest:
        out.append("```")
    return "\n".join(out)


class PlainDocstrings(griffe.Extension):
    """Rewrites each docstring once, when the package has been loaded (before any docstring is parsed)."""

    def __init__(self) -> None:
        # keyed by id, holding the docstring so that no id is reused while the build runs
        self.done: dict[int, griffe.Docstring] = {}

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.rewrite(pkg)

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        self.rewrite(obj)

    def rewrite(self, obj: griffe.Object) -> None:
        docstring = obj.docstring
        if docstring is not None and id(docstring) not in self.done:
            self.done[id(docstring)] = docstring
            docstring.value = as_markdown(docstring.value)
