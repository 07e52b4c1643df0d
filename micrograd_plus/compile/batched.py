"""Batched replay: one sample's recorded graph, replayed over a whole batch as NumPy array operations.

Record the loss of ONE sample, with a leaf per data input; ``vectorize`` turns that graph into a
few array operations per level (see :mod:`micrograd_plus.compile.batched_schedule`: the neurons of a layer
become one matrix product). Each data leaf then takes a whole column of B values, and
``value_and_grad`` gives the mean (or sum) over the batch of the per-sample loss and its gradient
with respect to each parameter, with no graph of B samples ever built.

A term that depends only on the parameters (``1e-4 * l2(model.parameters())``) may be added to
the per-sample loss: it is computed once per call, not once per sample, and since it is the same
for every sample the mean over the batch of ``loss_i + r`` is ``mean(loss_i) + r``. (With
``reduction="sum"`` it is counted B times, as the sum says.)

The graph is frozen, as in compiled replay: every op decides per sample on that sample's numbers
(relu, abs, leaky_relu, sigmoid; max pooling's winner, one ``max`` node per window, an ``argmax``
per sample; ``binary_cross_entropy``'s clamp, one node per sample), and an op of your own without an
array form runs element by element. Only Python code that chose a different graph by the numbers
while the one sample's graph was built (a comparison of Values) is not re-run. A class index that
*picks* a node (``cross_entropy``'s ``z[t]``) is such a choice: pass the class as a one-hot data
column instead, ``logsumexp(z) - dot(one_hot, z)``. Needs NumPy (``pip install numpy``); the rest of the
library does not.

>>> from micrograd_plus import Value, losses
>>> from micrograd_plus.nn import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> x, y = [Value(0.0), Value(0.0)], Value(1.0)  # one sample's inputs and its label
>>> loss = losses.hinge(model(x), [y]) + 1e-4 * losses.l2(model.parameters())
>>> batched = vectorize(loss, model.parameters(), [*x, y])
>>> value, grads = batched.value_and_grad([p.data for p in model.parameters()],
...                                       [[0.5, -1.0, 2.0], [1.0, 0.0, 0.5], [1.0, -1.0, 1.0]])
>>> len(grads) == len(model.parameters()), value > 0
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

try:
    import numpy as np
except ImportError as error:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the batched replay (micrograd_plus.compile.batched) needs NumPy: pip install numpy "
        "(or pip install 'micrograd_plus[numpy]'); the rest of micrograd_plus works without it"
    ) from error

from micrograd_plus._validate import as_number, check_leaves, is_real, node_name, shown
from micrograd_plus.compile.batched_schedule import Plan
from micrograd_plus.engine import Value

__all__ = ["StepGraph", "VectorizedGraph", "vectorize"]

REDUCTIONS = ("mean", "sum")


def _name(v: Value, k: int, what: str) -> str:
    return f"{what} {k} ({node_name(v)})"


_NUMBER_KINDS = frozenset({float, int, "f", "i", "u"})  # Python floats and ints; NumPy float, int, uint arrays
_KIND_NAMES = {
    "b": "bool",
    "c": "complex",
    "U": "str",
    "S": "bytes",
    "O": "object",
    "M": "datetime64",
    "m": "timedelta64",
}


def _kinds(data: Any) -> set[Any]:
    """The kinds of number in the data: Python types of list items, NumPy dtype kinds of arrays (at C speed)."""
    if isinstance(data, np.ndarray):
        return {data.dtype.kind} if data.dtype.kind != "O" else set(map(type, data.ravel().tolist()))
    kinds: set[Any] = set()
    for row in data if isinstance(data, (list, tuple)) else [data]:
        if isinstance(row, np.ndarray):
            kinds |= _kinds(row)
        elif isinstance(row, (list, tuple)):
            kinds |= {k if k in (float, int) else _number_kind(k) for k in set(map(type, row))}
        else:
            kinds.add(type(row))
    return kinds


def _number_kind(kind: type) -> Any:
    """A NumPy scalar type as its dtype kind (np.float32 -> 'f'); any other type as itself."""
    return np.dtype(kind).kind if issubclass(kind, np.generic) else kind


class VectorizedGraph:
    """One sample's graph, replayed over batches: ``value_and_grad``, ``losses`` and ``run``.

    ``params`` are the leaves whose gradients are wanted (values passed per call, one each);
    ``inputs`` are the leaves that take one data column each. Every other leaf is a constant.
    """

    def __init__(self, root: Value, params: Sequence[Value], inputs: Sequence[Value]) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"vectorize needs the per-sample loss as a Value, got {type(root).__name__}")
        seen: dict[int, str] = {}
        self.params = check_leaves("parameter", params, seen=seen)
        self.inputs = check_leaves("input", inputs, seen=seen)
        self.root = root
        if not self.inputs:
            raise ValueError("vectorize needs at least one data input leaf; for a graph without data use compile_graph")
        self.order = root.topological_order()
        for v in self.order:
            if v.parents and (v.entry is None or v.entry.recorded):
                raise ValueError(
                    f"op {v.op!r} cannot be vectorized: the node was made with Value.from_op, which records only "
                    "float derivatives at one point; define the op with define_op(...) to replay it, or use backward()"
                )
        self.plan = Plan(self.order, self.params, self.inputs)
        self._template = np.zeros(self.plan.n_s)
        self._template[len(self.params) :] = self.plan.constants + [0.0] * (
            self.plan.n_s - len(self.params) - len(self.plan.constants)
        )
        self.one_step = False  # True when Replay(backend="numpy") runs it: errors name the node, not a sample
        self._root_varies = self.plan.varies(root)
        self._root_row = self.plan.row[id(root)]

    def __repr__(self) -> str:
        return (
            f"VectorizedGraph({len(self.order)} nodes, {len(self.params)} parameters, {len(self.inputs)} data inputs, "
            f"{len(self.plan.kernels)} array groups)"
        )

    # -- checking what is passed ---------------------------------------------------------------------

    def _parameters(self, values: Sequence[float]) -> Any:
        if len(values) != len(self.params):
            raise ValueError(
                f"expected {len(self.params)} parameter values (one per parameter, in the order given to vectorize), "
                f"got {len(values)}"
            )
        S = self._template.copy()
        if set(map(type, values)) <= {float} and (total := sum(values)) - total == 0.0:
            S[: len(self.params)] = values  # plain finite floats (a replay's parameters): nothing to check one by one
            return S
        numbers_given = [as_number(v) for v in values]
        for k, v in enumerate(numbers_given):
            if not is_real(v):
                raise TypeError(f"{_name(self.params[k], k, 'parameter')} must be a real number, got {shown(v)}")
            if not math.isfinite(v):  # type: ignore[arg-type]
                raise ValueError(f"{_name(self.params[k], k, 'parameter')} is {v}; parameters must be finite")
        S[: len(self.params)] = numbers_given
        return S

    def _columns(self, data: Any) -> Any:
        expected = (
            f"{len(self.inputs)} data columns of one length B >= 1 (one per input, in the order given to vectorize)"
        )
        kinds = _kinds(data)
        if not kinds <= _NUMBER_KINDS:  # "1" or True would pass as 1.0: data must be numbers, as everywhere
            shown_kinds = sorted(
                _KIND_NAMES.get(k, k) if isinstance(k, str) else k.__name__ for k in kinds - _NUMBER_KINDS
            )
            raise TypeError(f"expected {expected}; the data holds {shown_kinds}, which are not numbers")
        try:
            columns = np.asarray(data, dtype=float)
        except (TypeError, ValueError) as error:
            raise ValueError(f"expected {expected}: {error}") from None
        if columns.ndim != 2 or columns.shape[0] != len(self.inputs) or columns.shape[1] == 0:
            raise ValueError(f"expected {expected}, i.e. shape ({len(self.inputs)}, B); got shape {columns.shape}")
        bad = np.argwhere(~np.isfinite(columns))
        if len(bad):
            k, b = (int(i) for i in bad[0])
            raise ValueError(
                f"{_name(self.inputs[k], k, 'input')} is {columns[k, b]} at sample {b}; data must be finite"
            )
        V = np.empty((self.plan.n_v, columns.shape[1]))
        V[: len(self.inputs)] = columns
        return V

    # -- running it ----------------------------------------------------------------------------------

    def _forward(self, S: Any, V: Any) -> None:
        with np.errstate(all="ignore"):  # a value outside an op's domain is found here, and explained
            for kernel in self.plan.kernels:
                try:
                    out = kernel.forward(V, S)
                except (ValueError, ArithmeticError):  # an op of your own, element by element, out of its domain
                    for sample in range(V.shape[1]):
                        self._replay_sample(S, V, sample)  # raises the engine's message, naming the node
                    raise
                if not np.isfinite(out).all():
                    self._refuse(S, V, out, kernel.nodes, "value")

    def losses(self, param_values: Sequence[float], data: Any) -> Any:
        """The per-sample loss of every sample: an array of B values."""
        S, V = self._parameters(param_values), self._columns(data)
        self._forward(S, V)
        if self._root_varies:
            return V[self._root_row].copy()
        return np.full(V.shape[1], S[self._root_row])

    def value_and_grad(
        self, param_values: Sequence[float], data: Any, reduction: str = "mean"
    ) -> tuple[float, list[float]]:
        """The mean (or sum) over the batch of the per-sample loss, and its gradient for each parameter.

        ``data`` holds one column of B values per data input (a list of lists, or an array of shape (inputs, B)).
        """
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; use 'mean' or 'sum'")
        S, V = self._parameters(param_values), self._columns(data)
        self._forward(S, V)
        with np.errstate(all="ignore"):
            value, grads = self._backward(S, V, reduction)
        if not math.isfinite(value):
            raise OverflowError(f"the batched loss is {value}; rescale the inputs or the loss")
        bad = np.flatnonzero(~np.isfinite(grads))
        if len(bad):
            k = int(bad[0])
            raise OverflowError(
                f"the gradient with respect to {_name(self.params[k], k, 'parameter')} overflowed to {grads[k]} in "
                "the batched backward pass; rescale the inputs or the loss"
            )
        return value, grads.tolist()

    def _backward(self, S: Any, V: Any, reduction: str) -> tuple[float, Any]:
        B = V.shape[1]
        weight = 1.0 / B if reduction == "mean" else 1.0
        GV, GS = np.zeros_like(V), np.zeros_like(S)
        if self._root_varies:
            value = float(V[self._root_row].sum()) * weight
            GV[self._root_row] = weight
        else:
            value = float(S[self._root_row]) * B * weight
            GS[self._root_row] = B * weight
        for kernel in reversed(self.plan.kernels):
            for local in kernel.backward(V, S, GV, GS):
                if not np.isfinite(local).all():
                    self._refuse(S, V, local, kernel.nodes, "local derivative")
        return value, GS[: len(self.params)]

    def run(self, data: Any, reduction: str = "mean") -> float:
        """Replay at the parameters' current ``.data`` and add the gradients to their ``.grad`` (as
        ``backward()`` would), so optimizers work unchanged. Returns the batch's loss."""
        value, grads = self.value_and_grad([p.data for p in self.params], data, reduction)
        for p, g in zip(self.params, grads):
            p.grad += g
        return value

    # -- when a number is not finite -----------------------------------------------------------------

    def _refuse(self, S: Any, V: Any, found: Any, nodes: list[Value], what: str) -> None:
        """Replay the first bad sample eagerly, so the engine names the op, node and inputs; or say where it was."""
        found = np.asarray(found)  # (nodes, samples) or (nodes, operands, samples); one sample if the same for all
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(found))[0])
        node, sample = first[0], first[-1] if found.shape[-1] > 1 else 0
        self._replay_sample(S, V, sample)
        shown = nodes[node].label or nodes[node].op
        number = found[first]
        raise OverflowError(
            f"the batched replay computed a {what} of {number} at node {shown!r}"
            f"{'' if self.one_step else f' for sample {sample}'}; "
            "rescale the inputs"
        )

    def _replay_sample(self, S: Any, V: Any, sample: int) -> None:
        """Run one sample through the graph eagerly, op by op: an op that fails raises the engine's message."""
        values: dict[int, float] = {id(p): float(S[k]) for k, p in enumerate(self.params)}
        values.update({id(x): float(V[k, sample]) for k, x in enumerate(self.inputs)})
        for i, v in enumerate(self.order):
            if not v.parents or v.entry is None:
                continue
            args = [values.get(id(p), p.data) for p in v.parents]

            def where(k: int, v: Value = v, i: int = i) -> str:
                label = v.parents[k].label
                return f"node {label!r}" if label else f"operand {k} of node #{i}"

            try:
                values[id(v)] = out = v.entry.evaluate(*args, where=where)
                v.entry.local_grads(args, out, where)
            except (ValueError, ZeroDivisionError, OverflowError) as error:
                at = f"node #{i} ({v.op}) of the compiled graph" if self.one_step else f"sample {sample} of the batch"
                raise type(error)(f"{error}; at {at}") from None


def vectorize(per_sample_loss: Value, params: Sequence[Value], sample_inputs: Sequence[Value]) -> VectorizedGraph:
    """Record one sample's graph once and replay it over whole batches as NumPy array operations.

    ``params``: the leaves to differentiate (a model's parameters); ``sample_inputs``: the leaves that
    stand for one sample's data (features, label), each of which takes a whole column per call.
    """
    return VectorizedGraph(per_sample_loss, params, sample_inputs)


class StepGraph:
    """One training step's graph as array operations, for ``Replay(backend="numpy")``: ``vectorize`` over a batch
    of one, so each level's nodes of one op are one array operation (a layer's dots one matrix product). Its
    ``value_and_grad`` takes and gives what ``CompiledGraph.value_and_grad`` does: the values of the ``wrt``
    leaves then of the ``data`` leaves; the loss and its gradient for each ``wrt`` leaf."""

    __slots__ = ("n_wrt", "vectorized")

    def __init__(self, loss: Value, wrt: Sequence[Value], data: Sequence[Value]) -> None:
        self.n_wrt, self.vectorized = len(wrt), vectorize(loss, wrt, data)
        self.vectorized.one_step = True

    def value_and_grad(self, values: Sequence[float]) -> tuple[float, list[float]]:
        n = self.n_wrt
        return self.vectorized.value_and_grad(values[:n], [[x] for x in values[n:]], reduction="sum")
