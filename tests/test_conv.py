"""Convolution, pooling, Flatten and Sequential: hand-computed numbers, gradients, drawings and bad input."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from micrograd_plus import Value, gradcheck, gradcheck_module
from micrograd_plus import functional as F
from micrograd_plus.compile import compile_graph
from micrograd_plus.nn import (
    Activation,
    AvgPool2d,
    Conv1d,
    Conv2d,
    Flatten,
    Layer,
    MaxPool1d,
    MaxPool2d,
    Sequential,
)
from micrograd_plus.viz import to_dot


def values(nested: Any) -> Any:
    """The data of a nested list of Values, same shape."""
    return [values(item) for item in nested] if isinstance(nested, list) else nested.data


def flat(nested: Any) -> list[Value]:
    return [v for item in nested for v in flat(item)] if isinstance(nested, list) else [nested]


def set_kernel(conv: Conv1d | Conv2d, numbers: list[float]) -> None:
    for w, number in zip(flat(conv.weight), numbers, strict=True):
        w.data = number


def test_conv1d_by_hand() -> None:
    conv = Conv1d(1, 1, kernel_size=2, seed=0)
    set_kernel(conv, [1.0, -1.0])
    conv.bias[0].data = 0.5
    x = [Value(v) for v in [3.0, 1.0, 4.0, 1.0]]
    out = conv([x])
    assert values(out) == [[2.5, -2.5, 3.5]]  # 3-1+.5, 1-4+.5, 4-1+.5
    F.sum(out[0]).backward()
    assert [w.grad for w in conv.weight[0][0]] == [8.0, 6.0]  # Σ of the inputs under each tap
    assert conv.bias[0].grad == 3.0  # one per output position
    assert [v.grad for v in x] == [1.0, 0.0, 0.0, -1.0]  # w0 + w1 in the middle


def test_conv2d_with_padding_and_stride_by_hand() -> None:
    conv = Conv2d(1, 1, kernel_size=2, stride=2, padding=1, seed=0)
    set_kernel(conv, [1.0, 2.0, 3.0, 4.0])
    image = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]
    out = conv(image)
    # windows start at -1 and 1: (0,0) sees only x[0][0] under w[1][1]; (0,1) sees x[0][1..2] under w[1][0..1]
    assert values(out) == [[[4.0, 3 * 2 + 4 * 3], [2 * 4 + 4 * 7, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9]]]
    corner = out[0][0][0]
    assert corner.op == "dot" and len(corner.parents) == 3  # w, x, bias: no padded zeros as operands
    assert len(out[0][1][1].parents) == 9


def test_conv2d_matches_a_plain_float_reference() -> None:
    rng = random.Random(5)
    for _ in range(6):
        c_in, c_out = rng.randint(1, 3), rng.randint(1, 3)
        kernel = (rng.randint(1, 3), rng.randint(1, 3))
        stride, padding = (rng.randint(1, 2), rng.randint(1, 3)), (rng.randint(0, 1), rng.randint(0, 2))
        h, w = rng.randint(kernel[0], 6), rng.randint(kernel[1], 6)
        image = [[[rng.uniform(-1, 1) for _ in range(w)] for _ in range(h)] for _ in range(c_in)]
        conv = Conv2d(c_in, c_out, kernel, stride, padding, seed=rng.randint(0, 99))
        kernel_data, bias_data = values(conv.weight), values(conv.bias)
        got = values(conv(image))
        for o in range(c_out):
            for i, row in enumerate(got[o]):
                for j, number in enumerate(row):
                    expected = bias_data[o]
                    for c in range(c_in):
                        for a in range(kernel[0]):
                            for b in range(kernel[1]):
                                r, k = i * stride[0] - padding[0] + a, j * stride[1] - padding[1] + b
                                if 0 <= r < h and 0 <= k < w:
                                    expected += kernel_data[o][c][a][b] * image[c][r][k]
                    assert number == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_conv_weight_shapes_and_parameter_names() -> None:
    conv = Conv2d(2, 3, kernel_size=(2, 3), seed=0)
    assert [len(conv.weight), len(conv.weight[0]), len(conv.weight[0][0]), len(conv.weight[0][0][0])] == [3, 2, 2, 3]
    assert len(conv.bias) == 3 and len(conv.parameters()) == 3 * 2 * 2 * 3 + 3
    names = [name for name, _ in conv.named_parameters()]
    assert names[0] == "weight.0.0.0.0" and names[-1] == "bias.2"
    assert len(Conv1d(2, 4, 3).parameters()) == 4 * 2 * 3 + 4


def test_one_kernel_weight_feeds_every_output_position_in_the_drawing() -> None:
    conv = Conv2d(1, 2, kernel_size=2, seed=1)
    out = conv([[[0.1 * (r + c) for c in range(4)] for r in range(4)]])
    root = F.sum(flat(out))
    dot = to_dot(root, module=conv)
    assert len(re.findall(r"label=<position \(\d, \d\)>", dot)) == 9  # one cluster per output position
    weight = conv.weight[0][0][1][0]
    node_of = dict(re.findall(r"\t(v\d+) \[id=\"v\d+\" label=<<table.*?<b>([^<]+)</b>", dot))
    weight_node = next(v for v, name in node_of.items() if name == "weight.0.0.1.0")
    targets = re.findall(rf"\t{weight_node} -> (op\d+)", dot)
    assert len(targets) == 9 and len(set(targets)) == 9  # an edge into each position's dot node
    assert all(re.search(rf"\t{op} \[id=\"{op}\" label=<dot>", dot) for op in targets)
    boxed = to_dot(root, module=conv, collapse="position")
    assert len(re.findall(r"label=<<b>position \(\d, \d\)</b><br/>", boxed)) == 9  # one box per position
    root.backward()
    inputs_under = [0.1 * (r + 1 + c) for r in range(3) for c in range(3)]
    assert weight.grad == pytest.approx(sum(inputs_under))  # the shared weight collects from all 9


def test_max_pool_by_hand_and_its_gradient() -> None:
    x = [[Value(v) for v in row] for row in [[1.0, 5.0, 2.0, 2.0], [3.0, 4.0, 2.0, 0.0]]]
    out = MaxPool2d(2)([x])
    assert values(out) == [[[5.0, 2.0]]]
    F.sum(flat(out)).backward()
    assert [[v.grad for v in row] for row in x] == [[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]  # first of a tie
    node = out[0][0][0]
    assert node.op == "max" and node.parents == (x[0][0], x[0][1], x[1][0], x[1][1])
    assert node.local_grads == (0.0, 1.0, 0.0, 0.0)  # one max node over the window: the winner's derivative is 1


def test_max_pool_strides_padding_and_1d() -> None:
    image = [[[float(3 * r + c) for c in range(3)] for r in range(3)]]
    assert values(MaxPool2d(2, stride=1)(image)) == [[[4.0, 5.0], [7.0, 8.0]]]
    assert values(MaxPool2d(2, padding=1)(image)) == [[[0.0, 2.0], [6.0, 8.0]]]  # padding never wins
    assert values(MaxPool1d(3, stride=2, padding=1)([[1.0, -2.0, 0.5, 4.0, 3.0]])) == [[1.0, 4.0, 4.0]]


def test_avg_pool_counts_padding_as_zeros() -> None:
    image = [[[1.0, 2.0], [3.0, 6.0]]]
    assert values(AvgPool2d(2)(image)) == [[[3.0]]]
    assert values(AvgPool2d(2, stride=2, padding=1)(image)) == [[[0.25, 0.5], [0.75, 1.5]]]


def test_flatten_and_activation_keep_order_and_shape() -> None:
    x = [[[1, -2], [3, -4]], [[5, 6], [-7, 8]]]
    assert values(Flatten()(x)) == [1.0, -2.0, 3.0, -4.0, 5.0, 6.0, -7.0, 8.0]
    assert values(Activation("relu")(x)) == [[[1.0, 0.0], [3.0, 0.0]], [[5.0, 6.0], [0.0, 8.0]]]
    assert values(Activation("linear")([[-1.5]])) == [[-1.5]]


def small_cnn(seed: int = 0) -> Sequential:
    return Sequential(
        Conv2d(1, 2, kernel_size=3, padding=1, seed=seed),
        Activation("tanh"),
        AvgPool2d(2),
        Conv2d(2, 1, kernel_size=2, seed=seed + 1),
        MaxPool2d(1),
        Flatten(),
        Layer(1, 2, "linear", seed=seed),
    )


def test_sequential_names_modes_and_save_load(tmp_path: Any) -> None:
    model = small_cnn()
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "0.weight.0.0.0.0" and "3.bias.0" in names and names[-1] == "6.neurons.1.b"
    assert len(model) == 7 and isinstance(model[0], Conv2d) and list(model)[5].__class__ is Flatten
    assert not model.eval()[0].training
    path = tmp_path / "cnn.json"
    model.save(path)
    other = small_cnn(seed=7)
    other.load(path)
    assert other.state_dict() == model.state_dict()
    with pytest.raises(ValueError, match="not this"):
        Sequential(Conv2d(1, 1, 1)).load(path)


def test_gradcheck_of_every_conv_and_pool_module() -> None:
    rng = random.Random(2)
    image = [[[rng.uniform(-1, 1) for _ in range(5)] for _ in range(4)] for _ in range(2)]
    signal = [[rng.uniform(-1, 1) for _ in range(6)] for _ in range(2)]
    direction = [rng.uniform(-1, 1) for _ in range(64)]

    def weighted(out: Any) -> Value:
        outputs = flat(out)
        return F.dot(direction[: len(outputs)], outputs)

    conv2 = Conv2d(2, 2, kernel_size=(2, 3), stride=(1, 2), padding=1, seed=3)
    assert gradcheck_module(conv2, lambda m: weighted(m(image))).ok
    conv1 = Conv1d(2, 3, kernel_size=3, stride=2, padding=2, seed=4)
    assert gradcheck_module(conv1, lambda m: weighted(m(signal))).ok
    assert gradcheck_module(small_cnn(), lambda m: weighted(m(image[:1]))).ok
    pixels = [v for plane in image for row in plane for v in row]

    def as_image(*xs: Value) -> list[list[list[Value]]]:
        it = iter(xs)
        return [[[next(it) for _ in range(5)] for _ in range(4)] for _ in range(2)]

    for pool in [MaxPool2d(2, stride=1, padding=1), AvgPool2d((2, 3), stride=1, padding=(1, 0))]:
        assert gradcheck(lambda *xs, pool=pool: weighted(pool(as_image(*xs))), pixels).ok
    assert gradcheck(lambda *xs: weighted(MaxPool1d(2)([list(xs[:6]), list(xs[6:])])), pixels[:12]).ok


def test_compiled_replay_of_a_cnn_matches_backward() -> None:
    model = small_cnn()
    image = [[[0.3 * r - 0.2 * c for c in range(4)] for r in range(4)]]
    loss = F.sum(model(image))
    params = model.parameters()
    compiled = compile_graph(loss, params)
    value, grads = compiled.value_and_grad([p.data for p in params])
    loss.backward()
    assert value == loss.data
    assert grads == pytest.approx([p.grad for p in params], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("make", "x", "message"),
    [
        (lambda: Conv2d(1, 1, 3), [[[1.0, 2.0], [3.0, 4.0]]], "kernel height 3 is larger than the padded input"),
        (
            lambda: Conv2d(1, 1, (1, 4), padding=(1, 0)),
            [[[1.0, 2.0]]],
            r"kernel width 4 is larger than the padded input width 2 \(input 2",
        ),
        (lambda: Conv1d(1, 1, 5), [[1.0, 2.0]], "kernel length 5 is larger"),
        (lambda: Conv2d(2, 1, 1), [[[1.0]]], r"expects 2 input channels, got 1 \(input shape \[1, 1, 1\]\)"),
        (lambda: Conv2d(1, 1, 1), [[[1.0, 2.0], [3.0]]], "ragged input: channel 0 row 1 has 1 values, expected 2"),
        (lambda: Conv2d(2, 1, 1), [[[1.0]], [[1.0], [2.0]]], "ragged input: channel 1 has 2 rows"),
        (lambda: Conv1d(1, 1, 1), [[1.0, 2.0], [3.0]], "expects 1 input channels, got 2"),
        (lambda: MaxPool2d(3), [[[1.0, 2.0], [3.0, 4.0]]], "MaxPool2d kernel height 3 is larger"),
        (lambda: MaxPool1d(2), [[1.0, 2.0], [3.0]], "ragged input: channel 1 has 1 values"),
    ],
)
def test_bad_input_names_the_shapes(make: Any, x: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()(x)


def test_bad_arguments_and_types() -> None:
    for bad in [lambda: Conv2d(1, 1, 3, stride=0), lambda: Conv1d(1, 1, 3, stride=-1), lambda: MaxPool2d(2, 0)]:
        with pytest.raises(ValueError, match="stride must be a whole number >= 1"):
            bad()
    with pytest.raises(ValueError, match="padding must be a whole number >= 0"):
        Conv2d(1, 1, 3, padding=-1)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        Conv2d(1, 1, (1, 2, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most half the kernel size"):
        MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="unknown init 'he_fancy'"):
        Conv2d(1, 1, 3, init="he_fancy")
    with pytest.raises(TypeError, match="expects one sample as a"):
        Conv2d(1, 1, 1)([1.0, 2.0])
    with pytest.raises(TypeError, match="numbers or Values, got str 'a'"):
        Conv1d(1, 1, 1)([[1.0, "a"]])
    with pytest.raises(TypeError, match="Sequential takes modules"):
        Sequential(Conv2d(1, 1, 1), len)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one module"):
        Sequential()
