"""Replay keeps eager training's meaning at its edges, on both backends: numbers the step computes from its data
with ``math``, ``statistics``, a Dropout outside the model, a parameter that is no longer finite, a class index
made data, an op of your own that fails in its domain. Each step's loss and gradients equal eager training's, or
the call raises what eager training raises and changes nothing."""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_plus import Value, define_op, losses
from micrograd_plus.compile import Replay
from micrograd_plus.compile.replay import BACKENDS
from micrograd_plus.nn import MLP, Dropout

pytest.importorskip("numpy")


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "returned", call()
    except Exception as error:  # the outcome is compared, whatever it is
        return type(error).__name__, str(error)


def _twins(loss_of: Callable[..., Value], backend: str, batches: list[tuple[Any, ...]], seed: int = 0) -> Replay:
    """Eager and replayed twins on the same batches: the same loss and gradients after every step."""
    eager, twin = MLP(1, [3, 1], activation="tanh", seed=seed), MLP(1, [3, 1], activation="tanh", seed=seed)
    step = Replay(lambda *data: loss_of(twin, *data), twin, backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k, batch in enumerate(batches):
            eager.zero_grad()
            loss = loss_of(eager, *batch)
            loss.backward()
            twin.zero_grad()
            value = step(*batch)
            assert math.isclose(value, loss.data, rel_tol=1e-12), (k, value, loss.data, step)
            for a, b in zip(eager.parameters(), twin.parameters()):
                assert math.isclose(a.grad, b.grad, rel_tol=1e-12, abs_tol=1e-15), (k, step)
    return step


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rounding", [math.floor, math.ceil, math.trunc, round])
def test_rounding_the_data_is_a_guard(backend: str, rounding: Callable[[float], int]) -> None:
    def loss_of(model: MLP, x: float, t: float) -> Value:
        return losses.mse([model([x])[0]], [rounding(t) * 0.5])

    data = [(0.5, 0.3), (0.5, 0.4), (0.5, 1.7), (0.5, 1.6), (0.5, -2.2), (0.5, 0.2)]
    step = _twins(loss_of, backend, data)
    assert step.replays >= 2  # the same rounded value replays; another one is traced again


@pytest.mark.parametrize("backend", BACKENDS)
def test_math_of_the_data_is_caught_by_the_first_replay_at_new_numbers(backend: str) -> None:
    """``math.exp(t)`` reads the number itself: no guard sees it. The first replay is checked against eager (the
    same numbers here, so it agrees), and so is the first at other numbers, which differs: the step runs eagerly."""

    def loss_of(model: MLP, x: float, t: float) -> Value:
        return losses.mse([model([x])[0]], [math.exp(t)])

    step = _twins(loss_of, backend, [(0.5, 0.3), (0.5, 0.3), (0.5, -0.4), (0.5, 0.8), (0.5, 0.3)])
    assert step.reasons == {"a replay differed from eager training: the step reads numbers that no guard sees": 3}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_step_whose_numbers_depend_only_on_guarded_data_stays_replayed_after_the_second_check(backend: str) -> None:
    step = _twins(
        lambda m, x, t: losses.mse([m([x])[0]], [2 * t - 1]), backend, [(0.5, t) for t in (0.3, 0.3, 0.6, 0.9)]
    )
    assert step.replays == 3 and not step.reasons


@pytest.mark.parametrize("backend", BACKENDS)
def test_statistics_of_the_data_run_eagerly_and_say_so(backend: str) -> None:
    def loss_of(model: MLP, X: list[float], y: list[float]) -> Value:
        return losses.mse([model([x])[0] for x in X], [t - statistics.mean(y) for t in y])

    with pytest.warns(RuntimeWarning, match=r"runs this step eagerly.*statistics"):
        model = MLP(1, [2, 1], seed=0)
        Replay(lambda *d: loss_of(model, *d), model, backend=backend)([0.5, 1.0], [0.2, 0.9])
    step = _twins(loss_of, backend, [([0.5, 1.0], [0.2, 0.9]), ([0.5, 1.0], [0.1, 0.3]), ([0.5, 1.0], [0.7, 0.2])])
    assert step.replays == 0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("first", ["train", "eval"])
def test_a_dropout_outside_the_model_is_replayed_in_the_mode_it_is_in(backend: str, first: str) -> None:
    drops = {side: Dropout(0.5, seed=7) for side in ("eager", "twin")}
    for d in drops.values():
        d.train(first == "train")

    def loss_of(model: MLP, x: float, t: float) -> Value:
        side = "twin" if model is twin_model[0] else "eager"
        return losses.mse(drops[side](model([x])), [t, -t])

    twin_model: list[MLP] = []
    eager, twin = MLP(1, [3, 2], seed=1), MLP(1, [3, 2], seed=1)
    twin_model.append(twin)
    step = Replay(lambda *data: loss_of(twin, *data), twin, backend=backend)
    for k in range(6):
        if k == 3:  # switched after the trace
            for d in drops.values():
                d.train(first != "train")
        eager.zero_grad()
        loss = loss_of(eager, 0.5, [0.25, -0.5][k % 2])
        loss.backward()
        twin.zero_grad()
        value = step(0.5, [0.25, -0.5][k % 2])
        assert math.isclose(value, loss.data, rel_tol=1e-12), (k, first)
        assert all(
            math.isclose(a.grad, b.grad, rel_tol=1e-12, abs_tol=1e-15)
            for a, b in zip(eager.parameters(), twin.parameters())
        )
    assert step.compiles == 2  # one per mode


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_a_parameter_that_is_not_finite_fails_as_in_eager_training(bad: float) -> None:
    found = {}
    for mode in ("eager", *BACKENDS):
        model = MLP(2, [3, 1], seed=0)

        def loss_of(X: list[list[float]], y: list[float], model: MLP = model) -> Value:
            return losses.mse([model(x)[0] for x in X], y)

        step = None if mode == "eager" else Replay(loss_of, model, backend=mode)
        if step is not None:
            step([[0.5, 0.1]], [0.3])
            step([[0.5, 0.1]], [0.3])
        model.parameters()[0].data = bad
        before = [p.grad for p in model.parameters()]
        found[mode] = _outcome(
            lambda step=step: loss_of([[0.5, 0.1]], [0.3]).backward() if step is None else step([[0.5, 0.1]], [0.3])
        )
        if step is not None:
            assert [p.grad for p in model.parameters()] == before or bad != bad
    assert found["python"] == found["numpy"] == found["eager"], found
    assert found["eager"][0] in ("OverflowError", "ValueError")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_class_index_made_data_by_index_data_is_refused_with_the_fix(backend: str) -> None:
    model = MLP(2, [3, 3], seed=0)
    step = Replay(lambda X, y: losses.cross_entropy([model(x) for x in X], y), model, index_data=True, backend=backend)
    with pytest.raises(ValueError, match=r"class index.*without index_data=True.*one-hot target"):
        step([[0.5, 0.1]], [1])
    plain = Replay(lambda X, y: losses.cross_entropy([model(x) for x in X], y), model, backend=backend)
    assert plain([[0.5, 0.1]], [1]) == pytest.approx(losses.cross_entropy([model([0.5, 0.1])], [1]).data)


def test_an_op_of_your_own_failing_in_its_domain_reads_the_same_on_both_backends() -> None:
    clog = define_op("clog_edge", lambda x: math.log(x), lambda x, out: (1 / x,), register=False)
    found = {}
    for backend in BACKENDS:
        model = MLP(2, [3, 1], activation="tanh", seed=0)
        step = Replay(lambda X, y, model=model: clog(model(X[0])[0] + y[0]), model, backend=backend)
        step([[0.5, 0.1]], [3.0])
        step([[0.5, 0.1]], [3.0])
        found[backend] = _outcome(lambda step=step: step([[0.5, 0.1]], [-5.0]))
    assert found["python"] == found["numpy"], found
    assert (
        found["numpy"][0] == "ValueError"
        and "clog_edge" in found["numpy"][1]
        and "of the compiled graph" in found["numpy"][1]
    )
