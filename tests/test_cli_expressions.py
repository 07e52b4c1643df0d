"""The CLI's expression parser: names read exactly as Python reads identifiers, on every path into it."""

from __future__ import annotations

import ast
import math
import re

import pytest

from micrograd_plus.cli import expressions
from micrograd_plus.cli.commands import UsageError, check_finite
from micrograd_plus.cli.expressions import ParsedExpression, parse_assignments, variable_name
from micrograd_plus.engine import Value

MICRO, MU, FULLWIDTH_X, FI, KELVIN = "\u00b5", "\u03bc", "\uff58", "\ufb01", "\u212a"


def python_reads(text: str) -> str | None:
    """The variable Python's own parser makes of ``text``, or None when it is no variable name."""
    try:
        body = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return body.id if isinstance(body, ast.Name) and not body.id.startswith("_") else None


def ours(text: str) -> str | None:
    try:
        return variable_name(text)
    except ValueError:
        return None


def test_variable_name_agrees_with_python_on_every_character() -> None:
    """Alone and after a letter (the first character of an identifier is held to stricter rules)."""
    disagree = [
        (hex(cp), text)
        for cp in range(0x80, 0x30000)
        if not 0xD800 <= cp < 0xE000
        for text in (chr(cp), "a" + chr(cp))
        if ours(text) != python_reads(text)
    ]
    assert disagree == []


@pytest.mark.parametrize(
    "text",
    ["x", "self", "match", "x1", MICRO, FULLWIDTH_X, FI, KELVIN, "\uff49\uff46", "x\u00b7y", "\u00aa", "\u210c"],
)
def test_variable_name_is_python_reading(text: str) -> None:
    assert variable_name(text) == python_reads(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("if", "'if' cannot be a variable name: it is a Python keyword"),
        ("None", "'None' cannot be a variable name: it is a Python keyword"),
        ("_x", "'_x' cannot be a variable name: names may not start with '_'"),
        ("1x", "'1x' is not a name"),
        ("a b", "'a b' is not a name"),
        ("x\u00b2", "'x\u00b2' is not a name"),  # Python refuses it as typed, although NFKC would make it x2
        ("\uff3fx", "'\uff3fx' is not a name"),  # fullwidth low line: Python refuses it as typed
        ("", "'' is not a name"),
        (1, "1 is not a name"),
    ],
)
def test_variable_name_refuses_what_python_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        variable_name(text)


def test_build_and_call_read_names_as_python_does() -> None:
    expr = ParsedExpression(f"{MICRO} * {FULLWIDTH_X} + {FI} * {KELVIN}")
    assert expr.variables == [MU, "x", "fi", "K"]
    assert expr.typed == {MU: MICRO, "x": FULLWIDTH_X, "fi": FI, "K": KELVIN}
    for spelled in ({MICRO: 2, FULLWIDTH_X: 3, FI: 5, KELVIN: 7}, {MU: 2, "x": 3, "fi": 5, "K": 7}):
        out, leaves = expr.build(spelled)
        assert out.data == 2 * 3 + 5 * 7 and list(leaves) == [MU, "x", "fi", "K"]
        assert [leaf.label for leaf in leaves.values()] == [MU, "x", "fi", "K"]
        called = expr(**{name: Value(float(v)) for name, v in spelled.items()})
        assert called.data == out.data


def test_two_spellings_of_one_name_are_refused_before_building() -> None:
    expr = ParsedExpression(f"{MU} + x")
    for given in ({MICRO: 1.0, MU: 2.0, "x": 0.0}, {"x": 1.0, FULLWIDTH_X: 2.0, MU: 0.0}):
        with pytest.raises(ValueError, match=r"is given twice .* are one name to Python"):
            expr.build(given)
        with pytest.raises(ValueError, match="is given twice"):
            expr(**{name: Value(v) for name, v in given.items()})


def test_messages_name_variables_as_typed() -> None:
    expr = ParsedExpression(f"x * {MICRO}")
    with pytest.raises(ValueError, match=f"^no value for {MICRO} \\(read as {MU}\\); give one with --at {MICRO}=1.0$"):
        expr.build({"x": 1.0, "m": 2.0})
    with pytest.raises(ValueError, match=f"^{KELVIN} \\(read as K\\) does not appear in 'x \\* {MICRO}'$"):
        expr.build({"x": 1.0, MU: 2.0, KELVIN: 3.0})
    with pytest.raises(ValueError, match=r"^no value for m; give one with --at m=1\.0$"):  # ASCII: shown once
        ParsedExpression("m").build({})


def test_parse_assignments_keeps_names_as_typed_and_checks_each() -> None:
    assert parse_assignments(f"{MICRO}=2, {FULLWIDTH_X}=-3.5,y=1e3") == {MICRO: 2.0, FULLWIDTH_X: -3.5, "y": 1000.0}
    for text, message in [
        (f"{MICRO}=1,{MU}=2", f"{MU} is given twice in '{MICRO}=1,{MU}=2' ({MICRO} and {MU} are one name to Python)"),
        ("a=1,a=2", "a is given twice in 'a=1,a=2'"),
        (f"{FI}=1e999", f"{FI} must be a finite number, got inf"),
        ("a=1,b=0x10", "b must be a finite number, got str '0x10'"),
        ("if=1", "'if' cannot be a variable name"),
    ]:
        with pytest.raises(ValueError) as error:
            parse_assignments(text)
        assert str(error.value).startswith(message), str(error.value)


def test_the_parser_class_has_a_name_of_its_own() -> None:
    assert not hasattr(expressions, "Expression") and "ParsedExpression" in expressions.__all__


def test_check_finite_names_the_node() -> None:
    x = Value(2.0, label="x")
    y = x * 3.0
    check_finite(y)
    y.grad = math.inf
    with pytest.raises(UsageError, match=r"^the gradient of an unlabelled node \(made by '.+'\) is inf"):
        check_finite(y)
    x.grad = math.nan
    with pytest.raises(UsageError, match=r"^the gradient of node 'x' is nan"):  # inputs first: the earliest node
        check_finite(y)
