"""Exercises of the training lessons: losses and optimizers, softmax and cross-entropy, recurrent networks."""

from __future__ import annotations

import math

from micrograd_plus import functional as F
from micrograd_plus import losses, optim
from micrograd_plus.engine import Value
from micrograd_plus.exercises.checking import Answer, Exercise
from micrograd_plus.nn import RNN

__all__ = ["EXERCISES"]


def _bce_slope() -> Answer:
    p = Value(0.8)
    losses.binary_cross_entropy(p, 1.0).backward()  # (ŷ - y) / (ŷ(1 - ŷ))
    return p.grad


def _mse_slope() -> Answer:
    preds = [Value(1.0), Value(2.0)]
    losses.mse(preds, [0.0, 0.0]).backward()  # mean of squares: 2(ŷ₀ - y₀) / 2
    return preds[0].grad


def _adam_first_step() -> Answer:
    w = Value(1.0)
    opt = optim.Adam([w], lr=0.1)
    (5.0 * w).backward()  # a gradient of 5; Adam's first step is lr·m̂/√v̂ ≈ lr whatever its size
    opt.step()
    return 1.0 - w.data


def _softmax_first() -> Answer:
    return F.softmax([2.0, 1.0, 0.0])[0]


def _cross_entropy_gradient() -> Answer:
    z = [Value(2.0), Value(1.0), Value(0.0)]
    losses.cross_entropy(z, 1).backward()  # softmax(z) - onehot(1)
    return [zi.grad for zi in z]


def _uniform_cross_entropy() -> Answer:
    return losses.cross_entropy([0.0, 0.0, 0.0, 0.0], 2)


def _rnn_parameter_count() -> Answer:
    return len(RNN(1, 8, 1, seed=0).parameters())


def _recurrent_factor() -> Answer:
    # h_t = tanh(w_h h_{t-1} + w_x x_t + b) with w_h = 0.5, w_x = 1, b = 0, h_0 = 0, x = [1, 1]
    w_h, w_x, b = 0.5, 1.0, 0.0
    h1 = Value(math.tanh(w_x * 1.0 + b))  # a leaf, so that h2's gradient stops here
    h2 = (w_h * h1 + w_x * 1.0 + b).tanh()
    h2.backward()
    return h1.grad  # ∂h_2/∂h_1 = w_h · (1 - h_2²)


EXERCISES = (
    Exercise("losses.bce-slope", "For ŷ = 0.8 and y = 1, what is ∂BCE/∂ŷ?", _bce_slope),
    Exercise(
        "losses.mse-slope", "For predictions [1, 2] and targets [0, 0], what is ∂MSE/∂ŷ₀ (mean reduction)?", _mse_slope
    ),
    Exercise(
        "losses.adam-first-step",
        "Adam with lr = 0.1, w = 1 and a gradient of 5: by how much does the first step decrease w?",
        _adam_first_step,
    ),
    Exercise("softmax.first-probability", "What is softmax([2, 1, 0])₀?", _softmax_first),
    Exercise(
        "softmax.gradient",
        "For logits [2, 1, 0] and target class 1, what is ∂CE/∂z, as a list of three numbers?",
        _cross_entropy_gradient,
    ),
    Exercise(
        "softmax.uniform-loss", "What is the cross-entropy of all-zero logits over 4 classes?", _uniform_cross_entropy
    ),
    Exercise("rnn.parameter-count", "How many parameters does RNN(1, 8, 1) have?", _rnn_parameter_count, 0, 0),
    Exercise(
        "rnn.recurrent-factor",
        "h_t = tanh(0.5·h_{t−1} + x_t), h_0 = 0, x = [1, 1]: what is ∂h_2/∂h_1?",
        _recurrent_factor,
    ),
)
