"""Toy data sets: seeded, the promised shapes and labels, and clear errors."""

from __future__ import annotations

import itertools
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
        (lambda: data.make_moons(10, noise=-1), r"noise must be a finite number >= 0, got -1"),
        (lambda: data.make_moons(10, noise=math.inf), r"noise must be a finite number >= 0, got inf"),
        (lambda: data.make_moons(2.0), r"n_samples must be a whole number >= 2, got float 2\.0"),
        (lambda: data.make_circles(10, factor=1.5), r"factor .* must be a finite number > 0 and < 1, got 1\.5"),
        (lambda: data.make_circles(10, factor="a"), r"factor .* got str 'a'"),
        (lambda: data.make_spirals(10, n_classes=1), r"n_classes must be a whole number >= 2"),
        (lambda: data.make_linearly_separable(10, margin=0.7), r"margin must be a finite number >= 0 and < 0\.5"),
        (lambda: data.make_linearly_separable(10, n_features=0), r"n_features must be a whole number >= 1, got 0"),
        (lambda: data.make_sine_sequence(0), r"n_steps must be a whole number >= 1, got 0"),
        (lambda: data.make_sine_sequence(5, step=math.nan), r"step must be a finite number, got nan"),
        (lambda: data.make_sine_sequence(5, step=math.inf), r"step must be a finite number, got inf"),
        (lambda: data.make_sine_sequence(5, phase="a"), r"phase must be a finite number, got str 'a'"),
        (lambda: data.make_sine_sequence(5, phase=-math.inf), r"phase must be a finite number, got -inf"),
        (lambda: data.make_char_sequence("a"), r"at least 2 characters"),
    ],
)
def test_bad_input(call: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()  # type: ignore[operator]


def test_bad_seeds_are_type_errors() -> None:
    for seed in ("1", 1.5, True):
        with pytest.raises(TypeError, match=r"seed must be a whole number, a random\.Random or None"):
            data.make_moons(10, seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [data.make_moons, data.make_circles, data.make_xor, data.make_spirals, data.make_linearly_separable],
)
def test_negative_seeds_give_their_own_data(make: object) -> None:
    streams = {seed: make(30, seed=seed) for seed in (-2, -1, 0, 1, 2)}  # type: ignore[operator]
    assert len({repr(d) for d in streams.values()}) == 5
    assert make(30, seed=-1) == streams[-1]  # type: ignore[operator]


def test_sine_noise_depends_on_the_sign_of_the_seed() -> None:
    assert data.make_sine_sequence(5, noise=0.1, seed=-1) != data.make_sine_sequence(5, noise=0.1, seed=1)


@pytest.mark.parametrize("n_classes", [2, 3, 5, 12])
def test_spiral_arms_never_share_a_point(n_classes: int) -> None:
    X, y = data.make_spirals(24 * n_classes, n_classes=n_classes, noise=0.0, seed=0)
    labels_at: dict[tuple[float, float], set[int]] = {}
    for (a, b), label in zip(X, y):
        labels_at.setdefault((round(a, 9), round(b, 9)), set()).add(label)
    assert all(len(labels) == 1 for labels in labels_at.values())
    assert all(0.0 < math.hypot(a, b) <= 1.0 + 1e-12 for a, b in X)  # none at the origin
    starts = sorted(math.atan2(a, b) % (2 * math.pi) for (a, b) in X if math.hypot(a, b) < 1.5 / 24)
    assert len(starts) == n_classes  # the innermost point of each arm, evenly spread around the circle
    assert all(b - a > 0.5 for a, b in itertools.pairwise(starts))


def test_numpy_integers_are_counts_and_seeds() -> None:
    np = pytest.importorskip("numpy")
    assert data.make_moons(np.int64(10), seed=np.int64(1)) == data.make_moons(10, seed=1)
    X, y = data.make_spirals(np.int32(30), n_classes=np.int64(3), noise=np.float32(0.1), seed=np.uint8(3))
    assert len(X) == 30 and sorted(set(y)) == [0, 1, 2] and all(type(label) is int for label in y)
    xs, ys = data.make_sine_sequence(np.int64(4), step=np.float64(0.5), phase=np.float32(0.25))
    assert len(xs) == 4 and ys[-1] == pytest.approx(math.sin(0.25 + 4 * 0.5))
