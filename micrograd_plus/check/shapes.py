"""The structures a NumPy user checks: numbers, Values, N-d arrays, and nested lists, tuples and dicts of them.

A :class:`Structure` reads the user's x once: its numbers in a fixed order
(row-major inside arrays, dict keys in insertion order), a name for each that
follows the structure, and a way to rebuild the same structure from numbers,
so ``f`` is called with what the user gave (arrays as float64 of the same
shape, Values as Values). Names: ``x`` for a number, ``x[2]`` for a list or a
1-D array, ``x[1, 2]`` for a 2-D array, ``W1[1, 2]`` for the key ``"W1"`` of a
dict, ``params["b"][3]`` and ``x[0][1, 2]`` deeper down. A result of ``grad_f``
is read against the same structure (:meth:`Structure.match`); a flat list or
array of as many numbers is taken as well.

>>> s = Structure({"W": [[1.0, 2.0], [3.0, 4.0]], "b": 0.5}, "check_grad")
>>> s.names, s.xs
(['W[0][0]', 'W[0][1]', 'W[1][0]', 'W[1][1]', 'b'], [1.0, 2.0, 3.0, 4.0, 0.5])
>>> s.rebuild([0.0, 0.0, 0.0, 1.0, 2.0])
{'W': [[0.0, 0.0], [0.0, 1.0]], 'b': 2.0}
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd_plus._validate import as_number, is_real, shown
from micrograd_plus.engine import Value

__all__ = ["Structure", "describe", "is_array"]

ACCEPTED = "a real number, a Value, a NumPy array, or a list, tuple or dict of them"


def is_array(x: object) -> bool:
    """A NumPy array (or NumPy scalar): anything of numpy's with an ``ndim``."""
    return type(x).__module__.split(".")[0] == "numpy" and getattr(x, "ndim", None) is not None


def _is_number(x: object) -> bool:
    """A Value, a real or complex number (not a bool), a NumPy scalar or a 0-d array."""
    if isinstance(x, Value) or (is_array(x) and getattr(x, "ndim", 1) == 0):
        return True
    return isinstance(as_number(x), numbers.Number) and not isinstance(x, bool)


def _subscript(key: object) -> str:
    return f'["{key}"]' if isinstance(key, str) else f"[{key!r}]"


@dataclass(frozen=True)
class _Node:
    """One part of a structure: ``kind`` is "number", "array", "list", "tuple" or "dict"."""

    kind: str
    name: str
    size: int
    shape: tuple[int, ...] = ()
    keys: tuple[object, ...] = ()
    children: tuple[_Node, ...] = ()
    label: str | None = None  # a Value's label; None for a plain number


def describe(x: object) -> str:
    """What a result looks like, in a few words: ``number``, ``array (4, 4)``, ``list of 3``, ``dict with keys
    'W1', 'b'``, or its type name; never the whole object.

    >>> describe([1.0, 2.0]), describe({"a": 1}), describe(None)
    ('list of 2', "dict with keys 'a'", 'NoneType')
    """
    if _is_number(x):
        return "number"
    if is_array(x):
        return f"array {tuple(x.shape)}"  # type: ignore[attr-defined]
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__} of {len(x)}"
    if isinstance(x, Mapping):
        keys = ", ".join(repr(k) for k in list(x)[:4]) + (", ..." if len(x) > 4 else "")
        return f"dict with keys {keys}" if x else "empty dict"
    return type(x).__name__


def _expected(node: _Node) -> str:
    if node.kind == "number":
        return "number"
    if node.kind == "array":
        return f"array {node.shape}"
    if node.kind == "dict":
        return describe(dict.fromkeys(node.keys))
    return f"{node.kind} of {len(node.children)}"


class Structure:
    """x read once: ``xs`` (floats), ``names`` (one per float) and ``rebuild(numbers)`` (x's structure again)."""

    def __init__(self, x: object, what: str, root: str = "x", finite: bool = True) -> None:
        self.what, self.finite = what, finite
        self.uses_numpy = False
        self.xs: list[float] = []
        self.names: list[str] = []
        self.node = self._read(x, root, top=True)

    def _fail(self, name: str, x: object) -> TypeError:
        got = shown(x) if isinstance(x, (str, bytes, bool, complex)) or x is None else type(x).__name__
        return TypeError(f"{self.what}: {name} must be {ACCEPTED}, got {got}")

    def _number(self, x: object, name: str) -> float:
        number = as_number(x.data if isinstance(x, Value) else x)
        if not is_real(number):
            raise self._fail(name, x)
        if self.finite and not math.isfinite(number):  # type: ignore[arg-type]
            raise ValueError(f"{self.what}: {name} must be finite, got {number}")
        return float(number)  # type: ignore[arg-type]

    def _empty(self, name: str) -> ValueError:
        return ValueError(f"{self.what}: {name} is empty; pass at least one number")

    def _read(self, x: object, name: str, top: bool = False) -> _Node:
        if _is_number(x):
            self.xs.append(self._number(x, name))
            self.names.append(name)
            return _Node("number", name, 1, label=x.label if isinstance(x, Value) else None)
        if is_array(x):
            return self._read_array(x, name)
        if isinstance(x, (list, tuple)):
            if not x:
                raise self._empty(name)
            children = tuple(self._read(item, f"{name}[{i}]") for i, item in enumerate(x))
            return _Node(type(x).__name__, name, sum(c.size for c in children), children=children)
        if isinstance(x, Mapping):
            if not x:
                raise self._empty(name)
            keys = tuple(x)
            named = [k if top and isinstance(k, str) and k.isidentifier() else name + _subscript(k) for k in keys]
            children = tuple(self._read(x[k], n) for k, n in zip(keys, named))
            return _Node("dict", name, sum(c.size for c in children), keys=keys, children=children)
        raise self._fail(name, x)

    def _read_array(self, x: Any, name: str) -> _Node:
        self.uses_numpy = True
        if x.dtype.kind not in "iuf":
            raise TypeError(
                f"{self.what}: {name} must be an array of real numbers (int or float dtype), got dtype {x.dtype}"
            )
        if x.size == 0:
            raise self._empty(name)
        import numpy

        for index, value in zip(numpy.ndindex(*x.shape), x.ravel().tolist()):
            label = f"{name}[{', '.join(map(str, index))}]"
            self.xs.append(self._number(value, label))
            self.names.append(label)
        return _Node("array", name, int(x.size), shape=tuple(x.shape))

    def rebuild(self, values: Sequence[complex]) -> object:
        """x's structure holding ``values`` (floats, or complex numbers for the complex step)."""
        return self._build(self.node, iter(values))

    def _build(self, node: _Node, values: Iterator[complex]) -> object:
        if node.kind == "number":
            value = next(values)
            return Value(value, node.label) if node.label is not None and not isinstance(value, complex) else value
        if node.kind == "array":
            import numpy

            chunk = [next(values) for _ in range(node.size)]
            dtype = numpy.complex128 if any(isinstance(v, complex) for v in chunk) else numpy.float64
            return numpy.array(chunk, dtype=dtype).reshape(node.shape)
        if node.kind == "dict":
            return {k: self._build(c, values) for k, c in zip(node.keys, node.children)}
        items = [self._build(c, values) for c in node.children]
        return tuple(items) if node.kind == "tuple" else items

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """NumPy's warnings about nan or overflow at a nudged point are handled by the step rule instead."""
        if not self.uses_numpy:
            yield
            return
        import numpy

        with numpy.errstate(all="ignore"):
            yield

    @property
    def shape(self) -> tuple[int, ...] | None:
        """x's shape as NumPy would see it: () for a number, an array's shape, a regular nested list's; else None."""
        if self.node.kind == "number":
            return ()
        if self.node.kind == "array":
            return self.node.shape
        return _shape(self.rebuild(self.xs)) if self.node.kind != "dict" else None

    def square_blocks(self) -> list[tuple[str, list[list[int]]]]:
        """Each square matrix of x (a k×k array or nested list, k >= 2): its name and the flat index of each entry."""
        blocks: list[tuple[str, list[list[int]]]] = []
        self._blocks(self.node, 0, blocks)
        return blocks

    def _blocks(self, node: _Node, start: int, out: list[tuple[str, list[list[int]]]]) -> None:
        k = len(node.children)
        if node.kind == "array" and len(node.shape) == 2 and node.shape[0] == node.shape[1] >= 2:
            n = node.shape[0]
            out.append((node.name, [[start + i * n + j for j in range(n)] for i in range(n)]))
        elif (
            node.kind in ("list", "tuple")
            and k >= 2
            and all(
                c.kind in ("list", "tuple") and len(c.children) == k and all(g.kind == "number" for g in c.children)
                for c in node.children
            )
        ):
            out.append((node.name, [[start + i * k + j for j in range(k)] for i in range(k)]))
        for child in node.children:
            self._blocks(child, start, out)
            start += child.size

    def match(self, out: object, what: str) -> list[object]:
        """``out`` (a result of ``grad_f``) as a flat list, read in x's structure or as a flat list/array of as
        many numbers; ValueError naming where its shape differs from x's."""
        items: list[object] = []
        try:
            self._match(self.node, out, what, items)
        except ValueError:
            flat = _flat_1d(out)
            if flat is not None and len(flat) == len(self.xs):
                return flat
            flat_x = self.node.kind == "number" or (self.node.kind == "array" and len(self.node.shape) == 1)
            flat_x = flat_x or all(c.kind == "number" for c in self.node.children)
            if flat is not None and flat_x:
                n, m = len(self.xs), len(flat)
                raise ValueError(
                    f"{what} returned {m} component{'s' if m != 1 else ''} for {n} input{'s' if n != 1 else ''} "
                    f"(x is {_expected(self.node)}); return one partial derivative per component of x"
                ) from None
            raise
        return items

    def _match(self, node: _Node, out: object, what: str, items: list[object]) -> None:
        where = "" if node.name == self.node.name else f" at {node.name}"
        if node.kind == "number" and _is_number(out):
            items.append(out.data if isinstance(out, Value) else as_number(out))
            return
        if node.kind == "array" and (is_array(out) or isinstance(out, (list, tuple))):
            flat, shape = _flat(out), _shape(out)
            if flat is not None and shape == node.shape:
                items.extend(flat)
                return
        elif node.kind in ("list", "tuple") and is_array(out) and getattr(out, "ndim", 0) >= 1:
            out = out.tolist()  # type: ignore[attr-defined]
        if node.kind in ("list", "tuple") and isinstance(out, (list, tuple)) and len(out) == len(node.children):
            for child, part in zip(node.children, out):
                self._match(child, part, what, items)
            return
        if node.kind == "dict" and isinstance(out, Mapping) and set(out) == set(node.keys):
            for key, child in zip(node.keys, node.children):
                self._match(child, out[key], what, items)
            return
        got = describe(out)
        if node.kind == "dict" and isinstance(out, Mapping):
            missing = [k for k in node.keys if k not in out] or [k for k in out if k not in node.keys]
            got += f" ({'missing' if any(k not in out for k in node.keys) else 'extra'} key {missing[0]!r})"
        raise ValueError(
            f"{what} has the wrong shape{where}: expected {_expected(node)} (like x), got {got}; return the "
            f"gradient in x's structure or as a flat list of its {len(self.xs)} numbers"
        )


def _shape(x: object) -> tuple[int, ...] | None:
    """The shape of an array or of a regular nested list of numbers; None for a ragged one."""
    if is_array(x):
        return tuple(x.shape)  # type: ignore[attr-defined]
    if _is_number(x):
        return ()
    if not isinstance(x, (list, tuple)) or not x:
        return None if not isinstance(x, (list, tuple)) else (0,)
    inner = {_shape(item) for item in x}
    if len(inner) != 1 or None in inner:
        return None
    return (len(x), *next(iter(inner)))  # type: ignore[misc]


def _flat_1d(x: object) -> list[object] | None:
    """The numbers of a 1-D array or a list/tuple of numbers; None for anything else."""
    if is_array(x) and getattr(x, "ndim", 0) == 1:
        return list(x.tolist())  # type: ignore[attr-defined]
    if isinstance(x, (list, tuple)) and all(_is_number(item) for item in x):
        return _flat(x)
    return None


def _flat(x: object) -> list[object] | None:
    """The numbers of a number, an array or a nested list/tuple, row-major; None for anything else."""
    if _is_number(x):
        return [x.data if isinstance(x, Value) else as_number(x)]
    if is_array(x):
        return list(x.ravel().tolist())  # type: ignore[attr-defined]
    if isinstance(x, (list, tuple)):
        items: list[object] = []
        for item in x:
            part = _flat(item)
            if part is None:
                return None
            items.extend(part)
        return items
    return None
