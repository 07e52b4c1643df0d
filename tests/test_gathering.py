"""Rows read by an index that is data: stand-in leaves while Replay traces, the one-hot product elsewhere, and
gradients that land in the rows as indexing gives them (a row read twice, a table also used directly)."""

from __future__ import annotations

import math
import random

from micrograd_plus import Value
from micrograd_plus import functional as F
from micrograd_plus.compile import Replay
from micrograd_plus.gathering import add_row_grads, gather, gathering, read_rows
from micrograd_plus.nn import GPT, Embedding, Module
from micrograd_plus.tracing import DataFloat


def index(i: int, k: int) -> DataFloat:
    """Id ``i``, read from position ``k`` of a step's data."""
    return DataFloat(float(i), lambda numbers: numbers[k], True)  # an int of the data, as Replay passes one


def test_gather_gives_stand_ins_only_while_gathering_and_moves_gradients_into_the_picked_rows() -> None:
    table = [[Value(float(10 * r + c)) for c in range(3)] for r in range(4)]
    assert gather(table, index(2, 0)) is None
    with gathering() as found:
        first, second = gather(table, index(2, 0)), gather(table, index(2, 1))
    assert first is not None and second is not None
    assert [v.data for v in first] == [20.0, 21.0, 22.0] and all(v.parents == () for v in first)
    assert read_rows(found, [3.0, 0.0]) == [30.0, 31.0, 32.0, 0.0, 1.0, 2.0]  # new data, other rows
    add_row_grads(found, [3.0, 3.0], [1.0, 2.0, 3.0, 0.5, 0.5, 0.5])
    assert [w.grad for w in table[3]] == [1.5, 2.5, 3.5] and all(w.grad == 0.0 for r in table[:3] for w in r)


def test_without_replay_a_data_index_reads_the_one_hot_product_with_the_numbers_of_indexing() -> None:
    model = GPT(vocab_size=5, n_embd=4, n_head=2, block_size=4, std=0.5, seed=2)
    tokens = [4, 1, 3, 1, 4]
    as_data = [index(t, k) for k, t in enumerate(tokens)]
    eager, one_hot = model.loss(tokens), model.loss(as_data)
    assert eager.data == one_hot.data
    params = model.parameters()
    eager.backward()
    expected = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    one_hot.backward()
    assert all(math.isclose(a, p.grad, rel_tol=1e-12, abs_tol=1e-300) for a, p in zip(expected, params))


class Tied(Module):
    """Embeddings whose table is also the output layer (weight tying): gradients from both uses must add."""

    def __init__(self) -> None:
        self.table = Embedding(5, 3, std=0.7, seed=4)

    def loss(self, ids: list[int]) -> Value:
        logits = [[F.dot(self.table(i), w) for w in self.table.weight] for i in ids]
        return F.mean([F.logsumexp(z) - z[0] for z in logits])


def test_replay_with_a_row_read_twice_and_a_tied_table_equals_eager() -> None:
    rng = random.Random(0)
    eager, replayed = Tied(), Tied()
    step = Replay(replayed.loss, replayed, index_data=True)
    for _ in range(6):
        ids = [rng.randrange(5) for _ in range(3)] + [2, 2]  # the same id twice
        expected = eager.loss(ids)
        expected.backward()
        value = step(ids)
        assert math.isclose(value, expected.data, rel_tol=1e-12)
        for a, b in zip(eager.parameters(), replayed.parameters()):
            assert math.isclose(a.grad, b.grad, rel_tol=1e-12, abs_tol=1e-15)
            a.grad = b.grad = 0.0
    assert step.compiles == 1 and step.replays == 5
