"""Training-step benchmark: W1 (micrograd's moons demo) and W2 (RNN backprop through time).

Run by hand (never by the tests):

    pip install micrograd==0.1.0      # the reference, for this benchmark only
    python benchmarks/bench_nn.py [--quick]

W1: two moons, 100 points, MLP(2, [16, 16, 1]) with relu hidden layers, full-batch
hinge loss + 1e-4·L2, one SGD step (forward graph, backward, update). micrograd
starts from the same initial weights. Contenders alternate within one process;
ratios are of medians.

W2: RNN(1, 16, 1) on next-step sine prediction, MSE over the sequence, one BPTT
step, for sequence lengths 25..400 (the cost should grow linearly).

--checks: the cost of the optimizer's update checks (every gradient a finite
number, every new value finite, nothing written until all are): W1 with the
checked SGD against an unchecked copy of the update as it was before, and the
SGD step alone, in the same run.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from operator import mul
from typing import Any

from timing import medians, timed

from micrograd_plus import losses, optim
from micrograd_plus.data import make_moons, make_sine_sequence
from micrograd_plus.nn import MLP, RNN

try:
    from micrograd import nn as micrograd_nn
    from micrograd.engine import Value as MicrogradValue
except ImportError:
    sys.exit("this benchmark compares against micrograd 0.1.0: pip install micrograd==0.1.0")

X, Y = make_moons(100, noise=0.1, seed=1)
Y_PM1 = [2.0 * y - 1.0 for y in Y]


# -- W1 ----------------------------------------------------------------------------


def micrograd_model() -> Any:
    import random

    random.seed(1337)  # micrograd draws its weights from the global random module
    return micrograd_nn.MLP(2, [16, 16, 1])


def our_model(reference: Any) -> MLP:
    model = MLP(2, [16, 16, 1], seed=0)
    for ours, theirs in zip(model.parameters(), reference.parameters(), strict=True):
        ours.data = theirs.data  # same initial weights, in the same order (w then b per neuron)
    return model


def our_step(model: MLP, opt: optim.SGD) -> Any:
    scores = [model(x)[0] for x in X]
    loss = losses.hinge(scores, Y_PM1) + 1e-4 * losses.l2(model.parameters())
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def micrograd_step(model: Any) -> Any:  # micrograd's own demo loop, as its users run it
    inputs = [list(map(MicrogradValue, row)) for row in X]
    scores = list(map(model, inputs))
    data_losses = [(1 + -yi * si).relu() for yi, si in zip(Y_PM1, scores)]
    data_loss = sum(data_losses) * (1.0 / len(data_losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    return total


def float_forward(weights: list[list[tuple[list[float], float]]]) -> float:
    """The same forward pass (scores, hinge loss, L2) in plain floats: the floor."""
    total = 0.0
    for x, y in zip(X, Y_PM1):
        h = x
        for depth, layer in enumerate(weights):
            last = depth == len(weights) - 1
            pre = [sum(map(mul, w, h)) + b for w, b in layer]
            h = pre if last else [v if v > 0.0 else 0.0 for v in pre]
        total += max(0.0, 1.0 - y * h[0])
    l2 = sum(sum(map(mul, w, w)) + b * b for layer in weights for w, b in layer)
    return total / len(X) + 1e-4 * l2


def node_count(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for parent in node.parents if hasattr(node, "parents") else node._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def w1(repeats: int) -> None:
    reference = micrograd_model()
    model = our_model(reference)
    opt = optim.SGD(model.parameters(), lr=0.1)
    weights = [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]
    ours_loss, theirs_loss = our_step(model, opt), micrograd_step(reference)
    assert abs(ours_loss.data - theirs_loss.data) < 1e-9, (ours_loss.data, theirs_loss.data)
    assert abs(float_forward(weights) - ours_loss.data) < 1e-9
    nodes_ours, nodes_theirs = node_count(ours_loss), node_count(theirs_loss)
    t = medians(
        {
            "ours": lambda: timed(lambda: our_step(model, opt)),
            "micrograd": lambda: timed(lambda: micrograd_step(reference)),
            "micrograd_nogc": lambda: timed(lambda: micrograd_step(reference), gc_enabled=False),
            # the float pass is short: time 10 in a row, so that timer noise does not dominate
            "floats": lambda: timed(lambda: [float_forward(weights) for _ in range(10)]) / 10,
        },
        repeats,
    )
    print("W1: moons, 100 points, MLP(2, [16, 16, 1]), hinge + 1e-4·L2, one SGD step")
    print(f"   {'contender':<34}{'median':>10}{'vs micrograd_plus':>20}")
    rows = [
        ("micrograd_plus step", t["ours"]),
        ("micrograd 0.1.0 step (GC on)", t["micrograd"]),
        ("micrograd 0.1.0 step (gc.disable)", t["micrograd_nogc"]),
        ("plain-float forward pass", t["floats"]),
    ]
    for name, seconds in rows:
        print(f"   {name:<34}{seconds * 1e3:>8.2f} ms{seconds / t['ours']:>19.2f}x")
    print(f"   speed-up vs micrograd as shipped:   {t['micrograd'] / t['ours']:.1f}x")
    print(f"   speed-up vs micrograd, gc.disable:  {t['micrograd_nogc'] / t['ours']:.1f}x")
    print(f"   step / plain-float forward:         {t['ours'] / t['floats']:.1f}x")
    print(f"   graph nodes: {nodes_ours:,} vs micrograd {nodes_theirs:,} ({nodes_theirs / nodes_ours:.1f}x smaller)\n")


# -- the optimizer checks ------------------------------------------------------------


class UncheckedSGD(optim.SGD):
    """SGD's step as it was before the update checks: a finiteness test per gradient, then writes in place."""

    def step(self) -> None:
        for p in self.params:
            if not math.isfinite(p.grad):
                raise ValueError(f"gradient of {p!r} is {p.grad}")
        self.steps += 1
        mu, decay, lr, first = self.momentum, self.weight_decay, self.lr, self.steps == 1
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            if mu:
                b = g if first else mu * self.buffers[i] + g
                self.buffers[i] = b
                g = g + mu * b if self.nesterov else b
            p.data -= lr * g


def checks(repeats: int) -> None:
    reference = micrograd_model()
    checked_model, unchecked_model = our_model(reference), our_model(reference)
    checked = optim.SGD(checked_model.parameters(), lr=0.1)
    unchecked = UncheckedSGD(unchecked_model.parameters(), lr=0.1)
    for _ in range(3):
        a, b = our_step(checked_model, checked), our_step(unchecked_model, unchecked)
        assert a.data == b.data, (a.data, b.data)  # the same numbers, step after step
    momentum = optim.SGD(checked_model.parameters(), lr=1e-9, momentum=0.9)
    momentum_unchecked = UncheckedSGD(unchecked_model.parameters(), lr=1e-9, momentum=0.9)
    t = medians(
        {
            "W1 checked": lambda: timed(lambda: our_step(checked_model, checked)),
            "W1 unchecked": lambda: timed(lambda: our_step(unchecked_model, unchecked)),
            # a step alone is short: time 100 in a row
            "step checked": lambda: timed(lambda: [checked.step() for _ in range(100)]) / 100,
            "step unchecked": lambda: timed(lambda: [unchecked.step() for _ in range(100)]) / 100,
            "momentum checked": lambda: timed(lambda: [momentum.step() for _ in range(100)]) / 100,
            "momentum unchecked": lambda: timed(lambda: [momentum_unchecked.step() for _ in range(100)]) / 100,
        },
        repeats,
    )
    n = len(checked.params)
    print(f"optimizer update checks: W1 ({n} parameters), SGD lr=0.1; medians of {repeats} alternating runs")
    print(f"   {'contender':<34}{'checked':>12}{'unchecked':>12}{'ratio':>9}")
    for name, label in (("W1", "W1 step (forward, backward, SGD)"), ("step", "SGD step alone"),
                        ("momentum", "SGD step alone, momentum 0.9")):  # fmt: skip
        on, off = t[f"{name} checked"], t[f"{name} unchecked"]
        print(f"   {label:<34}{on * 1e6:>9.1f} µs{off * 1e6:>9.1f} µs{on / off:>8.3f}x")
    print()


# -- W2 ----------------------------------------------------------------------------


def w2(repeats: int, lengths: list[int]) -> None:
    print("W2: RNN(1, 16, 1), next-step sine, MSE over the sequence, one BPTT step (backward + SGD)")
    print(f"   {'steps':>6}{'median':>12}{'per time step':>16}")
    per_step = []
    for n in lengths:
        xs, targets = make_sine_sequence(n, seed=0)
        model = RNN(1, 16, 1, seed=0)
        opt = optim.SGD(model.parameters(), lr=0.01)

        def step(
            xs: list[list[float]] = xs, targets: list[float] = targets, model: RNN = model, opt: optim.SGD = opt
        ) -> None:
            out = model(xs)
            loss = losses.mse([y[0] for y in out.outputs], targets)
            opt.zero_grad()
            loss.backward()
            opt.step()

        seconds = statistics.median(timed(step) for _ in range(repeats))
        per_step.append(seconds / n)
        print(f"   {n:>6}{seconds * 1e3:>9.1f} ms{seconds / n * 1e6:>13.0f} µs")
    print(f"   per-time-step cost, longest / shortest: {per_step[-1] / per_step[0]:.2f}x (1.0 = linear)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--checks", action="store_true", help="only the cost of the optimizer's update checks")
    args = parser.parse_args()
    repeats = 5 if args.quick else 15
    print(f"Python {sys.version.split()[0]}; medians of {repeats} alternating runs\n")
    if args.checks:
        checks(repeats * 2)
        return
    w1(repeats)
    w2(max(3, repeats // 3), [25, 50, 100, 200, 400])


if __name__ == "__main__":
    main()
