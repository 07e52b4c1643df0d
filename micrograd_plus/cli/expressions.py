"""Arithmetic expressions over named variables, parsed safely into Value graphs (never ``eval``).

Only a whitelist of Python syntax is accepted: numbers, names, ``+ - * / **``,
unary ``-`` and ``+``, parentheses, and calls of the engine's functions with
positional arguments. Anything else is refused with a one-line ``ValueError``.

Names are read as Python reads identifiers (PEP 3131: NFKC-normalised), by one
function, ``variable_name``, on every path: in the expression, in ``--at``, and
in the names given to ``build`` and to a call. So the micro sign 'µ' (U+00B5)
and the Greek mu 'μ' (U+03BC) are one variable, as are 'ｘ' and 'x'.

>>> expr = ParsedExpression("tanh(a*b + c)")
>>> expr.variables
['a', 'b', 'c']
>>> out, values = expr.build({"a": 2, "b": -3, "c": 6.5})
>>> round(out.data, 4), values["a"].label
(0.4621, 'a')
"""

from __future__ import annotations

import ast
import difflib
import keyword
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import TypeVar

from micrograd_plus import ops
from micrograd_plus._validate import check_real
from micrograd_plus.engine import Value

__all__ = ["FUNCTIONS", "ParsedExpression", "parse_assignments", "variable_name"]

T = TypeVar("T")

# The functions an expression may call: every function and activation op of the registry (micrograd_plus.ops),
# applied by its Value method; leaky_relu takes an optional slope, a number: leaky_relu(x) or leaky_relu(x, 0.2).
_CALLABLE = [op for op in ops.BUILTINS.values() if op.kind in ("function", "activation") and op.name.isidentifier()]
FUNCTIONS: dict[str, Callable[..., Value]] = {op.name: getattr(Value, op.name) for op in _CALLABLE}
_ARITY = {op.name: (op.arity or 1, op.arity or 1) for op in _CALLABLE} | {"leaky_relu": (1, 2)}
_PARAMETERS = {"leaky_relu"}  # functions whose second argument is a number (a parameter), not an operand
_BINARY: dict[type[ast.operator], Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if-expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignments",
}


MAX_LENGTH = 10_000  # characters; longer expressions are refused before parsing


class ParsedExpression:
    """A parsed expression: its variables (in order of first use) and a builder of its Value graph.

    ``variables`` holds each variable's name as Python reads it (NFKC); ``typed``
    maps it to the spelling first typed in the expression, for messages.
    Parsing is bounded (at most ``MAX_LENGTH`` characters; nesting that Python's
    parser cannot take is a ValueError), and checking and building walk the tree
    with an explicit stack, so a flat sum of 1,000 terms or a chain of 1,000
    powers builds without recursion.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the expression is empty; write one such as 'tanh(a*b + c)'")
        self.text = text.strip()
        if len(self.text) > MAX_LENGTH:
            raise ValueError(
                f"the expression is {len(self.text):,} characters long; the limit is {MAX_LENGTH:,} "
                "(for big graphs build Values in Python instead)"
            )
        self.tree = _parse(self.text)
        self.variables: list[str] = []
        self.typed: dict[str, str] = {}
        stack: list[ast.AST] = [self.tree]
        while stack:  # depth first, left to right: variables come out in order of first use
            node = stack.pop()
            stack.extend(reversed(self._check(node)))

    def _check(self, node: ast.AST) -> list[ast.AST]:
        """Refuse what ``node`` may not be; return its operands (to be checked next)."""
        where = f" at column {_column(self.text, node)}"
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ValueError(f"only numbers may appear as constants, got {node.value!r}{where}")
            return []
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ValueError(f"{node.id!r} is a function; call it, as in {node.id}(x){where}")
            typed = ast.get_source_segment(self.text, node) or node.id
            try:
                name = variable_name(typed)  # Python has read it already: the same name, or a refusal of '_x'
            except ValueError as error:
                raise ValueError(f"{error}{where}") from None
            if name not in self.variables:
                self.variables.append(name)
                self.typed[name] = typed
            return []
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.BitXor):
                raise ValueError(f"'^' is bitwise xor in Python, not a power{where}; write x ** 2 for x squared")
            if type(node.op) not in _BINARY and not isinstance(node.op, ast.Pow):
                raise ValueError(f"unsupported operator {type(node.op).__name__}{where}; use + - * / **")
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ValueError(f"unsupported operator {type(node.op).__name__}{where}; use + - * / **")
            return [node.operand]
        if isinstance(node, ast.Call):
            self._check_call(node, where)
            return list(node.args)
        kind = _REFUSED.get(type(node), type(node).__name__)
        raise ValueError(f"unsupported syntax: {kind}{where}; only numbers, names, + - * / ** and calls")

    def _check_call(self, node: ast.Call, where: str) -> None:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name is None or name not in FUNCTIONS:
            shown = name or ast.get_source_segment(self.text, node.func) or "?"
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            close = difflib.get_close_matches(shown, FUNCTIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown function {shown!r}{where}; {hint}known: {', '.join(sorted(FUNCTIONS))}")
        low, high = _ARITY[name]
        if node.keywords or not low <= len(node.args) <= high:
            raise ValueError(f"{name}() takes {low if low == high else f'{low} or {high}'} positional "
                             f"argument{'s' if high > 1 else ''}{where}")  # fmt: skip
        if name == "leaky_relu" and len(node.args) == 2 and _number(node.args[1]) is None:
            raise ValueError(f"leaky_relu's slope must be a number{where}")

    def build(self, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
        """The Value graph at these variable values, and the leaf Value of each variable (keyed by Python's name).

        The names in ``values`` are read as Python reads identifiers, so {"µ": 3} gives
        the variable μ its value.
        """
        given = _by_variable_name(values)
        missing = [name for name in self.variables if name not in given]
        if missing:
            shown = ", ".join(_as_typed(self.typed[name], name) for name in missing)
            raise ValueError(f"no value for {shown}; give one with --at {self.typed[missing[0]]}=1.0")
        unused = [_as_typed(typed, name) for name, (typed, _) in given.items() if name not in self.variables]
        if unused:
            raise ValueError(f"{', '.join(unused)} does not appear in {self.text!r}")
        leaves = {name: Value(given[name][1], label=name) for name in self.variables}
        return self._build(self.tree, leaves), leaves

    def __call__(self, /, **leaves: Value) -> Value:
        """The graph built from the given Values (one per variable, by name, even one called ``self``)."""
        return self._build(self.tree, {name: leaf for name, (_, leaf) in _by_variable_name(leaves).items()})

    def _build(self, root: ast.AST, leaves: Mapping[str, Value]) -> Value:
        """Post-order over an explicit stack: operands first (left to right), then the op on their Values."""
        results: list[Value] = []
        stack: list[tuple[ast.AST, bool]] = [(root, False)]
        while stack:
            node, operands_done = stack.pop()
            constant = _number(node)
            if constant is not None:
                results.append(Value(constant))
            elif isinstance(node, ast.Name):
                results.append(leaves[node.id])
            elif not operands_done:
                stack.append((node, True))
                stack.extend((operand, False) for operand in reversed(_operands(node)))
            else:
                n = len(_operands(node))
                args = results[len(results) - n :]
                del results[len(results) - n :]
                results.append(_apply(node, args))
        return results[0]


def _parse(text: str) -> ast.expr:
    """The expression's syntax tree; a readable ValueError for syntax errors and for nesting Python cannot parse."""
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError as error:
        product = re.search(r"(?<![\w.])(\d+\.?\d*)([A-Za-z_]\w*)", text)
        hint = f"; for a product write {product[1]}*{product[2]}" if product and "decimal" in str(error.msg) else ""
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"syntax error in {shown!r} at column {error.offset}: {error.msg}{hint}") from None
    except (RecursionError, MemoryError):
        raise ValueError(
            "the expression is nested too deeply for Python's parser; write it with fewer levels"
        ) from None


def _operands(node: ast.AST) -> list[ast.AST]:
    """The sub-expressions that become Values before ``node`` is applied (a number exponent or slope is a parameter)."""
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return (
            [node.left] if isinstance(node.op, ast.Pow) and _number(node.right) is not None else [node.left, node.right]
        )
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # checked in ParsedExpression._check
    return [node.args[0]] if node.func.id in _PARAMETERS else list(node.args)


def _apply(node: ast.AST, args: list[Value]) -> Value:
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            exponent = _number(node.right)
            return args[0] ** (exponent if exponent is not None else args[1])  # a number exponent is one node
        return _BINARY[type(node.op)](args[0], args[1])
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # checked in ParsedExpression._check
    if node.func.id in _PARAMETERS and len(node.args) == 2:
        return FUNCTIONS[node.func.id](args[0], _number(node.args[1]))
    return FUNCTIONS[node.func.id](*args)


def _number(node: ast.AST) -> float | None:
    """The value of a constant, possibly signed (2, -1.5), or None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        inner = _number(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


def _column(text: str, node: ast.AST) -> int:
    """The 1-based column of ``node`` in characters (the parser counts UTF-8 bytes: 'µ' is two)."""
    lines = text.splitlines() or [""]
    line = lines[min(getattr(node, "lineno", 1), len(lines)) - 1]
    return len(line.encode("utf-8")[: getattr(node, "col_offset", 0)].decode("utf-8", errors="ignore")) + 1


def variable_name(typed: str) -> str:
    """The variable Python reads for a name as typed: the NFKC normal form of an identifier (PEP 3131).

    The name is checked as typed, as CPython's tokenizer does (identifier
    characters, not a keyword), then normalised: the micro sign becomes Greek mu,
    fullwidth letters ASCII, ligatures their letters. A name that starts with '_'
    once read is private and refused.

    >>> [variable_name(typed) for typed in ("x", "\uff58", "\ufb01", "\u212a")]
    ['x', 'x', 'fi', 'K']
    >>> variable_name("\u00b5") == "\u03bc"
    True
    >>> variable_name("if")
    Traceback (most recent call last):
    ValueError: 'if' cannot be a variable name: it is a Python keyword; choose another
    """
    if not isinstance(typed, str) or not typed.isidentifier():
        raise ValueError(f"{typed!r} is not a name; use letters, digits and '_', not starting with a digit")
    if keyword.iskeyword(typed):
        raise ValueError(f"{typed!r} cannot be a variable name: it is a Python keyword; choose another")
    name = unicodedata.normalize("NFKC", typed)
    if name.startswith("_"):
        raise ValueError(f"{typed!r} cannot be a variable name: names may not start with '_'; choose another")
    return name


def _by_variable_name(named: Mapping[str, T], where: str = "") -> dict[str, tuple[str, T]]:
    """Each entry keyed by ``variable_name`` of its key, with the key as typed; ValueError for a name given twice
    (two spellings that Python reads as one name count as twice)."""
    found: dict[str, tuple[str, T]] = {}
    for typed, item in named.items():
        _take(found, typed, item, where)
    return found


def _take(found: dict[str, tuple[str, T]], typed: str, item: T, where: str) -> None:
    name = variable_name(typed)
    if name in found:
        first = found[name][0]
        same = "" if first == typed else f" ({first} and {typed} are one name to Python)"
        raise ValueError(f"{name} is given twice{where}{same}")
    found[name] = (typed, item)


def _as_typed(typed: str, name: str) -> str:
    """A name for a message: as the user typed it, and as Python reads it when that differs."""
    return typed if typed == name else f"{typed} (read as {name})"


def parse_assignments(text: str) -> dict[str, float]:
    """'a=2,b=-3' -> {'a': 2.0, 'b': -3.0}: each name as typed (checked by ``variable_name``) and its value.

    >>> parse_assignments("a=2, b=-3.5")
    {'a': 2.0, 'b': -3.5}
    """
    values: dict[str, float] = {}
    seen: dict[str, tuple[str, None]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = part.partition("=")
        name, number = name.strip(), number.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"cannot read {part!r}; write values as name=number, e.g. --at a=2,b=-3")
        _take(seen, name, None, f" in {text!r}")  # a name, and not given twice
        try:
            x: object = float(number)
        except ValueError:
            x = number  # not a number: check_real says so in the one message style
        values[name] = check_real(name, x)
    return values
