"""paused_collector: the cyclic collector is off inside the block and exactly as found after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import micrograd_plus
from micrograd_plus.collector import paused_collector


@pytest.fixture(autouse=True, params=[True, False], ids=["found on", "found off"])
def found(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Each test starts with the collector on, then off; the test process gets its own setting back."""
    before = gc.isenabled()
    (gc.enable if request.param else gc.disable)()
    yield request.param
    (gc.enable if before else gc.disable)()


def test_off_inside_and_restored_after_a_normal_exit(found: bool) -> None:
    with paused_collector():
        assert not gc.isenabled()
    assert gc.isenabled() is found


def test_restored_when_the_block_raises(found: bool) -> None:
    with pytest.raises(KeyError, match="boom"), paused_collector():
        raise KeyError("boom")
    assert gc.isenabled() is found


def test_nested_blocks_each_restore_what_they_found(found: bool) -> None:
    with paused_collector():
        with paused_collector():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block found it off
        with pytest.raises(ValueError), paused_collector():
            raise ValueError
        assert not gc.isenabled()
    assert gc.isenabled() is found


def test_one_object_entered_again_inside_itself(found: bool) -> None:
    pause = paused_collector()
    with pause:
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled() is found
    with pause:  # and reused afterwards
        assert not gc.isenabled()
    assert gc.isenabled() is found


def test_a_switch_made_inside_the_block_does_not_outlive_it(found: bool) -> None:
    with paused_collector():
        gc.enable()
    assert gc.isenabled() is found


def test_made_early_reads_the_setting_on_entry(found: bool) -> None:
    pause = paused_collector()
    (gc.disable if found else gc.enable)()  # the setting changes between making and entering
    with pause:
        pass
    assert gc.isenabled() is not found


def test_exported_and_returns_itself() -> None:
    assert micrograd_plus.paused_collector is paused_collector
    pause = paused_collector()
    with pause as entered:
        assert entered is pause


def test_garbage_with_cycles_made_inside_is_freed_later() -> None:
    class Node:
        pass

    with paused_collector():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        del a, b
    assert gc.collect() >= 2


def test_replay_steps_run_paused_and_give_the_setting_back(found: bool) -> None:
    from micrograd_plus import losses
    from micrograd_plus.compile import Replay
    from micrograd_plus.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    seen: list[bool] = []

    def loss_fn(points: list[list[float]], targets: list[float]) -> micrograd_plus.Value:
        seen.append(gc.isenabled())
        if targets[0] > 5:
            raise KeyError("boom")
        return losses.mse([model(x)[0] for x in points], targets)

    step = Replay(loss_fn, model)
    for _ in range(3):  # eager, compiled and verified, replayed
        step([[0.5, -1.0], [1.0, 2.0]], [1.0, -1.0])
        assert gc.isenabled() is found
    assert seen and not any(seen)
    with pytest.raises(KeyError, match="boom"):
        step([[0.5, -1.0], [1.0, 2.0]], [9.0, -1.0])
    assert gc.isenabled() is found
