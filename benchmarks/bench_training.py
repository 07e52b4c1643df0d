"""W1 over a whole training run: every contender against the float floor, at states spread over 100 SGD steps.

Run by hand (never by the tests): ``python benchmarks/bench_training.py [--quick] [--window 5]``, with
micrograd==0.1.0 installed (a reference row) and optionally torch and numpy (the batched rows).

W1 is micrograd's demo step: two moons, 100 points, MLP(2, [16, 16, 1]), hinge + 1e-4·L2, full-batch SGD
(lr 0.1). The *floor* is that step in plain floats, written as plainly as it goes (a loop per layer, no
helper calls), skipping what costs nothing: the backward of a sample whose hinge is flat (margin <= 0) and
of a unit whose relu is off. It gets cheaper as training goes on, so each ratio is printed with its steps.

Eager and floor first train 100 steps side by side, checked equal after every step (loss, every weight);
the weights at a few steps are kept. Each contender is then timed from each kept state over ``--window``
consecutive steps (its losses checked against the floor's), runs alternating, median of the repeats.
The collector is in its steady state, as in a user's own loop (no ``gc.collect()``; a step's graph is
freed when the next replaces it); two labelled eager rows run ``gc.collect()`` (untimed) before each
step, or inside ``paused_collector()``. PyTorch runs in a worker process (importing torch adds ~150,000
objects for the collector to walk); micrograd runs three times per state, each run ending with the
gc.collect() that frees its graphs (reference cycles), timed as part of its steps. Also printed: bytes
per node of W1's eager graph after backward (tracemalloc) and its largest allocation sites.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from operator import mul
from pathlib import Path
from typing import Any

from bench_nn import Y_PM1, X, micrograd_model, our_model

from micrograd_plus import Value, losses, optim, paused_collector
from micrograd_plus.nn import MLP

Layers = list[tuple[list[list[float]], list[float]]]  # per layer: rows of weights, biases
STEPS = 100


def floor_step(layers: Layers, lr: float = 0.1) -> float:
    """One W1 step in plain floats (forward, backward of the active samples, SGD in place); returns the loss."""
    n = len(X)
    last = len(layers) - 1
    grads = [([[0.0] * len(row) for row in rows], [0.0] * len(bias)) for rows, bias in layers]
    total = 0.0
    for x, y in zip(X, Y_PM1):
        inputs = [x]  # the input of each layer
        for depth, (rows, bias) in enumerate(layers):
            h = inputs[-1]
            z = [sum(map(mul, row, h)) + b for row, b in zip(rows, bias)]
            inputs.append(z if depth == last else [v if v > 0.0 else 0.0 for v in z])
        margin = 1.0 - y * inputs[-1][0]
        if margin <= 0.0:
            continue  # the hinge is flat: this sample adds nothing to any gradient
        total += margin
        delta = [-y / n]  # d loss / d output of the last layer
        for depth in range(last, -1, -1):
            rows, _ = layers[depth]
            grad_rows, grad_bias = grads[depth]
            h = inputs[depth]
            back = [0.0] * len(h)
            for j, d in enumerate(delta):
                if d:
                    row, grad_row = rows[j], grad_rows[j]
                    for k, a in enumerate(h):
                        grad_row[k] += d * a
                        back[k] += d * row[k]
                    grad_bias[j] += d
            delta = [d if a > 0.0 else 0.0 for d, a in zip(back, h)]  # through the relu below (h > 0 iff on)
    l2 = 0.0
    for (rows, bias), (grad_rows, grad_bias) in zip(layers, grads):
        for row, grad_row in zip(rows, grad_rows):
            for k, w in enumerate(row):
                l2 += w * w
                row[k] = w - lr * (grad_row[k] + 2e-4 * w)
        for j, b in enumerate(bias):
            l2 += b * b
            bias[j] = b - lr * (grad_bias[j] + 2e-4 * b)
    return total / n + 1e-4 * l2


def layers_of(model: MLP) -> Layers:
    return [
        ([[w.data for w in u.w] for u in layer.neurons], [u.b.data for u in layer.neurons]) for layer in model.layers
    ]


def flat(layers: Layers) -> list[float]:
    """Every weight in the order of ``MLP.parameters()`` (per neuron: its weights, then its bias)."""
    return [v for rows, bias in layers for row, b in zip(rows, bias) for v in (*row, b)]


def copy(layers: Layers) -> Layers:
    return [([row[:] for row in rows], bias[:]) for rows, bias in layers]


def loss_of(model: MLP, points: Any, labels: Any) -> Value:
    return losses.hinge([model(x)[0] for x in points], labels) + 1e-4 * losses.l2(model.parameters())


def train_side_by_side(start: Layers, keep: list[int]) -> tuple[dict[int, Layers], list[float]]:
    """Eager and floor for STEPS steps from ``start``, equal after every step; the weights at ``keep``, every loss."""
    model = our_model(micrograd_model())
    for p, v in zip(model.parameters(), flat(start), strict=True):
        p.data = v
    sgd, layers = optim.SGD(model.parameters(), lr=0.1), copy(start)
    kept, floor_losses = {}, []
    for step in range(STEPS):
        if step in keep:
            kept[step] = copy(layers)
        loss = loss_of(model, X, Y_PM1)
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        floor_losses.append(floor_step(layers))
        assert abs(loss.data - floor_losses[-1]) <= 1e-12 * max(1.0, abs(loss.data)), (step, loss.data)
        worst = max(abs(a - p.data) for a, p in zip(flat(layers), model.parameters()))
        assert worst <= 1e-12, f"eager and floor weights differ by {worst} after step {step}"
    return kept, floor_losses


Run = Callable[[Layers, int], tuple[float, list[float]]]  # a contender: load a state, run a window of steps


def floor_contender() -> Run:
    def run(state: Layers, window: int) -> tuple[float, list[float]]:
        layers = copy(state)
        start = time.perf_counter()
        found = [floor_step(layers) for _ in range(window)]
        return time.perf_counter() - start, found

    return run


def eager_contender(mode: str) -> Run:
    """A user's loop: each step's graph is freed when the next step's loss replaces it, and the last one when
    the loop ends (timed too: freeing is part of a step). mode "steady": as is; "collect": ``gc.collect()``
    before each step, untimed; "paused": the loop inside ``paused_collector()``."""
    model = our_model(micrograd_model())
    params, sgd = model.parameters(), optim.SGD(model.parameters(), lr=0.1)

    def loop(window: int, found: list[float]) -> None:
        for _ in range(window):
            loss = loss_of(model, X, Y_PM1)
            sgd.zero_grad()
            loss.backward()
            sgd.step()
            found.append(loss.data)

    def run(state: Layers, window: int) -> tuple[float, list[float]]:
        for p, v in zip(params, flat(state)):
            p.data = v
        found: list[float] = []
        if mode == "collect":
            seconds = 0.0
            for _ in range(window):
                gc.collect()
                start = time.perf_counter()
                loop(1, found)
                seconds += time.perf_counter() - start
            return seconds, found
        start = time.perf_counter()
        if mode == "paused":
            with paused_collector():
                loop(window, found)
        else:
            loop(window, found)
        return time.perf_counter() - start, found

    return run


def micrograd_contender() -> Run:
    from micrograd.engine import Value as MicrogradValue

    model = micrograd_model()
    params = model.parameters()

    def step() -> float:  # micrograd's own demo loop, as its users run it
        inputs = [list(map(MicrogradValue, row)) for row in X]
        scores = list(map(model, inputs))
        data_losses = [(1 + -yi * si).relu() for yi, si in zip(Y_PM1, scores)]
        total = sum(data_losses) * (1.0 / len(data_losses)) + 1e-4 * sum(p * p for p in params)
        model.zero_grad()
        total.backward()
        for p in params:
            p.data -= 0.1 * p.grad
        return float(total.data)

    def run(state: Layers, window: int) -> tuple[float, list[float]]:
        for p, v in zip(params, flat(state)):
            p.data = v
        start = time.perf_counter()
        found = [step() for _ in range(window)]
        gc.collect()  # its graphs are reference cycles: freeing them is part of its steps, not of the next contender's
        return time.perf_counter() - start, found

    return run


def replay_contenders() -> dict[str, Run]:
    """The compiled replay (compile_graph), Replay (auto) and, with NumPy, the batched replay; SGD on the Values."""
    from micrograd_plus.compile import Replay, compile_graph

    def window_of(model: MLP, one_step: Callable[[], float]) -> Run:
        params = model.parameters()

        def run(state: Layers, window: int) -> tuple[float, list[float]]:
            for p, v in zip(params, flat(state)):
                p.data = v
            start = time.perf_counter()
            found = [one_step() for _ in range(window)]
            return time.perf_counter() - start, found

        return run

    compiled_model, auto_model = (our_model(micrograd_model()) for _ in range(2))
    compiled_params = compiled_model.parameters()
    compiled = compile_graph(loss_of(compiled_model, X, Y_PM1), compiled_params)
    compiled_sgd = optim.SGD(compiled_params, lr=0.1)

    def compiled_step() -> float:
        compiled_sgd.zero_grad()
        value, grads = compiled.value_and_grad([p.data for p in compiled_params])
        for p, g in zip(compiled_params, grads):
            p.grad += g
        compiled_sgd.step()
        return value

    auto = Replay(lambda points, labels: loss_of(auto_model, points, labels), auto_model)
    auto_sgd = optim.SGD(auto_model.parameters(), lr=0.1)

    def auto_step() -> float:
        auto_sgd.zero_grad()
        value = auto(X, Y_PM1)
        auto_sgd.step()
        return value

    found = {"compiled": window_of(compiled_model, compiled_step), "auto": window_of(auto_model, auto_step)}
    try:
        import numpy as np

        from micrograd_plus.compile import vectorize
    except ImportError:
        return found
    numpy_model = our_model(micrograd_model())
    numpy_replay = Replay(lambda points, labels: loss_of(numpy_model, points, labels), numpy_model, backend="numpy")
    numpy_sgd = optim.SGD(numpy_model.parameters(), lr=0.1)

    def numpy_replay_step() -> float:
        numpy_sgd.zero_grad()
        value = numpy_replay(X, Y_PM1)
        numpy_sgd.step()
        return value

    found["auto numpy"] = window_of(numpy_model, numpy_replay_step)
    batched_model = our_model(micrograd_model())
    batched_sgd = optim.SGD(batched_model.parameters(), lr=0.1)
    x, y = [Value(0.0), Value(0.0)], Value(1.0)  # one sample's features and label
    one = losses.hinge(batched_model(x), [y]) + 1e-4 * losses.l2(batched_model.parameters())
    batched = vectorize(one, batched_model.parameters(), [*x, y])
    columns = np.array([[p[0] for p in X], [p[1] for p in X], Y_PM1])

    def batched_step() -> float:
        batched_sgd.zero_grad()
        value = batched.run(columns)
        batched_sgd.step()
        return value

    found["batched"] = window_of(batched_model, batched_step)
    return found


def torch_contender() -> dict[str, Run]:
    """PyTorch batched nn.Sequential, float64, one thread, in a worker process (bench_training_torch.py)."""
    here = Path(__file__).with_name("bench_training_torch.py")
    worker = subprocess.Popen([sys.executable, here], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert worker.stdin is not None and worker.stdout is not None
    atexit.register(worker.kill)
    if worker.stdout.readline().strip() != "ready":
        return {}  # no torch there

    def run(state: Layers, window: int) -> tuple[float, list[float]]:
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(json.dumps([state, window]) + "\n")
        worker.stdin.flush()
        seconds, found = json.loads(worker.stdout.readline())
        return seconds, found

    return {"torch batched": run}


# -- the table ------------------------------------------------------------------------------------------------

LABELS = {
    "floor": "hand-written float step (the floor)",
    "eager": "micrograd_plus eager, collector steady",
    "eager paused": "eager inside paused_collector()",
    "eager collect": "eager, gc.collect() before each step",
    "micrograd": "micrograd 0.1.0 as shipped, cycles freed",
    "compiled": "compiled replay (compile_graph)",
    "auto": "Replay (auto)",
    "auto numpy": "Replay (auto), backend='numpy'",
    "batched": "batched NumPy replay",
    "torch batched": "PyTorch batched, float64, 1 thread",
}


def active_samples(state: Layers) -> int:
    """How many samples still have a hinge margin > 0 (the others cost the floor no backward)."""
    active = 0
    for x, y in zip(X, Y_PM1):
        h = x
        for depth, (rows, bias) in enumerate(state):
            z = [sum(map(mul, row, h)) + b for row, b in zip(rows, bias)]
            h = z if depth == len(state) - 1 else [v if v > 0.0 else 0.0 for v in z]
        active += 1.0 - y * h[0] > 0.0
    return active


def time_states(
    contenders: dict[str, Run], kept: dict[int, Layers], expected: list[float], window: int, repeats: int
) -> dict[str, list[float]]:
    """Per contender, its median time per step at each kept state (runs alternating), losses checked."""
    medians: dict[str, list[float]] = {name: [] for name in contenders}
    for s, state in kept.items():
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for k in range(repeats):
            for name, run in contenders.items():  # alternating, so that noise hits every contender alike
                if name == "micrograd" and k >= 3:
                    continue  # about 100 times slower than the rest: three runs per state
                seconds, found = run(state, window)
                want = expected[s : s + window]
                assert all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(found, want)), (name, s, found, want)
                times[name].append(seconds / window)
        for name, ts in times.items():
            medians[name].append(statistics.median(ts))
    return medians


def measure(starts: list[int], window: int, repeats: int, micrograd: bool) -> None:
    """Two phases, each against its own floor: the graph-building contenders, then the replays. A replay keeps
    its recorded graph (~20,000 objects), which every full pass of the collector walks; a user training eagerly
    has none of them, so they are made only after the eager rows are timed."""
    kept, expected = train_side_by_side(layers_of(our_model(micrograd_model())), starts)
    print(f"eager and floor trained {len(expected)} steps side by side: equal loss and weights after every step")
    building: dict[str, Run] = {
        "floor": floor_contender(),
        "eager": eager_contender("steady"),
        "eager paused": eager_contender("paused"),
        "eager collect": eager_contender("collect"),
        **({"micrograd": micrograd_contender()} if micrograd else {}),
    }
    t = time_states(building, kept, expected, window, repeats)
    ratios = {name: [a / b for a, b in zip(ts, t["floor"])] for name, ts in t.items()}
    floor_ms = [1e3 * x for x in t["floor"]]
    del building
    replays = {"floor": floor_contender(), **replay_contenders(), **torch_contender()}
    t = time_states(replays, kept, expected, window, repeats)
    ratios.update({name: [a / b for a, b in zip(ts, t["floor"])] for name, ts in t.items() if name != "floor"})
    print(f"\nmedian of {repeats} alternating runs of {window} steps each; time per step / the floor's, per state")
    print(f"   {'steps':<42}" + "".join(f"{f'{s}-{s + window - 1}':>9}" for s in starts) + f"{'median':>9}")
    print(f"   {'samples with hinge margin > 0':<42}" + "".join(f"{active_samples(kept[s]):>9}" for s in starts))
    print(f"   {'floor, ms per step':<42}" + "".join(f"{ms:>9.2f}" for ms in floor_ms))
    for name, row in ratios.items():
        print(f"   {LABELS[name]:<42}" + "".join(f"{r:>8.2f}x" for r in row) + f"{statistics.median(row):>8.2f}x")
    if "torch batched" in ratios and "batched" in ratios:
        vs = [b / p for b, p in zip(ratios["batched"], ratios["torch batched"])]
        label = "batched NumPy replay / PyTorch batched"
        print(f"   {label:<42}" + "".join(f"{r:>8.2f}x" for r in vs) + f"{statistics.median(vs):>8.2f}x")


def memory_per_node() -> None:
    model = our_model(micrograd_model())
    nodes = len(loss_of(model, X, Y_PM1).topological_order())
    gc.collect()
    tracemalloc.start()
    loss = loss_of(model, X, Y_PM1)
    loss.backward()
    used = tracemalloc.get_traced_memory()[0]
    sites = tracemalloc.take_snapshot().statistics("lineno")[:4]
    tracemalloc.stop()
    del loss
    print(f"W1's eager graph after backward: {nodes:,} nodes, {used / nodes:.0f} bytes per node (tracemalloc)")
    for site in sites:
        frame = site.traceback[0]
        print(f"   {site.size / nodes:6.1f} B/node  {'/'.join(frame.filename.rsplit('/', 2)[-2:])}:{frame.lineno}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no micrograd row")
    parser.add_argument("--window", type=int, default=5, help="steps per timed run (default 5)")
    args = parser.parse_args()
    window = args.window
    starts = [0, 24, 48, 72, STEPS - window]
    print(f"Python {sys.version.split()[0]}; W1 over {STEPS} SGD steps; PyTorch in a worker process\n")
    memory_per_node()
    measure(starts, window, 3 if args.quick else 7, micrograd=not args.quick)


if __name__ == "__main__":
    main()
