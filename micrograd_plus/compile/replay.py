"""Training that replays by itself: write the ordinary step once; later steps replay its compiled graph.

``Replay(loss_fn, model)`` is called like ``loss_fn`` with the step's data. The first
call of each *structure* builds the graph eagerly (every float of the data becomes a
leaf, so that it can change from step to step), records it and compiles it; later
calls with the same structure only replay the compiled program: the loss's value is
returned and the gradients are added to the parameters' ``.grad``, exactly as
``loss.backward()`` would, so the optimizer works unchanged.

The structure is what the graph's shape depends on: the nesting and lengths of the
data (a different batch size is a new structure), its ints, bools and strings (class
indices pick which logit a loss reads), the model's parameters and every module's
training mode. A relu flipping is not a change of structure (the replay branches on
the current numbers), and neither are new data or fresh dropout masks: ``Dropout``
records its masks (``recording.record_random``), and a replay draws the next ones from
the same random stream, so they equal eager training's masks draw for draw.

Some graphs depend on the numbers themselves: max pooling picks a winner, a stable
softplus picks a branch, ``BatchNorm1d`` updates running statistics as it runs, or
the step compares Values. Those places call ``recording.note_branch``; a step that did
so is never replayed (it runs eagerly every time, ``mode`` says why), so a replay
never gives another result than eager training. A step must not branch on ``.data``
itself: code that does should call ``note_branch`` too.

>>> from micrograd_plus import losses, nn, optim
>>> model = nn.MLP(2, [4, 1], seed=0)
>>> opt = optim.SGD(model.parameters(), lr=0.1)
>>> def loss_fn(X, y):
...     return losses.mse([model(x)[0] for x in X], y)
>>> step = Replay(loss_fn, model)
>>> for _ in range(3):
...     opt.zero_grad()
...     loss = step([[1.0, 2.0], [0.5, -1.0]], [1.0, 0.0])
...     opt.step()
>>> step.mode, step.compiles, step.replays
('replay', 1, 2)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from micrograd_plus.compile.program import CompiledGraph, compile_graph
from micrograd_plus.engine import Value
from micrograd_plus.tracing import recording

__all__ = ["Replay"]

MAX_CACHED = 8  # structures kept compiled at once (batch sizes, say); the oldest is dropped first


def _leaves(data: Any, found: list[Value]) -> Any:
    """``data`` with every float replaced by a new leaf (appended to ``found``); other values kept."""
    if isinstance(data, (list, tuple)):
        return type(data)(_leaves(item, found) for item in data)
    if isinstance(data, numbers.Real) and not isinstance(data, (bool, numbers.Integral)):
        leaf = Value(float(data))
        found.append(leaf)
        return leaf
    return data


def _structure(data: Any, numbers_out: list[float]) -> Any:
    """What the graph's shape may depend on (nesting, lengths, non-float values); floats go to ``numbers_out``."""
    if isinstance(data, (list, tuple)):
        if data and set(map(type, data)) == {float}:  # a row of plain floats (the common case), at C speed
            numbers_out += data
            return (type(data).__name__, len(data))
        return (type(data).__name__, tuple(_structure(item, numbers_out) for item in data))
    if isinstance(data, numbers.Real) and not isinstance(data, (bool, numbers.Integral)):
        numbers_out.append(float(data))
        return float
    if isinstance(data, (bool, int, str, bytes, type(None), numbers.Integral)):
        return data
    raise TypeError(
        f"Replay passes the step's data as lists and tuples of numbers (and ints, strings); got "
        f"{type(data).__name__} {data!r}: turn it into a list, or build the graph with loss_fn(...) eagerly"
    )


class _Compiled:
    __slots__ = ("graph", "n_data", "random")

    def __init__(self, graph: CompiledGraph, n_data: int, random: list[Callable[[], list[float]]]) -> None:
        self.graph, self.n_data, self.random = graph, n_data, random


class Replay:
    """``loss_fn(*data)`` as a training step that compiles once per structure and replays after that."""

    def __init__(self, loss_fn: Callable[..., Value], model: Any) -> None:
        if not callable(loss_fn):
            raise TypeError(f"Replay needs the step's loss function, got {type(loss_fn).__name__} {loss_fn!r}")
        if not hasattr(model, "parameters") or not hasattr(model, "modules"):
            raise TypeError(f"Replay needs the Module being trained, got {type(model).__name__}")
        self.loss_fn, self.model = loss_fn, model
        self._cache: dict[Any, _Compiled | str] = {}
        self.compiles = self.replays = self.eager_steps = 0
        self.mode = "new"  # 'replay' once a structure is compiled; 'eager' for a step that cannot be replayed

    def _key(self, data: tuple[Any, ...], numbers_out: list[float]) -> tuple[Any, list[Value]]:
        params = self.model.parameters()
        modes = tuple([m.training for m in self.model.modules()])
        return (_structure(data, numbers_out), tuple(map(id, params)), modes), params

    def __call__(self, *data: Any) -> float:
        """The loss at this data; its gradients are added to the parameters' ``.grad`` (as ``backward()`` does)."""
        numbers_now: list[float] = []
        key, params = self._key(data, numbers_now)
        known = self._cache.get(key)
        if isinstance(known, _Compiled):
            self.mode = "replay"
            self.replays += 1
            values = [p.data for p in params] + numbers_now
            for redraw in known.random:
                values += redraw()
            value, grads = known.graph.value_and_grad(values)
            for p, g in zip(params, grads):
                p.grad += g
            return value
        return self._eager(data, key, params, known)

    def _eager(self, data: tuple[Any, ...], key: Any, params: list[Value], known: str | None) -> float:
        """Run the step eagerly; the first time for this structure, also record and compile it."""
        leaves: list[Value] = []
        with recording() as found:
            loss = self.loss_fn(*_leaves(data, leaves))
        if not isinstance(loss, Value):
            raise TypeError(f"the step's loss function must return a Value, got {type(loss).__name__}")
        if known is None:
            reason = f"the graph depends on the numbers ({found.branches[0]})" if found.branches else ""
            if not reason:
                random_leaves = [leaf for drawn, _ in found.random for leaf in drawn]
                try:
                    graph = compile_graph(loss, params, data=[*leaves, *random_leaves])
                except ValueError as error:  # a Value.from_op node, an input listed twice (a tied leaf)
                    reason = str(error)
                else:
                    self._store(key, _Compiled(graph, len(leaves), [redraw for _, redraw in found.random]))
                    self.compiles += 1
            if reason:
                self._store(key, reason)
                known = reason
        self.mode = "eager" if known else "replay"
        self.reason = known or ""
        self.eager_steps += 1
        loss.backward()
        return loss.data

    def _store(self, key: Any, entry: _Compiled | str) -> None:
        if len(self._cache) >= MAX_CACHED:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = entry

    def __repr__(self) -> str:
        return (
            f"Replay({getattr(self.loss_fn, '__name__', 'loss_fn')}, mode={self.mode!r}, compiles={self.compiles}, "
            f"replays={self.replays}, eager steps={self.eager_steps})"
        )
