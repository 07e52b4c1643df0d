"""Tables of strings as aligned text, Markdown and HTML: how reports and traces are shown."""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["html_table", "markdown_table", "text_table"]


def text_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is left ragged.

    >>> print(text_table(["a", "bb"], [["100", "x"]]))
    a    bb
    100  x
    """
    widths = [max(len(row[c]) for row in [head, *rows]) for c in range(len(head) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + ("  " if widths else "") + row[-1]
        for row in [head, *rows]
    )


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; pipes inside cells are escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(head), "|" + "---|" * len(head), *map(line, rows)])


def html_table(head: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    """An HTML table with every cell escaped."""
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    top = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{cap}<thead><tr>{top}</tr></thead><tbody>{body}</tbody></table>"
