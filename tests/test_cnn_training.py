"""A small CNN learns the glyph images, well above chance and above an MLP of about the same size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from micrograd_plus import losses, optim
from micrograd_plus.data import GLYPHS, make_glyphs
from micrograd_plus.nn import MLP, Activation, Conv2d, Flatten, Layer, MaxPool2d, Sequential


def train_and_test(model: Any, prepare: Callable[[Any], Any], epochs: int = 8, batch_size: int = 10) -> float:
    """Adam on cross-entropy over 150 training images; accuracy on 100 held-out ones."""
    train_x, train_y = make_glyphs(150, noise=0.2, max_shift=1, seed=0)
    test_x, test_y = make_glyphs(100, noise=0.2, max_shift=1, seed=1)
    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(epochs):
        for start in range(0, len(train_x), batch_size):
            batch = [prepare(x) for x in train_x[start : start + batch_size]]
            loss = losses.cross_entropy([model(x) for x in batch], train_y[start : start + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
    right = 0
    for x, y in zip(test_x, test_y):
        scores = model(prepare(x))
        right += max(range(len(GLYPHS)), key=lambda k: scores[k].data) == y
    return right / len(test_y)


@pytest.mark.slow
def test_a_small_cnn_beats_an_mlp_of_similar_size_on_glyphs() -> None:
    cnn = Sequential(
        Conv2d(1, 4, 3, seed=0), Activation("relu"), MaxPool2d(2), Flatten(), Layer(36, 5, "linear", seed=1)
    )
    mlp = MLP(64, [3, 5], seed=0)
    assert (len(cnn.parameters()), len(mlp.parameters())) == (225, 215)
    cnn_accuracy = train_and_test(cnn, lambda image: image)
    mlp_accuracy = train_and_test(mlp, lambda image: [v for row in image[0] for v in row])
    print(f"glyphs, 100 test images: CNN {cnn_accuracy:.2f}, MLP {mlp_accuracy:.2f}, chance {1 / len(GLYPHS):.2f}")
    assert cnn_accuracy >= 0.9  # chance is 0.2
    assert cnn_accuracy >= mlp_accuracy + 0.15
