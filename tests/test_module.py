"""Module bookkeeping: tied weights listed once, no reference cycles, save/load that refuse what they cannot keep."""

from __future__ import annotations

import gc
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from micrograd_plus import Value, gradcheck_module, losses, optim
from micrograd_plus.nn import MLP, RNN, Module, Perceptron


class Tied(Module):
    """y = w·(x + w) + v: ``w`` is reachable as ``self.w`` and as ``self.pair[0]``; ``inner`` is a shared child."""

    def __init__(self) -> None:
        self.w = Value(0.5)
        self.pair = [self.w, Value(-1.5)]
        self.inner = Perceptron(1)
        self.again = [self.inner, (self.w,)]

    def __call__(self, x: float) -> Value:
        return self.w * (x + self.w) + self.pair[1] * self.inner([x])


def test_a_tied_value_is_one_parameter_under_its_first_name() -> None:
    model = Tied()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["w", "pair.1", "inner.w.0", "inner.b"]
    assert len(model.parameters()) == 4 and len({id(p) for p in model.parameters()}) == 4
    assert list(model.state_dict()) == names
    assert "# 4 parameters" in repr(model)


@pytest.mark.parametrize(
    "make", [Tied, lambda: MLP(3, [4, 4, 2], dropout=0.2, seed=1), lambda: RNN(2, 3, 1, seed=0), lambda: Perceptron(5)]
)
def test_parameters_are_named_parameters_in_the_same_order(make: Callable[[], Module]) -> None:
    model = make()
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in model.named_parameters()]
    below = list(dict.fromkeys(id(m) for _, m in model.named_modules()))  # a shared child is listed once
    assert [id(m) for m in model.modules()] == [id(model), *below]


def test_tied_weights_are_counted_once_by_l2_and_checked_by_gradcheck_module() -> None:
    model = Tied()
    model.inner.w[0].data = 0.25
    assert losses.l2(model.parameters()).data == pytest.approx(0.5**2 + 1.5**2 + 0.25**2)
    report = gradcheck_module(model, lambda m: m(2.0) * m(-1.0))
    assert report.ok, report


def test_adam_keeps_one_moment_for_a_tied_weight() -> None:
    model = Tied()
    opt = optim.Adam(model.parameters(), lr=0.1)
    model.zero_grad()
    model(1.0).backward()
    opt.step()
    assert model.w.data == pytest.approx(0.5 - 0.1, rel=1e-6)  # Adam's first step moves each parameter by about lr
    assert len(opt.m) == 4


def test_a_module_that_contains_itself_does_not_loop() -> None:
    model = Perceptron(2)
    model.me = model  # type: ignore[attr-defined]
    assert [name for name, _ in model.named_parameters()] == ["w.0", "w.1", "b"]


@pytest.mark.parametrize(
    "make", [lambda: MLP(2, [4, 4, 1], seed=0), lambda: RNN(1, 3, 1, seed=0), Tied], ids=["mlp", "rnn", "tied"]
)
def test_bookkeeping_leaves_nothing_for_the_cycle_collector(make: Callable[[], Module]) -> None:
    model = make()
    gc.collect()
    gc.disable()
    try:
        for _ in range(200):
            model.parameters()
            model.named_parameters()
            model.zero_grad()
            model.state_dict()
        assert gc.collect() == 0
    finally:
        gc.enable()


# -- save: never write what load would refuse ----------------------------------------------


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, "Value"])
def test_save_refuses_non_finite_state_before_touching_the_file(tmp_path: Path, bad: object) -> None:
    path = tmp_path / "model.json"
    model = MLP(2, [3, 1], seed=0)
    model.save(path)
    old = path.read_bytes()
    model.layers[1].neurons[0].w[2].data = Value(1.0) if bad == "Value" else bad  # type: ignore[assignment]
    with pytest.raises(ValueError, match=r"parameter 'layers\.1\.neurons\.0\.w\.2' is .*not a finite number"):
        model.save(path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["model.json"]
    MLP(2, [3, 1], seed=5).load(path)  # the old checkpoint still loads


# -- load: a bounded parse; every failure is a ValueError and changes nothing --------------


def good_document() -> dict[str, object]:
    model = MLP(2, [3, 1], seed=1)
    return {"format": "micrograd_plus.state", "version": 1, "architecture": model.architecture(),
            "parameters": model.state_dict()}  # fmt: skip


def state_file(change: str) -> str:
    document = good_document()
    parameters: dict[str, object] = document["parameters"]  # type: ignore[assignment]
    name = next(iter(parameters))
    text = json.dumps(document)
    if change == "deep array":
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": ' + "[" * 100_000 + "]" * 100_000)
    if change == "deep object":
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000)
    if change == "deep document":
        return "[" * 100_000 + "]" * 100_000
    if change == "20,000 deep":
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": ' + "[" * 20_000 + "]" * 20_000)
    if change == "moderately deep":
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": ' + "[" * 500 + "]" * 500)
    if change == "400-digit parameter":
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": ' + "9" * 400)
    if change == "400-digit version":
        return text.replace('"version": 1', '"version": ' + "1" * 400)
    if change in ("NaN", "Infinity", "-Infinity", "1e999"):
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": {change}')
    if change == "a parameter twice":  # the first value, then another: json keeps the last one silently
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": {parameters[name]}, "{name}": 0.5')
    if change == "version twice":
        return text.replace('"version": 1', '"version": 1, "version": 1')
    if change == "parameters is a list":
        document["parameters"] = list(parameters.values())
    elif change == "architecture is a string":
        document["architecture"] = "MLP" * 1000
    elif change in ("null", "true"):
        return text.replace(f'"{name}": {parameters[name]}', f'"{name}": {change}')
    return json.dumps(document)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ("deep array", r"larger \(.*\) than any state file"),
        ("deep object", r"larger \(.*\) than any state file"),
        ("deep document", r"larger \(.*\) than any state file"),
        ("20,000 deep", r"nests arrays or objects too deeply"),
        ("moderately deep", r"deeper than 32 levels"),
        ("400-digit parameter", r"an integer of 400 digits"),
        ("400-digit version", r"an integer of 400 digits"),
        ("NaN", r"the non-standard number NaN"),
        ("Infinity", r"the non-standard number Infinity"),
        ("-Infinity", r"the non-standard number -Infinity"),
        ("1e999", r"the number '1e999', which overflows"),
        ("a parameter twice", r"holds the name '.*' twice in one object"),
        ("version twice", r"holds the name 'version' twice in one object"),
        ("parameters is a list", r'no "parameters" mapping'),
        ("architecture is a string", r"holds a 'MLPMLP.*\.\.\., not this"),
        ("null", r"must be a finite number, got None"),
        ("true", r"must be a finite number, got True"),
    ],
)
def test_hostile_state_files_are_refused_and_change_nothing(tmp_path: Path, change: str, pattern: str) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(state_file(change))
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=pattern) as caught:
        model.load(path)
    assert len(str(caught.value)) < 500  # no echo of the hostile content
    assert model.state_dict() == before


def test_a_file_larger_than_any_state_of_the_model_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.truncate(2**40)  # a sparse terabyte: refused by its size, not by reading it
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"larger \(.* bytes\) than any state file of this model"):
        model.load(path)
    assert model.state_dict() == before


def test_the_size_bound_fits_every_state_save_writes(tmp_path: Path) -> None:
    model = MLP(3, [40, 40, 2], seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    assert path.stat().st_size < model._max_state_bytes()
    other = MLP(3, [40, 40, 2], seed=1)
    other.load(path)
    assert other.state_dict() == model.state_dict()


def test_load_state_dict_refuses_huge_integers() -> None:
    model = MLP(1, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'layers\.0\.neurons\.0\.b' must be a finite number, got 1000"):
        model.load_state_dict({"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": 10**400})
    assert model.state_dict() == before


# -- Perceptron.fit with a learning rate that overflows ------------------------------------


@pytest.mark.parametrize("lr", [1e308, 1.7e308])
def test_perceptron_fit_refuses_an_overflowing_update(lr: float) -> None:
    model = Perceptron(2)
    model.fit([[1.0, 0.0], [0.0, -1.0]], [1, 0], epochs=5)
    before = model.state_dict()
    with pytest.raises(OverflowError, match=r"Perceptron\.fit: .* makes w\.0 -?inf; lower lr = 1\.?\d*e\+308"):
        model.fit([[10.0, 0.0], [-10.0, 1.0]], [0, 1], epochs=5, lr=lr)
    assert model.state_dict() == before


def test_a_saved_model_has_the_permissions_of_an_ordinary_file(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = tmp_path / "model.json"
        MLP(2, [2, 1], seed=0).save(path)
        assert path.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)
