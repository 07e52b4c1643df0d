"""Two versions of micrograd_plus in one process: the W1 eager step and compile time, before and after a change.

Run by hand (never by the tests), with a checkout of the earlier version:

    git worktree add /tmp/before <commit>
    python benchmarks/bench_versions.py --before /tmp/before [--repeats 41]

W1 is micrograd's demo step: two moons (100 points), MLP(2, [16, 16, 1]) with relu, hinge loss
+ 1e-4·L2, one full-batch SGD step (forward graph, backward, update), each version from the same
weights. The earlier version is imported first under the name ``micrograd_plus``, its objects are
kept, and the module cache is cleared before the current version is imported, so both run in one
process. Runs alternate; each figure is a median; the ratio is after/before (below 1: faster now).
The collector runs as in a user's loop (no gc.collect() before a step).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent.parent


def load(root: Path) -> SimpleNamespace:
    """The parts of micrograd_plus at ``root`` that W1 needs, imported fresh (the module cache cleared first)."""
    for name in [n for n in sys.modules if n == "micrograd_plus" or n.startswith("micrograd_plus.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module("micrograd_plus")
        assert Path(package.__file__ or "").resolve().is_relative_to(root.resolve()), f"{root} was not imported"
        try:
            fast = importlib.import_module("micrograd_plus.compile")
            compile_graph, replay = fast.compile_graph, fast.Replay
        except (ImportError, AttributeError):  # the layout before compile/
            compile_graph = importlib.import_module("micrograd_plus.compiler").compile_graph
            replay = importlib.import_module("micrograd_plus.replay").Replay
        data, nn = importlib.import_module("micrograd_plus.data"), importlib.import_module("micrograd_plus.nn")
        return SimpleNamespace(package=package, data=data, nn=nn, compile_graph=compile_graph, Replay=replay)
    finally:
        sys.path.remove(str(root))


def w1(version: SimpleNamespace, weights: list[float] | None) -> tuple[Callable[[], float], ...]:
    """(one eager W1 step, one compile of W1's graph, one Replay step), each returning its seconds."""
    mp = version.package
    X, Y = version.data.make_moons(100, noise=0.1, seed=1)
    y = [2.0 * t - 1.0 for t in Y]
    model = version.nn.MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    if weights is not None:
        for p, w in zip(params, weights, strict=True):
            p.data = w
    opt = mp.optim.SGD(params, lr=0.05)

    def loss() -> Any:
        return mp.losses.hinge([model(x)[0] for x in X], y) + 1e-4 * mp.losses.l2(params)

    def step() -> float:
        start = time.perf_counter()
        opt.zero_grad()
        loss().backward()
        opt.step()
        return time.perf_counter() - start

    def compile_once() -> float:
        root = loss()
        start = time.perf_counter()
        version.compile_graph(root, params)
        return time.perf_counter() - start

    replayed = version.Replay(
        lambda X_, y_: mp.losses.hinge([model(x)[0] for x in X_], y_) + 1e-4 * mp.losses.l2(params), model
    )

    def replay_step() -> float:
        start = time.perf_counter()
        opt.zero_grad()
        replayed(X, y)
        opt.step()
        return time.perf_counter() - start

    return step, compile_once, replay_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the earlier version")
    parser.add_argument("--repeats", type=int, default=41)
    args = parser.parse_args()
    before = load(args.before)
    weights = [p.data for p in before.nn.MLP(2, [16, 16, 1], seed=0).parameters()]
    old = w1(before, weights)
    after = load(HERE)
    new = w1(after, weights)
    names = ("W1 eager step", "W1 compile_graph", "W1 Replay step")
    rows = {name: (old[k], new[k]) for k, name in enumerate(names)}
    for name, (old, new) in rows.items():
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(3):  # warm-up (Replay compiles on its first call)
            old(), new()
        for k in range(args.repeats):
            pair = (old, new) if k % 2 == 0 else (new, old)  # alternate which goes first
            for run in pair:
                times[run is new].append(run())
        b, a = statistics.median(times[0]), statistics.median(times[1])
        print(f"{name:18s} before {b * 1e3:8.2f} ms   after {a * 1e3:8.2f} ms   after/before {a / b:5.3f}")


if __name__ == "__main__":
    main()
