"""Module walks visit each module once: references back to an owner, shared submodules, lists of modules."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from micrograd_plus import Value
from micrograd_plus.nn import MLP, BatchNorm1d, Dropout, Layer, Module, Sequential


class Encoder(Module):
    def __init__(self) -> None:
        self.layer = Layer(2, 2, seed=0)


class Owner(Module):
    """A model whose encoder holds a reference back to it (``encoder.owner = model``)."""

    def __init__(self) -> None:
        self.encoder = Encoder()
        self.encoder.owner = self
        self.norm = BatchNorm1d(2)


class Shared(Module):
    """One BatchNorm1d under two attributes, one Layer in two lists, and a list holding one module twice."""

    def __init__(self) -> None:
        self.norm = BatchNorm1d(2)
        self.again = self.norm
        self.layer = Layer(2, 2, seed=1)
        self.heads = [Layer(2, 1, seed=2), self.layer]
        self.twice = [self.layer, self.layer]


class Ring(Module):
    """a → b → c → a: a cycle of three, none of them the top."""

    def __init__(self) -> None:
        self.a = Encoder()
        self.a.next = Encoder()
        self.a.next.next = Encoder()
        self.a.next.next.next = self.a


MODELS: dict[str, Callable[[], Module]] = {"owner": Owner, "shared": Shared, "ring": Ring}


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_every_walk_ends_and_lists_each_module_and_parameter_once(make: Callable[[], Module]) -> None:
    model = make()
    modules = model.modules()
    assert len({id(m) for m in modules}) == len(modules)
    named = list(model.named_modules())
    assert [id(m) for _, m in named] == [id(m) for m in modules[1:]]
    assert len({path for path, _ in named}) == len(named)
    params = model.parameters()
    assert len({id(p) for p in params}) == len(params)
    assert [id(p) for _, p in model.named_parameters()] == [id(p) for p in params]
    state = model.state_dict()
    assert len(state) == len(params) + 4 * (len(model.state_dict()) > len(params))  # one BatchNorm: 4 buffers
    model.load_state_dict(state)
    model.zero_grad()
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert all(m.training for m in model.train().modules())


def test_a_reference_back_to_the_owner_is_walked_from_either_end() -> None:
    model = Owner()
    assert [path for path, _ in model.named_modules()] == [
        "encoder",
        "encoder.layer",
        *_neurons("encoder.layer"),
        "norm",
    ]
    # from the encoder the owner is one more child: what encoder.parameters() steps is all that is reachable
    assert [path for path, _ in model.encoder.named_modules()][:2] == ["layer", "layer.neurons.0"]
    assert {id(p) for p in model.encoder.parameters()} == {id(p) for p in model.parameters()}
    model.encoder.eval()
    assert not model.training and not model.norm.training


def _neurons(prefix: str) -> list[str]:
    return [f"{prefix}.neurons.0", f"{prefix}.neurons.1"]


def test_a_shared_submodule_has_one_name_and_its_buffers_are_saved_once() -> None:
    model = Shared()
    paths = [path for path, _ in model.named_modules()]
    assert paths == ["norm", "layer", *_neurons("layer"), "heads.0", "heads.0.neurons.0"]
    buffers = [name for name, _ in model.named_buffers()]
    assert buffers == ["norm.running_mean.0", "norm.running_mean.1", "norm.running_var.0", "norm.running_var.1"]
    model.norm.running_mean[1] = 0.5
    state = model.state_dict()
    assert state["norm.running_mean.1"] == 0.5 and not any(name.startswith("again") for name in state)


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_save_and_load_round_trip_through_cycles_and_shared_modules(make: Callable[[], Module], tmp_path: Path) -> None:
    model, copy = make(), make()
    for k, p in enumerate(model.parameters()):
        p.data = 0.25 * k
    model.save(tmp_path / "model.json")
    copy.load(tmp_path / "model.json")
    assert copy.state_dict() == model.state_dict()
    saved = json.loads((tmp_path / "model.json").read_text())
    assert list(saved["parameters"]) == list(model.state_dict())


def test_repr_draws_each_module_once_and_a_back_reference_for_the_rest() -> None:
    text = repr(Owner())
    assert "(owner): ↩ Owner (the top module)" in text
    assert text.count("Encoder()") == 1
    shared = repr(Shared())
    assert "(again): ↩ BatchNorm1d (at 'norm')" in shared
    assert "(heads.1): ↩ Layer (at 'layer')" in shared
    assert "(twice): 2 × ↩ Layer (at 'layer')" in shared
    ring = repr(Ring())
    assert ring.count("Encoder()") == 3 and "(next): ↩ Encoder (at 'a')" in ring
    inner = repr(Owner().encoder)  # from the encoder, the owner is drawn below it and points back up
    assert "(owner): Owner()" in inner and "(encoder): ↩ Encoder (the top module)" in inner


def test_repr_of_lists_of_modules_and_of_sequential_is_unchanged() -> None:
    text = repr(MLP(2, [3, 1], seed=0))
    assert "(layers.0): Layer(n_in=2, n_out=3, activation='relu')  # 9 parameters" in text
    assert "(neurons): 3 × Neuron(n_in=2, activation='relu')  # 3 parameters" in text
    seq = Sequential(Layer(2, 2, seed=0), Dropout(0.5))
    seq.back = seq
    assert repr(seq).splitlines()[0] == "Sequential()  # 6 parameters"
    assert "(back): ↩ Sequential (the top module)" in repr(seq)


def test_a_deep_chain_of_modules_is_walked_without_recursion() -> None:
    top = current = Encoder()
    for _ in range(sys.getrecursionlimit() + 100):
        current.child = Encoder()
        current = current.child
    encoders = sys.getrecursionlimit() + 101
    assert len(top.modules()) == 4 * encoders  # each: itself, its Layer and the Layer's two Neurons
    assert len(top.state_dict()) == 6 * encoders
    top.eval()
    assert not current.training


def test_values_in_nested_lists_and_tuples_are_parameters_once() -> None:
    class Nested(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)
            self.grid = [[self.w, Value(2.0)], (Value(3.0), [self.w])]

    names = [name for name, _ in Nested().named_parameters()]
    assert names == ["w", "grid.0.1", "grid.1.0"]


@pytest.mark.parametrize("mode", ["yes", 1, None, 0.0])
def test_train_refuses_a_mode_that_is_not_a_bool_and_changes_nothing(mode: object) -> None:
    model = Owner().eval()
    with pytest.raises(TypeError, match=r"mode must be True .* or False"):
        model.train(mode)  # type: ignore[arg-type]
    assert not any(m.training for m in model.modules())


def test_a_list_attribute_that_holds_itself_is_walked_once() -> None:
    from micrograd_plus import nn
    from micrograd_plus.viz import to_dot

    class Holder(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Layer(2, 1, seed=0)
            self.history: list[object] = []
            self.history.append(self.history)  # a list that contains itself
            self.history.append([self.layer, self.history])

        def __call__(self, x: list[float]) -> list[nn.Value]:  # type: ignore[name-defined]
            return self.layer(x)  # type: ignore[no-any-return]

    holder = Holder()
    assert len(holder.parameters()) == 3 and len(holder.modules()) == 3
    holder.eval()
    assert len(holder.state_dict()) == 3 and "Holder" in repr(holder)
    assert "cluster" in to_dot(holder([1.0, 2.0])[0], module=holder)


def test_loading_a_negative_running_variance_is_refused_and_changes_nothing() -> None:
    from micrograd_plus import nn

    bn = nn.BatchNorm1d(2)
    state = bn.state_dict()
    state["running_var.1"] = -1.0
    state["running_mean.0"] = 5.0
    with pytest.raises(ValueError, match=r"'running_var\.1' is -1\.0, but a variance cannot be negative"):
        bn.load_state_dict(state)
    assert bn.running_var == [1.0, 1.0] and bn.running_mean == [0.0, 0.0]
    state["running_var.1"] = 0.0  # zero is a variance (eps keeps the division finite)
    bn.load_state_dict(state)
    assert bn.running_var == [1.0, 0.0]


def test_modules_and_parameters_is_one_walk_of_both() -> None:
    model = MLP(2, [3, 2, 1], dropout=0.1, seed=0)
    model.layers[0].owner = model  # type: ignore[attr-defined]
    modules, params = model.modules_and_parameters()
    assert modules == model.modules() and params == model.parameters()


# -- dicts are walked like lists: a model that keeps its weights as microgpt does is not silently empty ---------


class DictModel(Module):
    """microgpt's layout: ``state = {name: matrix}``, plus a list of dicts and a dict holding a module."""

    def __init__(self) -> None:
        self.state = {"wte": [[Value(0.1), Value(0.2)], [Value(0.3), Value(0.4)]], "lm_head": [[Value(0.5)]]}
        self.blocks = [{"w": Value(1.0)}, {"w": Value(2.0), "inner": {"b": Value(3.0)}}]
        self.parts = {"layer": Layer(2, 1, seed=0), 0: Value(4.0)}


def test_values_and_modules_in_dicts_are_parameters_named_by_their_keys() -> None:
    model = DictModel()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "state.wte.0.0",
        "state.wte.0.1",
        "state.wte.1.0",
        "state.wte.1.1",
        "state.lm_head.0.0",
        "blocks.0.w",
        "blocks.1.w",
        "blocks.1.inner.b",
        "parts.layer.neurons.0.w.0",
        "parts.layer.neurons.0.w.1",
        "parts.layer.neurons.0.b",
        "parts.0",
    ]
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in model.named_parameters()]
    assert [path for path, _ in model.named_modules()] == ["parts.layer", "parts.layer.neurons.0"]
    modules, params = model.modules_and_parameters()
    assert modules == model.modules() and params == model.parameters()
    assert model.state["wte"][0][1] in model.parameters()  # found, not silently skipped (it was [] before)


def test_a_dict_model_trains_saves_and_loads(tmp_path: Path) -> None:
    from micrograd_plus import optim

    model, copy = DictModel(), DictModel()
    loss = sum((p * p for p in model.parameters()), Value(0.0))
    loss.backward()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    optimizer.step()
    assert model.state["wte"][1][1].data == 0.4 - 0.1 * 0.8
    model.save(tmp_path / "dict.json")
    copy.load(tmp_path / "dict.json")
    assert copy.state_dict() == model.state_dict()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_shared_or_self_holding_dict_is_walked_once_under_its_first_path() -> None:
    class Tied(Module):
        def __init__(self) -> None:
            self.table = {"w": Value(1.0)}
            self.again = self.table
            self.table["self"] = self.table  # a dict that holds itself ends the walk, not a recursion
            self.listed = [self.table, {"x": self.table["w"]}]

    model = Tied()
    assert [name for name, _ in model.named_parameters()] == ["table.w"]
    assert model.state_dict() == {"table.w": 1.0}


def test_modules_kept_in_a_dict_are_children_and_drawn_in_their_cluster() -> None:
    from micrograd_plus.viz import to_dot

    class ByName(Module):
        def __init__(self) -> None:
            self.blocks = {"first": Layer(2, 2, seed=0), "second": Layer(2, 1, seed=1)}

        def __call__(self, x: list[float]) -> list[Value]:
            return self.blocks["second"](self.blocks["first"](x))  # type: ignore[no-any-return]

    model = ByName()
    assert [name for name, _ in model.named_children()] == ["blocks.first", "blocks.second"]
    assert "blocks.second" in to_dot(model([1.0, -1.0])[0], module=model)


def test_repr_of_a_very_deep_tree_stops_at_a_readable_depth_and_counts_the_rest() -> None:
    from micrograd_plus.nn.module import REPR_DEPTH

    class Wrap(Module):
        def __init__(self, inner: Module) -> None:
            super().__init__()
            self.inner = inner

    model: Module = MLP(1, [1], seed=0)  # itself 4 modules: MLP, a layer, its neuron, the dropout
    for _ in range(3000):  # far deeper than the recursion limit allows a recursive repr
        model = Wrap(model)
    lines = repr(model).splitlines()
    assert len(lines) == REPR_DEPTH + 2
    assert (
        lines[-1].strip()
        == f"... {3000 + 4 - REPR_DEPTH - 1} more modules below, deeper than {REPR_DEPTH} levels: print one to see it"
    )
    assert len(model.parameters()) == 2
    shallow = Wrap(MLP(1, [1], seed=0))
    assert "more modules below" not in repr(shallow)
