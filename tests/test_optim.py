"""Optimizers: torch.optim's update rules, step by step by hand; a changeable learning rate; errors."""

from __future__ import annotations

import math

import pytest

from micrograd_plus import Value, optim


def run(opt_factory: object, grads: list[float], start: float = 1.0) -> list[float]:
    """Apply one optimizer step per gradient in ``grads`` to a single parameter; return its values."""
    p = Value(start)
    opt = opt_factory([p])  # type: ignore[operator]
    seen = []
    for g in grads:
        p.grad = g
        opt.step()
        seen.append(p.data)
    return seen


def test_plain_sgd() -> None:
    assert run(lambda ps: optim.SGD(ps, lr=0.1), [2.0, -1.0]) == pytest.approx([0.8, 0.9])


def test_sgd_weight_decay() -> None:
    # g = grad + λp = 2 + 0.5·1 = 2.5
    assert run(lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.5), [2.0]) == pytest.approx([0.75])


def test_sgd_momentum() -> None:
    # b1 = g1 = 2 -> p = 1 - 0.1·2 = 0.8; b2 = 0.9·2 + 1 = 2.8 -> p = 0.8 - 0.28 = 0.52
    assert run(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), [2.0, 1.0]) == pytest.approx([0.8, 0.52])


def test_sgd_nesterov() -> None:
    # b1 = 2, g = 2 + 0.9·2 = 3.8 -> 0.62; b2 = 0.9·2 + 1 = 2.8, g = 1 + 0.9·2.8 = 3.52 -> 0.268
    assert run(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), [2.0, 1.0]) == pytest.approx(
        [0.62, 0.268]
    )


def test_adam_by_hand() -> None:
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    p, m, v, expected = 1.0, 0.0, 0.0, []
    for t, g in enumerate([2.0, -1.0, 0.5], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        expected.append(p)
    assert run(lambda ps: optim.Adam(ps, lr=lr), [2.0, -1.0, 0.5]) == pytest.approx(expected, rel=1e-14)
    # the first Adam step moves every parameter by about lr, whatever the gradient's size
    assert run(lambda ps: optim.Adam(ps, lr=0.01), [1e-3])[0] == pytest.approx(0.99, rel=1e-6)


def test_adam_weight_decay_adds_to_the_gradient() -> None:
    with_decay = run(lambda ps: optim.Adam(ps, lr=0.1, weight_decay=1.0), [1.0, 1.0])
    same_gradient = run(lambda ps: optim.Adam(ps, lr=0.1), [2.0, 1.0 + with_decay[0]])
    assert with_decay == pytest.approx(same_gradient, rel=1e-14)


def test_learning_rate_can_change_between_steps() -> None:
    p = Value(1.0)
    opt = optim.SGD([p], lr=0.1)
    p.grad = 1.0
    opt.step()
    opt.lr = 0.5
    opt.step()
    assert p.data == pytest.approx(1.0 - 0.1 - 0.5)
    opt.zero_grad()
    assert p.grad == 0.0


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: optim.SGD([Value(1.0)], lr=0), ValueError, r"learning rate must be a number > 0\.0, got 0"),
        (lambda: optim.SGD([Value(1.0)], lr=-0.1), ValueError, r"got -0\.1"),
        (lambda: optim.Adam([Value(1.0)], lr="fast"), ValueError, r"got 'fast'"),
        (lambda: optim.SGD([], lr=0.1), ValueError, r"no parameters; pass model\.parameters\(\)"),
        (lambda: optim.SGD([1.0], lr=0.1), TypeError, r"parameters must be Values, got float"),
        (lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError, r"momentum must be a number >= 0"),
        (lambda: optim.SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, r"nesterov=True needs a momentum > 0"),
        (lambda: optim.Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, r"beta2 must be a number >= 0\.0 and < 1"),
        (lambda: optim.Adam([Value(1.0)], betas=(0.9,)), ValueError, r"betas must be a pair"),
        (lambda: optim.Adam([Value(1.0)], weight_decay=-1), ValueError, r"weight_decay must be a number >= 0"),
    ],
)
def test_bad_settings(call: object, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()  # type: ignore[operator]


def test_lr_setter_rejects_bad_values() -> None:
    opt = optim.SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="got 0"):
        opt.lr = 0
    assert opt.lr == 0.1


def test_step_refuses_non_finite_gradients() -> None:
    p = Value(1.0)
    opt = optim.SGD([p], lr=0.1)
    p.grad = math.inf
    with pytest.raises(ValueError, match=r"gradient of .* is inf"):
        opt.step()
    assert p.data == 1.0
