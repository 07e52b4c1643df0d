"""The ``micrograd-plus`` parser and ``main``, and the subcommands on one expression: ``explain``, ``exercise``,
``gradcheck`` and ``worksheet`` (the ``demo`` lives in ``cli.demo``, the worksheet's files in ``cli.worksheet``).
Every refusal is one line on stderr with exit status 2, checked
before any work is done."""

from __future__ import annotations

import argparse
import difflib
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from micrograd_plus import __version__, viz
from micrograd_plus._validate import check_count, is_real, node_name
from micrograd_plus.check.differences import ANALYTIC_RTOL, FLOOR_ATOL
from micrograd_plus.check.values import gradcheck
from micrograd_plus.cli import worksheet
from micrograd_plus.cli.demo import demo
from micrograd_plus.cli.expressions import ParsedExpression, parse_assignments, variable_name
from micrograd_plus.engine import Value
from micrograd_plus.exercises.backprop import EXERCISE_FORMULA, exercise_graph
from micrograd_plus.viz import player
from micrograd_plus.viz.explain import explain_backward, explain_forward

__all__ = ["UsageError", "build_parser", "main"]

USAGE = """The ``micrograd-plus`` command line (also ``python -m micrograd_plus``).

micrograd-plus demo [--out DIR]            train the moons MLP; write plots, a graph, the player and training pages
micrograd-plus explain "EXPR" --at a=2     forward values, the backward trace and the gradients
micrograd-plus gradcheck "EXPR" --at a=2   finite differences against backward (exit 1 on mismatch)
micrograd-plus exercise [--out FILE]       an exercise page: do each step of backward yourself, with hints
micrograd-plus worksheet "EXPR" --at a=2 --out DIR   blank tables and drawing for students, the answers (md, LaTeX)
"""


def plain(text: str) -> str:
    """Docstring text as a terminal shows it: reStructuredText's ``code`` and :role:`name` marks removed."""
    text = re.sub(r":[a-z]+:`~?([^`]*)`", r"\1", text)
    return re.sub(r"``([^`]*)``", r"\1", text)


class UsageError(Exception):
    """A problem with what was asked: one line on stderr, exit status 2."""


def _expression(args: argparse.Namespace) -> tuple[ParsedExpression, dict[str, float]]:
    """The parsed expression and its ``--at`` values, built once so that bad names and domains fail before any work."""
    try:
        expr = ParsedExpression(args.expression)
        values = merge_assignments(args.at or [])
        expr.build(values)  # checks names and domains: log(-1) and the like fail here, readably
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise UsageError(str(error)) from None
    return expr, values


def merge_assignments(given: Sequence[str]) -> dict[str, float]:
    """The values of every ``--at`` together (``--at a=1 --at b=2`` is ``--at a=1,b=2``); a name given in two of
    them is refused, as within one, since either choice would silently drop a value the user typed."""
    values: dict[str, float] = {}
    first_in: dict[str, str] = {}
    for text in given:
        for typed, x in parse_assignments(text).items():
            name = variable_name(typed)
            if name in first_in:
                raise ValueError(
                    f"{name} is given twice, in --at {first_in[name]} and in --at {text}; give each variable once"
                )
            first_in[name] = text
            values[typed] = x
    return values


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
            if not is_real(x) or not math.isfinite(x):
                made_by = f" (made by '{node.op}')" if node.op and not node.label else ""
                raise UsageError(
                    f"the {what} of {node_name(node)}{made_by} is {x}: the numbers leave float range at these inputs"
                )


def explain_command(args: argparse.Namespace) -> int:
    """Print the forward pass, each chain-rule step of backward and the gradients; draw the graph or the player."""
    if args.exercise and args.player is None:
        raise UsageError(
            "--exercise needs --player FILE: the exercise is a player page, e.g. --player ex.html --exercise"
        )
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
    params, inputs = worksheet.leaf_roles(leaves)
    try:
        if args.graph:
            print(f"\nwrote {viz.render(root, args.graph, params=params, inputs=inputs)}")
        if args.player:
            page = player.write_player(
                root, args.player, params=params, inputs=inputs, title=expr.text, exercise=args.exercise
            )
            print(f"wrote {page}")
    except (ImportError, RuntimeError) as error:
        raise UsageError(str(error)) from None
    return 0


def worksheet_command(args: argparse.Namespace) -> int:
    """Write the student's blank.* and the teacher's answers.* and steps.* into --out (see ``cli.worksheet``)."""
    fmt = check_format(args.format)
    check_output_directory("--out", args.out)
    expr, values = _expression(args)
    root, leaves = expr.build(values)
    root.label = root.label or "out"
    root.backward()
    check_finite(root)
    heading = f"{expr.text} at " + ", ".join(f"{k} = {v:g}" for k, v in values.items())
    args.format = fmt
    return worksheet.worksheet_command(args, root, leaves, heading)


def exercise_command(args: argparse.Namespace) -> int:
    """Write an exercise page: the default exercise, or the expression given, for the student to backpropagate."""
    check_output_file("--out", args.out, (".html",))
    fmt = check_format(args.format)
    if args.expression is None:
        if args.at:
            raise UsageError("--at gives the values of an expression; give the expression too, e.g. 'a*b' --at a=2")
        root, params, inputs = exercise_graph()
        title = "one tanh neuron's squared error plus a penalty on w2"
    else:
        expr, values = _expression(args)
        root, leaves = expr.build(values)
        root.label = root.label or "out"
        params, inputs = worksheet.leaf_roles(leaves)
        title = expr.text
    check_finite(root)
    try:
        page = player.write_player(
            root, args.out, params=params, inputs=inputs, title=title, exercise=True, number_format=fmt
        )
    except (ImportError, RuntimeError) as error:
        raise UsageError(str(error)) from None
    print(f"wrote {page}: open it in a browser and do each step of backward() yourself")
    return 0


def gradcheck_command(args: argparse.Namespace) -> int:
    """Compare backward's gradients with finite differences; exit status 1 on a mismatch."""
    expr, values = _expression(args)
    try:
        report = gradcheck(expr, values, method=args.method, eps=args.eps, atol=args.atol, rtol=args.rtol)
    except ValueError as error:
        raise UsageError(str(error)) from None
    print(report)
    return 0 if report.ok else 1


COMMANDS = ("demo", "explain", "exercise", "gradcheck", "worksheet")
VALUE_OPTIONS = ("--at", "--graph", "--player", "--format", "--eps", "--steps", "--out", "--method", "--atol", "--rtol")
FLAG_OPTIONS = ("--exercise",)


def is_flag(head: str) -> bool:
    """An option without a value (or an abbreviation of one, as argparse allows)."""
    return len(head) > 2 and any(flag.startswith(head) for flag in FLAG_OPTIONS)


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (and the nearest command for a misspelt one)."""

    def error(self, message: str) -> NoReturn:
        wrong = re.search(r"argument COMMAND: invalid choice: '([^']*)'", message)
        if wrong:
            close = difflib.get_close_matches(wrong[1], COMMANDS, n=1)
            message = f"unknown command {wrong[1]!r}; " + (f"did you mean {close[0]!r}?" if close else
                                                           f"choose from {', '.join(COMMANDS)}")  # fmt: skip
        elif "--method: invalid choice: 'complex'" in message:
            message += (
                "; a complex step needs a function of complex numbers, and expressions are built from real Values"
            )
        elif "required: expression" in message:
            message += " (an expression that starts with '-' goes after --, e.g. -- '-a*b')"
        self.exit(2, f"{self.prog}: error: {message}\n")


def protect_expression(argv: list[str]) -> list[str]:
    """Mark an expression that starts with '-' ("-a*b") as positional: argparse would take it for an option.

    Such a token (not an option, not an option's value) gets a leading space, which
    argparse reads as positional and ``ParsedExpression`` strips; ``--`` before it works too.
    """
    if not argv or argv[0] not in ("explain", "exercise", "gradcheck", "worksheet"):
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
    """The parser of ``micrograd-plus`` and its five subcommands."""
    parser = Parser(
        prog="micrograd-plus", description=plain(USAGE), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    demo_parser = commands.add_parser(
        "demo", help="train the moons MLP (the main demo)", description=plain(demo.__doc__ or "")
    )
    demo_parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    demo_parser.add_argument(
        "--out", type=Path, help="also write the plot, a neuron's graph, the player, exercise and training pages here"
    )
    for name, about in (
        ("explain", "print the forward pass, each chain-rule step of backward, and the gradients"),
        ("gradcheck", "compare backward with finite differences; exit status 1 on a mismatch"),
        ("exercise", "write an exercise page: the student does each step of backward, with a hint for each mistake"),
        ("worksheet", "write blank tables and a blank drawing for students, and the answers (Markdown and LaTeX)"),
    ):
        sub = commands.add_parser(name, help=about, description=about)
        if name == "exercise":
            sub.add_argument(
                "expression",
                nargs="?",
                help=f"default: the built-in exercise, {EXERCISE_FORMULA} (every hint can fire)",
            )
        else:
            sub.add_argument("expression", help="e.g. 'tanh(a*b + c)' or 'log(x) ** 2'")
        sub.add_argument(
            "--at",
            action="append",
            metavar="NAME=VALUE,...",
            help="the variables' values, e.g. a=2,b=-3 (repeat it to give more: --at a=2 --at b=-3)",
        )
        if name == "explain":
            sub.add_argument("--graph", type=Path, metavar="FILE", help="render the graph (.svg, .png or .pdf)")
            sub.add_argument("--player", type=Path, metavar="FILE", help="write the backprop player (.html)")
            sub.add_argument("--format", default=".4g", help="number format (default .4g)")
            sub.add_argument("--exercise", action="store_true", help="the player hides gradients for you to compute")
        elif name == "worksheet":
            sub.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory for the files")
            sub.add_argument("--format", default=".4g", help="number format (default .4g)")
        elif name == "exercise":
            sub.add_argument("--out", type=Path, default=Path("exercise.html"), metavar="FILE",
                             help="the page to write (.html; default exercise.html)")  # fmt: skip
            sub.add_argument("--format", default=".4g", help="number format of the values shown (default .4g)")
        else:
            sub.add_argument(
                "--method",
                choices=["richardson", "central"],
                default="richardson",
                help="numeric derivative: Richardson extrapolation (default) or plain central differences",
            )
            sub.add_argument(
                "--eps", type=float, default=None, help="step relative to max(1, |x|) (default 1e-3, central 1e-6)"
            )
            for flag, default, kind in (("--atol", FLOOR_ATOL, "absolute"), ("--rtol", ANALYTIC_RTOL, "relative")):
                sub.add_argument(flag, type=float, default=default, help=f"{kind} tolerance (default {default:g})")
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
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); the exit status is 0 when done, 1 for a gradient
    mismatch found by gradcheck, 2 for a refusal (one line on stderr)."""
    parser = build_parser()
    args = parser.parse_args(protect_expression(list(sys.argv[1:] if argv is None else argv)))
    try:
        if args.command == "demo":
            check_count("--steps", args.steps)
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
        if args.command == "exercise":
            return exercise_command(args)
    except UsageError as error:
        print(f"micrograd-plus {args.command}: error: {error}", file=sys.stderr)
        return 2
    except LIBRARY_ERRORS as error:
        print(f"micrograd-plus {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0
