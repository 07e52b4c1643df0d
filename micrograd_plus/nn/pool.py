"""Pooling and reshaping for convolutional networks: ``MaxPool1d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``.

Like the convolutions they take one sample per call (``[C][L]`` or ``[C][H][W]``) and pool each
channel on its own, with stride defaulting to the kernel size (non-overlapping windows), as PyTorch.

Max pooling passes the largest input of each window through unchanged, so its derivative is 1 for
that input and 0 for the others. The winner is picked in Python (the first largest, in row-major
order, as PyTorch picks it) and returned through a one-operand ``sum`` node: a public op with
local derivative 1 that backward, drawing, explaining and compiled replay all know. Padding never
wins (PyTorch pads max pooling with −∞) and counts as zeros for average pooling (PyTorch's
``count_include_pad=True``): the average divides by the full kernel area.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus import ops
from micrograd_plus._validate import check_count
from micrograd_plus.engine import Value, apply
from micrograd_plus.nn.module import Module, scoped
from micrograd_plus.nn.shapes import Grid, Nested, as_planes, lift_number, pair, windows

__all__ = ["AvgPool2d", "Flatten", "MaxPool1d", "MaxPool2d"]

Reducer = Callable[[list[Value]], Value]


def _max(window: list[Value]) -> Value:
    """max(window) as one ``max`` node: d(max)/d(winner) = 1, 0 for the rest, decided on each evaluation."""
    return apply(ops.MAX, *window)


def _mean_with_padding(area: int) -> Reducer:
    def average(window: list[Value]) -> Value:
        if len(window) == area:
            return F.mean(window)
        return F.sum(window) * (1.0 / area)  # the padded zeros count in the divisor

    return average


class _Pool2d(Module):
    """Shared by the pools: kernel, stride (default: the kernel), padding at most half the kernel."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        self.kernel_size = pair("kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else pair("stride", stride)
        self.padding = pair("padding", padding, minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{type(self).__name__} padding {self.padding} must be at most half the kernel size "
                f"{self.kernel_size}, or a window could hold only padding"
            )

    def config(self) -> dict[str, Any]:
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride), "padding": list(self.padding)}

    def pool(self, planes: Grid, reduce: Reducer, axes: tuple[str, str] = ("height", "width")) -> Grid:
        """``reduce`` of each window of each channel: [C][H][W] -> [C][H'][W']."""
        height, width = len(planes[0]), len(planes[0][0])
        name = type(self).__name__
        out: Grid = [[] for _ in planes]
        with scoped(self):
            for _, j, taps in windows(height, width, self.kernel_size, self.stride, self.padding, name, axes):
                for c, plane in enumerate(planes):
                    if j == 0:
                        out[c].append([])
                    out[c][-1].append(reduce([plane[r][k] for _, r, k in taps]))
        return out


class MaxPool2d(_Pool2d):
    """out[c][i][j] = max of x[c] over the kernel window at (i·s − p, j·s − p).

    >>> pool = MaxPool2d(2)
    >>> [[v.data for v in row] for row in pool([[[1, 2, 0, 0], [3, 4, 0, 5], [0, 0, 0, 0], [0, 0, 0, 0]]])[0]]
    [[4.0, 5.0], [0.0, 0.0]]
    """

    def __call__(self, x: Nested) -> Grid:
        return self.pool(as_planes(x, 3, "MaxPool2d"), _max)


class AvgPool2d(_Pool2d):
    """out[c][i][j] = (1 / (kh·kw)) Σ x[c] over the kernel window (padding counts as zeros).

    >>> pool = AvgPool2d(2)
    >>> [[v.data for v in row] for row in pool([[[1, 2], [3, 6]]])[0]]
    [[3.0]]
    """

    def __call__(self, x: Nested) -> Grid:
        area = self.kernel_size[0] * self.kernel_size[1]
        return self.pool(as_planes(x, 3, "AvgPool2d"), _mean_with_padding(area))


class MaxPool1d(_Pool2d):
    """out[c][t] = max of x[c][t·s − p : t·s − p + k].

    >>> [[v.data for v in channel] for channel in MaxPool1d(2)([[1, 3, 2, 0]])]
    [[3.0, 2.0]]
    """

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        kernel = check_count("kernel_size", kernel_size)
        steps = None if stride is None else (1, check_count("stride", stride))
        super().__init__((1, kernel), steps, (0, check_count("padding", padding, minimum=0)))

    def config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size[1], "stride": self.stride[1], "padding": self.padding[1]}

    def __call__(self, x: Nested) -> list[list[Value]]:
        out = self.pool(as_planes(x, 2, "MaxPool1d"), _max, ("height", "length"))
        return [channel[0] for channel in out]


class Flatten(Module):
    """Nested lists of any depth to one flat list, in row-major order: [C][H][W] -> [C·H·W].

    >>> [v.data for v in Flatten()([[[1, 2], [3, 4]]])]
    [1.0, 2.0, 3.0, 4.0]
    """

    def __call__(self, x: Nested) -> list[Value]:
        flat: list[Value] = []
        stack: list[Any] = [x]
        while stack:  # depth-first, left to right
            item = stack.pop()
            if isinstance(item, (list, tuple)):
                stack.extend(reversed(item))
            else:
                flat.append(lift_number(item, "Flatten"))
        return flat
