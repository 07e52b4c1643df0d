"""The shared rules of _validate that the engine and the fast paths use: leaf lists, a Value's number,
from_op's arguments, and how user strings are shown."""

from __future__ import annotations

import math

import pytest

from micrograd_plus import Value
from micrograd_plus._validate import check_from_op, check_leaves, finite_float, safe_text
from micrograd_plus.compile import compile_graph


def test_leaf_lists_one_message_style_everywhere() -> None:
    a, b = Value(1.0, label="a"), Value(2.0)
    assert check_leaves("parameter", (a, b)) == [a, b]
    cases = [
        ([a, a], ValueError, r"^parameter 1 \(node 'a'\) is listed twice \(also as parameter 0\); list each once$"),
        ([a * b], ValueError, r"^parameter 0 \(an unlabelled node, made by '\*'\) is not a leaf"),
        ([1.0], TypeError, r"^parameter 0 must be a Value, got float 1\.0$"),
        (a, TypeError, r"^parameters must be a list of Values, got Value"),
        ("ab", TypeError, r"^parameters must be a list of Values, got str 'ab'$"),
    ]
    for items, kind, pattern in cases:
        with pytest.raises(kind, match=pattern):
            check_leaves("parameter", items)
    seen: dict[int, str] = {}
    check_leaves("parameter", [a], seen=seen)
    with pytest.raises(ValueError, match=r"input 0 \(node 'a'\) is listed twice \(also as parameter 0\)"):
        check_leaves("input", [a], seen=seen)
    ab = a * b
    assert check_leaves("parent", [a, a, ab], leaves_only=False, distinct=False) == [a, a, ab]


def test_compiled_and_batched_replay_check_their_leaves_with_the_shared_rule() -> None:
    x = Value(3.0, label="x")
    with pytest.raises(ValueError, match=r"data leaf 0 \(node 'x'\) is listed twice \(also as input 0\)"):
        compile_graph(x * 2, [x], data=[x])
    with pytest.raises(ValueError, match=r"input 0 \(an unlabelled node, made by '\*'\) is not a leaf"):
        compile_graph(x * 2, [x * 1])
    np = pytest.importorskip("numpy")
    assert np is not None
    from micrograd_plus.compile import vectorize

    w = Value(0.5, label="w")
    with pytest.raises(ValueError, match=r"input 0 \(node 'w'\) is listed twice \(also as parameter 0\)"):
        vectorize(w * x, [w], [w])


def test_a_values_number() -> None:
    assert finite_float(3) == 3.0 and type(finite_float(True + 0)) is float
    for bad, kind, pattern in [
        (math.nan, ValueError, "got nan; check the input for nan or inf"),
        (-math.inf, ValueError, "got -inf"),
        (10**400, ValueError, "beyond the float range"),
        ("1", TypeError, "expected a Value, int or float, got str '1'"),
        (True, TypeError, "got bool True"),
        (None, TypeError, "got NoneType None"),
    ]:
        with pytest.raises(kind, match=pattern):
            finite_float(bad)
        with pytest.raises(kind, match=pattern):
            Value(bad)  # type: ignore[arg-type]


def test_numpy_numbers_make_values() -> None:
    np = pytest.importorskip("numpy")
    for number in (np.float64(0.5), np.float32(0.5), np.int64(2), np.array(0.5), np.array(2)):
        v = Value(number)
        assert type(v.data) is float and v.data in (0.5, 2.0)
    with pytest.raises(TypeError, match="got ndarray"):
        Value(np.array([1.0, 2.0]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nan"):
        Value(np.float64("nan"))


def test_from_op_arguments() -> None:
    x = Value(2.0, label="x")
    assert check_from_op([x, x], [1, 2.5], "f") == ((x, x), (1.0, 2.5))
    for args, kind, pattern in [
        (([x], [1.0], 3), TypeError, "from_op needs the op's name as a string, got int 3"),
        (([2.0], [1.0], "f"), TypeError, "from_op parent 0 must be a Value, got float 2.0"),
        (([x], [math.inf], "f"), ValueError, "from_op local derivative 0 must be a finite number, got inf"),
        (([x], ["1"], "f"), ValueError, "from_op local derivative 0 must be a finite number, got str '1'"),
        (([x, x], [1.0], "f"), ValueError, "one local derivative per parent, got 2 parents and 1"),
        (([], [], "f"), ValueError, "one local derivative per parent, got 0 parents and 0"),
    ]:
        with pytest.raises(kind, match=pattern):
            Value.from_op(1.0, *args)  # type: ignore[arg-type]


def test_user_strings_are_shown_one_way() -> None:
    assert safe_text("plain") == "plain"
    assert safe_text("a\tb\nc\rd\x00e\u2028f") == "a\\tb\\nc\\rd\\x00e\\u2028f"
    assert safe_text("x" * 50, 10) == "xxxxxxx..." and safe_text("short", 10) == "short"
    w = Value(1.0, label="w\nnewline")
    source = compile_graph((w * 2).named("y\x00"), [w]).source
    assert "w\\nnewline" in source and "y\\x00" in source
    compile(source, "<test>", "exec")  # no label can break the generated program


def test_checks_take_numpy_numbers_where_they_take_python_numbers() -> None:
    np = pytest.importorskip("numpy")
    from micrograd_plus import check_grad, gradcheck

    assert gradcheck(lambda x, y: x * y, [np.float64(1.5), np.array(0.5)], eps=np.float32(1e-6)).ok
    assert check_grad(lambda x: x[0] * x[1], lambda x: [x[1], x[0]], [np.int64(2), np.array(3.0)]).ok
    with pytest.raises(TypeError, match=r"input x0 must be a real number, got str '1'"):
        gradcheck(lambda x: x, ["1"])
    with pytest.raises(ValueError, match=r"eps must be a finite number > 0, got -1\.0"):
        gradcheck(lambda x: x, [1.0], eps=np.float64(-1.0))
    with pytest.raises(ValueError, match=r"atol must be a finite number >= 0, got nan"):
        check_grad(lambda x: x, lambda x: 1.0, 1.0, atol=float("nan"))
