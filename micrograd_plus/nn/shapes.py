"""Shapes of nested-list images for the convolution and pooling modules: checks, sizes, sliding windows.

An image with C channels is a nested list ``[C][H][W]`` (a 1-D signal ``[C][L]`` is handled as
height 1). The output length along an axis of size n, for kernel k, stride s and padding p, is
⌊(n + 2p − k) / s⌋ + 1, as in PyTorch.

>>> output_length(8, kernel=3, stride=1, padding=0, owner="Conv2d", axis="width")
6
>>> pair("stride", 2), pair("kernel_size", (3, 1))
((2, 2), (3, 1))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Union

from micrograd_plus._validate import as_number, check_count, is_real, shown
from micrograd_plus.engine import Value

__all__ = ["Grid", "Nested", "as_planes", "lift_number", "output_length", "pair", "shape", "windows"]

Nested = Sequence[Union[Value, int, float, "Nested"]]  # numbers or Values nested to any depth
Grid = list[list[list[Value]]]  # [C][H][W]


def pair(name: str, value: object, minimum: int = 1) -> tuple[int, int]:
    """An int n as (n, n), or a pair (a, b) as itself, every entry a whole number >= ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {value!r}")
        return check_count(name, value[0], minimum), check_count(name, value[1], minimum)
    number = check_count(name, value, minimum)
    return number, number


def _is_list(x: object) -> bool:
    return isinstance(x, (list, tuple))


def lift_number(x: object, owner: str, where: str = "") -> Value:
    """A Value as it is, a real number (NumPy scalars and 0-d arrays too) as a constant; else TypeError."""
    if isinstance(x, Value):
        return x
    if not is_real(x):
        raise TypeError(f"{owner} expects numbers or Values, got {shown(x)}{' at ' + where if where else ''}")
    return Value(as_number(x))  # type: ignore[arg-type]


def shape(x: object) -> list[int]:
    """The lengths along the first entries of a nested list: [[1, 2, 3]] -> [1, 3]."""
    dims: list[int] = []
    item: Any = x
    while _is_list(item):
        dims.append(len(item))
        item = item[0] if item else None
    return dims


def as_planes(x: object, depth: int, owner: str, channels: int | None = None) -> Grid:
    """A ``[C][L]`` (depth 2) or ``[C][H][W]`` (depth 3) nested list as ``[C][H][W]`` Values, after checking
    that it is rectangular and, if given, has ``channels`` channels.
    """
    shape_name = "[C][L]" if depth == 2 else "[C][H][W]"
    data: Any = x
    if not _is_list(data) or not data or not all(_is_list(plane) and plane for plane in data):
        raise TypeError(f"{owner} expects one sample as a {shape_name} nested list, got {type(x).__name__} {x!r:.60}")
    planes: list[Any] = [[plane] for plane in data] if depth == 2 else list(data)
    if channels is not None and len(planes) != channels:
        raise ValueError(f"{owner} expects {channels} input channels, got {len(planes)} (input shape {shape(x)})")
    height, width = len(planes[0]), None
    grid: Grid = []
    for c, plane in enumerate(planes):
        if not _is_list(plane) or len(plane) != height:
            raise ValueError(f"{owner} got ragged input: channel {c} has {len(plane)} rows, channel 0 has {height}")
        rows = []
        for r, row in enumerate(plane):
            where = f"channel {c}" + ("" if depth == 2 else f" row {r}")
            if not _is_list(row):
                raise TypeError(f"{owner} expects a {shape_name} nested list; {where} is {row!r:.40}")
            width = len(row) if width is None else width
            if len(row) != width:
                raise ValueError(f"{owner} got ragged input: {where} has {len(row)} values, expected {width}")
            rows.append([lift_number(v, owner, f"{where} position {k}") for k, v in enumerate(row)])
        grid.append(rows)
    return grid


def output_length(size: int, kernel: int, stride: int, padding: int, owner: str, axis: str) -> int:
    """⌊(size + 2·padding − kernel) / stride⌋ + 1; a ValueError if the kernel does not fit the padded input."""
    if kernel > size + 2 * padding:
        raise ValueError(
            f"{owner} kernel {axis} {kernel} is larger than the padded input {axis} {size + 2 * padding} "
            f"(input {size} + 2·{padding} padding); use a smaller kernel or more padding"
        )
    return (size + 2 * padding - kernel) // stride + 1


def windows(
    height: int,
    width: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    owner: str,
    axes: tuple[str, str] = ("height", "width"),
) -> Iterator[tuple[int, int, list[tuple[int, int, int]]]]:
    """For each output position (i, j), row by row: i, j and the in-bounds taps (kernel offset, row, column).

    Taps that fall on the zero padding are left out; the kernel offset is a·kw + b for kernel row a, column b.
    """
    out_h = output_length(height, kernel[0], stride[0], padding[0], owner, axes[0])
    out_w = output_length(width, kernel[1], stride[1], padding[1], owner, axes[1])
    for i in range(out_h):
        top = i * stride[0] - padding[0]
        for j in range(out_w):
            left = j * stride[1] - padding[1]
            taps = [
                (a * kernel[1] + b, top + a, left + b)
                for a in range(kernel[0])
                if 0 <= top + a < height
                for b in range(kernel[1])
                if 0 <= left + b < width
            ]
            yield i, j, taps
