"""gradcheck_module on the moons MLP (337 parameters): seconds per full check.

Run by hand (never by the tests):

    python benchmarks/bench_gradcheck.py [--repeats 3] [--method richardson] [--rebuild]

The loss is the mean squared error of MLP(2, [16, 16, 1]) over 100 points of two
moons (labels ±1). ``--rebuild`` evaluates every nudged point by rebuilding the
graph instead of replaying the compiled graph; ``--per-evaluation`` times one
evaluation of the loss both ways, alternating, in this process (ratio of medians).
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import time

from micrograd_plus import gradcheck_module, losses
from micrograd_plus.data import make_moons
from micrograd_plus.nn import MLP

X, Y = make_moons(100, noise=0.1, seed=1)
TARGETS = [2.0 * t - 1.0 for t in Y]


def loss_of(model: MLP) -> object:
    return losses.mse([model(x)[0] for x in X], TARGETS)


def per_evaluation(repeats: int) -> None:
    from micrograd_plus.compile import compile_graph

    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    compiled = compile_graph(loss_of(model), params)  # type: ignore[arg-type]
    point = [p.data for p in params]
    rebuild: list[float] = []
    replay: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        loss_of(model)
        rebuild.append(time.perf_counter() - start)
        start = time.perf_counter()
        compiled.forward(point)
        replay.append(time.perf_counter() - start)
    a, b = statistics.median(rebuild), statistics.median(replay)
    print(f"one evaluation: rebuild {a * 1e3:.1f} ms, compiled replay {b * 1e3:.1f} ms, ratio {a / b:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--method", default=None, help="estimation method (when gradcheck_module has one)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the graph for every evaluation")
    parser.add_argument("--per-evaluation", action="store_true", help="time one evaluation both ways")
    args = parser.parse_args()
    if args.per_evaluation:
        per_evaluation(max(args.repeats, 20))
        return
    model = MLP(2, [16, 16, 1], seed=0)
    options: dict[str, object] = {}
    accepted = inspect.signature(gradcheck_module).parameters
    if args.method and "method" in accepted:
        options["method"] = args.method
    if "replay" in accepted:
        options["replay"] = not args.rebuild
    times, report = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        report = gradcheck_module(model, loss_of, **options)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    assert report is not None
    print(f"gradcheck_module, {len(report.rows)} parameters, options {options}: ok={report.ok}")
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"  median {statistics.median(times):.2f} s over {args.repeats} runs ({runs})")
    if not report.ok:
        print(report.summary())


if __name__ == "__main__":
    main()
