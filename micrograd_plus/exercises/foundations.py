"""Exercises of the first lessons: the chain rule, activations, gradient descent, the perceptron, the MLP."""

from __future__ import annotations

from micrograd_plus import functional as F
from micrograd_plus import losses
from micrograd_plus.autodiff import grad
from micrograd_plus.engine import Value
from micrograd_plus.exercises.checking import Answer, Exercise
from micrograd_plus.nn import MLP

__all__ = ["EXERCISES"]


def _derivative(build: str, at: float) -> float:
    """d f/dx at x for f given as a Value method name, e.g. "sigmoid", by ``backward()``."""
    x = Value(at)
    getattr(x, build)().backward()
    return x.grad


def _cubic_slope() -> Answer:
    x = Value(2.0)
    (x * x * x + x).backward()  # d/dx (x³ + x) = 3x² + 1
    return x.grad


def _used_twice() -> Answer:
    a, b = Value(3.0), Value(4.0)
    (a * b + a).backward()  # a reaches the output along two paths
    return a.grad


def _tanh_local() -> Answer:
    return Value(0.5).tanh().local_grads[0]  # 1 - tanh²(0.5), recorded when the node is made


def _sigmoid_slope() -> Answer:
    return _derivative("sigmoid", 0.0)


def _leaky_slope() -> Answer:
    x = Value(-2.0)
    x.leaky_relu(0.1).backward()
    return x.grad


def _softmax_jacobian_entry() -> Answer:
    z = [Value(1.0), Value(2.0), Value(3.0)]
    F.softmax(z)[0].backward()  # row 0 of the Jacobian lands in the z's .grad
    return z[2].grad


def _one_step() -> Answer:
    w = Value(0.0)
    ((w - 3.0) ** 2).backward()
    return w.data - 0.1 * w.grad


def _largest_stable_rate() -> Answer:
    # on a quadratic, w - η f'(w) contracts iff |1 - η f''| < 1, i.e. η < 2 / f''
    curvature = float(grad(grad(lambda w: 2.0 * w * w))(0.0))
    return 2.0 / curvature


def _two_d_step() -> Answer:
    x, y = Value(1.0), Value(1.0)
    (x * x + 10.0 * y * y).backward()
    return [x.data - 0.05 * x.grad, y.data - 0.05 * y.grad]


def _delta_rule_update() -> Answer:
    w, b = [Value(0.5), Value(-0.5)], Value(0.0)
    x, target, rate = [1.0, 2.0], 1.0, 0.1
    out = F.dot(w, x, b).sigmoid()
    (0.5 * (target - out) ** 2).backward()  # Δw = -η ∂(½(t - y)²)/∂w = η δ x
    return [-rate * wi.grad for wi in w]


def _delta_at_zero() -> Answer:
    z = Value(0.0)
    out = z.sigmoid()
    (0.5 * (1.0 - out) ** 2).backward()
    return -z.grad  # δ = (expected - actual) f'(z) = -∂(½ error²)/∂z


def _mlp_parameter_count() -> Answer:
    return len(MLP(3, [8, 4, 2], seed=0).parameters())


def _hinge_slopes() -> Answer:
    slopes = []
    for score in (0.3, 1.5):
        s = Value(score)
        losses.hinge(s, 1.0).backward()
        slopes.append(s.grad)
    return slopes


EXERCISES = (
    Exercise("chain-rule.cubic", "For y = x³ + x, what is dy/dx at x = 2?", _cubic_slope),
    Exercise("chain-rule.used-twice", "For f = a·b + a at a = 3, b = 4, what is ∂f/∂a?", _used_twice),
    Exercise("chain-rule.tanh-local", "What local derivative does a tanh node record at input 0.5?", _tanh_local),
    Exercise("activations.sigmoid-slope", "What is σ′(0), the steepest slope of the sigmoid?", _sigmoid_slope),
    Exercise("activations.leaky-slope", "With slope 0.1, what is leaky_relu′(−2)?", _leaky_slope),
    Exercise(
        "activations.softmax-jacobian",
        "For p = softmax([1, 2, 3]), what is ∂p₀/∂z₂ (row 0, column 2 of the Jacobian)?",
        _softmax_jacobian_entry,
    ),
    Exercise("gradient-descent.one-step", "On f(w) = (w − 3)² from w = 0 with η = 0.1: w after one step?", _one_step),
    Exercise(
        "gradient-descent.largest-rate",
        "On f(w) = 2w², above which learning rate η does gradient descent diverge?",
        _largest_stable_rate,
    ),
    Exercise(
        "gradient-descent.two-d",
        "On f(x, y) = x² + 10y² from (1, 1) with η = 0.05: [x, y] after one step?",
        _two_d_step,
    ),
    Exercise(
        "perceptron.delta-rule",
        "Sigmoid neuron w = [0.5, −0.5], b = 0, x = [1, 2], target 1, η = 0.1: the delta rule's Δw, as [Δw₁, Δw₂]?",
        _delta_rule_update,
    ),
    Exercise(
        "perceptron.delta-at-zero",
        "Sigmoid neuron with z = 0 and target 1: δ = (expected − actual)·f′(z)?",
        _delta_at_zero,
    ),
    Exercise("mlp.parameter-count", "How many parameters does MLP(3, [8, 4, 2]) have?", _mlp_parameter_count, 0, 0),
    Exercise(
        "mlp.hinge-slopes",
        "For target +1, what is d hinge/d score at score 0.3 and at score 1.5, as [slope at 0.3, slope at 1.5]?",
        _hinge_slopes,
    ),
)
