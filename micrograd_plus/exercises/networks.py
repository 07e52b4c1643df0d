"""Exercises of the network lessons: the matrix view, initialisation, batch normalisation, convolution."""

from __future__ import annotations

from micrograd_plus.engine import Value
from micrograd_plus.exercises.checking import Answer, Exercise
from micrograd_plus.nn import BatchNorm1d, Conv1d, Conv2d, Layer
from micrograd_plus.nn.init import init_scale

__all__ = ["EXERCISES"]


def _output_weight_gradient() -> Answer:
    layer = Layer(3, 2, activation="linear", seed=0)
    z = layer([2.0, 0.0, 1.0])
    (0.5 * z[0] - 1.0 * z[1]).backward()  # a loss whose δ⁽ᴸ⁾ = ∂L/∂z = [0.5, −1]
    return [[w.grad for w in neuron.w] for neuron in layer.neurons]  # δ aᵀ


def _hidden_delta() -> Answer:
    z = [Value(0.3), Value(-0.7)]  # z⁽¹⁾ of a relu layer
    a = [zi.relu() for zi in z]
    out = 1.0 * a[0] - 2.0 * a[1]  # W⁽²⁾ = [[1, −2]], linear output
    (0.5 * out).backward()  # δ⁽²⁾ = 0.5
    return [zi.grad for zi in z]  # δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾) ⊙ relu′(z⁽¹⁾)


def _he_bound() -> Answer:
    return init_scale("he_uniform", fan_in=50)[1]


def _xavier_variance() -> Answer:
    return init_scale("xavier_normal", fan_in=100, fan_out=100)[1] ** 2


def _sigmoid_depth() -> Answer:
    x = Value(0.0)
    out = x
    for _ in range(10):  # ten sigmoid layers, each at its steepest point: σ′(0)¹⁰
        out = (out.sigmoid() - 0.5) * 1.0
    out.backward()
    return x.grad


def _batchnorm_first() -> Answer:
    return BatchNorm1d(1)([[1.0], [2.0], [3.0]])[0][0]


def _batchnorm_sum_gradient() -> Answer:
    xs = [Value(1.0), Value(2.0), Value(4.0)]
    out = BatchNorm1d(1)([[x] for x in xs])
    (out[0][0] + out[1][0] + out[2][0]).backward()
    return xs[0].grad


def _running_mean() -> Answer:
    norm = BatchNorm1d(1, momentum=0.1)
    norm([[1.0], [2.0], [3.0]])
    return norm.running_mean[0]


def _conv_output_size() -> Answer:
    image = [[[0.0] * 8 for _ in range(8)]]
    return len(Conv2d(1, 1, 3, stride=2, padding=1, seed=0)(image)[0])


def _conv_parameter_count() -> Answer:
    return len(Conv2d(1, 8, 3, seed=0).parameters())


def _cross_correlation() -> Answer:
    conv = Conv1d(1, 1, 3, seed=0)
    for w, k in zip(conv.weight[0][0], [1.0, 0.0, -1.0]):
        w.data = k
    return conv([[1.0, 2.0, 3.0, 4.0]])[0]


EXERCISES = (
    Exercise(
        "matrix-view.output-gradient",
        "Linear output layer with δ⁽ᴸ⁾ = [0.5, −1] and a⁽ᴸ⁻¹⁾ = [2, 0, 1]: ∂L/∂W⁽ᴸ⁾ as a 2×3 list of lists?",
        _output_weight_gradient,
    ),
    Exercise(
        "matrix-view.hidden-delta",
        "relu layer with z⁽¹⁾ = [0.3, −0.7], W⁽²⁾ = [[1, −2]], δ⁽²⁾ = [0.5]: δ⁽¹⁾ as a list of two numbers?",
        _hidden_delta,
    ),
    Exercise("init.he-bound", "He uniform init for fan_in = 50: the bound a of U(−a, a)?", _he_bound),
    Exercise(
        "init.xavier-variance", "Xavier init for fan_in = fan_out = 100: the weights' variance?", _xavier_variance
    ),
    Exercise(
        "init.sigmoid-depth",
        "Through 10 sigmoid layers, each at z = 0 with unit weights: the product of their slopes?",
        _sigmoid_depth,
    ),
    Exercise(
        "batchnorm.first-output",
        "BatchNorm1d(1) in training on the batch [[1], [2], [3]]: the first sample's output?",
        _batchnorm_first,
    ),
    Exercise(
        "batchnorm.sum-gradient",
        "For the batch [[1], [2], [4]]: ∂(sum of the BatchNorm1d(1) outputs)/∂x₀?",
        _batchnorm_sum_gradient,
    ),
    Exercise(
        "batchnorm.running-mean",
        "A new BatchNorm1d(1, momentum=0.1) sees the batch [[1], [2], [3]] once: its running_mean?",
        _running_mean,
    ),
    Exercise(
        "cnn.output-size",
        "Conv2d(1, 1, 3, stride=2, padding=1) on an 8×8 image: the output's height?",
        _conv_output_size,
        0,
        0,
    ),
    Exercise("cnn.parameter-count", "How many parameters does Conv2d(1, 8, 3) have?", _conv_parameter_count, 0, 0),
    Exercise(
        "cnn.cross-correlation",
        "Conv1d with kernel [1, 0, −1] and bias 0 on [1, 2, 3, 4]: the output, as a list?",
        _cross_correlation,
    ),
)
