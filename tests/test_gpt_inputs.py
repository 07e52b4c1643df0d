"""microgpt's GPT: seeded sampling with a temperature, and bad input refused with the value and the fix, before any
work (token ids, lengths, head counts, temperatures, caches)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np
import pytest

from micrograd_plus.nn import GPT, CausalSelfAttention, Embedding, KVCache

TINY = {"vocab_size": 5, "n_embd": 4, "n_head": 2, "block_size": 4}


# -- sampling ---------------------------------------------------------------------------------------------------


def test_sampling_is_seeded_stops_at_the_stop_token_and_at_the_block_size() -> None:
    model = GPT(**TINY, std=0.3, seed=1)
    runs = [model.sample(0, temperature=1.0, seed=s) for s in range(6)]
    assert runs == [model.sample(0, temperature=1.0, seed=s) for s in range(6)]
    assert len({tuple(r) for r in runs}) > 1
    assert all(len(r) == 4 and all(0 <= t < 5 for t in r) for r in runs)  # reads 4 tokens: start + 3 drawn, 1 more
    stopped = [model.sample([0, 1], seed=s, stop=0) for s in range(20)]
    assert all(0 not in r and len(r) <= 3 for r in stopped) and any(len(r) < 3 for r in stopped)
    logits = [z.data for z in model([0])[0]]
    greedy = max(range(5), key=logits.__getitem__)
    assert model.sample(0, temperature=1e-6, seed=0)[0] == greedy  # a tiny temperature takes the largest logit
    for temperature in (0.5, 2.0):  # the first draw is microgpt's: random.choices over softmax(logits / T)
        scaled = [z / temperature for z in logits]
        exps = [math.exp(z - max(scaled)) for z in scaled]
        probs = [e / sum(exps) for e in exps]
        for s in range(10):
            expected = random.Random(s).choices(range(5), weights=probs)[0]
            assert model.sample(0, temperature=temperature, seed=s, stop=expected) == []
            assert model.sample(0, temperature=temperature, seed=random.Random(s))[:1] == [expected]


# -- bad input: a built-in exception naming the value and the fix, before any work -------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: m([0, 5]), IndexError, r"token id at position 1 must be in 0\.\.4, got 5; ids must be whole"),
        (lambda m: m([-1]), IndexError, r"token id at position 0 must be in 0\.\.4, got -1"),
        (lambda m: m([0, np.int64(9)]), IndexError, r"got 9"),
        (lambda m: m([True]), TypeError, r"must be a whole number in 0\.\.4, got bool True"),
        (lambda m: m([1.0]), TypeError, r"must be a whole number in 0\.\.4, got float 1\.0"),
        (lambda m: m.loss([0, 1, 7]), IndexError, r"position 2 must be in 0\.\.4, got 7"),
        (lambda m: m.step(5, m.new_cache()), IndexError, r"position 0 must be in 0\.\.4, got 5"),
        (lambda m: m.sample(8), IndexError, r"got 8"),
        (lambda m: m.sample(0, stop=5), IndexError, r"stop must be in 0\.\.4, got 5"),
        (
            lambda m: m([0, 1, 2, 3, 4]),
            ValueError,
            r"5 tokens, more than the 4 this model reads .* tokens\[:block_size\]",
        ),
        (lambda m: m.loss([0] * 6), ValueError, r"6 tokens, more than the 5 .* block_size >= 6"),
        (lambda m: m.sample([0] * 5), ValueError, r"5 tokens, more than the 4"),
        (lambda m: m([]), ValueError, r"empty sequence of token ids; pass at least one"),
        (lambda m: m.loss([]), ValueError, r"empty sequence"),
        (lambda m: m.loss([3]), ValueError, r"loss needs at least 2 tokens .* got 1"),
        (lambda m: m("abc"), TypeError, r"sequence of token ids \(a list of ints\), got str"),
        (lambda m: m.sample(0, temperature=0), ValueError, r"temperature must be a finite number > 0, got 0"),
        (lambda m: m.sample(0, temperature=-0.5), ValueError, r"temperature .* got -0\.5; 1 samples the model"),
        (lambda m: m.sample(0, temperature=math.nan), ValueError, r"temperature .* got nan"),
        (lambda m: m.sample(0, temperature=np.float64(0.0)), ValueError, r"temperature .* > 0"),
        (lambda m: m.step(0, [KVCache(4)] * 3), TypeError, r"list of 1 KVCache from new_cache\(\)"),
    ],
)
def test_bad_input_is_refused_with_the_value_and_the_fix_and_changes_nothing(
    call: Callable[[GPT], object], error: type[Exception], message: str
) -> None:
    model = GPT(**TINY, seed=2)
    before = model.state_dict()
    with pytest.raises(error, match=message):
        call(model)
    assert model.state_dict() == before and all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize(("n_embd", "n_head"), [(10, 4), (16, 3), (4, 8)])
def test_an_embedding_size_not_divisible_by_the_head_count_is_refused_naming_both(n_embd: int, n_head: int) -> None:
    pattern = rf"n_embd = {n_embd} is not divisible by n_head = {n_head}: .* choose n_head in \[1, "
    for make in (
        lambda: GPT(5, n_embd=n_embd, n_head=n_head),
        lambda: CausalSelfAttention(n_embd, n_head, block_size=4),
    ):
        with pytest.raises(ValueError, match=pattern):
            make()


def test_a_full_cache_is_refused_and_left_as_it_was() -> None:
    model = GPT(**TINY, seed=2)
    cache = model.new_cache()
    for t in [0, 1, 2, 3]:
        model.step(t, cache)
    with pytest.raises(ValueError, match=r"already holds block_size = 4 tokens; start a new sequence"):
        model.step(0, cache)
    assert len(cache[0]) == 4
    attn = model.layer0.attn
    with pytest.raises(ValueError, match=r"the cache is full: 4 tokens, block_size = 4"):
        attn.step([0.0] * 4, cache[0])
    fresh = attn.new_cache()
    with pytest.raises(ValueError, match=r"attention expects 4 numbers \(n_embd\) at the token at position 0, got 3"):
        attn.step([0.0] * 3, fresh)
    assert len(fresh) == 0


@pytest.mark.parametrize(("n_embd", "block_size"), [(8, 4), (2, 4), (4, 5)])
def test_a_cache_of_another_model_is_refused_before_any_work(n_embd: int, block_size: int) -> None:
    model = GPT(**TINY, seed=0)
    other = GPT(5, n_embd=n_embd, n_head=2, block_size=block_size, seed=0)
    cache = other.new_cache()
    other.step(1, cache)
    with pytest.raises(ValueError, match=rf"made for n_embd = {n_embd}, block_size = {block_size}.*new_cache\(\)"):
        model.step(2, cache)
    with pytest.raises(ValueError, match=rf"made for n_embd = {n_embd}, block_size = {block_size}"):
        model.layer0.attn.step([0.0] * 4, cache[0])
    assert len(cache[0]) == 1


def test_a_step_that_fails_in_a_later_layer_leaves_every_layer_cache_as_it_was() -> None:
    model = GPT(5, n_embd=4, n_head=1, n_layer=2, block_size=4, seed=0)
    cache, whole_cache = model.new_cache(), model.new_cache()
    model.step(1, cache)
    saved = model.state_dict()
    for row in model.layer1.attn_wq:
        for v in row:
            v.data = 1.7e308
    with pytest.raises(OverflowError):
        model.step(2, cache)
    assert [len(c) for c in cache] == [1, 1]
    model.load_state_dict(saved)
    logits = [model.step(t, cache) for t in (2, 3)][-1]
    expected = model([1, 2, 3])[-1]
    assert [z.data for z in logits] == pytest.approx([z.data for z in expected], rel=1e-12)
    model.step(1, whole_cache)
    whole_cache[1].keys.append(whole_cache[1].keys[0])  # grown by hand, out of step with layer 0
    whole_cache[1].values.append(whole_cache[1].values[0])
    with pytest.raises(ValueError, match=r"hold \[1, 2\] tokens, not one count"):
        model.step(2, whole_cache)


@pytest.mark.parametrize("temperature", [1e-310, 5e-324, 1e-200, 1e300])
def test_any_positive_temperature_samples(temperature: float) -> None:
    model = GPT(**TINY, std=0.3, seed=1)
    drawn = model.sample(0, temperature=temperature, seed=0)
    assert len(drawn) == 4 and all(0 <= t < 5 for t in drawn)
    if temperature < 1e-100:  # as good as greedy: the largest logit every time
        assert drawn[0] == max(range(5), key=[z.data for z in model([0])[0]].__getitem__)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda a: a([]), ValueError, r"empty sequence; pass at least one vector"),
        (lambda a: a([[0.0] * 4] * 4), ValueError, r"4 positions, more than block_size = 3; pass at most 3"),
        (lambda a: a([[0.0] * 4, [0.0] * 5]), ValueError, r"expects 4 numbers \(n_embd\) at position 1, got 5"),
        (lambda a: a([[0.0, "x", 0.0, 0.0]]), TypeError, r"position 0, entry 1"),
    ],
)
def test_attention_refuses_bad_sequences(
    call: Callable[[CausalSelfAttention], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(CausalSelfAttention(4, 2, block_size=3, seed=0))


@pytest.mark.parametrize(("index", "error"), [(4, IndexError), (-1, IndexError), (True, TypeError), (1.0, TypeError)])
def test_embedding_refuses_an_index_out_of_range(index: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"Embedding index must be .*0\.\.3.*; the table has 4 rows"):
        Embedding(4, 2, seed=0)(index)  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [lambda: GPT(5, std=1e308, seed=0), lambda: Embedding(100, 10, std=1e308, seed=0)])
def test_a_std_that_draws_past_the_float_range_is_named(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"std = 1e\+308 draws weights past the float range; choose a std below"):
        make()
