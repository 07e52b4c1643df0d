"""Batched NumPy replay: equal to eager backward summed over the samples, on MLPs, losses and random graphs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

from micrograd_plus import Value, define_op, losses, ops, optim  # noqa: E402
from micrograd_plus import functional as F  # noqa: E402
from micrograd_plus.check.op_table import OPS, Expression, expressions, op_inputs  # noqa: E402
from micrograd_plus.compile import vectorize  # noqa: E402
from micrograd_plus.compile.array_ops import has_form  # noqa: E402
from micrograd_plus.compile.batched_schedule import GeneralKernel, MatmulKernel  # noqa: E402
from micrograd_plus.data import make_moons  # noqa: E402
from micrograd_plus.nn import MLP  # noqa: E402

POINTS, LABELS = make_moons(100, noise=0.1, seed=1)
SIGNS = [2.0 * y - 1.0 for y in LABELS]
COLUMNS = [[p[0] for p in POINTS], [p[1] for p in POINTS], SIGNS]


def close(a: float, b: float) -> bool:
    # sums over 100 samples that cancel leave residues near 1e-18 whose digits depend on the order of addition
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def assert_all_close(found: Sequence[float], expected: Sequence[float]) -> None:
    assert len(found) == len(expected)
    bad = [(k, a, b) for k, (a, b) in enumerate(zip(found, expected)) if not close(a, b)]
    assert not bad, bad[:5]


def w1_loss(model: MLP, x: Sequence[Value], y: Value) -> Value:
    return losses.hinge(model(x), [y]) + 1e-4 * losses.l2(model.parameters())


def eager_w1(model: MLP) -> tuple[float, list[float]]:
    model.zero_grad()
    loss = losses.hinge([model(p)[0] for p in POINTS], SIGNS) + 1e-4 * losses.l2(model.parameters())
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


def one_sample_w1(model: MLP) -> tuple[object, list[Value]]:
    x, y = [Value(0.0), Value(0.0)], Value(1.0)
    return vectorize(w1_loss(model, x, y), model.parameters(), [*x, y]), [*x, y]


def test_w1_value_and_gradients_equal_eager() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    batched, _ = one_sample_w1(model)
    value, grads = batched.value_and_grad([p.data for p in model.parameters()], COLUMNS)
    expected_value, expected_grads = eager_w1(model)
    assert close(value, expected_value)
    assert_all_close(grads, expected_grads)


def test_layers_become_matrix_products_and_the_l2_term_is_computed_once() -> None:
    batched, _ = one_sample_w1(MLP(2, [16, 16, 1], seed=0))
    kernels = batched.plan.kernels
    assert [len(k.nodes) for k in kernels if isinstance(k, MatmulKernel)] == [16, 16, 1]
    (l2,) = [k for k in kernels if isinstance(k, GeneralKernel) and k.op is ops.DOT]
    assert not l2.varying and len(l2.nodes[0].parents) == 2 * 337  # one number, not one per sample
    assert len(kernels) < 15  # a few groups per layer, not one per node (the graph has 414 nodes)


def eager_sum(build: object, params: Sequence[Value], samples: Sequence[Sequence[float]]) -> tuple[float, list[float]]:
    """Σ over samples of each sample's eager loss, and of its backward() into the parameters."""
    for p in params:
        p.grad = 0.0
    total = 0.0
    for sample in samples:
        loss = build(*sample)  # type: ignore[operator]
        loss.backward()
        total += loss.data
    return total, [p.grad for p in params]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky_relu", "softplus"])
def test_mlp_with_smooth_activations_equals_eager(activation: str) -> None:
    model = MLP(3, [6, 5, 2], activation=activation, output_activation="tanh", seed=3)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(4, 40))  # three features and a target
    x, t = [Value(0.0) for _ in range(3)], Value(0.0)
    out = model(x)
    loss = (out[0] - t) ** 2 + out[1].sigmoid() * 0.5
    batched = vectorize(loss, model.parameters(), [*x, t])
    value, grads = batched.value_and_grad([p.data for p in model.parameters()], data, reduction="sum")

    def build(a: float, b: float, c: float, target: float) -> Value:
        o = model([a, b, c])
        return (o[0] - target) ** 2 + o[1].sigmoid() * 0.5

    expected_value, expected_grads = eager_sum(build, model.parameters(), data.T.tolist())
    assert close(value, expected_value)
    assert_all_close(grads, expected_grads)


def test_per_sample_cross_entropy_with_a_one_hot_class_column() -> None:
    # a class index picks a node (z[t]), which would change the graph: the class goes in as a one-hot column
    model = MLP(2, [8, 3], seed=5)
    classes = [k % 3 for k in range(len(POINTS))]
    x, one_hot = [Value(0.0), Value(0.0)], [Value(0.0) for _ in range(3)]
    z = model(x)
    loss = F.logsumexp(z) - F.dot(one_hot, z)  # -log softmax(z)[t]
    batched = vectorize(loss, model.parameters(), [*x, *one_hot])
    columns = [COLUMNS[0], COLUMNS[1], *[[float(c == k) for c in classes] for k in range(3)]]
    value, grads = batched.value_and_grad([p.data for p in model.parameters()], columns)
    model.zero_grad()
    eager = losses.cross_entropy([model(p) for p in POINTS], classes)
    eager.backward()
    assert close(value, eager.data)
    assert_all_close(grads, [p.grad for p in model.parameters()])
    per_sample = batched.losses([p.data for p in model.parameters()], columns)
    assert per_sample.shape == (100,)
    assert close(float(per_sample[7]), losses.cross_entropy(model(POINTS[7]), classes[7]).data)


@given(expressions(max_steps=10), st.lists(st.floats(-1e-6, 1e-6), min_size=3, max_size=6))
@settings(max_examples=150, deadline=None)
def test_random_graphs_equal_eager_summed_over_samples(e: Expression, shifts: list[float]) -> None:
    # input 0 is a parameter (when there are two or more), the others data; samples shift the data a little
    n = len(e.inputs)
    leaves = [Value(v) for v in e.inputs]
    params, inputs = (leaves[:1], leaves[1:]) if n > 1 else ([], leaves)
    shifts = shifts if n > 1 else [s + 1e-6 for s in shifts]  # a lone input is data: shift it too
    samples = [
        [v * (1.0 + s * k) for k, v in enumerate(e.inputs, start=n == 1)] for s in shifts
    ]  # a parameter is not shifted
    try:
        built = [e(*[Value(v) for v in sample]) for sample in samples]
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)  # a shifted point left an op's domain
    batched = vectorize(e(*leaves), params, inputs)
    columns = [[sample[k] for sample in samples] for k in range(len(params), n)]
    value, grads = batched.value_and_grad([v.data for v in params], columns, reduction="sum")

    def build(*xs: float) -> Value:
        return e(*params, *[Value(x) for x in xs])

    expected_value, expected_grads = eager_sum(build, params, [sample[len(params) :] for sample in samples])
    assert math.isclose(value, math.fsum(b.data for b in built), rel_tol=1e-10, abs_tol=1e-12)
    assert math.isclose(value, expected_value, rel_tol=1e-12, abs_tol=1e-12)
    assert all(math.isclose(g, h, rel_tol=1e-12, abs_tol=1e-12) for g, h in zip(grads, expected_grads))


@pytest.mark.slow
def test_training_w1_equals_eager_training_step_by_step() -> None:
    eager, replayed = MLP(2, [16, 16, 1], seed=0), MLP(2, [16, 16, 1], seed=0)
    eager_opt, replay_opt = optim.SGD(eager.parameters(), lr=0.1), optim.SGD(replayed.parameters(), lr=0.1)
    batched, _ = one_sample_w1(replayed)
    for _ in range(20):
        expected, _ = eager_w1(eager)
        eager_opt.step()
        replay_opt.zero_grad()
        assert close(batched.run(COLUMNS), expected)
        replay_opt.step()
        assert_all_close([p.data for p in replayed.parameters()], [p.data for p in eager.parameters()])


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_row_on_a_batch_equals_eager(name: str) -> None:
    spec = OPS[name]

    @given(st.lists(op_inputs(spec), min_size=1, max_size=5))
    @settings(max_examples=15, deadline=None)
    def check(points: list[tuple[float, ...]]) -> None:
        shifts, data = [Value(0.0) for _ in spec.domains], [Value(x) for x in points[0]]  # recorded at a point
        root = spec.build(*[s + d for s, d in zip(shifts, data)])  # d/d(shift) = d/d(operand)
        batched = vectorize(root, shifts, data)
        columns = [[p[k] for p in points] for k in range(spec.arity)]
        value, grads = batched.value_and_grad([0.0] * spec.arity, columns, reduction="sum")
        expected_value, expected_grads = eager_sum(
            lambda *xs: spec.build(*[s + x for s, x in zip(shifts, xs)]), shifts, points
        )
        assert math.isclose(value, expected_value, rel_tol=1e-12, abs_tol=1e-13)
        assert all(math.isclose(g, h, rel_tol=1e-12, abs_tol=1e-13) for g, h in zip(grads, expected_grads))

    check()


def test_every_built_in_op_has_an_array_form() -> None:
    missing = [op.name for op in ops.REGISTRY.values() if op.builtin and not has_form(op)]
    assert not missing
    assert has_form(ops.power(3)) and has_form(ops.step(1.0, 0.5)) and has_form(ops.leaky_relu(0.2))


def test_an_op_of_your_own_runs_element_by_element() -> None:
    square_plus = define_op("square_plus_v", lambda x, y: x * x + y, lambda x, y, out: (2 * x, 1.0), replace=True)
    w, x = Value(0.5), Value(0.0)
    batched = vectorize(square_plus(w * x, w), [w], [x])
    assert not has_form(square_plus.entry)
    value, grads = batched.value_and_grad([0.5], [[1.0, 2.0, -3.0]], reduction="sum")
    expected_value, expected_grads = eager_sum(lambda a: square_plus(w * a, w), [w], [[1.0], [2.0], [-3.0]])
    assert close(value, expected_value) and close(grads[0], expected_grads[0])


def test_branching_ops_branch_per_sample() -> None:
    w, x = Value(1.0), Value(0.0)
    batched = vectorize((w * x).relu() + abs(x - w) + (x * w).sigmoid(), [w], [x])
    columns = [[-800.0, -1.5, 0.5, 2.0, 800.0]]
    value, grads = batched.value_and_grad([1.0], columns, reduction="sum")
    expected_value, expected_grads = eager_sum(
        lambda a: (w * a).relu() + abs(a - w) + (a * w).sigmoid(), [w], [[c] for c in columns[0]]
    )
    assert close(value, expected_value) and close(grads[0], expected_grads[0])


def test_run_adds_into_grad_and_uses_the_parameters_data() -> None:
    w, x = Value(2.0), Value(0.0)
    batched = vectorize(w * x, [w], [x])
    w.grad = 1.0
    assert batched.run([[1.0, 3.0]]) == 4.0  # mean of 2·1 and 2·3
    assert w.grad == 1.0 + 2.0
    assert batched.run([[1.0, 3.0]], reduction="sum") == 8.0


# -- refusals --------------------------------------------------------------------------------------------


def small() -> tuple[object, Value, Value]:
    w, x = Value(1.0, label="w"), Value(0.0, label="x")
    return vectorize((w * x).tanh(), [w], [x]), w, x


def test_wrong_numbers_of_values_and_columns_are_refused() -> None:
    batched, _, _ = small()
    with pytest.raises(ValueError, match="expected 1 parameter values"):
        batched.value_and_grad([1.0, 2.0], [[1.0]])
    with pytest.raises(ValueError, match=r"shape \(1, B\); got shape \(2, 3\)"):
        batched.value_and_grad([1.0], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="one length B"):
        batched.value_and_grad([1.0], [[1.0, 2.0], [1.0]])
    with pytest.raises(ValueError, match=r"got shape \(1, 0\)"):
        batched.value_and_grad([1.0], [[]])
    with pytest.raises(ValueError, match="unknown reduction 'max'"):
        batched.value_and_grad([1.0], [[1.0]], reduction="max")
    with pytest.raises(TypeError, match=r"parameter 0 \(node 'w'\) must be a real number"):
        batched.value_and_grad(["1"], [[1.0]])


def test_non_finite_numbers_are_refused_with_where_they_are() -> None:
    batched, _, _ = small()
    with pytest.raises(ValueError, match=r"input 0 \(node 'x'\) is nan at sample 1"):
        batched.value_and_grad([1.0], [[1.0, math.nan]])
    with pytest.raises(ValueError, match="parameters must be finite"):
        batched.value_and_grad([math.inf], [[1.0]])
    w, x = Value(1.0), Value(1.0, label="x")
    logged = vectorize((w * x).log(), [w], [x])
    with pytest.raises(ValueError, match=r"log is undefined for x = -2.0.*at sample 2 of the batch"):
        logged.value_and_grad([1.0], [[1.0, 3.0, -2.0]])
    rooted = vectorize((w * x).sqrt(), [w], [x])  # sqrt(0) is 0, its derivative is not finite
    with pytest.raises(ValueError, match=r"the derivative of sqrt.*is infinite at x = 0\.0.*at sample 0"):
        rooted.value_and_grad([1.0], [[0.0, 1.0]])
    hidden = vectorize((w * x).log().relu(), [w], [x])  # relu would turn nan into 0: found before it does
    with pytest.raises(ValueError, match="log is undefined"):
        hidden.value_and_grad([1.0], [[-1.0]])


def test_graphs_that_cannot_be_vectorized_are_refused() -> None:
    w, x = Value(1.0), Value(0.0)
    recorded = Value.from_op(0.5, [w, x], [1.0, 2.0], "mine")
    with pytest.raises(ValueError, match=r"Value.from_op.*define_op"):
        vectorize(recorded, [w], [x])
    with pytest.raises(ValueError, match="at least one data input"):
        vectorize(w * 2.0, [w], [])
    with pytest.raises(ValueError, match="listed twice"):
        vectorize(w * x, [w], [x, w])
    with pytest.raises(ValueError, match="not a leaf"):
        vectorize(w * x, [w], [w * x])
    with pytest.raises(TypeError, match="per-sample loss as a Value"):
        vectorize(1.0, [w], [x])  # type: ignore[arg-type]


def test_a_sum_over_the_batch_that_overflows_is_refused() -> None:
    w, x = Value(1.0, label="w"), Value(1.0)
    batched = vectorize(w * x, [w], [x])
    with pytest.raises(OverflowError, match="the batched loss is inf"):
        batched.value_and_grad([1.0], [[1e308, 1e308]], reduction="sum")
    with pytest.raises(OverflowError, match=r"gradient with respect to parameter 0 \(node 'w'\) overflowed"):
        batched.value_and_grad([1e-300], [[1e308, 1e308]], reduction="sum")


def test_the_cache_of_array_forms_stays_bounded_over_many_exponents() -> None:
    from micrograd_plus.compile import array_ops

    w, x = Value(0.5, label="w"), Value(1.0, label="x")
    for k in range(array_ops.FOUND_LIMIT + 50):
        p = 1.0 + k / 1000.0  # an annealed exponent: a new family entry each step
        value, grads = vectorize((w * x) ** p, [w], [x]).value_and_grad([0.5], [[1.0, 2.0]])
        assert math.isclose(value, (0.5**p + 1.0**p) / 2)
        assert math.isclose(grads[0], (p * 0.5 ** (p - 1) * 1.0 + p * 1.0 ** (p - 1) * 2.0) / 2)
    assert len(array_ops._found) <= array_ops.FOUND_LIMIT


def _two_tokens_through_one_layer(model: MLP, a: Sequence[Value], b: Sequence[Value]) -> Value:
    """Two input vectors through the same layer in one sample's graph (two tokens, say), then a head on both."""
    ha, hb = model.layers[0](list(a)), model.layers[0](list(b))
    return losses.mse([*model.layers[1](ha), *model.layers[1](hb)], [0.5, -0.5])


def test_one_layer_over_several_input_vectors_runs_as_one_product_equal_to_eager() -> None:
    model = MLP(3, [5, 1], seed=4)
    a, b = [Value(0.0) for _ in range(3)], [Value(0.0) for _ in range(3)]
    batched = vectorize(_two_tokens_through_one_layer(model, a, b), model.parameters(), [*a, *b])
    products = [k for k in batched.plan.kernels if isinstance(k, MatmulKernel)]
    assert [(k.k, k.m) for k in products] == [(2, 5), (2, 1)]  # each layer once, over both vectors
    rng = np.random.default_rng(0)
    samples = rng.uniform(-2, 2, size=(4, 6)).tolist()

    def build(*xs: float) -> Value:
        return _two_tokens_through_one_layer(model, [Value(x) for x in xs[:3]], [Value(x) for x in xs[3:]])

    value, grads = batched.value_and_grad([p.data for p in model.parameters()], np.array(samples).T, "sum")
    expected_value, expected_grads = eager_sum(build, model.parameters(), samples)
    assert close(value, expected_value)
    assert_all_close(grads, expected_grads)


def test_a_graph_of_numbers_only_runs_its_layers_as_products_too() -> None:
    """Inputs that are parameters (S), as in a Replay step whose only data is the target: still matrix products."""
    model = MLP(3, [4, 2], seed=5)
    xs = [Value(0.3), Value(-1.2), Value(0.8)]  # wanted gradients: listed as parameters, not data
    target = Value(0.25)
    loss = losses.mse(model([x * 2.0 for x in xs]), [target, target])  # each layer: leaf weights · nodes
    params = [*model.parameters(), *xs]
    batched = vectorize(loss, params, [target])
    assert [(k.k, k.m, k.varying) for k in batched.plan.kernels if isinstance(k, MatmulKernel)] == [
        (1, 4, False),
        (1, 2, False),
    ]
    value, grads = batched.value_and_grad([p.data for p in params], [[0.25]], "sum")
    loss.backward()
    assert close(value, loss.data)
    assert_all_close(grads, [p.grad for p in params])
