"""Text for character models: the names data set shipped with the package, a seeded split, a character tokenizer.

**The names.** ``load_names()`` reads ``datasets/names.txt``, installed with the package (no network): the
5,163 distinct first names of the 1990 US Census Bureau's lists of frequently occurring first names
(``dist.female.first`` and ``dist.male.first``), lowercased and sorted. The Census lists are a work of the US
government, in the public domain; the files were taken from the PyPI package ``names`` 0.3.0 (MIT licence),
which ships them. Names are 2 to 11 letters of a..z, so a name and its two BOS tokens fit microgpt's block
size of 16.

**The tokenizer** is microgpt's: the vocabulary is the sorted distinct characters of the documents, token
ids 0..n-1, plus one more id, BOS (= n), that marks where a document begins and ends. A document is trained
as ``[BOS] + ids + [BOS]``: from BOS the model learns how names start, and predicting BOS is how it ends one.

>>> names = load_names()
>>> len(names), names[:3]
(5163, ['aaron', 'abbey', 'abbie'])
>>> tok = CharTokenizer(names)
>>> tok.vocab_size, tok.bos, tok.wrap("ada")
(27, 26, [26, 0, 3, 0, 26])
>>> tok.decode(tok.wrap("ada"))
'ada'
>>> train, val = train_val_split(names, val_fraction=0.1, seed=0)
>>> len(train), len(val)
(4647, 516)
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from micrograd_plus._validate import as_list, as_number, check_real, is_whole, make_rng, shown

__all__ = ["CharTokenizer", "load_names", "train_val_split"]


def load_names() -> list[str]:
    """The 5,163 first names of the 1990 US Census lists (public domain), lowercase a..z, sorted; see the module."""
    text = resources.files("micrograd_plus").joinpath("datasets/names.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _documents(docs: object, what: str) -> list[str]:
    """``docs`` as a list of strings, at least one; errors name the offending item and the fix."""
    if isinstance(docs, (str, bytes)) or not isinstance(docs, Sequence):
        raise TypeError(f"{what} needs a list of strings (the documents), got {shown(docs)}")
    if not docs:
        raise ValueError(f"{what} got an empty data set; pass at least one document (load_names() gives 5,163)")
    for k, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise TypeError(f"{what}: document {k} must be a string, got {shown(doc)}")
    return list(docs)


def train_val_split(
    docs: Sequence[str], val_fraction: float = 0.1, seed: int | None = 0
) -> tuple[list[str], list[str]]:
    """The documents shuffled by ``seed``, then split: the last round(val_fraction·n) for validation, the rest train.

    The same seed always gives the same split; both parts keep at least one document when val_fraction > 0.
    """
    documents = _documents(docs, "train_val_split")
    fraction = check_real("val_fraction", val_fraction, low=0.0, high=1.0)
    n_val = round(fraction * len(documents))
    if fraction > 0.0:
        if len(documents) < 2:
            raise ValueError(
                f"train_val_split needs at least 2 documents to hold some out, got {len(documents)}; pass more "
                "documents, or val_fraction=0 to train on all of them"
            )
        n_val = min(max(n_val, 1), len(documents) - 1)
    make_rng(seed).shuffle(documents)
    return documents[: len(documents) - n_val], documents[len(documents) - n_val :]


class CharTokenizer:
    """Characters <-> token ids: the sorted distinct characters of ``docs`` are 0..n-1, and BOS is n (microgpt's).

    ``vocab_size`` = n + 1. ``encode`` maps a string to ids, ``decode`` maps ids back (BOS has no character and
    is left out), ``wrap`` gives a document as the model trains on it: [BOS] + encode(doc) + [BOS].
    """

    def __init__(self, docs: Sequence[str]) -> None:
        documents = _documents(docs, "CharTokenizer")
        self.chars: list[str] = sorted(set("".join(documents)))
        if not self.chars:
            raise ValueError("CharTokenizer got documents without a single character; pass non-empty strings")
        self._ids = {c: i for i, c in enumerate(self.chars)}
        self.bos = len(self.chars)
        self.vocab_size = len(self.chars) + 1

    def encode(self, text: str) -> list[int]:
        """The id of each character of ``text``; ValueError naming a character the vocabulary does not have."""
        if not isinstance(text, str):
            raise TypeError(f"encode needs a string, got {shown(text)}")
        try:
            return [self._ids[c] for c in text]
        except KeyError:
            k, c = next((k, c) for k, c in enumerate(text) if c not in self._ids)
            raise ValueError(
                f"character {c!r} (at {k} of {text!r}) is not in the vocabulary {''.join(self.chars)!r}; build the "
                "tokenizer from documents that contain it, or remove it from the text"
            ) from None

    def decode(self, ids: Sequence[int]) -> str:
        """The characters of ``ids``, BOS left out; IndexError naming an id outside 0..vocab_size-1 (TypeError: not
        a whole number)."""
        ids = as_list(ids)  # type: ignore[assignment]  # a NumPy array of ids, as the list it holds
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
            raise TypeError(f"decode needs a list of token ids, got {shown(ids)}")
        out = []
        for k, i in enumerate(ids):
            fix = f"ids come from encode() or a model with vocab_size {self.vocab_size}"
            if not is_whole(i):
                raise TypeError(
                    f"token id at {k} must be a whole number in 0..{self.vocab_size - 1}, got {shown(i)}; {fix}"
                )
            whole = int(as_number(i))  # type: ignore[call-overload]
            if not 0 <= whole < self.vocab_size:
                raise IndexError(f"token id at {k} must be in 0..{self.vocab_size - 1}, got {whole}; {fix}")
            if whole != self.bos:
                out.append(self.chars[whole])
        return "".join(out)

    def wrap(self, doc: str) -> list[int]:
        """[BOS] + encode(doc) + [BOS]: the sequence a GPT reads and predicts for one document."""
        return [self.bos, *self.encode(doc), self.bos]

    def __repr__(self) -> str:
        return f"CharTokenizer({self.vocab_size} tokens: {''.join(self.chars)!r} + BOS = {self.bos})"
