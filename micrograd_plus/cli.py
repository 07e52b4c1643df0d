"""The ``micrograd-plus`` command line (also ``python -m micrograd_plus``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from micrograd_plus import __version__
from micrograd_plus.engine import Value


def demo() -> None:
    """One tanh neuron, o = tanh(x1·w1 + x2·w2 + b): forward values, then gradients."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = (x1 * w1 + x2 * w2 + b).named("n")
    o = n.tanh().named("o")
    o.backward()
    print("o = tanh(x1*w1 + x2*w2 + b)\n")
    print(f"{'node':<6}{'data':>12}{'grad do/dnode':>16}")
    for node in o.topological_order():
        if node.label:
            print(f"{node.label:<6}{node.data:>12.6f}{node.grad:>16.6f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="micrograd-plus", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="run the main demo", description=demo.__doc__)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo()
        return 0
    parser.print_help()
    return 0
