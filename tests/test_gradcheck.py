"""The gradient checker: passes every correct op, catches and locates wrong ones, explains failures."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings

from micrograd_plus import (
    JacobianReport,
    Value,
    assert_gradients_match,
    central_difference,
    check_local_grads,
    define_op,
    eps_sweep,
    gradcheck,
    gradcheck_module,
    gradgradcheck,
)
from micrograd_plus import functional as F
from micrograd_plus.check.op_table import OPS, Expression, OpSpec, expressions, op_inputs
from micrograd_plus.check.reports import GradcheckReport, GradcheckRow


def wrong_tanh(x: Value, factor: float) -> Value:
    """tanh with its local derivative scaled by ``factor`` (1.0005 is 0.05% wrong, -1 the wrong sign)."""
    op = define_op("wrong_tanh", math.tanh, lambda x, out: ((1.0 - out * out) * factor,), replace=True)
    return op(x)  # type: ignore[no-any-return]


# -- every correct op passes --------------------------------------------------------


def invisible_in_float64(f: Callable[..., Value], xs: Sequence[float], row: GradcheckRow) -> bool:
    """Whether f at x_j ± |x_j|/2 differs by fewer than 1e5 units of its last place: then no step up to x_j's
    own size resolves x_j's derivative to 1e-4 (dot of 1e-40 with 1 beside terms of 1; x2² at 1e-153 beside
    x1² at 1e-166; softmax of three equal inputs; 1 ** b with b = 1e-15 along the base)."""
    j = int(row.name[1:])
    h = abs(xs[j]) / 2 or 1e-3
    f_up, f_down = (f(*[Value(x + (s * h if k == j else 0.0)) for k, x in enumerate(xs)]).data for s in (1, -1))
    return abs(f_up - f_down) <= 1e5 * 2.0**-52 * max(abs(f_up), abs(f_down))


def assert_ok_or_invisible(report: GradcheckReport, f: Callable[..., Value], xs: Sequence[float]) -> None:
    """No absolute tolerance swamps a derivative: a right one fails only as unresolved, where float64 cannot."""
    for row in report.failures:
        assert row.status == "unresolved" and invisible_in_float64(f, xs, row), f"{f}\n{report}"


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_every_op_passes_across_its_domain(spec: OpSpec) -> None:
    @given(op_inputs(spec))
    @settings(max_examples=40, deadline=None)
    def check(xs: tuple[float, ...]) -> None:
        report = gradcheck(spec.build, list(xs))
        assert_ok_or_invisible(report, spec.build, xs)
        assert check_local_grads(spec.build(*map(Value, xs))).ok

    check()


@given(expressions(max_steps=10))
@settings(max_examples=300, deadline=None)
def test_random_expression_graphs_pass(e: Expression) -> None:
    report = gradcheck(e, e.inputs)
    assert_ok_or_invisible(report, e, e.inputs)
    local = check_local_grads(e(*map(Value, e.inputs)))
    assert local.ok, f"{e}\n{local}"


# -- wrong derivatives are caught and located -------------------------------------------


@pytest.mark.parametrize("factor", [1.0005, 0.9995, -1.0])
def test_a_wrong_local_derivative_fails_gradcheck(factor: float) -> None:
    report = gradcheck(lambda x, y: wrong_tanh(x * y, factor) + x, [0.5, 2.0])
    assert not report.ok
    assert [r.name for r in report.failures] == ["x0", "x1"]
    assert all(r.status == "wrong" for r in report.failures)  # wrong, not a kink
    with pytest.raises(AssertionError, match=r"FAILED: 2 of 2 inputs wrong[\s\S]*x0[\s\S]*FAIL"):
        assert_gradients_match(lambda x, y: wrong_tanh(x * y, factor) + x, [0.5, 2.0])


@pytest.mark.parametrize("factor", [1.0005, -1.0])
def test_the_per_node_check_names_the_faulty_op(factor: float) -> None:
    x, w, b = Value(0.5, "x"), Value(-1.2, "w"), Value(0.3, "b")
    h = wrong_tanh(x * w + b, factor).named("h")
    out = (h * h + h.sigmoid()).log()
    report = check_local_grads(out)
    assert not report.ok
    faulty = report.first_faulty
    assert faulty is not None and faulty.node is h
    assert faulty.name == f"#{out.topological_order().index(h)} 'h' (wrong_tanh)"
    assert [c.node for c in report.checks if c.status == "wrong"] == [h]
    assert "first faulty op: #" in str(report) and "'h' (wrong_tanh)" in str(report)


def test_the_first_faulty_op_is_the_one_nearest_the_inputs() -> None:
    x = Value(0.7, "x")
    first = wrong_tanh(x, 1.01).named("first")
    second = wrong_tanh(first * 2, 1.01).named("second")
    report = check_local_grads(second)
    assert report.first_faulty is not None and report.first_faulty.node is first


def test_ops_of_your_own_are_checked_when_named() -> None:
    x = Value(1.5, "x")
    cube = Value.from_op(x.data**3, [x], [3 * x.data**2], "cube")
    wrong = Value.from_op(x.data**3, [x], [3 * x.data**2 + 0.01], "cube")
    assert check_local_grads(cube, ops={"cube": lambda v: v**3}).ok
    assert check_local_grads(wrong, ops={"cube": lambda v: v**3}).first_faulty is not None
    unknown = check_local_grads(cube)
    assert not unknown.ok and unknown.checks[0].status == "unchecked"
    assert "ops={'cube': forward_function}" in unknown.checks[0].note


def test_a_node_whose_data_disagrees_with_its_op_is_wrong() -> None:
    x = Value(0.2)
    bad = Value.from_op(0.9, [x], [1 - math.tanh(0.2) ** 2], "tanh")
    assert check_local_grads(bad).checks[0].status == "unchecked"  # a recorded node is never taken for tanh
    check = check_local_grads(bad, ops={"tanh": math.tanh}).checks[0]
    assert check.status == "wrong" and "differs from its op replayed" in check.note


def test_parametrised_ops_are_replayed() -> None:
    x = Value(-0.4)
    report = check_local_grads((x**3).leaky_relu(0.2) + x**-2 + 2**x)
    assert report.ok and len(report.checks) == 9  # 2 ** x has two operands: the constant 2 and x


# -- kinks: a subgradient passes, anything else fails -------------------------------------


def test_relu_at_zero_passes_as_a_subgradient() -> None:
    report = gradcheck(lambda x: x.relu(), [0.0])
    assert report.ok and report.rows[0].status == "subgradient"
    assert "kink: the analytic value is a valid subgradient" in report.rows[0].note
    assert "1 from the right, 0 from the left" in report.rows[0].note


@pytest.mark.parametrize("local", [5.0, -1.5, 1.01])
def test_a_derivative_outside_the_one_sided_slopes_is_not_a_subgradient(local: float) -> None:
    def bad_abs(x: Value) -> Value:  # |x| at 0 has the subgradients [-1, 1]
        return Value.from_op(abs(x.data), [x], [local], "abs") * 3

    row = gradcheck(bad_abs, [0.0]).rows[0]
    assert not row.ok and row.status == "kink" and "kink: not a subgradient" in row.note
    assert gradcheck(lambda x: abs(x) * 3, [0.0]).ok  # the engine's own abs'(0) = 0 lies between -3 and 3


def test_per_node_check_reports_kinks_apart_from_wrong_ops() -> None:
    report = check_local_grads(Value(0.0).relu() + 1)
    assert [c.status for c in report.checks] == ["kink", "ok", "ok"]
    assert report.first_faulty is None and not report.ok


# -- modes and outputs -----------------------------------------------------------------


def test_random_directions_pass_without_the_full_table() -> None:
    xs = [0.05 * i - 1.0 for i in range(60)]
    report = gradcheck(lambda *v: F.sum([vi.sin() * vi for vi in v]).tanh(), xs, directions=3)
    assert report.ok and report.rows == () and len(report.directions) == 3
    assert "random directions" in str(report)


def test_random_directions_fall_back_to_the_table_on_failure() -> None:
    xs = [0.1 * i for i in range(1, 9)]

    def f(*v: Value) -> Value:  # only v[5] goes through the wrong op
        return F.sum([*v[:5], wrong_tanh(v[5], 1.001), *v[6:]])

    report = gradcheck(f, xs, directions=2)
    assert not report.ok
    assert [r.name for r in report.failures] == ["x5"]
    assert "random directions disagreed" in report.summary()


def test_named_inputs_are_passed_by_keyword() -> None:
    report = gradcheck(lambda *, a, b: a / b, {"a": 1.0, "b": 4.0})
    assert [r.name for r in report.rows] == ["a", "b"]
    assert report.rows[1].analytic == pytest.approx(-1 / 16)


def test_report_renders_as_text_and_html() -> None:
    report = gradcheck(lambda **named: wrong_tanh(named["<x>"], 2.0), {"<x>": 0.3})
    text = str(report)
    assert text.splitlines()[1].split() == [
        "input",
        "value",
        "analytic",
        "numeric",
        "±",
        "numeric",
        "abs",
        "error",
        "rel",
        "error",
        "result",
    ]
    page = report._repr_html_()
    assert "<table>" in page and "<td>&lt;x&gt;</td>" in page and "<x>" not in page
    assert "FAILED" in page


def test_central_difference_of_plain_floats() -> None:
    assert central_difference(lambda x, y: x**2 * y, [3.0, 2.0], 0) == pytest.approx(12.0, rel=1e-9)
    assert central_difference(lambda x, y: x**2 * y, [3.0, 2.0], 1, eps=1e-4) == pytest.approx(9.0)
    with pytest.raises(ValueError, match="index 2 is out of range for 2 inputs"):
        central_difference(lambda x, y: x, [1.0, 2.0], 2)


def test_eps_sweep_shows_truncation_then_rounding() -> None:
    points = eps_sweep(lambda x: x.sin().exp(), [0.7])
    errors = {p.eps: p.max_abs_error for p in points}
    best = min(errors, key=errors.__getitem__)
    assert 1e-8 <= best <= 1e-4
    assert errors[1e-1] > 100 * errors[best]  # truncation: error ~ h²
    assert errors[1e-13] > 100 * errors[best]  # rounding: error ~ ε/h
    assert errors[1e-2] == pytest.approx(errors[1e-1] / 100, rel=0.05)


class Pair:
    """Any object with parameters() can be checked; this one is y = tanh(w x + b)."""

    def __init__(self, bug: float = 1.0) -> None:
        self.w, self.b, self.bug = Value(0.8, "w"), Value(-0.2, "b"), bug

    def parameters(self) -> Sequence[Value]:
        return [self.w, self.b]

    def loss(self) -> Value:
        return F.mean([(wrong_tanh(self.w * x + self.b, self.bug) - y) ** 2 for x, y in [(1.0, 0.5), (-2.0, 0.1)]])


def test_gradcheck_module_checks_and_restores_parameters() -> None:
    model = Pair()
    model.w.grad = 7.0  # must survive the check
    report = gradcheck_module(model, Pair.loss)
    assert report.ok and [r.name for r in report.rows] == ["p0", "p1"]
    assert (model.w.data, model.b.data, model.w.grad, model.b.grad) == (0.8, -0.2, 7.0, 0.0)
    assert not gradcheck_module(Pair(bug=1.0005), Pair.loss).ok
    assert gradcheck_module(model, Pair.loss, directions=2).ok


# -- bad input ------------------------------------------------------------------------


def right_half_line(x: Value) -> Value:
    """x² + x, defined for x >= 0 only: every step to the left of 0 fails."""
    if x.data < 0:
        raise ValueError(f"right_half_line is defined for x >= 0, got {x.data}")
    return x * x + x


def test_one_sided_differences_at_the_edge_of_the_domain() -> None:
    report = gradcheck(right_half_line, [0.0], method="forward")
    assert report.ok and report.rows[0].numeric == pytest.approx(1.0, rel=1e-12)

    def wrong(x: Value) -> Value:
        exact = right_half_line(x)
        return Value.from_op(exact.data, [x], [(2 * x.data + 1) * 1.0005], "edge")

    assert gradcheck(wrong, [0.0], method="forward").failures[0].status == "wrong"
    with pytest.raises(ValueError, match=r"f failed at x0 = 0 \+ \(-0.000977\).*got -0.0009765625"):
        gradcheck(wrong, [0.0], method="backward")


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: gradcheck(lambda x: x.data * 2, [1.0]), TypeError, r"f must return a Value .*got float 2\.0"),
        (lambda: gradcheck(lambda x: Value(3.0), [1.0]), ValueError, r"does not depend on any of its inputs"),
        (lambda: gradcheck(lambda x, y: x * y, [1.0]), TypeError, r"does not accept the 1 inputs \['x0'\]"),
        (lambda: gradcheck(lambda x: x, ["1"]), TypeError, r"input x0 must be a real number, got str '1'"),
        (lambda: gradcheck(lambda x: x, 1.0), TypeError, r"inputs must be a list of numbers"),
        (lambda: gradcheck(lambda x: x, [math.nan]), ValueError, r"input x0 must be finite"),
        (lambda: gradcheck(lambda x: x, []), ValueError, r"at least one input"),
        (lambda: gradcheck(lambda x: x, [1.0], eps=0.0), ValueError, r"eps must be a finite number > 0, got 0\.0"),
        (lambda: gradcheck(lambda x: x, [1.0], eps=-1e-6), ValueError, r"got -1e-06"),
        (lambda: gradcheck(lambda x: x, [1.0], rtol=-1), ValueError, r"rtol must be a finite number >= 0, got -1"),
        (lambda: gradcheck(lambda x: x, [1.0], directions=0), ValueError, r"directions must be .*got 0"),
        (lambda: gradcheck(right_half_line, [0.0]), ValueError, r"f failed at x0 = 0 \+ \(-.*method='forward'"),
        (lambda: gradcheck(lambda x: x, [1.0], method="complex"), ValueError, r"Values hold real numbers"),
        (lambda: gradcheck(lambda x: x, [1.0], method="fast"), ValueError, r"method must be one of .*got 'fast'"),
        (lambda: gradcheck_module(Pair(), lambda m: 1.0), TypeError, r"loss_fn must return a Value, got float"),
        (lambda: eps_sweep(lambda x: x, [1.0], [1e-3, 0.0]), ValueError, r"eps must be a finite number > 0"),
    ],
)
def test_bad_input(call: object, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()  # type: ignore[operator]


def test_module_without_parameters() -> None:
    class Empty:
        def parameters(self) -> list[Value]:
            return []

    with pytest.raises(ValueError, match="Empty has no parameters"):
        gradcheck_module(Empty(), lambda m: Value(1.0))


# -- large inputs: a step relative to |x| ---------------------------------------------------------


def wrong_triple(x: Value, factor: float = 1.0005) -> Value:
    """3x with its derivative 0.05% wrong."""
    return Value.from_op(3 * x.data, [x], [3 * factor], "triple")


@pytest.mark.parametrize("x", [1e10, 1e12, 1e20, -1e20, 1e-8, 1e-310, -5e-324])
def test_a_derivative_wrong_by_0_05_percent_fails_at_any_magnitude(x: float) -> None:
    report = gradcheck(wrong_triple, [x])
    assert not report.ok and report.rows[0].status == "wrong", str(report)
    assert "+0.050%" in report.summary()
    assert gradcheck(lambda v: v * 3, [x]).ok
    many = [x * (1 + 0.1 * k) for k in range(6)]
    directional = gradcheck(lambda *v: F.sum([wrong_triple(t) for t in v]), many, directions=2)
    assert not directional.ok and len(directional.failures) == 6
    assert gradcheck(lambda *v: F.sum([t * 3 for t in v]), many, directions=2).ok
    with pytest.raises(AssertionError, match=r"^gradcheck FAILED: 1 of 1 input wrong: x0: off by \+0\.050%"):
        assert_gradients_match(wrong_triple, [x])


SUBNORMAL_OUTPUTS = [
    (lambda v: 5e-324 / v, 2.0),  # f rounds to 0 or to the smallest float as v moves: no relative accuracy
    (lambda v: 1e-323 / v, 2.0),
    (lambda v: 1.5e-323 * v.tanh(), 0.5),
    (lambda v: (-v * v).exp() * 1e-322, 1.0),
    (lambda v: v * 1e-300 * 1e-20, 1.0),
]


@pytest.mark.parametrize("method", ["richardson", "central", "forward", "backward"])
def test_outputs_among_the_subnormal_floats_are_not_unresolved(method: str) -> None:
    for f, x in SUBNORMAL_OUTPUTS:
        report = gradcheck(f, [x], method=method)
        assert report.ok, str(report)
    # the second derivative d²(a/b)/db² = 2a/b³ at a = 5e-324 is itself below the smallest float
    assert gradgradcheck(lambda a, b: a / b, [5e-324, 2.0]).ok
    assert not gradcheck(lambda v: wrong_triple(v) * 1e-300, [1.0], method=method, atol=0.0).ok  # rtol alone


@pytest.mark.parametrize("method", ["richardson", "central", "forward", "backward"])
def test_every_method_passes_right_and_fails_wrong_derivatives(method: str) -> None:
    for x in (0.3, 1e12):
        assert gradcheck(lambda v: (v * 1e-12).tanh() * v, [x], method=method).ok
        assert not gradcheck(lambda v: wrong_triple(v) * v, [x], method=method).ok


def test_reports_show_bounded_numbers_and_render_as_markdown() -> None:
    report = gradcheck(lambda v: wrong_triple(v * 1e150) * 1e150, [1e5])
    text = str(report)
    assert max(len(cell) for line in text.splitlines()[1:] for cell in line.split()[:5]) <= 15
    markdown = report.to_markdown()
    assert markdown.startswith("**gradcheck FAILED") and "| input | value | analytic |" in markdown


def test_list_outputs_give_a_jacobian_report() -> None:
    report = gradcheck(lambda a, b: [a * b, (a - b).exp(), a.sin()], [0.4, 1.1])
    assert isinstance(report, JacobianReport) and report.ok and report.shape == (3, 2)
    assert "analytic (3×2" in report.matrix() and len(report.full().splitlines()) == 2 + 6
    with pytest.raises(ValueError, match="directions=k checks a function with one output"):
        gradcheck(lambda a, b: [a * b, a + b], [0.4, 1.1], directions=2)
    with pytest.raises(ValueError, match="returned an empty list"):
        gradcheck(lambda a: [], [0.4])


def test_gradcheck_module_replays_the_compiled_graph_and_agrees_with_rebuilding() -> None:
    model = Pair()
    replayed, rebuilt = gradcheck_module(model, Pair.loss), gradcheck_module(model, Pair.loss, replay=False)
    assert replayed.ok and rebuilt.ok
    assert [r.numeric for r in replayed.rows] == pytest.approx([r.numeric for r in rebuilt.rows], rel=1e-12)
    assert not gradcheck_module(Pair(bug=1.0005), Pair.loss).ok  # an op of our own: rebuilt, still caught


def test_tied_parameters_are_checked_once() -> None:
    class Tied:
        def __init__(self) -> None:
            self.w = Value(0.7, "w")

        def parameters(self) -> list[Value]:
            return [self.w, self.w]

    report = gradcheck_module(Tied(), lambda m: (m.w * m.w).tanh())
    assert report.ok and [r.name for r in report.rows] == ["p0"]


@pytest.mark.parametrize("distance", [4e-4, 3e-4, 7e-4, -6e-4, -4e-4])
def test_a_kink_inside_the_step_is_not_mistaken_for_a_wrong_derivative(distance: float) -> None:
    def f(x: Value) -> Value:  # smooth, plus one relu whose kink lies `distance` from the point checked
        return (x * 0.1).tanh() + (x - distance).relu() * 1e-4

    assert gradcheck(f, [0.0]).ok
    assert not gradcheck(lambda x: wrong_triple(f(x)), [0.0]).ok
