"""Value: every op against its reference and finite differences, graph shapes, errors."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings

from micrograd_plus import Value
from micrograd_plus import functional as F
from micrograd_plus.check.op_table import OPS, OpSpec, op_inputs
from micrograd_plus.engine import depth_first_order

H = 1e-6  # central-difference step
RTOL = 1e-6  # relative tolerance for derivatives
ATOL = 1e-8  # floor for derivatives near zero (rounding error of the difference is ~1e-10)

NOT_OPS = {"__init__", "__repr__", "__float__", "from_op", "apply_op", "named", "detach", "backward"}
NOT_OPS |= {"topological_order"}
NOT_OPS |= {"__lt__", "__le__", "__gt__", "__ge__"}  # comparisons of data, not ops


def central_difference(spec: OpSpec, xs: tuple[float, ...], i: int) -> float:
    up = list(xs)
    down = list(xs)
    up[i] += H
    down[i] -= H
    return (spec.reference(*up) - spec.reference(*down)) / (2 * H)


def test_every_public_op_has_a_row() -> None:
    value_ops = {name for name, attr in vars(Value).items() if callable(attr) and name not in NOT_OPS}
    public = value_ops | set(F.__all__)
    covered = {spec.covers for spec in OPS.values()}
    assert public - covered == set(), "add a row to micrograd_plus.check.op_table.OPS for each of these ops"


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_op_value_matches_reference(spec: OpSpec) -> None:
    @given(op_inputs(spec))
    @settings(max_examples=60, deadline=None)
    def check(xs: tuple[float, ...]) -> None:
        out = spec.build(*[Value(x) for x in xs])
        assert out.data == pytest.approx(spec.reference(*xs), rel=1e-12, abs=1e-12)

    check()


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_op_gradient_matches_central_difference(spec: OpSpec) -> None:
    @given(op_inputs(spec))
    @settings(max_examples=60, deadline=None)
    def check(xs: tuple[float, ...]) -> None:
        inputs = [Value(x) for x in xs]
        spec.build(*inputs).backward()
        for i, x in enumerate(inputs):
            numeric = central_difference(spec, xs, i)
            assert x.grad == pytest.approx(numeric, rel=RTOL, abs=ATOL), f"d/dx{i} at {xs}"

    check()


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_local_grads_line_up_with_parents(spec: OpSpec) -> None:
    out = spec.build(*[Value(0.5 + 0.25 * i) for i in range(spec.arity)])
    assert len(out.parents) == len(out.local_grads) > 0
    assert out.op != ""


# -- graph shapes ---------------------------------------------------------------


def test_square_adds_both_paths() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_self_addition() -> None:
    a = Value(-2.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_diamond() -> None:
    a = Value(1.5)
    b, c = a * 2, a + 3
    d = b * c  # d = 2a(a + 3), d' = 4a + 6
    d.backward()
    assert a.grad == pytest.approx(4 * 1.5 + 6)
    assert (b.grad, c.grad) == (c.data, b.data)


def test_reused_intermediate() -> None:
    a, b = Value(2.0), Value(-1.5)
    h = a * b
    y = h * h + h  # dy/dh = 2h + 1
    y.backward()
    assert h.grad == 2 * h.data + 1
    assert a.grad == pytest.approx((2 * h.data + 1) * b.data)
    assert b.grad == pytest.approx((2 * h.data + 1) * a.data)


def test_fan_out_to_many_consumers() -> None:
    x = Value(0.3)
    y = F.sum([x * k for k in range(1, 11)])  # y = 55 x
    y.backward()
    assert x.grad == pytest.approx(55.0)


def test_constant_only_graph() -> None:
    y = Value(2.0) * 3 + 1
    y.backward()
    assert y.data == 7.0
    assert y.grad == 1.0


def test_backward_on_a_leaf() -> None:
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_repeated_backward_accumulates_leaves_only() -> None:
    a = Value(2.0)
    h = a * a
    y = h + a
    y.backward()
    assert (a.grad, h.grad) == (5.0, 1.0)
    y.backward()
    assert a.grad == 10.0  # leaves accumulate, as in PyTorch
    assert h.grad == 1.0  # interior gradients are recomputed


def test_backward_seed_gradient() -> None:
    x = Value(3.0)
    (x * x).backward(0.5)
    assert x.grad == 3.0


def test_detach_stops_gradient() -> None:
    x = Value(2.0)
    y = x * x
    z = y.detach() * x  # d/dx treats y as a constant 4
    z.backward()
    assert x.grad == 4.0
    assert y.detach().parents == ()


def test_topological_order_puts_parents_first() -> None:
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = (c + a).tanh() * c
    order = d.topological_order()
    assert order[-1] is d
    assert len(order) == len({id(n) for n in order})
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert order[:2] == [a, b]  # operands are visited in order


def _postorder(root: Value) -> list[Value]:
    """The reference order: recursive depth-first search, parents in order, each node after its parents."""
    order: list[Value] = []
    seen = {id(root)}

    def visit(v: Value) -> None:
        for p in v.parents:
            if id(p) not in seen:
                seen.add(id(p))
                visit(p)
        order.append(v)

    visit(root)
    return order


def _random_graph(rng: random.Random, n_leaves: int, n_nodes: int) -> Value:
    """Random fan-out, diamonds, reuse of a node as both operands, n-ary nodes over earlier nodes."""
    nodes = [Value(rng.uniform(-1, 1), f"x{i}") for i in range(n_leaves)]
    for _ in range(n_nodes):
        kind = rng.randrange(4)
        a, b = rng.choice(nodes), rng.choice(nodes[-5:])  # mostly recent nodes: deep chains with side branches
        if kind == 0:
            nodes.append(a * b)
        elif kind == 1:
            nodes.append((a + a).tanh())
        elif kind == 2:
            nodes.append(F.sum(rng.sample(nodes, min(len(nodes), rng.randrange(1, 6)))))
        else:
            nodes.append(F.dot(nodes[-3:], [a, b, a]) if len(nodes) >= 3 else a - b)
    return F.sum(nodes[-3:])


@pytest.mark.parametrize("seed", range(40))
def test_topological_order_is_the_depth_first_postorder(seed: int) -> None:
    rng = random.Random(seed)
    root = _random_graph(rng, rng.randrange(1, 6), rng.randrange(1, 60))
    expected = _postorder(root)
    assert root.topological_order() == expected
    leaves: list[Value] = []
    interior = depth_first_order(root, leaves)
    assert interior == [v for v in expected if v.parents]
    assert leaves == [v for v in expected if not v.parents]


def test_topological_order_of_a_leaf_and_of_shared_subgraphs() -> None:
    x = Value(1.0)
    assert x.topological_order() == [x]
    leaves: list[Value] = []
    assert depth_first_order(x, leaves) == [] and leaves == [x]
    y = x * x  # one parent twice
    t = y.tanh()
    s = y + t
    d = s * y  # a diamond whose top y is read three times
    assert d.topological_order() == _postorder(d) == [x, y, t, s, d]
    x.backward()
    x.backward()
    assert x.grad == 2.0  # a leaf root accumulates like any leaf


@pytest.mark.slow
def test_million_op_chain_at_default_recursion_limit() -> None:
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6  # 1,000,000 '+' nodes, one per step
    assert math.isclose(y.data, 2.0)
    y.backward()
    assert x.grad == 1.0
    del y  # freeing a million-deep chain must not crash either


def test_labels_and_repr() -> None:
    a = Value(2.0, label="a")
    b = (a * 3).named("b")
    b.backward()
    assert repr(a) == "Value(data=2, grad=3, label='a')"
    assert repr(b) == "Value(data=6, grad=1, label='b')"
    with pytest.raises(TypeError, match=r"cannot silently become a float.*v\.exp\(\)"):
        float(b)  # math.exp(b) would cut the graph
    assert b.op == "*" and b.parents[0] is a and b.local_grads == (3.0, 2.0)


def test_kink_conventions() -> None:
    for op, expected in [("relu", 0.0), ("abs", 0.0), ("leaky_relu", 0.01)]:
        x = Value(0.0)
        out = abs(x) if op == "abs" else getattr(x, op)()
        out.backward()
        assert x.grad == expected, op
    x = Value(0.0)
    x.leaky_relu(0.3).backward()
    assert x.grad == 0.3


def test_sigmoid_and_tanh_never_overflow() -> None:
    for x in (-1e308, -1000.0, -710.0, 710.0, 1000.0, 1e308):
        s = Value(x).sigmoid()
        t = Value(x).tanh()
        assert 0.0 <= s.data <= 1.0 and -1.0 <= t.data <= 1.0
        assert s.local_grads[0] >= 0.0 and t.local_grads[0] >= 0.0


def test_number_and_value_exponents() -> None:
    x = Value(-2.0)
    y = x**3  # a negative base is fine with an integer exponent
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)
    z = Value(0.0) ** 2
    assert z.data == 0.0 and z.local_grads == (0.0,)
    b, e = Value(3.0), Value(2.0)
    p = b**e
    p.backward()
    assert p.data == 9.0
    assert b.grad == pytest.approx(6.0)
    assert e.grad == pytest.approx(9.0 * math.log(3.0))


# -- bad input: a clear error, never a silent nan ------------------------------


def repr_short(x: object) -> str:
    return f"int of {x.bit_length()} bits" if isinstance(x, int) else repr(x)


@pytest.mark.parametrize(("bad", "shown"), [("3", "str"), (None, "NoneType"), ([1], "list"), (True, "bool")])
def test_value_rejects_non_numbers(bad: object, shown: str) -> None:
    with pytest.raises(TypeError, match=shown):
        Value(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", [float("nan"), float("inf"), -float("inf"), 10**400, -(10**5000), "np.nan", "np.inf"], ids=repr_short
)
def test_value_rejects_non_finite(bad: object) -> None:  # huge ints too, which float() cannot hold
    if isinstance(bad, str):
        np = pytest.importorskip("numpy")
        bad = getattr(np, bad[3:]) * np.float32(1.0)  # a NumPy scalar, not a Python float
    with pytest.raises(ValueError, match="finite"):
        Value(bad)  # type: ignore[arg-type]


def test_value_takes_any_real_number_as_a_plain_float() -> None:
    from fractions import Fraction

    class Scaled(float):
        pass

    np = pytest.importorskip("numpy")
    for number in (3, 3.0, Fraction(3), Scaled(3.0), np.float64(3.0), np.float32(3.0), np.int64(3)):
        v = Value(number)  # type: ignore[arg-type]
        assert type(v.data) is float and v.data == 3.0, type(number)


def test_operand_of_wrong_type() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "2"  # type: ignore[operator]
    with pytest.raises(TypeError, match="list"):
        Value(1.0) ** [2]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: Value(-1.0, "h3").log(), ValueError, r"log is undefined for x = -1\.0 \(node 'h3'\)"),
        (lambda: Value(0.0).log(), ValueError, r"log is undefined for x = 0\.0"),
        (lambda: Value(-4.0, "s").sqrt(), ValueError, r"sqrt is undefined for x = -4\.0 \(node 's'\)"),
        (lambda: Value(0.0).sqrt(), ValueError, r"derivative of sqrt.*is infinite at x = 0\.0"),
        (lambda: Value(1.0) / Value(0.0, "d"), ZeroDivisionError, r"divisor is 0\.0 \(node 'd'\)"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"division by zero"),
        (lambda: Value(0.0, "z") ** -1, ZeroDivisionError, r"0 \*\* -1\.0 .*node 'z'"),
        (lambda: Value(0.0) ** 0.5, ValueError, r"infinite at x = 0"),
        (lambda: Value(-8.0, "n") ** 0.5, ValueError, r"-8\.0 \*\* 0\.5 is not a real number \(node 'n'\)"),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, r"needs x > 0.*x = -2\.0"),
        (lambda: (-2) ** Value(0.5), ValueError, r"needs x > 0"),
        (lambda: Value(1000.0, "big").exp(), OverflowError, r"exp\(1000\.0\) overflows .*node 'big'"),
        (lambda: Value(10.0) ** 400, OverflowError, r"10\.0 \*\* 400\.0 overflowed"),
        (lambda: Value(1e200, "p") * 1e200, OverflowError, r"'\*' overflowed to inf .*1e\+200 \(node 'p'\)"),
        (lambda: Value(1.7e308) + 1.7e308, OverflowError, r"'\+' overflowed"),
        (lambda: F.sum([1.7e308, 1.7e308]), OverflowError, r"'sum' overflowed"),
        (lambda: Value(1e300) / 1e-300, OverflowError, r"'/' overflowed"),
    ],
)
def test_out_of_domain_errors(make: object, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        make()  # type: ignore[operator]


def test_backward_rejects_bad_seed() -> None:
    with pytest.raises(TypeError, match="nan"):
        Value(1.0).backward(float("nan"))
    with pytest.raises(TypeError, match="'1'"):
        Value(1.0).backward("1")  # type: ignore[arg-type]


def _overflowing_graphs() -> list[tuple[str, list[Value], Value]]:
    """Graphs whose forward is finite but whose backward overflows, at an interior node or at a leaf."""
    x, y, w, s = Value(1.0, label="x"), Value(1.0, label="y"), Value(1e-300, label="w"), Value(1e-10, label="s")
    interior = y * 2 + (x * 1e-300) * 1e300 * 1e300  # d/d(x·1e-300) = 1e600
    at_leaf = y * 3 + (w * 1e200) * 1e200  # every interior gradient finite; d/dw = 1e400
    summed = s * 1e308 + s * 1e308  # each edge's product finite, their sum at s is inf
    return [("interior", [x, y], interior), ("leaf", [w, y], at_leaf), ("summed at a leaf", [s], summed)]


@pytest.mark.parametrize("case", range(3))
@pytest.mark.parametrize("earlier_backward", [False, True])
def test_a_backward_that_raises_changes_no_gradient(case: int, earlier_backward: bool) -> None:
    name, leaves, root = _overflowing_graphs()[case]
    order = root.topological_order()
    if earlier_backward:  # gradients left by an earlier, successful backward must survive too
        for leaf in leaves:
            leaf.grad = 0.25
        for v in order:
            if v.parents:
                v.grad = 0.5
    before = [v.grad for v in order]
    with pytest.raises(OverflowError, match="overflowed to"):
        root.backward()
    assert [v.grad for v in order] == before, name
    root.backward(1e-300)  # the same graph with a small seed works and fills every gradient
    assert all(math.isfinite(v.grad) for v in order)


def test_create_graph_backward_that_raises_changes_no_gradient() -> None:
    x = Value(0.0, label="x")
    y = Value(2.0, label="y")
    root = x.relu() * y  # relu has no second-order rule at its kink
    y.grad = 3.0
    with pytest.raises(ValueError, match="kink"):
        root.backward(create_graph=True)
    assert x.grad == 0.0 and y.grad == 3.0
