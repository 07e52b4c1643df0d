"""Losses, with the same definitions (and mean reduction by default) as PyTorch's, and L2 regularisation.

Every loss takes predictions (Values or numbers) and targets (numbers), and a
``reduction`` of "mean" (the default) or "sum"; call a loss on one sample for its own loss.

>>> from micrograd_plus import Value
>>> mse([Value(1.0), Value(3.0)], [0.0, 0.0]).data
5.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from micrograd_plus import functional as F
from micrograd_plus.engine import Operand, Value, lift

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "hinge", "l2", "mse"]

LOG_FLOOR = -100.0  # PyTorch clamps log(p) at -100 in binary_cross_entropy, so p = 0 or 1 stays finite


def _pairs(
    name: str, preds: Sequence[Operand] | Operand, targets: Sequence[float] | float
) -> list[tuple[Value, float]]:
    """Predictions and targets as aligned lists; a single prediction and target are a batch of one."""
    if isinstance(preds, (Value, int, float)):
        preds = [preds]
    if isinstance(targets, (int, float)):
        targets = [targets]
    if len(preds) != len(targets) or not preds:
        raise ValueError(
            f"{name} needs as many targets as predictions (at least one), got {len(preds)} and {len(targets)}"
        )
    pairs = []
    for p, t in zip(preds, targets):
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise TypeError(f"{name} targets must be finite numbers, got {type(t).__name__} {t!r}")
        pairs.append((lift(p), float(t)))
    return pairs


def _reduce(name: str, losses: list[Value], reduction: str) -> Value:
    if reduction == "mean":
        return F.mean(losses)
    if reduction == "sum":
        return F.sum(losses)
    raise ValueError(f"{name}: unknown reduction {reduction!r}; use 'mean' or 'sum' (or call it per sample)")


def mse(preds: Sequence[Operand] | Operand, targets: Sequence[float] | float, reduction: str = "mean") -> Value:
    """Mean squared error: mean((p - t)²)."""
    return _reduce("mse", [(p - t) ** 2 for p, t in _pairs("mse", preds, targets)], reduction)


def _clamped_log(p: Value) -> Value:
    return p.log() if p.data > math.exp(LOG_FLOOR) else Value(LOG_FLOOR)


def binary_cross_entropy(
    probs: Sequence[Operand] | Operand, targets: Sequence[float] | float, reduction: str = "mean"
) -> Value:
    """-[t·log p + (1 - t)·log(1 - p)] for probabilities p in [0, 1]; each log is clamped at -100 (as PyTorch)."""
    losses = []
    for p, t in _pairs("binary_cross_entropy", probs, targets):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy needs probabilities in [0, 1], got {p.data}; for logits use "
                "binary_cross_entropy_with_logits"
            )
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy targets must be in [0, 1], got {t}")
        losses.append(-(t * _clamped_log(p) + (1.0 - t) * _clamped_log(1.0 - p)))
    return _reduce("binary_cross_entropy", losses, reduction)


def _softplus(z: Value) -> Value:
    """log(1 + e^z), in the branch whose exponent is <= 0: stable for any z, smooth across z = 0."""
    if z.data >= 0.0:
        return z + (1.0 + (-z).exp()).log()
    return (1.0 + z.exp()).log()


def binary_cross_entropy_with_logits(
    logits: Sequence[Operand] | Operand, targets: Sequence[float] | float, reduction: str = "mean"
) -> Value:
    """-[t·log σ(z) + (1 - t)·log(1 - σ(z))] = softplus(z) - t·z, stable for logits of ±1000."""
    losses = []
    for z, t in _pairs("binary_cross_entropy_with_logits", logits, targets):
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits targets must be in [0, 1], got {t}")
        losses.append(_softplus(z) - t * z)
    return _reduce("binary_cross_entropy_with_logits", losses, reduction)


def _one_cross_entropy(logits: Sequence[Operand], target: int) -> Value:
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(logits):
        raise ValueError(f"cross_entropy target_index must be a class index in 0..{len(logits) - 1}, got {target!r}")
    nodes = [lift(z) for z in logits]
    return F.logsumexp(nodes) - nodes[target]  # -log softmax(z)_t = logsumexp(z) - z_t


def cross_entropy(
    logits: Sequence[Operand] | Sequence[Sequence[Operand]],
    target_index: int | Sequence[int],
    reduction: str = "mean",
) -> Value:
    """-log softmax(z)[t], via logsumexp (stable). One sample: a list of logits and an int;
    a batch: a list of such lists and a list of ints.

    >>> round(cross_entropy([2.0, 0.0, -1.0], 0).data, 4)
    0.1698
    """
    if isinstance(target_index, int):
        return _one_cross_entropy(logits, target_index)  # type: ignore[arg-type]
    if len(logits) != len(target_index) or not logits:
        raise ValueError(
            f"cross_entropy needs one target per sample (at least one), got {len(logits)} and {len(target_index)}"
        )
    batch: Sequence[Sequence[Operand]] = logits  # type: ignore[assignment]
    losses = [_one_cross_entropy(z, t) for z, t in zip(batch, target_index)]
    return _reduce("cross_entropy", losses, reduction)


def hinge(scores: Sequence[Operand] | Operand, labels_pm1: Sequence[float] | float, reduction: str = "mean") -> Value:
    """The max-margin loss max(0, 1 - y·s) for labels y = ±1."""
    losses = []
    for s, y in _pairs("hinge", scores, labels_pm1):
        if y not in (-1.0, 1.0):
            raise ValueError(f"hinge labels must be -1 or +1, got {y}; for 0/1 labels pass 2*y - 1")
        losses.append((1.0 - y * s).relu())
    return _reduce("hinge", losses, reduction)


def l2(parameters: Sequence[Value]) -> Value:
    """Σ p² as one ``dot`` node (p·p). SGD's weight_decay=λ matches adding (λ/2)·l2 to the loss."""
    params = list(parameters)
    if not params:
        raise ValueError("l2 needs at least one parameter")
    return F.dot(params, params)
