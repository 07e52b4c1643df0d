"""GPT training through Replay with token ids as data: equal to eager training step by step, one compile per
document length (not per document), every length up to the block size kept compiled, bad ids refused."""

from __future__ import annotations

import math
import random
import warnings

import pytest

from micrograd_plus import optim
from micrograd_plus.compile import Replay
from micrograd_plus.compile.replay import BACKENDS
from micrograd_plus.nn import GPT

SMALL = {"vocab_size": 7, "n_embd": 8, "n_head": 2, "block_size": 6}


def documents(lengths: list[int], vocab: int, seed: int) -> list[list[int]]:
    """Token sequences of the given lengths, BOS (= vocab - 1) at both ends as the tokenizer wraps a name."""
    rng = random.Random(seed)
    bos = vocab - 1
    return [[bos, *(rng.randrange(vocab - 1) for _ in range(n - 2)), bos] for n in lengths]


def trainer(model: GPT, steps: int) -> optim.LinearDecay:
    return optim.LinearDecay(optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99)), total_steps=steps)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config", [SMALL, {"vocab_size": 27, "n_embd": 16, "n_head": 4, "block_size": 16}])
def test_replay_training_equals_eager_training_step_by_step(config: dict[str, int], backend: str) -> None:
    if backend == "numpy":
        pytest.importorskip("numpy")
    block = config["block_size"]
    lengths = [3, 5, 3, block + 1, 2, 5, 4, 3, block + 1, 5]
    docs = documents(lengths, config["vocab_size"], seed=1)
    eager, replayed = GPT(**config, seed=3), GPT(**config, seed=3)
    opt_eager, opt_replay = trainer(eager, len(docs)), trainer(replayed, len(docs))
    step = Replay(replayed.loss, replayed, index_data=True, backend=backend)
    for doc in docs:
        opt_eager.optimizer.zero_grad()
        loss = eager.loss(doc)
        loss.backward()
        grads = [p.grad for p in eager.parameters()]
        opt_replay.optimizer.zero_grad()
        value = step(doc)
        assert close(value, loss.data)
        assert all(close(g, p.grad) for g, p in zip(grads, replayed.parameters()))
        opt_eager.step()
        opt_replay.step()
        assert all(close(a.data, b.data) for a, b in zip(eager.parameters(), replayed.parameters()))
    assert step.compiles == len(set(lengths)) and step.eager_steps == len(set(lengths))
    assert step.replays == len(docs) - len(set(lengths)) and not step.reasons


def test_documents_of_one_length_compile_once_whatever_their_tokens() -> None:
    model = GPT(**SMALL, seed=0)
    step = Replay(model.loss, model, index_data=True)
    docs = documents([5] * 12, SMALL["vocab_size"], seed=2)
    assert len({tuple(d) for d in docs}) > 6  # different names, one length
    for doc in docs:
        step(doc)
    assert (step.compiles, step.replays, step.eager_steps) == (1, 11, 1)


def test_without_index_data_token_ids_are_structure() -> None:
    """The default keeps ints as structure (class indices of other losses): each new name is a new structure."""
    model = GPT(**SMALL, seed=0)
    step = Replay(model.loss, model)
    docs = documents([5] * 4, SMALL["vocab_size"], seed=2)
    for doc in docs:
        step(doc)
    assert step.compiles == len({tuple(d) for d in docs})


def test_every_length_up_to_the_block_size_stays_compiled_over_epochs() -> None:
    config = {**SMALL, "block_size": 16}
    model = GPT(**config, seed=0)
    step = Replay(model.loss, model, index_data=True)
    lengths = list(range(2, config["block_size"] + 2))  # 2..block_size+1 tokens: every structure a name can have
    epoch = documents(lengths, config["vocab_size"], seed=4)
    for _ in range(3):
        for doc in random.Random(5).sample(epoch, len(epoch)):
            step(doc)
    assert step.compiles == len(lengths) == config["block_size"]
    assert step.replays == 2 * len(lengths)


def test_the_cache_drops_the_least_recently_used_structure() -> None:
    model = GPT(**SMALL, seed=0)
    step = Replay(model.loss, model, index_data=True, max_cached=2)
    a, b, c = documents([3, 4, 5], SMALL["vocab_size"], seed=6)
    for doc in (a, b, a, c, a):  # c drops b (used longer ago than a), so a stays compiled
        step(doc)
    assert step.compiles == 3
    step(b)
    assert step.compiles == 4


@pytest.mark.parametrize("max_cached", [0, -1, 2.5, "8"])
def test_a_bad_cache_size_is_refused(max_cached: object) -> None:
    model = GPT(**SMALL, seed=0)
    with pytest.raises(ValueError, match="max_cached"):
        Replay(model.loss, model, max_cached=max_cached)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="index_data"):
        Replay(model.loss, model, index_data=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [7, -1, 99])
def test_an_id_out_of_range_in_a_replayed_document_is_refused_and_changes_nothing(bad: int) -> None:
    model = GPT(**SMALL, seed=0)
    step = Replay(model.loss, model, index_data=True)
    doc = documents([5], SMALL["vocab_size"], seed=7)[0]
    step(doc)
    step(doc)  # compiled and replayed: the next call with a bad id must not replay
    before = [(p.data, p.grad) for p in model.parameters()]
    with pytest.raises(IndexError, match=rf"got {bad}\.0.*vocab_size 7"):
        step([doc[0], doc[1], bad, doc[3], doc[4]])
    assert [(p.data, p.grad) for p in model.parameters()] == before


def test_a_document_longer_than_the_block_size_is_refused_under_replay() -> None:
    model = GPT(**SMALL, seed=0)
    step = Replay(model.loss, model, index_data=True)
    too_long = documents([SMALL["block_size"] + 2], SMALL["vocab_size"], seed=8)[0]
    with pytest.raises(ValueError, match=r"more than the 7 this model reads \(block_size = 6\)"):
        step(too_long)


def test_sampling_works_after_replayed_training_and_equals_eager() -> None:
    docs = documents([4, 5, 3, 5, 4, 6], SMALL["vocab_size"], seed=9)
    eager, replayed = GPT(**SMALL, seed=1), GPT(**SMALL, seed=1)
    opt_eager, opt_replay = trainer(eager, len(docs)), trainer(replayed, len(docs))
    step = Replay(replayed.loss, replayed, index_data=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no step may fall back to eager mode
        for doc in docs:
            opt_eager.optimizer.zero_grad()
            eager.loss(doc).backward()
            opt_eager.step()
            opt_replay.optimizer.zero_grad()
            step(doc)
            opt_replay.step()
    bos = SMALL["vocab_size"] - 1
    for temperature in (0.5, 1.0, 2.0):
        drawn = replayed.sample(bos, temperature=temperature, seed=3, stop=bos)
        assert drawn == eager.sample(bos, temperature=temperature, seed=3, stop=bos)
        assert all(0 <= t < bos for t in drawn)
