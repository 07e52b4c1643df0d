"""check_answer: every exercise's own answer passes, wrong and blank answers are told apart, bad input is refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd_plus import Value
from micrograd_plus.exercises import EXERCISES, Exercise, check_answer, question
from micrograd_plus.exercises.checking import compare

IDS = sorted(EXERCISES)


def _perturbed(answer: object) -> object:
    if isinstance(answer, Value):
        return _perturbed(answer.data)
    if isinstance(answer, (list, tuple)):
        return [_perturbed(answer[0]), *answer[1:]]
    assert isinstance(answer, (int, float))
    return answer * 1.1 + 0.5


def _numbers(answer: object) -> list[float]:
    if isinstance(answer, Value):
        return [answer.data]
    if isinstance(answer, (list, tuple)):
        return [x for item in answer for x in _numbers(item)]
    assert isinstance(answer, (int, float))
    return [float(answer)]


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_library_answer_is_correct(exercise_id: str) -> None:
    verdict = check_answer(exercise_id, EXERCISES[exercise_id].solve())
    assert verdict and verdict.status == "correct", verdict.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_wrong_answer_is_wrong_and_not_revealed(exercise_id: str) -> None:
    expected = EXERCISES[exercise_id].solve()
    verdict = check_answer(exercise_id, _perturbed(expected))
    assert not verdict and verdict.status == "wrong"
    assert question(exercise_id) in verdict.message
    told = verdict.message.replace(question(exercise_id), "")  # the question may quote numbers
    for value in _numbers(expected):
        if abs(value) > 1e-9 and not float(value).is_integer():  # "2" is in any message
            assert repr(value) not in told and f"{value:.4g}" not in told


@pytest.mark.parametrize("exercise_id", IDS)
def test_none_is_not_answered_yet(exercise_id: str) -> None:
    verdict = check_answer(exercise_id, None)
    assert verdict.status == "not answered" and not verdict
    assert "not answered yet" in repr(verdict) and question(exercise_id) in repr(verdict)


def test_tolerance_accepts_a_rounded_answer() -> None:
    assert check_answer("softmax.first-probability", 0.6652)
    assert check_answer("softmax.gradient", [0.665, -0.755, 0.09])
    assert not check_answer("softmax.first-probability", 0.66)


def test_a_value_answer_is_read_by_its_data() -> None:
    assert check_answer("activations.sigmoid-slope", Value(0.25))


def test_wrong_shape_is_named() -> None:
    verdict = check_answer("softmax.gradient", [0.665, -0.755])
    assert verdict.status == "wrong" and "shape 3" in verdict.message and "shape 2" in verdict.message
    assert check_answer("softmax.gradient", 0.5).status == "wrong"


def test_only_wrong_positions_are_counted() -> None:
    verdict = check_answer("softmax.gradient", [0.665, 0.0, 0.09])
    assert "1 of 3 numbers" in verdict.message and "the first at position 2 (0.0)" in verdict.message


@pytest.mark.parametrize("bad", ["zero", True, {"a": 1}, [0.1, "x"], object(), b"0.25"])
def test_a_non_number_is_refused_with_the_fix(bad: object) -> None:
    with pytest.raises(TypeError, match="must be a number") as error:
        check_answer("activations.sigmoid-slope", bad)
    assert "0.25" in str(error.value)  # the fix, with an example


def test_ragged_and_empty_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="ragged"):
        check_answer("gradient-descent.two-d", [[1.0], 2.0])
    with pytest.raises(TypeError, match="must be a number"):
        check_answer("gradient-descent.two-d", [])


def test_an_unknown_id_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown exercise id 'softmax\.nope'.*softmax\.gradient"):
        check_answer("softmax.nope", 1.0)


def test_the_answer_follows_the_library() -> None:
    """The expected answer is computed, not stored: a different computation gives a different verdict."""
    shifted = Exercise("demo.shift", "What is 2 + 1?", lambda: Value(2.0) + 1)
    assert compare(shifted, 3.0) and not compare(shifted, 2.0)


def test_ids_are_topic_dot_name() -> None:
    for exercise_id, exercise in EXERCISES.items():
        topic, _, name = exercise_id.partition(".")
        assert topic and name and exercise.exercise_id == exercise_id
        assert exercise.question.endswith("?") or exercise.question.endswith(")")
        assert math.isfinite(exercise.rel_tol) and exercise.rel_tol >= 0


def test_other_real_numbers_are_accepted() -> None:
    from fractions import Fraction

    assert check_answer("activations.sigmoid-slope", Fraction(1, 4))
    assert check_answer("mlp.parameter-count", 78)
    assert check_answer("gradient-descent.two-d", (0.9, 0.0))


# -- numbers given as text -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["0.25", " 0.25 ", "2.5e-1", "+0.25", "0.250\n", "25e-2", "\t.25"])
def test_a_number_given_as_text_is_read(text: str) -> None:
    assert check_answer("activations.sigmoid-slope", text)
    assert check_answer("activations.sigmoid-slope", np.str_(text))


def test_text_numbers_in_every_form() -> None:
    assert check_answer("chain-rule.cubic", "13")
    assert check_answer("mlp.parameter-count", str(EXERCISES["mlp.parameter-count"].solve()))
    expected = [str(x) for x in _numbers(EXERCISES["softmax.gradient"].solve())]
    assert check_answer("softmax.gradient", expected)
    assert check_answer("softmax.gradient", [expected[0], "\u2212" + expected[1].lstrip("-"), expected[2]])  # −
    assert check_answer("activations.leaky-slope", "1e-1")
    wrong = check_answer("activations.sigmoid-slope", "1e-3")
    assert wrong.status == "wrong" and "0.001 is not it" in wrong.message
    assert check_answer("chain-rule.cubic", "-13").status == "wrong"


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("abc", "give the number itself (e.g. 0.25) or text that is one (e.g. '0.25', '-0.5', '1e-3')"),
        ("", "text that is one"),
        ("   ", "text that is one"),
        ("1/4", "write the fraction without quotes (1/4) or as a decimal"),
        ("0,25", "write the decimal point as '.'"),
        ("0.25, 0.5", "a list as a Python list"),
    ],
)
def test_text_that_is_not_a_number_gets_a_hint(text: str, fix: str) -> None:
    with pytest.raises(TypeError, match="must be a number, got text") as error:
        check_answer("activations.sigmoid-slope", text)
    assert repr(text) in str(error.value) and fix in str(error.value)
    with pytest.raises(TypeError, match=r"the answer\[1\] must be a number, got text"):
        check_answer("gradient-descent.two-d", ["0.9", text])


# -- positions count from 1 ------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 2])
def test_positions_count_from_1(k: int) -> None:
    answer = _numbers(EXERCISES["softmax.gradient"].solve())
    answer[k] += 1.0
    message = check_answer("softmax.gradient", answer).message
    assert f"1 of 3 numbers are off, the first at position {k + 1} ({answer[k]!r})" in message


def test_positions_in_a_table_are_row_and_column_from_1() -> None:
    rows = EXERCISES["matrix-view.output-gradient"].solve()
    assert isinstance(rows, list)
    answer = [[float(x) for x in row] for row in rows]  # type: ignore[union-attr]
    answer[1][2] += 1.0
    message = check_answer("matrix-view.output-gradient", answer).message
    assert "1 of 6 numbers are off, the first at row 2, column 3" in message
    answer[0][0] += 1.0
    assert "2 of 6 numbers are off, the first at row 1, column 1" in check_answer("matrix-view.output-gradient",
                                                                                   answer).message  # fmt: skip


def test_positions_in_three_dimensions_count_from_1() -> None:
    cube = Exercise("demo.cube", "A 2×2×2 list?", lambda: [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]])
    for flat, where in [(1, "(1, 1, 2)"), (2, "(1, 2, 1)"), (6, "(2, 2, 1)"), (7, "(2, 2, 2)")]:
        answer = [[[4.0 * i + 2.0 * j + k for k in range(2)] for j in range(2)] for i in range(2)]
        answer[flat // 4][flat // 2 % 2][flat % 2] += 0.5
        assert f"the first at position {where}" in compare(cube, answer).message
