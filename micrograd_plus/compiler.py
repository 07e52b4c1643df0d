"""Compiled replay: a recorded graph turned into straight-line Python for forward and backward.

A training loop rebuilds the same graph every step; only the numbers change.
``compile_graph(root, inputs)`` records the graph once and generates one Python
function that runs the forward pass and then the backward pass as plain
assignments over local variables, one line per op:

    v4 = v0 * v2                  # #4 = w * x
    v5 = tanh(v4)                 # h = tanh(#4)
    ...
    g4 = (1.0 - v5 * v5) * g5     # tanh'(#4)

The structure is frozen: Python control flow that depended on the data when the
graph was recorded is not re-traced. Ops that branch on data (relu, abs,
leaky_relu, sigmoid) branch on the *current* values in every replay.

The source is made only from the engine's op templates, integer-indexed names
(``v12``, ``g12``) and ``repr`` of floats; labels appear only in comments, with
every control character escaped, so no label can become code.

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
from typing import Any

from micrograd_plus.engine import Value, op_parameter
from micrograd_plus.explain import forward_expression

__all__ = ["CompiledGraph", "compile_graph"]


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


_NAMESPACE = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sin": math.sin,
    "cos": math.cos,
    "sigmoid": _sigmoid,
    "max": max,
    "abs": abs,
}

# op -> (forward expression, local derivative expressions), in terms of the operands a, b and the result o
_UNARY = {
    "neg": ("-{a}", ["-1.0"]),
    "abs": ("abs({a})", ["(1.0 if {a} > 0.0 else -1.0 if {a} < 0.0 else 0.0)"]),
    "exp": ("exp({a})", ["{o}"]),
    "log": ("log({a})", ["1.0 / {a}"]),
    "sqrt": ("sqrt({a})", ["0.5 / {o}"]),
    "tanh": ("tanh({a})", ["(1.0 - {o} * {o})"]),
    "sigmoid": ("sigmoid({a})", ["{o} * (1.0 - {o})"]),
    "relu": ("({a} if {a} > 0.0 else 0.0)", ["(1.0 if {a} > 0.0 else 0.0)"]),
    "sin": ("sin({a})", ["cos({a})"]),
    "cos": ("cos({a})", ["-sin({a})"]),
}
_BINARY = {
    "+": ("{a} + {b}", ["1.0", "1.0"]),
    "-": ("{a} - {b}", ["1.0", "-1.0"]),
    "*": ("{a} * {b}", ["{b}", "{a}"]),
    "/": ("{a} / {b}", ["1.0 / {b}", "-{o} / {b}"]),
    "**": ("{a} ** {b}", ["{b} * {a} ** ({b} - 1.0)", "{o} * log({a})"]),
}


def _safe(text: str, limit: int = 60) -> str:
    """Text for a comment: every control character escaped (no newline can end the comment), shortened."""
    shown = repr(text)[1:-1]  # escapes newlines, carriage returns, NULs and other separators
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _comment(node: Value, position: int) -> str:
    """A node's name for a comment: its (escaped) label, or '#position'."""
    return _safe(node.label, 40) if node.label else f"#{position}"


def _templates(node: Value) -> tuple[str, list[str]]:
    """The forward expression and local derivative expressions of one node, with {a}, {b}, {o} (and {p0}..)."""
    op, n = node.op, len(node.parents)
    if op in _UNARY:
        return _UNARY[op]
    if op in _BINARY:
        return _BINARY[op]
    kind, k = op_parameter(op)  # the number is read back as a float: only a number can reach the source
    if kind == "**n":
        return f"{{a}} ** {k!r}", ([f"{k!r} * {{a}} ** {k - 1.0!r}"] if k != 0.0 else ["0.0"])
    if kind == "leaky_relu":
        return f"({{a}} if {{a}} > 0.0 else {k!r} * {{a}})", [f"(1.0 if {{a}} > 0.0 else {k!r})"]
    terms = [f"{{p{i}}}" for i in range(n)]
    if op == "sum":
        return " + ".join(terms), ["1.0"] * n
    if op == "mean":
        return f"({' + '.join(terms)}) / {float(n)!r}", [repr(1.0 / n)] * n
    if op == "dot":
        half = n // 2
        products = [f"{terms[i]} * {terms[half + i]}" for i in range(half)]
        bias = [terms[-1]] if n % 2 else []
        return " + ".join(products + bias), terms[half : 2 * half] + terms[:half] + (["1.0"] if n % 2 else [])
    if op == "logsumexp":  # m = max of the operands, computed on the line before
        total = " + ".join(f"exp({t} - {{m}})" for t in terms)
        return f"{{m}} + log({total})", [f"exp({t} - {{o}})" for t in terms]
    raise ValueError(
        f"op {op!r} cannot be compiled (it is not one of the engine's ops); "
        "use backward() for graphs with ops of your own"
    )


class CompiledGraph:
    """A frozen graph as compiled Python: ``value_and_grad(values)``, ``forward``, ``backward``, ``run``.

    ``source`` is the generated program; ``inputs`` are the leaves that vary,
    in the order their values are passed.
    """

    def __init__(self, root: Value, inputs: Sequence[Value], module: Any = None) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"compile_graph needs a Value to compile, got {type(root).__name__}")
        self.inputs = list(inputs)
        for x in self.inputs:
            if not isinstance(x, Value):
                raise TypeError(f"inputs must be Values (leaves of the graph), got {type(x).__name__} {x!r}")
            if x.parents:
                raise ValueError(f"input {x!r} is not a leaf: only leaves (parameters, data) can be inputs")
        if len({id(x) for x in self.inputs}) != len(self.inputs):
            raise ValueError("an input is listed twice; list each leaf once")
        self.module = module
        self._parameter_ids = [id(p) for p in module.parameters()] if module is not None else None
        start = time.perf_counter()
        self.root = root
        self.order = root.topological_order()
        self.source = self._generate()
        namespace: dict[str, Any] = dict(_NAMESPACE)
        exec(compile(self.source, "<micrograd_plus.compiled>", "exec"), namespace)  # our own source, from templates
        self._value_and_grad: Callable[[list[float]], tuple[float, list[float]]] = namespace["value_and_grad"]
        self.compile_seconds = time.perf_counter() - start
        self._last: list[float] | None = None

    def _generate(self) -> str:
        position = {id(v): i for i, v in enumerate(self.order)}
        input_position = {id(x): k for k, x in enumerate(self.inputs)}
        # which nodes need a gradient: those on a path from some input to the root
        needs = set()
        for v in self.order:
            if id(v) in input_position or any(id(p) in needs for p in v.parents):
                needs.add(id(v))
        forward = ["def value_and_grad(x):", "    # forward pass: one line per op"]
        # an input the root does not depend on is read into "_" and gets gradient 0, as with backward()
        names = ", ".join(f"v{position[id(x)]}" if id(x) in position else "_" for x in self.inputs)
        if self.inputs:
            forward.append(f"    {names}{',' if len(self.inputs) == 1 else ''} = x")
        for i, v in enumerate(self.order):
            if id(v) in input_position:
                continue
            if not v.parents:
                forward.append(f"    v{i} = {v.data!r}  # {_comment(v, i)} (constant)")
                continue
            expression, _ = _templates(v)
            fields = self._fields(v, i, position)
            if v.op == "logsumexp":
                terms = ", ".join(fields[f"p{k}"] for k in range(len(v.parents)))
                forward.append(f"    m{i} = max({terms})")
            formula = _safe(
                f"{v.label or f'#{i}'} = {forward_expression(v, lambda p: p.label or f'#{position[id(p)]}')}"
            )
            forward.append(f"    v{i} = {expression.format(**fields)}  # {formula}")
        root = position[id(self.root)]
        backward = ["    # backward pass: d(root)/d(node) for every node on a path from an input", f"    g{root} = 1.0"]
        assigned = {root}
        for v in reversed(self.order):
            i = position[id(v)]
            if not v.parents or id(v) not in needs:
                continue
            _, derivatives = _templates(v)
            fields = self._fields(v, i, position)
            targets = [(j, position[id(parent)]) for j, parent in enumerate(v.parents) if id(parent) in needs]
            indent = "    "
            if len(targets) > 2:  # an n-ary node: skip all its lines when its gradient is 0 (a dead relu, say)
                for _, p in targets:
                    if p not in assigned:
                        backward.append(f"    g{p} = 0.0")
                        assigned.add(p)
                backward.append(f"    if g{i}:  # a zero gradient passes nothing on")
                indent = "        "
            for j, p in targets:
                local = derivatives[j].format(**fields)
                term = f"g{i}" if local == "1.0" else f"-g{i}" if local == "-1.0" else f"{local} * g{i}"
                operator = "+=" if p in assigned else "="
                assigned.add(p)
                why = _safe(f"d({v.label or f'#{i}'})/d({v.parents[j].label or f'#{p}'}) of {v.op}")
                backward.append(f"{indent}g{p} {operator} {term}  # {why}")
        grads = ", ".join(f"g{position[id(x)]}" if position.get(id(x), -1) in assigned else "0.0" for x in self.inputs)
        return "\n".join([*forward, *backward, f"    return v{root}, [{grads}]", ""])

    @staticmethod
    def _fields(v: Value, i: int, position: dict[int, int]) -> dict[str, str]:
        names = [f"v{position[id(p)]}" for p in v.parents]
        fields = {f"p{k}": name for k, name in enumerate(names)}
        fields.update(o=f"v{i}", m=f"m{i}", a=names[0], b=names[1] if len(names) > 1 else "")
        return fields

    # -- running it ------------------------------------------------------------------------

    def _check(self, values: Sequence[float]) -> list[float]:
        if len(values) != len(self.inputs):
            raise ValueError(
                f"the graph was compiled for {len(self.inputs)} input values, got {len(values)}; "
                "pass one value per input, in the order given to compile_graph"
            )
        xs = [float(v) for v in values]
        bad = next((k for k, v in enumerate(xs) if not math.isfinite(v)), None)
        if bad is not None:
            name = _safe(self.inputs[bad].label, 40) or "unlabelled"
            raise ValueError(f"input {bad} ({name}) is {xs[bad]}; inputs must be finite")
        return xs

    def value_and_grad(self, values: Sequence[float]) -> tuple[float, list[float]]:
        """The root's value and its gradient with respect to each input, at these input values."""
        xs = self._check(values)
        try:
            value, grads = self._value_and_grad(xs)
        except (ValueError, ZeroDivisionError, OverflowError):
            self._diagnose(xs)  # names the op and node, as the engine would
            raise
        if not math.isfinite(value):
            self._diagnose(xs)
            raise OverflowError(f"the compiled graph's result is {value} at these inputs; rescale them")
        self._last = xs
        return value, grads

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
        for x, g in zip(self.inputs, grads):
            x.grad += g
        return value

    def _diagnose(self, xs: list[float]) -> None:
        """Replay the graph eagerly with the engine's ops, so that a failure raises the engine's message."""
        from micrograd_plus.localcheck import replay_for

        data = {id(x): v for x, v in zip(self.inputs, xs)}
        for i, v in enumerate(self.order):
            replay: Callable[..., float] | None = replay_for(v.op, {}) if v.parents else None
            if replay is not None:
                try:
                    data[id(v)] = replay(*[data.get(id(p), p.data) for p in v.parents])
                except (ValueError, ZeroDivisionError, OverflowError) as error:
                    raise type(error)(f"{error}; at node {_comment(v, i)} ({v.op}) of the compiled graph") from None

    def __repr__(self) -> str:
        lines = self.source.count("\n")
        return (
            f"CompiledGraph({len(self.order)} nodes, {len(self.inputs)} inputs, {lines} lines of Python, "
            f"compiled in {self.compile_seconds:.3f} s)"
        )


def compile_graph(root: Value, inputs: Sequence[Value], module: Any = None) -> CompiledGraph:
    """Record the graph below ``root`` once and compile forward + backward as straight-line Python.

    ``inputs`` are the leaves whose values change between replays (parameters and
    data inputs); every other leaf is baked in as a constant. Pass ``module=`` to
    have ``run()`` refuse to replay after the module's parameters changed.
    """
    return CompiledGraph(root, inputs, module)
