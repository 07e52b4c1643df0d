"""Recording a training run and replaying it as a live page: loss, accuracy, boundary, weights and gradients.

``TrainingRecorder.record`` is called once per step (after ``backward()``, before the update, with
the loss and accuracy measured there, so a frame's numbers and gradients belong to one set of weights);
every ``every`` steps it stores a frame (numbers to 4 significant digits): the loss and accuracy,
each layer's weights and gradients (bias as the last column) with the gradient norm ‖∂L/∂W‖₂,
and for 2-D inputs the model's
score on a grid (its sign is the decision boundary). ``write_training_page(history, path)`` writes a
self-contained page that scrubs through the frames.

>>> from micrograd_plus.nn import MLP
>>> model = MLP(2, [3, 1], seed=0)
>>> recorder = TrainingRecorder(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], grid=4)
>>> out = model([0.0, 1.0])[0]
>>> out.backward()
>>> recorder.record(0, loss=out.data, accuracy=0.5)
>>> frame = recorder.history[0]
>>> [len(layer["weights"]) for layer in frame["layers"]], len(frame["boundary"]["scores"])
([3, 1], 4)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from micrograd_plus._files import writable, write_atomically
from micrograd_plus._validate import as_number, check_count, check_real, is_real, is_whole, shown
from micrograd_plus.engine import grad_number
from micrograd_plus.viz.drawing import text
from micrograd_plus.viz.page_parts import page, read_page, script_json

__all__ = ["TrainingRecorder", "check_history", "write_training_page"]

Frame = dict[str, Any]


def _short(x: float) -> float:
    """4 significant digits: what the page shows, and a page a quarter of the size."""
    return float(f"{x:.4g}")


def _layer_matrices(model: Any) -> list[dict[str, Any]]:
    """Per layer: its weights and gradients as rows of [w_1 .. w_n, b], and the gradient norm."""
    layers = getattr(model, "layers", None) or [model]
    out = []
    for k, layer in enumerate(layers):
        neurons = getattr(layer, "neurons", None)
        if neurons is None:
            raise TypeError(
                f"TrainingRecorder draws layers of neurons (MLP, Layer); layer {k} is {type(layer).__name__}"
            )
        weights = [[_short(w.data) for w in n.w] + [_short(n.b.data)] for n in neurons]
        grads = [[_short(grad_number(w)) for w in n.w] + [_short(grad_number(n.b))] for n in neurons]
        norm = math.sqrt(math.fsum(g * g for row in grads for g in row))
        out.append({"name": f"layers.{k}", "weights": weights, "grads": grads, "grad_norm": norm})
    return out


class TrainingRecorder:
    """Stores a frame of the training run every ``every`` steps: what ``write_training_page`` replays."""

    def __init__(
        self, model: Any, X: Sequence[Sequence[float]] | None = None, y: Sequence[int] | None = None, *,
        every: int = 1, grid: int = 30,
    ) -> None:  # fmt: skip
        every = check_count("every", every)
        if not is_whole(grid) or not 2 <= as_number(grid) <= 200:  # type: ignore[operator]
            raise ValueError(f"grid must be a whole number from 2 to 200, got {shown(grid)}")
        self.model, self.every, self.grid = model, every, int(as_number(grid))  # type: ignore[call-overload]
        self.points = [[check_real("X coordinate", v) for v in x] for x in X] if X is not None else []
        self.labels = [check_count("label y", t, minimum=0) for t in y] if y is not None else []
        if len(self.points) != len(self.labels):
            raise ValueError(f"X has {len(self.points)} points but y has {len(self.labels)} labels")
        self.history: list[Frame] = []
        self.extent: list[float] = []
        if self.points and all(len(p) == 2 for p in self.points):
            xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
            self.extent = [min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5]

    def _boundary(self) -> dict[str, Any]:
        left, right, bottom, top = self.extent
        n = self.grid
        scores = []
        for row in range(n):  # top row first, as an image is drawn
            b = top - (top - bottom) * (row + 0.5) / n
            line = [self.model([left + (right - left) * (c + 0.5) / n, b]) for c in range(n)]
            scores.append([_short((s[0] if isinstance(s, list) else s).data) for s in line])
        return {"extent": self.extent, "scores": scores, "points": self.points, "labels": self.labels}

    def record(self, step: int, loss: float, accuracy: float | None = None) -> None:
        """Store this step's frame when ``step`` is a multiple of ``every`` (call it after backward())."""
        step = check_count("step", step, minimum=0)
        if step % self.every:
            return
        loss = check_real("loss", loss)
        accuracy = None if accuracy is None else check_real("accuracy", accuracy)
        frame: Frame = {"step": step, "loss": loss, "layers": _layer_matrices(self.model)}
        if accuracy is not None:
            frame["accuracy"] = accuracy
        if self.extent:
            frame["boundary"] = self._boundary()
        self.history.append(frame)


def _shape(frame: Frame) -> tuple[Any, ...]:
    layers = tuple(
        (len(layer["weights"]), len(layer["weights"][0]) if layer["weights"] else 0) for layer in frame["layers"]
    )
    boundary = frame.get("boundary")
    return (tuple(sorted(frame)), layers, len(boundary["scores"]) if boundary else 0)


def check_history(history: Sequence[Frame]) -> None:
    """Refuse a history that is empty, has entries of another shape than the first, or non-finite numbers."""
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise TypeError(f"history must be a list of frames from TrainingRecorder, got {type(history).__name__}")
    if not history:
        raise ValueError("history is empty: record at least one step (TrainingRecorder.record) before writing the page")
    for i, frame in enumerate(history):
        if not isinstance(frame, dict) or not {"step", "loss", "layers"} <= set(frame):
            raise ValueError(f"history[{i}] is not a frame with 'step', 'loss' and 'layers'; use TrainingRecorder")
        if not is_real(frame["loss"]) or not math.isfinite(as_number(frame["loss"])):  # type: ignore[arg-type]
            raise ValueError(f"history[{i}]['loss'] is {frame['loss']!r}; every loss must be a finite number")
        try:
            shape = _shape(frame)
            rows = [row for layer in frame["layers"] for row in (*layer["weights"], *layer["grads"])]
        except (KeyError, TypeError, IndexError) as error:
            raise ValueError(f"history[{i}] is malformed ({error!r}); record frames with TrainingRecorder") from None
        if i and shape != _shape(history[0]):
            raise ValueError(
                f"history[{i}] (step {frame['step']}) has another shape than history[0]: {shape} != "
                f"{_shape(history[0])}; record every frame from the same model and grid"
            )
        if any(len(row) != len(rows[0]) for row in rows[: len(frame["layers"][0]["weights"])]):
            raise ValueError(f"history[{i}] has ragged weight rows; record frames with TrainingRecorder")


def write_training_page(history: Sequence[Frame], path: str | os.PathLike[str], title: str = "training run") -> Path:
    """Write a self-contained page scrubbing through a recorded run: loss and accuracy on two labelled axes
    against the recorded step numbers, the decision regions with their colour scale, the gradient norms,
    and each layer's weight and gradient heatmaps with theirs."""
    target = writable(path, "write_training_page")
    check_history(history)
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {type(title).__name__}")
    template = read_page("training.html")
    parts = {"TITLE": text(title), "DATA": script_json(list(history)), "SCRIPT": read_page("training.js")}
    write_atomically(target, page(template, parts))
    return target
