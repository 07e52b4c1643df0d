"""Engine benchmark: memory per node, time per node as graphs grow, speed, depth.

Run by hand (never by the tests):

    pip install micrograd==0.1.0      # the reference, for this benchmark only
    python benchmarks/bench_engine.py [--quick]

Every comparison is made in one process on identical graphs, runs alternate
between the contenders, and ratios are of medians (the machine is noisy).
The graph is a "sum of products": n leaves, n-1 products of neighbours, and a
balanced tree of binary sums over them (~3n nodes, depth ~log2 n, so that
micrograd's recursive backward can handle it).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

from timing import medians, timed

from micrograd_plus import Value

try:
    from micrograd.engine import Value as MicrogradValue
except ImportError:
    sys.exit("this benchmark compares against micrograd 0.1.0: pip install micrograd==0.1.0")


def sum_of_products(cls: Callable[[float], Any], n_leaves: int) -> Any:
    leaves = [cls(0.5 + (i % 7) * 0.01) for i in range(n_leaves)]
    level = [leaves[i] * leaves[i + 1] for i in range(n_leaves - 1)]
    while len(level) > 1:
        paired = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(paired) * 2 :]
    return level[0]


def node_count(n_leaves: int) -> int:
    return len(sum_of_products(Value, n_leaves).topological_order())


def build_and_backward(cls: Callable[[float], Any], n_leaves: int, gc_enabled: bool = True) -> float:
    """Seconds to build the graph and backpropagate, including freeing it.

    Small graphs are built one after another until about 10^6 nodes have been made,
    and the time is divided by that count, so that every size is timed over the
    same amount of work (and the garbage collector's occasional passes average out).
    """
    repeats = max(1, 330_000 // n_leaves)

    def run() -> None:
        for _ in range(repeats):
            root = sum_of_products(cls, n_leaves)
            root.backward()
            del root

    return timed(run, gc_enabled) / repeats


def bytes_per_node(cls: Callable[[float], Any], n_leaves: int) -> float:
    gc.collect()
    tracemalloc.start()
    root = sum_of_products(cls, n_leaves)
    root.backward()
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del root
    return used / node_count(n_leaves)


def deepest_chain(cls: Callable[[float], Any], limit: int) -> int:
    """The longest chain x + 1 + 1 + ... whose backward() succeeds (binary search up to ``limit``)."""

    def works(depth: int) -> bool:
        y = x = cls(1.0)
        for _ in range(depth):
            y = y + 1.0
        try:
            y.backward()
        except RecursionError:
            return False
        return bool(x.grad == 1.0)

    if works(limit):
        return limit
    low, high = 1, limit
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if works(mid) else (low, mid)
    return low


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 5
    print(f"Python {sys.version.split()[0]}; medians of {repeats} alternating runs\n")

    ours, theirs = bytes_per_node(Value, 20_000), bytes_per_node(MicrogradValue, 20_000)
    print("1. memory per node (tracemalloc, graph after backward)")
    print(f"   micrograd_plus {ours:7.0f} B   micrograd {theirs:7.0f} B   ratio {ours / theirs:.2f}\n")

    print("2. build + backward time per node as the graph grows (GC on)")
    print(f"   {'nodes':>10} {'micrograd_plus':>16} {'micrograd':>12} {'speed-up':>9}")
    sizes = [3_334, 33_334, 333_334]  # about 10^4, 10^5 and 10^6 nodes
    per_node: dict[str, list[float]] = {"ours": [], "theirs": []}
    for n_leaves in sizes:
        nodes = node_count(n_leaves)
        reps = repeats if n_leaves < 300_000 else max(1, repeats // 2)
        t = medians(
            {
                "ours": lambda n=n_leaves: build_and_backward(Value, n),
                "theirs": lambda n=n_leaves: build_and_backward(MicrogradValue, n),
            },
            reps,
        )
        per_node["ours"].append(t["ours"] / nodes)
        per_node["theirs"].append(t["theirs"] / nodes)
        print(
            f"   {nodes:>10,} {t['ours'] / nodes * 1e9:>13.0f} ns {t['theirs'] / nodes * 1e9:>9.0f} ns"
            f" {t['theirs'] / t['ours']:>8.1f}x"
        )
    growth_ours = per_node["ours"][-1] / per_node["ours"][0]
    growth_theirs = per_node["theirs"][-1] / per_node["theirs"][0]
    print(f"   per-node time, largest / smallest: micrograd_plus {growth_ours:.2f}x, micrograd {growth_theirs:.2f}x")
    # the same sizes with the cyclic garbage collector off: what is left is the engine's own work
    quiet = [
        statistics.median(build_and_backward(Value, n, gc_enabled=False) for _ in range(max(1, repeats // 2)))
        / node_count(n)
        for n in (sizes[0], sizes[-1])
    ]
    print(
        f"   with gc.disable(): micrograd_plus {quiet[0] * 1e9:.0f} ns -> {quiet[1] * 1e9:.0f} ns per node, "
        f"{quiet[1] / quiet[0]:.2f}x\n"
    )

    n_leaves = 33_334
    t = medians(
        {
            "ours": lambda: build_and_backward(Value, n_leaves),
            "theirs": lambda: build_and_backward(MicrogradValue, n_leaves),
            "theirs_nogc": lambda: build_and_backward(MicrogradValue, n_leaves, gc_enabled=False),
        },
        repeats * 2,
    )
    print(f"3. build + backward, {node_count(n_leaves):,} nodes")
    print(f"   vs micrograd as shipped (GC on):  {t['theirs'] / t['ours']:.1f}x faster")
    print(f"   vs micrograd with gc.disable():    {t['theirs_nogc'] / t['ours']:.1f}x faster\n")

    print("4. deepest chain that backprops (default recursion limit)")
    ours_depth, theirs_depth = deepest_chain(Value, 1_000_000), deepest_chain(MicrogradValue, 5_000)
    print(f"   micrograd_plus >= {ours_depth:,}   micrograd {theirs_depth:,}")


if __name__ == "__main__":
    main()
