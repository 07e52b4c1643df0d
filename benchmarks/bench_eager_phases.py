"""Where an eager W1 step's time goes: forward (building the graph), backward, the SGD update and freeing the
graph, each against the float floor's whole step, at states spread over a training run.

Run by hand (never by the tests): ``python benchmarks/bench_eager_phases.py [--repeats 30]``.

W1, its floor and the kept training states are those of ``bench_training.py`` (eager and floor trained side by
side, checked equal after every step). The collector is paused while timing, so that each phase is charged its
own work, not a collection another phase's allocations triggered; ``bench_training.py`` times the collector.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from bench_nn import Y_PM1, X, micrograd_model, our_model
from bench_training import STEPS, active_samples, flat, floor_contender, layers_of, loss_of, train_side_by_side

from micrograd_plus import optim, paused_collector

PHASES = ("forward", "backward", "update", "free")


def eager_phases(state: list, repeats: int) -> dict[str, float]:
    """Median seconds of each phase of one eager step from ``state`` (the same step each time)."""
    model = our_model(micrograd_model())
    params = model.parameters()
    sgd = optim.SGD(params, lr=0.1)
    times: dict[str, list[float]] = {phase: [] for phase in PHASES}
    with paused_collector():
        for _ in range(repeats):
            for p, v in zip(params, flat(state), strict=True):
                p.data = v
            t0 = time.perf_counter()
            loss = loss_of(model, X, Y_PM1)
            t1 = time.perf_counter()
            sgd.zero_grad()
            loss.backward()
            t2 = time.perf_counter()
            sgd.step()
            t3 = time.perf_counter()
            del loss
            t4 = time.perf_counter()
            for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                times[phase].append(seconds)
    return {phase: statistics.median(ts) for phase, ts in times.items()}


def floor_time(state: list, repeats: int) -> float:
    """Median seconds of one floor step from ``state``."""
    run = floor_contender()
    with paused_collector():
        return statistics.median(run(state, 1)[0] for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per state (default 30)")
    args = parser.parse_args()
    starts = [0, 25, 50, 75, STEPS - 1]
    kept, _ = train_side_by_side(layers_of(our_model(micrograd_model())), starts)
    gc.collect()
    print(f"W1, median of {args.repeats} steps per state, collector paused; ms, and / the floor's whole step\n")
    print(f"   {'step':<30}" + "".join(f"{s:>18}" for s in starts))
    print(f"   {'samples with hinge margin > 0':<30}" + "".join(f"{active_samples(kept[s]):>18}" for s in starts))
    floors = [floor_time(kept[s], args.repeats) for s in starts]
    phases = [eager_phases(kept[s], args.repeats) for s in starts]
    print(f"   {'floor step':<30}" + "".join(f"{1e3 * f:>9.2f} ms      " for f in floors))
    for phase in PHASES:
        row = "".join(f"{1e3 * p[phase]:>9.2f} ms{p[phase] / f:>5.2f}x" for p, f in zip(phases, floors))
        print(f"   {'eager ' + phase:<30}" + row)
    totals = [sum(p.values()) for p in phases]
    print(f"   {'eager step':<30}" + "".join(f"{1e3 * t:>9.2f} ms{t / f:>5.2f}x" for t, f in zip(totals, floors)))


if __name__ == "__main__":
    main()
