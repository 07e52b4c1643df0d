"""Development-only: convolution and pooling give PyTorch's numbers, forward and backward (skipped without torch)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from micrograd_plus import Value
from micrograd_plus import functional as F
from micrograd_plus.nn import AvgPool2d, Conv1d, Conv2d, MaxPool1d, MaxPool2d

torch = pytest.importorskip("torch")
REL = 1e-10


def nested(tensor: Any) -> Any:
    return tensor.tolist()


def leaves(shape: list[int], rng: random.Random) -> Any:
    if not shape:
        return Value(rng.uniform(-1.0, 1.0))
    return [leaves(shape[1:], rng) for _ in range(shape[0])]


def flat(nested_values: Any) -> list[Any]:
    if isinstance(nested_values, list):
        return [v for item in nested_values for v in flat(item)]
    return [nested_values]


def as_tensor(nested_values: Any) -> Any:
    data = [v.data for v in flat(nested_values)]
    shape = []
    item = nested_values
    while isinstance(item, list):
        shape.append(len(item))
        item = item[0]
    return torch.tensor(data, dtype=torch.float64).reshape(shape).requires_grad_(True)


def backprop_both(ours: Any, theirs: Any, rng: random.Random) -> None:
    """Backward from Σ g·out with the same random g on both sides."""
    outputs = flat(ours)
    assert [v.data for v in outputs] == pytest.approx(theirs.flatten().tolist(), rel=REL, abs=1e-12)
    upstream = [rng.uniform(-1.0, 1.0) for _ in outputs]
    F.dot(upstream, outputs).backward()
    (theirs.flatten() * torch.tensor(upstream, dtype=torch.float64)).sum().backward()


def close(values: list[Value], tensor: Any) -> None:
    assert [v.grad for v in values] == pytest.approx(tensor.grad.flatten().tolist(), rel=REL, abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_matches_torch(seed: int) -> None:
    rng = random.Random(seed)
    c_in, c_out = rng.randint(1, 3), rng.randint(1, 4)
    kernel = (rng.randint(1, 3), rng.randint(1, 3))
    stride, padding = (rng.randint(1, 3), rng.randint(1, 2)), (rng.randint(0, 2), rng.randint(0, 1))
    image = leaves([c_in, rng.randint(kernel[0], 7), rng.randint(kernel[1], 7)], rng)
    conv = Conv2d(c_in, c_out, kernel, stride, padding, seed=seed)
    for b in conv.bias:
        b.data = rng.uniform(-1.0, 1.0)
    x, w, b = as_tensor(image), as_tensor(conv.weight), as_tensor([conv.bias])
    theirs = torch.nn.functional.conv2d(x[None], w, b[0], stride=stride, padding=padding)[0]
    backprop_both(conv(image), theirs, rng)
    close(flat(image), x)
    close(flat(conv.weight), w)
    close(conv.bias, b)


@pytest.mark.parametrize("seed", range(6))
def test_conv1d_matches_torch(seed: int) -> None:
    rng = random.Random(100 + seed)
    c_in, c_out, kernel = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 4)
    stride, padding = rng.randint(1, 3), rng.randint(0, 2)
    signal = leaves([c_in, rng.randint(kernel, 9)], rng)
    conv = Conv1d(c_in, c_out, kernel, stride, padding, seed=seed)
    for b in conv.bias:
        b.data = rng.uniform(-1.0, 1.0)
    x, w, b = as_tensor(signal), as_tensor(conv.weight), as_tensor([conv.bias])
    theirs = torch.nn.functional.conv1d(x[None], w, b[0], stride=stride, padding=padding)[0]
    backprop_both(conv(signal), theirs, rng)
    close(flat(signal), x)
    close(flat(conv.weight), w)
    close(conv.bias, b)


@pytest.mark.parametrize("seed", range(8))
def test_pooling_matches_torch(seed: int) -> None:
    rng = random.Random(200 + seed)
    kernel = (rng.randint(1, 3), rng.randint(1, 3))
    stride = (rng.randint(1, 3), rng.randint(1, 3))
    padding = (rng.randint(0, kernel[0] // 2), rng.randint(0, kernel[1] // 2))
    shape = [rng.randint(1, 3), rng.randint(kernel[0], 7), rng.randint(kernel[1], 7)]
    functional = torch.nn.functional
    for ours, theirs in [
        (MaxPool2d(kernel, stride, padding), lambda t: functional.max_pool2d(t, kernel, stride, padding)),
        (AvgPool2d(kernel, stride, padding), lambda t: functional.avg_pool2d(t, kernel, stride, padding)),
    ]:
        image = leaves(shape, rng)
        x = as_tensor(image)
        backprop_both(ours(image), theirs(x[None])[0], rng)
        close(flat(image), x)
    signal = leaves(shape[:1] + shape[2:], rng)
    x = as_tensor(signal)
    pool = MaxPool1d(kernel[1], stride[1], padding[1])
    backprop_both(pool(signal), functional.max_pool1d(x[None], kernel[1], stride[1], padding[1])[0], rng)
    close(flat(signal), x)
