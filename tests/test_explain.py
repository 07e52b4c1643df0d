"""Explanations: the trace is exactly what backward() does; formulas for every op; renderings."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings

from micrograd_plus import Value
from micrograd_plus.check.op_table import OPS, Expression, OpSpec, expressions
from micrograd_plus.nn import MLP
from micrograd_plus.viz.drawing import to_dot
from micrograd_plus.viz.explain import explain_backward, explain_forward, local_formula
from micrograd_plus.viz.graph_view import view


@given(expressions(max_steps=12))
@settings(max_examples=200, deadline=None)
def test_trace_agrees_exactly_with_backward(e: Expression) -> None:
    root = e(*map(Value, e.inputs))
    trace = explain_backward(root)
    root.backward()
    assert list(trace.grads) == [v.grad for v in root.topological_order()]  # exactly, not approximately


def test_trace_agrees_on_a_network_with_dead_relus() -> None:
    model = MLP(3, [8, 8, 1], seed=4)
    root = model([0.5, -1.0, 2.0])[0]
    trace = explain_backward(root)
    root.backward()
    assert list(trace.grads) == [v.grad for v in root.topological_order()]
    skipped = [s for s in trace.steps if not s.contributions]
    assert skipped and all("backward() skips it" in s.note for s in skipped)


def test_shared_nodes_collect_numbered_contributions() -> None:
    a = Value(2.0, label="a")
    h = (a * a).named("h")
    y = (h + a).named("y")
    trace = explain_backward(y)
    to_a = [c for s in trace.steps for c in s.contributions if c.parent_name == "a"]
    assert [(c.count, c.product, c.total) for c in to_a] == [(1, 1.0, 1.0), (2, 2.0, 3.0), (3, 2.0, 5.0)]
    text = str(trace)
    assert "3rd contribution to a" in text and text.startswith("backward from y: 2 steps")
    assert "a.grad += [a = 2] × 1 = 2   → a.grad = 5 (3rd contribution)" in to_a[-1].describe()


def test_tanh_formula_with_numbers() -> None:
    x = Value(1.0, label="x")
    t = x.tanh()
    assert local_formula(t, 0, lambda v: v.label) == "1 − tanh(x)² = 1 − 0.7616² = 0.42"
    negative = Value(-1.0).tanh()
    assert "(-0.7616)²" in local_formula(negative, 0, lambda v: "x")


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_every_op_has_a_formula(spec: OpSpec) -> None:
    node = spec.build(*[Value(0.5 + 0.25 * i, f"x{i}") for i in range(spec.arity)])
    for j in range(len(node.parents)):
        formula = local_formula(node, j, lambda v: v.label or "#")
        assert "recorded by op" not in formula
        assert formula.endswith(format(node.local_grads[j], ".4g")) or formula in ("1", "-1", "1 (the bias)")


def test_custom_ops_show_their_recorded_derivative() -> None:
    x = Value(2.0)
    cube = Value.from_op(8.0, [x], [12.0], "cube")
    assert local_formula(cube, 0, lambda v: "x") == "12 (recorded by op 'cube')"


def test_renderings() -> None:
    x = Value(0.5, label="<x>")
    y = (x * x).sin().named("y")
    trace = explain_backward(y)
    markdown = trace.to_markdown()
    assert markdown.startswith("**backward from y") and "| step | node | op |" in markdown
    page = trace._repr_html_()
    assert "&lt;x&gt;" in page and "<x>" not in page
    forward = explain_forward(y)
    assert str(forward).splitlines()[1:] == [
        "<x>   leaf         0.5",
        "#1    <x> * <x>    0.25",
        "y     sin(#1)      0.2474",
    ]
    assert "| #1 | <x> * <x> | 0.25 |" in forward.to_markdown()
    assert "&lt;x&gt; * &lt;x&gt;" in forward._repr_html_()


def test_forward_expressions() -> None:
    w, x, b = Value(0.5, "w"), Value(2.0, "x"), Value(0.1, "b")
    from micrograd_plus import functional as F

    out = F.dot([w], [x], bias=b).named("n")
    lines = explain_forward(out**2).lines
    assert ("n", "w·x + b", "1.1") in lines and lines[-1][1] == "n ** 2"


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="explain_backward needs a Value, got float"):
        explain_backward(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="explain_forward needs a Value"):
        explain_forward("x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        explain_backward(Value(1.0) * 2, fmt="%q")
    assert math.isfinite(explain_backward(Value(3.0)).grads[0])


def test_formulas_name_the_real_operands() -> None:
    w, x, b = Value(0.5, "w"), Value(2.0, "x"), Value(-1.0, "b")
    root = (w * x + b).sigmoid()
    first = explain_backward(root).steps[0].contributions[0]
    assert first.formula == "σ(#2)·(1 − σ(#2)) = 0.5·(1 − 0.5) = 0.25"  # σ of the second unnamed node, not of x
    assert local_formula((x / w), 1, lambda v: v.label) == "−x/w² = -2/0.5² = -8"


def test_module_paths_name_parameters_and_leaves_are_summed_up() -> None:
    model = MLP(1, [1], activation="tanh", seed=0)
    root = model([0.5])[0]
    trace = explain_backward(root, module=model)
    names = {c.parent_name for s in trace.steps for c in s.contributions}
    assert {"layers.0.neurons.0.w.0", "layers.0.neurons.0.b"} <= names
    assert [leaf.name for leaf in trace.leaves] == ["layers.0.neurons.0.w.0", "#1", "layers.0.neurons.0.b"]
    assert trace.leaf_lines()[0].endswith("(1 contribution)")
    assert explain_forward(root, module=model).lines[0][0] == "layers.0.neurons.0.w.0"


def test_latex_table() -> None:
    a = Value(2.0, label="a_1")
    tex = explain_backward((a * a).tanh().named("y%")).to_latex()
    assert tex.startswith("\\begin{table}[ht]") and tex.rstrip().endswith("\\end{table}")
    assert "a\\_1" in tex and "y\\%" in tex and "tanh(\\#1)\\ensuremath{^2}" in tex
    assert tex.count(" \\\\\n") == 1 + 3  # the head and one row per contribution: y -> #1, #1 -> a twice


def test_repr_is_short_and_str_is_the_table() -> None:
    """At a REPL the trace shows one line; print() shows the table; a notebook shows the HTML table."""
    model = MLP(3, [8, 8, 1], seed=0)
    big = model([0.5, -1.0, 2.0])[0].named("L")
    x = Value(0.5, label="x")
    small = (x * 2).tanh().named("y")
    leaf = Value(3.0, label="w")
    for root, steps in ((big, None), (small, 2), (leaf, 0)):
        backward, forward = explain_backward(root), explain_forward(root)
        n_steps = len(backward.steps) if steps is None else steps
        nodes = len(root.topological_order())
        assert repr(backward) == f"<BackwardTrace of {root.label!r}: {n_steps} step{'s' * (n_steps != 1)}; " + (
            "print() it for the table>"
        )
        assert repr(forward) == f"<ForwardTrace of {root.label!r}: {nodes} node{'s' * (nodes != 1)}; " + (
            "print() it for the table>"
        )
        for trace in (backward, forward):
            assert len(repr(trace)) < 120 and "\n" not in repr(trace)
            assert str(trace).count("\n") >= 1 and repr(trace) not in str(trace)
            assert "<table>" in trace._repr_html_()
        assert str(backward).startswith(f"backward from {root.label}:")
        assert str(forward).startswith("node  computed as")
    assert len(str(explain_backward(big))) > 10_000  # the table is all there for print()


def test_unnamed_nodes_are_numbered_without_gaps_alike_in_explanations_and_drawings() -> None:
    a, b = Value(2.0, label="a"), Value(-1.0, label="b")
    root = ((Value(3.0) * a + b) * Value(0.5) + a.tanh()).relu()
    root.backward()
    graph = view(root)
    unnamed = [graph.name(v) for v in graph.order if not v.label]
    assert unnamed == [f"#{k}" for k in range(1, len(unnamed) + 1)]  # 1, 2, 3, ... in topological order
    trace = explain_backward(root)
    named_in_trace = {step.name for step in trace.steps} | {c.parent_name for s in trace.steps for c in s.contributions}
    dot = to_dot(root)
    drawn = set(re.findall(r"<td><b>([^<]+)</b></td>", dot))
    assert named_in_trace <= drawn and set(unnamed) <= drawn
    assert [line[0] for line in explain_forward(root).lines] == [graph.name(v) for v in graph.order]


def test_a_label_that_reads_like_a_number_keeps_the_names_unique() -> None:
    x = Value(1.0, label="#2")
    root = (Value(2.0) * x + Value(3.0)) * Value(4.0)
    graph = view(root)
    names = [graph.name(v) for v in graph.order]
    assert len(set(names)) == len(names) and "#2" in names
    assert sorted(n for n in names if n != "#2") == ["#1", "#3", "#4", "#5", "#6", "#7"]  # 2 is taken


def test_focus_follows_one_nodes_gradient() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = (a * b).named("c")
    y = (c * a + b + c.exp() * 0.01).named("y")
    y.backward()
    whole = explain_backward(y)
    focused = explain_backward(y, focus=c)
    assert "on the paths from c" in str(focused) and len(focused.steps) < len(whole.steps)
    graph = view(y)
    on = {graph.position(v) for v in graph.order if v is c or c in v.topological_order()}
    assert {s.position for s in focused.steps} == on - {graph.position(c)}
    into_c = [p for s in focused.steps for p in s.contributions if p.parent_name == "c"]
    assert len(into_c) == 2 and math.isclose(sum(p.product for p in into_c), c.grad)
    assert all(p.parent_position in on for s in focused.steps for p in s.contributions)
    assert focused.leaf_lines() == [f"c.grad = {c.grad:.4g} (2 contributions)"]
    assert focused.grads == whole.grads  # the gradients are the whole backward()'s
    with pytest.raises(ValueError, match="not in the graph"):
        explain_backward(y, focus=Value(1.0))
    with pytest.raises(TypeError, match="focus must be a Value"):
        explain_backward(y, focus=1.0)  # type: ignore[arg-type]


def test_focus_follows_one_attention_weight_of_the_gpt() -> None:
    from micrograd_plus.nn import GPT

    model = GPT(27, seed=0)
    loss = model.loss([26, 4, 5])
    loss.backward()
    weights = [v for v in loss.topological_order() if v.op == "exp" and v.scope and v.scope[0] == "head 0"]
    weight = weights[-1]  # position 1 attending to position 1, in head 0
    trace = explain_backward(loss, module=model, focus=weight)
    into = [c for s in trace.steps for c in s.contributions if c.parent_position == trace.leaves[0].position]
    assert into and math.isclose(sum(c.product for c in into), weight.grad, rel_tol=1e-12, abs_tol=1e-15)
    assert len(trace.steps) < trace.all_steps / 2  # only the steps between the loss and the weight
    assert not any("attn_wo" in c.parent_name for s in trace.steps for c in s.contributions)  # weights: off the paths
    assert trace.steps[0].name == trace.root_name


def test_the_player_names_nodes_as_explanations_do(tmp_path: Path, dot_program: str) -> None:
    import json

    from micrograd_plus.viz.player import write_player

    root = (Value(3.0) * Value(2.0, label="a") + Value(1.0)).tanh()  # an unnamed node before the first label
    root.backward()
    page = write_player(root, tmp_path / "p.html").read_text()
    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", page, flags=re.DOTALL)[1])  # type: ignore[index]
    graph = view(root)
    assert data["names"] == [graph.name(v) for v in graph.order] == ["#1", "a", "#2", "#3", "#4", "#5"]
    assert {s.name for s in explain_backward(root).steps} <= set(data["names"])


def test_the_power_rule_is_written_without_a_power_of_one() -> None:
    x = Value(0.5, label="x")
    z = (x**2 + x**1 + x**3).named("z")
    z.backward()
    formulas = [c.formula for s in explain_backward(z).steps for c in s.contributions if c.parent_name == "x"]
    assert sorted(formulas) == ["1", "2·x = 2·0.5 = 1", "3·x^2 = 3·0.5^2 = 0.75"], formulas
