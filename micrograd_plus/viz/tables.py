"""Tables of strings as aligned text, Markdown and HTML: how reports and traces are shown."""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["SummarisedTable", "html_table", "latex_escape", "latex_table", "markdown_table", "text_table"]


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


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "σ": r"\ensuremath{\sigma}", "²": r"\ensuremath{^2}", "−": r"\ensuremath{-}", "·": r"\ensuremath{\cdot}",
    "√": r"\ensuremath{\surd}", "×": r"\ensuremath{\times}", "→": r"\ensuremath{\to}", "≤": r"\ensuremath{\le}",
    "≥": r"\ensuremath{\ge}", "\n": " ", "\t": " ",
}  # fmt: skip


def latex_escape(text: str) -> str:
    """``text`` as LaTeX source that prints it literally; σ, ², −, √ and the like become math symbols.

    >>> latex_escape("σ(#4) & 50%")
    '\\\\ensuremath{\\\\sigma}(\\\\#4) \\\\& 50\\\\%'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch if ch.isprintable() else " ") for ch in text)


def latex_table(head: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "", spec: str = "") -> str:
    """A LaTeX ``tabular`` (in a ``table`` with its caption when given), every cell escaped; ``spec`` sets the
    column types (default: every column ``l``), e.g. ``p{2cm}`` for a column a student writes in."""

    def line(cells: Sequence[str]) -> str:
        return " & ".join(map(latex_escape, cells)) + r" \\"

    body = [
        r"\begin{tabular}{" + (spec or "l" * len(head)) + "}",
        r"\hline",
        line(head),
        r"\hline",
        *map(line, rows),
        r"\hline",
    ]
    body.append(r"\end{tabular}")
    if caption:
        body = [r"\begin{table}[ht]", r"\centering", *body, r"\caption{" + latex_escape(caption) + "}", r"\end{table}"]
    return "\n".join(body) + "\n"


class SummarisedTable:
    """Text, markdown and HTML renderings of anything with a one-line ``summary()`` and table ``rows()``."""

    def summary(self) -> str:
        raise NotImplementedError

    def rows(self) -> tuple[list[str], list[list[str]]]:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary() + "\n" + text_table(*self.rows())

    def to_markdown(self) -> str:
        return f"**{self.summary()}**\n\n" + markdown_table(*self.rows())

    def _repr_html_(self) -> str:
        return html_table(*self.rows(), caption=self.summary())
