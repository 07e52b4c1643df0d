"""Losses, with the same definitions (and mean reduction by default) as PyTorch's, and L2 regularisation.

Every loss takes predictions (Values or numbers) and targets (numbers), and a
``reduction`` of "mean" (the default) or "sum"; call a loss on one sample for its own loss.

>>> from micrograd_plus import Value
>>> mse([Value(1.0), Value(3.0)], [0.0, 0.0]).data
5.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import as_number, check_real, is_real, is_whole, shown
from micrograd_plus.engine import Operand, Value
from micrograd_plus.ops import define_op, fn
from micrograd_plus.tracing import DataFloat, check_data

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "hinge", "l2", "mse"]


def _probability(t: float) -> bool:
    return 0.0 <= t <= 1.0


def _number(t: Any) -> Any:
    return t.data if isinstance(t, Value) else t


def _plus_minus_one(y: float) -> bool:
    return y in (-1.0, 1.0)


LOG_FLOOR = -100.0  # PyTorch clamps log(p) at -100 in binary_cross_entropy, so p = 0 or 1 stays finite
# PyTorch's binary_cross_entropy backward divides by max(p·(1 - p), EPSILON), EPSILON = 1e-12 as a float32
GRAD_FLOOR = 9.999999960041972e-13


def _as_list(name: str, what: str, xs: object) -> list[object]:
    """A list from any iterable of items (a generator is read once); TypeError naming the argument otherwise."""
    if isinstance(xs, (list, tuple)):
        return list(xs)
    if isinstance(xs, (str, bytes, Mapping)) or not isinstance(xs, Iterable):
        raise TypeError(f"{name} {what} must be a number or a list of them, got {shown(xs)}")
    return list(xs)


def _lift(what: str, k: int, x: object) -> Value:
    """A prediction as a Value: a Value as it is, a finite real number (NumPy ones too) as a constant."""
    if isinstance(x, Value):
        return x
    if not is_real(x):
        raise TypeError(f"{what} {k} must be a Value or a number, got {shown(x)}")
    return Value(check_real(f"{what} {k}", x))


def _pairs(name: str, preds: Iterable[Operand] | Operand, targets: Iterable[float] | float) -> list[tuple[Value, Any]]:
    """Predictions and targets as aligned lists; a single prediction and target are a batch of one.

    A target may be a Value leaf (a replayed training step passes its data that way); it stays in the graph.
    """
    pred_list = [preds] if isinstance(preds, Value) or is_real(preds) else _as_list(name, "predictions", preds)
    target_list = [targets] if isinstance(targets, Value) or is_real(targets) else _as_list(name, "targets", targets)
    if len(pred_list) != len(target_list) or not pred_list:
        raise ValueError(
            f"{name} needs as many targets as predictions (at least one), got {len(pred_list)} and {len(target_list)}"
        )
    pairs: list[tuple[Value, Any]] = []
    for k, (p, t) in enumerate(zip(pred_list, target_list)):
        prediction = _lift(f"{name} prediction", k, p)
        if isinstance(t, Value) and not t.parents:
            pairs.append((prediction, t))
            continue
        if not is_real(t):
            raise TypeError(f"{name} targets must be finite numbers, got {shown(t)}")
        pairs.append((prediction, check_real(f"{name} target {k}", t)))
    return pairs


def _reduce(name: str, losses: list[Value], reduction: str) -> Value:
    if reduction == "mean":
        return F.mean(losses)
    if reduction == "sum":
        return F.sum(losses)
    raise ValueError(f"{name}: unknown reduction {reduction!r}; use 'mean' or 'sum' (or call it per sample)")


def mse(preds: Iterable[Operand] | Operand, targets: Iterable[float] | float, reduction: str = "mean") -> Value:
    """Mean squared error: mean((p - t)²)."""
    return _reduce("mse", [(p - t) ** 2 for p, t in _pairs("mse", preds, targets)], reduction)


def _clamped_logs(p: float) -> tuple[float, float]:
    """(log p, log(1 - p)), each clamped at -100 as PyTorch does; log1p(-p) where p(1 - p) is below 1e-12."""
    if p * (1.0 - p) >= GRAD_FLOOR:  # both logs are above -28: no clamp is active
        return math.log(p), math.log(1.0 - p)
    log_p = max(math.log(p), LOG_FLOOR) if p > 0.0 else LOG_FLOOR
    log_q = max(math.log1p(-p), LOG_FLOOR) if p < 1.0 else LOG_FLOOR
    return log_p, log_q


def _bce_forward(p: float, t: float) -> float:
    log_p, log_q = _clamped_logs(p)
    return -(t * log_p + (1.0 - t) * log_q)


def _bce_derivatives(p: Any, t: Any, out: Any) -> tuple[Any, Any]:
    """PyTorch's: d/dp = (p - t) / max(p(1 - p), 1e-12); d/dt = log(1 - p) - log p, both logs clamped."""
    x = p.data if isinstance(p, Value) else p
    log_p, log_q = _clamped_logs(x)
    if x * (1.0 - x) >= GRAD_FLOOR:  # the formula's own derivatives, differentiable again
        return (p - t) / (p * (1.0 - p)), fn.log(1.0 - p) - fn.log(p)
    return (p - t) * (1.0 / GRAD_FLOOR), log_q - log_p


# One node per sample, so every fast path takes PyTorch's clamped form per sample, as eager mode does
_BCE = define_op("binary_cross_entropy", _bce_forward, _bce_derivatives, arity=2, register=False)


def binary_cross_entropy(
    probs: Iterable[Operand] | Operand, targets: Iterable[float] | float, reduction: str = "mean"
) -> Value:
    """-[t·log p + (1 - t)·log(1 - p)] for probabilities p in [0, 1]; each log is clamped at -100 (as PyTorch).

    The gradient is PyTorch's too, (p - t) / max(p·(1 - p), 1e-12): a confident
    wrong prediction (p = 0 for t = 1) still gets a learning signal, -1e12.

    >>> p = Value(0.0)
    >>> loss = binary_cross_entropy(p, 1.0)
    >>> loss.backward()
    >>> loss.data, f"{p.grad:.6g}"
    (100.0, '-1e+12')
    """
    losses = []
    for p, t in _pairs("binary_cross_entropy", probs, targets):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy needs probabilities in [0, 1], got {p.data}; for logits use "
                "binary_cross_entropy_with_logits"
            )
        if not check_data(_number(t), _probability):
            raise ValueError(f"binary_cross_entropy targets must be in [0, 1], got {t}")
        losses.append(_BCE(p, t))
    return _reduce("binary_cross_entropy", losses, reduction)


def binary_cross_entropy_with_logits(
    logits: Iterable[Operand] | Operand, targets: Iterable[float] | float, reduction: str = "mean"
) -> Value:
    """-[t·log σ(z) + (1 - t)·log(1 - σ(z))] = softplus(z) - t·z, stable for logits of ±1000."""
    losses = []
    for z, t in _pairs("binary_cross_entropy_with_logits", logits, targets):
        if not check_data(_number(t), _probability):
            raise ValueError(f"binary_cross_entropy_with_logits targets must be in [0, 1], got {t}")
        losses.append(fn.softplus(z) - t * z)  # softplus(z) = log(1 + e^z), one stable node
    return _reduce("binary_cross_entropy_with_logits", losses, reduction)


def _one_cross_entropy(logits: object, target: object) -> Value:
    if isinstance(logits, (Value, str, bytes)) or is_real(logits) or not isinstance(logits, Iterable):
        raise TypeError(
            f"cross_entropy: a sample's logits must be a list of numbers, got {shown(logits)}; for one sample "
            "pass its logits and one class index, for a batch a list of logit lists and a list of class indices"
        )
    nodes = [_lift("cross_entropy logit", k, z) for k, z in enumerate(logits)]
    index = int(as_number(target)) if is_whole(target) else -1  # type: ignore[call-overload]
    if not 0 <= index < len(nodes):
        hint = (  # Replay(index_data=True) hands ints over as data numbers, but a class index is structure
            "; a class index picks which logit the loss reads, so under Replay make it without index_data=True, or "
            "pass a one-hot target and write the loss as logsumexp(z) - dot(one_hot, z)"
            if type(target) is DataFloat
            else ""
        )
        raise ValueError(
            f"cross_entropy target_index must be a class index (a whole number) in 0..{len(nodes) - 1}, "
            f"got {shown(target)}{hint}"
        )
    return F.logsumexp(nodes) - nodes[index]  # -log softmax(z)_t = logsumexp(z) - z_t


def cross_entropy(
    logits: Iterable[Operand] | Iterable[Iterable[Operand]],
    target_index: int | Iterable[int],
    reduction: str = "mean",
) -> Value:
    """-log softmax(z)[t], via logsumexp (stable). One sample: a list of logits and an int;
    a batch: a list of such lists and a list of ints.

    >>> round(cross_entropy([2.0, 0.0, -1.0], 0).data, 4)
    0.1698
    """
    if is_whole(target_index):
        return _one_cross_entropy(logits, target_index)
    targets = _as_list("cross_entropy", "target_index", target_index)
    batch = _as_list("cross_entropy", "logits", logits)
    if len(batch) != len(targets) or not batch:
        raise ValueError(
            f"cross_entropy needs one target per sample (at least one), got {len(batch)} logit lists and "
            f"{len(targets)} class indices"
        )
    losses = [_one_cross_entropy(z, t) for z, t in zip(batch, targets)]
    return _reduce("cross_entropy", losses, reduction)


def hinge(scores: Iterable[Operand] | Operand, labels_pm1: Iterable[float] | float, reduction: str = "mean") -> Value:
    """The max-margin loss max(0, 1 - y·s) for labels y = ±1."""
    losses = []
    for s, y in _pairs("hinge", scores, labels_pm1):
        if not (y == 1.0 or y == -1.0 if type(y) is float else check_data(_number(y), _plus_minus_one)):
            raise ValueError(f"hinge labels must be -1 or +1, got {y}; for 0/1 labels pass 2*y - 1")
        losses.append((1.0 - y * s).relu())
    return _reduce("hinge", losses, reduction)


def l2(parameters: Iterable[Value]) -> Value:
    """Σ p² as one ``dot`` node (p·p). SGD's weight_decay=λ matches adding (λ/2)·l2 to the loss."""
    params: list[Value] = _as_list("l2", "parameters", parameters)  # type: ignore[assignment]
    if not params:
        raise ValueError("l2 needs at least one parameter")
    return F.dot(params, params)
