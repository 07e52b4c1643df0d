"""gradcheck, gradcheck_module and gradgradcheck at their defaults: no absolute tolerance swamps a derivative,
so a wrong one fails at every magnitude and a right one passes, including derivatives that cancel to 0."""

from __future__ import annotations

import math

import pytest

from micrograd_plus import Value, define_op, gradcheck, gradcheck_module, gradgradcheck
from micrograd_plus import functional as F
from micrograd_plus.check.values import backward_rounding

MAGNITUDES = [1e-12, 1e-9, 1.0, 1e9]
FACTORS = {"sign flipped": -1.0, "factor 2 too large": 2.0}


def tanh_with_derivative_times(x: Value, factor: float) -> Value:
    """tanh whose registered local derivative is ``factor`` times the true one (1: right)."""
    op = define_op("tanh_times", math.tanh, lambda x, out: ((1.0 - out * out) * factor,), replace=True)
    return op(x)  # type: ignore[no-any-return]


def scaled_graph(scale: float, factor: float):  # type: ignore[no-untyped-def]
    """scale·(tanh_times(a·b) + a): every derivative about ``scale``, one path's local derivative × factor."""

    def f(a: Value, b: Value) -> Value:
        return (tanh_with_derivative_times(a * b, factor) * 0.5 + a * 0.25) * scale

    return f


class Scaled:
    """Two parameters and a loss of size ``scale`` through the op of your own."""

    def __init__(self, scale: float, factor: float) -> None:
        self.w, self.b = Value(0.7, "w"), Value(-0.3, "b")
        self.scale, self.factor = scale, factor

    def parameters(self) -> list[Value]:
        return [self.w, self.b]

    def loss(self) -> Value:
        return tanh_with_derivative_times(self.w * 1.5 + self.b, self.factor) * self.scale


@pytest.mark.parametrize("scale", MAGNITUDES)
@pytest.mark.parametrize("bug", list(FACTORS))
def test_a_wrong_value_graph_derivative_fails_at_every_magnitude(scale: float, bug: str) -> None:
    factor = FACTORS[bug]
    report = gradcheck(scaled_graph(scale, factor), [0.4, -1.3])
    assert not report.ok and {r.status for r in report.failures} == {"wrong"}, str(report)
    assert gradcheck(scaled_graph(scale, 1.0), [0.4, -1.3]).ok
    module = gradcheck_module(Scaled(scale, factor), Scaled.loss)
    assert not module.ok and len(module.failures) == 2, str(module)
    assert bug in module.summary(), module.summary()
    assert gradcheck_module(Scaled(scale, 1.0), Scaled.loss).ok
    if scale <= 1e-9:  # what the former default (atol=1e-8, rtol=1e-5) let through
        assert gradcheck(scaled_graph(scale, factor), [0.4, -1.3], atol=1e-8, rtol=1e-5).ok


@pytest.mark.parametrize("scale", MAGNITUDES)
def test_one_entry_off_by_a_tenth_of_a_percent_fails_at_every_magnitude(scale: float) -> None:
    assert not gradcheck(scaled_graph(scale, 1.001), [0.4, -1.3]).ok
    assert not gradcheck_module(Scaled(scale, 1.001), Scaled.loss).ok


@pytest.mark.parametrize("scale", MAGNITUDES)
def test_gradgradcheck_catches_a_wrong_second_derivative_at_every_magnitude(scale: float) -> None:
    assert gradgradcheck(lambda a, b: (a * b).sin() * scale, [0.5, 1.5]).ok
    # x·|x|·s is C¹ at 0 with f'' jumping: its second derivative is checked wherever it exists
    assert gradgradcheck(lambda a: a * a.abs() * scale, [0.75]).ok
    wrong = gradgradcheck(lambda a, b: scaled_graph(scale, -1.0)(a, b) * a, [0.4, -1.3])
    assert not wrong.ok


def test_the_defaults_are_shown() -> None:
    report = gradcheck(lambda a: a.tanh(), [0.3])
    assert "atol=1e-300, rtol=1e-07" in str(report).splitlines()[0]


def test_derivatives_that_cancel_to_zero_pass() -> None:
    # softmax of equal inputs is 1/3 whatever they are: its derivative is 0, computed from terms ±1/9, 2/9
    for build in (
        lambda a: F.softmax([a, a, a])[0],
        lambda a: F.softmax([(2.5 / a), (2.5 / a), (2.5 / a)])[0],
        lambda a: F.softmax([a.sin(), a.sin(), a.sin()])[0] * (a**2.5 + 1.0),
        lambda a: (a - a) * 1e3 + a.exp() * 0.0,
    ):
        report = gradcheck(build, [1.5])
        assert report.ok, str(report)
    # a wrong term beside cancelling terms of its own size is still caught
    assert not gradcheck(lambda a: scaled_graph(1e-12, -1.0)(a, a) + F.softmax([a, a])[0] * 1e-12, [0.4]).ok


def test_backward_rounding_is_relative_to_the_terms_not_their_sum() -> None:
    a, b = Value(1.5), Value(0.5)
    y = F.softmax([a, a, a])[0] + b * 3.0
    ((terms_a, rounding_a), (terms_b, rounding_b)) = backward_rounding([y], [a, b])[0]
    assert 0.3 < terms_a < 1.0 and 0.0 < rounding_a < 1e-13  # terms near 1/3 and 1/9 cancel to 0
    assert terms_b == 3.0 and 3.0 * 1e-16 < rounding_b < 3.0 * 1e-13  # 3, through one product
    assert backward_rounding([a * 2.0], [b]) == [[(0.0, 0.0)]]  # b does not reach the output


def test_a_relu_dead_at_every_sample_passes() -> None:
    # f does not change along w at all; a step widened until it does reaches where the relu comes alive,
    # which said nothing about the derivative at w
    w = Value(-0.5, "w")

    class Dead:
        def parameters(self) -> list[Value]:
            return [w]

    report = gradcheck_module(Dead(), lambda m: F.sum([(w * x).relu() for x in (1.0, 2.0, 3.0)]))
    assert report.ok and report.rows[0].numeric == 0.0, str(report)
    wrong = gradcheck_module(Dead(), lambda m: F.sum([(w * x).relu() for x in (1.0, 2.0, 3.0)]) + w * 1e-12)
    assert wrong.ok  # the right derivative 1e-12 of the added term
    assert not gradcheck_module(Dead(), lambda m: tanh_with_derivative_times(w, -1.0) * 1e-12).ok


def test_gradcheck_module_costs_about_six_evaluations_per_parameter() -> None:
    from micrograd_plus import losses
    from micrograd_plus.data import make_moons
    from micrograd_plus.nn import MLP

    X, Y = make_moons(30, noise=0.1, seed=3)
    targets = [2.0 * t - 1.0 for t in Y]
    calls = [0]

    def loss(m: MLP) -> Value:
        calls[0] += 1
        return losses.hinge([m(x)[0] for x in X], targets)

    model = MLP(2, [8, 8, 1], seed=0)  # some relus dead at every sample: their 0 is settled at the first step
    report = gradcheck_module(model, loss, replay=False)
    n = len(model.parameters())
    assert report.ok and calls[0] <= 1 + 7 * n, (calls[0], n)
