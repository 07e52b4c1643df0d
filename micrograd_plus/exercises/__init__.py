"""Exercises for the course notebooks: ``check_answer(exercise_id, answer)`` against the library's answer.

Each exercise computes its expected answer with the library itself (``Exercise.solve``),
so no answer is written down anywhere to drift. A student's ``None`` is "not answered
yet", never an error, so a notebook with blank answers still runs from top to bottom.

>>> check_answer("activations.sigmoid-slope", 0.25)
exercise activations.sigmoid-slope: correct
>>> check_answer("activations.sigmoid-slope", None)     # doctest: +ELLIPSIS
exercise activations.sigmoid-slope: not answered yet. ...
>>> bool(check_answer("activations.sigmoid-slope", 0.5))
False
"""

from __future__ import annotations

from micrograd_plus.exercises import foundations, gpt, networks, tools, training
from micrograd_plus.exercises.checking import Answer, AnswerCheck, Exercise, compare

__all__ = ["EXERCISES", "Answer", "AnswerCheck", "Exercise", "check_answer", "question"]


def _registry(*groups: tuple[Exercise, ...]) -> dict[str, Exercise]:
    registry: dict[str, Exercise] = {}
    for group in groups:
        for exercise in group:
            if exercise.exercise_id in registry:
                raise RuntimeError(f"exercise id {exercise.exercise_id!r} is defined twice")
            registry[exercise.exercise_id] = exercise
    return registry


EXERCISES: dict[str, Exercise] = _registry(
    foundations.EXERCISES, training.EXERCISES, networks.EXERCISES, tools.EXERCISES, gpt.EXERCISES
)


def _lookup(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        topic = exercise_id.split(".")[0] if isinstance(exercise_id, str) else ""
        near = [k for k in EXERCISES if k.startswith(topic + ".")] or sorted(EXERCISES)
        raise ValueError(f"unknown exercise id {exercise_id!r}; known ids include {', '.join(near[:8])}")
    return EXERCISES[exercise_id]


def question(exercise_id: str) -> str:
    """The question of an exercise, as the lesson asks it."""
    return _lookup(exercise_id).question


def check_answer(exercise_id: str, answer: object) -> AnswerCheck:
    """Compare ``answer`` (a number, a Value, or a list of them) with the library's answer to the exercise.

    ``None`` means "not answered yet"; a wrong answer gives a "wrong" verdict with the
    question again, never the answer, with a hint where the answer shows a common misconception (a value
    typed for its derivative, a path left out of a sum, a sign error); text that is a number is read as that
    number, other text and non-numbers raise ``TypeError``.
    """
    return compare(_lookup(exercise_id), answer)
