"""The exercise page's data: every check and every hint of the player's exercise mode, with no answer in it.

At each chain-rule step the student types the local derivative and the parent's new gradient. The
page must tell a right answer from a wrong one, and name the misconception a wrong one shows, without
holding the answers: it holds salted SHA-256 hashes of the answers rounded to 3 significant digits
(``answer_key``), and hashes of each misconception's wrong answer, each tagged with its kind. The page
rounds what the student typed the same way, hashes it and looks the hash up.

What this keeps out: the answers are not in the page source, the drawing or the script's data, so
neither reading the source nor searching it for a number finds one. What it does not do: a student who
writes a program to hash every 3-digit number can recover an answer; the page is a study aid, not an
exam lock. "Reveal" therefore computes nothing: it shows the derivation with numbers the page already
shows (the forward values), e.g. ``d(o)/d(n) = 1 − tanh(n)² = 1 − (-0.8483)²``, and the names of the
earlier gradients the sum needs, so the student finishes the arithmetic.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from itertools import combinations
from typing import Any

from micrograd_plus.engine import Value
from micrograd_plus.viz.explain import BackwardTrace, Contribution, local_formula
from micrograd_plus.viz.graph_view import GraphView

__all__ = ["SIGNIFICANT", "answer_hash", "answer_key", "answer_keys", "exercise_data", "wrong_answers"]

SIGNIFICANT = 3  # digits the page asks for; the same rounding in Python and in the page's script
SPREAD = 5e-3  # an answer within 0.5% (relative) of the true one counts, so carried roundings still pass
PLACEHOLDER = -8.888e-4  # the grad cell of every box is sized for this, then shows '?'


def answer_key(x: float) -> str:
    """``x`` rounded to 3 significant digits as the page writes it (JS ``toExponential(2)``): '-6.92e-1', '0'.

    >>> answer_key(-0.69175), answer_key(1234.0), answer_key(1e-12)
    ('-6.92e-1', '1.23e+3', '0')
    """
    if not math.isfinite(x):
        return str(x)
    if abs(x) < 1e-9:  # float noise around an exact 0 reads as 0
        return "0"
    mantissa, exponent = f"{x:.{SIGNIFICANT - 1}e}".split("e")
    return f"{mantissa}e{int(exponent):+d}"


def answer_keys(x: float) -> set[str]:
    """The keys of every number within ``SPREAD`` of ``x``: its own, and the next one where ``x`` is near an edge."""
    return {answer_key(x * (1 - SPREAD)), answer_key(x), answer_key(x * (1 + SPREAD))}


def answer_hash(salt: str, row: str, key: str) -> str:
    """The first 16 hex digits of SHA-256 of 'salt|row|key': what the page compares a typed answer with."""
    return hashlib.sha256(f"{salt}|{row}|{key}".encode()).hexdigest()[:16]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def wrong_answers(graph: GraphView, trace: BackwardTrace, step_index: int, c: Contribution) -> dict[str, Any]:
    """The misconceptions' wrong answers for one contribution, in the order they are tried.

    ``local``: the sign flipped, the parent's own value (w2 typed for d(w2·x2)/d(w2)), the node's value
    (tanh(n) for tanh′(n)). ``total``: local + previous (upstream forgotten), local × upstream alone
    (= instead of +=), the previous total (this contribution missed), the previous total plus local ×
    an upstream that misses one of the node's own contributions, and the sign errors.
    """
    step = trace.steps[step_index]
    node, parent = graph.order[step.position], graph.order[c.parent_position]
    L, U, T = c.local, c.upstream, c.total
    P = T - c.product
    local = [("sign", -L), ("value-for-derivative", parent.data), ("output-for-derivative", node.data)]
    total = [("forgot-upstream", P + L)] if U != 1 else []
    total += [("assigned", c.product)] if c.count >= 2 else []
    total += [("missed-contribution", P)] if c.count >= 2 else []
    received = [
        x.product for s in trace.steps[:step_index] for x in s.contributions if x.parent_position == step.position
    ]
    if 2 <= len(received) <= 6:  # the node's own gradient summed from only some of its users
        for size in range(1, len(received)):
            for part in combinations(received, size):
                total.append(("missed-upstream", P + L * math.fsum(part)))
    total += [("sign", -T), ("sign", P - c.product)]
    return {"local": local, "total": total}


def _hashes(salt: str, row: str, right: float, wrong: list[tuple[str, float]]) -> dict[str, str]:
    """hash → kind for the right answer's keys and each misconception's, a key claimed once (right first)."""
    table = {answer_hash(salt, row, k): "right" for k in answer_keys(right)}
    for kind, x in wrong:
        for k in answer_keys(x):
            table.setdefault(answer_hash(salt, row, k), kind)
    return table


def _derivation(node: Value, j: int, graph: GraphView, local: float, fmt: str) -> tuple[str, str]:
    """The local derivative's rule with names, and with the forward values put in, without its result."""
    parts = local_formula(node, j, graph.name, fmt).split(" = ")
    value = format(local, fmt)
    if len(parts) >= 2 and parts[-1] == value:
        parts = parts[:-1]
    if any(value == p.strip() for p in parts[1:]) or "recorded by op" in parts[0]:
        return "", ""  # a formula whose only form is its result would give the answer away
    if len(parts) == 1:  # names only (d(w·x)/d(x) = w): the operands' forward values, public on the page, beside
        named = {graph.name(p): format(p.data, fmt) for p in node.parents if graph.name(p) in parts[0].split()}
        shown = ", ".join(f"{k} = {v}" for k, v in named.items())
        return parts[0], parts[0] + (f" ({shown}, as its box shows)" if shown else "")
    return parts[0], " = ".join(parts)


def _hints(graph: GraphView, step: Any, c: Contribution, rule: str, users: int) -> dict[str, str]:
    name, who = step.name, c.parent_name
    rule_text = f" Its rule: d({name})/d({who}) = {rule}." if rule else ""
    return {
        "sign": f"Sign error: check which way {name} moves when {who} grows, and the sign you added with.",
        "value-for-derivative": f"That is {who}'s own value, not a derivative: d({name})/d({who}) is how fast "
        f"{name} changes as {who} moves, the other operands held fixed.{rule_text}",
        "output-for-derivative": f"That is the value of {name} = {step.expression} itself, not its derivative: "
        f"the local derivative is the slope of {step.op} at this input.{rule_text}",
        "forgot-upstream": f"You added the local derivative alone: the chain rule adds local × upstream, and the "
        f"upstream gradient here is {name}.grad, not 1.",
        "assigned": f"That is this step's product alone (= instead of +=): {who}.grad already holds its earlier "
        f"contributions, and this is its {_ordinal(c.count)}; add the product to it.",
        "missed-contribution": f"That is {who}.grad before this step: {who} is used more than once, and this use "
        "adds its own product local × upstream.",
        "missed-upstream": f"The upstream gradient you used misses a contribution: {name} is used by {users} nodes, "
        f"so {name}.grad is the sum of all {users} products, collected in the steps before.",
        "wrong-local": f"Not yet: d({name})/d({who}) is the derivative of {name} with respect to {who}, "
        "the other operands held fixed.",
        "wrong-total": f"Not yet: the new {who}.grad is its value before this step plus local × upstream "
        f"(upstream = {name}.grad).",
    }


def exercise_data(
    graph: GraphView, trace: BackwardTrace, fmt: str, salt: str | None = None
) -> list[list[dict[str, Any]]]:
    """Per step, what the exercise page needs for each contribution: names, rules, hashes and hints, no answer."""
    salt = salt if salt is not None else secrets.token_hex(8)
    used = graph.consumers()
    steps = []
    for s, step in enumerate(trace.steps):
        node = graph.order[step.position]
        users = len({id(u) for u, _ in used[id(node)]})
        rows: list[dict[str, Any]] = []
        for k, c in enumerate(step.contributions):
            row = f"{s}.{k}"
            wrong = wrong_answers(graph, trace, s, c)
            rule, derivation = _derivation(node, c.operand, graph, c.local, fmt)
            before = "0" if c.count == 1 else f"{c.parent_name}.grad so far"
            rows.append(
                {
                    "parent": c.parent_position, "name": c.parent_name, "count": c.count, "op": node.op,
                    "salt": salt, "row": row,
                    "local": _hashes(salt, row + ".local", c.local, wrong["local"]),
                    "total": _hashes(salt, row + ".total", c.total, wrong["total"]),
                    "hints": _hints(graph, step, c, rule, users),
                    "reveal_local": f"d({step.name})/d({c.parent_name}) = "
                    + (derivation or "see the op's rule: no formula to show"),
                    "reveal_total": f"new {c.parent_name}.grad = {before} + local × upstream = {before} + "
                    f"d({step.name})/d({c.parent_name}) × {step.name}.grad",
                }
            )  # fmt: skip
        steps.append(rows)
    return steps
