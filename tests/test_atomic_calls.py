"""A call that raises changes nothing: running statistics, optimizer steps and their buffers, loaded state,
the dropout generator and recorded training frames are all computed first and committed last."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import Value, optim
from micrograd_plus.nn import MLP, BatchNorm1d, Dropout, Layer, Module
from micrograd_plus.viz.training_page import TrainingRecorder

BIG = 1e200  # its square overflows a float


def trained_norm() -> BatchNorm1d:
    """A BatchNorm1d of 3 features whose running statistics have moved away from (0, 1)."""
    bn = BatchNorm1d(3, momentum=0.5)
    bn([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]])
    return bn


@pytest.mark.parametrize(
    "batch",
    [
        [[1.0, BIG, 0.0], [2.0, -BIG, 1.0]],  # the variance of feature 1 overflows after feature 0 is done
        [[1.0, 2.0, BIG], [2.0, 3.0, -BIG]],  # ... of the last feature
        [[1.0, 2.0, 3.0], [2.0, 3.0]],  # a short sample
        [[1.0, 2.0, 3.0], [2.0, "x", 4.0]],  # a string among the numbers
        [[1.0, 2.0, 3.0]],  # one sample in training mode
    ],
    ids=["overflow in feature 1", "overflow in the last feature", "short sample", "text", "batch of one"],
)
def test_a_batch_norm_call_that_raises_leaves_the_running_statistics(batch: list[list[Any]]) -> None:
    bn = trained_norm()
    mean, var, state = list(bn.running_mean), list(bn.running_var), bn.state_dict()
    means, variances = bn.running_mean, bn.running_var  # the lists themselves, as a caller may hold them
    with pytest.raises((OverflowError, ValueError, TypeError)):
        bn(batch)
    assert bn.running_mean == mean and bn.running_var == var and bn.state_dict() == state
    assert bn.running_mean is means and bn.running_var is variances


def test_a_batch_norm_call_that_succeeds_updates_every_feature_in_place() -> None:
    bn = trained_norm()
    means = bn.running_mean
    bn([[0.0, 0.0, 0.0], [2.0, 4.0, 6.0]])
    assert bn.running_mean is means
    assert bn.running_mean == pytest.approx([(1.0 + 1.0) / 2, (2.0 + 2.0) / 2, (3.0 + 3.0) / 2])


def params(n: int) -> list[Value]:
    ps = [Value(1.0, label=f"p{i}") for i in range(n)]
    for p in ps:
        p.grad = 0.5
    return ps


OPTIMIZERS: dict[str, Callable[[list[Value]], optim.Optimizer]] = {
    "SGD": lambda ps: optim.SGD(ps, lr=1.0),
    "SGD momentum": lambda ps: optim.SGD(ps, lr=1.0, momentum=0.9),
    "SGD nesterov decay": lambda ps: optim.SGD(ps, lr=1.0, momentum=0.5, nesterov=True, weight_decay=0.1),
    "Adam": lambda ps: optim.Adam(ps, lr=1.0),
}


def _snapshot(opt: optim.Optimizer) -> tuple[Any, ...]:
    buffers = {name: list(getattr(opt, name)) for name in ("buffers", "m", "v") if hasattr(opt, name)}
    return [p.data for p in opt.params], buffers, opt.steps


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: setattr(p, "grad", math.nan),
        lambda p: setattr(p, "grad", math.inf),
        lambda p: setattr(p, "grad", "0.5"),
        lambda p: setattr(p, "grad", Value(0.5)),
        lambda p: (setattr(p, "data", 1.7e308), setattr(p, "grad", -1.7e308)),  # the update overflows
    ],
    ids=["nan", "inf", "text", "Value", "overflow"],
)
def test_an_optimizer_step_that_fails_on_the_fifth_parameter_changes_nothing(
    make: Callable[[list[Value]], optim.Optimizer], spoil: Callable[[Value], object]
) -> None:
    ps = params(6)
    opt = make(ps)
    opt.step()  # buffers and moments are no longer zero
    before = _snapshot(opt)
    spoil(ps[4])
    before = ([p.data for p in ps], before[1], before[2])
    with pytest.raises((ValueError, TypeError, OverflowError), match="parameter 4"):
        opt.step()
    assert _snapshot(opt) == before


class Pair(Module):
    def __init__(self) -> None:
        self.first = Layer(2, 2, seed=0)
        self.norm = BatchNorm1d(2)
        self.first.owner = self  # a reference back: the walk must still end


@pytest.mark.parametrize(
    "change",
    [
        lambda state: state.update({"norm.running_var.1": math.nan}),
        lambda state: state.update({"norm.running_var.1": "1.0"}),
        lambda state: state.pop("norm.running_var.1"),
        lambda state: state.update({"extra": 1.0}),
    ],
    ids=["nan last", "text last", "missing", "unexpected"],
)
def test_a_load_state_dict_that_raises_leaves_every_parameter_and_buffer(
    change: Callable[[dict[str, Any]], object],
) -> None:
    model, source = Pair(), Pair()
    for k, p in enumerate(source.parameters()):
        p.data = 0.5 + k
    source.norm.running_mean[0] = 3.0
    state: dict[str, Any] = source.state_dict()
    change(state)
    before = model.state_dict()
    with pytest.raises((ValueError, TypeError)):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_a_load_that_raises_leaves_the_model(tmp_path: Path) -> None:
    model = Pair()
    model.save(tmp_path / "pair.json")
    text = (tmp_path / "pair.json").read_text()
    (tmp_path / "bad.json").write_text(text.replace('"norm.running_var.1": 1.0', '"norm.running_var.1": NaN'))
    for p in model.parameters():
        p.data = 0.125
    before = model.state_dict()
    with pytest.raises(ValueError, match="NaN"):
        model.load(tmp_path / "bad.json")
    assert model.state_dict() == before


def test_a_dropout_call_that_overflows_leaves_its_generator_where_it_was() -> None:
    dropout, twin = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    with pytest.raises(OverflowError):
        dropout([1.0, 1.7e308, 2.0, 1.7e308])  # kept entries are scaled by 2: the large ones overflow
    with pytest.raises(TypeError, match="got str 'x'"):
        dropout([1.0, "x"])
    assert [v.data for v in dropout([1.0] * 8)] == [v.data for v in twin([1.0] * 8)]


def test_a_training_record_that_raises_adds_no_frame() -> None:
    model = MLP(2, [2, 1], seed=0)
    model([1.0, 0.0])[0].backward()
    recorder = TrainingRecorder(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], grid=3)
    recorder.record(0, loss=0.5)
    for bad in [{"loss": math.nan}, {"loss": 0.5, "accuracy": "high"}, {"loss": True}]:
        with pytest.raises(ValueError):
            recorder.record(1, **bad)
    for w in model.layers[0].neurons[0].w:
        w.data = 1.7e308  # the boundary's forward pass now overflows
    with pytest.raises(OverflowError):
        recorder.record(2, loss=0.5)
    assert [frame["step"] for frame in recorder.history] == [0]
