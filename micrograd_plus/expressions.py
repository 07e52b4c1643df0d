"""Arithmetic expressions over named variables, parsed safely into Value graphs (never ``eval``).

Only a whitelist of Python syntax is accepted: numbers, names, ``+ - * / **``,
unary ``-`` and ``+``, parentheses, and calls of the engine's functions with
positional arguments. Anything else is refused with a one-line ``ValueError``.

>>> expr = Expression("tanh(a*b + c)")
>>> expr.variables
['a', 'b', 'c']
>>> out, values = expr.build({"a": 2, "b": -3, "c": 6.5})
>>> round(out.data, 4), values["a"].label
(0.4621, 'a')
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping

from micrograd_plus.engine import Value

__all__ = ["FUNCTIONS", "Expression", "parse_assignments"]

FUNCTIONS: dict[str, Callable[..., Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "sin": Value.sin,
    "cos": Value.cos,
    "abs": abs,
    "leaky_relu": Value.leaky_relu,  # leaky_relu(x) or leaky_relu(x, slope)
}
_ARITY = {name: (1, 1) for name in FUNCTIONS} | {"leaky_relu": (1, 2)}
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


class Expression:
    """A parsed expression: its variables (in order of first use) and a builder of its Value graph."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the expression is empty; write one such as 'tanh(a*b + c)'")
        self.text = text
        try:
            self.tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as error:
            raise ValueError(f"syntax error in {text!r} at column {error.offset}: {error.msg}") from None
        self.variables: list[str] = []
        self._check(self.tree)

    def _check(self, node: ast.AST) -> None:
        where = f" at column {getattr(node, 'col_offset', 0) + 1}"
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ValueError(f"only numbers may appear as constants, got {node.value!r}{where}")
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ValueError(f"{node.id!r} is a function; call it, as in {node.id}(x){where}")
            if node.id.startswith("_"):
                raise ValueError(f"names may not start with '_', got {node.id!r}{where}")
            if node.id not in self.variables:
                self.variables.append(node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY and not isinstance(node.op, ast.Pow):
                raise ValueError(f"unsupported operator {type(node.op).__name__}{where}; use + - * / **")
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ValueError(f"unsupported operator {type(node.op).__name__}{where}; use + - * / **")
            self._check(node.operand)
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name is None or name not in FUNCTIONS:
                shown = name or ast.unparse(node.func)
                raise ValueError(f"unknown function {shown!r}{where}; known: {', '.join(sorted(FUNCTIONS))}")
            low, high = _ARITY[name]
            if node.keywords or not low <= len(node.args) <= high:
                raise ValueError(f"{name}() takes {low if low == high else f'{low} or {high}'} positional "
                                 f"argument{'s' if high > 1 else ''}{where}")  # fmt: skip
            if name == "leaky_relu" and len(node.args) == 2 and _number(node.args[1]) is None:
                raise ValueError(f"leaky_relu's slope must be a number{where}")
            for arg in node.args:
                self._check(arg)
        else:
            kind = _REFUSED.get(type(node), type(node).__name__)
            raise ValueError(f"unsupported syntax: {kind}{where}; only numbers, names, + - * / ** and calls")

    def build(self, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
        """The Value graph at these variable values, and the leaf Value of each variable."""
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ValueError(f"no value for {', '.join(missing)}; give one with --at {missing[0]}=1.0")
        unused = [name for name in values if name not in self.variables]
        if unused:
            raise ValueError(f"{', '.join(unused)} does not appear in {self.text!r}")
        leaves = {name: Value(values[name], label=name) for name in self.variables}
        return self._build(self.tree, leaves), leaves

    def __call__(self, **leaves: Value) -> Value:
        """The graph built from the given Values (one per variable, by name): for gradcheck."""
        return self._build(self.tree, leaves)

    def _build(self, node: ast.AST, leaves: Mapping[str, Value]) -> Value:
        constant = _number(node)
        if constant is not None:
            return Value(constant)
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self._build(node.operand, leaves)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left = self._build(node.left, leaves)
            exponent = _number(node.right)
            if isinstance(node.op, ast.Pow) and exponent is not None:
                return left**exponent  # a number exponent (x ** 2, x ** -1) is one node
            right = self._build(node.right, leaves)
            return left**right if isinstance(node.op, ast.Pow) else _BINARY[type(node.op)](left, right)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # checked in _check
        args = [self._build(node.args[0], leaves)]
        if len(node.args) == 2:
            return FUNCTIONS[node.func.id](args[0], _number(node.args[1]))
        return FUNCTIONS[node.func.id](args[0])


def _number(node: ast.AST) -> float | None:
    """The value of a constant, possibly signed (2, -1.5), or None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        inner = _number(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


def parse_assignments(text: str) -> dict[str, float]:
    """'a=2,b=-3' -> {'a': 2.0, 'b': -3.0}.

    >>> parse_assignments("a=2, b=-3.5")
    {'a': 2.0, 'b': -3.5}
    """
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = part.partition("=")
        name, number = name.strip(), number.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"cannot read {part!r}; write values as name=number, e.g. --at a=2,b=-3")
        if name in values:
            raise ValueError(f"{name} is given twice in {text!r}")
        try:
            x = float(number)
        except ValueError:
            raise ValueError(f"{name}={number!r} is not a number") from None
        if not math.isfinite(x):
            raise ValueError(f"{name}={number} is not a finite number")
        values[name] = x
    return values
