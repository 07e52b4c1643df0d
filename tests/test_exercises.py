"""check_answer: every exercise's own answer passes, wrong and blank answers are told apart, bad input is refused."""

from __future__ import annotations

import math

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
    assert "1 of 3 numbers" in verdict.message and "position 1" in verdict.message


@pytest.mark.parametrize("bad", ["0.25", True, {"a": 1}, [0.1, "x"], object()])
def test_a_non_number_is_refused_with_the_fix(bad: object) -> None:
    with pytest.raises(TypeError, match="must be a number"):
        check_answer("activations.sigmoid-slope", bad)


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
