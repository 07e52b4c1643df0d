"""The names data set shipped with the package, the seeded split and microgpt's character tokenizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from micrograd_plus.data import CharTokenizer, load_names, train_val_split

ROOT = Path(__file__).resolve().parents[1]


def test_the_names_are_lowercase_letters_distinct_sorted_and_short_enough_for_the_block() -> None:
    names = load_names()
    assert len(names) == 5163
    assert names == sorted(set(names))
    assert all(name.isascii() and name.isalpha() and name.islower() for name in names)
    assert {"mary", "john", "olivia", "emma"} <= set(names)
    assert max(map(len, names)) + 2 <= 16 + 1  # [BOS] + name + [BOS] fits microgpt's block size of 16
    assert load_names() == names and load_names() is not names  # a fresh list each time


def test_the_names_file_is_package_data_and_says_where_it_came_from() -> None:
    lines = (ROOT / "pyproject.toml").read_text().splitlines()
    package_data = lines[lines.index("[tool.setuptools.package-data]") + 1]
    assert package_data.startswith("micrograd_plus = [") and '"datasets/names.txt"' in package_data
    header = (ROOT / "micrograd_plus" / "datasets" / "names.txt").read_text().splitlines()[:3]
    assert all(line.startswith("#") for line in header)
    assert "Census" in header[0] and "public domain" in header[1] and "MIT" in header[2]


def test_the_tokenizer_is_microgpts_sorted_characters_then_bos() -> None:
    tok = CharTokenizer(["bca", "ab", ""])
    assert (tok.chars, tok.bos, tok.vocab_size) == (["a", "b", "c"], 3, 4)
    assert tok.encode("cab") == [2, 0, 1]
    assert tok.wrap("cab") == [3, 2, 0, 1, 3] and tok.wrap("") == [3, 3]
    assert tok.decode([3, 2, 0, 1, 3]) == "cab"
    assert tok.decode([np.int64(1), 0]) == "ba"
    names = load_names()
    tok = CharTokenizer(names)
    assert tok.vocab_size == 27 and tok.bos == 26 and "".join(tok.chars) == "abcdefghijklmnopqrstuvwxyz"
    assert all(tok.decode(tok.wrap(name)) == name for name in names)
    assert "27 tokens" in repr(tok)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: CharTokenizer([]), ValueError, "empty data set.*load_names"),
        (lambda: CharTokenizer(["", ""]), ValueError, "without a single character"),
        (lambda: CharTokenizer("abc"), TypeError, "list of strings"),
        (lambda: CharTokenizer(["ab", 3]), TypeError, "document 1 must be a string, got int 3"),
        (lambda: CharTokenizer(["ab"]).encode("abc"), ValueError, r"character 'c' \(at 2 of 'abc'\).*'ab'"),
        (lambda: CharTokenizer(["ab"]).encode(["a"]), TypeError, "needs a string"),
        (
            lambda: CharTokenizer(["ab"]).decode([0, 3]),
            IndexError,
            r"token id at 1 must be in 0..2, got 3; .*vocab_size 3",
        ),
        (lambda: CharTokenizer(["ab"]).decode([0, -1]), IndexError, "token id at 1 must be in 0..2, got -1"),
        (lambda: CharTokenizer(["ab"]).decode([0.5]), TypeError, "whole number in 0..2, got float 0.5"),
        (lambda: CharTokenizer(["ab"]).decode([True]), TypeError, "got bool True"),
        (lambda: CharTokenizer(["ab"]).decode("ab"), TypeError, "list of token ids"),
        (lambda: train_val_split([]), ValueError, "empty data set"),
        (lambda: train_val_split(["a"]), ValueError, "at least 2 documents.*val_fraction=0"),
        (lambda: train_val_split(["a", "b"], val_fraction=1.5), ValueError, "val_fraction"),
        (lambda: train_val_split(["a", "b"], val_fraction=-0.1), ValueError, "val_fraction"),
        (lambda: train_val_split(["a", "b"], seed=1.5), TypeError, "seed"),
    ],
)
def test_bad_input_is_refused_naming_the_value_and_the_fix(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_the_split_is_seeded_disjoint_complete_and_sized() -> None:
    names = load_names()
    train, val = train_val_split(names, val_fraction=0.1, seed=0)
    assert (len(train), len(val)) == (4647, 516)
    assert sorted(train + val) == names
    assert (train, val) == train_val_split(names, val_fraction=0.1, seed=0)
    assert (train, val) == train_val_split(names, val_fraction=np.float64(0.1), seed=np.int64(0))
    assert train_val_split(names, seed=1)[1] != val
    assert names == load_names()  # the caller's list is not shuffled
    assert (
        train_val_split(["a", "b"], val_fraction=0.01) == (["a"], ["b"])
        or len(train_val_split(["a", "b"], val_fraction=0.01)[1]) == 1
    )  # a positive fraction holds out at least one
    assert train_val_split(["a", "b", "c"], val_fraction=0.0, seed=0)[1] == []
    assert len(train_val_split(["a", "b", "c"], val_fraction=0.99, seed=0)[0]) == 1  # train keeps one
