"""BatchNorm1d and LayerNorm: hand-computed numbers, backprop through the batch statistics, buffers, bad input."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from micrograd_plus import Value, gradcheck, gradcheck_module
from micrograd_plus import functional as F
from micrograd_plus.nn import BatchNorm1d, Layer, LayerNorm, Module


def batch_of(rows: list[list[float]]) -> list[list[Value]]:
    return [[Value(v) for v in row] for row in rows]


def test_batch_norm_training_by_hand() -> None:
    bn = BatchNorm1d(1, eps=0.0 + 1e-12)
    bn.weight[0].data, bn.bias[0].data = 2.0, 0.5
    out = bn([[1.0], [2.0], [6.0]])  # μ = 3, biased σ² = (4 + 1 + 9) / 3 = 14/3
    sigma = math.sqrt(14 / 3 + 1e-12)
    assert [sample[0].data for sample in out] == pytest.approx([2 * d / sigma + 0.5 for d in (-2, -1, 3)], rel=1e-14)
    assert bn.running_mean == pytest.approx([0.3])
    assert bn.running_var == pytest.approx([0.9 + 0.1 * 7.0])  # unbiased σ² = 14 / 2 = 7


def test_backprop_through_the_batch_statistics_matches_the_closed_form() -> None:
    rng = random.Random(0)
    xs = [rng.uniform(-2, 2) for _ in range(5)]
    upstream = [rng.uniform(-1, 1) for _ in range(5)]
    bn = BatchNorm1d(1)
    batch = batch_of([[x] for x in xs])
    F.dot(upstream, [sample[0] for sample in bn(batch)]).backward()
    n, mean = len(xs), sum(xs) / len(xs)
    sigma = math.sqrt(sum((x - mean) ** 2 for x in xs) / n + bn.eps)
    x_hat = [(x - mean) / sigma for x in xs]
    g_sum, gx_sum = sum(upstream), sum(g * h for g, h in zip(upstream, x_hat))
    expected = [(n * g - g_sum - h * gx_sum) / (n * sigma) for g, h in zip(upstream, x_hat)]
    assert [sample[0].grad for sample in batch] == pytest.approx(expected, rel=1e-10)
    assert bn.weight[0].grad == pytest.approx(gx_sum, rel=1e-12) and bn.bias[0].grad == pytest.approx(g_sum)


def test_each_sample_gradient_depends_on_the_others() -> None:
    batch = batch_of([[1.0, 0.0], [2.0, 1.0], [4.0, 5.0]])
    BatchNorm1d(2)(batch)[0][0].backward()  # only sample 0's feature 0
    assert batch[1][0].grad != 0.0 and batch[2][0].grad != 0.0  # through μ and σ² of the batch
    assert batch[1][1].grad == 0.0  # features are normalised independently


def test_running_statistics_follow_pytorchs_rule_over_several_steps() -> None:
    rng = random.Random(3)
    bn = BatchNorm1d(2, momentum=0.25)
    mean, var = [0.0, 0.0], [1.0, 1.0]
    for _ in range(4):
        rows = [[rng.gauss(1.0, 2.0), rng.gauss(-3.0, 0.5)] for _ in range(rng.randint(2, 6))]
        bn(rows)
        for j in range(2):
            column = [row[j] for row in rows]
            mu = sum(column) / len(column)
            unbiased = sum((x - mu) ** 2 for x in column) / (len(column) - 1)
            mean[j] = 0.75 * mean[j] + 0.25 * mu
            var[j] = 0.75 * var[j] + 0.25 * unbiased
    assert bn.running_mean == pytest.approx(mean, rel=1e-12) and bn.running_var == pytest.approx(var, rel=1e-12)


def test_eval_mode_uses_running_statistics_and_takes_one_sample() -> None:
    bn = BatchNorm1d(2)
    bn.running_mean, bn.running_var = [1.0, -1.0], [4.0, 0.25]
    bn.weight[1].data = 3.0
    bn.eval()
    out = bn([[3.0, 0.0]])
    assert [v.data for v in out[0]] == pytest.approx([2 / math.sqrt(4 + 1e-5), 3 * 1 / math.sqrt(0.25 + 1e-5)])
    assert bn.running_mean == [1.0, -1.0]  # eval never updates them
    x = Value(3.0)
    bn([[x, 0.0], [0.0, 0.0]])[0][0].backward()
    assert x.grad == pytest.approx(1 / math.sqrt(4 + 1e-5))  # samples independent in eval mode


def test_layer_norm_by_hand_and_its_gradient() -> None:
    ln = LayerNorm(4)
    ln.weight[2].data, ln.bias[0].data = -1.0, 0.25
    x = [1.0, 2.0, 3.0, 6.0]  # μ = 3, σ² = (4 + 1 + 0 + 9) / 4 = 3.5
    sigma = math.sqrt(3.5 + 1e-5)
    assert [v.data for v in ln(x)] == pytest.approx([-2 / sigma + 0.25, -1 / sigma, 0.0, 3 / sigma], rel=1e-14)
    assert gradcheck(lambda *xs: F.dot([0.3, -1.0, 0.7, 2.0], ln(list(xs))), x).ok


def test_gradcheck_of_both_modules_parameters() -> None:
    rng = random.Random(1)
    rows = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(4)]
    direction = [rng.uniform(-1, 1) for _ in range(12)]
    bn, ln = BatchNorm1d(3), LayerNorm(3)
    for p in bn.parameters() + ln.parameters():
        p.data += rng.uniform(-0.5, 0.5)
    assert gradcheck_module(bn, lambda m: F.dot(direction, [v for s in m(rows) for v in s])).ok
    assert gradcheck_module(ln, lambda m: F.dot(direction, [v for r in rows for v in m(r)])).ok

    def through_inputs(*xs: Value) -> Value:
        outputs = [v for sample in bn([list(xs[i : i + 3]) for i in (0, 3, 6)]) for v in sample]
        return F.dot(direction[:9], outputs)

    assert gradcheck(through_inputs, [v for row in rows[:3] for v in row]).ok


class Net(Module):
    def __init__(self) -> None:
        self.layer = Layer(2, 3, seed=0)
        self.norm = BatchNorm1d(3)

    def __call__(self, batch: list[list[float]]) -> Any:
        return self.norm([self.layer(x) for x in batch])


def test_running_statistics_are_buffers_saved_and_loaded(tmp_path: Any) -> None:
    net = Net()
    net([[1.0, 2.0], [-1.0, 0.5], [0.3, -2.0]])
    names = dict(net.named_buffers())
    assert list(names) == [f"norm.running_{stat}.{j}" for stat in ("mean", "var") for j in range(3)]
    assert all(not name.startswith("norm.running") for name, _ in net.named_parameters())
    assert net.state_dict()["norm.running_var.1"] == net.norm.running_var[1] != 1.0
    path = tmp_path / "net.json"
    net.save(path)
    fresh = Net()
    fresh.load(path)
    assert fresh.norm.running_mean == net.norm.running_mean and fresh.norm.running_var == net.norm.running_var
    state = net.state_dict()
    del state["norm.running_mean.0"]
    with pytest.raises(ValueError, match=r"missing \['norm.running_mean.0'\]"):
        fresh.load_state_dict(state)


def test_bad_input_names_the_shapes() -> None:
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training, got a batch of 1"):
        BatchNorm1d(3)([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="expects 3 features per sample, got 2 in sample 1"):
        BatchNorm1d(3)([[1.0, 2.0, 3.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="expects 2 features per sample, got 3"):
        LayerNorm(2)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="non-empty batch"):
        BatchNorm1d(3)([])
    with pytest.raises(TypeError, match="sample 0 as a list of 2 numbers"):
        BatchNorm1d(2)([1.0, 2.0])
    with pytest.raises(ValueError, match=r"momentum must be a finite number >= 0 and <= 1, got 1\.5"):
        BatchNorm1d(2, momentum=1.5)
    with pytest.raises(ValueError, match=r"eps must be a finite number > 0, got 0\.0"):
        LayerNorm(2, eps=0.0)
    with pytest.raises(ValueError, match="num_features must be a whole number >= 1"):
        BatchNorm1d(0)
