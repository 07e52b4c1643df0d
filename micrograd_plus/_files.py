"""Writing files: the folder checked before any work is done, and a file replaced whole or not at all.

Every writer (``Module.save``, ``render``, ``write_player``, ``write_explorer``, ``write_training_page``)
first calls :func:`writable`, so a path in a missing folder is refused with the fix before a drawing
is laid out or a page assembled, and then :func:`write_atomically`, so a write that fails part-way
(a full disk, an interrupt) leaves the file that was there before as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["readable", "writable", "write_atomically"]


def _file_path(path: object, caller: str, inside: str) -> Path:
    """``path`` as a Path, refused (naming ``caller``) if it is not a path or names a folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{caller}() needs a file path (a str or a Path), got {type(path).__name__} {path!r}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{caller}(): {str(path)!r} is a folder; give {inside}")
    return path


def readable(path: str | os.PathLike[str], caller: str) -> Path:
    """``path`` as a Path, refused (naming ``caller``) if it is not a path, is a folder or does not exist."""
    path = _file_path(path, caller, "the file written by save() inside it")
    if not path.exists():
        raise FileNotFoundError(f"{caller}(): there is no file {str(path)!r}; check the path (save() writes one)")
    return path


def writable(path: str | os.PathLike[str], caller: str) -> Path:
    """``path`` as a Path, refused (naming ``caller``) if it is not a path or its folder does not exist."""
    path = _file_path(path, caller, "a file name inside it")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{caller}(): the folder {str(folder)!r} does not exist, so {path.name!r} cannot be written there; "
            f"create it first (Path({str(folder)!r}).mkdir(parents=True)) or choose a path in an existing folder"
        )
    return path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` through a temporary file in the same folder, then rename it
    into place: readers see the old file or the new one, never half of one."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes the file private; these are ordinary files
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
