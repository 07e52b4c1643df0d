"""The documentation: a short README that leads to the site, a site whose every page exists and builds offline
with ``mkdocs build --strict``, every lesson linked, every public package given its API page."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from test_repo import PUBLIC_API

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README_MAX_LINES = 200


def require_module(name: str) -> None:
    """In CI a missing documentation tool is a failure (the dev extra installs it), elsewhere a skip."""
    if importlib.util.find_spec(name) is None:
        message = f"'{name}' is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's nav lists, as paths relative to docs/ (read as text: no YAML parser needed)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1]
    return re.findall(r"^\s+- (?:[^\n]*: )?([\w/.-]+\.md)\s*$", nav, flags=re.MULTILINE)


def pages() -> list[Path]:
    """The Markdown pages of the site (docs/hooks holds build code, not pages)."""
    return sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.relative_to(DOCS).parts)


def test_the_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move details into docs/"


def test_every_relative_link_of_the_readme_and_the_pages_exists() -> None:
    for page in [ROOT / "README.md", *pages()]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.exists(), f"{page.relative_to(ROOT)} links {target}, which does not exist"


def test_the_nav_lists_every_page_once_and_only_pages_that_exist() -> None:
    listed = nav_pages()
    assert len(listed) == len(set(listed)), "a page is listed twice in mkdocs.yml"
    assert {str(p.relative_to(DOCS)) for p in pages()} == set(listed), "mkdocs.yml's nav and docs/ disagree"


def test_every_public_package_has_its_api_page() -> None:
    directives = set()
    for page in (DOCS / "api").glob("*.md"):
        directives |= set(re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert set(PUBLIC_API) - directives == set(), "give these packages a page in docs/api/ and in the nav"


def test_the_lessons_page_links_every_lesson_and_its_solutions() -> None:
    text = (DOCS / "lessons.md").read_text(encoding="utf-8")
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert lessons, "no lesson notebooks found"
    for name in lessons:
        assert f"](../notebooks/{name})" in text, f"docs/lessons.md does not link {name}"
        if (ROOT / "notebooks" / "solutions" / name).exists():
            assert f"](../notebooks/solutions/{name})" in text, f"docs/lessons.md does not link solutions/{name}"
    positions = [text.index(f"](../notebooks/{name})") for name in lessons]
    assert positions == sorted(positions), "the lessons page lists the lessons in course order"


def test_the_pages_give_the_readmes_commands_word_for_word() -> None:
    readme = set(re.findall(r"^python3 -m venv .*$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M))
    for page in pages():
        for command in re.findall(r"^python3 -m venv .*$", page.read_text(encoding="utf-8"), flags=re.MULTILINE):
            assert command in readme, f"{page.relative_to(ROOT)} gives a command the README does not: {command}"


def _docstrings_extension() -> ModuleType:
    require_module("griffe")
    spec = importlib.util.spec_from_file_location("docs_docstrings", DOCS / "hooks" / "docstrings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docstrings_are_shown_as_written() -> None:
    as_markdown = _docstrings_extension().as_markdown
    text = as_markdown("out[o][i] = Σ w[o][c] * x[c], ``x[i]`` and `a*b` kept\n\n>>> f([1])[0]\n[2]\n\nafter [1]")
    lines = [line for line in text.split("\n") if line]
    assert lines[0] == r"out\[o\]\[i\] = Σ w\[o\]\[c\] \* x\[c\], ``x[i]`` and `a*b` kept"
    assert lines[1:] == ["```pycon", ">>> f([1])[0]", "[2]", "```", r"after \[1\]"]
    assert as_markdown(">>> 1\n1").split("\n")[-1] == "```", "a doctest at the end is closed"
    assert as_markdown("__init__ <T>") == r"\_\_init\_\_ &lt;T&gt;"
    assert as_markdown("see :mod:`micrograd_plus.scopes`") == "see `micrograd_plus.scopes`"
    assert as_markdown("    x[i][j]  # indented code") == "    x[i][j]  # indented code"


def test_the_site_builds_offline_and_strict(tmp_path: Path) -> None:
    require_module("mkdocs")
    require_module("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)]
    result = subprocess.run(build, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    for page in nav_pages():
        built = site / ("index.html" if page == "index.md" else page.removesuffix(".md").removesuffix("/index"))
        assert (built if built.suffix == ".html" else built / "index.html").is_file(), f"{page} was not built"
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="micrograd_plus.Value"' in api and 'id="micrograd_plus.Value.backward"' in api
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert all((site / "notebooks" / p.name).is_file() for p in lessons), "the lessons' links point at nothing"
    assert "fonts.googleapis" not in (site / "index.html").read_text(encoding="utf-8"), "the site fetches fonts"
