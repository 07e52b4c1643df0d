"""How the benchmarks time things: one run with the garbage collector as asked, medians of alternating runs."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(step: Callable[[], Any], gc_enabled: bool = True) -> float:
    """Seconds for one call of ``step``, after a full collection, with the cyclic GC on or off."""
    gc.collect()
    if not gc_enabled:
        gc.disable()
    try:
        start = time.perf_counter()
        step()
        return time.perf_counter() - start
    finally:
        gc.enable()


def medians(contenders: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Median seconds of each contender; runs alternate, so that noise hits every contender alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            times[name].append(run())
    return {name: statistics.median(ts) for name, ts in times.items()}
