"""Every W1 contender in one run: eager, compiled and auto-replayed steps against micrograd, the float floor, PyTorch.

Run by hand (never by the tests):

    pip install micrograd==0.1.0          # the reference
    pip install torch==2.13.0             # optional: the PyTorch rows
    pip install numpy                     # optional: the vectorized (batched NumPy replay) row
    python benchmarks/bench_speed.py [--quick] [--scale] [--torch-here]

W1 is micrograd's demo step: two moons, 100 points, MLP(2, [16, 16, 1]), hinge loss +
1e-4·L2, full-batch forward + backward + SGD, every contender from the same weights.
The *float floor* is the same step written by hand in plain floats (bench_training.floor_step:
forward, the backward of each active sample, SGD): what reverse mode costs in CPython without a
graph. Each timed step is preceded by gc.collect() and the states drift from the initial weights
only: bench_training.py times every contender over a whole training run with the collector in its
steady state. Contenders alternate; ratios are of medians, with the collector on. One eager row runs with it
off, to show what the collector costs: collections driven by node allocations, which the float
floor never triggers. The PyTorch steps run in a worker process, one step per request: importing
torch adds ~150,000 objects for the collector to walk, which slows every pure-Python contender
(--torch-here times them in this process instead).

--scale: compile time, replay time and peak memory (tracemalloc) of compile_graph on a
chain ``y = (y * 0.999999).tanh()`` of 10^4, 10^5 and 10^6 nodes.
"""

from __future__ import annotations

import argparse
import atexit
import subprocess
import sys
import time
import tracemalloc
from functools import partial
from typing import Any

from bench_nn import Y_PM1, X, micrograd_model, micrograd_step, our_model, our_step
from bench_training import floor_step as float_step  # the one plain float floor
from timing import medians, timed

from micrograd_plus import Value, losses, optim
from micrograd_plus.compile import Replay, compile_graph
from micrograd_plus.nn import MLP

Weights = list[tuple[list[list[float]], list[float]]]  # per layer: rows of weights, biases


def float_weights(model: MLP) -> Weights:
    return [
        ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]) for layer in model.layers
    ]


def loss_of(model: MLP, points: Any, labels: Any) -> Value:
    return losses.hinge([model(x)[0] for x in points], labels) + 1e-4 * losses.l2(model.parameters())


def torch_contenders(reference: Any, in_process: bool = False) -> dict[str, Any]:
    """The PyTorch steps, timed in a worker process that runs one step per request (so runs still alternate).

    Importing torch puts about 150,000 more objects under the cyclic collector, which slows every contender
    that makes garbage (micrograd as shipped by about 1.5x); users of the pure-Python engines do not pay that,
    so the benchmark does not either. ``in_process=True`` times them here instead, to show the effect.
    """
    if in_process:
        return torch_steps(reference)
    worker = subprocess.Popen(
        [sys.executable, __file__, "--torch-worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdin is not None and worker.stdout is not None
    names = worker.stdout.readline().split()  # the contenders it has: none without torch
    atexit.register(worker.kill)

    def ask(name: str) -> float:
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(name + "\n")
        worker.stdin.flush()
        return float(worker.stdout.readline())

    return {name.replace("_", " "): partial(ask, name) for name in names}


def torch_worker() -> None:
    """The other end of ``torch_contenders``: name its contenders, then time one step per name read."""
    steps = {name.replace(" ", "_"): run for name, run in torch_steps(micrograd_model()).items()}
    print(" ".join(steps), flush=True)
    for line in sys.stdin:
        print(steps[line.strip()](), flush=True)


def torch_steps(reference: Any) -> dict[str, Any]:
    """PyTorch with every scalar a 0-d tensor (as micrograd's graph), and batched nn.Sequential, 1 thread."""
    try:
        import torch
    except ImportError:
        return {}
    torch.set_num_threads(1)
    layers = [(rows, bias) for rows, bias in float_weights(our_model(reference))]

    def leaf(v: float) -> Any:
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    scalar = [([[leaf(w) for w in row] for row in rows], [leaf(b) for b in bias]) for rows, bias in layers]
    params = [p for rows, bias in scalar for row in rows for p in [*row]] + [b for _, bias in scalar for b in bias]

    def scalar_step() -> None:
        total = torch.tensor(0.0, dtype=torch.float64)
        for x, y in zip(X, Y_PM1):
            h = [torch.tensor(v, dtype=torch.float64) for v in x]
            for depth, (rows, bias) in enumerate(scalar):
                z = [sum((w * v for w, v in zip(row, h)), b) for row, b in zip(rows, bias)]
                h = z if depth == len(scalar) - 1 else [v.relu() for v in z]
            total = total + (1.0 - y * h[0]).relu()
        loss = total / len(X) + 1e-4 * sum(p * p for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad

    model = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).double()
    with torch.no_grad():
        for linear, (rows, bias) in zip([m for m in model if isinstance(m, torch.nn.Linear)], layers):
            linear.weight.copy_(torch.tensor(rows, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(bias, dtype=torch.float64))
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(Y_PM1, dtype=torch.float64)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)

    def batched_step() -> None:
        scores = model(inputs)[:, 0]
        loss = torch.relu(1.0 - targets * scores).mean() + 1e-4 * sum((p * p).sum() for p in model.parameters())
        sgd.zero_grad()
        loss.backward()
        sgd.step()

    return {"torch scalar": lambda: timed(scalar_step), "torch batched": lambda: timed(batched_step)}


def vectorized_contender(reference: Any) -> dict[str, Any]:
    """One sample's W1 graph replayed over the batch with NumPy (micrograd_plus.compile.batched), SGD on the Values."""
    try:
        import numpy as np

        from micrograd_plus.compile import vectorize
    except ImportError:
        return {}
    model = our_model(reference)
    sgd = optim.SGD(model.parameters(), lr=0.1)
    x, y = [Value(0.0), Value(0.0)], Value(1.0)  # one sample's features and label
    batched = vectorize(losses.hinge(model(x), [y]) + 1e-4 * losses.l2(model.parameters()), model.parameters(), [*x, y])
    columns = np.array([[p[0] for p in X], [p[1] for p in X], Y_PM1])

    def vectorized_step() -> None:
        sgd.zero_grad()
        batched.run(columns)
        sgd.step()

    return {"vectorized": lambda: timed(vectorized_step)}


def w1(repeats: int, torch_here: bool = False) -> None:
    reference = micrograd_model()
    eager, bare, replayed, auto = (our_model(reference) for _ in range(4))
    eager_opt, bare_opt, replay_opt, auto_opt = (
        optim.SGD(m.parameters(), lr=0.1) for m in (eager, bare, replayed, auto)
    )
    weights = float_weights(our_model(reference))
    start = time.perf_counter()
    compiled = compile_graph(loss_of(replayed, X, Y_PM1), replayed.parameters())
    compile_seconds = time.perf_counter() - start  # recording the graph included, as a user pays it
    replay_params = replayed.parameters()
    auto_step = Replay(lambda points, labels: loss_of(auto, points, labels), auto)
    check_model, check_weights = our_model(reference), float_weights(our_model(reference))
    floor_loss, eager_loss = float_step(check_weights), our_step(check_model, optim.SGD(check_model.parameters(), 0.1))
    assert abs(floor_loss - eager_loss.data) < 1e-9, (floor_loss, eager_loss.data)
    after = [v for rows, bias in check_weights for v in [*(w for row in rows for w in row), *bias]]
    expected = [v for rows, bias in float_weights(check_model) for v in [*(w for row in rows for w in row), *bias]]
    assert max(abs(a - b) for a, b in zip(after, expected)) < 1e-12  # the floor's backward and SGD are right

    def compiled_step() -> None:
        replay_opt.zero_grad()
        _, grads = compiled.value_and_grad([p.data for p in replay_params])
        for p, g in zip(replay_params, grads):
            p.grad += g
        replay_opt.step()

    def auto_replay_step() -> None:
        auto_opt.zero_grad()
        auto_step(X, Y_PM1)
        auto_opt.step()

    contenders = {
        "eager": lambda: timed(lambda: our_step(eager, eager_opt)),
        "eager_nogc": lambda: timed(lambda: our_step(bare, bare_opt), gc_enabled=False),
        "compiled": lambda: timed(compiled_step),
        "auto": lambda: timed(auto_replay_step),
        "floor": lambda: timed(lambda: float_step(weights)),
        "micrograd": lambda: timed(lambda: micrograd_step(reference)),
        "micrograd_nogc": lambda: timed(lambda: micrograd_step(reference), gc_enabled=False),
        **vectorized_contender(reference),
        **torch_contenders(reference, in_process=torch_here),
    }
    t = medians(contenders, repeats)
    names = {
        "micrograd": "micrograd 0.1.0 as shipped",
        "micrograd_nogc": "micrograd 0.1.0, gc.disable()",
        "torch scalar": "PyTorch, every scalar a 0-d tensor",
        "eager": "micrograd_plus eager",
        "eager_nogc": "micrograd_plus eager, gc.disable()",
        "floor": "hand-written float step (the floor)",
        "compiled": "micrograd_plus compiled replay",
        "auto": "micrograd_plus Replay (auto)",
        "vectorized": "micrograd_plus vectorized (NumPy batch)",
        "torch batched": "PyTorch batched nn.Sequential, 1 thread",
    }
    print("W1: moons, 100 points, MLP(2, [16, 16, 1]), hinge + 1e-4·L2, forward + backward + SGD")
    print(f"   {'contender':<42}{'median':>10}{'vs eager':>12}{'vs floor':>11}")
    for key, label in names.items():
        if key in t:
            print(f"   {label:<42}{t[key] * 1e3:>7.2f} ms{t['eager'] / t[key]:>11.2f}x{t[key] / t['floor']:>10.2f}x")
    print("   (vs eager: how many times faster than an eager step; vs floor: time / the float step's time)")
    print(f"   eager step / floor: {t['eager'] / t['floor']:.2f}x;  compiled replay / floor: "
          f"{t['compiled'] / t['floor']:.2f}x")  # fmt: skip
    print(f"   compile_graph (record + compile) {compile_seconds * 1e3:.0f} ms = "
          f"{compile_seconds / t['eager']:.1f} eager steps; {compiled}")  # fmt: skip
    if "torch batched" in t:
        print(f"   compiled replay / PyTorch batched: {t['compiled'] / t['torch batched']:.1f}x")
    if "vectorized" in t:
        against = f"PyTorch batched {t['vectorized'] / t['torch batched']:.2f}x, " if "torch batched" in t else ""
        print(f"   vectorized / {against}compiled replay {t['vectorized'] / t['compiled']:.3f}x, "
              f"floor {t['vectorized'] / t['floor']:.3f}x")  # fmt: skip
    print()


def scale() -> None:
    print("compile_graph on a chain y = (y * 0.999999).tanh(): compile, replay, peak memory of compiling")
    for n in (10_000, 100_000, 1_000_000):
        x = y = Value(0.5)
        for _ in range(n // 2):
            y = (y * 0.999999).tanh()
        start = time.perf_counter()
        compiled = compile_graph(y, [x])
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        compiled.value_and_grad([0.5])
        replay = time.perf_counter() - start
        del compiled
        tracemalloc.start()
        compile_graph(y, [x])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"   {n:>10,} nodes: compile {seconds:6.2f} s, replay {replay:6.2f} s, peak {peak / 1e6:6.0f} MB")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--scale", action="store_true", help="also compile chains of 10^4..10^6 nodes")
    parser.add_argument("--torch-here", action="store_true", help="time PyTorch in this process, not in a worker")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        torch_worker()
        return
    repeats = 5 if args.quick else 15
    where = "in this process" if args.torch_here else "in a worker process"
    print(f"Python {sys.version.split()[0]}; medians of {repeats} alternating runs, GC on; PyTorch {where}\n")
    w1(repeats, args.torch_here)
    if args.scale:
        scale()


if __name__ == "__main__":
    main()
