"""Training that replays by itself equals eager training on every step: loss and every parameter, rel 1e-12."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_plus import Value, losses, optim
from micrograd_plus.compile import Replay
from micrograd_plus.data import make_glyphs, make_moons, make_sine_sequence
from micrograd_plus.nn import MLP, RNN, Activation, AvgPool2d, BatchNorm1d, Conv2d, Flatten, Layer, Sequential


def same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14)


def run_both(
    make_model: Callable[[], Any],
    loss_of: Callable[..., Value],
    batches: list[tuple[Any, ...]],
    lr: float = 0.3,
) -> Replay:
    """Train two copies, one eagerly and one through Replay, on the same batches; compare after every step."""
    eager, replayed = make_model(), make_model()
    eager_opt = optim.SGD(eager.parameters(), lr=lr, momentum=0.5)
    replay_opt = optim.SGD(replayed.parameters(), lr=lr, momentum=0.5)
    step = Replay(lambda *data: loss_of(replayed, *data), replayed)
    for batch in batches:
        loss = loss_of(eager, *batch)
        eager_opt.zero_grad()
        loss.backward()
        eager_opt.step()
        replay_opt.zero_grad()
        value = step(*batch)
        replay_opt.step()
        assert same(value, loss.data), (value, loss.data, step)
        for p, q in zip(eager.parameters(), replayed.parameters(), strict=True):
            assert same(p.data, q.data), (p, q, step)
    return step


def moons_loss(model: MLP, X: list[list[float]], y: list[float]) -> Value:
    return losses.hinge([model(x)[0] for x in X], y) + 1e-4 * losses.l2(model.parameters())


def moons_batches(sizes: list[int]) -> list[tuple[list[list[float]], list[float]]]:
    X, y = make_moons(60, noise=0.1, seed=1)
    rng = random.Random(0)
    batches = []
    for size in sizes:
        picked = rng.sample(range(len(X)), size)  # new data every step
        batches.append(([X[i] for i in picked], [2.0 * y[i] - 1.0 for i in picked]))
    return batches


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_the_moons_mlp_with_changing_batches_flipping_relus_and_dropout(dropout: float) -> None:
    sizes = [12] * 8 + [7] * 4 + [12] * 4  # the batch size changes, and comes back
    flips: list[bool] = []
    made: list[MLP] = []  # the eager model, then the replayed one

    def loss_of(model: MLP, X: list[list[float]], y: list[float]) -> Value:
        if model is made[0]:  # read on the eager model: a read of .data in a replayed step would make it run eagerly
            flips.append(model.layers[0].neurons[0]([X[0][0], X[0][1]]).data > 0.0)
        return moons_loss(model, X, y)

    def make() -> MLP:
        made.append(MLP(2, [8, 8, 1], dropout=dropout, seed=0))
        return made[-1]

    step = run_both(make, loss_of, moons_batches(sizes), lr=0.5)
    assert step.compiles == 2 and step.replays == len(sizes) - 2 and step.mode == "replay"
    assert len(set(flips)) == 2  # some relu changed sign during training


def test_the_full_batch_demo_step_compiles_once() -> None:
    X, y = make_moons(40, noise=0.1, seed=1)
    labels = [2.0 * t - 1.0 for t in y]
    step = run_both(lambda: MLP(2, [8, 8, 1], seed=0), moons_loss, [(X, labels)] * 6)
    assert (step.compiles, step.replays, step.eager_steps) == (1, 5, 1)


def test_an_rnn_through_time() -> None:
    def loss_of(model: RNN, xs: list[list[float]], targets: list[float]) -> Value:
        return losses.mse([out[0] for out in model(xs).outputs], targets)

    batches = []
    for seed in range(5):
        xs, targets = make_sine_sequence(12, seed=seed)
        batches.append((xs, targets))
    step = run_both(lambda: RNN(1, 5, 1, seed=0), loss_of, batches, lr=0.05)
    assert step.replays == 4


def test_a_small_cnn() -> None:
    images, labels = make_glyphs(12, noise=0.2, max_shift=1, seed=0)

    def make() -> Sequential:
        layers = [Conv2d(1, 2, 3, seed=0), Activation("relu"), AvgPool2d(2), Flatten(), Layer(18, 5, "linear", seed=1)]
        return Sequential(*layers)

    def loss_of(model: Sequential, batch: list[Any], targets: list[int]) -> Value:
        return losses.cross_entropy([model(x) for x in batch], targets)

    batches = [(images[k : k + 4], labels[k : k + 4]) for k in (0, 4, 8, 0)]
    step = run_both(make, loss_of, batches, lr=0.1)
    assert step.compiles >= 1 and step.replays >= 1  # class indices are part of the structure


def test_steps_whose_graph_depends_on_the_numbers_run_eagerly() -> None:
    def loss_of(model: MLP, X: list[list[float]], y: list[float]) -> Value:
        scores = [model(x)[0] for x in X]
        best = max(scores)  # compares Values: the graph depends on the numbers
        return moons_loss(model, X, y) + 0.1 * best

    with pytest.warns(RuntimeWarning, match=r"runs this step eagerly: .*comparison of Values") as said:
        step = run_both(lambda: MLP(2, [4, 1], seed=0), loss_of, moons_batches([6] * 4))
    assert step.mode == "eager" and step.replays == 0 and "comparison" in step.reason
    assert [w.filename for w in said] == [__file__]  # once, at the line that called the Replay

    def normalised(model: Sequential, X: list[list[float]], y: list[float]) -> Value:
        norm, layer = getattr(model, "0"), getattr(model, "1")
        return losses.mse([layer(sample)[0] for sample in norm(X)], y)

    def make() -> Sequential:
        return Sequential(BatchNorm1d(2), Layer(2, 1, "linear", seed=0))

    with pytest.warns(RuntimeWarning, match="running statistics"):
        step = run_both(make, normalised, moons_batches([6] * 3))
    assert step.mode == "eager" and "running statistics" in step.reason


def test_bad_input() -> None:
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError, match="the step's loss function"):
        Replay(42, model)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the Module being trained"):
        Replay(lambda: Value(1.0), [1.0])
    step = Replay(lambda X: model(X[0])[0], model)
    with pytest.raises(TypeError, match="lists and tuples of numbers"):
        step({"x": 1.0})
    with pytest.raises(TypeError, match="must return a Value"):
        Replay(lambda X: 1.0, model)([1.0])  # type: ignore[arg-type, return-value]
