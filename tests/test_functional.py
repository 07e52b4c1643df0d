"""n-ary helpers: one node each, numbers accepted, stable at ±1000, clear errors."""

from __future__ import annotations

import math
from typing import Any

import pytest

from micrograd_plus import Value
from micrograd_plus import functional as F


@pytest.mark.parametrize(
    ("make", "op", "n_parents"),
    [
        (lambda v: F.sum(v), "sum", 4),
        (lambda v: F.mean(v), "mean", 4),
        (lambda v: F.logsumexp(v), "logsumexp", 4),
        (lambda v: F.dot(v[:2], v[2:]), "dot", 4),
    ],
)
def test_one_node_per_call(make: object, op: str, n_parents: int) -> None:
    values = [Value(float(i)) for i in range(4)]
    out = make(values)  # type: ignore[operator]
    assert out.op == op
    assert len(out.parents) == n_parents
    assert all(p.parents == () for p in out.parents)  # no hidden chain of binary nodes
    assert len(out.topological_order()) == 5


def test_plain_numbers_are_accepted() -> None:
    x = Value(2.0)
    assert F.sum([1, x, 2.5]).data == 5.5
    assert F.mean([x, 4]).data == 3.0
    y = F.dot([x, 3], [4, x])  # 4x + 3x = 7x
    y.backward()
    assert (y.data, x.grad) == (14.0, 7.0)
    assert [round(p.data, 6) for p in F.softmax([0, math.log(3)])] == [0.25, 0.75]


def test_sum_of_nothing_is_zero() -> None:
    assert F.sum([]).data == 0.0


def test_generators_are_accepted() -> None:
    assert F.sum(Value(float(i)) for i in range(4)).data == 6.0
    assert F.dot((Value(1.0) for _ in range(2)), iter([2, 3])).data == 5.0


def test_softmax_and_logsumexp_are_stable_at_1000() -> None:
    xs = [Value(1000.0), Value(-1000.0), Value(999.0)]
    lse = F.logsumexp(xs)
    assert lse.data == pytest.approx(1000.0 + math.log(1.0 + math.exp(-1.0)))
    probs = F.softmax(xs)
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    assert probs[1].data == 0.0
    logs = F.log_softmax(xs)
    assert logs[1].data == pytest.approx(-2000.0 - math.log(1.0 + math.exp(-1.0)))
    logs[0].backward()
    assert all(math.isfinite(x.grad) for x in xs)
    # d log_softmax_0 / dx_j = δ_0j - softmax_j
    assert xs[0].grad == pytest.approx(1.0 - probs[0].data)
    assert xs[2].grad == pytest.approx(-probs[2].data)


def test_softmax_gradient_sums_to_zero() -> None:
    xs = [Value(0.1), Value(-0.7), Value(2.0)]
    F.softmax(xs)[1].backward()
    assert sum(x.grad for x in xs) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: F.softmax([]), "softmax of an empty sequence"),
        (lambda: F.log_softmax([]), "log_softmax of an empty sequence"),
        (lambda: F.logsumexp([]), "logsumexp of an empty sequence"),
        (lambda: F.mean([]), "mean of an empty sequence"),
        (lambda: F.dot([], []), "dot of an empty sequence"),
        (lambda: F.dot([1, 2], [3]), "equal length, got 2 and 1"),
    ],
)
def test_empty_and_mismatched_sequences(make: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        make()  # type: ignore[operator]


def test_non_numbers_in_a_sequence() -> None:
    with pytest.raises(TypeError, match="str"):
        F.sum([Value(1.0), "2"])  # type: ignore[list-item]


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, F.logsumexp, F.mean], ids=lambda f: f.__name__)
def test_a_bad_element_is_named_with_its_function_and_position(fn: Any) -> None:
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: element 1: Value needs a finite number, got nan"):
        fn([1.0, float("nan"), 2.0])
    with pytest.raises(TypeError, match=rf"^{fn.__name__}: element 2: .*got str 'a'"):
        fn([1.0, 2.0, "a"])
    with pytest.raises(TypeError, match=rf"^{fn.__name__}: .*got str 'a'"):
        fn(x for x in [1.0, "a"])
