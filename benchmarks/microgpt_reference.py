"""A microgpt-style reference: the published algorithm of Karpathy's microgpt (2026) on a minimal scalar Value.

Written for the benchmarks from the algorithm's description (not a copy of its code): one node per multiply
and per add, ``linear`` as a Python ``sum`` of products over lists, softmax with the max subtracted, RMSNorm
without gain, causal multi-head attention token by token with a key/value cache, a ReLU MLP of width
4·n_embd, no biases, the loss -log softmax(logits)[target] averaged over the positions, and Adam
(β = 0.85, 0.99, ε = 1e-8) with the learning rate decayed linearly to 0 over the run. Its parameters are a
``state_dict`` of matrices (lists of rows of ``RefValue``) under microgpt's names, so the library's
``load_microgpt_weights`` loads the same numbers into a ``GPT``.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Sequence

Matrix = list[list["RefValue"]]
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # the depth-first search follows chains of sums


class RefValue:
    """A scalar with its parents and the local derivative towards each, as microgpt's ``Value``."""

    __slots__ = ("data", "grad", "parents", "local")

    def __init__(self, data: float, parents: tuple[RefValue, ...] = (), local: tuple[float, ...] = ()) -> None:
        self.data, self.grad, self.parents, self.local = data, 0.0, parents, local

    def __add__(self, other: RefValue | float) -> RefValue:
        other = other if isinstance(other, RefValue) else RefValue(other)
        return RefValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: RefValue | float) -> RefValue:
        other = other if isinstance(other, RefValue) else RefValue(other)
        return RefValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> RefValue:
        return RefValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> RefValue:
        return RefValue(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self) -> RefValue:
        e = math.exp(self.data)
        return RefValue(e, (self,), (e,))

    def relu(self) -> RefValue:
        return RefValue(max(0.0, self.data), (self,), (float(self.data > 0),))

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self) -> RefValue:
        return self * -1.0

    def __sub__(self, other: RefValue | float) -> RefValue:
        return self + (-other)

    def __truediv__(self, other: RefValue | float) -> RefValue:
        return self * (other**-1.0 if isinstance(other, RefValue) else 1.0 / other)

    def backward(self) -> None:
        """Topological order by a recursive depth-first search (as microgpt's), then grad += local · grad."""
        order: list[RefValue] = []
        seen: set[RefValue] = set()

        def visit(node: RefValue) -> None:
            if node not in seen:
                seen.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local):
                parent.grad += local * node.grad


def _matrix(rng: random.Random, rows: int, columns: int, std: float) -> Matrix:
    return [[RefValue(rng.gauss(0.0, std)) for _ in range(columns)] for _ in range(rows)]


def _linear(x: Sequence[RefValue], w: Matrix) -> list[RefValue]:
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]  # type: ignore[misc]


def _softmax(z: Sequence[RefValue]) -> list[RefValue]:
    top = max(v.data for v in z)
    exps = [(v - top).exp() for v in z]
    total = sum(exps)
    return [e / total for e in exps]  # type: ignore[operator]


def _rmsnorm(x: Sequence[RefValue]) -> list[RefValue]:
    scale = (sum(v * v for v in x) / len(x) + 1e-5) ** -0.5  # type: ignore[operator]
    return [v * scale for v in x]


class MicroGPT:
    """microgpt's model and training step; ``state_dict`` under its names, drawn N(0, 0.08²) in its order."""

    def __init__(
        self, vocab_size: int, n_embd: int = 16, n_head: int = 4, n_layer: int = 1, block_size: int = 16, seed: int = 0
    ) -> None:
        rng = random.Random(seed)
        self.n_embd, self.n_head, self.n_layer, self.block_size = n_embd, n_head, n_layer, block_size
        self.state_dict: dict[str, Matrix] = {
            "wte": _matrix(rng, vocab_size, n_embd, 0.08),
            "wpe": _matrix(rng, block_size, n_embd, 0.08),
            "lm_head": _matrix(rng, vocab_size, n_embd, 0.08),
        }
        for i in range(n_layer):
            for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo"):
                self.state_dict[f"layer{i}.{name}"] = _matrix(rng, n_embd, n_embd, 0.08)
            self.state_dict[f"layer{i}.mlp_fc1"] = _matrix(rng, 4 * n_embd, n_embd, 0.08)
            self.state_dict[f"layer{i}.mlp_fc2"] = _matrix(rng, n_embd, 4 * n_embd, 0.08)
        self.params = [p for matrix in self.state_dict.values() for row in matrix for p in row]
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.steps = 0

    def logits(self, token: int, position: int, keys: list[list[Matrix]], values: list[list[Matrix]]) -> list[RefValue]:
        """The next token's logits from ``token`` at ``position``; keys and values of this token join the cache."""
        sd, d = self.state_dict, self.n_embd // self.n_head
        x = _rmsnorm([t + p for t, p in zip(sd["wte"][token], sd["wpe"][position])])
        for i in range(self.n_layer):
            residual, h = x, _rmsnorm(x)
            q, k, v = (_linear(h, sd[f"layer{i}.attn_w{w}"]) for w in "qkv")
            keys[i].append(k)  # type: ignore[arg-type]
            values[i].append(v)  # type: ignore[arg-type]
            heads: list[RefValue] = []
            for s in range(0, self.n_embd, d):
                scores = [sum(q[s + j] * kt[s + j] for j in range(d)) / d**0.5 for kt in keys[i]]  # type: ignore[index]
                weights = _softmax(scores)  # type: ignore[arg-type]
                heads += [sum(a * vt[s + j] for a, vt in zip(weights, values[i])) for j in range(d)]  # type: ignore[misc]
            x = [a + b for a, b in zip(_linear(heads, sd[f"layer{i}.attn_wo"]), residual)]
            hidden = [u.relu() for u in _linear(_rmsnorm(x), sd[f"layer{i}.mlp_fc1"])]
            x = [a + b for a, b in zip(_linear(hidden, sd[f"layer{i}.mlp_fc2"]), x)]
        return _linear(x, sd["lm_head"])

    def loss(self, tokens: Sequence[int]) -> RefValue:
        """Mean over positions of -log softmax(logits)[next token], for the first min(block_size, len - 1)."""
        n = min(self.block_size, len(tokens) - 1)
        keys: list[list[Matrix]] = [[] for _ in range(self.n_layer)]
        values: list[list[Matrix]] = [[] for _ in range(self.n_layer)]
        terms = [-_softmax(self.logits(tokens[t], t, keys, values))[tokens[t + 1]].log() for t in range(n)]
        return (1.0 / n) * sum(terms)  # type: ignore[return-value]

    def train_step(self, tokens: Sequence[int], total_steps: int, lr: float = 0.01) -> float:
        """Forward, backward and one Adam step (β 0.85, 0.99) at lr·(1 − t/total_steps); gradients reset."""
        loss = self.loss(tokens)
        loss.backward()
        t, b1, b2 = self.steps, 0.85, 0.99
        lr_t = lr * (1.0 - t / total_steps)
        for i, p in enumerate(self.params):
            self.m[i] = b1 * self.m[i] + (1 - b1) * p.grad
            self.v[i] = b2 * self.v[i] + (1 - b2) * p.grad**2
            m_hat = self.m[i] / (1 - b1 ** (t + 1))
            v_hat = self.v[i] / (1 - b2 ** (t + 1))
            p.data -= lr_t * m_hat / (v_hat**0.5 + 1e-8)
            p.grad = 0.0
        self.steps += 1
        return loss.data
