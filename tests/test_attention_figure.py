"""The attention figure: one heat map per head with the weights the model computes, the future left blank."""

from __future__ import annotations

import math

import pytest

from micrograd_plus.nn import GPT, MLP
from micrograd_plus.viz.attention_figure import attention_figure, attention_matrices

pytest.importorskip("matplotlib")


def model() -> GPT:
    return GPT(vocab_size=6, n_embd=8, n_head=2, n_layer=2, block_size=5, std=0.5, seed=3)


def test_the_matrices_are_the_weights_with_the_future_blank() -> None:
    gpt, tokens = model(), [5, 0, 3, 1]
    weights = gpt.attention_weights(tokens)
    for layer in (0, 1):
        matrices = attention_matrices(gpt, tokens, layer)
        assert len(matrices) == 2
        for head, matrix in zip(weights[layer], matrices):
            for t, row in enumerate(matrix):
                assert row[: t + 1] == head[t] and all(math.isnan(v) for v in row[t + 1 :])


def test_the_figure_has_one_labelled_heat_map_per_head() -> None:
    gpt, tokens = model(), [5, 0, 3, 1]
    figure = attention_figure(gpt, tokens, labels=["BOS", "a", "d", "b"], layer=1)
    maps = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in maps] == ["head 0", "head 1"]
    assert [t.get_text() for t in maps[0].get_xticklabels()] == ["BOS", "a", "d", "b"]
    shown = maps[1].images[0].get_array()
    expected = attention_matrices(gpt, tokens, 1)[1]
    assert shown.shape == (4, 4) and math.isclose(float(shown[3][0]), expected[3][0])
    assert figure.get_suptitle() == "attention of layer 1, per head"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda g: attention_figure(g, [5, 0], labels=["BOS"]), ValueError, "name each of the 2 tokens, got 1"),
        (lambda g: attention_matrices(g, [5, 0], layer=2), ValueError, r"layer must be in 0..1 .* got 2"),
        (lambda g: attention_matrices(g, [5, 0], layer=-1), ValueError, "layer"),
        (lambda g: attention_matrices(g, [5, 9]), IndexError, "got 9"),
        (lambda g: attention_matrices(g, [5] * 6), ValueError, "block_size = 5"),
        (lambda g: attention_matrices(MLP(2, [2]), [0]), TypeError, "needs a GPT"),
    ],
)
def test_bad_input_is_refused(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call(model())  # type: ignore[operator]
