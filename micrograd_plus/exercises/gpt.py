"""Exercises of the GPT lesson: the tokenizer's vocabulary, one attention weight, the model's size."""

from __future__ import annotations

import math

from micrograd_plus import functional as F
from micrograd_plus.data import CharTokenizer, load_names
from micrograd_plus.engine import Value
from micrograd_plus.exercises.checking import Answer, Exercise
from micrograd_plus.nn import GPT

__all__ = ["EXERCISES"]


def _vocab_size() -> Answer:
    return CharTokenizer(load_names()).vocab_size  # 26 letters + BOS


def _attention_weight() -> Answer:
    q = [Value(x) for x in (1.0, 0.0, 1.0, 0.0)]
    keys = [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]]
    scores = [F.dot(q, k) / math.sqrt(len(q)) for k in keys]  # q·k / √head_dim
    return F.softmax(scores)[1]


def _parameter_count() -> Answer:
    return len(GPT(vocab_size=27, seed=0).parameters())


EXERCISES = (
    Exercise(
        "gpt.vocab-size",
        "CharTokenizer(load_names()): how many token ids does the model need (its vocab_size)?",
        _vocab_size,
        0,
        0,
    ),
    Exercise(
        "gpt.attention-weight",
        "One head, head_dim 4, q = [1, 0, 1, 0], keys k₀ = [1, 1, 0, 0] and k₁ = [0, 0, 2, 0]: the weight on k₁?",
        _attention_weight,
    ),
    Exercise(
        "gpt.parameter-count",
        "GPT(vocab_size=27) with microgpt's defaults (n_embd 16, 1 layer, block 16): how many parameters?",
        _parameter_count,
        0,
        0,
    ),
)
