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
training mode. With ``index_data=True`` the ints are data too (token ids): they reach
``loss_fn`` as DataFloats, for a model that reads them by a data index (``nn.GPT``: its
embedding rows are read into stand-in leaves, see :mod:`micrograd_plus.gathering`, and its
loss picks the target's logit by a one-hot product), so that a names list compiles once per
document length, not per name.
A relu flipping is not a change of structure (the replay branches on the current numbers),
and neither are new data or fresh dropout masks: ``Dropout`` records its masks
(``recording.record_random``), and a replay draws the next ones from the same random
stream, so they equal eager training's masks draw for draw.

The data keeps its eager meaning: each float reaches ``loss_fn`` as a ``tracing.DataFloat``, a float to
every test and operation (``t == 1.0``, ``if t:``, ``2 * t - 1``, a loss's own checks of its targets), that
also knows where it came from. Every test on the data is a *guard*: a compiled structure replays only calls
whose data passes the same tests the same way; a call that does not is traced again (each outcome pattern
compiles once, up to ``MAX_VARIANTS``; past that the structure runs eagerly). Arithmetic on the data
(``2 * t - 1``) is recomputed from the new data on every replay. Everything else the graph depends on is in
the key or checked per call: the model's parameters, every module's training mode, hyper-parameters
(dropout ``p``, ``eps``, ``momentum``) and buffers (running statistics), and the op registry's version.
Values read from outside the model (a trained temperature) are inputs of the replay: their current value is
used and their gradient is added, as ``backward()`` would.

Some graphs depend on the numbers of Values themselves: max pooling picks a winner, a stable
softplus picks a branch, ``BatchNorm1d`` updates running statistics as it runs, or
the step compares Values. Those places call ``tracing.note_branch``; such a step is never replayed
(it runs eagerly every time, with a warning naming the reason once; ``reasons`` counts them). So does a step
whose own code reads a Value's ``.data`` or detaches a Value (``tracing.watched_reads``): a replay would keep
the number it took as it was when traced. A number computed from the data through ``math`` is seen by no
guard: the checks against eager (the first replays, then replays 64, 256, 1024, ...) catch it.

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

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from micrograd_plus._validate import check_count, shown
from micrograd_plus.collector import paused_collector
from micrograd_plus.compile.program import CompiledGraph, compile_graph
from micrograd_plus.compile.replay_key import data_numbers, module_state, structure
from micrograd_plus.engine import Value
from micrograd_plus.gathering import Gathered, add_row_grads, gathering, read_rows
from micrograd_plus.ops import registry
from micrograd_plus.scopes import scope
from micrograd_plus.tracing import Recording, guards_hold, recording, watched_reads

if TYPE_CHECKING:
    from micrograd_plus.compile.batched import StepGraph

__all__ = ["BACKENDS", "MAX_CACHED", "MAX_VARIANTS", "Replay"]

MAX_CACHED = 32  # structures kept compiled at once (batch sizes, document lengths); the least recently used goes first
BACKENDS = ("python", "numpy")  # what a compiled step runs as: generated Python, or NumPy array operations
MAX_VARIANTS = 4  # compiled outcome patterns of the data's tests per structure; past that it runs eagerly


class _Compiled:
    """A compiled variant: its inputs are ``wrt`` (parameters, Values from outside), then the rows picked by the data
    (``rows``, see :mod:`micrograd_plus.gathering`), then the data leaves and the random draws."""

    __slots__ = ("data", "graph", "guards", "random", "replays", "rows", "traced", "verified", "wrt")

    def __init__(self, graph: CompiledGraph | StepGraph, found: Recording, wrt: list[Value], rows: list[Gathered],
                 traced: list[float]) -> None:  # fmt: skip
        self.graph, self.wrt, self.guards, self.rows = graph, wrt, found.guards, rows
        self.data = [source for _, source in found.data]
        self.random = [redraw for _, redraw in found.random]
        self.verified = False  # the first replay has been compared with eager
        self.traced: list[float] | None = traced  # the traced step's data numbers, until a replay at others passed
        self.replays = 0

    def unchecked(self, numbers: list[float]) -> bool:
        """Whether a replay at these numbers is checked against eager: the first replay, the first at numbers other
        than the traced step's (``math.exp`` of the data), and replays 64, 256, 1024, ... (a test of the data made
        through ``math``, ``math.fabs(t) > 1``, that the numbers of the first checks passed the same way)."""
        if self.random:
            return False  # a step that draws at random cannot be run twice to compare
        return not self.verified or (self.traced is not None and numbers != self.traced) or self.replays in LATER_CHECKS

    def value_and_grad(self, numbers: list[float]) -> tuple[float, list[float]]:
        values = [v.data for v in self.wrt]
        values += read_rows(self.rows, numbers)
        values += [source(numbers) for source in self.data]
        for redraw in self.random:
            values += redraw()
        if (total := sum(values)) - total != 0.0:  # an inf or nan parameter or datum: eager says where it fails
            raise OverflowError("a replay's input is not finite")
        return self.graph.value_and_grad(values)


LATER_CHECKS = frozenset(4**k for k in range(3, 16))  # 64, 256, 1024, ...: seven checks in a million replays


def _agree(a: tuple[float, list[float]], b: tuple[float, list[float]]) -> bool:
    """Equal up to the order of additions: rel 1e-9, and 1e-9 of the largest gradient for the small ones."""
    scale = 1e-9 * max(1.0, *map(abs, a[1])) if a[1] else 1e-9
    return math.isclose(a[0], b[0], rel_tol=1e-9, abs_tol=1e-12) and all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=scale) for x, y in zip(a[1], b[1])
    )


class Replay:
    """``loss_fn(*data)`` as a training step that compiles once per structure and replays after that.

    ``index_data=True`` makes the ints of the data data too (token ids for a model that reads them by a data
    index, as ``nn.GPT`` does), not structure. ``max_cached`` structures stay compiled (least recently used
    dropped first): at least the number of batch sizes or document lengths a training run cycles through.
    ``backend="numpy"`` replays each compiled step as NumPy array operations (each level's nodes of one op as
    one array operation, a layer's dots as one matrix product) instead of generated Python: the same numbers up
    to the order of additions, and faster on wide layers (a GPT's step: 4.6 against 7.0 ms per name, the
    optimizer included; micrograd's moons step: 0.9 against 2.6 ms); a step without data leaves still
    compiles to Python. ``compiles``, ``replays`` and ``eager_steps`` count what the calls did; ``reasons``
    counts, per reason, the calls that ran eagerly; ``mode`` and ``reason`` describe the last call.
    """

    def __init__(
        self,
        loss_fn: Callable[..., Value],
        model: Any,
        *,
        index_data: bool = False,
        max_cached: int = MAX_CACHED,
        backend: str = "python",
    ) -> None:
        if not callable(loss_fn):
            raise TypeError(f"Replay needs the step's loss function, got {type(loss_fn).__name__} {loss_fn!r}")
        if not hasattr(model, "parameters") or not hasattr(model, "modules"):
            raise TypeError(f"Replay needs the Module being trained, got {type(model).__name__}")
        if not isinstance(index_data, bool):
            raise TypeError(f"index_data must be True or False, got {shown(index_data)}")
        self.max_cached = check_count("max_cached", max_cached)
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {shown(backend)}; use one of {', '.join(map(repr, BACKENDS))}")
        if backend == "numpy":
            try:
                import numpy  # noqa: F401 - checked before any step
            except ImportError:
                raise ImportError(
                    "Replay(backend='numpy') needs NumPy: pip install numpy (or pip install 'micrograd_plus[numpy]'); "
                    "backend='python' (the default) needs nothing"
                ) from None
        self.backend = backend
        self.loss_fn, self.model, self.index_data = loss_fn, model, index_data
        # an nn.Module gives its modules and parameters in one walk, kept while nothing it read has changed (the
        # walk is most of the key's time: 1.4 ms for a GPT's 4,192 parameters); any other model in two calls a step
        self._watch_walk: Callable[[], Any] | None = getattr(model, "watch_walk", None)
        self._watch: Any = None
        self._params_tokens: dict[tuple[int, ...], object] = {}  # the parameters' ids -> a token of the key
        self._params_token: object = None
        self._cache: dict[Any, list[_Compiled] | str] = {}
        self.compiles = self.replays = self.eager_steps = 0
        self.reasons: dict[str, int] = {}
        self.mode, self.reason = "new", ""  # 'replay' once a structure is compiled; 'eager' for a step that is not

    def _key(self, data: tuple[Any, ...], numbers_out: list[float]) -> tuple[Any, list[Value]]:
        shape = structure(data, numbers_out, self.index_data)
        if self._watch_walk is None:
            modules, params = self.model.modules(), self.model.parameters()
            token: object = tuple(map(id, params))
        else:
            if self._watch is None or not self._watch.holds():
                self._watch = self._watch_walk()
                self._params_token = self._token(tuple(map(id, self._watch.parameters)))
            modules, params, token = self._watch.modules, self._watch.parameters, self._params_token
        return (shape, token, module_state(modules), registry.VERSION), params

    def _token(self, ids: tuple[int, ...]) -> object:
        """One object per list of parameters (by id): the key holds it in place of 4,192 ids hashed every call."""
        if ids not in self._params_tokens and len(self._params_tokens) >= 4 * self.max_cached:
            self._params_tokens.clear()  # new tokens for old lists: their compiled steps compile again, none is wrong
        return self._params_tokens.setdefault(ids, object())

    def __call__(self, *data: Any) -> float:
        """The loss at this data; its gradients are added to the parameters' ``.grad`` (as ``backward()`` does).

        The step runs inside ``paused_collector()``: an eager step makes and frees a graph's nodes, none of them in
        a reference cycle, so the cyclic collector would only walk them; the user's setting is back on return."""
        with paused_collector():
            return self._step(data)

    def _step(self, data: tuple[Any, ...]) -> float:
        numbers_now: list[float] = []
        key, params = self._key(data, numbers_now)
        known = self._cache.pop(key, None)
        if known is not None:
            self._cache[key] = known  # the most recently used, last
        if isinstance(known, list):
            for variant in known:
                if guards_hold(variant.guards, numbers_now) is None:
                    try:
                        value, grads = variant.value_and_grad(numbers_now)
                    except ArithmeticError:  # the new data fails on the way (1 / t at t = 0): eager says where
                        break
                    if variant.unchecked(numbers_now) and not self._verify(key, variant, data, (value, grads)):
                        return self._eager(data, key, params, self._cache[key])
                    variant.replays += 1
                    for v, g in zip(variant.wrt, grads):
                        v.grad += g
                    add_row_grads(variant.rows, numbers_now, grads[len(variant.wrt) :])
                    self.mode, self.reason = "replay", ""
                    self.replays += 1
                    return value
        return self._eager(data, key, params, known)

    def _verify(self, key: Any, variant: _Compiled, data: tuple[Any, ...], replayed: tuple[float, list[float]]) -> bool:
        """The first replay of a variant is checked against an eager run at the same data (nothing committed): a
        step that reads numbers no guard sees (a Value's ``.data``, ``math.log`` of its data) is caught here."""
        with recording(), gathering() as rows:
            loss = self.loss_fn(*data_numbers(data, [], self.index_data))
        wrt = variant.wrt + _stand_ins(rows)
        if isinstance(loss, Value) and _agree(replayed, (loss.data, _gradients(loss, wrt))):
            if variant.verified:  # this was the first replay at new numbers: nothing more to check
                variant.traced = None
            variant.verified = True
            return True
        self._store(key, "a replay differed from eager training: the step reads numbers that no guard sees")
        return False

    def _eager(
        self, data: tuple[Any, ...], key: Any, params: list[Value], known: list[_Compiled] | str | None
    ) -> float:
        """Run the step eagerly; while its structure may still compile, also record and compile it."""
        flat: list[float] = []
        trace = object()  # the scope of every node made by this call: a leaf outside it was made before
        with recording() as found, scope(trace), gathering() as rows, watched_reads(Value):
            loss = self.loss_fn(*data_numbers(data, flat, self.index_data))
        if not isinstance(loss, Value):
            raise TypeError(f"the step's loss function must return a Value, got {type(loss).__name__}")
        traced = (loss, params, found, rows, trace, flat)
        reason = known if isinstance(known, str) else self._compile(key, traced, known or [])
        self.mode, self.reason = ("eager", reason) if reason else ("replay", "")
        self.eager_steps += 1
        loss.backward()
        stand_ins = _stand_ins(rows)  # the rows read by a data index get their gradients as indexing gives them
        add_row_grads(rows, flat, [leaf.grad for leaf in stand_ins])
        if reason:
            self._ran_eagerly(reason)
        return loss.data

    def _compile(
        self,
        key: Any,
        traced: tuple[Value, list[Value], Recording, list[Gathered], object, list[float]],
        variants: list[_Compiled],
    ) -> str:
        """Compile the traced step (loss, parameters, recording, gathered rows, trace scope) as a new variant of its
        structure; the reason it cannot be, or ''."""
        loss, params, found, rows, trace, numbers = traced
        if found.branches:
            reason = f"the graph depends on the numbers of Values ({found.branches[0]})"
        elif len(variants) >= MAX_VARIANTS:
            what = next((g[2] for g in found.guards if g[2] != "a check of the data"), "a test")
            reason = f"the step tests its data ({what}) with outcomes that change from call to call"
        else:
            data_leaves = [leaf for leaf, _ in found.data] + [leaf for drawn, _ in found.random for leaf in drawn]
            wrt = _inputs(loss, params, data_leaves, trace)
            try:
                inputs = wrt + _stand_ins(rows)
                if self.backend == "numpy" and data_leaves:  # without data leaves there is no batch of one to run
                    from micrograd_plus.compile.batched import StepGraph  # NumPy: imported only for this backend

                    graph: CompiledGraph | StepGraph = StepGraph(loss, inputs, data_leaves)
                else:
                    graph = compile_graph(loss, inputs, data=data_leaves)
            except ValueError as error:  # a Value.from_op node, a leaf listed twice (a tied leaf)
                reason = str(error)
            else:
                self._store(key, [*variants, _Compiled(graph, found, wrt, rows, numbers)])
                self.compiles += 1
                return ""
        self._store(key, reason)
        return reason

    def _ran_eagerly(self, reason: str) -> None:
        if reason not in self.reasons:
            message = f"Replay runs this step eagerly: {reason}"
            warnings.warn(message, RuntimeWarning, stacklevel=5)  # said at the line that called the Replay
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def _store(self, key: Any, entry: list[_Compiled] | str) -> None:
        if key not in self._cache and len(self._cache) >= self.max_cached:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = entry

    def __repr__(self) -> str:
        why = f", eager because {self.reasons}" if self.reasons else ""
        return (
            f"Replay({getattr(self.loss_fn, '__name__', 'loss_fn')}, mode={self.mode!r}, compiles={self.compiles}, "
            f"replays={self.replays}, eager steps={self.eager_steps}{why})"
        )


def _gradients(loss: Value, wrt: list[Value]) -> list[float]:
    """d(loss)/d(w) for each w, as ``loss.backward()`` gives them (a third of the time of ``autodiff.gradients``,
    which keeps a dict entry per node), with every ``.grad`` it touches (the graph's leaves, ``wrt``) as it was."""
    touched = [v for v in loss.topological_order() if not v.parents] + wrt
    saved = [v.grad for v in touched]
    try:
        for v in touched:
            v.grad = 0.0
        loss.backward()
        return [w.grad for w in wrt]
    finally:
        for v, g in zip(touched, saved):
            v.grad = g


def _stand_ins(rows: list[Gathered]) -> list[Value]:
    """The leaves standing for the rows read by a data index, in order."""
    return [leaf for g in rows for leaf in g.leaves]


def _inputs(loss: Value, params: list[Value], data_leaves: list[Value], trace: object) -> list[Value]:
    """The leaves whose values a replay reads and whose gradients it adds: the parameters the step's graph reaches
    (in the model's order: the others get no gradient, and reading them would be work for nothing), then the
    leaves made before the step that are neither parameters nor data: Values read from outside the model (a
    trained temperature), whose current value and gradient the replay must use."""
    known = {id(v) for v in params} | {id(v) for v in data_leaves}
    reached: set[int] = set()
    outside = []
    for leaf in loss.topological_order():
        if leaf.parents:
            continue
        if id(leaf) in known:
            reached.add(id(leaf))
            continue
        chain = leaf.scope
        while chain is not None and chain[0] is not trace:
            chain = chain[1]
        if chain is None:
            outside.append(leaf)
    return [p for p in params if id(p) in reached] + outside
