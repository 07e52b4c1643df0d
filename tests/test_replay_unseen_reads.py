"""Numbers a replay cannot follow: a step that reads a Value's ``.data`` or detaches a Value runs eagerly and says
where; a test of the data made through ``math`` (which no guard sees) is caught by the later checks against eager;
a float of the data is never taken for an int (a token id) that eager mode would refuse."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable

import numpy as np
import pytest

from micrograd_plus import Value, losses
from micrograd_plus.compile import Replay
from micrograd_plus.compile.replay_key import structure
from micrograd_plus.nn import GPT, MLP
from micrograd_plus.tracing import DataFloat

BACKENDS = ["python", "numpy"]
X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
Y = [1.0, -1.0, 1.0]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def train_side_by_side(loss_of: Callable[..., Value], data: list[tuple], backend: str) -> tuple[Replay, list[int]]:
    """One model eagerly, its twin through Replay, same data; the steps whose loss or gradients differed."""
    eager, twin = MLP(2, [4, 1], seed=3), MLP(2, [4, 1], seed=3)
    step = Replay(lambda *d: loss_of(twin, *d), twin, backend=backend)
    differed = []
    for k, batch in enumerate(data):
        loss = loss_of(eager, *batch)
        for p in eager.parameters() + twin.parameters():
            p.grad = 0.0
        loss.backward()
        value = step(*batch)
        grads = [(p.grad, q.grad) for p, q in zip(eager.parameters(), twin.parameters(), strict=True)]
        if not close(value, loss.data) or not all(close(a, b) for a, b in grads):
            differed.append(k)
        for p, q in zip(eager.parameters(), twin.parameters(), strict=True):
            p.data = q.data = p.data - 0.1 * p.grad
    return step, differed


def batches(n: int, seed: int = 0) -> list[tuple[list[list[float]], list[float]]]:
    rng = random.Random(seed)
    return [([[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(3)], Y) for _ in range(n)]


def hinge(model: MLP, xs: list[list[float]], ys: list[float]) -> Value:
    return losses.hinge([model(x)[0] for x in xs], ys)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kind",
    ["branch on loss.data", "weight's data as a constant", "logging", "detach"],
)
def test_a_number_taken_out_of_the_graph_makes_the_step_run_eagerly(backend: str, kind: str) -> None:
    logged: list[float] = []

    def loss_of(model: MLP, xs: list[list[float]], ys: list[float]) -> Value:
        loss = hinge(model, xs, ys)
        if kind == "branch on loss.data":
            return loss * (2.0 if loss.data > 1.0 else 1.0)
        if kind == "weight's data as a constant":
            return loss + model.parameters()[0].data * model.parameters()[1]
        if kind == "logging":
            logged.append(loss.data)
            return loss
        return loss / (loss.detach() + 1.0)

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        step, differed = train_side_by_side(loss_of, batches(12), backend)
    assert differed == []
    assert step.replays == 0 and step.mode == "eager"
    reason = "detached Value" if kind == "detach" else "the step's own code reads a Value's .data at test_replay_unseen"
    assert reason in step.reason
    ran_eagerly = [w for w in said if "runs this step eagerly" in str(w.message)]
    assert len(ran_eagerly) == 1 and ran_eagerly[0].filename == __file__


def test_the_watched_reads_are_put_back_even_when_the_step_fails() -> None:
    member = Value.__dict__["data"]
    model = MLP(2, [2, 1], seed=0)

    def failing(xs: list[list[float]]) -> Value:
        raise ZeroDivisionError("the step failed")

    with pytest.raises(ZeroDivisionError):
        Replay(failing, model)(X)
    assert Value.__dict__["data"] is member
    step = Replay(lambda xs: hinge(model, xs, Y), model)
    for _ in range(3):
        step(X)
    assert Value.__dict__["data"] is member and step.compiles == 1 and step.replays == 2  # library reads are fine


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_test_of_the_data_made_through_math_is_caught_by_a_later_check(backend: str) -> None:
    def loss_of(model: MLP, xs: list[list[float]], ys: list[float]) -> Value:
        loss = hinge(model, xs, ys)
        return loss * (3.0 if math.fabs(xs[0][0]) > 1.0 else 1.0)  # math reads the float itself: no guard sees it

    first = [([[0.5, 0.5], *X[1:]], Y)] * 3 + [([[0.7, 0.5], *X[1:]], Y)]  # every early check sees |x| <= 1
    data = first + [([[1.5 + 0.01 * k, 0.5], *X[1:]], Y) for k in range(80)]  # then the other branch, for good
    with pytest.warns(RuntimeWarning, match="a replay differed from eager training"):
        step, differed = train_side_by_side(loss_of, data, backend)
    assert differed and all(k <= 4 + 64 for k in differed)  # caught by replay 64 of the variant at the latest
    assert step.mode == "eager" and "differed from eager" in step.reason


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index_data", [False, True])
def test_a_float_of_the_data_is_not_a_token_id(backend: str, index_data: bool) -> None:
    model = GPT(6, n_embd=4, n_head=2, block_size=5, seed=0)
    step = Replay(model.loss, model, index_data=index_data, backend=backend)
    step([5, 1, 5])
    step([5, 2, 5])
    for bad in ([5, 1.0, 5], [5, np.float64(2.0), 5], [5, 1.5, 5], [5.0, 1, 5]):
        with pytest.raises(TypeError) as eager_error:
            model.loss(bad)
        with pytest.raises(TypeError) as replay_error:
            step(bad)
        said = str(eager_error.value).replace("float64", "float")  # a NumPy float reaches the step as a float
        assert str(replay_error.value) == said
    assert close(step([5, np.int64(3), 5]), model.loss([5, 3, 5]).data)


def test_ints_and_floats_of_the_data_are_keyed_apart() -> None:
    for ints in (False, True):
        assert structure([1, 2, 3], [], ints) != structure([1.0, 2.0, 3.0], [], ints)
        assert structure([1, 2.0], [], ints) != structure([1.0, 2], [], ints)


def test_what_arithmetic_makes_of_an_int_of_the_data_is_whole_as_eagerly() -> None:
    t = DataFloat(2.0, lambda numbers: numbers[0], True)
    x = DataFloat(2.0, lambda numbers: numbers[0])
    whole = [t + 1, 1 + t, t - 1, 3 * t, t * t, t // 1, t % 3, -t, abs(t)]
    not_whole = [t + 1.0, t * 0.5, t / 1, t**2, x + 1, t + x, -x]
    assert all(type(v) is DataFloat and v.whole for v in whole)
    assert all(type(v) is DataFloat and not v.whole for v in not_whole)
    assert [v.source([5.0]) for v in whole] == [6.0, 6.0, 4.0, 15.0, 25.0, 5.0, 2.0, -5.0, 5.0]
