"""Compiled-replay benchmark on W1 (micrograd's moons demo step), against eager, micrograd and floats.

Run by hand (never by the tests):

    pip install micrograd==0.1.0
    python benchmarks/bench_compiler.py [--quick]

The compiled graph takes the 337 parameters as inputs (the 100 data points are
baked in as constants); one compiled step is zero_grad + run() (forward and
backward replayed, gradients written into the parameters) + the same SGD update.
"""

from __future__ import annotations

import argparse
import sys

from bench_nn import (
    Y_PM1,
    X,
    float_forward,
    micrograd_model,
    micrograd_step,
    our_model,
    our_step,
)
from timing import medians, timed

from micrograd_plus import losses, optim
from micrograd_plus.compile import compile_graph
from micrograd_plus.nn import MLP


def loss_of(model: MLP) -> object:
    return losses.hinge([model(x)[0] for x in X], Y_PM1) + 1e-4 * losses.l2(model.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    repeats = 5 if parser.parse_args().quick else 15
    print(f"Python {sys.version.split()[0]}; medians of {repeats} alternating runs\n")

    reference = micrograd_model()
    eager = our_model(reference)
    eager_opt = optim.SGD(eager.parameters(), lr=0.1)
    replayed = our_model(reference)
    replay_opt = optim.SGD(replayed.parameters(), lr=0.1)
    compiled = compile_graph(loss_of(replayed), replayed.parameters(), module=replayed)  # type: ignore[arg-type]
    params = replayed.parameters()
    weights = [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in replayed.layers]
    value, _ = compiled.value_and_grad([p.data for p in params])
    assert abs(value - float_forward(weights)) < 1e-9

    def compiled_step() -> None:
        replay_opt.zero_grad()
        compiled.run()
        replay_opt.step()

    t = medians(
        {
            "compiled": lambda: timed(compiled_step),
            "value_and_grad": lambda: timed(lambda: compiled.value_and_grad([p.data for p in params])),
            "eager": lambda: timed(lambda: our_step(eager, eager_opt)),
            "micrograd": lambda: timed(lambda: micrograd_step(reference)),
            "micrograd_nogc": lambda: timed(lambda: micrograd_step(reference), gc_enabled=False),
            "floats": lambda: timed(lambda: [float_forward(weights) for _ in range(10)]) / 10,
        },
        repeats,
    )
    print(f"W1 compiled: {compiled}")
    print(f"   {'contender':<40}{'median':>10}")
    for name, label in [
        ("compiled", "compiled step (replay + SGD)"),
        ("value_and_grad", "compiled forward + backward only"),
        ("eager", "eager micrograd_plus step"),
        ("micrograd", "micrograd 0.1.0 step (GC on)"),
        ("micrograd_nogc", "micrograd 0.1.0 step (gc.disable)"),
        ("floats", "plain-float forward pass"),
    ]:
        print(f"   {label:<40}{t[name] * 1e3:>8.2f} ms")
    print(f"\n   compiled step vs micrograd, gc.disable:     {t['micrograd_nogc'] / t['compiled']:6.1f}x faster")
    print(f"   compiled step vs micrograd as shipped:      {t['micrograd'] / t['compiled']:6.1f}x faster")
    print(f"   compiled step vs eager micrograd_plus:      {t['eager'] / t['compiled']:6.1f}x faster")
    print(f"   compiled forward + backward / float forward: {t['value_and_grad'] / t['floats']:5.2f}x")
    saved = t["eager"] - t["compiled"]
    seconds = compiled.compile_seconds
    print(f"   compile time {seconds:.2f} s: pays for itself after {seconds / saved:.0f} steps")


if __name__ == "__main__":
    main()
