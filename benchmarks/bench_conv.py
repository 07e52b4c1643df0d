"""Convolution benchmark: Conv2d(1, 8, 3) forward + backward on a batch of 32 glyph images (8×8).

Run by hand (never by the tests):

    python benchmarks/bench_conv.py [--quick]

The loss is Σ over the batch of g·out with a fixed random g (constants made once), so that backward
visits every output with a different upstream gradient.
Reported: time per image, graph size per image (op nodes and edges: backward does one
multiply-add per edge), and the ratio to micrograd_plus's own MLPs of the same parameter count
on the same batch, timed in the same process with alternating runs (ratios of medians):

- ``MLP(64, [1, 8])`` on the flattened image: 81 parameters against the convolution's 80;
- ``MLP(9, [8])`` on one 3×3 patch: exactly the convolution's 80 parameters, applied once
  instead of at each of the 36 output positions (the cost of weight sharing, isolated).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from typing import Any

from timing import medians, timed

from micrograd_plus import Value
from micrograd_plus import functional as F
from micrograd_plus.data import make_glyphs
from micrograd_plus.nn import MLP, Conv2d

BATCH = 32
IMAGES, _ = make_glyphs(BATCH, seed=0)
FLAT = [[v for row in image[0] for v in row] for image in IMAGES]
PATCHES = [[v for row in image[0][3:6] for v in row[3:6]] for image in IMAGES]


def flat(nested: Any) -> list[Value]:
    return [v for item in nested for v in flat(item)] if isinstance(nested, list) else [nested]


def batch_step(model: Any, inputs: list[Any], upstream: list[Value]) -> Value:
    """Forward every input, loss = Σ g·outputs (g made once, outside the timing), backward."""
    outputs = [v for x in inputs for v in flat(model(x))]
    loss = F.dot(upstream[: len(outputs)], outputs)
    loss.backward()
    return loss


def graph_size(root: Value) -> tuple[int, int]:
    """(op nodes, edges) of the graph below ``root``."""
    ops = [node for node in root.topological_order() if node.parents]
    return len(ops), sum(len(node.parents) for node in ops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 5 if args.quick else 21
    rng = random.Random(0)
    upstream = [Value(rng.uniform(-1.0, 1.0)) for _ in range(BATCH * 8 * 6 * 6)]
    contenders: dict[str, tuple[Any, list[Any]]] = {
        "Conv2d(1, 8, 3)": (Conv2d(1, 8, kernel_size=3, seed=0), IMAGES),
        "MLP(64, [1, 8]) on the flat image": (MLP(64, [1, 8], seed=0), FLAT),
        "MLP(9, [8]) on one 3×3 patch": (MLP(9, [8], seed=0), PATCHES),
    }
    runs: dict[str, Callable[[], float]] = {}
    sizes = {}
    for name, (model, inputs) in contenders.items():
        loss = batch_step(model, inputs, upstream)
        sizes[name] = (len(model.parameters()), *graph_size(loss))
        runs[name] = lambda model=model, inputs=inputs: timed(lambda: batch_step(model, inputs, upstream))
    t = medians(runs, repeats)
    conv = "Conv2d(1, 8, 3)"
    print(f"Python {sys.version.split()[0]}; batch of {BATCH} 8×8 images; medians of {repeats} alternating runs")
    print("forward + backward of Σ g·out over the batch\n")
    head = f"{'model':<36}{'params':>7}{'per image':>12}{'op nodes/img':>14}{'edges/img':>11}{'conv / this':>13}"
    print(head)
    for name, seconds in t.items():
        params, ops, edges = sizes[name]
        per_image = seconds / BATCH
        print(
            f"{name:<36}{params:>7}{per_image * 1e6:>9.0f} µs{ops / BATCH:>14.0f}{edges / BATCH:>11.0f}"
            f"{t[conv] / seconds:>12.1f}x"
        )
    _, conv_ops, conv_edges = sizes[conv]
    print(f"\nConv2d per image: {t[conv] / BATCH * 1e3:.2f} ms, {conv_ops / BATCH:.0f} op nodes, "
          f"{conv_edges / BATCH:.0f} edges; cost per edge {t[conv] / conv_edges * 1e9:.0f} ns")  # fmt: skip


if __name__ == "__main__":
    main()
