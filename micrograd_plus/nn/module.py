"""``Module``: parameters found by name, train/eval mode, and JSON save/load that never half-fails."""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from micrograd_plus import engine
from micrograd_plus.engine import Value

__all__ = ["Module", "make_rng", "scoped"]

FORMAT = "micrograd_plus.state"
FORMAT_VERSION = 1


def make_rng(seed: int | random.Random | None) -> random.Random:
    """A ``random.Random`` from a seed (reproducible), an existing generator (shared), or None (fresh)."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__} {seed!r}")


class scoped:  # noqa: N801 - used like a function: ``with scoped(self):``
    """While active, new nodes record ``(tag, enclosing scope)`` as their ``scope`` (for drawings)."""

    __slots__ = ("outer", "tag")

    def __init__(self, tag: object) -> None:
        self.tag = tag
        self.outer: engine.Scope | None = None

    def __enter__(self) -> None:
        self.outer = engine.current_scope
        engine.current_scope = (self.tag, self.outer)

    def __exit__(self, *exc: object) -> None:
        engine.current_scope = self.outer


def _check_count(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {n!r}")
    return n


class Module:
    """Base class: every ``Value`` attribute (or list of them) is a parameter; ``Module`` attributes are children.

    Names follow the attribute path, e.g. ``layers.0.neurons.3.w.1``. Attributes
    whose names start with ``_`` are private and never parameters.

    State that is not a parameter but belongs to the model (BatchNorm's running
    statistics) is a *buffer*: a list-of-floats attribute named in the class
    attribute ``buffer_names``. Buffers get no gradient, are not in
    ``parameters()``, and are saved and loaded with the parameters by
    ``state_dict``/``load_state_dict``/``save``/``load`` (names like ``running_mean.0``).
    """

    training: bool = True
    buffer_names: tuple[str, ...] = ()

    def config(self) -> dict[str, Any]:
        """The constructor arguments that define the architecture (saved with the parameters)."""
        return {}

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, Module):
                yield name, attr
            elif isinstance(attr, (list, tuple)):
                for i, item in enumerate(attr):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(attribute path, module) for every module below this one, e.g. ('layers.0.neurons.3', Neuron)."""
        for name, child in self.named_children():
            yield name, child
            for path, grandchild in child.named_modules():
                yield f"{name}.{path}", grandchild

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, Value) for every parameter, in a stable order."""
        found: list[tuple[str, Value]] = []

        def visit(prefix: str, attr: object) -> None:
            if isinstance(attr, Value):
                found.append((prefix, attr))
            elif isinstance(attr, Module):
                for name, value in attr.named_parameters():
                    found.append((f"{prefix}.{name}", value))
            elif isinstance(attr, (list, tuple)):
                for i, item in enumerate(attr):
                    visit(f"{prefix}.{i}", item)

        for name, attr in vars(self).items():
            if not name.startswith("_"):
                visit(name, attr)
        return found

    def parameters(self) -> list[Value]:
        return [value for _, value in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, float]]:
        """(name, number) for every buffer of this module and the modules below it, e.g. ('running_var.2', 1.0)."""
        return [(name, numbers[i]) for name, numbers, i in self._buffer_slots()]

    def _buffer_slots(self) -> list[tuple[str, list[float], int]]:
        """(name, the list holding it, index) for every buffer entry: where load_state_dict writes."""
        slots = []
        for attr in self.buffer_names:
            numbers = getattr(self, attr)
            slots += [(f"{attr}.{i}", numbers, i) for i in range(len(numbers))]
        for prefix, child in self.named_children():
            slots += [(f"{prefix}.{name}", numbers, i) for name, numbers, i in child._buffer_slots()]
        return slots

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active); returns the module itself."""
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); returns the module itself."""
        return self.train(False)

    def __repr__(self) -> str:
        """The architecture as a tree; a list of identical modules shows as one line, ``16 × Neuron(...)``."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        n = len(self.parameters())
        lines = [f"{type(self).__name__}({args})  # {n} parameter{'s' if n != 1 else ''}"]
        for name, attr in vars(self).items():
            modules = [attr] if isinstance(attr, Module) else attr if isinstance(attr, (list, tuple)) else []
            if name.startswith("_") or not modules or not all(isinstance(m, Module) for m in modules):
                continue
            shown = [repr(m).replace("\n", "\n  ") for m in modules]
            if isinstance(attr, Module):
                lines.append(f"  ({name}): {shown[0]}")
            elif len(set(shown)) == 1:
                lines.append(f"  ({name}): {len(shown)} × {shown[0]}")
            else:
                lines += [f"  ({name}.{i}): {text}" for i, text in enumerate(shown)]
        return "\n".join(lines)

    # -- state: names -> numbers ---------------------------------------------------

    def architecture(self) -> dict[str, Any]:
        return {"type": type(self).__name__, **self.config()}

    def state_dict(self) -> dict[str, float]:
        """Every parameter's data and every buffer's number, by name."""
        return {**{name: p.data for name, p in self.named_parameters()}, **dict(self.named_buffers())}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every parameter and buffer from ``state``; on any mismatch raise and change nothing."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping of parameter name to number, got {type(state).__name__}")
        params = dict(self.named_parameters())
        buffers = {name: (numbers, i) for name, numbers, i in self._buffer_slots()}
        missing = [name for name in [*params, *buffers] if name not in state]
        extra = [name for name in state if name not in params and name not in buffers]
        if missing or extra:
            raise ValueError(
                f"state does not fit {type(self).__name__}: missing {missing[:5]}{'...' if len(missing) > 5 else ''}"
                f", unexpected {extra[:5]}{'...' if len(extra) > 5 else ''}; was it saved from another architecture?"
            )
        values = {}
        for name, x in state.items():
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise ValueError(f"state entry {name!r} must be a finite number, got {x!r}")
            values[name] = float(x)
        for name, p in params.items():  # every check passed: now change the model
            p.data = values[name]
        for name, (numbers, i) in buffers.items():
            numbers[i] = values[name]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and parameters as JSON, atomically: a failed save leaves any old file intact."""
        path = Path(path)
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "architecture": self.architecture(),
            "parameters": self.state_dict(),
        }
        text = json.dumps(document, indent=1)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read a file written by ``save``; on any problem raise and leave the model unchanged."""
        path = Path(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not a JSON state file ({error}); was it written by save()?") from None
        except UnicodeDecodeError:
            raise ValueError(f"{path} is not a text file; was it written by save()?") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f'{path} is not a micrograd_plus state file (no "format": "{FORMAT}")')
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path} has format version {document.get('version')!r}; this reads {FORMAT_VERSION}")
        saved, ours = document.get("architecture"), self.architecture()
        if saved != ours:
            raise ValueError(f"{path} holds a {saved}, not this {ours}; build the matching model to load it into")
        parameters = document.get("parameters")
        if not isinstance(parameters, dict):
            raise ValueError(f'{path} has no "parameters" mapping')
        self.load_state_dict(parameters)
