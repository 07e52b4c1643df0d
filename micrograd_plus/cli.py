"""The ``micrograd-plus`` command line (also ``python -m micrograd_plus``)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from micrograd_plus import __version__, losses, optim
from micrograd_plus.data import make_moons
from micrograd_plus.nn import MLP


def decision_map(model: MLP, X: list[list[float]], y: list[int], width: int = 60, height: int = 20) -> str:
    """The plane as text: '.' and ' ' for the two predicted classes, 'o' and 'x' for the data points."""
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    left, right, bottom, top = min(xs) - 0.3, max(xs) + 0.3, min(ys) - 0.3, max(ys) + 0.3
    grid = []
    for row in range(height):
        b = top - (top - bottom) * (row + 0.5) / height
        line = [
            ("." if model([left + (right - left) * (c + 0.5) / width, b])[0].data > 0 else " ") for c in range(width)
        ]
        grid.append(line)
    for (a, b), label in zip(X, y):
        col = min(width - 1, int((a - left) / (right - left) * width))
        row = min(height - 1, int((top - b) / (top - bottom) * height))
        grid[row][col] = "x" if label else "o"
    return "\n".join("|" + "".join(line) + "|" for line in grid)


def demo(steps: int = 100) -> None:
    """Train MLP(2, [16, 16, 1]) on two moons (hinge loss + L2, SGD) and draw its decision regions."""
    X, y = make_moons(100, noise=0.1, seed=1)
    labels = [2.0 * t - 1.0 for t in y]  # hinge loss wants ±1
    model = MLP(2, [16, 16, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    print(model)
    print(f"\ntraining on {len(X)} points of two moons: hinge loss + 1e-4·L2, SGD with a falling learning rate\n")
    start = time.perf_counter()
    for step in range(steps):
        scores = [model(x)[0] for x in X]
        loss = losses.hinge(scores, labels) + 1e-4 * losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * step / steps
        opt.step()
        accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(X)
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}   loss {loss.data:.4f}   accuracy {accuracy:6.1%}")
    elapsed, nodes = time.perf_counter() - start, len(loss.topological_order())
    print(f"\n{steps} steps in {elapsed:.1f} s ({elapsed / steps * 1e3:.0f} ms per step, graph of {nodes:,} nodes)")
    print("\ndecision regions ('.' = class x, ' ' = class o):\n")
    print(decision_map(model, X, y))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="micrograd-plus", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo_parser = commands.add_parser("demo", help="train the moons MLP (the main demo)", description=demo.__doc__)
    demo_parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.steps < 1:
            parser.error(f"--steps must be at least 1, got {args.steps}")
        demo(args.steps)
        return 0
    parser.print_help()
    return 0
