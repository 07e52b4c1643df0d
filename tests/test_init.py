"""Named weight initialisation: the formulas, the default kept as it was, and every module accepting ``init=``."""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import pytest

from micrograd_plus.nn import MLP, RNN, Conv1d, Conv2d, Layer, Neuron
from micrograd_plus.nn.init import INITS, check_init, draw_weights, init_scale


def weights(module: Any) -> list[float]:
    return [p.data for name, p in module.named_parameters() if "bias" not in name and not name.endswith(".b")]


def test_the_default_is_the_documented_he_or_lecun_uniform_draw() -> None:
    rng = random.Random(42)
    expected = [rng.uniform(-math.sqrt(6 / 3), math.sqrt(6 / 3)) for _ in range(3 * 4)]
    expected += [rng.uniform(-math.sqrt(3 / 4), math.sqrt(3 / 4)) for _ in range(4 * 2)]
    model = MLP(3, [4, 2], activation="relu", output_activation="tanh", seed=42)
    assert weights(model) == expected  # exactly: seeded results do not change
    assert weights(MLP(3, [4, 2], output_activation="tanh", seed=42, init="auto")) == expected


def test_rnn_default_is_unchanged() -> None:
    rng = random.Random(7)
    bound = 1 / math.sqrt(3)
    expected = [rng.uniform(-bound, bound) for _ in range(3 * 2 + 3 * 3 + 1 * 3)]
    rnn = RNN(2, 3, 1, seed=7)
    assert [p.data for p in rnn.cell.w_xh[0] + rnn.cell.w_xh[1] + rnn.cell.w_xh[2]] == expected[:6]
    assert [p.data for row in rnn.w_hy for p in row] == expected[-3:]


@pytest.mark.parametrize(
    ("init", "variance"),
    [
        ("he_uniform", 2 / 100),
        ("he_normal", 2 / 100),
        ("xavier_uniform", 2 / (100 + 60)),
        ("xavier_normal", 2 / (100 + 60)),
        ("lecun_uniform", 1 / 100),
        ("lecun_normal", 1 / 100),
    ],
)
def test_each_scheme_has_its_variance(init: str, variance: float) -> None:
    drawn = weights(Layer(100, 60, activation="tanh", seed=1, init=init))  # 6,000 weights
    assert statistics.fmean(drawn) == pytest.approx(0.0, abs=4 * math.sqrt(variance / 6000))
    assert statistics.pvariance(drawn) == pytest.approx(variance, rel=0.06)
    shape, scale = init_scale(init, 100, 60)
    if shape == "uniform":
        assert max(map(abs, drawn)) <= scale == pytest.approx(math.sqrt(3 * variance))
    else:
        assert scale == pytest.approx(math.sqrt(variance)) and max(map(abs, drawn)) > math.sqrt(3 * variance)


def test_short_names_are_the_uniform_forms() -> None:
    for short in ("he", "xavier", "lecun"):
        assert weights(MLP(4, [5, 3], seed=2, init=short)) == weights(MLP(4, [5, 3], seed=2, init=f"{short}_uniform"))
    assert init_scale("he", 6) == ("uniform", 1.0)
    assert init_scale("lecun_normal", 4) == ("normal", 0.5)
    assert init_scale("xavier_normal", 3, 5) == ("normal", 0.5)


def test_convolutions_use_channels_times_kernel_area_as_fan_in() -> None:
    conv = Conv2d(3, 4, kernel_size=(2, 3), init="he_uniform", seed=0)  # fan_in 18, fan_out 24
    drawn = [w.data for o in conv.weight for c in o for row in c for w in row]
    assert max(map(abs, drawn)) <= math.sqrt(6 / 18) and max(map(abs, drawn)) > 0.9 * math.sqrt(6 / 18)
    xavier = Conv1d(2, 5, kernel_size=4, init="xavier_uniform", seed=0)  # fan_in 8, fan_out 20
    rng = random.Random(0)
    expected = [rng.uniform(-math.sqrt(6 / 28), math.sqrt(6 / 28)) for _ in range(5 * 8)]
    assert [w.data for o in xavier.weight for c in o for w in c] == expected
    assert all(b.data == 0.0 for b in conv.bias + xavier.bias)


def test_neuron_and_rnn_accept_a_scheme() -> None:
    rng = random.Random(3)
    assert [w.data for w in Neuron(4, seed=3, init="lecun_normal").w] == [rng.gauss(0.0, 0.5) for _ in range(4)]
    neuron = Neuron(10, activation="tanh", seed=3, init="xavier_uniform", fan_out=40)
    assert max(abs(w.data) for w in neuron.w) <= math.sqrt(6 / 50)
    rnn = RNN(2, 4, 1, seed=0, init="he_normal")
    assert weights(rnn) != weights(RNN(2, 4, 1, seed=0))
    rng = random.Random(0)
    assert [p.data for p in rnn.cell.w_xh[0]] == [rng.gauss(0.0, math.sqrt(2 / 6)) for _ in range(2)]


def test_draw_weights_is_seeded_and_counts() -> None:
    first = draw_weights(random.Random(9), 5, "he_normal", fan_in=3)
    assert first == draw_weights(random.Random(9), 5, "he_normal", fan_in=3) and len(first) == 5


@pytest.mark.parametrize(
    "make",
    [
        lambda: Neuron(2, init="glorot"),
        lambda: Layer(2, 2, init="he-normal"),
        lambda: MLP(2, [2], init="HE"),
        lambda: RNN(1, 2, 1, init="orthogonal"),
        lambda: Conv2d(1, 1, 1, init=""),
        lambda: check_init(None),
    ],
)
def test_unknown_init_lists_the_choices(make: Any) -> None:
    with pytest.raises(ValueError, match=r"unknown init .*; choose one of 'auto', 'he', 'he_uniform'"):
        make()
    assert len(INITS) == 10
