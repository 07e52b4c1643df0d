"""The attention pattern of a GPT for one sequence, one heat map per head (matplotlib, the ``plot`` extra).

Row t of a head's map is the softmax a_tτ = softmax_τ(q_t·k_τ / √head_dim) over the positions τ ≤ t that
position t may attend to; the cells above the diagonal (the future) are left blank. Each row sums to 1, so
a dark cell at (t, τ) says that the output at t is mostly the value of the token at τ.

>>> from micrograd_plus.nn import GPT
>>> model = GPT(vocab_size=5, n_embd=4, n_head=2, block_size=4, seed=0)
>>> rows = attention_matrices(model, [4, 0, 1])[0]   # layer 0, head 0
>>> [len(row) for row in rows], [round(sum(v for v in row if v == v), 6) for row in rows]
([3, 3, 3], [1.0, 1.0, 1.0])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from micrograd_plus._validate import check_count, shown

__all__ = ["attention_figure", "attention_matrices"]


def attention_matrices(model: Any, tokens: Sequence[int], layer: int = 0) -> list[list[list[float]]]:
    """Each head's t × t attention weights of ``layer`` over ``tokens``, NaN above the diagonal (not attended)."""
    if not hasattr(model, "attention_weights") or not hasattr(model, "n_layer"):
        raise TypeError(f"attention_matrices needs a GPT (with attention_weights), got {shown(model)}")
    layer = check_count("layer", layer, minimum=0)
    if layer >= model.n_layer:
        raise ValueError(
            f"layer must be in 0..{model.n_layer - 1} (the model has n_layer = {model.n_layer}), got {layer}"
        )
    heads = model.attention_weights(tokens)[layer]
    n = len(tokens)
    return [[row + [math.nan] * (n - len(row)) for row in head] for head in heads]


def attention_figure(
    model: Any, tokens: Sequence[int], labels: Sequence[str] | None = None, layer: int = 0, title: str = ""
) -> Any:
    """A matplotlib Figure: one heat map per head of ``layer``, rows the position attending (query), columns the
    position attended to (key), with ``labels`` (one text per token: the characters, "BOS") on both axes."""
    matrices = attention_matrices(model, tokens, layer)
    names = [str(t) for t in tokens] if labels is None else [str(label) for label in labels]
    if len(names) != len(tokens):
        raise ValueError(f"labels must name each of the {len(tokens)} tokens, got {len(names)} labels")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("attention_figure draws with matplotlib: pip install 'micrograd_plus[plot]'") from None
    n_head = len(matrices)
    side = 0.32 * len(tokens) + 1.2
    figure = Figure(figsize=(side * n_head + 0.8, side + 0.6), layout="constrained")
    axes = figure.subplots(1, n_head, squeeze=False)[0]
    images = []
    for h, (ax, matrix) in enumerate(zip(axes, matrices)):
        images.append(ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0))
        ax.set_title(f"head {h}", fontsize=10)
        ax.set_xticks(range(len(names)), names, fontsize=8)
        ax.set_yticks(range(len(names)), names if h == 0 else [], fontsize=8)
        ax.set_xlabel("attends to (key)", fontsize=8)
        if h == 0:
            ax.set_ylabel("position (query)", fontsize=8)
    figure.colorbar(images[0], ax=list(axes), shrink=0.8, label="attention weight")
    figure.suptitle(title or f"attention of layer {layer}, per head", fontsize=11)
    return figure
