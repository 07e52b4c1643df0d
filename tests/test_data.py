"""Toy data sets: seeded, the promised shapes and labels, and clear errors."""

from __future__ import annotations

import math

import pytest

from micrograd_plus import data


@pytest.mark.parametrize(
    ("make", "n_classes"),
    [
        (lambda seed: data.make_moons(101, seed=seed), 2),
        (lambda seed: data.make_circles(101, seed=seed), 2),
        (lambda seed: data.make_xor(101, seed=seed), 2),
        (lambda seed: data.make_spirals(101, n_classes=4, seed=seed), 4),
        (lambda seed: data.make_linearly_separable(101, seed=seed), 2),
    ],
)
def test_classification_sets(make: object, n_classes: int) -> None:
    X, y = make(0)  # type: ignore[operator]
    assert len(X) == len(y) == 101
    assert all(len(x) == 2 and all(math.isfinite(v) for v in x) for x in X)
    assert sorted(set(y)) == list(range(n_classes))
    assert make(0) == (X, y)  # type: ignore[operator]
    assert make(1) != (X, y)  # type: ignore[operator]


def test_moons_geometry_without_noise() -> None:
    X, y = data.make_moons(50, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        centre = (0.0, 0.0) if label == 0 else (1.0, 0.5)
        assert math.hypot(a - centre[0], b - centre[1]) == pytest.approx(1.0)


def test_circles_radii() -> None:
    X, y = data.make_circles(40, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == 0 else 0.3)


def test_linearly_separable_keeps_its_margin() -> None:
    X, y = data.make_linearly_separable(200, n_features=3, margin=0.2, seed=0)
    assert all(len(x) == 3 for x in X) and set(y) == {0, 1}


def test_sine_sequence_is_next_step() -> None:
    xs, ys = data.make_sine_sequence(20, step=0.4, phase=0.1)
    assert len(xs) == len(ys) == 20
    assert all(xs[t + 1][0] == ys[t] for t in range(19))
    assert ys[-1] == pytest.approx(math.sin(0.1 + 20 * 0.4))


def test_char_sequence() -> None:
    seq = data.make_char_sequence("hello")
    assert seq.vocabulary == ["e", "h", "l", "o"]
    assert seq.decode(seq.targets) == "ello"
    assert [x.index(1.0) for x in seq.inputs] == [1, 0, 2, 2]


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: data.make_moons(1), r"n_samples must be a whole number >= 2, got 1"),
        (lambda: data.make_moons(10, noise=-1), r"noise must be a number >= 0, got -1"),
        (lambda: data.make_circles(10, factor=1.5), r"factor .* must be in \(0, 1\), got 1\.5"),
        (lambda: data.make_spirals(10, n_classes=1), r"n_classes must be a whole number >= 2"),
        (lambda: data.make_linearly_separable(10, margin=0.7), r"margin must be in \[0, 0\.5\), got 0\.7"),
        (lambda: data.make_sine_sequence(0), r"n_steps must be a whole number >= 1, got 0"),
        (lambda: data.make_char_sequence("a"), r"at least 2 characters"),
    ],
)
def test_bad_input(call: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()  # type: ignore[operator]
