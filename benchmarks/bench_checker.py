"""False-pass and false-fail rates of the derivative checkers, on the engine's op table and on plain functions.

Run by hand (never by the tests):

    python benchmarks/bench_checker.py [--points 200] [--seed 0]

*Op table*: every row of ``micrograd_plus.check.op_table.OPS`` at seeded random points
of its domain (``gradcheck``'s defaults), the rows again with the output scaled
by 1e-12, 1e-9 and 1e9 (derivatives of that size), and the polynomial rows with
inputs scaled to 1e-12..1e20. Each point is checked four times: the right
derivative (a failure is a false fail), the derivative 0.05% too large, with its
sign flipped and twice too large (a pass is a false pass). A wrong derivative
counts only where the error is detectable at all: 0.0005·|g| above twice the
report's own tolerance atol + rtol·|g|.

*Plain functions*: ``check_grad`` on functions of 2 or 3 inputs at points of one
magnitude drawn log-uniformly from 1e-8 to 1e12 (check_grad's defaults),
with the right gradient and five bugs: 0.05% off, sign, factor 2, swapped
components, a missing term; a wrong one must fail with the right diagnosis.
A right derivative that fails as *unresolved* (the estimate's own error bound
exceeds the tolerance: f's rounding hides the derivative, as for the bias of
``dot + bias`` at 1e20, where a step of 1e17 in the bias changes a sum of 1e40
by less than its last digit) is counted apart from a wrong verdict.
This part needs ``check_grad`` (not in older versions) and is skipped without it.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable
from typing import Any

import micrograd_plus
from micrograd_plus import Value, gradcheck
from micrograd_plus.check.op_table import OPS, Domain

POLYNOMIAL = ["a + b", "2.5 + a", "a - b", "a * b", "2.5 * a", "a ** 3", "-a", "sum", "mean", "dot", "dot + bias"]


def scaled(y: Value, factor: float) -> Value:
    """y with every derivative through it multiplied by ``factor`` (a deliberately wrong identity)."""
    return Value.from_op(y.data, [y], [factor], "scaled")


def draw(domain: Domain, rng: random.Random) -> float:
    while True:
        x = rng.uniform(domain.low, domain.high)
        if domain.contains(x):
            return x


def detectable(report: Any) -> bool:
    atol, rtol = report.atol, report.rtol
    return any(5e-4 * abs(r.analytic) > 2 * (atol + rtol * abs(r.analytic)) for r in report.rows)


def output_scaled(spec: Any, factor: float) -> Callable[..., Value]:
    return lambda *v: spec.build(*v) * factor


def op_table(points: int, seed: int) -> None:
    rng = random.Random(seed)
    for title, specs, scales, outputs in (
        ("op table, inputs in each op's domain", list(OPS.values()), [1.0], [1.0]),
        ("op table, outputs scaled by 1e-12, 1e-9, 1e9", list(OPS.values()), [1.0], [1e-12, 1e-9, 1e9]),
        (
            "polynomial ops, inputs scaled by 1e-12, 1e-9, 1e6, 1e10, 1e12, 1e20",
            [OPS[n] for n in POLYNOMIAL],
            [1e-12, 1e-9, 1e6, 1e10, 1e12, 1e20],
            [1.0],
        ),
    ):
        checks = false_fails = unresolved = wrong = false_passes = 0
        failing_ops: set[str] = set()
        for spec in specs:
            for _ in range(points):
                scale, out = rng.choice(scales), rng.choice(outputs)
                xs = [draw(d, rng) * scale for d in spec.domains]
                build = spec.build if out == 1.0 else output_scaled(spec, out)
                checks += 1
                right = gradcheck(build, xs)
                if not right.ok:
                    statuses = {getattr(r, "status", "wrong") for r in right.failures}
                    if statuses == {"unresolved"}:
                        unresolved += 1
                    else:
                        false_fails += 1
                    failing_ops.add(f"{spec.name} ({','.join(sorted(statuses))})")
                for factor in (1.0005, -1.0, 2.0):
                    report = gradcheck(lambda *v, f=factor, b=build: scaled(b(*v), f), xs)
                    if detectable(report):
                        wrong += 1
                        if report.ok:
                            false_passes += 1
                            failing_ops.add(spec.name + " (wrong passed)")
        print(f"{title}: {len(specs)} ops × {points} points")
        print(f"  false fails  {false_fails} of {checks} right derivatives ({false_fails / checks:.2%})")
        print(f"  unresolved   {unresolved} of {checks} right derivatives ({unresolved / checks:.2%})")
        rate = false_passes / max(wrong, 1)
        print(f"  false passes {false_passes} of {wrong} detectably wrong derivatives ({rate:.2%})")
        if failing_ops:
            print(f"  where: {sorted(failing_ops)}")


Vector = list[float]
PLAIN: list[tuple[str, int, Callable[[Vector], float], Callable[[Vector], Vector], bool]] = [
    ("Σ x³", 3, lambda v: sum(t**3 for t in v), lambda v: [3 * t * t for t in v], False),
    ("x0·x1 + x1²·x2", 3, lambda v: v[0] * v[1] + v[1] ** 2 * v[2],
     lambda v: [v[1], v[0] + 2 * v[1] * v[2], v[1] ** 2], False),
    ("Σ log x", 3, lambda v: sum(math.log(t) for t in v), lambda v: [1 / t for t in v], True),
    ("√(x0² + x1²)", 2, lambda v: math.hypot(v[0], v[1]),
     lambda v: [v[0] / math.hypot(*v), v[1] / math.hypot(*v)], False),
    ("x0 / x1", 2, lambda v: v[0] / v[1], lambda v: [1 / v[1], -v[0] / v[1] ** 2], False),
]  # fmt: skip
BUGS = {
    "0.05%": ("+0.050%", lambda g: [t * 1.0005 for t in g]),
    "sign": ("sign flipped", lambda g: [-t for t in g]),
    "factor 2": ("factor 2 too large", lambda g: [2 * t for t in g]),
    "swapped": ("are swapped", lambda g: [g[1], g[0], *g[2:]]),
    "missing": ("a term is missing", lambda g: [*g[:-1], 0.0]),
}


def plain_functions(points: int, seed: int) -> None:
    check_grad = getattr(micrograd_plus, "check_grad", None)
    if check_grad is None:
        print("plain functions: skipped (this version has no check_grad)")
        return
    rng = random.Random(seed)
    right = false_fails = wrong = false_passes = misdiagnosed = 0
    unresolved: dict[str, int] = {}
    for name, n, f, grad, positive in PLAIN:
        for _ in range(points):
            scale = 10 ** rng.uniform(-8, 12)  # one magnitude per point: a component 1e20 times smaller than
            # another would not change f at all in floating point, and no checker could see its derivative
            x = [scale * rng.uniform(0.5, 2.0) * (1 if positive or rng.random() < 0.5 else -1) for _ in range(n)]
            right += 1
            report = check_grad(f, grad, x)
            if not report.ok:
                kinds = {r.status for r in report.failures}
                if kinds == {"unresolved"}:
                    unresolved[name] = unresolved.get(name, 0) + 1
                else:
                    false_fails += 1
                    print("  false fail:", report.headline())
            for words, bug in BUGS.values():
                g = grad(x)
                if bug(g) == g or (words == "are swapped" and math.isclose(g[0], g[1], rel_tol=1e-3)):
                    continue
                report = check_grad(f, lambda v, b=bug, d=grad: b(d(v)), x)
                wrong += 1
                if report.ok:
                    false_passes += 1
                elif words not in report.summary():
                    misdiagnosed += 1
                    if misdiagnosed <= 3:
                        print(f"  diagnosis of {words!r} on {name} at {x}:", report.headline())
    print(f"plain functions: {len(PLAIN)} functions × {points} points, |x| from 1e-8 to 1e12, check_grad's defaults")
    print(f"  false fails  {false_fails} of {right} right gradients ({false_fails / right:.2%})")
    print(f"  unresolved   {sum(unresolved.values())} of {right} right gradients: {unresolved}")
    print(f"  false passes {false_passes} of {wrong} wrong gradients ({false_passes / max(wrong, 1):.2%})")
    print(f"  failed with another diagnosis than the bug's: {misdiagnosed} of {wrong - false_passes}")


def relu_networks(seeds: int) -> None:
    """gradcheck_module on relu MLPs over two moons (kinks near many evaluation points), right and 0.05% wrong."""
    from micrograd_plus import gradcheck_module, losses
    from micrograd_plus.data import make_moons
    from micrograd_plus.nn import MLP

    X, Y = make_moons(40, noise=0.1, seed=3)
    targets = [2.0 * t - 1.0 for t in Y]
    fails = passes = checks = 0
    for seed in range(seeds):
        model = MLP(2, [8, 8, 1], seed=seed)
        for loss in (losses.mse, losses.hinge):

            def right(m: MLP, loss: Any = loss) -> Value:
                return loss([m(x)[0] for x in X], targets)

            checks += 1
            fails += not gradcheck_module(model, right).ok
            passes += gradcheck_module(model, lambda m, r=right: scaled(r(m), 1.0005)).ok
    n = len(MLP(2, [8, 8, 1]).parameters())
    print(f"relu MLP(2, [8, 8, 1]) on 40 moons points, mse and hinge, {seeds} seeds: {checks} module checks of {n}")
    print(f"  false fails  {fails} of {checks}; false passes {passes} of {checks} (every gradient 0.05% wrong)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    op_table(args.points, args.seed)
    plain_functions(args.points, args.seed)
    relu_networks(max(1, args.points // 10))


if __name__ == "__main__":
    main()
