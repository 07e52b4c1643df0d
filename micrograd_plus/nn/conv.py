"""Convolution from scalar nodes: ``Conv1d`` and ``Conv2d``, each output element one ``dot`` node.

A 2-D convolution layer computes, for output channel o at position (i, j),

    out[o][i][j] = b[o] + Σ_c Σ_a Σ_b  w[o][c][a][b] · x[c][i·s_h − p_h + a][j·s_w − p_w + b]

which is a cross-correlation (the kernel is not flipped), as in PyTorch; flipping a learned kernel
would only relabel its weights, so the name convolution stays. The same kernel weight w[o][c][a][b]
is an operand of every output position's ``dot`` node: its gradient is the sum of what each position
passes back (weight sharing).

Zero padding is not materialised: taps that fall on the padding contribute 0 · w and are left out of
the ``dot`` node, so an edge position's node has fewer operands (and its drawing no constant zeros).

Modules take **one sample per call**, like ``Neuron``: ``[C][L]`` (Conv1d) or ``[C][H][W]`` (Conv2d)
nested lists of numbers or Values; loop over a batch. Each call records its scope (``Conv2d`` and,
inside it, ``position (i, j)`` per output position), so drawings can cluster or collapse them.

Weights start by ``init`` (default ``"he_uniform"``, the usual choice before a relu; ``"auto"``
means LeCun uniform here, as a convolution has no activation of its own) with
fan_in = in_channels · kernel area and fan_out = out_channels · kernel area; biases start at 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import check_count
from micrograd_plus.engine import Value
from micrograd_plus.nn.init import check_init, draw_weights
from micrograd_plus.nn.layers import Seed
from micrograd_plus.nn.module import Module, make_rng, scoped
from micrograd_plus.nn.shapes import Grid, Nested, as_planes, pair, windows

__all__ = ["Conv1d", "Conv2d", "correlate"]


def correlate(
    planes: Grid,
    kernels: list[list[Value]],
    biases: list[Value],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    owner: str,
    position: Callable[[int, int], str],
    axes: tuple[str, str] = ("height", "width"),
) -> Grid:
    """The cross-correlation of ``planes`` ([C][H][W]) with each flat kernel (offsets c·kh·kw + a·kw + b),
    one ``F.affine`` node per output element, under the scope ``position(i, j)``; returns [out][H'][W'].
    """
    height, width = len(planes[0]), len(planes[0][0])
    area = kernel[0] * kernel[1]
    out: Grid = [[] for _ in kernels]
    for i, j, taps in windows(height, width, kernel, stride, padding, owner, axes):
        xs = [planes[c][r][k] for c in range(len(planes)) for _, r, k in taps]
        x_data = [v.data for v in xs]
        full = len(taps) == area  # no tap on the padding: every kernel weight takes part
        offsets = [] if full else [c * area + t for c in range(len(planes)) for t, _, _ in taps]
        with scoped(position(i, j)):
            for o, (weights, bias) in enumerate(zip(kernels, biases)):
                ws = weights if full else [weights[t] for t in offsets]
                if j == 0:
                    out[o].append([])
                out[o][-1].append(F.affine(ws, xs, bias, x_data))
    return out


def _kernel_weights(
    rng_seed: Seed, out_channels: int, in_channels: int, area: int, init: str
) -> tuple[list[list[Value]], list[Value]]:
    """Flat kernels [out][in·area] drawn in the order (o, c, a, b), and zero biases."""
    rng = make_rng(rng_seed)
    fan_in, fan_out = in_channels * area, out_channels * area
    check_init(init)
    flat = [[Value(w) for w in draw_weights(rng, fan_in, init, fan_in, fan_out)] for _ in range(out_channels)]
    return flat, [Value(0.0) for _ in range(out_channels)]


class Conv2d(Module):
    """out[o][i][j] = b[o] + Σ_{c,a,b} w[o][c][a][b] · x[c][i·s + a − p][j·s + b − p], one ``dot`` node each.

    >>> conv = Conv2d(1, 2, kernel_size=3, seed=0)
    >>> out = conv([[[1.0] * 5 for _ in range(5)]])
    >>> len(out), len(out[0]), len(out[0][0]), out[0][0][0].op
    (2, 3, 3, 'dot')
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        init: str = "he_uniform",
        seed: Seed = None,
    ) -> None:
        self.in_channels = n_in = check_count("in_channels", in_channels)
        self.out_channels = check_count("out_channels", out_channels)
        self.kernel_size, self.stride = pair("kernel_size", kernel_size), pair("stride", stride)
        self.padding = pair("padding", padding, minimum=0)
        kh, kw = self.kernel_size
        self._kernels, bias = _kernel_weights(seed, self.out_channels, n_in, kh * kw, init)
        # weight[o][c][a][b] holds the same Value objects as the flat kernels used by the dot nodes
        self.weight = [
            [[flat[c * kh * kw + a * kw : c * kh * kw + (a + 1) * kw] for a in range(kh)] for c in range(n_in)]
            for flat in self._kernels
        ]
        self.bias = bias

    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
        }

    def __call__(self, x: Nested) -> list[list[list[Value]]]:
        """One sample [C][H][W] -> [out_channels][H'][W'] with H' = ⌊(H + 2p − k) / s⌋ + 1."""
        planes = as_planes(x, 3, "Conv2d", self.in_channels)
        with scoped(self):
            return correlate(
                planes,
                self._kernels,
                self.bias,
                self.kernel_size,
                self.stride,
                self.padding,
                "Conv2d",
                lambda i, j: f"position ({i}, {j})",
            )


class Conv1d(Module):
    """out[o][t] = b[o] + Σ_{c,k} w[o][c][k] · x[c][t·s + k − p], one ``dot`` node per output element.

    >>> conv = Conv1d(2, 1, kernel_size=2, stride=2, seed=0)
    >>> [len(channel) for channel in conv([[1, 2, 3, 4], [5, 6, 7, 8]])]
    [2]
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        init: str = "he_uniform",
        seed: Seed = None,
    ) -> None:
        self.in_channels = n_in = check_count("in_channels", in_channels)
        self.out_channels = check_count("out_channels", out_channels)
        self.kernel_size = k = check_count("kernel_size", kernel_size)
        self.stride = check_count("stride", stride)
        self.padding = check_count("padding", padding, minimum=0)
        self._kernels, bias = _kernel_weights(seed, self.out_channels, n_in, k, init)
        self.weight = [[flat[c * k : (c + 1) * k] for c in range(n_in)] for flat in self._kernels]
        self.bias = bias

    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
        }

    def __call__(self, x: Nested) -> list[list[Value]]:
        """One sample [C][L] -> [out_channels][L'] with L' = ⌊(L + 2p − k) / s⌋ + 1."""
        planes = as_planes(x, 2, "Conv1d", self.in_channels)
        with scoped(self):
            out = correlate(
                planes,
                self._kernels,
                self.bias,
                (1, self.kernel_size),
                (1, self.stride),
                (0, self.padding),
                "Conv1d",
                lambda i, j: f"position {j}",
                ("height", "length"),
            )
        return [channel[0] for channel in out]
