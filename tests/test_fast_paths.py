"""Fast paths never change a number: compiled replay, Replay and the batched replay give eager's results
(values, gradients, parameters) or run eagerly — for custom ops, branching rules and conv positions on padding."""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_plus import Value, check_local_grads, define_op, fn, gradcheck_module, losses, optim
from micrograd_plus import functional as F
from micrograd_plus.compile import Replay, compile_graph
from micrograd_plus.compile.replay import BACKENDS
from micrograd_plus.nn import MLP, RNN, BatchNorm1d, Conv2d, LayerNorm, MaxPool2d, Module


def _eager(root: Value, params: list[Value]) -> tuple[float, list[float]]:
    for p in params:
        p.grad = 0.0
    root.backward()
    return root.data, [p.grad for p in params]


def _close(a: object, b: object, rel: float = 1e-12, scale: float = 0.0) -> bool:
    """Equal up to the order of additions (a replay sums a node's gradient contributions in its own order): within
    ``rel`` of each number, or of the largest number compared with it (a loss and its gradients) when terms cancel."""
    if isinstance(a, (tuple, list)):
        if not isinstance(b, (tuple, list)) or len(a) != len(b):
            return False
        scale = max([scale, *map(abs, _numbers(b))])
        return all(_close(x, y, rel, scale) for x, y in zip(a, b))
    return math.isclose(a, b, rel_tol=rel, abs_tol=max(rel * scale, 1e-300))  # type: ignore[arg-type]


def _numbers(x: object) -> list[float]:
    return [n for item in x for n in _numbers(item)] if isinstance(x, (tuple, list)) else [x]  # type: ignore[list-item]


def _sinc_rule(x: object, out: object) -> tuple[object]:
    return ((fn.cos(x) - out) / x if x != 0 else 0.0,)  # type: ignore[operator]


SINC = define_op("sinc_rule_test", lambda x: math.sin(x) / x if x != 0 else 1.0, _sinc_rule, register=False)
SIGN_SQUARE = define_op(  # x·|x|: a rule with a comparison and a bool test
    "signed_square_test", lambda x: x * abs(x), lambda x, out: (2 * x if x > 0 else -2 * x,), register=False
)


@pytest.mark.parametrize("op", [SINC, SIGN_SQUARE], ids=["sinc", "x|x|"])
@pytest.mark.parametrize("point", [0.0, 0.5, -1.5, 1e-9])
def test_a_rule_that_branches_is_called_on_every_evaluation(op: object, point: float) -> None:
    w = Value(0.3, label="w")
    root = op(w * 2.0) * 3.0  # type: ignore[operator]
    compiled = compile_graph(root, [w])
    for value in (point, 0.3, point):  # the branch taken changes from call to call
        eager_root = op(Value(value) * 2.0) * 3.0  # type: ignore[operator]
        eager_w = eager_root.parents[0].parents[0].parents[0]
        expected = _eager(eager_root, [eager_w])
        assert _close(compiled.value_and_grad([value]), expected)


def test_custom_ops_written_with_numpy_replay_like_eager() -> None:
    np = pytest.importorskip("numpy")
    tanh64 = define_op("np_tanh_test", lambda x: np.tanh(x), lambda x, out: (1 - out * out,), register=False)
    scale32 = define_op(
        "np_float32_test", lambda x: np.float32(x) * np.float32(1.1), lambda x, out: (np.float32(1.1),), register=False
    )
    w = Value(0.8, label="w")
    root = scale32(tanh64(w * 2.0))
    expected = _eager(root, [w])
    assert type(root.data) is float
    compiled = compile_graph(root, [w])
    assert _close(compiled.value_and_grad([0.8]), expected)
    value, grads = compiled.value_and_grad([0.1])
    assert type(value) is float and all(type(g) is float for g in grads)

    holder = Module()
    holder.w = Value(0.5, label="w")  # type: ignore[attr-defined]
    model_w = holder.w  # type: ignore[attr-defined]
    opt = optim.SGD([model_w], lr=0.1)
    twin = Value(0.5)
    twin_opt = optim.SGD([twin], lr=0.1)

    step = Replay(lambda x, t: losses.mse([tanh64(model_w * x)], [t]), holder)
    for k in range(4):  # the first call compiles, the next ones replay
        opt.zero_grad()
        replayed = step(0.5 + k, 0.25)
        opt.step()
        twin_opt.zero_grad()
        eager = losses.mse([tanh64(twin * (0.5 + k))], [0.25])
        eager.backward()
        twin_opt.step()
        assert _close(replayed, eager.data) and _close(model_w.data, twin.data)
    assert step.replays == 3


def _sum_of_squares(out: list[list[list[Value]]]) -> Value:
    return sum((v * v for plane in out for row in plane for v in row), Value(0.0))


@pytest.mark.parametrize(("kernel", "padding", "stride"), [(1, 1, 1), (1, 2, 1), (2, 2, 2), (3, 2, 1)])
def test_conv_positions_on_the_padding_compile_replay_and_check(kernel: int, padding: int, stride: int) -> None:
    conv = Conv2d(1, 2, kernel, stride=stride, padding=padding, seed=0)
    for b in conv.parameters()[-2:]:
        b.data = 0.25  # a nonzero bias: positions on the padding are exactly b
    image = [[[1.0, -2.0, 0.5], [3.0, 4.0, -1.0], [0.5, 0.25, 2.0]]]
    params = conv.parameters()
    root = _sum_of_squares(conv(image))
    expected = _eager(root, params)
    assert _close(compile_graph(root, params).value_and_grad([p.data for p in params]), expected)
    assert check_local_grads(root).ok
    assert gradcheck_module(conv, lambda m: _sum_of_squares(m(image))).ok
    step = Replay(lambda img: _sum_of_squares(conv(img)), conv)
    for _ in range(3):
        for p in params:
            p.grad = 0.0
        assert _close(step(image), expected[0])
        assert _close([p.grad for p in params], expected[1])
    assert step.replays == 2


# -- Replay against eager training, step by step ----------------------------------------------------------------------


def _train_both(
    make: Any,
    loss_of: Any,
    batches: list[tuple[Any, ...]],
    change: Any = None,
    lr: float = 0.2,
    backend: str = "python",
) -> Replay:
    """Train twins (``make()`` returns (model, extra Values)) eagerly and through Replay on the same batches, with
    ``change(model, extras, k)`` applied to both before step k; losses, gradients, parameters and buffers must agree
    after every step (up to the replay's order of additions)."""
    eager, eager_extra = make()
    twin, twin_extra = make()
    eager_opt = optim.SGD([*eager.parameters(), *eager_extra], lr=lr)
    twin_opt = optim.SGD([*twin.parameters(), *twin_extra], lr=lr)
    step = Replay(lambda *data: loss_of(twin, twin_extra, *data), twin, backend=backend)
    for k, batch in enumerate(batches):
        if change is not None:
            change(eager, eager_extra, k)
            change(twin, twin_extra, k)
        eager_opt.zero_grad()
        loss = loss_of(eager, eager_extra, *batch)
        loss.backward()
        twin_opt.zero_grad()
        value = step(*batch)
        everything = [*eager.parameters(), *eager_extra], [*twin.parameters(), *twin_extra]
        compiled = compile_graph(loss, everything[0])  # the eager graph compiled: the same numbers again
        assert _close(
            compiled.value_and_grad([p.data for p in everything[0]]), (loss.data, [p.grad for p in everything[0]])
        )
        assert _close(value, loss.data), (k, value, loss.data, step)
        assert _close([p.grad for p in everything[0]], [p.grad for p in everything[1]]), (k, step)
        eager_opt.step()
        twin_opt.step()
        assert _close([p.data for p in everything[0]], [p.data for p in everything[1]]), (k, step)
        for a, b in zip(eager.modules(), twin.modules()):
            for name in ("running_mean", "running_var"):
                assert getattr(a, name, None) == getattr(b, name, None), (k, name)
    return step


X4 = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.2], [0.8, 0.1]]


def _bce_by_hand(p: Value, t: float) -> Value:
    return -(p.log()) if t == 1.0 else -((1 - p).log())  # Python branches on the data, as users write it


def test_python_branches_on_the_data_keep_their_eager_meaning() -> None:
    def loss_of(model: Any, _: list[Value], X: list[list[float]], T: list[float]) -> Value:
        return sum((_bce_by_hand(model(x)[0].sigmoid(), t) for x, t in zip(X, T)), Value(0.0)) * (1 / len(X))

    labels = [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]] * 2
    step = _train_both(lambda: (MLP(2, [3, 1], activation="tanh", seed=1), []), loss_of, [(X4, t) for t in labels])
    assert (step.compiles, step.replays) == (2, 6)  # one compile per pattern of the tests, then replays


def test_membership_truth_and_arithmetic_on_the_data() -> None:
    def loss_of(model: Any, _: list[Value], x: list[float], t: float, mask: float) -> Value:
        out = model(x)[0]
        sign = 2 * t - 1  # arithmetic on the data is recomputed from each call's data
        loss = (1 - sign * out).relu() if t in (0.0, 1.0) else out * out
        return loss * 3.0 if mask else loss

    batches = [([0.5, -1.0], 1.0, 1.0), ([1.0, 2.0], 0.0, 0.0), ([0.2, 0.1], 0.5, 1.0), ([0.3, 0.3], 1.0, 1.0)] * 2
    step = _train_both(lambda: (MLP(2, [4, 1], seed=2), []), loss_of, batches)
    assert step.replays >= 3


def test_a_scalar_target_and_every_loss_check_on_replayed_data() -> None:
    def mse_of(model: Any, _: list[Value], x: list[float], t: float) -> Value:
        return losses.mse(model(x)[0], t)

    _train_both(lambda: (MLP(2, [3, 1], seed=0), []), mse_of, [([0.5, 1.0], 0.25), ([1.0, -1.0], 0.75)] * 3)

    def hinge_of(model: Any, _: list[Value], X: list[list[float]], y: list[float]) -> Value:
        return losses.hinge([model(x)[0] for x in X], y)

    model = MLP(2, [3, 1], seed=0)
    step = Replay(lambda X, y: hinge_of(model, [], X, y), model)
    step(X4[:2], [1.0, -1.0])
    step(X4[:2], [-1.0, -1.0])
    with pytest.raises(ValueError, match=r"hinge labels must be -1 or \+1, got 0\.0"):
        step(X4[:2], [1.0, 0.0])  # eager refuses 0/1 labels; so does the replay
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        bce = Replay(lambda X, y: losses.binary_cross_entropy([model(x)[0].sigmoid() for x in X], y), model)
        bce(X4[:2], [1.0, 0.0])
        bce(X4[:2], [1.0, 2.0])


def test_module_state_is_part_of_the_key() -> None:
    class Net(Module):
        def __init__(self) -> None:
            super().__init__()
            self.mlp = MLP(2, [4], seed=0)
            self.norm = BatchNorm1d(4)

        def __call__(self, X: list[list[float]]) -> list[list[Value]]:
            return self.norm([self.mlp(x) for x in X])  # type: ignore[no-any-return]

    def loss_of(model: Any, _: list[Value], X: list[list[float]]) -> Value:
        return sum((v * v for row in model(X) for v in row), Value(0.0))

    def change(model: Any, _: list[Value], k: int) -> None:
        if k == 0:
            model.train()
            for _ in range(2):
                model(X4)  # running statistics away from (0, 1)
            model.eval()
        if k == 3:
            model.norm.running_mean[0] += 0.5  # a buffer changed by hand: the replay must see it
        if k == 5:
            model.norm.eps = 1e-3  # a hyper-parameter

    step = _train_both(lambda: (Net(), []), loss_of, [(X4[:2],)] * 7, change)
    assert step.compiles == 3 and step.replays == 4

    def dropout_loss(model: Any, _: list[Value], x: list[float]) -> Value:
        return model(x)[0]

    def more_dropout(model: Any, _: list[Value], k: int) -> None:
        if k == 2:
            model.dropout.p = 0.5  # set after the first steps: the masks must start being drawn

    step = _train_both(
        lambda: (MLP(2, [6, 1], dropout=0.0, seed=3), []), dropout_loss, [([1.0, 2.0],)] * 6, more_dropout
    )
    assert step.compiles == 2


def test_values_outside_the_model_are_inputs_of_the_replay() -> None:
    def loss_of(model: Any, extra: list[Value], x: list[float]) -> Value:
        (temperature,) = extra
        return (model(x)[0] * temperature).tanh() ** 2

    make = lambda: (MLP(2, [3, 1], seed=0), [Value(2.0, label="temperature")])  # noqa: E731
    step = _train_both(make, loss_of, [([1.0, -1.0],), ([0.5, 0.5],)] * 3)
    assert step.replays == 5


def test_an_op_replaced_while_replaying_is_used_at_once() -> None:
    from micrograd_plus.ops import REGISTRY

    name = "scaled_square_test"
    saved = REGISTRY.get(name)
    try:  # a notebook cell that defines the op is fixed and run again while training goes on
        current = {"op": define_op(name, lambda x: 2 * x * x, lambda x, out: (4 * x,), replace=True)}
        model = MLP(2, [3, 1], seed=0)
        step = Replay(lambda x: current["op"](model(x)[0]), model)
        step([1.0, 2.0])
        step([1.0, 2.0])
        current["op"] = define_op(name, lambda x: 3 * x * x, lambda x, out: (6 * x,), replace=True)
        for p in model.parameters():
            p.grad = 0.0
        replayed = step([1.0, 2.0])
        grads = [p.grad for p in model.parameters()]
        for p in model.parameters():
            p.grad = 0.0
        eager = current["op"](model([1.0, 2.0])[0])
        eager.backward()
        assert _close(replayed, eager.data) and _close(grads, [p.grad for p in model.parameters()])
        assert step.compiles == 2
    finally:
        if saved is None:
            REGISTRY.pop(name, None)
        else:
            REGISTRY[name] = saved


def test_what_ran_eagerly_is_counted_and_warned_once() -> None:
    model = MLP(2, [3, 1], seed=0)

    def compares(x: list[float]) -> Value:
        out = model(x)[0]
        return out * out if out > 0 else -out  # a comparison of Values: the graph depends on their numbers

    step = Replay(compares, model)
    with pytest.warns(RuntimeWarning, match="Replay runs this step eagerly: the graph depends on the numbers"):
        step([1.0, 2.0])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning for the same reason
        step([1.0, 2.0])
    assert step.reasons == {"the graph depends on the numbers of Values (a comparison of Values)": 2}
    assert "eager because" in repr(step) and step.mode == "eager"


def _pooled_loss(conv: Any, image: list[list[list[float]]]) -> Value:
    pooled = MaxPool2d(2)(conv(image))
    return sum((v * v for plane in pooled for row in plane for v in row), Value(0.0))


def test_max_pooling_replays_with_the_winners_of_each_call() -> None:
    images = [[[[0.1 * ((r * 5 + c * 3 + k) % 7) - 0.3 for c in range(4)] for r in range(4)]] for k in range(6)]

    def loss_of(conv: Any, _: list[Value], image: list[list[list[float]]]) -> Value:
        return _pooled_loss(conv, image)

    step = _train_both(lambda: (Conv2d(1, 2, 2, padding=1, seed=0), []), loss_of, [(im,) for im in images])
    assert step.compiles == 1 and step.replays == 5  # the winners change; the compiled graph is the same


def test_the_batched_replay_picks_each_samples_own_winner() -> None:
    np = pytest.importorskip("numpy")
    from micrograd_plus.compile import vectorize

    conv = Conv2d(1, 1, 2, seed=1)
    pixels = [[Value(0.0, label=f"x{r}{c}") for c in range(3)] for r in range(3)]
    root = _pooled_loss(conv, [pixels])  # type: ignore[list-item]
    leaves = [v for row in pixels for v in row]
    params = conv.parameters()
    batch = [[float((7 * k + 3 * i) % 5) - 2.0 for k in range(4)] for i in range(9)]  # 9 pixels × 4 samples
    value, grads = vectorize(root, params, leaves).value_and_grad([p.data for p in params], batch)
    expected_value, expected_grads = 0.0, np.zeros(len(params))
    for k in range(4):
        image = [[[batch[3 * r + c][k] for c in range(3)] for r in range(3)]]
        loss = _pooled_loss(conv, image)
        v, g = _eager(loss, params)
        expected_value += v / 4
        expected_grads += np.array(g) / 4
    assert _close(value, expected_value) and _close(list(grads), list(expected_grads))


def test_binary_cross_entropy_takes_the_clamped_form_per_sample_on_every_path() -> None:
    np = pytest.importorskip("numpy")
    from micrograd_plus.compile import vectorize

    def loss_of(model: Any, _: list[Value], X: list[list[float]], T: list[float]) -> Value:
        return losses.binary_cross_entropy([(model(x)[0] * 40.0).sigmoid() for x in X], T)

    X = [[1.0, 2.0], [-1.0, 0.5], [0.01, 0.02], [2.0, -2.0]]  # some samples deep in the clamp, some not
    batches = [(X, [1.0, 0.0, 1.0, 0.0]), (X, [0.0, 0.0, 1.0, 1.0]), (X[:2] + X[:2], [1.0, 1.0, 0.0, 0.0])] * 2
    step = _train_both(lambda: (MLP(2, [3, 1], seed=4), []), loss_of, batches, lr=0.01)
    assert step.compiles == 1 and step.replays == 5

    model = MLP(2, [3, 1], seed=4)
    x, t = [Value(0.0), Value(0.0)], Value(0.0)
    root = losses.binary_cross_entropy((model(x)[0] * 40.0).sigmoid(), t)
    params = model.parameters()
    columns = [[row[0] for row in X], [row[1] for row in X], [1.0, 0.0, 1.0, 0.0]]
    value, grads = vectorize(root, params, [*x, t]).value_and_grad([p.data for p in params], columns)
    expected = losses.binary_cross_entropy([(model(row)[0] * 40.0).sigmoid() for row in X], [1.0, 0.0, 1.0, 0.0])
    expected_value, expected_grads = _eager(expected, params)
    assert _close(value, expected_value) and _close(list(np.asarray(grads)), expected_grads, rel=1e-9)


# -- a differential harness: random models, losses and changes, eager against Replay ---------------------------------


def _random_case(seed: int) -> tuple[Any, Any, list[tuple[Any, ...]], Any]:
    import random

    rng = random.Random(seed)
    activation = rng.choice(["relu", "tanh", "sigmoid", "leaky_relu"])
    dropout = rng.choice([0.0, 0.0, 0.3])
    hidden = rng.randint(2, 5)
    kind = rng.choice(["mse", "hinge", "bce_by_hand", "bce", "temperature", "branch"])
    n = rng.choice([2, 3])
    data = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]

    def make() -> tuple[Any, list[Value]]:
        model = MLP(2, [hidden, 1], activation=activation, dropout=dropout, seed=seed)
        return model, [Value(1.5, label="temperature")] if kind == "temperature" else []

    def loss_of(model: Any, extra: list[Value], X: list[list[float]], T: list[float]) -> Value:
        outs = [model(x)[0] for x in X]
        if kind == "mse":
            return losses.mse(outs, T)
        if kind == "hinge":
            return losses.hinge(outs, [2 * t - 1 for t in T])  # labels made from the data inside the step
        if kind == "bce_by_hand":
            return sum((_bce_by_hand(o.sigmoid(), t) for o, t in zip(outs, T)), Value(0.0))
        if kind == "bce":
            return losses.binary_cross_entropy([o.sigmoid() for o in outs], T)
        if kind == "temperature":
            return losses.mse([(o * extra[0]).tanh() for o in outs], T)
        return sum(((o - t) ** 2 if t > 0.5 else o * 0.5 for o, t in zip(outs, T)), Value(0.0))

    batches = [(data, [float(rng.random() < 0.5) for _ in range(n)]) for _ in range(5)]

    def change(model: Any, extra: list[Value], k: int) -> None:
        if k == 2 and seed % 3 == 0:
            model.dropout.p = 0.25
        if k == 3 and seed % 3 == 1:
            model.eval()

    return make, loss_of, batches, change


# 30 cases by default (fixed in CI); MICROGRAD_DIFFERENTIAL_EXAMPLES=1000 for a longer local run
@pytest.mark.parametrize("backend", BACKENDS)
@given(st.integers(0, 10**6))
@settings(max_examples=int(os.environ.get("MICROGRAD_DIFFERENTIAL_EXAMPLES", "30")), deadline=None)
def test_random_models_and_losses_replay_like_eager(backend: str, seed: int) -> None:
    if backend == "numpy":
        pytest.importorskip("numpy")
    make, loss_of, batches, change = _random_case(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # steps that run eagerly say so; they are compared too
        step = _train_both(make, loss_of, batches, change, lr=0.05, backend=backend)
    assert step.replays + step.eager_steps == len(batches)


def test_a_step_that_reads_a_values_data_runs_eagerly_and_says_where() -> None:
    def loss_of(model: Any, _: list[Value], x: list[float]) -> Value:
        out = model(x)[0]
        return out * out.data + out  # out.data is a number no guard sees: it changes as the model trains

    with pytest.warns(RuntimeWarning, match=r"reads a Value's \.data at test_fast_paths\.py:\d+; keep the number"):
        step = _train_both(lambda: (MLP(2, [3, 1], seed=0), []), loss_of, [([1.0, 2.0],)] * 4, lr=0.1)
    assert step.replays == 0 and step.mode == "eager"

    def softmax_with_a_data_shift(model: Any, _: list[Value], x: list[float]) -> Value:
        logits = model(x)
        shift = max(v.data for v in logits)  # microgpt's shift: the result does not depend on it, but no replay
        exps = [(v - shift).exp() for v in logits]  # can know that
        return -(exps[0] / sum(exps, Value(0.0))).log()

    with pytest.warns(RuntimeWarning, match=r"reads a Value's \.data"):
        step = _train_both(lambda: (MLP(2, [4, 3], seed=1), []), softmax_with_a_data_shift, [([1.0, -1.0],)] * 4)
    assert step.replays == 0

    def library_softmax(model: Any, _: list[Value], x: list[float]) -> Value:
        return -F.log_softmax(model(x))[0]  # the same shift, inside the library: replayed

    step = _train_both(lambda: (MLP(2, [4, 3], seed=1), []), library_softmax, [([1.0, -1.0],)] * 4)
    assert step.replays == 3


class _Normed(Module):
    """An MLP layer followed by a normalisation over the batch (BatchNorm1d) or per sample (LayerNorm)."""

    def __init__(self, seed: int, batch_norm: bool) -> None:
        super().__init__()
        self.mlp = MLP(2, [4], seed=seed)
        self.norm = BatchNorm1d(4) if batch_norm else LayerNorm(4)
        self.batch_norm = batch_norm

    def __call__(self, X: list[list[float]]) -> list[list[Value]]:
        hidden = [self.mlp(x) for x in X]
        return self.norm(hidden) if self.batch_norm else [self.norm(h) for h in hidden]  # type: ignore[no-any-return]


def _model_case(seed: int) -> tuple[Any, Any, list[tuple[Any, ...]], Any]:
    import random

    rng = random.Random(seed)
    kind = rng.choice(["conv", "layernorm", "batchnorm", "rnn", "numpy_op", "branching_op"])
    if kind == "conv":
        padding = rng.choice([0, 1])
        make = lambda: (Conv2d(1, 2, 2, padding=padding, seed=seed), [])  # noqa: E731
        images = [[[[rng.uniform(-1, 1) for _ in range(4)] for _ in range(4)]] for _ in range(4)]
        return make, lambda m, _, im: _pooled_loss(m, im), [(im,) for im in images], None
    if kind in ("layernorm", "batchnorm"):
        X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(3)]

        def normed(model: Any, _: list[Value], X: list[list[float]]) -> Value:
            return sum((v * v * 0.5 + v for row in model(X) for v in row), Value(0.0))

        def warmed(model: Any, _: list[Value], step: int) -> None:
            if step == 0 and kind == "batchnorm":
                model.train()
                model(X)  # running statistics away from their start
                model.eval()

        return lambda: (_Normed(seed, kind == "batchnorm"), []), normed, [(X,)] * 4, warmed
    if kind == "rnn":
        xs = [[rng.uniform(-1, 1)] for _ in range(rng.randint(2, 5))]

        def rnn_loss(model: Any, _: list[Value], xs: list[list[float]], t: float) -> Value:
            return losses.mse([out[0] for out in model(xs).outputs], [t] * len(xs))

        return lambda: (RNN(1, 3, 1, seed=seed), []), rnn_loss, [(xs, 0.5), (xs, -0.25)] * 2, None
    op = NP_TANH if kind == "numpy_op" else SINC
    X = [[rng.choice([0.0, rng.uniform(-1, 1)]), rng.uniform(-1, 1)] for _ in range(3)]

    def custom(model: Any, _: list[Value], X: list[list[float]]) -> Value:
        return sum((op(model(x)[0] * 0.0 + x[0]) * model(x)[0] for x in X), Value(0.0))  # the op at 0 too

    return lambda: (MLP(2, [3, 1], seed=seed), []), custom, [(X,)] * 4, None


def _np_tanh(x: float) -> float:
    import numpy

    return numpy.tanh(x)  # type: ignore[no-any-return]


NP_TANH = define_op("np_tanh_harness", _np_tanh, lambda x, out: (1 - out * out,), register=False)


@pytest.mark.parametrize("backend", BACKENDS)
@given(st.integers(0, 10**6))
@settings(max_examples=int(os.environ.get("MICROGRAD_DIFFERENTIAL_EXAMPLES", "30")), deadline=None)
def test_random_conv_norm_rnn_and_custom_op_models_replay_like_eager(backend: str, seed: int) -> None:
    pytest.importorskip("numpy")
    make, loss_of, batches, change = _model_case(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        step = _train_both(make, loss_of, batches, change, lr=0.05, backend=backend)
    assert step.replays + step.eager_steps == len(batches)


def test_compiled_and_batched_replays_take_numbers_as_eager_mode_does() -> None:
    np = pytest.importorskip("numpy")
    from micrograd_plus.compile import vectorize

    a, b = Value(0.2, label="a"), Value(0.3, label="b")
    compiled = compile_graph(a * b, [a, b])
    assert compiled.value_and_grad([np.array(0.5), np.float32(0.25)]) == (0.125, [0.25, 0.5])
    w, x, t = Value(0.5, label="w"), Value(0.0, label="x"), Value(0.0, label="t")
    batched = vectorize((w * x - t) ** 2, [w], [x, t])
    expected = batched.value_and_grad([0.5], [[1.0, 2.0], [2.0, 3.0]])
    assert batched.value_and_grad([np.array(0.5)], np.array([[1, 2], [2, 3]])) == expected
    assert batched.value_and_grad([np.float64(0.5)], [[1, np.float32(2.0)], [np.int64(2), 3.0]]) == expected
    for bad, kind in [
        ([[True, 2.0], [2.0, 3.0]], "bool"),
        ([["1", 2.0], [2.0, 3.0]], "str"),
        (np.array([[True, False], [True, True]]), "bool"),
        ([[np.bool_(True), 2.0], [1.0, 2.0]], "bool"),
        ([[1 + 0j, 2.0], [1.0, 2.0]], "complex"),
    ]:
        with pytest.raises(TypeError, match=rf"the data holds \['{kind}'\], which are not numbers"):
            batched.value_and_grad([0.5], bad)
    with pytest.raises(TypeError, match=r"input 0 \(a\) must be a real number, got str '1'"):
        compiled.value_and_grad(["1", 0.3])
