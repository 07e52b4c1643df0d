"""Weight initialisation, named and selectable: He, Xavier (Glorot) and LeCun, each uniform or normal.

Each scheme keeps the variance of the signal (or of the gradient) about constant from layer to layer,
for a layer whose weights see ``fan_in`` inputs and feed ``fan_out`` outputs:

=================  ==================================  ===============================
name               distribution                        variance
=================  ==================================  ===============================
``he_uniform``     U(-a, a), a = √(6 / fan_in)         2 / fan_in (for relu)
``he_normal``      N(0, σ²), σ = √(2 / fan_in)         2 / fan_in
``xavier_uniform`` U(-a, a), a = √(6 / (fan_in+fan_out))  2 / (fan_in + fan_out) (tanh, sigmoid)
``xavier_normal``  N(0, σ²), σ = √(2 / (fan_in+fan_out))  2 / (fan_in + fan_out)
``lecun_uniform``  U(-a, a), a = √(3 / fan_in)         1 / fan_in (linear, selu)
``lecun_normal``   N(0, σ²), σ = √(1 / fan_in)         1 / fan_in
=================  ==================================  ===============================

``he``, ``xavier`` and ``lecun`` alone mean the uniform form. ``auto`` is the library's long-standing
default: ``he_uniform`` for relu-type activations, ``lecun_uniform`` for any other. For a neuron
``fan_in = n_in``; for a convolution ``fan_in = in_channels · kernel area`` and
``fan_out = out_channels · kernel area``.

>>> import random
>>> init_scale("he_uniform", fan_in=6)
('uniform', 1.0)
>>> init_scale("auto", fan_in=3, activation="tanh")
('uniform', 1.0)
>>> len(draw_weights(random.Random(0), 4, "xavier_normal", fan_in=2, fan_out=2))
4
"""

from __future__ import annotations

import math
import random

__all__ = ["INITS", "check_init", "draw_weights", "init_scale"]

INITS = (
    "auto",
    "he",
    "he_uniform",
    "he_normal",
    "xavier",
    "xavier_uniform",
    "xavier_normal",
    "lecun",
    "lecun_uniform",
    "lecun_normal",
)

# scheme -> (numerator of the variance, whether fan_out counts): variance = numerator / (fan_in [+ fan_out])
_VARIANCE = {"he": (2.0, False), "xavier": (2.0, True), "lecun": (1.0, False)}


def check_init(init: object) -> str:
    """``init`` itself if it names a scheme; otherwise a ValueError listing the choices."""
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(map(repr, INITS))}")
    return init


def init_scale(init: str, fan_in: int, fan_out: int = 1, activation: str = "linear") -> tuple[str, float]:
    """('uniform', a) for U(-a, a) or ('normal', σ) for N(0, σ²): the scheme ``init`` for these fans.

    A uniform U(-a, a) has variance a²/3, so a = √(3·numerator / fans); a normal has σ = √(numerator / fans).
    """
    check_init(init)
    if init == "auto":
        init = "he_uniform" if "relu" in activation else "lecun_uniform"
    scheme, _, shape = init.partition("_")
    numerator, counts_fan_out = _VARIANCE[scheme]
    fans = fan_in + fan_out if counts_fan_out else fan_in
    if shape == "normal":
        return "normal", math.sqrt(numerator / fans)
    return "uniform", math.sqrt(3.0 * numerator / fans)  # 3·2 = 6 exactly, so he_uniform is √(6 / fan_in)


def draw_weights(
    rng: random.Random, count: int, init: str, fan_in: int, fan_out: int = 1, activation: str = "linear"
) -> list[float]:
    """``count`` weights drawn from ``rng`` by the scheme ``init`` (see ``init_scale``), in order."""
    shape, scale = init_scale(init, fan_in, fan_out, activation)
    if shape == "normal":
        return [rng.gauss(0.0, scale) for _ in range(count)]
    return [rng.uniform(-scale, scale) for _ in range(count)]
