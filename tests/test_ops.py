"""The op registry: one definition per op, read four ways (floats, Values, duals, symbols), and ops of your own."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given, settings

from micrograd_plus import Value, check_local_grads, define_op, fn, jvp, ops
from micrograd_plus import functional as F
from micrograd_plus.autodiff import Dual, grad, hessian
from micrograd_plus.check.op_table import OPS, OpSpec, op_inputs
from micrograd_plus.compile import compile_graph
from micrograd_plus.scopes import current_scope, scope
from micrograd_plus.viz.explain import explain_backward, local_formula


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def entries_of(spec: OpSpec) -> set[str]:
    node = spec.build(*[Value(0.4 + 0.1 * i) for i in range(spec.arity)])
    return {v.entry.name.partition("(")[0] for v in node.topological_order() if v.entry is not None}


# -- guard: every op has an entry, every entry has every interpretation and a row -------------------------------


def test_every_registry_op_has_a_row_in_the_op_table() -> None:
    covered = set().union(*(entries_of(spec) for spec in OPS.values()))
    helpers = {name for name, op in ops.REGISTRY.items() if op.kind == "helper"}
    missing = {name for name, op in ops.REGISTRY.items() if op.builtin} - covered - helpers
    assert missing == set(), "add a row to micrograd_plus.check.op_table.OPS for each of these registry ops"


@pytest.mark.parametrize("name", sorted(n for n, op in ops.REGISTRY.items() if op.builtin))
def test_every_entry_has_every_interpretation(name: str) -> None:
    op = ops.REGISTRY[name]
    n = op.arity or 3
    xs = [0.3 + 0.1 * i for i in range(n)]
    assert op.forward is not None and op.derivatives is not None
    out = op.evaluate(*xs)
    floats = op.local_grads(xs, out)  # floats: what a node records
    assert len(floats) == n
    symbols = op.derivatives(*[ops.Symbol(f"x{i}") for i in range(n)], ops.Symbol("out"))
    assert all(isinstance(ops.text(s), str) for s in symbols)  # symbols: code and formula text
    dual = Dual.apply_op(op, *[Dual(x, 1.0 if i == 0 else 0.0) for i, x in enumerate(xs)])  # duals: forward mode
    assert close(dual.value, out) and close(dual.tangent, floats[0])
    if op.kind != "helper":  # Values: the rule builds a graph, for second derivatives
        built = op.derivatives(*[Value(x) for x in xs], Value(out))
        assert [close(getattr(b, "data", b), f) for b, f in zip(built, floats)] == [True] * n
        assert op.formula is not None, f"give {name} a formula for explanations"


def test_engine_methods_written_out_equal_their_registry_rule() -> None:
    a, b = Value(0.7), Value(-1.3)
    nodes = [a + b, a - b, a * b, -a, a.tanh(), a.relu(), b.relu(), F.sum([a, b, a]), F.mean([a, b])]
    nodes += [F.dot([a, b], [b, a]), F.dot([a, b], [b, a], bias=a), F.affine([a], [b], a)]
    for node in nodes:
        xs = [p.data for p in node.parents]
        assert node.entry is not None
        assert node.data == node.entry.evaluate(*xs), node.op
        assert node.local_grads == node.entry.local_grads(xs, node.data), node.op


# -- every row of the table: forward mode and compiled replay against eager --------------------------------------


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_jvp_of_every_op_matches_its_gradient(spec: OpSpec) -> None:
    @given(op_inputs(spec))
    @settings(max_examples=20, deadline=None)
    def check(xs: tuple[float, ...]) -> None:
        leaves = [Value(x) for x in xs]
        out = spec.build(*leaves)
        out.backward()
        for j in range(len(xs)):
            tangents = [1.0 if k == j else 0.0 for k in range(len(xs))]
            value, derivative = jvp(spec.build, list(xs), tangents)
            assert close(value, out.data) and close(derivative, leaves[j].grad, 1e-10)

    check()


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_compiled_replay_of_every_op_equals_eager(spec: OpSpec) -> None:
    start = [(d.low + d.high) / 2 + 0.05 for d in spec.domains]
    leaves = [Value(x) for x in start]
    compiled = compile_graph(spec.build(*leaves), leaves)

    @given(op_inputs(spec))
    @settings(max_examples=25, deadline=None)
    def check(xs: tuple[float, ...]) -> None:
        fresh = [Value(x) for x in xs]
        out = spec.build(*fresh)
        out.backward()
        value, grads = compiled.value_and_grad(list(xs))
        assert close(value, out.data)
        assert all(close(g, v.grad, 1e-11) for g, v in zip(grads, fresh))

    check()


# -- ops of your own: first-class everywhere -------------------------------------------------------------------------


def test_the_documented_spelling() -> None:
    cube = define_op("cube", forward=lambda x: x**3, derivatives=lambda x, out: (3 * x * x,), replace=True)
    x = Value(2.0)
    y = cube(x)
    y.backward()
    assert (y.data, x.grad, y.op, y.entry.name) == (8.0, 12.0, "cube", "cube")
    assert grad(grad(lambda v: cube(v)))(2.0) == 12.0  # second derivative 6x
    assert hessian(lambda v: cube(v[0]) * v[1])([2.0, 3.0]) == [[36.0, 12.0], [12.0, 0.0]]
    assert jvp(lambda v: cube(v), [2.0], [1.0]) == (8.0, 12.0)
    assert cube(Dual(2.0, 1.0)) == Dual(8.0, 12.0)
    compiled = compile_graph(cube(x) + x, [x])
    assert compiled.value_and_grad([3.0]) == (30.0, [28.0]) and "3 * V[0] * V[0]" in compiled.source
    assert local_formula(cube(x), 0, lambda v: "x") == "3 * x * x = 12"
    assert "3 * x * x" in str(explain_backward(cube(Value(2.0, "x"))))
    assert check_local_grads(cube(x)).ok


def test_a_custom_rule_that_branches_is_called_by_compiled_code_and_differentiated_twice() -> None:
    clip = define_op("clip1", lambda x: max(-1.0, min(1.0, x)), lambda x, out: (1.0 if -1 < x < 1 else 0.0,),
                     replace=True)  # fmt: skip
    x = Value(0.5)
    compiled = compile_graph(clip(x) * x, [x])
    assert "rule" in compiled.source
    assert compiled.value_and_grad([0.5]) == (0.25, [1.0])
    assert compiled.value_and_grad([2.0]) == (2.0, [1.0])
    assert grad(grad(lambda v: clip(v) * v))(0.5) == 2.0


def test_n_ary_custom_ops() -> None:
    norm = define_op("norm", lambda *xs: math.sqrt(sum(x * x for x in xs)),
                     lambda *a: tuple(x / a[-1] for x in a[:-1]), replace=True)  # fmt: skip
    xs = [Value(3.0), Value(4.0)]
    y = norm(*xs)
    y.backward()
    assert y.data == 5.0 and [x.grad for x in xs] == [0.6, 0.8]
    assert norm(Value(1.0), Value(2.0), Value(2.0)).data == 3.0
    assert compile_graph(norm(*xs), xs).value_and_grad([6.0, 8.0]) == (10.0, [0.6, 0.8])
    assert norm(3.0, 4.0) == 5.0


def test_a_wrong_custom_derivative_is_located_and_named() -> None:
    wrong = define_op("bad_sin", math.sin, lambda x, out: (fn.cos(x) * 1.0005,), replace=True)
    x = Value(0.3, "x")
    report = check_local_grads((wrong(x * 2).named("s") + x).tanh())
    assert not report.ok and report.first_faulty is not None
    assert "(bad_sin)" in report.first_faulty.name and report.first_faulty.node.label == "s"


@pytest.mark.parametrize(
    ("derivatives", "error", "pattern"),
    [
        (lambda x, out: (1.0, 2.0), ValueError, r"'twice' must return one number per input: got 2 for 1 input 0\.5"),
        (lambda x, out: (math.inf,), OverflowError, r"derivative of 'twice' is inf at inputs 0\.5"),
        (lambda x, out: (math.nan,), OverflowError, r"derivative of 'twice' is nan"),
        (lambda x, out: (1.0 / 0.0,), ValueError, r"the derivatives of 'twice' failed at inputs 0\.5 .*division"),
        (lambda x, out: ("2",), TypeError, r"derivatives of 'twice' must be numbers"),
        (lambda x, out: 3.0, TypeError, r"must return a tuple of one number per input, got 3\.0 at inputs 0\.5"),
        (lambda x, out: ("2",), TypeError, r"must be numbers, got \('2',\) at inputs 0\.5 \(node 'h'\)"),
    ],
)
def test_bad_custom_derivatives(derivatives: object, error: type[Exception], pattern: str) -> None:
    twice = define_op("twice", lambda x: 2 * x, derivatives, replace=True)  # type: ignore[arg-type]
    with pytest.raises(error, match=pattern):
        twice(Value(0.5, "h"))


def test_registration() -> None:
    with pytest.raises(ValueError, match=r"an op named 'tanh' is already registered .*replace=True"):
        define_op("tanh", math.tanh, lambda x, out: (1 - out * out,))
    with pytest.raises(ValueError, match="non-empty name"):
        define_op("", math.tanh, lambda x, out: (1.0,))
    with pytest.raises(TypeError, match="callables"):
        define_op("f", 3, lambda x, out: (1.0,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"define_op\(.f.\) arity must be a whole number >= 1, got 0"):
        define_op("f", lambda: 1.0, lambda out: ())
    first = define_op("twin", lambda x: x, lambda x, out: (1.0,), replace=True)
    second = define_op("twin", lambda x: 2 * x, lambda x, out: (2.0,), replace=True)
    assert first(Value(1.0)).data == 1.0 and second(Value(1.0)).data == 2.0  # nodes hold their op, not a name
    with pytest.raises(TypeError, match="takes 1 operand"):
        first(Value(1.0), Value(2.0))


def test_a_recorded_node_is_never_taken_for_the_engines_op() -> None:
    x = Value(0.5)
    fake = Value.from_op(math.tanh(0.5), [x], [123.0], "tanh")  # wrong on purpose, and named like tanh
    assert fake.op == "tanh" and fake.entry is not ops.TANH and fake.entry.recorded
    with pytest.raises(ValueError, match=r"op 'tanh' cannot be compiled: the node was made with Value\.from_op"):
        compile_graph(fake * 2, [x])
    with pytest.raises(ValueError, match=r"no derivative rule over Values.*define_op"):
        grad(grad(lambda v: Value.from_op(math.tanh(v.data), [v], [1.0], "tanh")))(0.5)
    assert jvp(lambda v: Value.from_op(v.data * 3, [v], [3.0], "tanh") * v, [2.0], [1.0]) == (12.0, 12.0)
    same_name = ops.Op("tanh", math.sin, lambda x, out: (fn.cos(x),), builtin=False)  # unregistered, named tanh
    y = Value(0.5)
    compiled = compile_graph(Value.apply_op(same_name, y), [y])
    assert compiled.value_and_grad([0.5]) == (math.sin(0.5), [math.cos(0.5)])


# -- new primitives and edge cases --------------------------------------------------------------------------------


def test_zero_to_a_value_power() -> None:
    y = Value(2.5)
    out = 0.0**y
    out.backward()
    assert out.data == 0.0 and y.grad == 0.0  # as PyTorch: d(0^y)/dy = 0 for y > 0
    assert grad(lambda b: b**2.0)(0.0) == 0.0
    with pytest.raises(ValueError, match=r"needs x > 0 \(or x = 0 with y > 0\)"):
        0.0 ** Value(-1.0)
    with pytest.raises(ValueError, match="no second derivative through 0 \\*\\* y"):
        grad(grad(lambda v: 0.0**v))(2.0)


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: Value(1.5, "a").arcsin(), ValueError, r"arcsin is undefined for x = 1\.5 \(node 'a'\)"),
        (lambda: Value(1.0).arccos(), ValueError, r"inputs must lie in \(-1, 1\)"),
        (lambda: Value(-1.0, "p").log1p(), ValueError, r"log1p is undefined for x = -1\.0 \(node 'p'\)"),
        (lambda: Value(800.0).sinh(), OverflowError, r"sinh\(800\.0\) overflows"),
        (lambda: Value(800.0).expm1(), OverflowError, r"exp\(800\.0\) overflows"),
        (lambda: Value(0.0).atan2(Value(0.0)), ValueError, r"atan2 has no derivative at y = x = 0"),
        (lambda: Value(math.pi / 2 + 1e-17).tan() * 1e300, OverflowError, r"'\*' overflowed"),
        (lambda: Value(5e-324, "t").log(), OverflowError, r"derivative of 'log' is inf at inputs 5e-324 \(node 't'\)"),
        (lambda: Value(10.0) ** Value(308.0), OverflowError, r"derivative of '\*\*' is inf"),
        (lambda: Value(0.0) / Value(5e-324), OverflowError, r"derivative of '/' is inf"),
        (lambda: Value(1e-308, "s") ** -1, OverflowError, r"derivative of '\*\*-1' overflows a float at inputs 1e-308"),
        (lambda: Value(2.0) ** math.inf, ValueError, r"exponent must be a finite number, got inf"),
        (lambda: Value(2.0) ** math.nan, ValueError, r"exponent must be a finite number, got nan"),
        (lambda: Value(2.0).leaky_relu("0.1"), TypeError, r"leaky_relu needs a finite number as its slope"),  # type: ignore[arg-type]
        (lambda: Value(2.0).leaky_relu(None), TypeError, r"slope, got NoneType"),  # type: ignore[arg-type]
        (lambda: Value(2.0).leaky_relu(math.nan), TypeError, r"slope, got float nan"),
    ],
)
def test_domain_errors_name_the_value_and_the_node(make: object, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        make()  # type: ignore[operator]


def test_softplus_is_stable_far_out() -> None:
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0
    big = Value(800.0)
    big.softplus().backward()
    assert big.grad == 1.0


def test_fn_works_on_every_kind_of_number() -> None:
    assert fn.tanh(0.5) == math.tanh(0.5)
    assert fn.tanh(Value(0.5)).op == "tanh"
    assert fn.atan2(Value(1.0), 1.0).data == math.atan2(1.0, 1.0)
    assert fn.step(2.0, 1.0, 0.2) == 1.0 and fn.step(-2.0, 1.0, 0.2) == 0.2
    assert ops.text(fn.exp(ops.Symbol("x"))) == "exp(x)"
    with pytest.raises(AttributeError, match=r"fn has no function 'tanhh'; it has .*tanh"):
        fn.tanhh  # noqa: B018


# -- scale: n-ary nodes with many operands ---------------------------------------------------------------------------


def test_compiling_nodes_with_many_operands() -> None:
    xs = [Value(0.001 * i) for i in range(20_000)]
    loss = F.mean([(x - 0.5) * (x - 0.5) for x in xs]) + F.sum(xs[:5000])
    compiled = compile_graph(loss, xs)
    value, grads = compiled.value_and_grad([x.data for x in xs])
    loss.backward()
    assert close(value, loss.data) and all(close(g, x.grad) for g, x in zip(grads, xs))


def test_the_per_node_check_of_a_big_dot_is_linear() -> None:
    n = 30_000  # 60,000 edges; quadratic work would be 3.6e9 operations
    ws, xs = [Value(0.5 + 1e-5 * i) for i in range(n)], [Value(1.0 - 1e-5 * i) for i in range(n)]
    report = check_local_grads(F.dot(ws, xs, bias=0.5))
    assert report.ok and len(report.checks) == 2 * n + 1


# -- scopes are per thread ---------------------------------------------------------------------------------


def test_two_threads_never_mix_their_scopes() -> None:
    seen: dict[str, list[object]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def work(tag: str) -> None:
        with scope(tag):
            barrier.wait()
            for _ in range(200):
                seen[tag].append((Value(1.0) * 2).scope[0])  # type: ignore[index]
                barrier.wait(timeout=5) if _ == 0 else None

    threads = [threading.Thread(target=work, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(seen["a"]) == {"a"} and set(seen["b"]) == {"b"}
    assert current_scope() is None


# -- no silent inf or nan: results, local derivatives, gradients, compiled replay --------------------------------


def _tiny() -> Value:
    return Value(1e-300, "x")


@pytest.mark.parametrize(
    ("run", "pattern"),
    [
        (lambda: (_tiny() * 1e300 * 1e300).backward(), r"gradient of node 'x' \(leaf, data 1e-300\) overflowed to inf"),
        (
            lambda: ((x := _tiny()) * 1e300 * 1e300 - x * 1e300 * 1e301).backward(),
            r"node 'x' .*overflowed to (-?inf|nan)",
        ),
        (lambda: (Value(2.0, "w") * 3).backward(1e308), r"gradient of node 'w' .*overflowed to inf"),
        (lambda: F.sum([_tiny() * 1e300] * 3).exp().backward(1e308), r"overflowed to inf in backward"),
        (lambda: F.dot([_tiny()], [1e300], bias=0.0).sinh().backward(1e308), r"overflowed to inf in backward"),
    ],
)
def test_gradients_that_overflow_in_backward_raise(run: object, pattern: str) -> None:
    with pytest.raises(OverflowError, match=pattern):
        run()  # type: ignore[operator]


def test_an_interior_overflow_names_the_node() -> None:
    h = (Value(1e-300, "x") * 1.0).named("h")
    with pytest.raises(OverflowError, match=r"the gradient of node 'h' \(\*, data 1e-300\) overflowed to inf"):
        (h * 1e300 * 1e300).backward()


@pytest.mark.parametrize(
    ("values", "error", "pattern"),
    [
        (["4"], TypeError, r"input 0 \(x\) must be a real number, got str '4'"),
        ([True], TypeError, r"got bool True"),
        ([None], TypeError, r"got NoneType"),
        ([math.nan], ValueError, r"input 0 \(x\) is nan"),
        ([-4.0], ValueError, r"-4\.0 \*\* 0\.5 is not a real number \(node 'x'\).*compiled graph"),
        ([0.0], ValueError, r"d\(x \*\* 0\.5\)/dx is infinite at x = 0"),
    ],
)
def test_compiled_replay_refuses_what_eager_refuses(values: list[object], error: type[Exception], pattern: str) -> None:
    x = Value(4.0, "x")
    compiled = compile_graph(x**0.5 * 3, [x])
    with pytest.raises(error, match=pattern):
        compiled.value_and_grad(values)  # type: ignore[arg-type]


def test_compiled_replay_refuses_an_infinite_gradient() -> None:
    x = Value(1e-300, "x")
    compiled = compile_graph(x * 1e300 * 1e300, [x])  # value 1e300 at x = 1e-300; its gradient 1e600 is not a float
    with pytest.raises(OverflowError, match=r"gradient with respect to input 0 \(x\) overflowed to inf"):
        compiled.value_and_grad([1e-300])
    y = Value(2.0, "y")
    assert compile_graph(y * 1e150 * 1e150, [y]).value_and_grad([2.0]) == (pytest.approx(2e300), [pytest.approx(1e300)])


def test_a_custom_forward_that_fails_names_the_op_and_the_input() -> None:
    log_of = define_op("log_of", lambda x: math.log(x), lambda x, out: (1.0 / x,), replace=True)
    with pytest.raises(ValueError, match=r"'log_of' failed for inputs -1\.0 \(node 'neg'\): math domain error"):
        log_of(Value(-1.0, "neg"))


@pytest.mark.parametrize("convert", [float, math.exp, math.sin, math.floor])
def test_a_value_never_silently_becomes_a_float(convert: object) -> None:
    with pytest.raises(TypeError, match=r"would cut the graph at node 'v'; use the Value's own op"):
        convert(Value(1.0, "v"))  # type: ignore[operator]
