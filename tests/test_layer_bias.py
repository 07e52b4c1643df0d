"""``Neuron`` and ``Layer`` with ``bias=False``: w·x with no bias parameter at all, saved and checked as such."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from micrograd_plus import functional as F
from micrograd_plus import gradcheck_module
from micrograd_plus.nn import Layer, Neuron


@pytest.mark.parametrize("activation", ["relu", "tanh", "linear"])
def test_a_neuron_without_bias_computes_w_dot_x_and_has_only_its_weights(activation: str) -> None:
    neuron = Neuron(3, activation, seed=0, bias=False)
    assert not hasattr(neuron, "b")
    assert [name for name, _ in neuron.named_parameters()] == ["w.0", "w.1", "w.2"]
    x = [1.0, -2.0, 0.5]
    z = sum(w.data * v for w, v in zip(neuron.w, x))
    expected = {"relu": max(z, 0.0), "tanh": math.tanh(z), "linear": z}[activation]
    assert neuron(x).data == pytest.approx(expected, rel=1e-15)
    assert neuron.config() == {"n_in": 3, "activation": activation, "bias": False}
    assert gradcheck_module(neuron, lambda m: m([1.0, -2.0, 0.5])).ok


def test_a_layer_without_bias_matches_the_layer_with_its_biases_at_zero() -> None:
    plain, biased = Layer(3, 4, "tanh", seed=1, bias=False), Layer(3, 4, "tanh", seed=1)
    assert len(plain.parameters()) == 12 and len(biased.parameters()) == 16
    assert [w.data for n in plain.neurons for w in n.w] == [w.data for n in biased.neurons for w in n.w]
    x = [0.3, -0.7, 1.1]
    assert [y.data for y in plain(x)] == [y.data for y in biased(x)]
    for n in biased.neurons:
        n.b.data = 0.5
    assert [y.data for y in plain(x)] != [y.data for y in biased(x)]
    loss = F.sum(plain(x))
    loss.backward()
    for neuron in plain.neurons:
        local = 1.0 - math.tanh(sum(w.data * v for w, v in zip(neuron.w, x))) ** 2
        assert [w.grad for w in neuron.w] == pytest.approx([local * v for v in x], rel=1e-12)
    assert plain.config()["bias"] is False and "bias" not in biased.config()  # old saved states still load


def test_a_layer_without_bias_saves_and_loads_and_refuses_a_state_with_biases(tmp_path: Path) -> None:
    layer, copy = Layer(2, 2, seed=0, bias=False), Layer(2, 2, seed=5, bias=False)
    layer.save(tmp_path / "layer.json")
    copy.load(tmp_path / "layer.json")
    assert copy.state_dict() == layer.state_dict()
    with pytest.raises(ValueError, match="not this"):
        Layer(2, 2, seed=0).load(tmp_path / "layer.json")


@pytest.mark.parametrize("bias", [0, 1, "no", None, 1.0])
def test_bias_must_be_true_or_false(bias: object) -> None:
    for make in (lambda: Neuron(2, bias=bias), lambda: Layer(2, 2, bias=bias)):  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"bias must be True .* or False .*, got"):
            make()
