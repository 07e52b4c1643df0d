"""The shared argument checks: numpy scalars count as numbers, messages never contradict themselves."""

from __future__ import annotations

import json
import math
import random

import pytest

from micrograd_plus._validate import check_count, check_real, make_rng
from micrograd_plus.nn import MLP, RNN, Perceptron


@pytest.mark.parametrize(
    ("n", "minimum", "pattern"),
    [
        (0, 1, r"^n must be a whole number >= 1, got 0$"),
        (1, 2, r"^n must be a whole number >= 2, got 1$"),
        (2.0, 1, r"got float 2\.0$"),
        ("3", 1, r"got str '3'$"),
        (True, 1, r"got bool True$"),
        (None, 1, r"got NoneType None$"),
    ],
)
def test_check_count_refuses(n: object, minimum: int, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        check_count("n", n, minimum)


@pytest.mark.parametrize(
    ("x", "bounds", "pattern"),
    [
        (0.0, {"low": 0.0, "low_open": True}, r"^lr must be a finite number > 0, got 0\.0$"),
        (math.nan, {}, r"^lr must be a finite number, got nan$"),
        (math.inf, {"low": 0.0}, r"got inf$"),
        (1.0, {"low": 0.0, "high": 1.0}, r"^lr must be a finite number >= 0 and < 1, got 1\.0$"),
        ("0.1", {}, r"got str '0\.1'$"),
        (False, {}, r"got bool False$"),
        (1j, {}, r"got complex 1j$"),
    ],
)
def test_check_real_refuses(x: object, bounds: dict[str, object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        check_real("lr", x, **bounds)  # type: ignore[arg-type]


def test_make_rng() -> None:
    shared = random.Random(0)
    assert make_rng(shared) is shared
    assert make_rng(5).random() == random.Random(5).random()  # non-negative seeds are Python's own
    assert make_rng(-5).random() == make_rng(-5).random() != make_rng(5).random()
    assert make_rng(10**30).random() == random.Random(10**30).random()
    with pytest.raises(TypeError, match=r"seed must be a whole number, a random\.Random or None, got float 1\.5"):
        make_rng(1.5)


def test_numpy_scalars_everywhere_a_python_number_goes() -> None:
    np = pytest.importorskip("numpy")
    assert check_count("n", np.int64(2)) == 2 and type(check_count("n", np.uint16(2))) is int
    assert check_real("x", np.float32(0.5)) == 0.5 and type(check_real("x", np.float64(0.5))) is float
    model = MLP(np.int64(2), [np.int32(3), np.int64(1)], seed=np.int64(7))
    assert model.config()["sizes"] == [3, 1] and json.dumps(model.architecture())
    assert model.state_dict() == MLP(2, [3, 1], seed=7).state_dict()
    assert RNN(np.int8(1), np.int64(2), np.int16(1), seed=np.int64(0)).config()["n_hidden"] == 2
    with pytest.raises(ValueError, match=r"n_in must be a whole number >= 1, got 0$"):
        MLP(np.int64(0), [1])
    p = Perceptron(np.int64(2))
    assert p.fit([[1.0, 2.0], [-1.0, -2.0]], [np.int64(1), np.int64(0)], epochs=np.int64(5), lr=np.float32(0.5))
    assert p.predict([3.0, 3.0]) == 1


def test_one_dimensional_numpy_arrays_where_a_list_of_numbers_goes() -> None:
    """Layer widths and token ids as a NumPy user holds them: the same as the list the array holds."""
    np = pytest.importorskip("numpy")
    from micrograd_plus.data import CharTokenizer
    from micrograd_plus.nn import GPT

    for widths in (np.array([3, 1]), np.array([3, 1], dtype=np.int32), np.arange(3, 0, -2)):
        model = MLP(2, widths, seed=0)
        assert model.sizes == [3, 1] and all(type(s) is int for s in model.sizes)
        assert [p.data for p in model.parameters()] == [p.data for p in MLP(2, [3, 1], seed=0).parameters()]
    gpt = GPT(7, n_embd=8, n_head=2, block_size=6, seed=0)
    for ids in (np.array([6, 1, 2, 6]), np.array([6, 1, 2, 6], dtype=np.uint8)):
        assert gpt.loss(ids).data == gpt.loss([6, 1, 2, 6]).data
    tok = CharTokenizer(["ab", "ba"])
    assert tok.decode(np.array(tok.wrap("ab"))) == "ab"
    with pytest.raises(ValueError, match=r"sizes must be a non-empty list of layer widths.*ndarray"):
        MLP(2, np.array([[3, 1]]))  # 2-D: not a list of widths
    with pytest.raises(ValueError, match=r"layer size must be a whole number >= 1, got float 3.0"):
        MLP(2, np.array([3.0, 1.0]))
    with pytest.raises(ValueError, match=r"sizes must be a non-empty list"):
        MLP(2, np.array([], dtype=int))
    with pytest.raises(IndexError, match=r"token id at position 1"):
        gpt.loss(np.array([6, 9, 6]))
