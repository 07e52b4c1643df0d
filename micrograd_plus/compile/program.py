"""Compiled replay: a recorded graph turned into a short Python program for forward and backward.

A training loop rebuilds the same graph every step; only the numbers change.
``compile_graph(root, inputs)`` records the graph once and generates one Python
function that runs the forward pass and then the backward pass. Nodes of one
level (none depends on another) that share an op run as one batch, a list
comprehension over all of them (see :mod:`micrograd_plus.compile.schedule`):

    # 1600 × relu (arity 1) -> V[2339:3939]
    V[2339:3939] = [(x0 if x0 > 0.0 else 0.0) for x0 in V[738:2338]]
    ...
    C[8674:10274] = [(1.0 if x0 > 0.0 else 0.0) * g for x0, g in zip(V[738:2338], G[2339:3939])]

so the program has a few lines per level, not one per operand: W1 (7,500 nodes,
68,000 edges) is 70 lines that compile in a few hundredths of a second.

The structure is frozen: Python control flow that depended on the data when the
graph was recorded is not re-traced. Ops that branch on data (relu, abs,
leaky_relu, sigmoid) branch on the *current* values in every replay.

The source is made only from the registry's op templates, slot numbers and
``repr`` of floats; op names appear only in comments, with every control
character escaped, and labels never, so no label can become code.

>>> from micrograd_plus import Value
>>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
>>> y = (w * x).tanh().named("y")
>>> compiled = compile_graph(y, [w])
>>> value, grads = compiled.value_and_grad([0.5])
>>> round(value, 6), [round(g, 6) for g in grads]
(0.761594, [0.839949])
>>> compiled.value_and_grad([-1.0])[0] == (Value(-1.0) * 2.0).tanh().data
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from micrograd_plus import ops
from micrograd_plus._validate import as_number, check_leaves, is_real, safe_text, shown
from micrograd_plus.compile.schedule import Program
from micrograd_plus.engine import Value

__all__ = ["CompiledGraph", "compile_graph"]


def _comment(node: Value, position: int) -> str:
    """A node's name for a comment: its (escaped) label, or '#position'."""
    return safe_text(node.label, 40) if node.label else f"#{position}"


def _where(v: Value, position: int) -> Callable[[int], str]:
    """How a message names operand k of node v: by its label, or as an operand of the node."""
    return lambda k: f"node {v.parents[k].label!r}" if v.parents[k].label else f"operand {k} of node #{position}"


@cache
def _builtin_functions() -> frozenset[int]:
    """The ids of the built-in ops' forwards and rules (fixed once the registry is imported)."""
    return frozenset(id(f) for op in ops.BUILTINS.values() for f in (op.forward, op.derivatives) if f is not None)


def _as_floats(function: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """A custom op's forward ("op") or derivative rule ("rule") with its results as Python floats, as eager mode
    records them: a NumPy float32 or float64 result is a number all the same."""
    if id(function) in _builtin_functions():
        return function
    if kind == "rule":
        return lambda *args: tuple([float(d) for d in function(*args)])
    return lambda *args: float(function(*args))


class _Namespace:
    """The generated program's globals: every op it calls, under a name made only of the op's index."""

    def __init__(self) -> None:
        self.functions: dict[str, Any] = {}
        self._names: dict[int, str] = {}

    def name(self, function: Callable[..., Any], kind: str) -> str:
        if id(function) not in self._names:
            self._names[id(function)] = f"{kind}{len(self._names)}"
            self.functions[self._names[id(function)]] = _as_floats(function, kind)
        return self._names[id(function)]

    def call(self, entry: ops.Op, codes: Sequence[str]) -> str:
        """Source for ``entry`` applied to operand sources: its inline template, or a call of its forward."""
        if isinstance(entry.emit, str):
            return entry.emit.format(*codes)
        if entry.emit is not None:
            return entry.emit(codes)
        if entry.forward is None:
            raise ValueError(f"op {entry.name!r} has no forward function to compile")
        if entry.builtin and entry.name.isidentifier():
            self.functions[entry.name] = entry.forward
            return f"{entry.name}({', '.join(codes)})"
        return f"{self.name(entry.forward, 'op')}({', '.join(codes)})"


class CompiledGraph:
    """A frozen graph as compiled Python: ``value_and_grad(values)``, ``forward``, ``backward``, ``run``.

    ``source`` is the generated program; ``inputs`` are the leaves that vary,
    in the order their values are passed: first those whose gradients are
    returned (``wrt``), then the ``data`` leaves, which vary but get no gradient.
    """

    def __init__(self, root: Value, inputs: Sequence[Value], module: Any = None, data: Sequence[Value] = ()) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"compile_graph needs a Value to compile, got {type(root).__name__}")
        seen: dict[int, str] = {}
        self.wrt = check_leaves("input", inputs, seen=seen)
        self.inputs = [*self.wrt, *check_leaves("data leaf", data, seen=seen)]
        self.module = module
        self._parameter_ids = [id(p) for p in module.parameters()] if module is not None else None
        start = time.perf_counter()
        self.root = root
        self.order = root.topological_order()
        self.source, namespace = self._generate(_Namespace())
        namespace["log"] = math.log
        exec(compile(self.source, "<micrograd_plus.compiled>", "exec"), namespace)  # our own source, from templates
        self._value_and_grad: Callable[[list[float]], tuple[float, list[float]]] = namespace["value_and_grad"]
        self.compile_seconds = time.perf_counter() - start
        self._last: list[float] | None = None

    def _generate(self, namespace: _Namespace) -> tuple[str, dict[str, Any]]:
        for v in self.order:
            entry = v.entry
            if v.parents and (entry is None or entry.derivatives is None or entry.forward is None):
                raise ValueError(
                    f"op {v.op!r} cannot be compiled: the node was made with Value.from_op, which records only "
                    "float derivatives at one point; define the op with define_op(...) to compile it, or use backward()"
                )
        program = Program(self.order, self.inputs, namespace.name, namespace.call, len(self.wrt))
        source = program.source(len(self.inputs), len(self.wrt))
        self.n_batches, self.n_tape = program.n_batches, program.n_tape
        program.globals.update(namespace.functions)  # the same dict the tape's kernels were made in
        return source, program.globals

    # -- running it ------------------------------------------------------------------------

    def _check(self, values: Sequence[float]) -> list[float]:
        if len(values) != len(self.inputs):
            raise ValueError(
                f"the graph was compiled for {len(self.inputs)} input values, got {len(values)}; "
                "pass one value per input, in the order given to compile_graph"
            )
        if set(map(type, values)) <= {float} and (total := sum(values)) - total == 0.0:
            return list(values)  # plain finite floats (the usual case): nothing to convert or check one by one
        for k, v in enumerate(values):
            if not is_real(v):
                name = safe_text(self.inputs[k].label, 40) or "unlabelled"
                raise TypeError(f"input {k} ({name}) must be a real number, got {shown(v)}")
        xs = [float(as_number(v)) for v in values]  # type: ignore[arg-type]
        bad = next((k for k, v in enumerate(xs) if not math.isfinite(v)), None)
        if bad is not None:
            name = safe_text(self.inputs[bad].label, 40) or "unlabelled"
            raise ValueError(f"input {bad} ({name}) is {xs[bad]}; inputs must be finite")
        return xs

    def value_and_grad(self, values: Sequence[float]) -> tuple[float, list[float]]:
        """The root's value and its gradient with respect to each ``wrt`` input, at these input values.

        The same checks as eager mode: an op outside its domain raises the engine's message
        (naming the node), and a value or gradient that is not a finite float is refused.
        """
        xs = self._check(values)
        try:
            value, grads = self._value_and_grad(xs)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            self._diagnose(xs)  # names the op and node, as the engine would
            raise
        total = value + sum(grads)
        if type(total) is not float or total - total != 0.0:  # complex, inf or nan somewhere
            self._diagnose(xs)
            self._refuse(value, grads)
        self._last = xs
        return value, grads

    def _refuse(self, value: Any, grads: list[Any]) -> None:
        if type(value) is not float or not math.isfinite(value):
            raise OverflowError(f"the compiled graph's result is {value} at these inputs; rescale them")
        for k, g in enumerate(grads):
            if type(g) is not float or not math.isfinite(g):
                name = safe_text(self.inputs[k].label, 40) or "unlabelled"
                raise OverflowError(
                    f"the gradient with respect to input {k} ({name}) overflowed to {g} in the compiled backward "
                    "pass; rescale the inputs or the loss"
                )

    def forward(self, values: Sequence[float]) -> float:
        """The root's value at these input values (``backward()`` then gives the gradients)."""
        return self.value_and_grad(values)[0]

    def backward(self) -> list[float]:
        """Gradients with respect to the inputs at the values of the last ``forward``."""
        if self._last is None:
            raise RuntimeError("call forward(values) before backward()")
        return self.value_and_grad(self._last)[1]

    def run(self) -> float:
        """Replay at the inputs' current ``.data`` and add the gradients to their ``.grad``
        (as ``backward()`` would), so optimizers work unchanged. Returns the root's value.
        """
        if self.module is not None:
            current = [id(p) for p in self.module.parameters()]
            if current != self._parameter_ids:
                raise RuntimeError(
                    f"{type(self.module).__name__}'s parameters changed since the graph was compiled "
                    f"({len(self._parameter_ids or [])} then, {len(current)} now, or replaced); compile it again"
                )
        value, grads = self.value_and_grad([x.data for x in self.inputs])
        for x, g in zip(self.wrt, grads):
            x.grad += g
        return value

    def _diagnose(self, xs: list[float]) -> None:
        """Replay the graph eagerly with each op's registry entry, so that a failure raises the engine's message."""
        data = {id(x): v for x, v in zip(self.inputs, xs)}
        for i, v in enumerate(self.order):
            if v.entry is None or v.entry.forward is None:
                continue
            args = [data.get(id(p), p.data) for p in v.parents]
            try:
                where = _where(v, i)
                data[id(v)] = out = v.entry.evaluate(*args, where=where)
                v.entry.local_grads(args, out, where)
            except (ValueError, ZeroDivisionError, OverflowError) as error:
                raise type(error)(f"{error}; at node {_comment(v, i)} ({v.op}) of the compiled graph") from None

    def __repr__(self) -> str:
        lines = self.source.count("\n")
        return (
            f"CompiledGraph({len(self.order)} nodes, {len(self.inputs)} inputs, {lines} lines of Python, "
            f"compiled in {self.compile_seconds:.3f} s)"
        )


def compile_graph(
    root: Value, inputs: Sequence[Value], module: Any = None, data: Sequence[Value] = ()
) -> CompiledGraph:
    """Record the graph below ``root`` once and compile forward + backward as batched Python.

    ``inputs`` are the leaves whose values change between replays and whose gradients
    are wanted (parameters, or data inputs too); ``data`` are leaves whose values change
    but whose gradients are not wanted (a batch's numbers: no work is spent on them).
    Every other leaf is baked in as a constant. Pass ``module=`` to have ``run()``
    refuse to replay after the module's parameters changed.
    """
    return CompiledGraph(root, inputs, module, data)
