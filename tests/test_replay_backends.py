"""Replay's two backends: generated Python (the default) and NumPy array operations (``backend="numpy"``).

Both are held to eager training step by step in the differential tests (``test_fast_paths.py``) and on the
GPT (``test_gpt_replay.py``); here: choosing a backend, and what each does at the edges (no data leaves, a
value outside an op's domain, an overflow), where both must behave as eager training does.
"""

from __future__ import annotations

import math
import sys

import pytest

from micrograd_plus import Value, losses, optim
from micrograd_plus.compile import Replay
from micrograd_plus.compile.program import CompiledGraph
from micrograd_plus.compile.replay import BACKENDS
from micrograd_plus.nn import MLP

pytest.importorskip("numpy")


def _graphs(step: Replay) -> list[object]:
    return [variant.graph for entry in step._cache.values() if isinstance(entry, list) for variant in entry]


@pytest.mark.parametrize("bad", ["torch", "NumPy", "", None, 1])
def test_an_unknown_backend_is_refused_by_name(bad: object) -> None:
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match=r"unknown backend .*use one of 'python', 'numpy'"):
        Replay(lambda x: model(x)[0], model, backend=bad)  # type: ignore[arg-type]


def test_the_numpy_backend_without_numpy_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ImportError
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ImportError, match=r"pip install numpy"):
        Replay(lambda x: model(x)[0], model, backend="numpy")
    assert Replay(lambda x: model(x)[0], model).backend == "python"  # the default needs nothing


def test_the_numpy_backend_runs_array_operations_and_equals_the_python_backend() -> None:
    X, y = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.2]], [1.0, 0.0, 1.0]
    values: dict[str, list[float]] = {}
    for backend in BACKENDS:
        model = MLP(2, [4, 1], seed=3)
        step = Replay(lambda X, y, model=model: losses.mse([model(x)[0] for x in X], y), model, backend=backend)
        opt = optim.SGD(model.parameters(), lr=0.1)
        found = []
        for _ in range(4):
            opt.zero_grad()
            found.append(step(X, y))
            opt.step()
        values[backend] = found + [p.data for p in model.parameters()]
        assert step.replays == 3 and step.compiles == 1
        kinds = {type(g).__name__ for g in _graphs(step)}
        assert kinds == ({"CompiledGraph"} if backend == "python" else {"StepGraph"})
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(values["python"], values["numpy"]))


def test_a_step_without_data_leaves_compiles_to_python_on_the_numpy_backend() -> None:
    model = MLP(2, [3, 1], seed=1)
    step = Replay(lambda: losses.l2(model.parameters()) + model([0.5, 0.25])[0], model, backend="numpy")
    for _ in range(3):
        model.zero_grad()
        value = step()
        grads = [p.grad for p in model.parameters()]
        model.zero_grad()
        loss = losses.l2(model.parameters()) + model([0.5, 0.25])[0]
        loss.backward()
        assert math.isclose(value, loss.data, rel_tol=1e-12)
        assert all(math.isclose(a, p.grad, rel_tol=1e-12, abs_tol=1e-15) for a, p in zip(grads, model.parameters()))
    assert step.replays == 2 and all(isinstance(g, CompiledGraph) for g in _graphs(step))


def _outcome(call: object) -> tuple[str, str]:
    try:
        call()  # type: ignore[operator]
    except Exception as error:  # the outcome is compared, whatever it is
        return type(error).__name__, str(error)
    return "returned", ""


def test_a_value_outside_an_ops_domain_fails_as_in_eager_training() -> None:
    """log of (2w + shift) with a shift that the data makes negative: both backends say what eager mode says,
    naming the node of the compiled graph, and add nothing to any gradient."""
    w = Value(0.5, label="w")
    holder = MLP(1, [1], seed=0)
    holder.extra = w  # type: ignore[attr-defined]  # a Value of the model: a parameter of the replay

    def loss_of(shift: float) -> Value:
        return (w * 2.0 + shift).log()

    found = {}
    for backend in BACKENDS:
        step = Replay(loss_of, holder, backend=backend)
        assert step(1.0) == pytest.approx(math.log(2.0)) and step(2.0) == pytest.approx(math.log(3.0))
        assert step.replays == 1
        grad_before = w.grad
        found[backend] = _outcome(lambda step=step: step(-3.0))
        assert w.grad == grad_before
    eager = _outcome(lambda: loss_of(-3.0))
    assert found["python"] == found["numpy"], found
    assert found["numpy"][0] == eager[0] == "ValueError"
    assert found["numpy"][1].startswith("log is undefined for x = -2.0") and eager[1].startswith(
        "log is undefined for x = -2.0"
    )
    assert found["numpy"][1].endswith("of the compiled graph")


def test_a_gradient_that_overflows_is_refused_as_in_eager_training() -> None:
    """Every value finite, but d(loss)/d(the first product) = scale² = inf: eager refuses it, and so does a replay
    on either backend (it runs the step eagerly, which raises the engine's message), changing no gradient."""

    def loss_of(model: MLP, scale: float) -> Value:
        return model([1.0])[0] * (1.0 / scale) * scale * scale

    eager_model = MLP(1, [1], seed=0)
    eager = _outcome(loss_of(eager_model, 1e300).backward)
    assert eager[0] == "OverflowError" and "overflowed to inf in backward()" in eager[1]
    for backend in BACKENDS:
        model = MLP(1, [1], seed=0)
        step = Replay(lambda scale, model=model: loss_of(model, scale), model, backend=backend)
        step(2.0)
        step(3.0)
        assert step.replays == 1
        before = [p.grad for p in model.parameters()]
        assert _outcome(lambda step=step: step(1e300)) == eager, backend
        assert [p.grad for p in model.parameters()] == before
