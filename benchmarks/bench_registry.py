"""The op registry's costs: the W1 eager step against an earlier checkout, and the per-node check at scale.

Run by hand (never by the tests):

    python benchmarks/bench_registry.py                          # the per-node check at 10^4..10^5 operands
    git worktree add /tmp/before <commit>                        # an earlier version of the library
    python benchmarks/bench_registry.py --against /tmp/before    # + W1 eager, this checkout vs that one

With ``--against`` the earlier package is copied under another name and imported beside this
one, so both W1 steps (MLP(2, [16, 16, 1]) on 100 moons, hinge + 1e-4·L2, SGD) alternate in one
process; the ratio is of medians. The machine is noisy: compare ratios, never single times.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import micrograd_plus
from micrograd_plus import check_local_grads
from micrograd_plus import functional as F
from micrograd_plus.data import make_moons

X, Y = make_moons(100, noise=0.1, seed=1)
Y_PM1 = [2.0 * y - 1.0 for y in Y]


def import_renamed(checkout: Path) -> ModuleType:
    """The package of another checkout, copied as ``micrograd_plus_before`` and imported."""
    target = Path(tempfile.mkdtemp()) / "micrograd_plus_before"
    shutil.copytree(checkout / "micrograd_plus", target)
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\bmicrograd_plus\b", "micrograd_plus_before", text), encoding="utf-8")
    sys.path.insert(0, str(target.parent))
    return importlib.import_module("micrograd_plus_before")


def w1_step(lib: Any) -> Any:
    model = lib.nn.MLP(2, [16, 16, 1], seed=0)
    opt = lib.optim.SGD(model.parameters(), lr=0.05)

    def step() -> None:
        scores = [model(x)[0] for x in X]
        loss = lib.losses.hinge(scores, Y_PM1) + 1e-4 * lib.losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def compare(before: ModuleType, rounds: int) -> None:
    steps = {"before": w1_step(before), "now": w1_step(micrograd_plus)}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(rounds):
        for name in sorted(steps, reverse=bool(r % 2)):  # alternate who goes first
            start = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - start)
    m = {name: statistics.median(t) * 1000 for name, t in times.items()}
    print(f"W1 eager step, medians of {rounds}: before {m['before']:.2f} ms, now {m['now']:.2f} ms")
    print(f"   now / before = {m['now'] / m['before']:.3f}")


def per_node_check() -> None:
    print("per-node check (check_local_grads) of one dot node with n weights, n inputs and a bias:")
    for n in (10_000, 30_000, 100_000):
        ws = [micrograd_plus.Value(0.5 + 1e-6 * i) for i in range(n)]
        xs = [micrograd_plus.Value(1.0 - 1e-6 * i) for i in range(n)]
        root = F.dot(ws, xs, bias=0.25)
        start = time.perf_counter()
        report = check_local_grads(root)
        seconds = time.perf_counter() - start
        edges = len(report.checks)
        per_edge = seconds / edges * 1e6
        print(f"   n = {n:>7,}: {edges:>7,} edges in {seconds:6.2f} s ({per_edge:.1f} µs/edge), ok={report.ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="an earlier checkout to compare the W1 eager step with")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}")
    if args.against:
        compare(import_renamed(args.against), args.rounds)
    per_node_check()


if __name__ == "__main__":
    main()
