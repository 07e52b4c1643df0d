"""Reports of derivative checks: one row per checked number, the verdict rule, and how a report is shown.

A row compares an analytic derivative a with a numeric estimate n whose own
error is at most b (see :mod:`micrograd_plus.check.estimates`). With the tolerance
t = atol + rtol·|n| the verdict is

- **ok** when |a - n| <= t + b and b <= t,
- **wrong** when |a - n| > t + b (the estimate, even at its worst, disagrees),
- **unresolved** when b > t and the two still agree: no step resolved the
  derivative finely enough to tell, so the check fails instead of guessing,
- **kink** when the one-sided slopes differ: there is no derivative to check.

Only ok passes. Reports print as an aligned table, as Markdown
(``to_markdown()``) and as HTML in a notebook (``_repr_html_``).

>>> row = judge("x0", 1.0, 2.0, 2.0000000001, 1e-12, None, 1e-8, 1e-5)
>>> row.ok, row.status
(True, 'ok')
>>> judge("x0", 1.0, 2.0, 2.0, 1e-3, None, 1e-8, 1e-5).status
'unresolved'
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from micrograd_plus.viz.tables import html_table, markdown_table, text_table

__all__ = ["GradcheckReport", "GradcheckRow", "JacobianReport", "judge", "number"]


def number(x: float) -> str:
    """A number in at most about 15 characters: %.8g, never 300 digits of fixed point."""
    return "" if math.isnan(x) else f"{x:.8g}"


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


@dataclass(frozen=True)
class GradcheckRow:
    """One checked derivative: analytic, numeric (± its own error bound ``bound``) and the verdict."""

    name: str
    value: float
    analytic: float
    numeric: float
    ok: bool
    note: str = ""
    bound: float = 0.0
    status: str = "ok"  # "ok", "wrong", "unresolved" or "kink"
    tolerance: float = 0.0  # atol + rtol·|numeric|
    kind: str = ""  # how a wrong derivative is off, in a few words ("sign flipped"), for a failure's first line

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        error, reference = self.abs_error, self.numeric
        return error / abs(reference) if reference else (0.0 if error == 0.0 else math.inf)


def judge(
    name: str,
    value: float,
    analytic: float,
    numeric: float,
    bound: float,
    kink: tuple[float, float] | None,
    atol: float,
    rtol: float,
) -> GradcheckRow:
    """The verdict on one derivative: ok, wrong, unresolved or kink (the rule in this module's docstring)."""
    if kink is not None:
        note = (
            f"one-sided slopes differ ({kink[0]:.6g} from the right, {kink[1]:.6g} from the left): "
            f"{name} = {value:g} may be at a kink, where there is no derivative to check"
        )
        return GradcheckRow(name, value, analytic, numeric, False, note, bound, "kink", atol)
    tolerance = atol + rtol * abs(numeric)
    if abs(analytic - numeric) > tolerance + bound:
        return GradcheckRow(name, value, analytic, numeric, False, "", bound, "wrong", tolerance)
    if bound > tolerance:
        why = (
            f"the numeric estimate's own error (±{bound:.2g}) exceeds the tolerance {tolerance:.2g} at every step tried"
            if math.isfinite(bound)
            else "the differences do not settle as the step shrinks, at every step tried"
        )
        note = (
            f"unresolved: {why}, so this derivative could not be checked; use method='complex' if f accepts "
            "complex numbers, check at another point, or loosen atol/rtol"
        )
        return GradcheckRow(name, value, analytic, numeric, False, note, bound, "unresolved", tolerance)
    return GradcheckRow(name, value, analytic, numeric, True, "", bound, "ok", tolerance)


@dataclass(frozen=True)
class GradcheckReport:
    """The outcome of a check: ``.ok``, one row per input (or direction), printable as a table.

    ``findings`` are sentences explaining a failure (sign flipped, factor 2,
    swapped components, one component wrong); ``method`` and ``step`` say how
    the numeric derivatives were made.
    """

    rows: tuple[GradcheckRow, ...]
    method: str
    step: str
    atol: float
    rtol: float
    directions: tuple[GradcheckRow, ...] = ()
    subject: str = "input"
    findings: tuple[str, ...] = ()
    title: str = "gradcheck"

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows) if self.rows else all(d.ok for d in self.directions)

    @property
    def failures(self) -> list[GradcheckRow]:
        return [r for r in self.rows if not r.ok]

    def _plural(self, n: int) -> str:
        if n == 1:
            return f"1 {self.subject}"
        return f"{n} {self.subject[:-1]}ies" if self.subject.endswith("y") else f"{n} {self.subject}s"

    @property
    def settings(self) -> str:
        """How the numbers were made: method, step rule and tolerances."""
        return f"{self.method}, {self.step}, atol={self.atol:g}, rtol={self.rtol:g}"

    def headline(self) -> str:
        """One sentence for a test failure: the verdict and the first finding, without the settings."""
        return self.summary().replace(f" ({self.settings})", "", 1)

    def diagnosis(self, width: int = 80) -> str:
        """The first line of a failure, at most ``width`` characters: what is wrong and where, e.g.
        ``W1[1, 2]: analytic 0.5, numeric -0.5 — sign flipped`` (and how many more fail)."""
        bad = sorted(self.failures, key=lambda r: ("wrong", "kink", "unresolved").index(r.status))
        if not bad:
            return self.summary()
        if self.findings and self.findings[0].startswith("the Jacobian is transposed"):
            return _cut("jac_f(x) is transposed: rows must be outputs, J[i][j] = df_i/dx_j", width)
        row = bad[0]
        words = {"kink": "at a kink: no derivative to check", "unresolved": f"unresolved (numeric ±{row.bound:.2g})"}
        kind = row.kind or words.get(row.status, row.status)
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        line = f"{row.name}: analytic {row.analytic:.6g}, numeric {row.numeric:.6g} — {kind}{more}"
        return line if len(line) <= width else _cut(f"{row.name}: {kind}{more}", width)

    def failure_message(self, hint: str) -> str:
        """What a failed test shows: the diagnosis line, the hint (what analytic and numeric are), the report."""
        return f"{self.diagnosis()}\n{hint}\n{self}"

    def summary(self) -> str:
        """One line: the verdict, the method and tolerances, and the first finding of a failure."""
        settings = self.settings
        if not self.rows:
            return f"{self.title} passed along {len(self.directions)} random directions ({settings})"
        bad = self.failures
        if not bad:
            line = f"{self.title} passed: {self._plural(len(self.rows))} ({settings})"
        else:
            kinds = {s: sum(r.status == s for r in bad) for s in ("wrong", "unresolved", "kink")}
            what = (
                "wrong"
                if kinds["wrong"] == len(bad)
                else "not ok (" + ", ".join(f"{n} {s}" for s, n in kinds.items() if n).replace("kink", "at a kink")
            )
            what += ")" if what.startswith("not ok") else ""
            line = f"{self.title} FAILED: {len(bad)} of {self._plural(len(self.rows))} {what} ({settings})"
        if self.directions:
            missed = sum(not d.ok for d in self.directions)
            line += (
                f"; {missed} of {len(self.directions)} random directions disagreed, so every {self.subject} was checked"
            )
        if self.findings:
            line += ": " + self.findings[0]
        return line

    def _shown_rows(self) -> tuple[GradcheckRow, ...]:
        return self.rows or self.directions

    def _table(self, rows: tuple[GradcheckRow, ...] | None = None) -> tuple[list[str], list[list[str]]]:
        shown = self._shown_rows() if rows is None else rows
        head = [self.subject if self.rows else "direction", "value", "analytic", "numeric", "± numeric"]
        head += ["abs error", "rel error", "result"]
        body = [
            [
                r.name,
                number(r.value),
                number(r.analytic),
                number(r.numeric),
                f"{r.bound:.1e}",
                f"{r.abs_error:.2e}",
                f"{r.rel_error:.2e}",
                "ok" if r.ok else "FAIL" + (f": {r.note}" if r.note else ""),
            ]
            for r in shown
        ]
        return head, body

    def _findings_text(self) -> str:
        return "".join(f"\n- {line}" for line in self.findings[1:])

    def __str__(self) -> str:
        return self.summary() + self._findings_text() + "\n" + text_table(*self._table())

    def to_markdown(self) -> str:
        """The summary as a paragraph and the rows as a GitHub-flavoured Markdown table."""
        return f"**{self.summary()}**{self._findings_text()}\n\n" + markdown_table(*self._table())

    def _repr_html_(self) -> str:
        colour = "#e6f4e6" if self.ok else "#fbe3e3"
        summary = html.escape(self.summary())
        extra = "".join(f"<li>{html.escape(line)}</li>" for line in self.findings[1:])
        findings = f"<ul>{extra}</ul>" if extra else ""
        return (
            f'<div><p style="background:{colour};padding:4px">{summary}</p>{findings}{html_table(*self._table())}</div>'
        )


@dataclass(frozen=True)
class JacobianReport(GradcheckReport):
    """A check of an m×n Jacobian: one row per entry ``d f_i/d x_j``; prints the ``limit`` worst entries,
    ``full()`` prints them all and ``matrix()`` the analytic and numeric matrices side by side."""

    shape: tuple[int, int] = (0, 0)
    limit: int = 10

    def worst(self, count: int | None = None) -> list[GradcheckRow]:
        """Entries that fail first, then by error against the tolerance, the largest first."""

        def badness(r: GradcheckRow) -> tuple[bool, float]:
            return (r.ok, -r.abs_error / (self.atol + self.rtol * abs(r.numeric) + r.bound or 1.0))

        return sorted(self.rows, key=badness)[: self.limit if count is None else count]

    def __str__(self) -> str:
        shown = tuple(self.worst())
        more = len(self.rows) - len(shown)
        tail = f"\n({more} more entries; report.full() shows all, report.matrix() the matrices)" if more > 0 else ""
        return self.summary() + self._findings_text() + "\n" + text_table(*self._table(shown)) + tail

    def full(self) -> str:
        """Every entry of the Jacobian as a table."""
        return self.summary() + self._findings_text() + "\n" + text_table(*self._table())

    def matrix(self) -> str:
        """The analytic and the numeric Jacobian as two aligned grids; wrong entries are starred."""
        m, n = self.shape
        lines = []
        for title in ("analytic", "numeric"):
            grid = [
                [number(getattr(r, title)) + ("" if r.ok else "*") for r in self.rows[i * n : (i + 1) * n]]
                for i in range(m)
            ]
            head = [r.name.split("/d", 1)[-1] for r in self.rows[:n]]
            lines.append(f"{title} ({m}×{n}, * = not ok):\n" + text_table(head, grid))
        return "\n".join(lines)
