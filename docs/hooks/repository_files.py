"""MkDocs hook: the pages link the course's notebooks and figures by their paths in the repository.

``docs/lessons.md`` links ``../notebooks/01_value_and_the_chain_rule.ipynb``, a link that works where the
repository is browsed. The hook adds those files to the site under ``notebooks/``, so the same links work in
the built site and ``mkdocs build --strict`` still checks every other link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

# repository folders, relative to the repository root, whose files the pages may link
SHARED = {"notebooks": "*.ipynb", "notebooks/solutions": "*.ipynb", "notebooks/figures": "*.svg"}


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    docs = Path(config["docs_dir"])
    root = docs.parent
    for folder, pattern in SHARED.items():
        for path in sorted((root / folder).glob(pattern)):
            relative = path.relative_to(root).as_posix()
            files.append(
                File(
                    f"../{relative}",
                    str(docs),
                    config["site_dir"],
                    config["use_directory_urls"],
                    dest_uri=relative,
                    inclusion=InclusionLevel.INCLUDED,
                )
            )
    return files
