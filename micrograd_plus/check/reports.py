"""Reports of derivative checks: one row per checked number, the verdict rule, and how a report is shown.

A row compares an analytic derivative a with a numeric estimate n whose own
error is at most b (see :mod:`micrograd_plus.check.estimates`). With the tolerance
t = atol + rtol·|n| the verdict is

- **wrong** when |a - n| > t + b (the estimate, even at its worst, disagrees),
- **unresolved** when the two agree but b exceeds both t and ``RESOLVE`` (1e-4)
  times the derivative's size: no step resolved it finely enough to tell, so
  the check fails instead of guessing, and the note says what would resolve it,
- **ok** otherwise; also when f did not change at all and a = 0,
- at a kink (the one-sided slopes differ): **subgradient** (passes) when a lies
  between the one-sided slopes within their error, **kink** (fails) otherwise.

The default tolerance of ``check_grad`` is t = 1e-7·|n| (the analytic formula's
own rounding), of ``gradcheck`` 1e-300 + 1e-7·|n| plus the rounding of
``backward()`` itself; b carries the rest, so tiny derivatives are checked as
strictly, relative to what float64 resolves, as large ones. A derivative that is
a sum of cancelling terms is resolved against the terms' size. Only ok and
subgradient pass.
Reports print as an aligned table, as Markdown
(``to_markdown()``) and as HTML in a notebook (``_repr_html_``).

>>> row = judge("x0", 1.0, 2.0, 2.0000000001, 1e-12, None, 1e-8, 1e-5)
>>> row.ok, row.status
(True, 'ok')
>>> judge("x0", 1.0, 2.0, 2.0, 1e-3, None, 1e-8, 1e-5).status
'unresolved'
>>> judge("x", 0.0, 0.5, 0.5, 0.0, (1.0, 0.0), 0.0, 0.0).status  # relu at 0: 0.5 lies between 0 and 1
'subgradient'
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from micrograd_plus.check.mutation import MutantReport
from micrograd_plus.viz.tables import html_table, markdown_table, text_table

__all__ = ["GradcheckReport", "GradcheckRow", "JacobianReport", "check_failed", "judge", "number"]


def number(x: float) -> str:
    """A number in at most about 15 characters: %.8g, never 300 digits of fixed point."""
    return "" if math.isnan(x) else f"{x:.8g}"


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def check_failed(message: str) -> AssertionError:
    """The ``AssertionError`` of a failed derivative check in a test, its first line the diagnosis. It is marked
    (``derivative_check``) so that the pytest plugin shows that line alone, without the exception's name, in
    ``pytest -ra``'s short summary."""
    error = AssertionError(message)
    setattr(error, "derivative_check", True)  # noqa: B010 - an attribute AssertionError does not declare
    return error


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
    status: str = "ok"  # "ok", "wrong", "unresolved", "subgradient" (passes) or "kink"
    tolerance: float = 0.0  # atol + rtol·|numeric|
    kind: str = ""  # how a wrong derivative is off, in a few words ("sign flipped"), for a failure's first line

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        error, reference = self.abs_error, self.numeric
        return error / abs(reference) if reference else (0.0 if error == 0.0 else math.inf)


def _kink_row(name: str, value: float, analytic: float, numeric: float, bound: float,
              kink: tuple[float, float], slack: float) -> GradcheckRow:  # fmt: skip
    """At a kink: a valid subgradient lies between the one-sided slopes (the convex hull of the two limits)."""
    low, high = sorted(kink)
    slopes = f"one-sided slopes {kink[0]:.6g} from the right, {kink[1]:.6g} from the left"
    if low - slack <= analytic <= high + slack:
        note = f"kink: the analytic value is a valid subgradient ({slopes})"
        return GradcheckRow(name, value, analytic, numeric, True, note, bound, "subgradient", slack)
    note = (
        f"kink: not a subgradient: {analytic:.6g} is outside [{low:.6g}, {high:.6g}], the {slopes}; "
        f"{name} = {value:g} is at a kink, where a derivative must lie between them"
    )
    return GradcheckRow(name, value, analytic, numeric, False, note, bound, "kink", slack)


def _unresolved_why(bound: float, noise: float, step: float, flat_zero: bool) -> str:
    """What kept the estimate from resolving the derivative, and what would resolve it."""
    if flat_zero:
        return (
            "f is exactly 0.0 at the point and at every nudged point (it rounds to 0 there), so float64 cannot "
            "resolve this derivative; check at a point where f is not 0"
        )
    if not math.isfinite(bound):
        return (
            "the differences do not settle as the step shrinks, at every step tried (f varies on a finer scale "
            "than the steps, or is not deterministic); check at another point, or use method='complex' if f "
            "accepts complex numbers"
        )
    if noise >= bound / 2:
        return (
            f"f's rounding hides the derivative (±{bound:.2g}) even at the best step tried, h = {step:.3g}; a wider "
            "step (eps=...) if f is smooth on that scale, method='complex' if f accepts complex numbers, or another "
            "point"
        )
    return (
        f"the numeric estimate's own error (±{bound:.2g}) stays large at every step tried; use method='complex' "
        "if f accepts complex numbers, or check at another point"
    )


RESOLVE = 1e-4  # a bound above this fraction of the derivative could hide an error worth reporting


def judge(
    name: str,
    value: float,
    analytic: float,
    numeric: float,
    bound: float,
    kink: tuple[float, float] | None,
    atol: float,
    rtol: float,
    *,
    scale: float = 0.0,
    noise: float = 0.0,
    flat: bool = False,
    flat_zero: bool = False,
    kink_error: float = 0.0,
    step: float = math.nan,
    terms: float = 0.0,
) -> GradcheckRow:
    """The verdict on one derivative: ok, wrong, unresolved, subgradient or kink (this module's docstring)."""
    tolerance = atol + rtol * abs(numeric)
    if kink is not None:
        slack = kink_error + tolerance + RESOLVE * max(abs(kink[0]), abs(kink[1]))
        return _kink_row(name, value, analytic, numeric, bound, kink, slack)
    if flat and analytic == 0.0:  # f did not change at all along it, and the analytic derivative is 0
        return GradcheckRow(name, value, analytic, numeric, True, "", bound, "ok", tolerance)
    if flat_zero and abs(analytic) > tolerance:  # a derivative within the user's atol of 0 needs no resolving
        note = f"unresolved: {_unresolved_why(bound, noise, step, True)}"
        return GradcheckRow(name, value, analytic, numeric, False, note, bound, "unresolved", tolerance)
    if abs(analytic - numeric) > tolerance + bound:
        return GradcheckRow(name, value, analytic, numeric, False, "", bound, "wrong", tolerance)
    resolution = max(abs(analytic), abs(numeric), 1e-3 * scale, terms)  # terms: what a cancelling sum is made of
    if bound > max(tolerance, RESOLVE * resolution):
        why = _unresolved_why(bound, noise, step, False)
        note = f"unresolved: this derivative could not be checked: {why}"
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
    mutants: MutantReport | None = None  # check_grad(..., mutants=True): were the points strong enough?

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
        ``sign flipped at W1[1, 2]: analytic 0.5, numeric -0.5`` (and how many more fail)."""
        bad = sorted(self.failures, key=lambda r: ("wrong", "kink", "unresolved").index(r.status))
        if not bad:
            return self.summary()
        if self.findings and self.findings[0].startswith("the Jacobian is transposed"):
            return _cut("jac_f(x) is transposed: rows must be outputs, J[i][j] = df_i/dx_j", width)
        row = bad[0]
        words = {"kink": "kink: not a subgradient", "unresolved": f"unresolved (numeric ±{row.bound:.2g})"}
        kind = row.kind or words.get(row.status, row.status)
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        where = f"{kind} at {row.name}{more}"  # first, so that a summary line cut short still says it
        line = f"{where}: analytic {row.analytic:.6g}, numeric {row.numeric:.6g}"
        return line if len(line) <= width else _cut(where, width)

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
                ("ok" if r.ok else "FAIL") + (f": {r.note}" if r.note else ""),
            ]
            for r in shown
        ]
        return head, body

    def _findings_text(self) -> str:
        mutants = f"\n{self.mutants.summary()}" if self.mutants is not None else ""
        return "".join(f"\n- {line}" for line in self.findings[1:]) + mutants

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
