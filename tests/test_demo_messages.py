"""The demo says only true things about the files it wrote: with Graphviz, without its program, without its package."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from micrograd_plus.cli import demo as demo_module
from micrograd_plus.cli.demo import demo, what_to_open

PAGES = ("neuron.svg", "player.html", "exercise.html")


def run_demo(out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    demo(2, out)
    return capsys.readouterr().out


def assert_every_file_named_exists(text: str, out: Path) -> None:
    """Every path under ``out`` in the text exists; a page that was not written is named only as missing."""
    named = re.findall(re.escape(str(out)) + r"/[\w.]+", text)
    assert named and all(Path(p).exists() for p in named), [p for p in named if not Path(p).exists()]
    for line in text.splitlines():
        if " so no " in line:
            continue  # "(... not installed, so no neuron.svg, ...)": named as missing, truthfully
        for page in PAGES:
            if page in line:
                assert (out / page).exists(), f"{line!r} names {page}, which was not written"


def test_without_the_dot_program(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    out = tmp_path / "out"
    text = run_demo(out, capsys)
    assert not any((out / page).exists() for page in PAGES)
    assert_every_file_named_exists(text, out)
    assert "(Graphviz's dot is not installed, so no neuron.svg, player.html or exercise.html" in text
    assert f"open {out / 'training.html'} first: it replays the training run" in text
    assert f"{out / 'neuron.dot'} is one live neuron's graph as Graphviz text" in text
    assert "exercise.html" not in text.split("\nwrote ")[1]


def test_without_the_graphviz_package(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: "/usr/bin/" + name)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    out = tmp_path / "out"
    text = run_demo(out, capsys)
    assert not any((out / page).exists() for page in PAGES)
    assert_every_file_named_exists(text, out)
    assert "(the graphviz package is missing, so no neuron.svg, player.html or exercise.html" in text
    assert f"open {out / 'training.html'} first" in text


def test_when_dot_fails_after_the_drawing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path, dot_program: str) -> None:  # fmt: skip
    def broken(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("dot crashed")

    monkeypatch.setattr(demo_module.player, "write_player", broken)
    out = tmp_path / "out"
    text = run_demo(out, capsys)
    assert (out / "neuron.svg").exists() and not (out / "player.html").exists()
    assert_every_file_named_exists(text, out)
    assert "(Graphviz could not draw the neuron, so no player.html or exercise.html: dot crashed)" in text
    assert f"then {out / 'neuron.svg'} draws one live neuron" in text


def test_with_graphviz(capsys: pytest.CaptureFixture[str], tmp_path: Path, dot_program: str) -> None:
    pytest.importorskip("graphviz")
    out = tmp_path / "out"
    text = run_demo(out, capsys)
    assert all((out / page).exists() for page in PAGES)
    assert_every_file_named_exists(text, out)
    assert f"open {out / 'player.html'} first: it steps through backward()" in text
    assert f"then {out / 'training.html'} replays the training run, and {out / 'exercise.html'} lets you" in text
    assert "not installed" not in text and "missing" not in text


def test_what_to_open_names_only_what_it_is_given(tmp_path: Path) -> None:
    assert what_to_open([]) == ""
    only_training = what_to_open([tmp_path / "model.json", tmp_path / "training.html", tmp_path / "neuron.dot"])
    assert "training.html first" in only_training and not any(page in only_training for page in PAGES)
    everything = what_to_open([tmp_path / name for name in ("training.html", "neuron.dot", *PAGES)])
    assert "player.html first" in everything and "neuron.svg" not in everything  # the player shows the drawing
