"""The progress bar: tqdm's text bar when tqdm is installed, the plain iterable when it is not."""

from __future__ import annotations

import importlib.util
import io
from typing import Any

import pytest

from micrograd_plus import progress as progress_module
from micrograd_plus.progress import progress


def test_without_tqdm_the_loop_runs_unchanged(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        progress_module.importlib.util, "find_spec", lambda name: None if name == "tqdm" else real(name)
    )
    bar = progress(range(4), desc="training")
    assert list(bar) == [0, 1, 2, 3]
    bar.set_postfix_str("loss 0.1")
    bar.update()
    bar.write("a line")
    bar.close()
    assert capsys.readouterr().out == "a line\n"
    assert list(progress(total=3)) == []


def test_with_tqdm_a_text_bar_shows_the_count_and_the_postfix() -> None:
    pytest.importorskip("tqdm")
    out = io.StringIO()
    bar = progress(range(5), desc="fitting", file=out, mininterval=0.0)
    for _ in bar:
        bar.set_postfix_str("loss 0.25")
    bar.close()
    text = out.getvalue()
    assert "fitting" in text and "5/5" in text and "loss 0.25" in text
