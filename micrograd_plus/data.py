"""Seeded toy data sets in pure Python (lists of floats), so that notebooks and tests need no downloads.

Classification sets return ``(X, y)``: ``X`` a list of points (lists of floats)
and ``y`` a list of int class labels (0/1, or 0..k-1 for spirals and blobs). The
image set ``make_glyphs`` returns one-channel images, ``[1][size][size]`` nested
lists, for the convolution lessons. The same ``seed`` always gives the same data.
For character models, ``load_names`` gives the names list shipped with the package
(no download), ``train_val_split`` a seeded split and ``CharTokenizer`` microgpt's
tokenizer (see :mod:`micrograd_plus.text`).

>>> X, y = make_moons(6, noise=0.0, seed=0)
>>> len(X), sorted(set(y))
(6, [0, 1])
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import NamedTuple

from micrograd_plus._validate import check_count, check_real, make_rng
from micrograd_plus.text import CharTokenizer, load_names, train_val_split

__all__ = [
    "GLYPHS",
    "CharSequence",
    "CharTokenizer",
    "load_names",
    "train_val_split",
    "make_char_sequence",
    "make_blobs",
    "make_circles",
    "make_glyphs",
    "make_linearly_separable",
    "make_moons",
    "make_sine_sequence",
    "make_spirals",
    "make_xor",
]

Dataset = tuple[list[list[float]], list[int]]


def _noise(noise: object) -> float:
    return check_real("noise", noise, low=0.0)


def _shuffled(rng: random.Random, X: list[list[float]], y: list[int]) -> Dataset:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _linspace(start: float, stop: float, n: int) -> list[float]:
    return [start + (stop - start) * i / (n - 1) for i in range(n)] if n > 1 else [start]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = None) -> Dataset:
    """Two interleaving half circles: the upper (label 0) centred at (0, 0), the lower (label 1) at (1, 0.5)."""
    n_samples = check_count("n_samples", n_samples, 2)
    sigma, rng = _noise(noise), make_rng(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    X += [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_lower)]
    y = [0] * n_upper + [1] * n_lower
    X = [[a + rng.gauss(0.0, sigma), b + rng.gauss(0.0, sigma)] for a, b in X]
    return _shuffled(rng, X, y)


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None) -> Dataset:
    """A circle of radius 1 (label 0) around a circle of radius ``factor`` (label 1)."""
    n_samples = check_count("n_samples", n_samples, 2)
    factor = check_real("factor (inner radius / outer radius)", factor, low=0.0, high=1.0, low_open=True)
    sigma, rng = _noise(noise), make_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_outer + 1)[:-1]]
    X += [[factor * math.cos(t), factor * math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_inner + 1)[:-1]]
    y = [0] * n_outer + [1] * n_inner
    X = [[a + rng.gauss(0.0, sigma), b + rng.gauss(0.0, sigma)] for a, b in X]
    return _shuffled(rng, X, y)


def make_xor(n_samples: int = 100, noise: float = 0.1, seed: int | None = None) -> Dataset:
    """Points around the four corners (±1, ±1); label 1 where exactly one coordinate is positive."""
    n_samples = check_count("n_samples", n_samples)
    sigma, rng = _noise(noise), make_rng(seed)
    X, y = [], []
    for i in range(n_samples):
        sx, sy = (1.0 if i % 2 else -1.0), (1.0 if (i // 2) % 2 else -1.0)
        X.append([sx + rng.gauss(0.0, sigma), sy + rng.gauss(0.0, sigma)])
        y.append(int((sx > 0) != (sy > 0)))
    return _shuffled(rng, X, y)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = None) -> Dataset:
    """``n_classes`` interleaved spiral arms around the origin, one class per arm (labels 0..n_classes-1).

    Arm k starts at angle 2πk/n_classes and winds 4 radians outwards; point i of
    an arm of n points has radius (i + 1)/n, so no two arms share a starting point.
    """
    n_classes = check_count("n_classes", n_classes, 2)
    n_samples = check_count("n_samples", n_samples, n_classes)
    sigma, rng = _noise(noise), make_rng(seed)
    X, y = [], []
    for k in range(n_classes):
        n = n_samples // n_classes + (1 if k < n_samples % n_classes else 0)
        start = 2.0 * math.pi * k / n_classes
        for i in range(n):
            r = (i + 1) / n
            t = start + 4.0 * r + rng.gauss(0.0, sigma)  # angle grows with the radius along each arm
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(k)
    return _shuffled(rng, X, y)


def make_blobs(
    n_samples: int = 150, n_classes: int = 3, n_features: int = 2, noise: float = 0.5, seed: int | None = None
) -> Dataset:
    """``n_classes`` Gaussian clusters N(c_k, noise²·I), one per class, for softmax classification.

    Centres: evenly spaced on a circle of radius 2 in the first two features (on a line 2 apart
    for one feature); further features of each centre are drawn uniformly from [-2, 2].

    >>> X, y = make_blobs(6, n_classes=3, seed=0)
    >>> len(X), len(X[0]), sorted(y)
    (6, 2, [0, 0, 1, 1, 2, 2])
    """
    n_classes = check_count("n_classes", n_classes, 2)
    n_samples = check_count("n_samples", n_samples, n_classes)
    n_features = check_count("n_features", n_features)
    sigma, rng = _noise(noise), make_rng(seed)
    centres = []
    for k in range(n_classes):
        if n_features == 1:
            centre = [2.0 * k - (n_classes - 1.0)]
        else:
            angle = 2.0 * math.pi * k / n_classes
            centre = [2.0 * math.cos(angle), 2.0 * math.sin(angle)]
            centre += [rng.uniform(-2.0, 2.0) for _ in range(n_features - 2)]
        centres.append(centre)
    y = [i % n_classes for i in range(n_samples)]
    X = [[c + rng.gauss(0.0, sigma) for c in centres[k]] for k in y]
    return _shuffled(rng, X, y)


GLYPHS = ("horizontal bar", "vertical bar", "cross", "box", "diagonal")  # class k is GLYPHS[k]


def _inked(kind: int, r: int, c: int, side: int) -> bool:
    """Whether cell (r, c) of a side × side canvas is ink in glyph ``kind`` (an index into GLYPHS)."""
    middle = (side - 1) // 2
    if kind == 0:
        return r == middle
    if kind == 1:
        return c == middle
    if kind == 2:
        return middle in (r, c)
    if kind == 3:
        return r in (0, side - 1) or c in (0, side - 1)
    return r == c


def _glyph(kind: int, side: int) -> list[tuple[int, int]]:
    """The inked (row, column) cells of glyph ``kind`` on a side × side canvas."""
    return [(r, c) for r in range(side) for c in range(side) if _inked(kind, r, c, side)]


def make_glyphs(
    n_samples: int = 200, size: int = 8, noise: float = 0.1, max_shift: int = 1, seed: int | None = None
) -> tuple[list[list[list[list[float]]]], list[int]]:
    """Tiny one-channel images of five glyphs (``GLYPHS``: bars, cross, box, diagonal), for a CNN.

    Each image is ``[1][size][size]``: a glyph drawn with ink 1 on a (size − 2)-wide canvas, placed at
    (1, 1) moved by a random shift of up to ``max_shift`` pixels in each direction (ink shifted off
    the image is lost), plus Gaussian pixel noise N(0, noise²). Labels are balanced, 0..4.

    >>> images, labels = make_glyphs(5, noise=0.0, max_shift=0, seed=0)
    >>> sorted(labels), len(images[0]), len(images[0][0]), len(images[0][0][0])
    ([0, 1, 2, 3, 4], 1, 8, 8)
    >>> [int(v) for v in images[labels.index(1)][0][1]]  # row 1 of the vertical bar (row 0 is margin)
    [0, 0, 0, 1, 0, 0, 0, 0]
    """
    n_samples = check_count("n_samples", n_samples)
    size = check_count("size", size, 5)
    sigma, rng = _noise(noise), make_rng(seed)
    max_shift = check_count("max_shift", max_shift, minimum=0)
    if max_shift > size // 4:
        raise ValueError(f"max_shift must be a whole number in 0..{size // 4} for size {size}, got {max_shift}")
    shapes = [_glyph(kind, size - 2) for kind in range(len(GLYPHS))]
    images, labels = [], []
    for i in range(n_samples):
        kind = i % len(GLYPHS)
        dy, dx = rng.randint(-max_shift, max_shift), rng.randint(-max_shift, max_shift)
        image = [[0.0] * size for _ in range(size)]
        for r, c in shapes[kind]:
            row, column = r + 1 + dy, c + 1 + dx
            if 0 <= row < size and 0 <= column < size:
                image[row][column] = 1.0
        images.append([[[v + rng.gauss(0.0, sigma) for v in row] for row in image]])
        labels.append(kind)
    order = list(range(n_samples))
    rng.shuffle(order)
    return [images[i] for i in order], [labels[i] for i in order]


def make_linearly_separable(
    n_samples: int = 100, n_features: int = 2, margin: float = 0.1, seed: int | None = None
) -> Dataset:
    """Points in [-1, 1]^d on either side of a random hyperplane, none closer to it than ``margin``."""
    n_samples = check_count("n_samples", n_samples)
    n_features = check_count("n_features", n_features)
    margin = check_real("margin", margin, low=0.0, high=0.5)
    rng = make_rng(seed)
    normal = [rng.gauss(0.0, 1.0) for _ in range(n_features)]
    length = math.sqrt(sum(c * c for c in normal))
    normal = [c / length for c in normal]
    offset = rng.uniform(-0.2, 0.2)
    X: list[list[float]] = []
    y: list[int] = []
    while len(X) < n_samples:
        x = [rng.uniform(-1.0, 1.0) for _ in range(n_features)]
        distance = sum(a * b for a, b in zip(normal, x)) + offset
        if abs(distance) >= margin:
            X.append(x)
            y.append(int(distance > 0))
    return X, y


def make_sine_sequence(
    n_steps: int = 50, step: float = 0.3, phase: float = 0.0, noise: float = 0.0, seed: int | None = None
) -> tuple[list[list[float]], list[float]]:
    """Next-step prediction of a sine: inputs [[sin(φ + t·step)]] for t < n_steps, targets sin(φ + (t+1)·step).

    >>> xs, ys = make_sine_sequence(3, step=math.pi / 2)
    >>> [round(x[0], 3) for x in xs], [round(t, 3) for t in ys]
    ([0.0, 1.0, 0.0], [1.0, 0.0, -1.0])
    """
    n_steps = check_count("n_steps", n_steps)
    step, phase = check_real("step", step), check_real("phase", phase)
    sigma, rng = _noise(noise), make_rng(seed)
    wave = [math.sin(phase + t * step) + rng.gauss(0.0, sigma) for t in range(n_steps + 1)]
    return [[v] for v in wave[:-1]], wave[1:]


class CharSequence(NamedTuple):
    """A text as one-hot input vectors and, for each position, the index of the next character."""

    vocabulary: list[str]
    inputs: list[list[float]]
    targets: list[int]

    def decode(self, indices: Sequence[int]) -> str:
        return "".join(self.vocabulary[i] for i in indices)


def make_char_sequence(text: str = "hello world") -> CharSequence:
    """Character-level next-character prediction over ``text`` (vocabulary in sorted order).

    >>> seq = make_char_sequence("abca")
    >>> seq.vocabulary, seq.inputs[0], seq.decode(seq.targets)
    (['a', 'b', 'c'], [1.0, 0.0, 0.0], 'bca')
    """
    if not isinstance(text, str) or len(text) < 2:
        raise ValueError(f"text must be a string of at least 2 characters, got {text!r}")
    vocabulary = sorted(set(text))
    index = {c: i for i, c in enumerate(vocabulary)}
    inputs = [[1.0 if index[c] == i else 0.0 for i in range(len(vocabulary))] for c in text[:-1]]
    return CharSequence(vocabulary, inputs, [index[c] for c in text[1:]])
