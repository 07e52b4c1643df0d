"""The registry's ops on NumPy arrays: what the batched replay (:mod:`micrograd_plus.compile.batched`) runs.

Every form is keyed by the registry's ``Op`` object (a parametrised op by its ``family``, the
factory that made it, and its ``param``), never by a name. An elementwise op's forward takes one
array per operand; a reduction (sum, mean, dot, logsumexp) takes one array ``X`` of shape
``(k, n, B)``: k nodes, n operands each, B samples, and gives ``(k, B)``.

Local derivatives are the registry's own rules, run on :class:`Lanes`, an ndarray whose ``fn``
calls (``fn.step``, ``fn.cos``, ...) use the forms here: the rule written once in
:mod:`micrograd_plus.ops` runs on arrays as it runs on floats. Branching ops (relu, abs,
leaky_relu, step, sign, the two-branch sigmoid) branch per element with ``np.where``.

An op without an array form (one of ``define_op``) runs element by element through its checked
float forward and rule (``np.frompyfunc``): correct, with the engine's messages, and slow.

>>> import numpy as np
>>> from micrograd_plus import ops
>>> x = np.array([[-1.0, 2.0]])
>>> forward(ops.RELU)(x).tolist(), derivatives(ops.RELU, [x], forward(ops.RELU)(x))[0].tolist()
([[0.0, 2.0]], [[0.0, 1.0]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np  # micrograd_plus.compile.batched, the entry point, says how to install it when it is missing

from micrograd_plus import ops

__all__ = ["REDUCTIONS", "Lanes", "derivatives", "forward", "has_form"]

Array = Any  # a float64 ndarray


def _sigmoid(x: Array) -> Array:
    e = np.exp(-np.abs(x))  # the two branches of ops._sigmoid: 1/(1 + e^-x) for x >= 0, e^x/(1 + e^x) below
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: Array) -> Array:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _xlogy(a: Array, b: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a == 0.0, 0.0, a * np.log(b))


ELEMENTWISE: dict[ops.Op, Callable[..., Array]] = {
    ops.ADD: np.add,
    ops.SUB: np.subtract,
    ops.MUL: np.multiply,
    ops.DIV: np.divide,
    ops.POW: np.power,
    ops.NEG: np.negative,
    ops.SIGN: np.sign,
    ops.ABS: np.abs,
    ops.EXP: np.exp,
    ops.LOG: np.log,
    ops.SQRT: np.sqrt,
    ops.RELU: lambda x: np.where(x > 0.0, x, 0.0),
    ops.TANH: np.tanh,
    ops.SIGMOID: _sigmoid,
    ops.SOFTPLUS: _softplus,
    ops.SIN: np.sin,
    ops.COS: np.cos,
    ops.TAN: np.tan,
    ops.ARCSIN: np.arcsin,
    ops.ARCCOS: np.arccos,
    ops.ARCTAN: np.arctan,
    ops.SINH: np.sinh,
    ops.COSH: np.cosh,
    ops.LOG1P: np.log1p,
    ops.EXPM1: np.expm1,
    ops.ATAN2: np.arctan2,
    ops.XLOGY: _xlogy,
}


def _power(k: float) -> Callable[[Array], Array]:
    return lambda x: np.power(x, k)


def _leaky_relu(slope: float) -> Callable[[Array], Array]:
    return lambda x: np.where(x > 0.0, x, slope * x)


def _step(param: tuple[float, float]) -> Callable[[Array], Array]:
    above, below = param
    return lambda x: np.where(x > 0.0, above, below)


FAMILIES: dict[Callable[..., ops.Op], Callable[[Any], Callable[..., Array]]] = {
    ops.power: _power,
    ops.leaky_relu: _leaky_relu,
    ops.step: _step,
}


# -- reductions: X has shape (k nodes, n operands, B samples) -------------------------------------------


def _dot(X: Array) -> Array:
    n = X.shape[1] // 2
    total = np.einsum("knb,knb->kb", X[:, :n], X[:, n : 2 * n])
    return total + X[:, -1] if X.shape[1] % 2 else total


def _dot_derivatives(X: Array, out: Array) -> Array:
    n = X.shape[1] // 2
    parts = [X[:, n : 2 * n], X[:, :n]]  # d/dw_i = x_i, d/dx_i = w_i, d/db = 1
    if X.shape[1] % 2:
        parts.append(np.ones_like(X[:, :1]))
    return np.concatenate(parts, axis=1)


def _logsumexp(X: Array) -> Array:
    m = X.max(axis=1)
    return m + np.log(np.exp(X - m[:, None]).sum(axis=1))


def _max_derivatives(X: Array, out: Array) -> Array:
    winners = X.argmax(axis=1)  # the first largest operand of each node and sample, as the scalar rule
    D = np.zeros_like(X)
    np.put_along_axis(D, winners[:, None, :], 1.0, axis=1)
    return D


REDUCTIONS: dict[ops.Op, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    ops.SUM: (lambda X: X.sum(axis=1), lambda X, out: np.ones_like(X)),
    ops.MEAN: (lambda X: X.sum(axis=1) / X.shape[1], lambda X, out: np.full_like(X, 1.0 / X.shape[1])),
    ops.DOT: (_dot, _dot_derivatives),
    ops.LOGSUMEXP: (_logsumexp, lambda X, out: np.exp(X - out[:, None])),
    ops.MAX: (lambda X: X.max(axis=1), _max_derivatives),
}


def _form(op: ops.Op) -> Callable[..., Array] | None:
    if op.family is not None:
        make = FAMILIES.get(op.family)
        return None if make is None else make(op.param)
    return ELEMENTWISE.get(op)


_found: dict[ops.Op, Callable[..., Array] | None] = {}
FOUND_LIMIT = 512  # family entries (each exponent of x ** n) come and go: the cache of forms starts over past this


def has_form(op: ops.Op) -> bool:
    """True when ``op`` runs as whole-array operations (otherwise element by element)."""
    if op not in _found:
        if len(_found) >= FOUND_LIMIT:
            _found.clear()
        _found[op] = _form(op)
    return _found[op] is not None or op in REDUCTIONS


class Lanes(np.ndarray):
    """An ndarray that the registry's ``fn`` functions accept: ``fn.cos(lanes)`` is the array form of cos."""

    @classmethod
    def apply_op(cls, op: ops.Op, *args: Any) -> Lanes:
        form = _found[op] if op in _found else _form(op)
        if form is None:
            raise TypeError(f"op {op.name!r} has no array form, so a derivative rule using it cannot run on arrays")
        result: Lanes = np.asarray(form(*[np.asarray(a) for a in args])).view(cls)
        return result


def _each(op: ops.Op, n_operands: int) -> tuple[Callable[..., Array], Callable[..., Any]]:
    """The checked float forward and rule of ``op``, applied element by element."""
    one = np.frompyfunc(lambda *xs: op.evaluate(*xs), n_operands, 1)
    rule = np.frompyfunc(lambda *a: op.local_grads(a[:-1], a[-1]), n_operands + 1, 1)

    def grads(*arrays: Array) -> list[Array]:
        tuples = rule(*arrays)  # an object array of tuples
        return [np.frompyfunc(lambda t, j=j: t[j], 1, 1)(tuples).astype(float) for j in range(n_operands)]

    return (lambda *xs: one(*xs).astype(float)), grads


def forward(op: ops.Op, n_operands: int = 1) -> Callable[..., Array]:
    """``op`` on arrays: one array per operand (a reduction: one (k, n, B) array), giving one array."""
    if op in REDUCTIONS:
        return REDUCTIONS[op][0]
    if has_form(op):
        form = _found[op]
        if form is not None:
            return form
    return _each(op, n_operands)[0]


def derivatives(op: ops.Op, xs: Sequence[Array], out: Array) -> list[Any]:
    """The local derivatives of ``op`` on arrays, one per operand (a reduction: one (k, n, B) array).

    Built-in ops run their registry rule on ``Lanes``; a result may be a plain number (a constant derivative).
    """
    if op in REDUCTIONS:
        return [REDUCTIONS[op][1](xs[0], out)]
    if not has_form(op):
        found: list[Any] = _each(op, len(xs))[1](*xs, out)
        return found
    rule = op.derivatives
    if rule is None:
        raise ValueError(f"op {op.name!r} was recorded with Value.from_op and has no derivative rule")
    return list(rule(*[np.asarray(x).view(Lanes) for x in xs], np.asarray(out).view(Lanes)))
