"""Mutation benchmark of check_grad: false fails on right gradients, false passes per kind of wrong one.

Run by hand (never by the tests):

    python benchmarks/bench_mutants.py [--points 20] [--seed 0] [--scipy-atol 1e-6]

Functions are sums of terms with hand-written gradients: smooth ones at random
points, C¹ points where f'' jumps (Huber at |r| = δ, x·|x| at 0, squared hinge at
margin 1, ELU at 0), kinks (relu and abs at 0, a tie of max) where the right
answer is a subgradient, and a matrix input for transposes. Every case is
multiplied by a magnitude drawn log-uniformly from 1e-12 to 1e12, so the
derivatives span 24 decades. Each right gradient is checked (a failure is a
false fail; *unresolved* is counted apart), then its mutants: sign flipped,
×2, two components swapped, the matrix transposed, a term dropped, one entry
off by 1e-3 and by 1e-5 relative, and at kinks a value outside the one-sided
slopes. A mutant counts where it differs from the right gradient and the right
gradient's check resolved every component (else no checker can tell). A pass
is a false pass. Evaluations of f per component are counted on the right
gradients of smooth functions. A checker that raises has failed that check.
When scipy is importable, scipy.optimize.check_grad
at its defaults runs on the same cases; its verdict is ``error <= --scipy-atol``.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from micrograd_plus import check_grad

Vector = list[float]
Term = tuple[Callable[[Vector], float], Callable[[Vector], Vector]]


def _unit(n: int, j: int, value: float) -> Vector:
    out = [0.0] * n
    out[j] = value
    return out


@dataclass
class Case:
    """f = Σ terms on n inputs; ``points(rng)`` draws a point; ``kinked`` inputs are at a kink there."""

    name: str
    n: int
    terms: list[Term]
    points: Callable[[random.Random], Vector]
    family: str  # "smooth", "C1" or "kink"
    kinked: tuple[int, ...] = ()
    matrix: bool = False  # the inputs are a 2×2 matrix, row-major

    def f(self, x: Vector) -> float:
        return math.fsum(t(x) for t, _ in self.terms)

    def grad(self, x: Vector, skip: int | None = None) -> Vector:
        total = [0.0] * self.n
        for k, (_, g) in enumerate(self.terms):
            if k != skip:
                total = [a + b for a, b in zip(total, g(x))]
        return total


def _around(values: Vector, spread: float = 0.0) -> Callable[[random.Random], Vector]:
    return lambda rng: [v + spread * rng.uniform(-1, 1) for v in values]


def _random(n: int, low: float, high: float, positive: bool = False) -> Callable[[random.Random], Vector]:
    def draw(rng: random.Random) -> Vector:
        return [rng.uniform(low, high) * (1 if positive or rng.random() < 0.5 else -1) for _ in range(n)]

    return draw


def _huber(r: float, d: float = 1.0) -> float:
    return 0.5 * r * r if abs(r) <= d else d * (abs(r) - 0.5 * d)


def _huber_grad(r: float, d: float = 1.0) -> float:
    return r if abs(r) <= d else d * math.copysign(1.0, r)


SIG: Callable[[float], float] = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
CASES = [
    Case("Σ x³ + x0·x1", 3, [(lambda v: sum(t**3 for t in v), lambda v: [3 * t * t for t in v]),
                            (lambda v: v[0] * v[1], lambda v: [v[1], v[0], 0.0])], _random(3, 0.5, 2.0), "smooth"),
    Case("x0·x1 + x1²·x2", 3, [(lambda v: v[0] * v[1], lambda v: [v[1], v[0], 0.0]),
                              (lambda v: v[1] ** 2 * v[2], lambda v: [0.0, 2 * v[1] * v[2], v[1] ** 2])],
         _random(3, 0.5, 2.0), "smooth"),
    Case("Σ log x + x0/x1", 3, [(lambda v: sum(math.log(t) for t in v), lambda v: [1 / t for t in v]),
                               (lambda v: v[0] / v[1], lambda v: [1 / v[1], -v[0] / v[1] ** 2, 0.0])],
         _random(3, 0.2, 5.0, True), "smooth"),
    Case("exp(x0)·sin(x1) + tanh(x2)", 3, [
        (lambda v: math.exp(v[0]) * math.sin(v[1]), lambda v: [math.exp(v[0]) * math.sin(v[1]),
                                                              math.exp(v[0]) * math.cos(v[1]), 0.0]),
        (lambda v: math.tanh(v[2]), lambda v: [0.0, 0.0, 1 - math.tanh(v[2]) ** 2])], _random(3, 0.1, 3.0), "smooth"),
    Case("logsumexp + Σ sigmoid", 3, [
        (lambda v: math.log(sum(math.exp(t) for t in v)), lambda v: [math.exp(t) / sum(math.exp(u) for u in v)
                                                                     for t in v]),
        (lambda v: sum(SIG(t) for t in v), lambda v: [SIG(t) * (1 - SIG(t)) for t in v])],
         _random(3, 0.1, 4.0), "smooth"),
    Case("hypot(x0, x1) + x0·x2²", 3, [
        (lambda v: math.hypot(v[0], v[1]), lambda v: [v[0] / math.hypot(v[0], v[1]), v[1] / math.hypot(v[0], v[1]),
                                                      0.0]),
        (lambda v: v[0] * v[2] ** 2, lambda v: [v[2] ** 2, 0.0, 2 * v[0] * v[2]])], _random(3, 0.5, 3.0), "smooth"),
    Case("3·x0 + x1² at x0 ≈ 1e10", 2, [(lambda v: 3 * v[0], lambda v: [3.0, 0.0]),
                                         (lambda v: v[1] ** 2 + v[1], lambda v: [0.0, 2 * v[1] + 1])],
         lambda rng: [1e10 * rng.uniform(0.5, 2), rng.uniform(0.5, 2)], "smooth"),
    Case("1e8·x0² + x1² + 1e-8·x2²", 3, [(lambda v: 1e8 * v[0] ** 2 + v[1] ** 2, lambda v: [2e8 * v[0], 2 * v[1], 0]),
                                        (lambda v: 1e-8 * v[2] ** 2, lambda v: [0.0, 0.0, 2e-8 * v[2]])],
         _random(3, 0.5, 2.0), "smooth"),
    Case("exp(x0) + x0·exp(x1) near 100", 2, [(lambda v: math.exp(v[0]), lambda v: [math.exp(v[0]), 0.0]),
                                              (lambda v: v[0] * math.exp(v[1]), lambda v: [math.exp(v[1]),
                                                                                            v[0] * math.exp(v[1])])],
         lambda rng: [rng.uniform(95, 105), rng.uniform(95, 105)], "smooth"),
    Case("1/x0 + x0·x1, x0 ≈ 1e-20..1e-3", 2, [(lambda v: 1 / v[0], lambda v: [-1 / v[0] ** 2, 0.0]),
                                               (lambda v: v[0] * v[1], lambda v: [v[1], v[0]])],
         lambda rng: [10 ** rng.uniform(-20, -3), rng.uniform(0.5, 2)], "smooth"),
    Case("√x0 + x1², x0 ≈ 1e-10..1e-2", 2, [(lambda v: v[0] ** 0.5, lambda v: [0.5 / v[0] ** 0.5, 0.0]),
                                            (lambda v: v[1] ** 2 * v[0], lambda v: [v[1] ** 2, 2 * v[1] * v[0]])],
         lambda rng: [10 ** rng.uniform(-10, -2), rng.uniform(0.5, 2)], "smooth"),
    Case("Huber(x0) at |r| = δ + x1²", 2, [(lambda v: _huber(v[0]), lambda v: [_huber_grad(v[0]), 0.0]),
                                            (lambda v: v[1] ** 2, lambda v: [0.0, 2 * v[1]])],
         lambda rng: [rng.choice([-1.0, 1.0]), rng.uniform(0.5, 2)], "C1"),
    Case("x0·|x0| at 0 + x0·x1", 2, [(lambda v: v[0] * abs(v[0]), lambda v: [2 * abs(v[0]), 0.0]),
                                     (lambda v: 3 * v[0] * v[1], lambda v: [3 * v[1], 3 * v[0]])],
         lambda rng: [0.0, rng.uniform(0.5, 2)], "C1"),
    Case("squared hinge at margin 1 + x1³", 2, [
        (lambda v: max(0.0, 1 - v[0]) ** 2, lambda v: [-2 * max(0.0, 1 - v[0]), 0.0]),
        (lambda v: v[0] * v[1] ** 3, lambda v: [v[1] ** 3, 3 * v[0] * v[1] ** 2])],
         lambda rng: [1.0, rng.uniform(0.5, 2)], "C1"),
    Case("ELU(x0) at 0 + sin(x1)·x0", 2, [
        (lambda v: v[0] if v[0] > 0 else math.expm1(v[0]), lambda v: [1.0 if v[0] > 0 else math.exp(v[0]), 0.0]),
        (lambda v: math.sin(v[1]) * (v[0] + 2), lambda v: [math.sin(v[1]), math.cos(v[1]) * (v[0] + 2)])],
         lambda rng: [0.0, rng.uniform(0.5, 2)], "C1"),
    Case("relu(x0) at 0 + x1²", 2, [(lambda v: max(0.0, v[0]), lambda v: [0.0, 0.0]),
                                    (lambda v: v[1] ** 2 + v[0] * v[1], lambda v: [v[1], 2 * v[1] + v[0]])],
         lambda rng: [0.0, rng.uniform(0.5, 2)], "kink", kinked=(0,)),
    Case("|x0| at 0 + x0·x1", 2, [(lambda v: abs(v[0]), lambda v: [0.0, 0.0]),
                                  (lambda v: 0.5 * v[0] * v[1], lambda v: [0.5 * v[1], 0.5 * v[0]])],
         lambda rng: [0.0, rng.uniform(0.5, 1.5)], "kink", kinked=(0,)),
    Case("max(x0, x1) at a tie + x2²", 3, [(lambda v: max(v[0], v[1]), lambda v: [0.5, 0.5, 0.0]),
                                           (lambda v: v[2] ** 2, lambda v: [0.0, 0.0, 2 * v[2]])],
         lambda rng: [1.5, 1.5, rng.uniform(0.5, 2)], "kink", kinked=(0, 1)),
    Case("tr(A·W) + W01²", 4, [(lambda w: 1.0 * w[0] + 2.0 * w[2] + 3.0 * w[1] + 5.0 * w[3],
                                lambda w: [1.0, 3.0, 2.0, 5.0]),
                               (lambda w: w[1] ** 2 * w[0], lambda w: [w[1] ** 2, 2 * w[0] * w[1], 0.0, 0.0])],
         _random(4, 0.5, 2.0), "smooth", matrix=True),
]  # fmt: skip


def _mutants(case: Case, x: Vector, g: Vector, scale: float) -> dict[str, Vector]:
    """Each kind of wrong gradient at x (a kind is left out where it equals the right one there). At a kink
    most mutants are still subgradients, so only a value outside the one-sided slopes is made there."""
    if case.kinked:
        beyond = [
            t + 3 * abs(t) + 5 * scale if k in case.kinked else t for k, t in enumerate(g)
        ]  # slopes differ by ≤ 2
        return {"not a subgradient": beyond}
    j = max(range(case.n), key=lambda k: abs(g[k]))
    out = {"sign": [-t for t in g], "×2": [2 * t for t in g], "off 1e-3": list(g), "off 1e-5": list(g)}
    out["off 1e-3"][j] *= 1 + 1e-3
    out["off 1e-5"][j] *= 1 + 1e-5
    if case.n > 1:
        out["swap"] = [g[1], g[0], *g[2:]]
    out["missing term"] = case.grad(x, skip=len(case.terms) - 1)
    if case.matrix:
        out["transpose"] = [g[0], g[2], g[1], g[3]]
    return out


def _differs(m: Vector, g: Vector) -> bool:
    return any(abs(a - b) > 1e-9 * max(abs(b), 1e-300) for a, b in zip(m, g))


class Counted:
    def __init__(self, f: Callable[[Vector], float]) -> None:
        self.f, self.calls = f, 0

    def __call__(self, x: Any) -> float:
        self.calls += 1
        return self.f([float(t) for t in x])


def _scipy() -> Callable[..., float] | None:
    try:
        from scipy.optimize import check_grad as scipy_check_grad
    except ImportError:
        return None
    return scipy_check_grad  # type: ignore[no-any-return]


@dataclass
class Tally:
    checks: int = 0
    fails: int = 0

    def rate(self) -> str:
        return f"{self.fails}/{self.checks} ({self.fails / self.checks:.1%})" if self.checks else "-"


VERBOSE = False


def _ours(f: Callable[[Vector], float], g: Vector, x: Vector) -> tuple[bool, bool, str]:
    """check_grad's verdict: (passed, every component resolved, the diagnosis); raising is a failure."""
    try:
        report = check_grad(f, lambda v: list(g), x)
    except Exception as error:
        return False, True, f"raised {type(error).__name__}: {error}"
    return report.ok, all(r.status != "unresolved" for r in report.rows), report.diagnosis()


def _theirs(check: Callable[..., float], f: Callable[[Vector], float], g: Vector, x: Vector, atol: float) -> bool:
    try:
        return bool(check(f, lambda v: list(g), x) <= atol)
    except Exception:
        return False


def _count(tallies: dict[str, Tally], kind: str, failed: bool) -> None:
    tally = tallies.setdefault(kind, Tally())
    tally.checks += 1
    tally.fails += failed


def run(points: int, seed: int, scipy_atol: float) -> None:
    rng = random.Random(seed)
    scipy_check = _scipy()
    ours: dict[str, Tally] = {}
    theirs: dict[str, Tally] = {}
    unresolved = Tally()
    evaluations: list[float] = []
    scipy_evaluations: list[float] = []
    for case in CASES:
        for _ in range(points):
            scale = 10 ** rng.uniform(-12, 12)
            x = case.points(rng)
            f = Counted(lambda v, s=scale, c=case: s * c.f(v))
            g = [scale * t for t in case.grad(x)]
            ok, resolved, diagnosis = _ours(f, g, x)
            _count({"": unresolved}, "", not resolved)
            if VERBOSE and not ok:
                print(f"  right gradient not ok on {case.name} at {x}, magnitude {scale:.3g}: {diagnosis}")
            _count(ours, f"right ({case.family})", not ok and resolved)
            if case.family == "smooth":
                evaluations.append(f.calls / case.n)
            if scipy_check is not None:
                f_scipy = Counted(f.f)
                _count(theirs, f"right ({case.family})", not _theirs(scipy_check, f_scipy, g, x, scipy_atol))
                scipy_evaluations.append(f_scipy.calls / case.n)
            if not resolved:
                continue
            for kind, m in _mutants(case, x, g, scale).items():
                if not _differs(m, g):
                    continue
                passed = _ours(f.f, m, x)[0]
                _count(ours, kind, passed)
                if passed and VERBOSE:
                    print(f"  false pass: {kind} on {case.name} at {x}, magnitude {scale:.3g}")
                if scipy_check is not None and kind != "not a subgradient":
                    _count(theirs, kind, _theirs(scipy_check, f.f, m, x, scipy_atol))
    _print(points, ours, theirs, unresolved, evaluations, scipy_evaluations, scipy_atol)


def _print(points: int, ours: dict[str, Tally], theirs: dict[str, Tally], unresolved: Tally, evaluations: list[float],
           scipy_evaluations: list[float], scipy_atol: float) -> None:  # fmt: skip
    print(f"{len(CASES)} functions × {points} points, magnitudes 1e-12..1e12")
    print(f"check_grad unresolved (right gradients, not counted below): {unresolved.rate()}")
    head = f"| kind | check_grad | scipy check_grad (error <= {scipy_atol:g}) |"
    print(head + "\n|---|---|---|")
    for kind, tally in ours.items():
        what = "false fails" if kind.startswith("right") else "false passes"
        other = theirs.get(kind)
        print(f"| {kind}: {what} | {tally.rate()} | {other.rate() if other else '-'} |")
    print(
        f"| evaluations of f per component, smooth (median, max) | {statistics.median(evaluations):.1f}, "
        f"{max(evaluations):.1f} | "
        + (
            f"{statistics.median(scipy_evaluations):.1f}, {max(scipy_evaluations):.1f} |"
            if scipy_evaluations
            else "- |"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scipy-atol", type=float, default=1e-6)
    parser.add_argument("--verbose", action="store_true", help="print every false pass")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    run(args.points, args.seed, args.scipy_atol)


if __name__ == "__main__":
    main()
