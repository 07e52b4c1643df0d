"""Checking an answer: the ``Exercise`` record, its comparison rule and the ``AnswerCheck`` it gives.

The expected answer is never stored: each exercise holds a function that computes it
with the library, so a lesson's answer moves with the library that the lesson teaches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from micrograd_plus._validate import as_number, is_real
from micrograd_plus.engine import Value

__all__ = ["Answer", "AnswerCheck", "Exercise", "compare"]

Answer = float | int | Value | Sequence["Answer"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its question and ``solve()``, the library computation whose result is the answer."""

    exercise_id: str
    question: str
    solve: Callable[[], Answer]
    rel_tol: float = 1e-3
    abs_tol: float = 1e-6


@dataclass(frozen=True)
class AnswerCheck:
    """The verdict on one answer: ``status`` is "correct", "wrong" or "not answered"; true only if correct."""

    exercise_id: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return self.message


def _flatten(answer: object, where: str) -> tuple[list[float], tuple[int, ...]]:
    """The numbers of an answer in reading order, and its shape (``()`` for one number)."""
    if isinstance(answer, Value):
        return [answer.data], ()
    if is_real(answer):  # int, float, NumPy scalars and 0-d arrays
        return [float(as_number(answer))], ()  # type: ignore[arg-type]
    if isinstance(answer, (list, tuple)) and answer:
        parts = [_flatten(item, f"{where}[{i}]") for i, item in enumerate(answer)]
        shapes = {shape for _, shape in parts}
        if len(shapes) == 1:
            return [x for values, _ in parts for x in values], (len(answer), *shapes.pop())
        raise ValueError(f"{where} is a ragged list (its items have shapes {sorted(shapes)}); give a rectangular list")
    raise TypeError(
        f"{where} must be a number, a Value or a list of numbers, got {type(answer).__name__} {answer!r}; "
        "write the number itself (e.g. 0.25), not text"
    )


def _shape_text(shape: tuple[int, ...]) -> str:
    return "one number" if not shape else "a list of shape " + " x ".join(map(str, shape))


def compare(exercise: Exercise, answer: object) -> AnswerCheck:
    """``answer`` against ``exercise.solve()``: every number within rel_tol (or abs_tol) of the expected one."""
    name = f"exercise {exercise.exercise_id}"
    if answer is None:
        return AnswerCheck(
            exercise.exercise_id, "not answered", f"{name}: not answered yet. {exercise.question} (replace None)"
        )
    given, given_shape = _flatten(answer, "the answer")
    expected, expected_shape = _flatten(exercise.solve(), f"the expected answer to {name}")
    if given_shape != expected_shape:
        return AnswerCheck(
            exercise.exercise_id,
            "wrong",
            f"{name}: wrong shape: the answer is {_shape_text(expected_shape)}, you gave {_shape_text(given_shape)}",
        )
    wrong = [
        i
        for i, (g, e) in enumerate(zip(given, expected))
        if not math.isclose(g, e, rel_tol=exercise.rel_tol, abs_tol=exercise.abs_tol)
    ]
    if not wrong:
        return AnswerCheck(exercise.exercise_id, "correct", f"{name}: correct")
    if not expected_shape:
        detail = f"{given[0]!r} is not it"
    else:
        detail = f"{len(wrong)} of {len(given)} numbers are off, the first at position {wrong[0]} ({given[wrong[0]]!r})"
    return AnswerCheck(
        exercise.exercise_id,
        "wrong",
        f"{name}: not yet: {detail} (tolerance: relative {exercise.rel_tol:g}). {exercise.question}",
    )
