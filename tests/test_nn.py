"""Modules: names, initialisation, gradients against finite differences, learning, save/load, errors."""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path

import pytest

from micrograd_plus import Value, gradcheck, gradcheck_module, losses, optim
from micrograd_plus import functional as F
from micrograd_plus.data import (
    make_linearly_separable,
    make_moons,
    make_sine_sequence,
    make_spirals,
    make_xor,
)
from micrograd_plus.nn import MLP, RNN, Dropout, Layer, Module, Neuron, Perceptron, RNNCell

# -- structure and names --------------------------------------------------------------


def test_mlp_parameter_names_are_stable_and_readable() -> None:
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(model.parameters()) == (2 * 3 + 3) + (3 + 1)
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert names == [name for name, _ in MLP(2, [3, 1], seed=5).named_parameters()]


def test_rnn_parameter_names() -> None:
    names = [name for name, _ in RNN(2, 3, 1, seed=0).named_parameters()]
    assert names[0] == "cell.w_xh.0.0" and "cell.w_hh.2.2" in names and "cell.b_h.2" in names
    assert names[-4:] == ["w_hy.0.0", "w_hy.0.1", "w_hy.0.2", "b_y.0"]
    assert len(names) == 3 * 2 + 3 * 3 + 3 + 3 + 1


def test_repr_shows_architecture_and_parameter_count() -> None:
    text = repr(MLP(2, [16, 16, 1], seed=0))
    first = text.splitlines()[0]
    assert first.startswith("MLP(n_in=2, sizes=[16, 16, 1], activation='relu'") and "337 parameters" in first
    assert "(layers.1): Layer(n_in=16, n_out=16, activation='relu')  # 272 parameters" in text
    assert "    (neurons): 16 × Neuron(n_in=16, activation='relu')  # 17 parameters" in text
    assert "# 1 parameter" not in repr(Neuron(1))


def test_neuron_is_one_dot_node_then_the_activation() -> None:
    neuron = Neuron(3, activation="tanh", seed=1)
    out = neuron([1.0, 2.0, 3.0])
    assert out.op == "tanh"
    (dot,) = out.parents
    assert dot.op == "dot" and len(dot.parents) == 2 * 3 + 1
    expected = sum(w.data * x for w, x in zip(neuron.w, [1.0, 2.0, 3.0])) + neuron.b.data
    assert dot.data == pytest.approx(expected)
    assert Neuron(2, activation="linear")([1.0, 1.0]).op == "dot"


def test_layer_always_returns_a_list() -> None:
    out = Layer(2, 1, seed=0)([0.5, -0.5])
    assert isinstance(out, list) and len(out) == 1


def test_seeds_make_weights_reproducible() -> None:
    same = [p.data for p in MLP(2, [4, 1], seed=3).parameters()]
    assert same == [p.data for p in MLP(2, [4, 1], seed=3).parameters()]
    assert same != [p.data for p in MLP(2, [4, 1], seed=4).parameters()]
    rng = random.Random(0)
    first, second = Neuron(4, seed=rng), Neuron(4, seed=rng)  # one shared generator: different weights
    assert [w.data for w in first.w] != [w.data for w in second.w]


@pytest.mark.parametrize(("activation", "bound"), [("relu", math.sqrt(6 / 8)), ("tanh", math.sqrt(3 / 8))])
def test_initialisation_bounds(activation: str, bound: float) -> None:
    layer = Layer(8, 50, activation, seed=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert max(map(abs, weights)) <= bound
    assert max(map(abs, weights)) > 0.9 * bound  # uniform over the whole range
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_zero_grad_and_modes() -> None:
    model = MLP(2, [3, 1], dropout=0.5, seed=0)
    model([1.0, 2.0])[0].backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.eval() is model and not model.dropout.training and not model.layers[0].neurons[0].training
    assert model.train().dropout.training


# -- gradients of whole modules against finite differences ------------------------------


def test_mlp_gradients_match_finite_differences() -> None:
    model = MLP(3, [4, 4, 2], activation="tanh", seed=2)
    X, y = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [-1.5, 0.7, 0.0]], [0, 1, 1]

    def loss(m: MLP) -> Value:
        return losses.cross_entropy([m(x) for x in X], y) + 1e-2 * losses.l2(m.parameters())

    report = gradcheck_module(model, loss)
    assert report.ok, str(report)
    assert len(report.rows) == len(model.parameters()) == 46


def test_relu_mlp_gradients_match_finite_differences() -> None:
    model = MLP(2, [8, 1], seed=0)
    X, y = make_moons(10, seed=0)
    report = gradcheck_module(model, lambda m: losses.mse([m(x)[0] for x in X], [float(t) for t in y]))
    assert report.ok, str(report)


def test_rnn_gradients_match_finite_differences_through_8_steps() -> None:
    model = RNN(2, 3, 1, seed=1)
    xs = [[math.sin(t), math.cos(0.5 * t)] for t in range(8)]
    targets = [math.sin(t + 1.0) for t in range(8)]
    report = gradcheck_module(model, lambda m: losses.mse([y[0] for y in m(xs).outputs], targets))
    assert report.ok, str(report)
    assert len(report.rows) == 3 * 2 + 3 * 3 + 3 + 3 + 1


def test_gradients_flow_back_to_the_first_input() -> None:
    model = RNN(1, 4, 1, seed=0)
    x0 = Value(0.5, "x0")
    xs = [[x0]] + [[0.1 * t] for t in range(1, 10)]
    assert gradcheck(lambda x: model([[x], *xs[1:]]).outputs[-1][0], [0.5]).ok
    model(xs).outputs[-1][0].backward()
    assert x0.grad != 0.0


def test_truncated_bptt_stops_gradients() -> None:
    model = RNN(1, 4, 1, seed=0)
    x0, x7 = Value(0.5), Value(0.3)
    xs = [[x0]] + [[0.1 * t] for t in range(1, 7)] + [[x7]] + [[0.2]] * 2  # steps 0..9
    model(xs, truncate=5).outputs[-1][0].backward()
    assert x0.grad == 0.0  # step 0 lies before the cut at step 5
    assert x7.grad != 0.0


@pytest.mark.slow
def test_rnn_backprops_through_1000_steps() -> None:
    model = RNN(1, 4, 1, seed=0)
    xs, targets = make_sine_sequence(1000, seed=0)
    loss = losses.mse([y[0] for y in model(xs).outputs], targets)
    loss.backward()
    assert all(math.isfinite(p.grad) for p in model.parameters())
    assert any(p.grad != 0.0 for p in model.cell.w_hh[0])


def test_rnn_cell_step_formula() -> None:
    cell = RNNCell(1, 2, seed=0)
    h = cell([0.5], [0.1, -0.2])
    for i in range(2):
        pre = cell.w_xh[i][0].data * 0.5 + cell.w_hh[i][0].data * 0.1 - cell.w_hh[i][1].data * 0.2
        assert h[i].data == pytest.approx(math.tanh(pre + cell.b_h[i].data))


def test_rnn_starts_from_h0() -> None:
    model = RNN(1, 2, 1, seed=0)
    zero = model([[0.3]]).hidden[0]
    other = model([[0.3]], h0=[0.5, -0.5]).hidden[0]
    assert [v.data for v in zero] != [v.data for v in other]


# -- dropout --------------------------------------------------------------------------------


def test_dropout_in_training_and_eval() -> None:
    drop = Dropout(0.5, seed=0)
    xs = [Value(1.0) for _ in range(1000)]
    out = [v.data for v in drop(xs)]
    assert set(out) == {0.0, 2.0}  # dropped, or kept and scaled by 1/(1-p)
    assert 400 < out.count(0.0) < 600
    assert [v.data for v in Dropout(0.5, seed=0)(xs)] == out  # seeded
    drop.eval()
    assert all(a is b for a, b in zip(drop(xs), xs))


def test_mlp_dropout_is_off_in_eval_mode() -> None:
    with_dropout = MLP(2, [8, 1], dropout=0.9, seed=0)
    without = MLP(2, [8, 1], seed=0)
    with_dropout.eval()
    assert with_dropout([1.0, -1.0])[0].data == without([1.0, -1.0])[0].data


# -- end-to-end learning --------------------------------------------------------------------


def accuracy(predictions: list[int], labels: list[int]) -> float:
    return sum(p == t for p, t in zip(predictions, labels)) / len(labels)


@pytest.mark.slow
def test_mlp_learns_moons() -> None:
    X, y = make_moons(100, noise=0.1, seed=1)
    labels = [2.0 * t - 1.0 for t in y]
    model = MLP(2, [16, 16, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for step in range(100):
        scores = [model(x)[0] for x in X]
        loss = losses.hinge(scores, labels) + 1e-4 * losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * step / 100
        opt.step()
    final = accuracy([int(model(x)[0].data > 0) for x in X], y)
    assert final >= 0.97


@pytest.mark.slow
def test_softmax_classifier_learns_spirals() -> None:
    X, y = make_spirals(150, n_classes=3, seed=0)
    model = MLP(2, [16, 16, 3], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        loss = losses.cross_entropy([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    predictions = [max(range(3), key=lambda k, x=x: model(x)[k].data) for x in X]
    assert accuracy(predictions, y) >= 0.75  # chance is 1/3


@pytest.mark.slow
def test_rnn_learns_next_step_sine() -> None:
    xs, targets = make_sine_sequence(30, step=0.3, seed=0)
    model = RNN(1, 8, 1, seed=0)
    opt = optim.Adam(model.parameters(), lr=0.03)
    history = []
    for _ in range(120):
        loss = losses.mse([out[0] for out in model(xs).outputs], targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.data)
    assert history[-1] <= history[0] / 10


def test_perceptron_separates_linearly_separable_data() -> None:
    X, y = make_linearly_separable(100, margin=0.05, seed=3)
    perceptron = Perceptron(2)
    mistakes = perceptron.fit(X, y, epochs=100)
    assert mistakes[-1] == 0 and mistakes[0] > 0
    assert [perceptron.predict(x) for x in X] == y
    assert perceptron(X[0]).op == "dot"


def test_perceptron_rule_by_hand() -> None:
    perceptron = Perceptron(2)
    assert perceptron.fit([[1.0, 2.0]], [0], epochs=1, lr=0.5) == [1]  # H(0) = 1 is a mistake on label 0
    assert [w.data for w in perceptron.w] == [-0.5, -1.0] and perceptron.b.data == -0.5


def test_perceptron_cannot_learn_xor() -> None:
    X, y = make_xor(40, noise=0.05, seed=0)
    assert min(Perceptron(2).fit(X, y, epochs=50, seed=0)) > 0


# -- save and load ------------------------------------------------------------------------


def test_save_load_round_trip_is_exact(tmp_path: Path) -> None:
    model = MLP(2, [4, 2], activation="tanh", seed=0)
    for p in model.parameters():
        p.data += 1e-17 + 1 / 3  # awkward binary fractions
    path = tmp_path / "model.json"
    model.save(path)
    other = MLP(2, [4, 2], activation="tanh", seed=99)
    other.load(path)
    assert other.state_dict() == model.state_dict()
    document = json.loads(path.read_text())
    assert document["architecture"]["type"] == "MLP" and document["format"] == "micrograd_plus.state"


def snapshot(model: Module) -> dict[str, float]:
    return dict(model.state_dict())


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("not json {", r"is not a JSON state file"),
        ('["a list"]', r"is not a micrograd_plus state file"),
        ('{"format": "micrograd_plus.state", "version": 9}', r"format version 9"),
    ],
)
def test_load_rejects_bad_files_and_leaves_the_model_unchanged(tmp_path: Path, content: str, pattern: str) -> None:
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=pattern):
        model.load(path)
    assert snapshot(model) == before


def test_load_rejects_binary_and_missing_files(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match="not a text file"):
        model.load(tmp_path / "binary")
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "missing.json")


def test_load_rejects_another_architecture(tmp_path: Path) -> None:
    path = tmp_path / "small.json"
    MLP(2, [3, 1], seed=0).save(path)
    model = MLP(2, [4, 1], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"holds a \{'type': 'MLP', 'n_in': 2, 'sizes': \[3, 1\]"):
        model.load(path)
    assert snapshot(model) == before


def edit_parameters(path: Path, change: str) -> None:
    document = json.loads(path.read_text())
    names = list(document["parameters"])
    if change == "missing":
        del document["parameters"][names[0]]
    elif change == "extra":
        document["parameters"]["layers.9.neurons.0.b"] = 1.0
    elif change == "not a number":
        document["parameters"][names[-1]] = "0.5"
    elif change == "mis-shaped":
        document["parameters"][names[-1]] = [0.5, 0.5]
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ("missing", r"missing \['layers\.0\.neurons\.0\.w\.0'\]"),
        ("extra", r"unexpected \['layers\.9\.neurons\.0\.b'\]"),
        ("not a number", r"'layers\.1\.neurons\.0\.b' must be a finite number, got '0\.5'"),
        ("mis-shaped", r"must be a finite number, got \[0\.5, 0\.5\]"),
    ],
)
def test_load_rejects_bad_entries_atomically(tmp_path: Path, change: str, pattern: str) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=1).save(path)
    edit_parameters(path, change)
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=pattern):
        model.load(path)
    assert snapshot(model) == before  # every entry is checked before any is set


def test_load_state_dict_checks_everything_first() -> None:
    model = MLP(1, [1], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match="finite number, got nan"):
        model.load_state_dict({"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": math.nan})
    assert snapshot(model) == before
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([1.0, 2.0])  # type: ignore[arg-type]


def test_failed_save_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    old = path.read_text()

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_text() == old
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: MLP(2, [3, 1])([1.0, 2.0, 3.0]), ValueError, r"^MLP expects 2 inputs, got 3$"),
        (lambda: Layer(3, 2)([1.0]), ValueError, r"^Layer expects 3 inputs, got 1$"),
        (lambda: Neuron(2)([1.0]), ValueError, r"^Neuron expects 2 inputs, got 1$"),
        (lambda: Neuron(2)(1.0), TypeError, r"Neuron expects a list of 2 inputs, got float"),
        (lambda: RNN(2, 3, 1)([[1.0]]), ValueError, r"^RNNCell expects 2 inputs, got 1$"),
        (lambda: RNN(1, 3, 1)([[1.0]], h0=[0.0]), ValueError, r"hidden state expects 3 inputs, got 1"),
        (lambda: RNN(1, 3, 1)([]), ValueError, r"non-empty sequence of input vectors"),
        (lambda: RNN(1, 3, 1)([[1.0]], truncate=0), ValueError, r"truncate must be a whole number >= 1, got 0"),
        (lambda: Neuron(2, activation="softmax"), ValueError, r"unknown activation 'softmax'; choose one of 'relu'"),
        (lambda: MLP(2, [3], output_activation="step"), ValueError, r"unknown activation 'step'.*'linear'"),
        (lambda: MLP(2, []), ValueError, r"non-empty list of layer widths"),
        (lambda: MLP(0, [1]), ValueError, r"n_in must be a whole number >= 1, got 0"),
        (lambda: Layer(2, 0), ValueError, r"n_out must be a whole number >= 1, got 0"),
        (lambda: Dropout(1.0), ValueError, r"p must be a finite number >= 0 and < 1, got 1\.0"),
        (lambda: Dropout(-0.1), ValueError, r"got -0\.1"),
        (lambda: Neuron(2, seed="x"), TypeError, r"seed must be a whole number, a random\.Random or None, got str"),
        (lambda: Perceptron(2).fit([[1.0, 2.0]], [2]), ValueError, r"labels must be 0 or 1, got int 2"),
        (lambda: Perceptron(2).fit([[1.0, 2.0]], [1], lr=0), ValueError, r"learning rate must be a finite number > 0"),
        (lambda: Perceptron(2).fit([[1.0]], [1]), ValueError, r"Perceptron expects 2 inputs, got 1"),
        (lambda: Perceptron(2).fit([], []), ValueError, r"at least one"),
    ],
)
def test_bad_input(call: object, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()  # type: ignore[operator]


def test_dot_nodes_of_modules_are_replayable() -> None:
    from micrograd_plus import check_local_grads

    model = RNN(1, 2, 1, seed=0)
    out = model([[0.5], [0.2], [-0.1]]).outputs[-1][0]
    assert check_local_grads(F.sum([out, out * out])).ok


def test_named_modules_walks_the_tree() -> None:
    paths = [(path, type(m).__name__) for path, m in MLP(2, [3, 1], seed=0).named_modules()]
    assert paths[:3] == [("layers.0", "Layer"), ("layers.0.neurons.0", "Neuron"), ("layers.0.neurons.1", "Neuron")]
    assert ("layers.1.neurons.0", "Neuron") in paths and ("dropout", "Dropout") in paths
    assert [p for p, _ in RNN(1, 2, 1).named_modules()] == ["cell"]


def test_dropout_takes_a_numpy_probability() -> None:
    numpy = pytest.importorskip("numpy")
    assert Dropout(numpy.float32(0.25)).p == 0.25
