"""``Module.watch_walk()``: the walk Replay's key keeps between calls is the walk a new call would make.

Each change a user can make to where a model keeps its parameters and modules (a Value replaced in a nested
list, a row appended, a dict entry replaced or added, a submodule swapped, an attribute added or removed) must
either leave the walk as it was or make ``holds()`` false; Replay must then train the new parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from micrograd_plus import Value, optim
from micrograd_plus.compile import Replay
from micrograd_plus.nn import GPT, MLP, Layer, Module


class Kept(Module):
    """Parameters and modules kept every way the walk reads: lists of lists, a dict, a tuple, a list of modules."""

    def __init__(self) -> None:
        self.table = [[Value(0.1 * i + 0.01 * j) for j in range(3)] for i in range(2)]
        self.state = {"w": [Value(0.5), Value(-0.25)], "bias": Value(0.2)}
        self.fixed = (Value(0.3), [Value(0.4)])
        self.layers = [Layer(2, 2, seed=0), Layer(2, 1, seed=1)]
        self.scale = 2.0

    def __call__(self, x: list[float]) -> Value:
        h = self.layers[1](self.layers[0](x))[0]
        extra = sum((v for row in self.table for v in row), self.state["bias"])
        return h * self.scale + extra * self.fixed[0] * self.fixed[1][0] + self.state["w"][0] * self.state["w"][1]


CHANGES: dict[str, Callable[[Kept], None]] = {
    "a Value replaced in a nested list": lambda m: m.table[1].__setitem__(2, Value(9.0)),
    "a row appended": lambda m: m.table.append([Value(1.0)]),
    "a row removed": lambda m: m.table.pop(),
    "a Value replaced in a dict's list": lambda m: m.state["w"].__setitem__(0, Value(3.0)),
    "a dict entry replaced": lambda m: m.state.__setitem__("bias", Value(7.0)),
    "a dict entry added": lambda m: m.state.__setitem__("gain", Value(1.5)),
    "a dict entry removed": lambda m: m.state.pop("bias"),
    "a list inside a tuple changed": lambda m: m.fixed[1].append(Value(0.7)),
    "a submodule replaced": lambda m: m.layers.__setitem__(1, Layer(2, 1, seed=5)),
    "a module's weight replaced": lambda m: m.layers[0].neurons[1].w.__setitem__(0, Value(-1.0)),
    "an attribute added": lambda m: setattr(m, "extra", Value(4.0)),
    "an attribute removed": lambda m: delattr(m, "fixed"),
    "a hyper-parameter set": lambda m: setattr(m, "scale", 3.0),
    "a module added": lambda m: setattr(m, "head", MLP(1, [1], seed=2)),
    "the same Value put back": lambda m: m.table[0].__setitem__(0, m.table[0][0]),
    "a private attribute": lambda m: setattr(m, "_note", [Value(1.0)]),
}


def walk_of(model: Module) -> tuple[list[int], list[int]]:
    modules, params = model.modules_and_parameters()
    return list(map(id, modules)), list(map(id, params))


def test_a_watch_finds_what_the_walk_finds() -> None:
    model = Kept()
    watch = model.watch_walk()
    assert (list(map(id, watch.modules)), list(map(id, watch.parameters))) == walk_of(model)
    assert watch.holds()


@pytest.mark.parametrize("name", list(CHANGES))
def test_every_change_keeps_the_walk_or_is_seen(name: str) -> None:
    model = Kept()
    watch = model.watch_walk()
    before = (list(map(id, watch.modules)), list(map(id, watch.parameters)))
    CHANGES[name](model)
    changed = walk_of(model) != before
    assert not (watch.holds() and changed)
    if name in ("the same Value put back",):
        assert watch.holds() and not changed
    elif name not in ("a hyper-parameter set", "a private attribute"):
        assert changed and not watch.holds()  # the change is a change of the walk, and it is seen


def test_a_value_freed_and_its_address_reused_is_still_seen() -> None:
    model = Kept()
    watch = model.watch_walk()
    for _ in range(200):  # a new Value often lands at the address of the one it replaces
        model.table[0][0] = Value(1.0)
        assert not watch.holds()


def train_both(change: Callable[[Any], None], when: int) -> Replay:
    """An MLP trained eagerly and through Replay, the same change made to both before step ``when``: equal."""
    eager, replayed = MLP(2, [3, 1], seed=4), MLP(2, [3, 1], seed=4)
    step = Replay(lambda x: replayed(x)[0] ** 2, replayed)
    for k in range(6):
        if k == when:
            change(eager)
            change(replayed)
        opts = [optim.SGD(m.parameters(), lr=0.1) for m in (eager, replayed)]
        loss = eager([0.5, -1.0 + 0.1 * k])[0] ** 2
        loss.backward()
        assert step([0.5, -1.0 + 0.1 * k]) == loss.data
        assert [p.grad for p in replayed.parameters()] == [p.grad for p in eager.parameters()]
        for opt in opts:
            opt.step()
            opt.zero_grad()
    return step


def test_replay_trains_a_weight_replaced_in_place() -> None:
    step = train_both(lambda m: m.layers[0].neurons[2].w.__setitem__(1, Value(0.75)), when=3)
    assert step.compiles == 2 and step.replays == 4


def test_replay_trains_a_neuron_swapped_into_a_layer() -> None:
    step = train_both(lambda m: m.layers[0].neurons.__setitem__(1, Layer(2, 1, seed=9).neurons[0]), when=2)
    assert step.compiles == 2 and step.replays == 4


def test_a_gpt_replays_without_walking_while_nothing_changed() -> None:
    model = GPT(7, n_embd=8, n_head=2, block_size=6, seed=0)
    step = Replay(model.loss, model, index_data=True)
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        step([6, 1, 2, 6])
        opt.step()  # new numbers in the same Values: no change of the walk
    assert step.compiles == 1 and step.replays == 2
    old = model.wte[1][0]
    model.wte[1][0] = Value(old.data)  # the token table is shared with the embedding module: one new parameter
    opt.zero_grad()
    step([6, 1, 2, 6])
    assert step.compiles == 2 and model.wte[1][0].grad != 0.0 and old.grad == 0.0


class Two(Module):
    def __init__(self) -> None:
        self.a, self.b, self.scale = Value(0.5), Value(-2.0), Value(3.0)


@pytest.mark.filterwarnings("ignore:Replay runs this step eagerly")
def test_a_failed_first_replay_leaves_only_eager_gradients() -> None:
    """The check of a first replay runs the step eagerly without committing: a parameter that only its graph
    reaches (picked by a number no guard sees), and those both reach, end with eager training's gradients."""
    import math

    def loss_of(x: float) -> Value:
        picked = model.a if math.copysign(1.0, x) > 0 else model.b  # math.copysign reads the data unguarded
        return picked * picked * x + model.scale * x

    model = Two()
    step = Replay(loss_of, model)
    for x, grads in [(1.0, (1.0, 0.0, 1.0)), (-1.0, (0.0, 4.0, -1.0)), (2.0, (2.0, 0.0, 2.0))]:
        for p in (model.a, model.b, model.scale):
            p.grad = 0.25  # gradients are added to what was there
        step(x)
        assert [model.a.grad, model.b.grad, model.scale.grad] == [0.25 + g for g in grads]
    assert step.replays == 0 and step.mode == "eager"
