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
        (lambda: optim.SGD([Value(1.0)], lr=0), ValueError, r"learning rate must be a finite number > 0, got 0"),
        (lambda: optim.SGD([Value(1.0)], lr=-0.1), ValueError, r"got -0\.1"),
        (lambda: optim.Adam([Value(1.0)], lr="fast"), ValueError, r"got str 'fast'"),
        (lambda: optim.SGD([], lr=0.1), ValueError, r"no parameters; pass model\.parameters\(\)"),
        (lambda: optim.SGD([1.0], lr=0.1), TypeError, r"parameter 0 must be a Value, got float 1\.0"),
        (lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError, r"momentum must be a finite number >= 0"),
        (lambda: optim.SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, r"nesterov=True needs a momentum > 0"),
        (
            lambda: optim.Adam([Value(1.0)], betas=(0.9, 1.0)),
            ValueError,
            r"beta2 must be a finite number >= 0 and < 1, got 1\.0",
        ),
        (lambda: optim.Adam([Value(1.0)], betas=(0.9,)), ValueError, r"betas must be a pair"),
        (lambda: optim.Adam([Value(1.0)], weight_decay=-1), ValueError, r"weight_decay must be a finite number >= 0"),
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


# -- every update is checked before anything is written -----------------------------------


def two_params(grads: tuple[float, float], data: tuple[float, float] = (1.0, 1.0)) -> list[Value]:
    ps = [Value(data[0], label="a"), Value(data[1], label="b")]
    for p, g in zip(ps, grads):
        p.grad = g
    return ps


@pytest.mark.parametrize(
    ("make", "grads", "data", "error", "pattern"),
    [
        (
            lambda ps: optim.SGD(ps, lr=1e300),
            (1.0, 1e10),
            (1.0, 1.0),
            OverflowError,
            r"lower the learning rate lr = 1e\+300",
        ),
        (lambda ps: optim.SGD(ps, lr=1e300, momentum=0.9), (1.0, 1e10), (1.0, 1.0), OverflowError, r"lr = 1e\+300"),
        (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=1e300), (0.0, 0.0), (0.0, 1e10), OverflowError, r"weight_decay"),
        (lambda ps: optim.Adam(ps, lr=0.1), (1.0, 1e200), (1.0, 1.0), OverflowError, r"second moment.*scale the loss"),
        (lambda ps: optim.Adam(ps, lr=1e307), (1.0, 1.0), (0.0, -1.79e308), OverflowError, r"lr = 1e\+307"),
        (lambda ps: optim.Adam(ps, lr=0.1, eps=0.0), (1.0, 0.0), (1.0, 1.0), ValueError, r"eps = 0 divides.*eps > 0"),
        (
            lambda ps: optim.Adam(ps, lr=0.1, weight_decay=1e300),
            (1.0, 0.0),
            (0.0, 1e10),
            OverflowError,
            r"weight_decay",
        ),
    ],
)
def test_a_non_finite_update_raises_and_changes_nothing(
    make: object, grads: tuple[float, float], data: tuple[float, float], error: type[Exception], pattern: str
) -> None:
    ps = two_params(grads, data)
    opt = make(ps)  # type: ignore[operator]
    state_before = {k: list(v) for k, v in vars(opt).items() if isinstance(v, list) and k not in ("params", "names")}
    with pytest.raises(error, match=pattern) as caught:
        opt.step()
    message = str(caught.value)
    assert "parameter 1 ('b')" in message and "No parameter was changed" in message
    assert [p.data for p in ps] == list(data)  # parameter 0 would have been fine: it is not written either
    assert opt.steps == 0
    assert {k: v for k, v in vars(opt).items() if k in state_before} == state_before


def test_a_momentum_buffer_that_overflows_blames_momentum() -> None:
    ps = two_params((1.0, 1e300))
    opt = optim.SGD(ps, lr=1e-300, momentum=1e10)
    opt.step()  # the first buffer is the gradient itself
    values = [p.data for p in ps]
    with pytest.raises(OverflowError, match=r"parameter 1 \('b'\) its momentum buffer inf.*lower momentum = 1e\+10"):
        opt.step()
    assert [p.data for p in ps] == values and opt.buffers == [1.0, 1e300]


def test_state_is_kept_when_a_later_step_fails() -> None:
    ps = two_params((1.0, 1.0))
    opt = optim.SGD(ps, lr=1.0, momentum=0.5)
    opt.step()
    buffers, values = list(opt.buffers), [p.data for p in ps]
    ps[1].grad = 1e308
    opt.lr = 1e10
    with pytest.raises(OverflowError, match="parameter 1"):
        opt.step()
    assert opt.buffers == buffers and [p.data for p in ps] == values and opt.steps == 1


def test_messages_use_the_names_from_named_parameters() -> None:
    from micrograd_plus.nn import MLP

    model = MLP(1, [1], seed=0)
    opt = optim.SGD(model.named_parameters(), lr=1e308)
    model.zero_grad()
    for p in model.parameters():
        p.grad = 1e10
    with pytest.raises(OverflowError, match=r"layers\.0\.neurons\.0\.w\.0 the value -?inf"):
        opt.step()
    opt.lr = 0.5
    opt.step()
    assert opt.steps == 1


def test_a_gradient_that_is_a_value_is_refused() -> None:
    w = Value(2.0)
    opt = optim.SGD([w], lr=0.1)
    (w * w * w).backward(create_graph=True)
    assert isinstance(w.grad, Value)
    with pytest.raises(TypeError, match=r"gradient of parameter 0 is a Value.*backward\(\) without create_graph"):
        opt.step()
    assert w.data == 2.0 and type(w.data) is float
    w.grad = w.grad.data  # what the message suggests
    opt.step()
    assert w.data == pytest.approx(2.0 - 0.1 * 12.0)


@pytest.mark.parametrize(("grad", "error"), [(math.nan, ValueError), (-math.inf, ValueError), ("1", TypeError)])
def test_bad_gradients_name_the_parameter(grad: object, error: type[Exception]) -> None:
    ps = two_params((0.5, 0.5))
    ps[1].grad = grad  # type: ignore[assignment]
    opt = optim.Adam(ps)
    with pytest.raises(error, match=r"parameter 1 \('b'\)"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 1.0] and opt.m == [0.0, 0.0]


def test_a_parameter_listed_twice_is_refused() -> None:
    w = Value(1.0)
    with pytest.raises(ValueError, match=r"^parameter 2 .*parameter 0.*tied weights once"):
        optim.SGD([w, Value(0.0), w], lr=0.1)


def test_tied_weights_step_once() -> None:
    from micrograd_plus.nn import Module

    class Tied(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)
            self.pair = [self.w, Value(2.0)]

    model = Tied()
    opt = optim.SGD(model.parameters(), lr=0.1)
    (model.w * 3.0).backward()
    opt.step()
    assert model.w.data == pytest.approx(1.0 - 0.1 * 3.0)


def test_numpy_scalars_are_accepted_as_settings() -> None:
    np = pytest.importorskip("numpy")
    w = Value(1.0)
    opt = optim.Adam([w], lr=np.float32(0.5), betas=(np.float64(0.9), np.float32(0.99)), eps=np.float64(1e-8))
    w.grad = 1.0
    opt.step()
    assert opt.lr == float(np.float32(0.5)) and w.data == pytest.approx(0.5)
    sgd = optim.SGD([w], lr=np.float64(0.1), momentum=np.int64(0))
    assert sgd.momentum == 0.0
