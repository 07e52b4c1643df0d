"""The ``micrograd-plus`` command line (also ``python -m micrograd_plus``).

micrograd-plus demo [--out DIR]            train the moons MLP; write plots, a graph, the player and training pages
micrograd-plus explain "EXPR" --at a=2     forward values, the backward trace and the gradients
micrograd-plus gradcheck "EXPR" --at a=2   finite differences against backward (exit 1 on mismatch)
micrograd-plus worksheet "EXPR" --at a=2 --out DIR   a blank drawing, the answers, and the step table (md, LaTeX)
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import math
import re
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from micrograd_plus import __version__, losses, optim, viz
from micrograd_plus.check.values import gradcheck
from micrograd_plus.cli.expressions import Expression, parse_assignments
from micrograd_plus.compile.replay import Replay
from micrograd_plus.data import make_moons
from micrograd_plus.engine import Value
from micrograd_plus.nn import MLP, Neuron
from micrograd_plus.progress import progress
from micrograd_plus.viz import player
from micrograd_plus.viz.explain import explain_backward, explain_forward
from micrograd_plus.viz.training_page import TrainingRecorder, write_training_page

Points = list[list[float]]


class UsageError(Exception):
    """A problem with what was asked: one line on stderr, exit status 2."""


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
    X, y = make_moons(100, noise=0.1, seed=1)
    labels = [2.0 * t - 1.0 for t in y]  # hinge loss wants ±1
    model = MLP(2, [16, 16, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    print(model)
    print(f"\ntraining on {len(X)} points of two moons: hinge loss + 1e-4·L2, SGD with a falling learning rate\n")
    recorder = TrainingRecorder(model, X, y, every=max(1, steps // 40)) if out is not None else None

    def loss_of(points: Points, targets: list[float]) -> Value:
        scores = [model(x)[0] for x in points]
        return losses.hinge(scores, targets) + 1e-4 * losses.l2(model.parameters())

    step_of = Replay(loss_of, model)  # the first step builds and compiles the graph; the others replay it
    print(f"before training: loss {loss_of(X, labels).data:.4f}  accuracy {accuracy_of(model, X, labels):6.1%}")
    bar = progress(total=steps, desc="training", unit="step", mininterval=0.1)
    start = time.perf_counter()
    for step in range(steps):
        opt.zero_grad()
        loss = step_of(X, labels)
        if recorder is not None and step % recorder.every == 0:  # after backward: the frame shows gradients
            recorder.record(step, loss, accuracy_of(model, X, labels))
        opt.lr = 1.0 - 0.9 * step / steps
        opt.step()
        bar.update()
        bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
        if step % max(1, steps // 10) == 0 or step + 1 == steps:
            bar.write(
                f"step {step + 1:4d}/{steps}  loss {loss:.4f}  accuracy {accuracy_of(model, X, labels):6.1%}",
                file=sys.stdout,
            )
    bar.close()
    elapsed, nodes = time.perf_counter() - start, len(loss_of(X, labels).topological_order())
    final = accuracy_of(model, X, labels)
    per_step = f"{elapsed / steps * 1e3:.0f} ms per step"
    print(f"\n{steps} steps in {elapsed:.1f} s ({per_step}, graph of {nodes:,} nodes, replayed {step_of.replays}x)")
    print(f"final training accuracy {final:.1%}")
    print("\ndecision regions ('.' = class x, ' ' = class o):\n")
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
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "model.json"]
    model.save(written[0])
    if plot_decision_boundary(model, X, y, out / "decision_boundary.png"):
        written.append(out / "decision_boundary.png")
    else:
        print("(matplotlib is not installed, so no decision_boundary.png: pip install 'micrograd_plus[plot]')")
    written.append(write_training_page(history, out / "training.html", title="MLP(2, [16, 16, 1]) on two moons"))
    o, params, inputs = demo_neuron(model, X)
    options: dict[str, object] = {"params": params, "inputs": inputs}
    (out / "neuron.dot").write_text(viz.to_dot(o, **options))
    written.append(out / "neuron.dot")
    if shutil.which("dot") is not None:
        try:
            written.append(viz.render(o, out / "neuron.svg", **options))
            title = "one neuron of layer 0: o = relu(w1·x1 + w2·x2 + b)"
            written.append(player.write_player(o, out / "player.html", title=title, **options))
            written.append(player.write_player(o, out / "exercise.html", title=title, exercise=True, **options))
        except ImportError:
            print("(the graphviz package is missing: pip install 'micrograd_plus[viz]' for neuron.svg and player.html)")
    else:
        print("(Graphviz's dot is not installed, so no neuron.svg or player.html: apt-get install graphviz)")
    print("\nwrote " + ", ".join(str(p) for p in written))
    first = out / ("player.html" if (out / "player.html").exists() else "neuron.svg")
    print(f"\nopen {first} first: it steps through backward() on one live neuron of the trained model;")
    print(f"then {out / 'training.html'} replays the training run, and exercise.html lets you do the steps yourself")


def _expression(args: argparse.Namespace) -> tuple[Expression, dict[str, float]]:
    try:
        expr = Expression(args.expression)
        values = parse_assignments(args.at or "")
        expr.build(values)  # checks names and domains: log(-1) and the like fail here, readably
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise UsageError(str(error)) from None
    return expr, values


GRAPH_SUFFIXES = (".svg", ".png", ".pdf")
FLOAT_FORMAT = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?[eEfFgGn%]?")


def check_format(spec: str) -> str:
    """A format spec for floats (as in format(x, '.4g')) with a sane width and precision; else UsageError."""
    match = FLOAT_FORMAT.fullmatch(spec)
    if match is None:
        raise UsageError(f"--format {spec!r} is not a number format; use one such as .4g, .6f or 10.3e")
    width, precision = int(match["width"] or 0), int(match["precision"] or 0)
    if width > 40 or precision > 30:
        raise UsageError(f"--format {spec!r} asks for width {width}, precision {precision}; the limits are 40 and 30")
    try:
        format(-1.5, spec)
    except ValueError as error:
        raise UsageError(f"--format {spec!r} is not a number format ({error}); use one such as .4g") from None
    return spec


def check_output_file(option: str, path: Path, suffixes: tuple[str, ...]) -> None:
    """Refuse, before any work, an output file that cannot be written: wrong suffix, a directory, no parent."""
    if path.is_dir():
        raise UsageError(
            f"{option} {path} is a directory; give a file name inside it, e.g. {path / ('out' + suffixes[0])}"
        )
    if path.suffix.lower() not in suffixes:
        names = ", ".join(suffixes[:-1]) + " or " + suffixes[-1] if len(suffixes) > 1 else suffixes[0]
        raise UsageError(f"{option} {path}: end the file name in {names}")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {path}: the directory {str(path.parent)!r} does not exist; create it first")


def check_output_directory(option: str, path: Path) -> None:
    """Refuse, before any work, a directory that is a file or lies under a file."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise UsageError(f"{option} {path}: {str(candidate)!r} exists and is not a directory")
            return


def check_finite(root: Value) -> None:
    """Refuse to print numbers that left float range (inf or nan) anywhere in the graph."""
    for node in root.topological_order():  # inputs first: name the earliest node that overflowed
        for what, x in (("value", node.data), ("gradient", node.grad)):
            if not isinstance(x, (int, float)) or not math.isfinite(x):
                name = f"{node.label!r}" if node.label else f"a {node.op or 'leaf'} node"
                raise UsageError(f"the {what} of {name} is {x}: the numbers leave float range at these inputs")


def explain_command(args: argparse.Namespace) -> int:
    fmt = check_format(args.format)
    for option, path, suffixes in (("--graph", args.graph, GRAPH_SUFFIXES), ("--player", args.player, (".html",))):
        if path is not None:
            check_output_file(option, path, suffixes)
    expr, values = _expression(args)
    root, leaves = expr.build(values)
    root.label = root.label or "out"
    forward, backward = explain_forward(root, fmt), explain_backward(root, fmt)
    root.backward()
    check_finite(root)
    print(f"{expr.text} at " + ", ".join(f"{k} = {v:g}" for k, v in values.items()) + "\n")
    print("forward pass:")
    print(forward)
    print()
    print(backward)
    print("\ngradients:")
    for name, leaf in leaves.items():
        print(f"  d({root.label})/d{name} = {format(leaf.grad, fmt)}")
    try:
        if args.graph:
            print(f"\nwrote {viz.render(root, args.graph, inputs=list(leaves.values()))}")
        if args.player:
            page = player.write_player(
                root, args.player, inputs=list(leaves.values()), title=expr.text, exercise=args.exercise
            )
            print(f"wrote {page}")
    except (ImportError, RuntimeError) as error:
        raise UsageError(str(error)) from None
    return 0


def worksheet_command(args: argparse.Namespace) -> int:
    """Write blank.dot/.svg (no gradients), answers.dot/.svg, steps.md and steps.tex into --out."""
    fmt = check_format(args.format)
    check_output_directory("--out", args.out)
    expr, values = _expression(args)
    root, leaves = expr.build(values)
    root.label = root.label or "out"
    trace = explain_backward(root, fmt)
    root.backward()
    check_finite(root)
    args.out.mkdir(parents=True, exist_ok=True)
    inputs = list(leaves.values())
    blank = {"inputs": inputs, "show_grad": False, "edge_labels": False, "number_format": fmt}
    answers = {"inputs": inputs, "number_format": fmt}
    written = []
    for name, options in (("blank", blank), ("answers", answers)):
        written.append(args.out / f"{name}.dot")
        written[-1].write_text(viz.to_dot(root, **options), encoding="utf-8")
        if shutil.which("dot") is not None:
            with contextlib.suppress(ImportError):  # without the graphviz package the .dot file is still there
                written.append(viz.render(root, args.out / f"{name}.svg", **options))
    heading = f"{expr.text} at " + ", ".join(f"{k} = {v:g}" for k, v in values.items())
    (args.out / "steps.md").write_text(f"# {heading}\n\n{trace.to_markdown()}\n", encoding="utf-8")
    (args.out / "steps.tex").write_text(trace.to_latex(), encoding="utf-8")
    written += [args.out / "steps.md", args.out / "steps.tex"]
    print(f"worksheet for {heading}: {len(trace.steps)} steps")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def gradcheck_command(args: argparse.Namespace) -> int:
    expr, values = _expression(args)
    try:
        if args.method == "complex":
            raise ValueError(
                "--method complex needs a function of complex numbers, and expressions are built from real Values; "
                "use --method richardson (the default) or central"
            )
        report = gradcheck(expr, values, method=args.method, eps=args.eps, atol=args.atol, rtol=args.rtol)
    except ValueError as error:
        raise UsageError(str(error)) from None
    print(report)
    return 0 if report.ok else 1


COMMANDS = ("demo", "explain", "gradcheck", "worksheet")
VALUE_OPTIONS = ("--at", "--graph", "--player", "--format", "--eps", "--steps", "--out", "--method", "--atol", "--rtol")
FLAG_OPTIONS = ("--exercise",)


def is_flag(head: str) -> bool:
    """An option without a value (or an abbreviation of one, as argparse allows)."""
    return len(head) > 2 and any(flag.startswith(head) for flag in FLAG_OPTIONS)


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (and the nearest command for a misspelt one)."""

    def error(self, message: str) -> NoReturn:
        wrong = re.search(r"invalid choice: '([^']*)'", message)
        if wrong:
            close = difflib.get_close_matches(wrong[1], COMMANDS, n=1)
            message = f"unknown command {wrong[1]!r}; " + (f"did you mean {close[0]!r}?" if close else
                                                           f"choose from {', '.join(COMMANDS)}")  # fmt: skip
        elif "required: expression" in message:
            message += " (an expression that starts with '-' goes after --, e.g. -- '-a*b')"
        self.exit(2, f"{self.prog}: error: {message}\n")


def protect_expression(argv: list[str]) -> list[str]:
    """Mark an expression that starts with '-' ("-a*b") as positional: argparse would take it for an option.

    Such a token (not an option, not an option's value) gets a leading space, which
    argparse reads as positional and ``Expression`` strips; ``--`` before it works too.
    """
    if not argv or argv[0] not in ("explain", "gradcheck", "worksheet"):
        return argv
    out, takes_value, positional = argv[:1], False, False
    for token in argv[1:]:
        head = token.split("=", 1)[0]
        if takes_value or (positional and not token.startswith("-")):
            takes_value = positional = False
        elif token == "--":
            positional = True
            continue
        elif not positional and (
            head in ("-h", "--help") or (len(head) > 2 and any(f.startswith(head) for f in FLAG_OPTIONS))
        ):
            pass
        elif not positional and len(head) > 2 and any(option.startswith(head) for option in VALUE_OPTIONS):
            takes_value = "=" not in token
        elif token.startswith("-") and len(token) > 1:
            token, positional = " " + token, False  # argparse reads a leading space as a positional argument
        out.append(token)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="micrograd-plus", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    demo_parser = commands.add_parser("demo", help="train the moons MLP (the main demo)", description=demo.__doc__)
    demo_parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    demo_parser.add_argument(
        "--out", type=Path, help="also write the plot, a neuron's graph, the player, exercise and training pages here"
    )
    for name, about in (
        ("explain", "print the forward pass, each chain-rule step of backward, and the gradients"),
        ("gradcheck", "compare backward with finite differences; exit status 1 on a mismatch"),
        ("worksheet", "write a blank drawing, the answers and the step table (Markdown and LaTeX) for a class"),
    ):
        sub = commands.add_parser(name, help=about, description=about)
        sub.add_argument("expression", help="e.g. 'tanh(a*b + c)' or 'log(x) ** 2'")
        sub.add_argument("--at", metavar="NAME=VALUE,...", help="the variables' values, e.g. a=2,b=-3")
        if name == "explain":
            sub.add_argument("--graph", type=Path, metavar="FILE", help="render the graph (.svg, .png or .pdf)")
            sub.add_argument("--player", type=Path, metavar="FILE", help="write the backprop player (.html)")
            sub.add_argument("--format", default=".4g", help="number format (default .4g)")
            sub.add_argument("--exercise", action="store_true", help="the player hides gradients for you to compute")
        elif name == "worksheet":
            sub.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory for the files")
            sub.add_argument("--format", default=".4g", help="number format (default .4g)")
        else:
            sub.add_argument(
                "--method",
                choices=["richardson", "central", "complex"],
                default="richardson",
                help="numeric derivative: Richardson extrapolation (default), plain central differences, complex step",
            )
            sub.add_argument(
                "--eps", type=float, default=None, help="step relative to max(1, |x|) (default 1e-3, central 1e-6)"
            )
            sub.add_argument("--atol", type=float, default=1e-8, help="absolute tolerance (default 1e-8)")
            sub.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default 1e-5)")
    return parser


LIBRARY_ERRORS = (ValueError, OverflowError, ZeroDivisionError, TypeError, RecursionError, MemoryError, OSError)


def one_line(error: BaseException) -> str:
    """An exception as one line of text for stderr."""
    if isinstance(error, RecursionError):
        return "the expression is nested too deeply to evaluate"
    if isinstance(error, MemoryError):
        return "out of memory; try a smaller expression"
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(protect_expression(list(sys.argv[1:] if argv is None else argv)))
    try:
        if args.command == "demo":
            if args.steps < 1:
                raise UsageError(f"--steps must be at least 1, got {args.steps}")
            if args.out is not None:
                check_output_directory("--out", args.out)
            demo(args.steps, args.out)
            return 0
        if args.command == "explain":
            return explain_command(args)
        if args.command == "gradcheck":
            return gradcheck_command(args)
        if args.command == "worksheet":
            return worksheet_command(args)
    except UsageError as error:
        print(f"micrograd-plus {args.command}: error: {error}", file=sys.stderr)
        return 2
    except LIBRARY_ERRORS as error:
        print(f"micrograd-plus {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0
