"""``GPT``: microgpt's model (Karpathy, 2026) from the library's modules, number for number.

Per token at position t (``step``), as microgpt's ``gpt(token_id, pos_id, keys, values)``:

    x = rmsnorm(wte[token] + wpe[t])
    for each layer:   x = x + attention(rmsnorm(x))                  (causal, multi-head, no biases)
                      x = x + mlp_fc2 · relu(mlp_fc1 · rmsnorm(x))   (width 4·n_embd, no biases)
    logits = lm_head · x

``model(tokens)`` computes every position of a sequence at once and gives the same numbers and
gradients; ``loss(tokens)`` is the mean cross-entropy of predicting ``tokens[1:]`` from ``tokens[:-1]``.
Defaults are microgpt's: 1 layer, n_embd 16, 4 heads, block size 16, weights N(0, 0.08²), RMSNorm ε 1e-5.

**Parameter names** (``state_dict``) are microgpt's, with a matrix entry as ``name.row.column``
(row = output, column = input, as microgpt's ``matrix(nout, nin)``)::

    wte.{token}.{j}            vocab_size × n_embd     token embedding
    wpe.{position}.{j}         block_size × n_embd     position embedding
    lm_head.{token}.{j}        vocab_size × n_embd     output layer
    layer{i}.attn_wq.{o}.{j}   n_embd × n_embd         also attn_wk, attn_wv, attn_wo
    layer{i}.mlp_fc1.{o}.{j}   4·n_embd × n_embd
    layer{i}.mlp_fc2.{o}.{j}   n_embd × 4·n_embd

The modules that compute with these matrices (``token_embedding``, ``position_embedding``, each layer's
``attn``) hold the same Values; the walk names each Value once, by the first path that reaches it, and
the microgpt names come first. ``load_microgpt_weights`` loads microgpt's ``state_dict`` (name -> rows).

**Training through Replay.** ``Replay(model.loss, model, index_data=True)`` passes the token ids as data:
the embeddings read their rows by a data index and the loss picks the target's logit by a one-hot product,
so one compiled program serves every document of a length (see :mod:`micrograd_plus.nn.embedding`).
``attention_weights(tokens)`` gives each head's softmax weights, for ``viz.attention_figure``.

>>> model = GPT(vocab_size=5, n_embd=4, n_head=2, block_size=4, seed=0)
>>> list(model.state_dict())[:2], len(model.parameters())
(['wte.0.0', 'wte.0.1'], 248)
>>> round(model.loss([0, 3, 1, 0]).data, 4) > 0
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from micrograd_plus import functional as F
from micrograd_plus._validate import as_list, as_number, check_count, check_real, is_real, shown
from micrograd_plus.engine import Value
from micrograd_plus.nn.attention import CausalSelfAttention, KVCache, Weights, check_heads, linear, linear_each
from micrograd_plus.nn.embedding import Embedding, check_data_index, check_index, normal_matrix, one_hot
from micrograd_plus.nn.module import Module, make_rng, scoped
from micrograd_plus.nn.rmsnorm import RMSNorm, rms_normalise
from micrograd_plus.tracing import DataFloat

__all__ = ["GPT", "Block", "load_microgpt_weights"]

Seed = int | random.Random | None


class Block(Module):
    """One layer: x + attn(rmsnorm(x)), then x + mlp_fc2·relu(mlp_fc1·rmsnorm(x)); named as microgpt's."""

    def __init__(self, n_embd: int, n_head: int, block_size: int, std: float, eps: float, seed: Seed = None) -> None:
        eps = check_real("eps", eps, low=0.0, low_open=True)
        rng = make_rng(seed)
        attn = CausalSelfAttention(n_embd, n_head, block_size, std, rng)  # checks the sizes, then draws wq..wo
        self.n_embd, self.n_head, self.block_size, self.std, self.eps = (
            attn.n_embd,
            attn.n_head,
            attn.block_size,
            attn.std,
            eps,
        )  # as checked: plain ints and floats
        # microgpt's names first, so the walk names every parameter by them (the modules below share the Values)
        self.attn_wq, self.attn_wk, self.attn_wv, self.attn_wo = attn.wq, attn.wk, attn.wv, attn.wo
        self.mlp_fc1 = normal_matrix(rng, 4 * n_embd, n_embd, std)
        self.mlp_fc2 = normal_matrix(rng, n_embd, 4 * n_embd, std)
        self.attn_norm, self.mlp_norm = RMSNorm(n_embd, eps), RMSNorm(n_embd, eps)
        self.attn = attn

    def config(self) -> dict[str, Any]:
        names = ("n_embd", "n_head", "block_size", "std", "eps")
        return {name: getattr(self, name) for name in names}

    def _mlp(self, xs: list[list[Value]]) -> list[list[Value]]:
        """x + fc2·relu(fc1·rmsnorm(x)) at each position."""
        with scoped("mlp"):
            hidden = [[h.relu() for h in row] for row in linear_each(_normed(self.mlp_norm, xs), self.mlp_fc1)]
            return [[a + b for a, b in zip(y, x)] for y, x in zip(linear_each(hidden, self.mlp_fc2), xs)]

    def step(self, x: list[Value], cache: KVCache) -> list[Value]:
        """The layer for the next token, attending over the cache (which gains this token's key and value)."""
        with scoped(self):
            x = [a + b for a, b in zip(self.attn.step(self.attn_norm(x), cache), x)]
            return self._mlp([x])[0]

    def __call__(self, xs: list[list[Value]], seen: list[Weights] | None = None) -> list[list[Value]]:
        """The layer at every position of a sequence at once; each head's attention weights go to ``seen``."""
        with scoped(self):
            attended = self.attn.sequence(_normed(self.attn_norm, xs), seen)
            return self._mlp([[a + b for a, b in zip(y, x)] for y, x in zip(attended, xs)])


def _normed(norm: RMSNorm, xs: list[list[Value]]) -> list[list[Value]]:
    """``norm`` at each position, for vectors of Values already checked (as the module's call records it)."""
    with scoped(norm):
        return [rms_normalise(x, norm.eps) for x in xs]


class GPT(Module):
    """microgpt's GPT: logits for the next token at each position; see the module docstring for the math and names."""

    def __init__(
        self,
        vocab_size: int,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        block_size: int = 16,
        std: float = 0.08,
        eps: float = 1e-5,
        seed: Seed = None,
    ) -> None:
        self.vocab_size, self.n_embd = check_count("vocab_size", vocab_size), check_count("n_embd", n_embd)
        self.n_head, self.n_layer = check_count("n_head", n_head), check_count("n_layer", n_layer)
        check_heads(self.n_embd, self.n_head)  # refused before any weight is drawn
        self.block_size = check_count("block_size", block_size)
        self.std = check_real("std", std, low=0.0)
        self.eps = check_real("eps", eps, low=0.0, low_open=True)
        rng = make_rng(seed)  # draws in microgpt's order: wte, wpe, lm_head, then each layer
        tokens = Embedding(self.vocab_size, self.n_embd, self.std, rng)
        positions = Embedding(self.block_size, self.n_embd, self.std, rng)
        self.wte, self.wpe = tokens.weight, positions.weight
        self.lm_head = normal_matrix(rng, self.vocab_size, self.n_embd, self.std)
        for i in range(self.n_layer):
            setattr(self, f"layer{i}", Block(self.n_embd, self.n_head, self.block_size, self.std, self.eps, rng))
        self.token_embedding, self.position_embedding = tokens, positions
        self.norm = RMSNorm(self.n_embd, self.eps)

    def config(self) -> dict[str, Any]:
        names = ("vocab_size", "n_embd", "n_head", "n_layer", "block_size", "std", "eps")
        return {name: getattr(self, name) for name in names}

    @property
    def blocks(self) -> list[Block]:
        """The layers in order (attributes ``layer0``, ``layer1``, ... as microgpt names them)."""
        return [getattr(self, f"layer{i}") for i in range(self.n_layer)]

    def new_cache(self) -> list[KVCache]:
        """An empty key/value cache for ``step``, one ``KVCache`` per layer: one per sequence."""
        return [block.attn.new_cache() for block in self.blocks]

    def step(self, token: int, cache: list[KVCache]) -> list[Value]:
        """The logits of the token after ``token``, which sits at position ``len(cache[0])``; the cache grows by one."""
        self._check_cache(cache)
        position = len(cache[0])
        if position >= self.block_size:
            raise ValueError(
                f"the cache already holds block_size = {self.block_size} tokens; start a new sequence with "
                "new_cache(), or build the model with a larger block_size"
            )
        token = self._check_token(token, position)
        try:
            with scoped(self):
                x = self._embed(token, position)
                for block, layer_cache in zip(self.blocks, cache):
                    x = block.step(x, layer_cache)
                with scoped("lm_head"):
                    return linear(x, self.lm_head)
        except BaseException:  # a later layer failed (an overflow): the earlier layers' caches forget this token too
            for layer_cache in cache:
                layer_cache.truncate(position)
            raise

    def __call__(self, tokens: Sequence[int]) -> list[list[Value]]:
        """The logits at every position of ``tokens`` (1..block_size ids) at once: position t sees tokens[:t+1]."""
        return self._logits(self._check_tokens(tokens, self.block_size, "tokens[:block_size]"))

    def loss(self, tokens: Sequence[int]) -> Value:
        """Mean cross-entropy of predicting tokens[t+1] from tokens[:t+1], over 2..block_size+1 tokens (microgpt's):
        mean_t (logsumexp(z_t) − z_t[target]), as ``losses.cross_entropy`` computes it.

        Ids that are data (``Replay(..., index_data=True)``) pick the target's logit as a one-hot ``dot``,
        which gives the same numbers and gradients without making the graph depend on the target.
        """
        ids = self._check_tokens(tokens, self.block_size + 1, "tokens[: block_size + 1]")
        if len(ids) < 2:
            raise ValueError(f"loss needs at least 2 tokens (one to read, one to predict), got {len(ids)}: {ids}")
        logits = self._logits(ids[:-1])
        with scoped("cross_entropy"):
            picked = [
                F.dot(one_hot(t, self.vocab_size), z) if type(t) is DataFloat else z[t] for z, t in zip(logits, ids[1:])
            ]
            return F.mean([F.logsumexp(z) - p for z, p in zip(logits, picked)])

    def attention_weights(self, tokens: Sequence[int]) -> list[list[Weights]]:
        """Each layer's and head's attention weights over ``tokens``: ``[layer][head][t][τ]`` = a_tτ for τ ≤ t (row t
        holds t + 1 weights that sum to 1), the numbers the forward pass computes (a plain-float copy)."""
        seen: list[Weights] = []
        self._logits(self._check_tokens(tokens, self.block_size, "tokens[:block_size]"), seen)
        return [seen[i * self.n_head : (i + 1) * self.n_head] for i in range(self.n_layer)]

    def _logits(self, ids: list[Any], seen: list[Weights] | None = None) -> list[list[Value]]:
        """The logits at every position of ids already checked."""
        with scoped(self):
            xs = [self._embed(token, t) for t, token in enumerate(ids)]
            for block in self.blocks:
                xs = block(xs, seen)
            with scoped("lm_head"):
                return linear_each(xs, self.lm_head)

    def sample(
        self,
        start: int | Sequence[int],
        temperature: float = 1.0,
        seed: Seed = None,
        stop: int | None = None,
    ) -> list[int]:
        """Token ids drawn one at a time from softmax(logits / temperature), after the ids of ``start``.

        Stops when ``stop`` is drawn (not returned) or when the model has read block_size tokens, as microgpt
        does with its BOS token. ``seed`` (a whole number or a ``random.Random``) makes the draws repeatable.
        """
        try:
            temperature = check_real("temperature", temperature, low=0.0, low_open=True)
        except ValueError as error:
            raise ValueError(f"{error}; 1 samples the model's own distribution, lower values are greedier") from None
        prompt = self._check_tokens([start] if is_real(start) else start, self.block_size, "a shorter start")
        if stop is not None:
            stop = check_index(
                "stop", stop, self.vocab_size, f"a token id of this model (vocab_size {self.vocab_size})"
            )
        rng = make_rng(seed)
        cache = self.new_cache()
        drawn: list[int] = []
        for token in prompt:
            logits = self.step(token, cache)
        while True:
            top = max(z.data for z in logits)
            exps = [math.exp((z.data - top) / temperature) for z in logits]  # <= 1, and 1 at the top: any temperature
            total = sum(exps)
            token = rng.choices(range(self.vocab_size), weights=[e / total for e in exps])[0]
            if token == stop:
                return drawn
            drawn.append(token)
            if len(cache[0]) == self.block_size:
                return drawn
            logits = self.step(token, cache)

    def _embed(self, token: int | DataFloat, position: int) -> list[Value]:
        """rmsnorm(wte[token] + wpe[position]), for a token and position already checked."""
        with scoped("embeddings"):  # one block in drawings and the explorer: both lookups and their sum
            with scoped(self.token_embedding):
                tok = self.token_embedding.lookup(token)
            with scoped(self.position_embedding):
                pos = self.position_embedding.lookup(position)
            summed = [a + b for a, b in zip(tok, pos)]
        with scoped(self.norm):
            return rms_normalise(summed, self.eps)

    def _check_token(self, token: object, position: int) -> Any:
        """The id as an int, or a DataFloat kept as it is (an id that is data, checked on every replay)."""
        fix = f"ids must be whole numbers in 0..{self.vocab_size - 1} (vocab_size {self.vocab_size})"
        if type(token) is DataFloat:
            return check_data_index(f"token id at position {position}", token, self.vocab_size, fix)
        return check_index(f"token id at position {position}", token, self.vocab_size, fix)

    def _check_tokens(self, tokens: object, most: int, fix: str) -> list[Any]:
        """Every id of a sequence checked (range, length) before any work; errors name the id and its position."""
        tokens = as_list(tokens)  # a NumPy array of ids, as the list it holds
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
            raise TypeError(f"GPT expects a sequence of token ids (a list of ints), got {shown(tokens)}")
        if not tokens:
            raise ValueError("GPT got an empty sequence of token ids; pass at least one id")
        if len(tokens) > most:
            raise ValueError(
                f"the sequence has {len(tokens)} tokens, more than the {most} this model reads (block_size = "
                f"{self.block_size}); pass {fix}, or build GPT with block_size >= {len(tokens)}"
            )
        return [self._check_token(token, t) for t, token in enumerate(tokens)]

    def _check_cache(self, cache: object) -> None:
        if not (isinstance(cache, list) and len(cache) == self.n_layer and all(isinstance(c, KVCache) for c in cache)):
            raise TypeError(f"cache must be the list of {self.n_layer} KVCache from new_cache(), got {shown(cache)}")
        for layer, c in enumerate(cache):
            c.check_made_for(self.n_embd, self.block_size, f"cache[{layer}]")
        if len({len(c) for c in cache}) > 1:
            raise ValueError(
                f"the layers' caches hold {[len(c) for c in cache]} tokens, not one count: they were not grown by "
                "this model's step() together; start the sequence again with new_cache()"
            )


def load_microgpt_weights(model: GPT, weights: Mapping[str, Sequence[Sequence[Any]]]) -> None:
    """Set ``model``'s parameters from microgpt's ``state_dict``: name -> list of rows of numbers.

    Numbers may be floats, ints, NumPy scalars or objects with a number in ``.data`` (microgpt's own
    ``Value``s, so its ``state_dict`` loads as it is). Every name, shape and number is checked first; on
    any mismatch this raises and the model is unchanged.
    """
    if not isinstance(model, GPT):
        raise TypeError(f"load_microgpt_weights loads into a GPT, got {shown(model)}")
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a dict of name -> list of rows (microgpt's state_dict), got {shown(weights)}")
    shapes = _microgpt_shapes(model)
    missing, extra = [n for n in shapes if n not in weights], [n for n in weights if n not in shapes]
    if missing or extra:
        raise ValueError(
            f"weights do not fit this GPT: missing {missing[:5]}, unexpected {extra[:5]}; build the GPT with "
            f"microgpt's n_layer (this one has {model.n_layer})"
        )
    flat: dict[str, float] = {}
    for name, (rows, columns) in shapes.items():
        matrix: Any = as_list(weights[name], ndim=2)  # a NumPy matrix, as the list of rows it holds
        if isinstance(matrix, (str, bytes)) or not isinstance(matrix, Sequence) or len(matrix) != rows:
            got = len(matrix) if isinstance(matrix, Sequence) else shown(matrix)
            raise ValueError(f"weights[{name!r}] must have {rows} rows, got {got}; {_hint(model)}")
        for i, listed in enumerate(matrix):
            row: Any = as_list(listed)  # a row given as a NumPy vector
            if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != columns:
                got = len(row) if isinstance(row, Sequence) else shown(row)
                raise ValueError(f"weights[{name!r}][{i}] must have {columns} numbers, got {got}; {_hint(model)}")
            for j, x in enumerate(row):
                number = getattr(x, "data", x)
                if not is_real(number):
                    raise TypeError(f"weights[{name!r}][{i}][{j}] must be a number, got {shown(x)}")
                try:
                    flat[f"{name}.{i}.{j}"] = float(as_number(number))  # type: ignore[arg-type]
                except OverflowError:  # an int past the float range
                    raise ValueError(f"weights[{name!r}][{i}][{j}] = {shown(x)} is too large for a float") from None
    model.load_state_dict(flat)  # checks every number finite before it writes any


def _microgpt_shapes(model: GPT) -> dict[str, tuple[int, int]]:
    """microgpt's matrices for this configuration: name -> (rows, columns)."""
    v, n = model.vocab_size, model.n_embd
    shapes = {"wte": (v, n), "wpe": (model.block_size, n), "lm_head": (v, n)}
    for i in range(model.n_layer):
        shapes |= {f"layer{i}.attn_{w}": (n, n) for w in ("wq", "wk", "wv", "wo")}
        shapes |= {f"layer{i}.mlp_fc1": (4 * n, n), f"layer{i}.mlp_fc2": (n, 4 * n)}
    return shapes


def _hint(model: GPT) -> str:
    return (
        f"this GPT has vocab_size {model.vocab_size}, n_embd {model.n_embd}, block_size {model.block_size}: "
        "build it with microgpt's sizes"
    )
