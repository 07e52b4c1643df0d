"""Losses against hand-computed values (PyTorch's definitions), their gradients, stability, errors."""

from __future__ import annotations

import math

import pytest

from micrograd_plus import Value, gradcheck, losses


def test_mse() -> None:
    preds = [Value(1.0), Value(3.0)]
    loss = losses.mse(preds, [0.0, 1.0])  # ((1-0)² + (3-1)²) / 2
    loss.backward()
    assert loss.data == 2.5
    assert [p.grad for p in preds] == [1.0, 2.0]  # 2(p - t) / n
    assert losses.mse(preds, [0.0, 1.0], reduction="sum").data == 5.0
    assert losses.mse(Value(2.0), 0.5).data == 2.25


def test_binary_cross_entropy() -> None:
    p = [Value(0.8), Value(0.3)]
    loss = losses.binary_cross_entropy(p, [1.0, 0.0])
    assert loss.data == pytest.approx((-math.log(0.8) - math.log(0.7)) / 2)
    loss.backward()
    assert p[0].grad == pytest.approx(-1 / 0.8 / 2)  # d/dp -log p = -1/p, halved by the mean
    assert p[1].grad == pytest.approx(1 / 0.7 / 2)
    soft = losses.binary_cross_entropy(Value(0.25), 0.5)  # soft targets are allowed
    assert soft.data == pytest.approx(-(0.5 * math.log(0.25) + 0.5 * math.log(0.75)))


def test_binary_cross_entropy_clamps_log_at_minus_100() -> None:
    assert losses.binary_cross_entropy([Value(0.0)], [1.0]).data == 100.0
    assert losses.binary_cross_entropy([Value(1.0)], [1.0]).data == 0.0
    assert losses.binary_cross_entropy([Value(1.0)], [0.0]).data == 100.0


def test_binary_cross_entropy_with_logits() -> None:
    z = Value(2.0)
    loss = losses.binary_cross_entropy_with_logits(z, 1.0)
    assert loss.data == pytest.approx(math.log1p(math.exp(-2.0)))
    loss.backward()
    assert z.grad == pytest.approx(1 / (1 + math.exp(-2.0)) - 1.0)  # σ(z) - t


@pytest.mark.parametrize(
    ("logit", "target", "expected"),
    [(1000.0, 1.0, 0.0), (1000.0, 0.0, 1000.0), (-1000.0, 1.0, 1000.0), (-1000.0, 0.0, 0.0)],
)
def test_binary_cross_entropy_with_logits_is_stable(logit: float, target: float, expected: float) -> None:
    z = Value(logit)
    loss = losses.binary_cross_entropy_with_logits([z], [target])
    loss.backward()
    assert loss.data == pytest.approx(expected, abs=1e-12)
    assert z.grad == pytest.approx((1.0 if logit > 0 else 0.0) - target)


@pytest.mark.parametrize("target", [0.0, 0.3, 1.0])
def test_binary_cross_entropy_with_logits_is_smooth_at_zero(target: float) -> None:
    z = Value(0.0)
    losses.binary_cross_entropy_with_logits(z, target).backward()
    assert z.grad == pytest.approx(0.5 - target)
    assert gradcheck(lambda v: losses.binary_cross_entropy_with_logits(v, target), [0.0]).ok


def test_cross_entropy() -> None:
    logits = [Value(2.0), Value(0.0), Value(-1.0)]
    loss = losses.cross_entropy(logits, 0)
    total = math.exp(2.0) + 1.0 + math.exp(-1.0)
    assert loss.data == pytest.approx(-math.log(math.exp(2.0) / total))
    loss.backward()
    softmax = [math.exp(v) / total for v in (2.0, 0.0, -1.0)]
    assert [z.grad for z in logits] == pytest.approx([softmax[0] - 1.0, softmax[1], softmax[2]])


def test_cross_entropy_batch_and_stability() -> None:
    batch = [[1000.0, -1000.0], [0.0, 0.0]]
    loss = losses.cross_entropy(batch, [1, 0])
    assert loss.data == pytest.approx((2000.0 + math.log(2.0)) / 2)
    assert losses.cross_entropy(batch, [1, 0], reduction="sum").data == pytest.approx(2000.0 + math.log(2.0))


def test_hinge() -> None:
    scores = [Value(0.5), Value(-2.0), Value(3.0)]
    loss = losses.hinge(scores, [1, -1, -1])  # max(0, 1 - y s) = 0.5, 0, 4
    assert loss.data == pytest.approx(1.5)
    loss.backward()
    assert [s.grad for s in scores] == pytest.approx([-1 / 3, 0.0, 1 / 3])


def test_l2_is_one_node() -> None:
    params = [Value(1.0), Value(-2.0), Value(0.5)]
    reg = losses.l2(params)
    reg.backward()
    assert reg.data == 5.25 and reg.op == "dot"
    assert [p.grad for p in params] == [2.0, -4.0, 1.0]


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: losses.mse([1.0, 2.0], [1.0]), ValueError, r"as many targets as predictions.*got 2 and 1"),
        (lambda: losses.mse([], []), ValueError, r"at least one"),
        (lambda: losses.mse([1.0], ["a"]), TypeError, r"targets must be finite numbers, got str"),
        (lambda: losses.mse([1.0], [1.0], reduction="none"), ValueError, r"unknown reduction 'none'"),
        (lambda: losses.binary_cross_entropy([1.5], [1.0]), ValueError, r"probabilities in \[0, 1\], got 1\.5"),
        (lambda: losses.binary_cross_entropy([0.5], [2.0]), ValueError, r"targets must be in \[0, 1\], got 2\.0"),
        (lambda: losses.binary_cross_entropy_with_logits([0.5], [-1]), ValueError, r"got -1\.0"),
        (lambda: losses.cross_entropy([1.0, 2.0], 2), ValueError, r"class index .*in 0\.\.1, got int 2"),
        (lambda: losses.cross_entropy([1.0, 2.0], 1.0), TypeError, r"target_index must be a number or a list"),
        (lambda: losses.cross_entropy([[1.0, 2.0]], [1.0]), ValueError, r"class index .*got float 1\.0"),
        (lambda: losses.cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, r"one target per sample.*got 1 logit lists"),
        (lambda: losses.cross_entropy([1.0, 2.0], [0, 1]), TypeError, r"logits must be a list of numbers, got float"),
        (lambda: losses.cross_entropy(["ab", "cd"], [0, 1]), TypeError, r"logits must be a list of numbers, got str"),
        (lambda: losses.mse(1.0, "ab"), TypeError, r"mse targets must be a number or a list of them, got str"),
        (lambda: losses.mse({"a": 1.0}, [1.0]), TypeError, r"predictions must be a number or a list.*got dict"),
        (lambda: losses.mse(object(), [1.0]), TypeError, r"predictions must be a number or a list.*got object"),
        (lambda: losses.hinge([0.5], [0]), ValueError, r"labels must be -1 or \+1, got 0\.0; .*2\*y - 1"),
        (lambda: losses.l2([]), ValueError, r"at least one parameter"),
    ],
)
def test_bad_input(call: object, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()  # type: ignore[operator]


# -- where PyTorch's clamps are active: its values and its gradients -----------------------

GRAD_FLOOR = 9.999999960041972e-13  # PyTorch's EPSILON = 1e-12, stored as a float32


@pytest.mark.parametrize(
    ("p", "t", "value", "grad"),
    [
        # (p - t) / max(p(1 - p), 1e-12) with torch's float32 1e-12; both logs clamped at -100
        (0.0, 1.0, 100.0, -1.0 / GRAD_FLOOR),
        (1e-20, 1.0, -math.log(1e-20), (1e-20 - 1.0) / GRAD_FLOOR),
        (1e-50, 1.0, 100.0, (1e-50 - 1.0) / GRAD_FLOOR),  # log(1e-50) = -115 is clamped
        (1e-50, 0.0, 1e-50, 1e-50 / GRAD_FLOOR),  # -log1p(-p) = p
        (1.0, 0.0, 100.0, 1.0 / GRAD_FLOOR),
        (1.0 - 1e-13, 0.0, -math.log1p(-(1.0 - 1e-13)), (1.0 - 1e-13) / GRAD_FLOOR),
        (0.0, 0.0, 0.0, 0.0),
        (1.0, 1.0, 0.0, 0.0),
        (0.0, 0.5, 50.0, -0.5 / GRAD_FLOOR),
        (1e-11, 1.0, -math.log(1e-11), -1.0 / 1e-11),  # p(1 - p) > 1e-12: no clamp, -1/p
    ],
)
def test_binary_cross_entropy_at_the_clamps(p: float, t: float, value: float, grad: float) -> None:
    x = Value(p)
    loss = losses.binary_cross_entropy(x, t)
    loss.backward()
    assert loss.data == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert x.grad == pytest.approx(grad, rel=1e-12, abs=1e-300)


def test_a_confidently_wrong_prediction_still_learns() -> None:
    x = Value(0.0)
    losses.binary_cross_entropy([x, Value(0.5)], [1.0, 1.0]).backward()
    assert x.grad == pytest.approx(-0.5e12, rel=1e-8)  # halved by the mean; 0 before, so p = 0 never moved


def test_losses_accept_generators_and_numpy_scalars() -> None:
    assert losses.mse((Value(float(v)) for v in [1.0, 3.0]), iter([0.0, 0.0])).data == 5.0
    assert losses.cross_entropy(([1.0, 2.0] for _ in range(2)), (k for k in [0, 1])).data == pytest.approx(
        losses.cross_entropy([[1.0, 2.0], [1.0, 2.0]], [0, 1]).data
    )
    np = pytest.importorskip("numpy")
    assert losses.cross_entropy([1.0, 2.0, 0.5], np.int64(1)).data == pytest.approx(
        losses.cross_entropy([1.0, 2.0, 0.5], 1).data
    )
    labels = np.array([0, 2])
    batch = losses.cross_entropy([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]], list(labels))
    assert batch.data == pytest.approx(losses.cross_entropy([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]], [0, 2]).data)
    assert losses.mse([np.float32(1.0)], [np.float64(0.5)]).data == 0.25
    assert losses.hinge([0.5], [np.int64(1)]).data == 0.5
