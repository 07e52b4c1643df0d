"""Checking the GPT: gradcheck_module on a small configuration, a wrong derivative planted in a custom attention
op located by the per-node check, and the attention weights the model reports."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import pytest

from micrograd_plus import Value, check_local_grads, define_op, gradcheck, gradcheck_module
from micrograd_plus import functional as F
from micrograd_plus.nn import GPT, CausalSelfAttention

SMALL = {"vocab_size": 7, "n_embd": 8, "n_head": 2, "block_size": 6}


def test_gradcheck_module_passes_on_the_small_gpt() -> None:
    """24 random directions through all 928 parameters (the full table only if one of them disagrees)."""
    model = GPT(**SMALL, std=0.3, seed=11)
    loss = lambda m: m.loss([6, 1, 4, 0, 2, 6])  # noqa: E731
    assert gradcheck_module(model, loss, directions=24, seed=1).ok


def score_op(wrong_k: bool) -> Callable[..., Value]:
    """s = q·k / √d for q, k of d numbers each, as one op; with ``wrong_k`` its d/dk rule forgets the 1/√d."""

    def forward(*qk: float) -> float:
        d = len(qk) // 2
        return math.fsum(a * b for a, b in zip(qk[:d], qk[d:])) / math.sqrt(d)

    def derivatives(*qk_out: float) -> tuple[float, ...]:
        qk = qk_out[:-1]
        d = len(qk) // 2
        root = math.sqrt(d)
        d_q = [k / root for k in qk[d:]]
        d_k = [q if wrong_k else q / root for q in qk[:d]]
        return (*d_q, *d_k)

    return define_op("scaled_score", forward, derivatives, register=False)


def attention_with(score: Callable[..., Value], attn: CausalSelfAttention, xs: Sequence[Sequence[float]]) -> Value:
    """Σ of the attention outputs, with the scores computed by ``score`` instead of dot / √d."""
    rows = [[Value(x) for x in row] for row in xs]
    d = attn.head_dim
    keys = [[F.dot(w, x) for w in attn.wk] for x in rows]
    values = [[F.dot(w, x) for w in attn.wv] for x in rows]
    total: list[Value] = []
    for t, x in enumerate(rows):
        q = [F.dot(w, x) for w in attn.wq]
        for h in range(0, attn.n_embd, d):
            weights = F.softmax([score(*q[h : h + d], *k[h : h + d]) for k in keys[: t + 1]])
            total += [F.dot(weights, [v[j] for v in values[: t + 1]]) for j in range(h, h + d)]
    return F.sum(total)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wrong_derivative_in_a_custom_attention_op_is_located_by_the_per_node_check(seed: int) -> None:
    rng = random.Random(seed)
    attn = CausalSelfAttention(4, 2, block_size=3, std=0.5, seed=seed)
    xs = [[rng.uniform(-1.0, 1.0) for _ in range(4)] for _ in range(3)]
    right = check_local_grads(attention_with(score_op(wrong_k=False), attn, xs))
    assert right.ok, right
    report = check_local_grads(attention_with(score_op(wrong_k=True), attn, xs))
    faulty = report.first_faulty
    assert faulty is not None and faulty.node.op == "scaled_score"
    assert faulty.parent >= 2  # an operand of k (the last head_dim operands), not of q
    assert math.isclose(faulty.recorded, faulty.numeric * math.sqrt(2), rel_tol=1e-6)
    wrong = {c.node.op for c in report.checks if c.status == "wrong"}
    assert wrong == {"scaled_score"} and "first faulty op" in str(report)
    assert not gradcheck(lambda *w: attention_with(score_op(True), _with(attn, w), xs), _flat(attn)).ok


def _flat(attn: CausalSelfAttention) -> list[float]:
    return [p.data for p in attn.parameters()]


def _with(attn: CausalSelfAttention, numbers: Sequence[Value]) -> CausalSelfAttention:
    """A copy of ``attn`` whose parameters are the given Values (gradcheck's inputs), in parameters() order."""
    copy = CausalSelfAttention(attn.n_embd, attn.n_head, attn.block_size, seed=0)
    values = iter(numbers)
    for matrix in (copy.wq, copy.wk, copy.wv, copy.wo):
        for row in matrix:
            row[:] = [next(values) for _ in row]
    return copy


def test_attention_weights_are_the_softmax_rows_of_each_head_and_sum_to_one() -> None:
    model = GPT(**SMALL, n_layer=2, std=0.5, seed=4)
    tokens = [6, 2, 3, 1]
    weights = model.attention_weights(tokens)
    assert len(weights) == 2 and all(len(layer) == SMALL["n_head"] for layer in weights)
    for layer in weights:
        for head in layer:
            assert [len(row) for row in head] == [1, 2, 3, 4]  # causal: position t sees t + 1 tokens
            assert all(math.isclose(sum(row), 1.0) and min(row) > 0.0 for row in head)
    # the first layer's weights, recomputed from the formula on the model's own numbers
    block = model.blocks[0]
    xs = [model.norm([a + b for a, b in zip(model.wte[t], model.wpe[p])]) for p, t in enumerate(tokens)]
    normed = [[v.data for v in block.attn_norm(x)] for x in xs]
    d = block.attn.head_dim

    def lin(w: list[list[Value]], x: list[float]) -> list[float]:
        return [sum(a.data * b for a, b in zip(row, x)) for row in w]

    qs, ks = [lin(block.attn_wq, x) for x in normed], [lin(block.attn_wk, x) for x in normed]
    for h in range(SMALL["n_head"]):
        for t in range(len(tokens)):
            s = [sum(qs[t][h * d + j] * ks[u][h * d + j] for j in range(d)) / math.sqrt(d) for u in range(t + 1)]
            e = [math.exp(v - max(s)) for v in s]
            expected = [v / sum(e) for v in e]
            assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(weights[0][h][t], expected))
    assert model.attention_weights(tokens) == weights  # nothing left behind between calls
    with pytest.raises(ValueError, match="block_size"):
        model.attention_weights([1] * (SMALL["block_size"] + 1))
    with pytest.raises(IndexError, match="vocab_size 7"):
        model.attention_weights([1, 7])
