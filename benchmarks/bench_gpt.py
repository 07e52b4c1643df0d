"""microgpt's training, per document: the scalar reference against our GPT eager and through Replay.

Run by hand (never by the tests):

    python benchmarks/bench_gpt.py [--docs 1000] [--block 10] [--ref-every 10]

All three start from the same weights (the reference's ``state_dict``, loaded with ``load_microgpt_weights``)
and train on the same shuffled names (``load_names``, shuffled with seed 42 as microgpt shuffles its list),
one document per step, with Adam (β 0.85, 0.99) and the learning rate decayed linearly over ``--docs`` steps:

- reference: ``microgpt_reference.py``, microgpt's published algorithm on a minimal scalar Value (one node per
  multiply and add: 59,631 nodes in the training step on "olivia");
- eager: ``GPT.loss(ids).backward()``, then the optimizer;
- Replay: ``Replay(model.loss, model, index_data=True)``: token ids are data, so one compile per document
  length; every compile (and its first checked replay) is inside the timed steps.

Losses are checked: eager against the reference over the first block (rel 1e-9: the same math, rounded
apart) and Replay against eager at every step (rel 1e-12). Steps run in blocks of ``--block`` documents,
contenders alternating block by block (who goes first rotates). Each block is timed as a training loop runs,
with the automatic collector on; a ``gc.collect()`` before each block, outside the timing, keeps one
contender's garbage from being collected in another's block (the reference's graphs are freed by the
collector: its recursive search is a closure cycle). The reference is slow, so it trains only one block in
``--ref-every``, spread over the run (after its first block it follows its own path; its time per document
depends only on the documents' lengths). The first table compares the three on those blocks, side by side in
time; the second gives eager and Replay over the whole run, every compile included, against the
reference's time per document on its blocks (a uniform sample of the same documents).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from microgpt_reference import MicroGPT

from micrograd_plus import optim
from micrograd_plus.compile import Replay
from micrograd_plus.data import CharTokenizer, load_names
from micrograd_plus.nn import GPT, load_microgpt_weights

Step = Callable[[list[int]], float]


def numpy_installed() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def contenders(vocab_size: int, total: int) -> tuple[dict[str, Step], dict[str, Replay]]:
    """The reference, eager and Replay training steps, from the same initial weights."""
    reference = MicroGPT(vocab_size, seed=0)
    names = ["eager", "Replay"] + (["Replay, NumPy"] if numpy_installed() else [])
    models = {name: GPT(vocab_size) for name in names}
    schedules = {}
    for name, model in models.items():
        load_microgpt_weights(model, reference.state_dict)
        schedules[name] = optim.LinearDecay(optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99)), total)
    replay = Replay(models["Replay"].loss, models["Replay"], index_data=True)
    replays = {"Replay": replay}
    if "Replay, NumPy" in models:
        replays["Replay, NumPy"] = Replay(models["Replay, NumPy"].loss, models["Replay, NumPy"], index_data=True,
                                          backend="numpy")  # fmt: skip

    def eager_step(ids: list[int]) -> float:
        schedules["eager"].optimizer.zero_grad()
        loss = models["eager"].loss(ids)
        loss.backward()
        schedules["eager"].step()
        return loss.data

    def replay_step(name: str) -> Step:
        def step(ids: list[int]) -> float:
            schedules[name].optimizer.zero_grad()
            value = replays[name](ids)
            schedules[name].step()
            return value

        return step

    def reference_step(ids: list[int]) -> float:
        return reference.train_step(ids, total)

    steps = {"reference": reference_step, "eager": eager_step} | {name: replay_step(name) for name in replays}
    return steps, replays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents trained by eager and Replay (microgpt: 1000)")
    parser.add_argument("--block", type=int, default=10, help="documents per timed block")
    parser.add_argument("--ref-every", type=int, default=10, help="the reference trains one block in this many")
    args = parser.parse_args()
    names = load_names()
    tokenizer = CharTokenizer(names)
    random.Random(42).shuffle(names)
    docs = [tokenizer.wrap(name) for name in names[: args.docs]]
    steps, replays = contenders(tokenizer.vocab_size, args.docs)
    seconds: dict[str, dict[int, float]] = {name: {} for name in steps}  # block -> seconds per document
    losses: dict[str, list[float]] = {name: [] for name in steps}
    for b, start in enumerate(range(0, args.docs, args.block)):
        block = docs[start : start + args.block]
        order = list(steps)[b % len(steps) :] + list(steps)[: b % len(steps)]  # who goes first rotates
        for name in order:
            if name == "reference" and b % args.ref_every:
                continue
            gc.collect()  # not timed: the garbage of the block before
            began = time.perf_counter()
            found = [steps[name](ids) for ids in block]
            seconds[name][b] = (time.perf_counter() - began) / len(block)
            if name != "reference" or b == 0:  # after its first block the reference skips blocks: its own path
                losses[name] += found
    check(losses)
    report(seconds, docs, args.block, replays)


def check(losses: dict[str, list[float]]) -> None:
    for k, (ref, eager) in enumerate(zip(losses["reference"], losses["eager"])):
        if not math.isclose(ref, eager, rel_tol=1e-9):
            sys.exit(f"step {k}: eager loss {eager!r} differs from the reference's {ref!r}")
    worst = max(abs(a - b) / abs(a) for a, b in zip(losses["reference"], losses["eager"]))
    print(f"losses agree: eager vs reference within rel {worst:.1e} over {len(losses['reference'])} steps", end="")
    for name in [name for name in losses if name.startswith("Replay")]:
        for k, (eager, replayed) in enumerate(zip(losses["eager"], losses[name])):
            if not math.isclose(eager, replayed, rel_tol=1e-12):
                sys.exit(f"step {k}: {name} loss {replayed!r} differs from eager's {eager!r}")
        worst = max(abs(a - b) / abs(a) for a, b in zip(losses["eager"], losses[name]))
        print(f"; {name} vs eager within rel {worst:.1e} over {len(losses[name])} steps", end="")
    print()


def report(seconds: dict[str, dict[int, float]], docs: list[list[int]], block: int, replays: dict[str, Replay]) -> None:
    sampled = sorted(seconds["reference"])
    shared = {name: sum(ts[b] for b in sampled) / len(sampled) for name, ts in seconds.items()}
    tokens = sum(len(d) for b in sampled for d in docs[b * block : (b + 1) * block]) / sum(
        len(docs[b * block : (b + 1) * block]) for b in sampled
    )
    print(f"\nthe reference's {len(sampled)} blocks ({tokens:.1f} tokens per document), timed side by side:")
    print(f"{'':<14} {'ms/doc':>9} {'reference / this':>17}")
    for name in seconds:
        print(f"{name:<14} {1e3 * shared[name]:>9.2f} {shared['reference'] / shared[name]:>16.1f}x")
    print(f"\nthe whole run, {len(docs)} documents, compiles included (reference: its blocks above):")
    for name in [name for name in seconds if name != "reference"]:
        per_doc = sum(t * len(docs[b * block : (b + 1) * block]) for b, t in seconds[name].items()) / len(docs)
        print(f"{name:<14} {1e3 * per_doc:>9.2f} ms/doc {shared['reference'] / per_doc:>8.1f}x")
    print()
    for name, replay in replays.items():
        print(f"{name}: {replay!r}")


if __name__ == "__main__":
    main()
