"""NumPy scalars and 0-d arrays work wherever Python numbers do, in every constructor and call of the models,
optimizers, losses, data sets, pages and exercises; bools, text and nan are refused with the shared message."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import Value, data, losses, optim
from micrograd_plus.exercises import check_answer
from micrograd_plus.nn import (
    MLP,
    RNN,
    AvgPool2d,
    BatchNorm1d,
    Conv1d,
    Conv2d,
    Dropout,
    Flatten,
    Layer,
    LayerNorm,
    MaxPool1d,
    MaxPool2d,
    Module,
    Neuron,
    Perceptron,
    RNNCell,
)
from micrograd_plus.viz.matrix_view import explain_layers
from micrograd_plus.viz.training_page import TrainingRecorder

np = pytest.importorskip("numpy")

WHOLE = {"int64": np.int64, "int32": np.int32, "0-d array": lambda n: np.array(n, dtype=np.int64)}
REAL = {"float64": np.float64, "float32": np.float32, "0-d array": lambda x: np.array(x, dtype=np.float64)}

# each: a name, and a builder taking a function that turns a Python number into the NumPy form under test
WHOLE_USES: dict[str, Callable[[Callable[[int], Any]], object]] = {
    "Conv2d": lambda n: Conv2d(n(1), n(2), n(3), stride=n(1), padding=n(1), seed=0),
    "Conv2d pairs": lambda n: Conv2d(1, 2, (n(3), n(2)), stride=(n(1), n(2)), padding=(n(0), n(1)), seed=0),
    "Conv1d": lambda n: Conv1d(n(2), n(1), n(2), stride=n(2), padding=n(0), seed=0),
    "MaxPool2d": lambda n: MaxPool2d(n(2), stride=n(1), padding=n(1)),
    "AvgPool2d": lambda n: AvgPool2d((n(2), n(2)), stride=n(2), padding=n(0)),
    "MaxPool1d": lambda n: MaxPool1d(n(2), stride=n(1), padding=n(1)),
    "BatchNorm1d": lambda n: BatchNorm1d(n(3)),
    "LayerNorm": lambda n: LayerNorm(n(3)),
    "Neuron": lambda n: Neuron(n(2), fan_out=n(3), seed=n(0)),
    "Layer": lambda n: Layer(n(2), n(3), seed=0),
    "MLP": lambda n: MLP(n(2), [n(3), n(1)], seed=0),
    "Perceptron": lambda n: Perceptron(n(2)).fit([[1.0, 0.0], [0.0, 1.0]], [n(1), n(0)], epochs=n(5)),
    "RNNCell": lambda n: RNNCell(n(1), n(2), seed=0),
    "RNN": lambda n: RNN(n(1), n(2), n(1), seed=0)([[0.5], [0.1]], truncate=n(1)),
    "TrainingRecorder": lambda n: TrainingRecorder(MLP(2, [1], seed=0), [[0.0, 1.0]], [n(1)], every=n(2), grid=n(4)),
    "record step": lambda n: _recorder().record(n(4), loss=0.5),
    "make_glyphs": lambda n: data.make_glyphs(n(5), size=n(8), max_shift=n(2), seed=n(0)),
    "make_blobs": lambda n: data.make_blobs(n(6), n_classes=n(3), n_features=n(3), seed=0),
    "cross_entropy target": lambda n: losses.cross_entropy([[1.0, 2.0]], [n(1)]),
    "explain_layers class": lambda n: explain_layers(MLP(2, [2], "linear", seed=0), [1.0, 2.0], n(1), "cross_entropy"),
}

REAL_USES: dict[str, Callable[[Callable[[float], Any]], object]] = {
    "BatchNorm1d": lambda x: BatchNorm1d(2, eps=x(0.125), momentum=x(0.25)),
    "LayerNorm": lambda x: LayerNorm(2, eps=x(0.125)),
    "Dropout": lambda x: Dropout(x(0.5)),
    "MLP dropout": lambda x: MLP(2, [2, 1], dropout=x(0.25), seed=0),
    "Perceptron lr": lambda x: Perceptron(1).fit([[1.0]], [1], lr=x(0.5)),
    "SGD": lambda x: optim.SGD([Value(1.0)], lr=x(0.5), momentum=x(0.5), weight_decay=x(0.25)),
    "Adam": lambda x: optim.Adam([Value(1.0)], lr=x(0.25), betas=(x(0.5), x(0.75)), eps=x(0.5), weight_decay=x(0.5)),
    "TrainingRecorder points": lambda x: TrainingRecorder(MLP(2, [1], seed=0), [[x(0.5), x(-0.5)]], [1], grid=4),
    "record loss": lambda x: _recorder().record(0, loss=x(0.5), accuracy=x(0.75)),
    "explain_layers": lambda x: explain_layers(MLP(2, [1], seed=0), [x(0.5), 1.0], x(0.25), learning_rate=x(0.5)),
    "explain_layers rel_tol": lambda x: explain_layers(Neuron(1, "tanh", seed=0), [1.0], [x(0.5)], rel_tol=x(0.5)),
    "mse": lambda x: losses.mse([x(0.5)], [x(0.25)]),
    "hinge": lambda x: losses.hinge(x(0.5), x(1.0)),
    "binary_cross_entropy": lambda x: losses.binary_cross_entropy([x(0.5)], [x(1.0)]),
    "cross_entropy logits": lambda x: losses.cross_entropy([x(0.5), x(0.25)], 0),
    "make_moons": lambda x: data.make_moons(4, noise=x(0.5), seed=0),
    "make_circles": lambda x: data.make_circles(4, factor=x(0.5), seed=0),
    "Conv2d input": lambda x: Conv2d(1, 1, 1, seed=0)([[[x(0.5), x(1.5)]]]),
    "MaxPool2d input": lambda x: MaxPool2d(1)([[[x(0.5)]]]),
    "Flatten input": lambda x: Flatten()([[x(0.5), [x(0.25)]]]),
    "BatchNorm1d input": lambda x: BatchNorm1d(1)([[x(0.5)], [x(1.5)]]),
    "LayerNorm input": lambda x: LayerNorm(2)([x(0.5), x(1.5)]),
    "MLP input": lambda x: MLP(2, [1], seed=0)([x(0.5), x(1.5)]),
    "Dropout input": lambda x: Dropout(0.5, seed=0)([x(0.5), x(1.5)]),
    "check_answer": lambda x: check_answer("activations.sigmoid-slope", x(0.25)),
}


def _recorder() -> TrainingRecorder:
    model = MLP(2, [1], seed=0)
    model([1.0, 0.0])[0].backward()
    return TrainingRecorder(model, grid=2)


@pytest.mark.parametrize("kind", WHOLE.values(), ids=WHOLE.keys())
@pytest.mark.parametrize("use", WHOLE_USES.values(), ids=WHOLE_USES.keys())
def test_numpy_whole_numbers_work_like_ints(use: Callable[[Callable[[int], Any]], object], kind: Any) -> None:
    ours, plain = use(kind), use(int)
    if isinstance(ours, Module):
        assert ours.architecture() == plain.architecture()  # type: ignore[attr-defined]
        assert repr(ours) == repr(plain)
        assert all(type(v) is int for v in _numbers(ours.config()) if not isinstance(v, float))


@pytest.mark.parametrize("kind", REAL.values(), ids=REAL.keys())
@pytest.mark.parametrize("use", REAL_USES.values(), ids=REAL_USES.keys())
def test_numpy_reals_work_like_floats(use: Callable[[Callable[[float], Any]], object], kind: Any) -> None:
    ours, plain = use(kind), use(float)
    if isinstance(ours, Module):
        assert ours.architecture() == plain.architecture()  # type: ignore[attr-defined]
    if isinstance(ours, Value):
        assert ours.data == plain.data  # type: ignore[attr-defined]


def _numbers(config: object) -> list[object]:
    if isinstance(config, dict):
        return [x for v in config.values() for x in _numbers(v)]
    if isinstance(config, list):
        return [x for v in config for x in _numbers(v)]
    return [config] if isinstance(config, (int, float)) or type(config).__module__ == "numpy" else []


@pytest.mark.parametrize(
    "make",
    [
        lambda n: Conv2d(1, 2, n),
        lambda n: Conv2d(1, n, 3),
        lambda n: Conv1d(1, 1, 2, stride=n),
        lambda n: MaxPool2d(n),
        lambda n: AvgPool2d(2, stride=n),
        lambda n: MaxPool1d(n),
        lambda n: BatchNorm1d(n),
        lambda n: LayerNorm(n),
        lambda n: Layer(2, n),
        lambda n: MLP(2, [n]),
        lambda n: RNN(1, n, 1),
        lambda n: TrainingRecorder(MLP(2, [1]), every=n),
        lambda n: data.make_glyphs(5, max_shift=n),
    ],
)
@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        (True, "bool True"),
        ("3", "str '3'"),
        (math.nan, "float nan"),
        (np.float64(3.0), r"float64 (np\.float64\()?3\.0"),
        (2.5, "float 2.5"),
    ],
)
def test_whole_number_arguments_refuse_bools_text_and_fractions(
    make: Callable[[object], object], bad: object, shown: str
) -> None:
    with pytest.raises(ValueError, match=f"must be a whole number.*got {shown}"):
        make(bad)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: BatchNorm1d(2, eps=x),
        lambda x: BatchNorm1d(2, momentum=x),
        lambda x: LayerNorm(2, eps=x),
        lambda x: Dropout(x),
        lambda x: optim.SGD([Value(1.0)], lr=x),
        lambda x: optim.SGD([Value(1.0)], lr=0.1, momentum=x),
        lambda x: optim.Adam([Value(1.0)], eps=x),
        lambda x: _recorder().record(0, loss=x),
        lambda x: explain_layers(MLP(2, [1], seed=0), [1.0, 2.0], [0.0], learning_rate=x),
        lambda x: explain_layers(MLP(2, [1], seed=0), [x, 2.0], [0.0]),
        lambda x: losses.mse([Value(1.0)], [x]),
        lambda x: losses.mse([x], [1.0]),
        lambda x: data.make_moons(4, noise=x),
    ],
)
@pytest.mark.parametrize(("bad", "shown"), [(True, "bool True"), ("0.5", "str '0.5'"), (math.nan, "nan")])
def test_real_arguments_refuse_bools_text_and_nan(make: Callable[[object], object], bad: object, shown: str) -> None:
    with pytest.raises((ValueError, TypeError), match=f"got {shown}"):
        make(bad)


class Scaled(Module):
    """A model whose config holds NumPy numbers, as a user's hyper-parameters often are."""

    def __init__(self, scale: Any, width: Any) -> None:
        self.scale, self.width = scale, width
        self.w = [Value(0.5) for _ in range(int(width))]
        self.drop = Dropout(np.float64(0.5))

    def config(self) -> dict[str, Any]:
        return {"scale": self.scale, "width": self.width, "pair": (np.float32(0.25), np.int32(2))}


@pytest.mark.parametrize("kind", [*REAL.values(), *WHOLE.values()], ids=[*REAL, *WHOLE])
def test_save_and_load_a_model_whose_config_holds_numpy_numbers(kind: Any, tmp_path: Path) -> None:
    model = Scaled(kind(1), np.int64(2))
    model.w[1].data = 0.75
    model.save(tmp_path / "m.json")
    copy = Scaled(kind(1), np.int64(2))
    copy.load(tmp_path / "m.json")
    assert copy.state_dict() == model.state_dict()
    assert model.architecture() == {"type": "Scaled", "scale": 1, "width": 2, "pair": [0.25, 2]}


def test_save_accepts_numpy_buffer_entries_and_refuses_non_finite_ones(tmp_path: Path) -> None:
    bn = BatchNorm1d(2)
    bn.running_mean[0] = np.float32(0.5)
    bn.save(tmp_path / "bn.json")
    assert '"running_mean.0": 0.5' in (tmp_path / "bn.json").read_text()
    bn.running_var[1] = np.float64(np.inf)
    with pytest.raises(ValueError, match=r"'running_var.1' is .*inf.*nothing was written"):
        bn.save(tmp_path / "bn.json")
    fresh = BatchNorm1d(2)
    fresh.load_state_dict({**fresh.state_dict(), "running_mean.1": np.array(0.25)})
    assert fresh.running_mean == [0.0, 0.25] and type(fresh.running_mean[1]) is float


def test_optimizers_step_with_numpy_gradients_as_floats() -> None:
    w = Value(1.0)
    w.grad = np.float32(0.5)  # type: ignore[assignment]
    optim.SGD([w], lr=np.float64(0.5)).step()
    assert w.data == 0.75 and type(w.data) is float
