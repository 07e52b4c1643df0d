"""Compiled replay: equal to eager backward, branches on current data, guard rails, no code from labels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from micrograd_plus import Value, losses, optim
from micrograd_plus import functional as F
from micrograd_plus.check.op_table import Expression, expressions
from micrograd_plus.compile import compile_graph
from micrograd_plus.data import make_moons, make_sine_sequence
from micrograd_plus.nn import MLP, RNN


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@given(expressions(max_steps=12))
@settings(max_examples=200, deadline=None)
def test_replay_equals_eager_backward_on_random_graphs(e: Expression) -> None:
    leaves = [Value(x) for x in e.inputs]
    root = e(*leaves)
    compiled = compile_graph(root, leaves)
    value, grads = compiled.value_and_grad(e.inputs)
    root.backward()
    assert close(value, root.data)
    assert all(close(g, leaf.grad) for g, leaf in zip(grads, leaves)), compiled.source


def test_replay_at_new_values_matches_a_fresh_eager_graph() -> None:
    def build(a: Value, b: Value) -> Value:
        return (a * b).tanh() + (a / b).log() + a.sigmoid() * b**2 + abs(a - b).sqrt()

    a, b = Value(0.7), Value(1.3)
    compiled = compile_graph(build(a, b), [a, b])
    for point in ([0.7, 1.3], [1.9, 0.4], [0.2, 2.5]):
        fresh = [Value(x) for x in point]
        root = build(*fresh)
        root.backward()
        value, grads = compiled.value_and_grad(point)
        assert close(value, root.data) and all(close(g, x.grad) for g, x in zip(grads, fresh))


def test_branches_use_the_current_data() -> None:
    w = Value(1.0)
    x = Value(2.0)
    compiled = compile_graph((w * x).relu() + abs(w) + (w * x).leaky_relu(0.1), [w])
    assert compiled.value_and_grad([1.0]) == (5.0, [2.0 + 1.0 + 2.0])
    assert compiled.value_and_grad([-1.0]) == (1.0 - 0.2, [0.0 - 1.0 + 0.2])


def test_training_the_moons_mlp_stays_equal_to_eager_training() -> None:
    X, y = make_moons(40, noise=0.1, seed=1)
    labels = [2.0 * t - 1.0 for t in y]
    eager, replayed = MLP(2, [8, 8, 1], seed=0), MLP(2, [8, 8, 1], seed=0)

    def loss_of(model: MLP) -> Value:
        return losses.hinge([model(x)[0] for x in X], labels) + 1e-4 * losses.l2(model.parameters())

    compiled = compile_graph(loss_of(replayed), replayed.parameters(), module=replayed)
    eager_opt = optim.SGD(eager.parameters(), lr=0.5, momentum=0.5)
    replay_opt = optim.SGD(replayed.parameters(), lr=0.5, momentum=0.5)
    flips = 0
    for _ in range(25):
        before = [n(x).data > 0 for x in X[:5] for n in eager.layers[0].neurons]
        loss = loss_of(eager)
        eager_opt.zero_grad()
        loss.backward()
        eager_opt.step()
        replay_opt.zero_grad()
        value = compiled.run()
        replay_opt.step()
        assert close(value, loss.data)
        for p, q in zip(eager.parameters(), replayed.parameters()):
            assert math.isclose(p.data, q.data, rel_tol=1e-12, abs_tol=1e-12)
        flips += sum(
            b != (n(x).data > 0) for b, (x, n) in zip(before, [(x, n) for x in X[:5] for n in eager.layers[0].neurons])
        )
    assert flips > 0  # relu units changed sign during training, and replay followed them


def test_unrolled_rnn_replay_equals_eager() -> None:
    model = RNN(1, 6, 1, seed=0)
    xs, targets = make_sine_sequence(20, seed=0)
    loss = losses.mse([out[0] for out in model(xs).outputs], targets)
    compiled = compile_graph(loss, model.parameters(), module=model)
    loss.backward()
    value, grads = compiled.value_and_grad([p.data for p in model.parameters()])
    assert close(value, loss.data)
    assert all(close(g, p.grad) for g, p in zip(grads, model.parameters()))


def test_run_adds_gradients_like_backward() -> None:
    w = Value(3.0)
    compiled = compile_graph(w * w, [w])
    w.grad = 1.0
    assert compiled.run() == 9.0 and w.grad == 7.0


def test_forward_then_backward() -> None:
    a = Value(2.0)
    compiled = compile_graph(a.exp() * a, [a])
    with pytest.raises(RuntimeError, match=r"call forward\(values\) before backward\(\)"):
        compiled.backward()
    assert compiled.forward([1.0]) == math.e
    assert compiled.backward() == [2 * math.e]


def test_source_is_readable() -> None:
    w = Value(0.5, label="w")
    hidden = [(w * float(k)).tanh() for k in range(1, 6)]
    compiled = compile_graph(losses.mse(hidden, [0.0] * 5), [w])
    source = compiled.source
    assert "# 5 × * (arity 2) -> V[11:16]" in source
    assert "V[16:21] = [tanh(x0) for x0 in V[11:16]]" in source
    assert "[(1.0 - out * out) * g for out, g in zip(V[16:21], G[16:21])]" in source
    assert "lines of Python" in repr(compiled) and compiled.n_batches >= 2


def test_deep_chains_run_on_the_tape_and_wide_nodes_in_one_batch() -> None:
    x = Value(0.3)
    y = x
    for _ in range(3000):  # deeper than the recursion limit: no recursion anywhere
        y = (y * 0.999).tanh()
    chain = compile_graph(y, [x])
    y.backward()
    value, grads = chain.value_and_grad([0.3])
    assert chain.n_tape == 6000 and close(value, y.data) and close(grads[0], x.grad)
    xs = [Value(k / 5000.0) for k in range(5000)]
    ws = [Value(1.0 - k / 7000.0) for k in range(5000)]
    w_dot = F.dot(ws, xs)
    root = losses.l2(xs) + losses.mse(xs, [0.5] * 5000) + w_dot
    wide = compile_graph(root, [*xs, *ws])
    root.backward()
    value, grads = wide.value_and_grad([v.data for v in [*xs, *ws]])
    assert w_dot.data and close(value, root.data)
    assert all(close(g, v.grad) for g, v in zip(grads, [*xs, *ws]))
    assert len(wide.source.splitlines()) < 80  # a few lines per batch (25,005 nodes), never one per operand


def test_labels_cannot_become_code() -> None:
    evil = "\nimport os; os.system('x')  #"
    w = Value(0.5, label=evil)
    x = Value(2.0, label="\r\x00\u2028" + evil)
    y = (w * x).named(evil)
    compiled = compile_graph(y, [w])
    for line in compiled.source.splitlines():
        code = line.split("#", 1)[0]
        assert "import" not in code and "os." not in code
    assert compiled.value_and_grad([0.5]) == (1.0, [2.0])
    assert len(compiled.source.splitlines()) == compiled.source.count("\n")


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda c, w: c.value_and_grad([1.0, 2.0]), ValueError, r"compiled for 1 input values, got 2"),
        (lambda c, w: c.value_and_grad([math.inf]), ValueError, r"input 0 \(w\) is inf; inputs must be finite"),
        (lambda c, w: c.value_and_grad([-1.0]), ValueError, r"log is undefined for x = -1\.0.*at node #1 \(log\)"),
        (lambda c, w: c.value_and_grad([800.0]), OverflowError, r"exp\(800\.0\) overflows"),
    ],
)
def test_bad_values(call: object, error: type[Exception], pattern: str) -> None:
    w = Value(1.0, label="w")
    compiled = compile_graph(w.log() + w.exp() * 2, [w])
    with pytest.raises(error, match=pattern):
        call(compiled, w)  # type: ignore[operator]


def test_replaying_after_the_parameters_changed() -> None:
    model = MLP(2, [2, 1], seed=0)
    compiled = compile_graph(model([1.0, 2.0])[0], model.parameters(), module=model)
    compiled.run()
    model.layers[0].neurons[0].w[0] = Value(0.3)
    with pytest.raises(RuntimeError, match=r"MLP's parameters changed since the graph was compiled"):
        compiled.run()


def test_bad_graphs() -> None:
    x = Value(2.0)
    cube = Value.from_op(8.0, [x], [12.0], "cube")
    with pytest.raises(ValueError, match=r"op 'cube' cannot be compiled"):
        compile_graph(cube + 1, [x])
    with pytest.raises(ValueError, match="is not a leaf"):
        compile_graph(x * 2, [x * 3])
    unused = Value(1.0)
    assert compile_graph(x * 2, [x, unused]).value_and_grad([3.0, 5.0]) == (6.0, [2.0, 0.0])
    with pytest.raises(ValueError, match="listed twice"):
        compile_graph(x * 2, [x, x])
    with pytest.raises(TypeError, match="input 0 must be a Value, got float"):
        compile_graph(x * 2, [2.0])  # type: ignore[list-item]


def _dot_graph(seed: int, width: int = 3) -> tuple[Value, list[Value], list[Value]]:
    """Batches of dots that share operand vectors in every way the vector form must handle: weight vectors met by
    many samples, constant data, dead relus (zero gradients, some or all of a vector's nodes), a self dot, reversed
    and strided operands, an operand listed twice, dots without bias and a batch of one."""
    import random

    rng = random.Random(seed)
    ws = [[Value(rng.uniform(-1, 1)) for _ in range(width)] for _ in range(5)]
    bs = [Value(rng.uniform(-0.5, 0.5)) for _ in range(5)]
    data = [[rng.uniform(-2, 2) for _ in range(width)] for _ in range(6)]
    free = [Value(rng.uniform(-1, 1)) for _ in range(6)]
    terms = []
    for x in data:
        h = [F.dot(w, x, bias=b).relu() for w, b in zip(ws, bs)]  # shared weights, constant data, dead relus
        h3 = h[:3]
        terms.append(F.dot(h3[::-1], free[:3]) + F.dot(free[::2], h3))  # reversed and strided vectors, no bias
        terms.append(F.dot([h[0], h[0]], [free[4], free[5]]))  # one operand twice
    params = [p for w in ws for p in w] + bs + free
    loss = F.sum(terms) + F.dot(params, params) * 0.01 + F.dot([free[0]], [free[1]], bias=free[2])
    return loss, params, ws[0]


@pytest.mark.parametrize("width", [3, 6])  # vectors too short and long enough to transpose only nonzero partners
@pytest.mark.parametrize("seed", range(6))
def test_dot_batches_equal_eager_on_shared_constant_dead_and_repeated_operands(seed: int, width: int) -> None:
    loss, params, _ = _dot_graph(seed, width)
    compiled = compile_graph(loss, params)
    loss.backward()
    value, grads = compiled.value_and_grad([p.data for p in params])
    assert close(value, loss.data)
    assert all(math.isclose(g, p.grad, rel_tol=1e-12, abs_tol=1e-15) for g, p in zip(grads, params))
    assert "X += " in compiled.source  # the dots ran in the vector form
    assert "map(compress, R[q]" in compiled.source  # short vectors drop the zeros from each column...
    assert ("zip(*compress(" in compiled.source) or width < 4  # ...long ones transpose only the nonzero partners


def test_data_leaves_vary_without_a_gradient() -> None:
    w, x = Value(0.5), Value(2.0)
    y = F.dot([w, w], [x, x * x], bias=x)
    compiled = compile_graph(y, [w], data=[x])
    value, grads = compiled.value_and_grad([0.5, 3.0])
    assert value == 0.5 * 3.0 + 0.5 * 9.0 + 3.0 and grads == [3.0 + 9.0]
    assert len(compiled.wrt) == 1 and len(compiled.inputs) == 2
    with pytest.raises(ValueError, match="2 input values, got 1"):
        compiled.value_and_grad([0.5])


@pytest.mark.parametrize("n", [3, 5, 40])
@pytest.mark.parametrize("live", [(True, True), (True, False), (False, False)])
def test_dot_backward_of_long_vectors_with_few_readers(n: int, live: tuple[bool, bool]) -> None:
    """A vector read by two dot nodes (and a vector dotted with itself, an L2 term) gets Σ_i g(r_i) · partner_i:
    as vector operations for long vectors, per element for short ones; readers whose gradient is 0 (a relu off)
    add nothing. Every form gives eager's gradients, at the compiled point and at new ones."""
    w = [Value(0.1 * k - 0.7) for k in range(n)]
    a, b = [Value(0.3 + 0.05 * k) for k in range(n)], [Value(1.0 - 0.1 * k) for k in range(n)]
    signs = [1.0 if on else -1.0 for on in live]
    leaves = [*w, *a, *b]

    def build() -> Value:
        first, second = F.dot(w, a), F.dot(w, b)
        return (signs[0] * first).relu() + (signs[1] * second * second).relu() + 1e-2 * F.dot(w, w)

    root = build()
    compiled = compile_graph(root, leaves)
    for shift in (0.0, 0.25, -0.5):
        point = [leaf.data + shift for leaf in leaves]
        for leaf, x in zip(leaves, point):
            leaf.data, leaf.grad = x, 0.0
        eager = build()
        eager.backward()
        value, grads = compiled.value_and_grad(point)
        assert close(value, eager.data)
        assert all(close(g, leaf.grad) for g, leaf in zip(grads, leaves)), compiled.source


@pytest.mark.parametrize(
    ("local", "rewritten"),
    [
        ("(1.0 if x0 > 0.0 else 0.0)", True),
        ("(1.0 if V[12] >= 0.5 else 0.0)", True),
        ("(1.0 if x0 > 0.0 else -1.0 if x0 < 0.0 else 0.0)", False),  # sign's derivative is not a 0/1 step
        ("(1.0 if (x0 > 0.0) else 0.0)", False),
        ("(1.0 - x0 * x0)", False),
    ],
)
def test_a_step_times_g_is_a_choice_with_the_same_numbers(local: str, rewritten: bool) -> None:
    from micrograd_plus.compile.edges import times_g

    code = times_g(local)
    assert code.startswith("(g if") == rewritten
    specials = [0.0, -0.0, 2.5, -2.5, math.inf, -math.inf, math.nan, 5e-324]
    for x in [-1.0, 0.0, 0.25, 0.5, 3.0]:
        for g in specials:
            where = {"x0": x, "g": g, "V": {12: x}}
            expected = eval(f"{local} * g", {}, where)  # our own templates
            found = eval(code, {}, where)
            assert repr(found) == repr(expected), (local, x, g)
