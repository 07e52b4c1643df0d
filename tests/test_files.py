"""Every writer checks its path before any work and replaces a file whole or not at all (a failed write keeps the
old file): Module.save, render, compare_graphs' render, write_player, write_explorer, write_training_page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import Value
from micrograd_plus._files import writable, write_atomically
from micrograd_plus.nn import MLP
from micrograd_plus.viz import compare_graphs, render
from micrograd_plus.viz.explorer import write_explorer
from micrograd_plus.viz.player import write_player
from micrograd_plus.viz.training_page import TrainingRecorder, write_training_page

GRAPHVIZ = shutil.which("dot") is not None


def _root() -> Value:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a).tanh()
    out.backward()
    return out


def _history() -> list[Any]:
    model = MLP(2, [3, 1], seed=0)
    recorder = TrainingRecorder(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], grid=4)
    out = model([0.0, 1.0])[0]
    out.backward()
    recorder.record(0, loss=out.data, accuracy=0.5)
    return recorder.history


WRITERS: dict[str, Callable[[Path], object]] = {
    "save": lambda path: MLP(2, [2, 1], seed=0).save(path),
    "write_player": lambda path: write_player(_root(), path),
    "write_explorer": lambda path: write_explorer(_root(), path),
    "write_training_page": lambda path: write_training_page(_history(), path),
}
if GRAPHVIZ:
    WRITERS["render"] = lambda path: render(_root(), path.with_suffix(".svg"))
    WRITERS["compare render"] = lambda path: compare_graphs(_root(), _root()).render(path.with_suffix(".svg"))


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_path_in_a_missing_folder_is_refused_naming_the_folder_and_the_fix(name: str, tmp_path: Path) -> None:
    missing = tmp_path / "no such folder" / "out.html"
    with pytest.raises(FileNotFoundError, match=r"the folder .*no such folder.* does not exist.*mkdir\(parents=True\)"):
        WRITERS[name](missing)
    assert not missing.parent.exists()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_writer_writes_a_whole_file_and_leaves_no_temporary_file(name: str, tmp_path: Path) -> None:
    path = tmp_path / "out.html"
    WRITERS[name](path)
    written = [p for p in tmp_path.iterdir()]
    assert len(written) == 1 and written[0].stat().st_size > 0
    assert not any(p.name.endswith(".tmp") for p in written)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_folder_given_as_the_path_is_refused(name: str, tmp_path: Path) -> None:
    folder = tmp_path / ("out.svg" if "render" in name else "out.html")
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=r"is a folder; give a file name inside it"):
        WRITERS[name](folder)


@pytest.mark.parametrize("bad", [None, 3, b"out.html", ["out.html"]])
def test_a_path_that_is_not_a_path_is_refused(bad: object) -> None:
    with pytest.raises(TypeError, match=r"write_player\(\) needs a file path"):
        write_player(_root(), bad)  # type: ignore[arg-type]


def test_a_write_that_fails_part_way_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "page.html"
    path.write_text("the old page", encoding="utf-8")

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_player(_root(), path)
    assert path.read_text(encoding="utf-8") == "the old page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # the temporary file is gone


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = writable(tmp_path / "x.txt", "test")
        write_atomically(path, "text")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert path.read_bytes() == b"text"


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        (None, TypeError, r"load\(\) needs a file path \(a str or a Path\), got NoneType None"),
        (3.5, TypeError, r"load\(\) needs a file path"),
        ("", IsADirectoryError, r"load\(\): '\.' is a folder; give the file written by save\(\) inside it"),
        ("missing.json", FileNotFoundError, r"load\(\): there is no file '.*missing\.json'; check the path"),
    ],
)
def test_a_model_refuses_a_load_path_that_names_no_file_before_reading(
    path: object, error: type[Exception], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from micrograd_plus.nn import MLP

    monkeypatch.chdir(tmp_path)
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=message):
        model.load(path)  # type: ignore[arg-type]
    assert model.state_dict() == before
