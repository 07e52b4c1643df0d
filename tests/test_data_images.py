"""The image set and the multi-class blobs: seeded, balanced, shaped as documented, validated."""

from __future__ import annotations

import statistics

import pytest

from micrograd_plus.data import GLYPHS, make_blobs, make_glyphs


def test_glyphs_are_seeded_balanced_and_shaped() -> None:
    images, labels = make_glyphs(50, seed=1)
    assert (images, labels) == make_glyphs(50, seed=1) and (images, labels) != make_glyphs(50, seed=2)
    assert sorted(set(labels)) == list(range(len(GLYPHS))) and all(labels.count(k) == 10 for k in range(5))
    assert all(len(im) == 1 and len(im[0]) == 8 and all(len(row) == 8 for row in im[0]) for im in images)
    big, _ = make_glyphs(5, size=12, max_shift=3, seed=0)
    assert len(big[0][0]) == 12


def test_glyph_shapes_without_noise_or_shift() -> None:
    images, labels = make_glyphs(5, noise=0.0, max_shift=0, seed=0)
    ink = {label: {(r, c) for r, row in enumerate(im[0]) for c, v in enumerate(row) if v == 1.0}
           for im, label in zip(images, labels)}  # fmt: skip
    assert ink[0] == {(3, c) for c in range(1, 7)}  # horizontal bar through the middle of the 6×6 canvas
    assert ink[1] == {(r, 3) for r in range(1, 7)}
    assert ink[2] == ink[0] | ink[1]
    assert ink[3] == {(r, c) for r in range(1, 7) for c in range(1, 7) if r in (1, 6) or c in (1, 6)}
    assert ink[4] == {(k, k) for k in range(1, 7)}
    assert all(v in (0.0, 1.0) for im in images for row in im[0] for v in row)


def test_glyph_shifts_and_noise() -> None:
    images, labels = make_glyphs(200, noise=0.0, max_shift=1, seed=3)
    bars = [im[0] for im, label in zip(images, labels) if label == 0]
    rows = {next(r for r, row in enumerate(im) if sum(row) == 6) for im in bars}
    assert rows == {2, 3, 4}  # the middle row 3, shifted by -1, 0 or +1
    noisy, _ = make_glyphs(100, noise=0.2, seed=3)
    background = [v for im in noisy for row in im[0] for v in row if v < 0.5]  # mostly cells without ink
    assert 0.15 < statistics.pstdev(background) < 0.22 and abs(statistics.fmean(background)) < 0.02


def test_blobs_are_seeded_balanced_and_separated() -> None:
    X, y = make_blobs(300, n_classes=4, noise=0.3, seed=0)
    assert (X, y) == make_blobs(300, n_classes=4, noise=0.3, seed=0)
    assert [y.count(k) for k in range(4)] == [75] * 4 and all(len(x) == 2 for x in X)
    centres = [[statistics.fmean(x[d] for x, label in zip(X, y) if label == k) for d in range(2)] for k in range(4)]
    assert centres[0] == pytest.approx([2.0, 0.0], abs=0.1) and centres[1] == pytest.approx([0.0, 2.0], abs=0.1)
    X3, _ = make_blobs(9, n_classes=3, n_features=3, seed=1)
    X1, y1 = make_blobs(30, n_classes=3, n_features=1, noise=0.0, seed=1)
    assert len(X3[0]) == 3 and {x[0] for x in X1} == {-2.0, 0.0, 2.0} and len(y1) == 30


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_glyphs(0), "n_samples must be a whole number >= 1"),
        (lambda: make_glyphs(10, size=4), "size must be a whole number >= 5"),
        (lambda: make_glyphs(10, noise=-0.1), "noise must be a number >= 0"),
        (lambda: make_glyphs(10, max_shift=3), r"max_shift must be a whole number in 0\.\.2 for size 8"),
        (lambda: make_blobs(10, n_classes=1), "n_classes must be a whole number >= 2"),
        (lambda: make_blobs(2, n_classes=3), "n_samples must be a whole number >= 3"),
        (lambda: make_blobs(10, n_features=0), "n_features must be a whole number >= 1"),
    ],
)
def test_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
