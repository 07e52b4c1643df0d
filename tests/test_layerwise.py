"""The matrix view of backprop: layer-wise formulas equal backward() on random MLPs; the delta rule by hand."""

from __future__ import annotations

import random

import pytest

from micrograd_plus import explain_layers
from micrograd_plus.nn import MLP, Layer, Neuron

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]


@pytest.mark.parametrize("seed", range(12))
def test_layer_formulas_equal_backward_on_random_mlps(seed: int) -> None:
    rng = random.Random(seed)
    n_in, sizes = rng.randint(1, 4), [rng.randint(1, 5) for _ in range(rng.randint(1, 4))]
    loss = rng.choice(["mse", "half_sse", "cross_entropy"])
    output = "linear" if loss == "cross_entropy" else rng.choice(ACTIVATIONS)
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    model = MLP(n_in, sizes, activation=rng.choice(ACTIVATIONS), output_activation=output, seed=seed)
    for p in model.parameters():
        p.data += rng.uniform(-0.3, 0.3)  # biases away from 0, so relu kinks are not hit exactly
    x = [rng.uniform(-2, 2) for _ in range(n_in)]
    target = rng.randrange(sizes[-1]) if loss == "cross_entropy" else [rng.uniform(-1, 1) for _ in range(sizes[-1])]
    report = explain_layers(model, x, target, loss=loss)
    assert report.ok, report.summary()
    assert report.checked == len(model.parameters())
    assert [s.index for s in report.layers] == list(range(1, len(sizes) + 1))
    last = report.layers[-1]
    assert [p.data for p in model(x)] == pytest.approx(last.a, rel=1e-12)  # the matrix forward is the graph's


def test_the_matrices_of_a_small_network_by_hand() -> None:
    model = MLP(2, [2, 1], activation="relu", seed=0)
    (n1, n2), (out,) = model.layers[0].neurons, model.layers[1].neurons
    for p, v in zip([*n1.w, n1.b, *n2.w, n2.b, *out.w, out.b], [1, -1, 0, 2, 1, 0, 3, -2, 0.5]):
        p.data = v
    report = explain_layers(model, [1.0, 2.0], [1.0], loss="half_sse")
    first, second = report.layers
    assert first.z == [-1.0, 4.0] and first.a == [0.0, 4.0] and second.z == [-7.5]
    assert report.output_gradient == [-8.5] and second.delta == [-8.5]  # a − y, linear output
    assert first.delta == [0.0, 17.0]  # (Wᵀ δ) ⊙ relu′(z) = [3·-8.5, -2·-8.5] ⊙ [0, 1]
    assert first.grad_weight == [[0.0, 0.0], [17.0, 34.0]] and second.grad_weight == [[0.0, -34.0]]
    assert report.ok and report.loss_value == pytest.approx(0.5 * 8.5**2)


def test_the_delta_rule_for_one_neuron() -> None:
    neuron = Neuron(1, activation="linear", seed=0)
    neuron.w[0].data, neuron.b.data = 2.0, 0.0
    report = explain_layers(neuron, [3.0], 5.0, loss="half_sse", learning_rate=0.1)
    rule = report.delta_rule
    assert rule is not None and (rule.expected, rule.actual, rule.delta) == (5.0, 6.0, -1.0)  # (y − ŷ)·f′(z)
    assert rule.step_weights == pytest.approx([-0.3]) and rule.step_bias == pytest.approx(-0.1)  # η·δ·x, η·δ
    assert neuron.w[0].grad == 3.0  # ∂(½(y − ŷ)²)/∂w = (ŷ − y)·x, so Δw = −η·∂L/∂w
    assert report.ok and report.checked == 2 + 2
    sigmoid = Neuron(3, activation="sigmoid", seed=4)
    for loss in ("half_sse", "mse"):
        assert explain_layers(sigmoid, [0.5, -1.0, 2.0], 1.0, loss=loss).ok
    assert explain_layers(Layer(2, 3, "tanh", seed=1), [0.5, -1.0], [0.0, 1.0, 0.5]).delta_rule is None


def test_a_wrong_derivative_is_reported() -> None:
    model = MLP(2, [3, 1], activation="relu", seed=3)
    model.layers[0].activation = "sigmoid"  # the formulas now use σ′ of a sigmoid; the graph still uses relu
    report = explain_layers(model, [1.0, -0.5], [0.3])
    assert not report.ok and report.mismatches
    assert "DIFFER from backward()" in report.summary() and report.mismatches[0].name.startswith("∂L/∂W⁽")


def test_renderings() -> None:
    report = explain_layers(MLP(2, [2, 2], seed=0), [0.5, 1.0], 1, loss="cross_entropy")
    text = str(report)
    assert text.startswith("MLP 2 → 2 → 2, loss cross_entropy = ")
    for piece in ["z⁽¹⁾", "W⁽¹⁾ a⁽⁰⁾ + b⁽¹⁾", "(W⁽²⁾ᵀ δ⁽²⁾) ⊙ σ′(z⁽¹⁾)", "δ⁽¹⁾ a⁽⁰⁾ᵀ", "softmax(a⁽²⁾) − onehot(y)"]:
        assert piece in text
    assert report.to_markdown().startswith("**MLP 2 → 2 → 2") and "| δ⁽²⁾ |" in report.to_markdown()
    assert report._repr_html_().startswith("<table><caption>MLP")
    assert "δ (delta rule)" in str(explain_layers(Neuron(2, seed=0), [1.0, 1.0], 0.5, loss="half_sse"))


def test_bad_input() -> None:
    model = MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        explain_layers(model, [1.0, 2.0], [0.0, 1.0], loss="hinge")
    with pytest.raises(ValueError, match=r"mse needs 2 target value\(s\)"):
        explain_layers(model, [1.0, 2.0], [0.0])
    with pytest.raises(ValueError, match="x as a list of 2 numbers"):
        explain_layers(model, [1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"class index in 0\.\.1"):
        explain_layers(model, [1.0, 2.0], 2, loss="cross_entropy")
    with pytest.raises(ValueError, match="linear output layer"):
        explain_layers(MLP(2, [2], output_activation="tanh"), [1.0, 2.0], 0, loss="cross_entropy")
    with pytest.raises(ValueError, match=r"call model\.eval"):
        explain_layers(MLP(2, [3, 1], dropout=0.5, seed=0), [1.0, 2.0], [0.0])
    with pytest.raises(TypeError, match="Neuron, Layer or MLP"):
        explain_layers(object(), [1.0], [0.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0, got 0"):
        explain_layers(Neuron(1), [1.0], 0.0, learning_rate=0)
