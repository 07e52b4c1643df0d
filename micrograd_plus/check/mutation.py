"""Mutants of a gradient function: its own source with one small bug put in, as a test of the test points.

A derivative check at a point too special (x = 0, equal components, a
symmetric matrix) passes wrong gradients as well as right ones: at x = (1, 1)
``[v[1], v[0]]`` and ``[v[0], v[1]]`` agree. :func:`make_mutants` reads the
source of ``grad_f`` (``inspect.getsource``), parses it, and makes one mutant
per site of each kind:

- ``swap +/-``: one ``a + b`` made ``a - b``, or back;
- ``×2 a constant``: one number literal doubled (zeros are left, 2·0 = 0);
- ``swap indices``: one constant subscript ``v[i]`` made ``v[j]`` for another
  index j used on the same name (``W[0, 1]`` and ``W[1, 0]`` likewise);
- ``drop a term``: one ``a + b`` or ``a - b`` made ``a`` (or ``b``).

Only the function's own definition is compiled and run (never the rest of
its file), in a copy of its globals plus its closure's variables. What cannot
be mutated is said: no source (a builtin, a function made at runtime), a lambda
that shares its line with another lambda, a source that does not parse alone,
a function with no site to mutate, the inside of a while loop (a mutant there
could loop forever).

>>> def grad(v):
...     return [2 * v[0] + v[1], v[0]]
>>> mutants, skipped = make_mutants(grad)
>>> [m.kind for m in mutants]
['swap +/-', '×2 a constant', 'swap indices', 'swap indices', 'swap indices', 'drop a term', 'drop a term']
>>> mutants[0].where, mutants[0].function([3.0, 4.0])
('line 2, column 13: 2 * v[0] + v[1] → 2 * v[0] - v[1]', [2.0, 3.0])
"""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["LIMIT", "Mutant", "MutantReport", "make_mutants"]

LIMIT = 40  # mutants made at most (the first sites in source order)


@dataclass(frozen=True)
class Mutant:
    """One mutated gradient function: its kind, where it differs (line, before → after), and the function."""

    kind: str
    where: str
    function: Callable[..., Any]


def _target(tree: ast.Module, fn: Callable[..., Any]) -> ast.FunctionDef | ast.Lambda | str:
    """The node of fn in its parsed source, or why there is none to mutate."""
    code = fn.__code__
    if fn.__name__ == "<lambda>":
        args = list(code.co_varnames[: code.co_argcount])
        found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and [a.arg for a in n.args.args] == args]
        if len(found) > 1:  # several on its line (check_grad(lambda x: ..., lambda x: ..., x)): the one compiled alike
            found = [n for n in found if _same_code(n, code)]
        if len(found) == 1:
            return found[0]
        return "its lambda shares its line with another lambda just like it; define grad_f with def to mutate it"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == fn.__name__:
            return node
    return "its definition was not found in its source"


def _same_code(node: ast.Lambda, code: types.CodeType) -> bool:
    """Whether this lambda's source compiles to fn's bytecode (names and constants included)."""
    try:
        compiled = compile(ast.fix_missing_locations(ast.Expression(node)), "<lambda>", "eval")
    except (SyntaxError, ValueError):
        return False
    inner = [c for c in compiled.co_consts if isinstance(c, types.CodeType)]
    return (
        bool(inner)
        and inner[0].co_code == code.co_code
        and inner[0].co_names == code.co_names
        and (inner[0].co_consts == code.co_consts)
    )


def _in_while_loops(body: ast.AST) -> set[int]:
    """The nodes inside while loops: a mutant there (k += 1 made k -= 1) could loop forever."""
    return {id(n) for loop in ast.walk(body) if isinstance(loop, ast.While) for n in ast.walk(loop)}


def _sites(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every place a mutant can be made, in source order: (kind, node); none inside a while loop."""
    body = node.body if isinstance(node, ast.Lambda) else node
    looping = _in_while_loops(body)
    walked = sorted((n for n in ast.walk(body) if id(n) not in looping),
                    key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))  # fmt: skip
    for n in walked:
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)):
            yield "swap +/-", n
    for n in walked:
        if isinstance(n, ast.Constant) and type(n.value) in (int, float) and n.value != 0 and not _is_index(n, body):
            yield "×2 a constant", n
    for n in walked:
        if isinstance(n, ast.Subscript) and _constant_index(n) is not None:
            yield "swap indices", n
    for n in walked:
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)):
            yield "drop a term", n


def _constant_index(n: ast.Subscript) -> tuple[object, ...] | None:
    s = n.slice
    items = s.elts if isinstance(s, ast.Tuple) else [s]
    if all(isinstance(i, ast.Constant) and type(i.value) is int for i in items) and isinstance(n.value, ast.Name):
        return tuple(i.value for i in items)  # type: ignore[attr-defined]
    return None


def _is_index(constant: ast.Constant, body: ast.AST) -> bool:
    subscripts = (n for n in ast.walk(body) if isinstance(n, ast.Subscript))
    return any(any(c is constant for c in ast.walk(n.slice)) for n in subscripts)


def _other_indices(site: ast.Subscript, body: ast.AST) -> list[tuple[object, ...]]:
    """The other constant indices used on the same name (in source order, each once)."""
    name = site.value.id  # type: ignore[attr-defined]
    own = _constant_index(site)
    seen: list[tuple[object, ...]] = []
    for n in ast.walk(body):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == name:
            index = _constant_index(n)
            if index is not None and index != own and index not in seen and len(index) == len(own or ()):
                seen.append(index)
    return seen


def _replacements(kind: str, site: ast.AST, body: ast.AST) -> list[ast.AST]:
    if kind == "swap +/-":
        assert isinstance(site, ast.BinOp)
        return [ast.BinOp(site.left, ast.Sub() if isinstance(site.op, ast.Add) else ast.Add(), site.right)]
    if kind == "×2 a constant":
        assert isinstance(site, ast.Constant)
        value = site.value
        assert isinstance(value, (int, float))
        return [ast.Constant(2 * value)]
    if kind == "swap indices":
        assert isinstance(site, ast.Subscript)
        others = _other_indices(site, body)[:1]
        return [ast.Subscript(site.value, _index_node(i), site.ctx) for i in others]
    assert isinstance(site, ast.BinOp)
    return [site.left] if isinstance(site.op, ast.Sub) else [site.left, site.right]


def _index_node(index: tuple[object, ...]) -> ast.expr:
    items: list[ast.expr] = [ast.Constant(i) for i in index if isinstance(i, int)]
    return items[0] if len(items) == 1 else ast.Tuple(items, ast.Load())


def _namespace(fn: Callable[..., Any]) -> dict[str, Any]:
    """fn's globals (a copy) and the current values of its closure's variables."""
    space = dict(fn.__globals__)
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            space[name] = cell.cell_contents
        except ValueError:  # a variable not bound yet
            continue
    return space


def _compiled(fn: Callable[..., Any], node: ast.FunctionDef | ast.Lambda) -> Callable[..., Any]:
    """The mutated definition compiled alone and bound like fn (a method to its object)."""
    if isinstance(node, ast.Lambda):
        module = ast.Module([ast.Assign([ast.Name("__mutant__", ast.Store())], node)], [])
        name = "__mutant__"
    else:
        node.decorator_list = []
        module, name = ast.Module([node], []), node.name
    ast.fix_missing_locations(module)
    space = _namespace(fn)
    exec(compile(module, inspect.getsourcefile(fn) or "<mutant>", "exec"), space)  # only fn's own definition
    made = space[name]
    self = getattr(fn, "__self__", None)
    return types.MethodType(made, self) if self is not None and inspect.ismethod(fn) else made


def _source_tree(fn: Callable[..., Any]) -> ast.Module | str:
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return "it has no source to read (a builtin, or made at runtime)"
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "its source does not parse alone (a lambda inside a larger expression); define it with def"
    ast.increment_lineno(tree, first - 1)
    return tree


def make_mutants(fn: Callable[..., Any]) -> tuple[list[Mutant], list[str]]:
    """The mutants of fn (at most ``LIMIT``) and sentences on what was not mutated and why."""
    target = getattr(fn, "__func__", fn)
    if not isinstance(target, types.FunctionType):
        return [], [f"grad_f was not mutated: it is a {type(fn).__name__}, not a Python function with source"]
    tree = _source_tree(target)
    node = tree if isinstance(tree, str) else _target(tree, target)
    if isinstance(node, str):
        return [], [f"grad_f was not mutated: {node}"]
    mutants: list[Mutant] = []
    body = node.body if isinstance(node, ast.Lambda) else node
    for kind, site in _sites(node):
        for replacement in _replacements(kind, site, body):
            if len(mutants) >= LIMIT:
                return mutants, [f"only the first {LIMIT} mutants were made"]
            before = ast.unparse(site)
            changed = _fresh(node, site, replacement)
            column = getattr(site, "col_offset", None)  # a line may hold the same text twice: say which one
            at = f"line {getattr(site, 'lineno', '?')}" + ("" if column is None else f", column {column + 1}")
            where = f"{at}: {before} → {ast.unparse(replacement)}"
            try:
                function = _compiled(fn, changed)  # type: ignore[arg-type]
            except Exception:
                continue
            mutants.append(Mutant(kind, where, function))
    skipped = [] if mutants else ["grad_f was not mutated: it has no +, -, number or constant index to change"]
    if _in_while_loops(body):
        skipped.append("its while loops were not mutated (a mutant there could loop forever)")
    return mutants, skipped


def _fresh(node: ast.AST, site: ast.AST, replacement: ast.AST) -> ast.AST:
    """A copy of node with site replaced (the original tree stays as it was for the next mutant)."""

    def clone(n: ast.AST) -> ast.AST:
        if n is site:
            return copy.deepcopy(replacement)
        fields: dict[str, object] = {}
        for name, value in ast.iter_fields(n):
            if isinstance(value, ast.AST):
                fields[name] = clone(value)
            elif isinstance(value, list):
                fields[name] = [clone(v) if isinstance(v, ast.AST) else v for v in value]
            else:
                fields[name] = value
        made = type(n)(**fields)
        return ast.copy_location(made, n)

    return clone(node)


@dataclass(frozen=True)
class MutantReport:
    """Mutants of grad_f run at the check's points: how many were made and caught, which passed there (the
    points could not tell them from grad_f), which equal grad_f at other points too, and what was not mutated."""

    made: int
    caught: int
    survived: tuple[str, ...] = ()
    equivalent: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.survived

    def summary(self) -> str:
        """One paragraph: caught, equivalent, passed (the weak points' evidence), not mutated."""
        if not self.made:
            return "mutants: none made; " + "; ".join(self.skipped)
        text = f"mutants: {self.caught} of {self.made} caught"
        if self.equivalent:
            text += f", {len(self.equivalent)} equal to grad_f at other points too (not bugs)"
        if self.survived:
            text += (
                f"; {len(self.survived)} passed at these points, which are too symmetric or too special to tell "
                "them from grad_f (move them off 0, off equal components): " + "; ".join(self.survived[:3])
            )
            text += f" and {len(self.survived) - 3} more" if len(self.survived) > 3 else ""
        return text + "".join(f"; {s}" for s in self.skipped)

    def diagnosis(self, width: int = 80) -> str:
        """The first line of a failure for weak points, at most ``width`` characters."""
        line = f"weak test points: {len(self.survived)} of {self.made} mutants of grad_f pass"
        line += f" ({self.survived[0]})" if self.survived else ""
        return line if len(line) <= width else line[: width - 1] + "…"
