"""Causal multi-head self-attention over scalar Values, one token at a time (with a key/value cache) or a
whole sequence at once, the two giving the same numbers and gradients.

For a token at position t with input x_t (``n_embd`` numbers), as microgpt computes it:

    q_t = Wq·x_t,  k_t = Wk·x_t,  v_t = Wv·x_t                     (no biases)
    for each head h (its slice of ``head_dim = n_embd / n_head`` entries):
        s_tτ = q_t[h]·k_τ[h] / √head_dim          for τ = 0..t     (causal: only the past and itself)
        a_tτ = softmax_τ(s_tτ)
        o_t[h] = Σ_τ a_tτ · v_τ[h]
    y_t = Wo·concat_h(o_t[h])

Token by token, the keys and values of the tokens already seen are kept in a ``KVCache`` instead of
being recomputed: ``step(x_t, cache)`` computes q_t, k_t, v_t, attends over the cache plus k_t, and only
then appends k_t, v_t (a call that raises leaves the cache as it was). ``attention(xs)`` computes every
k and v first and lets position t attend over the first t + 1 of them: the same products in the same
order, hence the same values and gradients.

>>> attn = CausalSelfAttention(4, 2, block_size=3, seed=0)
>>> xs = [[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]]
>>> whole = attn(xs)
>>> cache = attn.new_cache()
>>> one_by_one = [attn.step(x, cache) for x in xs]
>>> [v.data for row in whole for v in row] == [v.data for row in one_by_one for v in row], len(cache)
(True, 2)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from operator import mul
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import check_count, check_real, shown
from micrograd_plus.engine import Operand, Value, node
from micrograd_plus.nn.embedding import normal_matrix
from micrograd_plus.nn.module import Module, make_rng, scoped
from micrograd_plus.nn.shapes import lift_number
from micrograd_plus.ops import DOT

__all__ = ["CausalSelfAttention", "KVCache", "check_heads", "linear", "linear_each"]

Matrix = list[list[Value]]
Weights = list[list[float]]  # one head's attention weights at each position: row t holds a_t0..a_tt


def linear(x: Sequence[Value], w: Matrix) -> list[Value]:
    """W·x without bias, one ``dot`` node per output (microgpt's ``linear``: row i of W makes output i)."""
    return linear_each([x], w)[0]


def linear_each(xs: Sequence[Sequence[Value]], w: Matrix) -> list[list[Value]]:
    """[W·x for x in xs]: the nodes ``F.dot(row, x)`` makes (same parents, numbers and local derivatives), built
    directly from Values already checked, and each row's numbers read once for all the xs (a third of the time)."""
    rows = [(tuple(row), [p.data for p in row]) for row in w]
    out = []
    for x in xs:
        x_nodes = tuple(x)
        x_data = [v.data for v in x_nodes]
        out.append(
            [node(sum(map(mul, w_data, x_data)), (*ws, *x_nodes), (*x_data, *w_data), DOT) for ws, w_data in rows]
        )
    return out


def _dot(ws: Sequence[Value], xs: Sequence[Value]) -> Value:
    """Σ w_i x_i as the node ``F.dot`` makes, for Values already checked (the attention's scores and sums)."""
    w_data, x_data = [w.data for w in ws], [x.data for x in xs]
    return node(sum(map(mul, w_data, x_data)), (*ws, *xs), (*x_data, *w_data), DOT)


def check_heads(n_embd: int, n_head: int) -> int:
    """head_dim = n_embd / n_head; ValueError naming both numbers and the divisors when it is not whole."""
    if n_embd % n_head:
        divisors = [d for d in range(1, n_embd + 1) if n_embd % d == 0]
        raise ValueError(
            f"n_embd = {n_embd} is not divisible by n_head = {n_head}: each head takes an equal slice; choose "
            f"n_head in {divisors} or an n_embd that is a multiple of {n_head}"
        )
    return n_embd // n_head


class KVCache:
    """The keys and values of the tokens one attention module has seen so far, in order (microgpt's
    ``keys[li]`` and ``values[li]``); at most ``block_size`` of each."""

    def __init__(self, block_size: int, width: int | None = None) -> None:
        self.block_size = check_count("block_size", block_size)
        self.width = None if width is None else check_count("width", width)  # n_embd of the module it is for
        self.keys: list[list[Value]] = []
        self.values: list[list[Value]] = []

    def check_made_for(self, n_embd: int, block_size: int, what: str = "this cache") -> None:
        """ValueError unless this cache was made by a model of this width and block size (``new_cache()``)."""
        if self.width not in (None, n_embd) or self.block_size != block_size:
            raise ValueError(
                f"{what} was made for n_embd = {self.width}, block_size = {self.block_size}, but the model stepping "
                f"it has n_embd = {n_embd}, block_size = {block_size}: use that model's new_cache()"
            )

    def truncate(self, length: int) -> None:
        """Keep the first ``length`` tokens' keys and values (undoing a step that failed after this one ran)."""
        del self.keys[length:], self.values[length:]

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"KVCache({len(self)} of {self.block_size} positions)"


class CausalSelfAttention(Module):
    """y_t = Wo·concat_h softmax_τ≤t(q_t[h]·k_τ[h] / √head_dim) v_τ[h]; weights N(0, std²), no biases.

    Parameters ``wq``, ``wk``, ``wv``, ``wo`` are ``n_embd`` × ``n_embd`` matrices, row i giving output i.
    """

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        block_size: int,
        std: float = 0.08,
        seed: int | random.Random | None = None,
    ) -> None:
        self.n_embd, self.n_head = check_count("n_embd", n_embd), check_count("n_head", n_head)
        self.head_dim = check_heads(self.n_embd, self.n_head)
        self.block_size = check_count("block_size", block_size)
        self.std = check_real("std", std, low=0.0)
        rng = make_rng(seed)
        n = self.n_embd
        self.wq, self.wk, self.wv, self.wo = (normal_matrix(rng, n, n, self.std) for _ in range(4))

    def config(self) -> dict[str, Any]:
        return {"n_embd": self.n_embd, "n_head": self.n_head, "block_size": self.block_size, "std": self.std}

    def new_cache(self) -> KVCache:
        """An empty cache for ``step``: one per sequence."""
        return KVCache(self.block_size, self.n_embd)

    def step(self, x: Sequence[Operand], cache: KVCache) -> list[Value]:
        """The output for the next token of a sequence whose earlier keys and values are in ``cache``.

        Raises (and leaves ``cache`` as it was) when the cache already holds ``block_size`` tokens.
        """
        if not isinstance(cache, KVCache):
            raise TypeError(f"cache must be a KVCache (from new_cache()), got {shown(cache)}")
        cache.check_made_for(self.n_embd, self.block_size)
        if len(cache) >= self.block_size:
            raise ValueError(
                f"the cache is full: {len(cache)} tokens, block_size = {self.block_size}; start a new cache for "
                f"the next sequence (new_cache()), or build the model with a larger block_size"
            )
        xs = self._vector(x, f"the token at position {len(cache)}")
        with scoped(self):
            q, k, v = linear(xs, self.wq), linear(xs, self.wk), linear(xs, self.wv)
            out = self._attend(q, [*cache.keys, k], [*cache.values, v])
        cache.keys.append(k)  # only now, with the output computed
        cache.values.append(v)
        return out

    def __call__(self, xs: Sequence[Sequence[Operand]]) -> list[list[Value]]:
        """The outputs at every position of a whole sequence of 1..block_size vectors (causal: y_t sees x_0..x_t)."""
        if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
            raise TypeError(
                f"attention expects a sequence of vectors (lists of {self.n_embd} numbers), got {shown(xs)}"
            )
        if not xs:
            raise ValueError("attention got an empty sequence; pass at least one vector")
        if len(xs) > self.block_size:
            raise ValueError(
                f"the sequence has {len(xs)} positions, more than block_size = {self.block_size}; pass at most "
                f"{self.block_size} (xs[:{self.block_size}]), or build the module with a larger block_size"
            )
        return self.sequence([self._vector(x, f"position {t}") for t, x in enumerate(xs)])

    def sequence(self, rows: list[list[Value]], seen: list[Weights] | None = None) -> list[list[Value]]:
        """``self(xs)`` for rows already checked (lists of n_embd Values, at most block_size): the modules that
        call it check their own input. With a list ``seen``, each head's attention weights are appended to it."""
        with scoped(self):
            keys, values = linear_each(rows, self.wk), linear_each(rows, self.wv)
            if seen is not None:
                seen += [[] for _ in range(self.n_head)]
            heads = [
                self._heads(q, keys[: t + 1], values[: t + 1], seen) for t, q in enumerate(linear_each(rows, self.wq))
            ]
            return linear_each(heads, self.wo)

    def _attend(self, q: list[Value], keys: list[list[Value]], values: list[list[Value]]) -> list[Value]:
        """Wo·concat_h Σ_τ softmax_τ(q[h]·k_τ[h] / √head_dim) v_τ[h] over the given keys and values."""
        return linear(self._heads(q, keys, values), self.wo)

    def _heads(
        self, q: list[Value], keys: list[list[Value]], values: list[list[Value]], seen: list[Weights] | None = None
    ) -> list[Value]:
        """concat_h Σ_τ softmax_τ(q[h]·k_τ[h] / √head_dim) v_τ[h]; each head's weights go to the end of ``seen``."""
        d = self.head_dim
        scale = (d**0.5) ** -1  # microgpt's s / √d is s · (√d)⁻¹: a product by a constant, as here
        heads: list[Value] = []
        for h in range(0, self.n_embd, d):
            with scoped(f"head {h // d}"):
                q_h = q[h : h + d]
                weights = F.softmax([_dot(q_h, k[h : h + d]) * scale for k in keys])
                heads += [_dot(weights, [v[j] for v in values]) for j in range(h, h + d)]
                if seen is not None:
                    seen[len(seen) - self.n_head + h // d].append([a.data for a in weights])
        return heads

    def _vector(self, x: object, where: str) -> list[Value]:
        """One input vector of n_embd numbers or Values, as Values; errors name where it is and its length."""
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"attention expects {where} as a list of {self.n_embd} numbers, got {shown(x)}")
        if len(x) != self.n_embd:
            raise ValueError(f"attention expects {self.n_embd} numbers (n_embd) at {where}, got {len(x)}")
        return [lift_number(v, "attention", f"{where}, entry {j}") for j, v in enumerate(x)]
