"""compare_graphs: planted differences are found (missing, extra, op, value, gradient), identical graphs agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import Value
from micrograd_plus.viz.compare import compare_graphs
from micrograd_plus.viz.explorer import write_explorer


def leaves() -> tuple[Value, Value, Value]:
    return Value(2.0, label="x"), Value(-0.5, label="w"), Value(0.3, label="b")


def reference() -> Value:
    x, w, b = leaves()
    o = (w * x + b).tanh().named("o")
    o.backward()
    return o


def built(make: Any) -> Value:
    root: Value = make(*leaves())
    root.backward()
    return root


def test_identical_graphs_agree_even_with_commuted_operands() -> None:
    for make in (lambda x, w, b: (w * x + b).tanh(), lambda x, w, b: (b + x * w).tanh()):
        result = compare_graphs(built(make), reference())
        assert result.same, str(result)
        assert "the graphs agree" in str(result) and "the same" in repr(result)
        assert not result.student_marks()


def test_a_missing_node_is_named_and_drawn() -> None:
    result = compare_graphs(built(lambda x, w, b: (w * x).tanh()), reference())  # forgot + b
    assert not result.same
    described = [result.reference.name(result.reference.order[j]) for j in result.missing]
    assert sorted(described) == ["#2", "b"]  # the + and its b, nothing else
    assert not result.extra and not result.values[:0]
    assert "missing (in the reference, not in yours): b (leaf, 0.3)" in str(result)
    dot = result.to_dot()
    assert "missing: in the reference only" in dot and "style=dashed" in dot


def test_an_extra_node_is_marked() -> None:
    result = compare_graphs(built(lambda x, w, b: ((w * x + b) * 1.0).tanh()), reference())
    assert sorted(result.student.order[i].op for i in result.extra) == ["", "*"]  # the * 1.0 and its 1.0
    assert not result.missing
    marks = result.student_marks()
    assert "extra" in marks.values()
    assert "extra (in yours, not in the reference)" in str(result)
    assert "extra: not in the reference" in result.to_dot()


def test_a_different_op_and_the_first_value_difference() -> None:
    result = compare_graphs(built(lambda x, w, b: (w * x - b).tanh()), reference())
    text = str(result)
    assert "op '-' in yours, '+' in the reference" in text
    first = result.student.order[result.values[0]]
    assert first.op == "-"  # the first value difference in forward order is where it went wrong, not the root
    assert "first value difference (forward order): #2: -1.3 in yours, -0.7 in the reference" in text


def test_a_value_difference_at_a_leaf_comes_first_in_forward_order() -> None:
    def make(x: Value, w: Value, b: Value) -> Value:
        return (w * x + Value(0.4, label="b")).tanh()

    result = compare_graphs(built(make), reference())
    assert result.student.name(result.student.order[result.values[0]]) == "b"
    assert result.student_marks()[result.values[0]] == "value"
    assert "reference data 0.3" in result.to_dot()


def test_a_gradient_difference_alone_is_found_from_the_root() -> None:
    mine = built(lambda x, w, b: (w * x + b).tanh())
    x = next(v for v in mine.topological_order() if v.label == "x")
    x.grad += 0.25  # a planted wrong gradient: values all agree
    result = compare_graphs(mine, reference())
    assert not result.values and result.grads == (mine.topological_order().index(x),)
    assert "first gradient difference (backward order): x:" in str(result)
    assert result.student_marks() == {result.grads[0]: "grad"}


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="student must be a Value"):
        compare_graphs(1.0, reference())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rel_tol must be a number >= 0"):
        compare_graphs(reference(), reference(), rel_tol=-1)


def test_the_drawing_renders_and_the_explorer_marks(tmp_path: Path, dot_program: str, browser: Any) -> None:
    mine = built(lambda x, w, b: (w * x - b).tanh())
    result = compare_graphs(mine, reference())
    svg = result.render(tmp_path / "diff.svg").read_text()
    assert "reference op +" in svg
    path = write_explorer(mine, tmp_path / "diff.html", reference=reference())
    browser.get(path.as_uri())
    marked = browser.execute_script("return [...document.querySelectorAll('#graph .mark-op')].map(g => g.textContent)")
    assert len(marked) == 1 and marked[0].startswith("#2 = -")
    assert "op '-' in yours" in browser.find_element("id", "report").text
    browser.save_screenshot(str(tmp_path / "diff.png"))


def neuron_leaves() -> tuple[Value, ...]:
    return (
        Value(2.0, label="x1"),
        Value(0.0, label="x2"),
        Value(-3.0, label="w1"),
        Value(1.0, label="w2"),
        Value(0.9, label="b"),
    )


def neuron_reference() -> Value:
    x1, x2, w1, w2, b = neuron_leaves()
    o = (x1 * w1 + x2 * w2 + b).tanh().named("o")
    o.backward()
    return o


def test_a_forgotten_term_is_missing_without_mismatching_the_rest() -> None:
    x1, x2, w1, w2, _b = neuron_leaves()
    mine = (w1 * x1 + w2 * x2).tanh()
    mine.backward()
    result = compare_graphs(mine, neuron_reference())
    assert [result.reference.name(result.reference.order[j]) for j in result.missing] == ["b", "#4"]
    assert not result.extra and not result.ops
    assert result.student.order[result.values[0]] is mine  # only the root's value differs


def test_a_wrong_operand_is_named() -> None:
    x1, _x2, w1, w2, b = neuron_leaves()
    mine = (w1 * x1 + w2 * x1 + b).tanh()  # x1 where x2 belongs
    mine.backward()
    result = compare_graphs(mine, neuron_reference())
    assert [result.reference.name(result.reference.order[j]) for j in result.missing] == ["x2"]
    first = result.student.order[result.values[0]]
    assert first.op == "*" and set(first.parents) == {w2, x1}  # where the wrong number first appears


def test_numbers_that_differ_are_printed_with_the_digits_that_differ() -> None:
    for mine_value, theirs_value in ((1.26211, 1.26243), (0.300000001, 0.3), (-2.0000001, -2.0), (1e-3, 1.0000001e-3)):
        x = Value(mine_value, label="x")
        mine = (x * 2.0).named("o")
        reference_root = (Value(theirs_value, label="x") * 2.0).named("o")
        mine.backward()
        reference_root.backward()
        line = next(
            line for line in str(compare_graphs(mine, reference_root)).splitlines() if "value difference" in line
        )
        shown = line.split(": ", 2)[2]  # "<a> in yours, <b> in the reference"
        a, b = shown.removesuffix(" in the reference").split(" in yours, ")
        assert a != b and float(a) != float(b), line
        assert float(a) == pytest.approx(mine_value, rel=1e-3) and float(b) == pytest.approx(theirs_value, rel=1e-3)


def test_a_constant_is_shown_with_every_digit_it_has(tmp_path: Path) -> None:
    x, w, b = leaves()
    mine = ((w * x + b).tanh() * Value(1.0001)).named("o")
    mine.backward()
    text = str(compare_graphs(mine, reference()))
    assert "(leaf, 1.0001)" in text
    result = compare_graphs(mine, reference())
    assert "1.0001" in result.to_dot()


def test_a_graph_without_gradients_is_named_not_compared_gradient_by_gradient() -> None:
    x, w, b = leaves()
    mine = (w * x + b).tanh()  # backward() not called
    result = compare_graphs(mine, reference())
    assert not result.grads and not result.same and not result.student_marks()
    line = str(result).splitlines()[-1]
    assert "your root's gradient is 0" in line and "backward()" in line and " vs " not in line
    theirs = (w * x + b).tanh()  # the other way round: the reference lacks gradients
    mine.backward()
    assert "the reference's root gradient is 0" in str(compare_graphs(mine, theirs))
    assert "gradients on one side only" in repr(compare_graphs(mine, theirs))
    fresh = (Value(2.0) * Value(-0.5)).tanh()
    agree = compare_graphs(fresh, (Value(2.0) * Value(-0.5)).tanh())
    assert agree.same and "neither graph has gradients" in str(agree)


def test_writing_into_a_missing_folder_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    mine = built(lambda x, w, b: (w * x - b).tanh())
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match=r"write_explorer\(\): the folder .*such' does not exist.*mkdir"):
        write_explorer(mine, missing / "diff.html", reference=reference())
    with pytest.raises(FileNotFoundError, match=r"render\(\): the folder .*mkdir"):
        compare_graphs(mine, reference()).render(missing / "diff.svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_explorer(mine, str(missing / "e.html"))
    assert not (tmp_path / "no").exists()
