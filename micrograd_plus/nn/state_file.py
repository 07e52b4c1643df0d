"""A model's state file: JSON read with limits (depth, number sizes, no NaN), numbers checked finite, configs made
plain JSON. ``Module.save`` and ``Module.load`` use it; nothing here changes a model."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from micrograd_plus._validate import as_number, is_real, is_whole

MAX_DEPTH = 32  # arrays/objects nested deeper than this are refused; a state file nests 3 deep
MAX_INT_DIGITS = 20


class RefusedTokenError(ValueError):
    """A JSON token that a state file never holds (NaN, Infinity, a huge integer)."""


def refuse_constant(token: str) -> float:
    raise RefusedTokenError(f"the non-standard number {token}")


def bounded_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INT_DIGITS:
        raise RefusedTokenError(f"an integer of {len(token.lstrip('-'))} digits")
    return int(token)


def finite_float_token(token: str) -> float:
    x = float(token)
    if not math.isfinite(x):
        raise RefusedTokenError(f"the number {short(token)}, which overflows a float")
    return x


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members as a dict, refusing a name given twice (JSON keeps the last one silently)."""
    members = dict(pairs)
    if len(members) != len(pairs):
        names = [k for k, _ in pairs]
        twice = next(k for k in names if names.count(k) > 1)
        raise RefusedTokenError(f"the name {twice!r} twice in one object, so which value is meant is unclear")
    return members


def read_state_document(path: Path, limit: int) -> object:
    """The parsed JSON of a state file, read and parsed within bounds; ValueError for anything else."""
    with open(path, "rb") as file:  # a missing file raises FileNotFoundError, as open() does
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(
            f"{path} is larger ({limit:,}+ bytes) than any state file of this model; was it written by save()?"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a text file; was it written by save()?") from None
    try:
        document = json.loads(
            text,
            parse_constant=refuse_constant,
            parse_int=bounded_int,
            parse_float=finite_float_token,
            object_pairs_hook=unique_keys,
        )
    except RefusedTokenError as error:
        raise ValueError(f"{path} holds {error}; a state file holds finite numbers only") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not a JSON state file ({error}); was it written by save()?") from None
    except RecursionError:
        raise ValueError(f"{path} nests arrays or objects too deeply for a state file") from None
    check_depth(path, document)
    return document


def check_depth(path: Path, document: object) -> None:
    """Refuse nesting deeper than MAX_DEPTH (an explicit stack: no recursion)."""
    stack = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth > MAX_DEPTH:
            raise ValueError(f"{path} nests arrays or objects deeper than {MAX_DEPTH} levels; a state file nests 3")
        stack.extend((child, depth + 1) for child in children)


def finite(x: object) -> float | None:
    """``x`` as a float if it is a finite real number (NumPy scalars and 0-d arrays too), else None."""
    if not is_real(x):
        return None
    try:
        value = float(as_number(x))  # type: ignore[arg-type]
    except OverflowError:  # an int beyond the float range
        return None
    return value if math.isfinite(value) else None


def finite_entry(name: str, x: object) -> float:
    """A state entry as a float, if it is a finite real number; else ValueError naming it."""
    value = finite(x)
    if value is None:
        raise ValueError(f"state entry {name!r} must be a finite number, got {short(x)}")
    return value


def plain_json(x: Any, depth: int = 0) -> Any:
    """A config as JSON holds it: NumPy numbers as int or float, tuples as lists, mappings and lists inside too."""
    if depth > MAX_DEPTH:
        raise ValueError(f"a config nests deeper than {MAX_DEPTH} levels (does it contain itself?)")
    if is_whole(x):
        return int(as_number(x))  # type: ignore[call-overload]
    if is_real(x):
        return float(as_number(x))  # type: ignore[arg-type]
    if isinstance(x, Mapping):
        return {key: plain_json(item, depth + 1) for key, item in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain_json(item, depth + 1) for item in x]
    return x


def short(x: object) -> str:
    """repr cut to 200 characters, for messages about untrusted content."""
    text = repr(x)
    return text if len(text) <= 200 else text[:197] + "..."
