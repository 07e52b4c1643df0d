"""The ``demo`` subcommand: train MLP(2, [16, 16, 1]) on two moons with a compiled replay, print the decision
regions, and (with ``--out``) write the model, the decision-boundary plot, one live neuron's graph and its backprop
player, the exercise page (the default exercise of ``exercises.backprop``), and the training page.

Steps are numbered from 1; each printed (and recorded) loss and accuracy is measured before that step's update."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from micrograd_plus import losses, optim, viz
from micrograd_plus._validate import check_count
from micrograd_plus.collector import paused_collector
from micrograd_plus.compile.replay import Replay
from micrograd_plus.data import make_moons
from micrograd_plus.engine import Value
from micrograd_plus.exercises.backprop import exercise_graph
from micrograd_plus.nn import MLP, Neuron
from micrograd_plus.progress import progress
from micrograd_plus.viz import player
from micrograd_plus.viz.training_page import TrainingRecorder, write_training_page

__all__ = [
    "accuracy_of",
    "decision_map",
    "demo",
    "demo_neuron",
    "plot_decision_boundary",
    "what_to_open",
    "write_demo_files",
    "write_neuron_files",
]

Points = list[list[float]]


def accuracy_of(model: MLP, X: Points, labels: list[float]) -> float:
    """The share of points on the right side of the decision boundary."""
    return sum((model(x)[0].data > 0) == (t > 0) for x, t in zip(X, labels)) / len(X)


def decision_map(model: MLP, X: Points, y: list[int], width: int = 60, height: int = 20) -> str:
    """The plane as text: '.' and ' ' for the two predicted classes, 'x' and 'o' for the data points."""
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    left, right, bottom, top = min(xs) - 0.3, max(xs) + 0.3, min(ys) - 0.3, max(ys) + 0.3
    grid = []
    for row in range(height):
        b = top - (top - bottom) * (row + 0.5) / height
        grid.append(
            ["." if model([left + (right - left) * (c + 0.5) / width, b])[0].data > 0 else " " for c in range(width)]
        )
    for (a, b), label in zip(X, y):
        col = min(width - 1, int((a - left) / (right - left) * width))
        row = min(height - 1, int((top - b) / (top - bottom) * height))
        grid[row][col] = "x" if label else "o"
    return "\n".join("|" + "".join(line) + "|" for line in grid)


def plot_decision_boundary(model: MLP, X: Points, y: list[int], path: Path) -> bool:
    """A PNG of the decision regions and the data (False when matplotlib is not installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    left, right, bottom, top = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
    n = 60
    grid_x = [left + (right - left) * i / (n - 1) for i in range(n)]
    grid_y = [bottom + (top - bottom) * j / (n - 1) for j in range(n)]
    scores = [[model([a, b])[0].data for a in grid_x] for b in grid_y]
    figure, axes = plt.subplots(figsize=(6, 4.5))
    axes.contourf(grid_x, grid_y, scores, levels=[-1e9, 0.0, 1e9], colors=["#cfe2f3", "#f4cccc"])
    axes.contour(grid_x, grid_y, scores, levels=[0.0], colors="k", linewidths=1)
    axes.scatter(xs, ys, c=["#c0392b" if t else "#2c6fbb" for t in y], s=18, edgecolors="k", linewidths=0.4)
    axes.set_title("MLP(2, [16, 16, 1]) on two moons: decision boundary")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def demo(steps: int = 100, out: Path | None = None) -> None:
    """Train MLP(2, [16, 16, 1]) on two moons (hinge loss + L2, SGD) and show what it learned."""
    steps = check_count("steps", steps)
    X, y = make_moons(100, noise=0.1, seed=1)
    labels = [2.0 * t - 1.0 for t in y]  # hinge loss wants ±1
    model = MLP(2, [16, 16, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    print(model)
    print(f"\ntraining on {len(X)} points of two moons: hinge loss + 1e-4·L2, SGD with a falling learning rate\n")
    every = max(1, steps // 40)  # about 40 frames on the training page: steps 1, 1 + every, ..., and the last
    recorder = TrainingRecorder(model, X, y) if out is not None else None

    def loss_of(points: Points, targets: list[float]) -> Value:
        scores = [model(x)[0] for x in points]
        return losses.hinge(scores, targets) + 1e-4 * losses.l2(model.parameters())

    step_of = Replay(loss_of, model)  # the first step builds and compiles the graph; the others replay it
    print("each step's loss and accuracy are measured before its update (step 1: the untrained model)")
    bar = progress(total=steps, desc="training", unit="step", mininterval=0.1)
    start = time.perf_counter()
    with paused_collector():  # each step makes and frees thousands of nodes, none in a reference cycle
        for step in range(1, steps + 1):  # numbered from 1, as printed and as the training page shows them
            opt.zero_grad()
            loss = step_of(X, labels)
            recorded = recorder is not None and ((step - 1) % every == 0 or step == steps)
            printed = (step - 1) % max(1, steps // 10) == 0 or step == steps
            accuracy = accuracy_of(model, X, labels) if recorded or printed else 0.0  # before the update, as the loss
            if recorder is not None and recorded:  # after backward: the frame shows this step's gradients
                recorder.record(step, loss, accuracy)
            opt.lr = 1.0 - 0.9 * (step - 1) / steps
            opt.step()
            bar.update()
            bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
            if printed:
                bar.write(f"step {step:4d}/{steps}  loss {loss:.4f}  accuracy {accuracy:6.1%}", file=sys.stdout)
        bar.close()
    elapsed = time.perf_counter() - start
    final = loss_of(X, labels)  # after the last update
    per_step = f"{elapsed / steps * 1e3:.0f} ms per step"
    nodes = f"graph of {len(final.topological_order()):,} nodes, replayed {step_of.replays}x"
    print(f"\n{steps} steps in {elapsed:.1f} s ({per_step}, {nodes})")
    print(f"after training: loss {final.data:.4f}  accuracy {accuracy_of(model, X, labels):6.1%}")
    print("\ndecision regions ('.' = class 1, ' ' = class 0; the points: x of class 1, o of class 0):\n")
    print(decision_map(model, X, y))
    if recorder is not None and out is not None:
        write_demo_files(model, X, y, out, recorder.history)


def demo_neuron(model: MLP, X: Points) -> tuple[Value, list[Value], list[Value]]:
    """A first-layer neuron on a data point where it is live (pre-activation well above 0), after backward().

    Every leaf then has a non-zero gradient: d(o)/dw_i = x_i, d(o)/dx_i = w_i, d(o)/db = 1.
    """
    candidates = [
        (sum(w.data * v for w, v in zip(neuron.w, x)) + neuron.b.data, k, i)
        for k, neuron in enumerate(model.layers[0].neurons)
        for i, x in enumerate(X)
        if all(abs(v) > 0.1 for v in x) and all(abs(w.data) > 0.1 for w in neuron.w)
    ]
    _, k, i = max(candidates, default=(0.0, 0, 0), key=lambda c: min(c[0], 1.0) - 0.001 * (c[1] + c[2]))
    neuron: Neuron = model.layers[0].neurons[k]
    inputs = [Value(v, label=f"x{j + 1}") for j, v in enumerate(X[i])]
    params = [Value(w.data, label=f"w{j + 1}") for j, w in enumerate(neuron.w)] + [Value(neuron.b.data, label="b")]
    n = (sum((w * x for w, x in zip(params, inputs)), params[-1])).named("n")
    o = getattr(n, neuron.activation)().named("o")  # the neuron's own activation: relu, tanh, sigmoid
    o.backward()
    return o, params, inputs


def write_demo_files(model: MLP, X: Points, y: list[int], out: Path, history: list[dict[str, object]]) -> None:
    """Write the model, the plot, the training page and one live neuron's drawing, player and exercise into ``out``;
    say what was skipped for a missing optional extra, and which page to open first (only files that exist)."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "model.json"]
    model.save(written[0])
    if plot_decision_boundary(model, X, y, out / "decision_boundary.png"):
        written.append(out / "decision_boundary.png")
    else:
        print("(matplotlib is not installed, so no decision_boundary.png: pip install 'micrograd_plus[plot]')")
    written.append(write_training_page(history, out / "training.html", title="MLP(2, [16, 16, 1]) on two moons"))
    written += write_neuron_files(model, X, out)
    print("\nwrote " + ", ".join(str(p) for p in written))
    print(what_to_open(written))


NEURON_PAGES = ("neuron.svg", "player.html", "exercise.html")
EXERCISE_TITLE = "one tanh neuron's squared error plus a penalty on w2"


def _either(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def write_neuron_files(model: MLP, X: Points, out: Path) -> list[Path]:
    """One live neuron as Graphviz text (always), and, when Graphviz can draw, its SVG and player, and the exercise
    page (the default exercise); a page that could not be made is named as missing, with the reason."""
    o, params, inputs = demo_neuron(model, X)
    options: dict[str, object] = {"params": params, "inputs": inputs}
    (out / "neuron.dot").write_text(viz.to_dot(o, **options))
    written = [out / "neuron.dot"]
    reason = ""
    if shutil.which("dot") is None:
        reason = "Graphviz's dot is not installed, so no {}: apt-get install graphviz"
    else:
        title = "one neuron of layer 0"  # the page writes its formula under it, in the graph's order
        try:
            written.append(viz.render(o, out / "neuron.svg", **options))
            written.append(player.write_player(o, out / "player.html", title=title, **options))
            loss, params, inputs = exercise_graph()  # every mistake the page names can happen in it
            written.append(
                player.write_player(
                    loss, out / "exercise.html", title=EXERCISE_TITLE, exercise=True, params=params, inputs=inputs
                )
            )
        except ImportError:
            reason = "the graphviz package is missing, so no {}: pip install 'micrograd_plus[viz]'"
        except RuntimeError as error:  # dot is there but failed: name what is missing, not pages that are not there
            reason = "Graphviz could not draw the neuron, so no {}: " + str(error)
    missing = [name for name in NEURON_PAGES if out / name not in written]
    if reason:
        print("(" + reason.format(_either(missing)) + ")")
    return written


def what_to_open(written: list[Path]) -> str:
    """Where to start, naming only files in ``written``: the player if there is one, else the training page."""
    about = {
        "player.html": "steps through backward() on one live neuron of the trained model",
        "training.html": "replays the training run",
        "exercise.html": "lets you do the backward steps of one neuron's loss yourself, with a hint for each mistake",
        "neuron.svg": "draws one live neuron of the trained model with its gradients",
    }
    pages = [p for name in about for p in written if p.name == name]
    if any(p.name == "player.html" for p in pages):
        pages = [p for p in pages if p.name != "neuron.svg"]  # the player shows the same drawing, step by step
    if not pages:
        return ""
    first, *rest = pages
    text = f"\nopen {first} first: it {about[first.name]}"
    for k, page in enumerate(rest):
        text += (";\nthen " if k == 0 else ", and ") + f"{page} {about[page.name]}"
    if not any(p.name in ("player.html", "neuron.svg") for p in pages):
        dot = next(p for p in written if p.name == "neuron.dot")
        text += f"\n{dot} is one live neuron's graph as Graphviz text; install Graphviz to get its drawing and pages"
    return text
