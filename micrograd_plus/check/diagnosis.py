"""Saying *how* a derivative is wrong, where the numbers show it.

For each wrong component, the ratio analytic / numeric tells a flipped sign
(-1), a factor 2 or 1/2, or a missing derivative (0); two wrong components whose
values are each other's are swapped; one wrong component among right ones is a
term missing (or wrong) along that input; a Jacobian equal to the transpose of
the numeric one is transposed.

>>> from micrograd_plus.check.reports import judge
>>> rows = [judge("x0", 1.0, -2.0, 2.0, 0.0, None, 1e-8, 1e-5), judge("x1", 1.0, 1.0, 1.0, 0.0, None, 1e-8, 1e-5)]
>>> explained, findings = explain(rows)
>>> findings[0]
'only x0 is wrong (the other 1 agree): sign flipped (analytic -2, numeric 2)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from micrograd_plus.check.reports import GradcheckRow

__all__ = ["describe", "explain", "kind_of", "transposed"]

RATIOS = ((-1.0, "sign flipped"), (2.0, "factor 2 too large"), (0.5, "factor 1/2 (half the numeric value)"))


def _close(a: float, b: float, slack: float) -> bool:
    return abs(a - b) <= slack + 1e-6 * max(abs(a), abs(b))


def _slack(row: GradcheckRow) -> float:
    return 2 * row.bound + row.tolerance


def describe(row: GradcheckRow) -> str:
    """How one wrong derivative is off: a flipped sign, a factor 2 or 1/2, missing, or by how much.

    >>> from micrograd_plus.check.reports import judge
    >>> describe(judge("x", 1.0, 6.0, 3.0, 0.0, None, 1e-8, 1e-5))
    'factor 2 too large (analytic 6, numeric 3)'
    """
    a, n = row.analytic, row.numeric
    both = f"(analytic {a:.6g}, numeric {n:.6g})"
    if abs(n) <= 2 * row.bound:  # the estimate itself cannot tell n from 0 (a tolerance can: it is not said)
        return f"f does not change along {row.name} (numeric {n:.3g}) but the analytic derivative is {a:.6g}"
    if a == 0.0:
        return f"the analytic derivative is 0 where f changes at rate {n:.6g}: a term is missing"
    for ratio, words in RATIOS:
        if _close(a, ratio * n, _slack(row)):
            return f"{words} {both}"
    return f"off by {(a - n) / n:+.3%} (analytic/numeric = {a / n:.6g}) {both}"


def _common(rows: Sequence[GradcheckRow], wrong: Sequence[int]) -> str:
    """One finding for several wrong components: the same kind of error in all, or the first few."""
    kinds = {rows[i].note.split(" (")[0] for i in wrong}
    ratios = [rows[i].analytic / rows[i].numeric for i in wrong if rows[i].numeric]
    if len(kinds) == 1 and not next(iter(kinds)).startswith(("off by", "f does not")):
        return f"all {len(wrong)} wrong components: {next(iter(kinds))}"
    if len(ratios) == len(wrong) and max(ratios) - min(ratios) <= 1e-3 * abs(ratios[0] - 1):
        return f"all {len(wrong)} wrong components are off by the same factor {ratios[0]:.6g} ({ratios[0] - 1:+.3%})"
    return "; ".join(f"{rows[i].name}: {rows[i].note}" for i in wrong[:3])


def kind_of(row: GradcheckRow, alone: bool = False) -> str:
    """A few words for how one wrong derivative is off, for the first line of a failure: ``sign flipped``,
    ``factor 2 too large``, ``missing term`` (0 where f changes, or the only wrong one among right ones, off by
    other than a sign or factor), ``off by +1.2%``.

    >>> from micrograd_plus.check.reports import judge
    >>> kind_of(judge("x", 1.0, -3.0, 3.0, 0.0, None, 1e-8, 1e-5))
    'sign flipped'
    """
    note = describe(row)
    if note.startswith("f does not change"):
        return "f does not change along it"
    if note.startswith("the analytic derivative is 0"):
        return "missing term (analytic 0)"
    words = note.split(" (")[0]
    if alone and words.startswith("off by"):
        return "missing or wrong term"
    return words


def _transposed_blocks(
    rows: Sequence[GradcheckRow], blocks: Sequence[tuple[str, Sequence[Sequence[int]]]]
) -> tuple[dict[int, GradcheckRow], list[str]]:
    """Rows of square matrices of x whose gradient came back transposed, with a note each, and one finding per
    matrix: A[i, j] holding the derivative of A[j, i] is a transpose, not a set of swapped pairs."""
    marked: dict[int, GradcheckRow] = {}
    findings = []
    for name, grid in blocks:
        entries = [i for line in grid for i in line]
        if not any(rows[i].status == "wrong" for i in entries):
            continue
        slack = max(_slack(rows[i]) for i in entries)
        analytic = [[rows[i].analytic for i in line] for line in grid]
        if not transposed(analytic, [[rows[i].numeric for i in line] for line in grid], slack):
            continue
        k = len(grid)
        mirror = {grid[i][j]: grid[j][i] for i in range(k) for j in range(k)}
        for i in entries:
            if rows[i].status == "wrong":
                note = f"transposed: holds the derivative for {rows[mirror[i]].name}"
                marked[i] = replace(rows[i], note=note, kind=f"{name} is transposed")
        first = next(i for i in entries if i in marked)
        findings.append(
            f"{name} is transposed: {rows[first].name} holds the derivative for {rows[mirror[first]].name}; "
            f"return the gradient with {name}'s shape and orientation"
        )
    return marked, findings


def explain(
    rows: Sequence[GradcheckRow], blocks: Sequence[tuple[str, Sequence[Sequence[int]]]] = ()
) -> tuple[list[GradcheckRow], list[str]]:
    """Rows with a note on each wrong one, and the findings across rows (most telling first).

    ``blocks`` names the square matrices of x (name, the row index of each entry): a matrix whose gradient is
    its numeric one transposed is called transposed instead of its entries swapped in pairs.
    """
    marked, findings = _transposed_blocks(rows, blocks)
    wrong = [i for i, r in enumerate(rows) if r.status == "wrong" and i not in marked]
    out = [marked.get(i, r) for i, r in enumerate(rows)]
    swapped: set[int] = set()
    for i in wrong:
        for j in wrong:
            a, b = rows[i], rows[j]
            fresh = i < j and not {i, j} & swapped
            if fresh and _close(a.analytic, b.numeric, _slack(b)) and _close(b.analytic, a.numeric, _slack(a)):
                swapped |= {i, j}
                findings.append(f"{a.name} and {b.name} are swapped (each analytic value is the other's numeric)")
                out[i] = replace(a, note=f"swapped with {b.name}", kind=f"swapped with {b.name}")
                out[j] = replace(b, note=f"swapped with {a.name}", kind=f"swapped with {a.name}")
    rest = [i for i in wrong if i not in swapped]
    alone = len(wrong) == 1 and not marked and len(rows) > 1 and all(r.ok for k, r in enumerate(rows) if k not in wrong)
    for i in rest:
        kept = f"; {rows[i].note}" if rows[i].note else ""  # what the method itself said (the Taylor slope)
        out[i] = replace(rows[i], note=describe(rows[i]) + kept, kind=kind_of(rows[i], alone))
    if alone and rest:
        row, note = rows[rest[0]], out[rest[0]].note
        term = f"; a term along {row.name} is missing or wrong (numeric - analytic = {row.numeric - row.analytic:+.6g})"
        if not note.startswith(("off by", "the analytic derivative is 0")):
            term = ""  # a flipped sign or a factor 2 says it all
        findings.append(f"only {row.name} is wrong (the other {len(rows) - 1} agree): {note}{term}")
    elif len(rest) > 1:
        findings.append(_common(out, rest))
    elif rest:
        findings.append(f"{out[rest[0]].name}: {out[rest[0]].note}")
    for r in rows:
        if r.status in ("kink", "unresolved") and len(findings) < 4:
            findings.append(f"{r.name}: {r.note}")
    return out, findings


def transposed(analytic: Sequence[Sequence[float]], numeric: Sequence[Sequence[float]], slack: float) -> bool:
    """Whether a square analytic Jacobian is the transpose of the numeric one (and not equal to it).

    >>> transposed([[1.0, 2.0], [3.0, 4.0]], [[1.0, 3.0], [2.0, 4.0]], 1e-9)
    True
    """
    n = len(analytic)
    if n < 2 or any(len(row) != n for row in (*analytic, *numeric)) or len(numeric) != n:
        return False
    same = all(_close(analytic[i][j], numeric[i][j], slack) for i in range(n) for j in range(n))
    flipped = all(_close(analytic[i][j], numeric[j][i], slack) for i in range(n) for j in range(n))
    return flipped and not same and all(math.isfinite(v) for row in analytic for v in row)
