"""The schedule of a batched replay: one sample's graph as a few array operations per level.

Every value of the sample's graph gets a row. A value that differs between samples (a data
input, or a node below one) is a row of ``V``, shape (rows, B): one column per sample. A value
that is the same for every sample (a parameter, a constant, or a node made only from those,
such as an L2 term) is one number of ``S``: it is computed once, and its gradient is the sum of
the per-sample gradients reaching it.

A node's *level* is 1 + the highest level of its parents, so nodes of one level never depend
on each other. Nodes of one level with the same op, the same number of operands and operands
in the same kinds of rows form a **group**, whose outputs are adjacent rows; one array
operation computes the whole group for the whole batch, and one more each of its local
derivatives. A group of ``dot`` nodes whose weights are numbers of ``S`` and whose inputs are
the *same* rows of ``V`` (the neurons of one layer) runs as one matrix product:

    Z = W @ X + b          dW = G @ Xᵀ          dX = Wᵀ @ G          db = Σ_samples G

Groups of such products that differ only in their input vector and share the weights (one layer
applied to several samples or tokens of one graph, as in a ``Replay`` step) merge into one
product over all those vectors. In a graph whose only data is a target (a ``Replay`` step of a
GPT: every activation is a number of ``S``), a dot of leaf weights with nodes is a product too.

The groups come from the graph alone, not from knowing it was made by an ``MLP``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from micrograd_plus import ops
from micrograd_plus.compile import array_ops as arrayforms
from micrograd_plus.engine import Value

__all__ = ["Kernel", "Plan", "adder"]

Array = Any


def adder(rows: Sequence[int]) -> Callable[[Array, Array], None]:
    """A function ``(target, values) -> None`` doing ``target[rows] += values``, right also when rows repeat."""
    index = np.asarray(rows, dtype=np.intp)
    n = len(index)
    if n and index[-1] - index[0] == n - 1 and bool(np.all(np.diff(index) == 1)):
        part = slice(int(index[0]), int(index[0]) + n)

        def add_slice(target: Array, values: Array) -> None:
            target[part] += values

        return add_slice
    if len(np.unique(index)) == n:

        def add_unique(target: Array, values: Array) -> None:
            target[index] += values

        return add_unique
    order = np.argsort(index, kind="stable")
    unique, starts = np.unique(index[order], return_index=True)

    def add_repeated(target: Array, values: Array) -> None:
        target[unique] += np.add.reduceat(values[order], starts, axis=0)

    return add_repeated


class Kernel:
    """One group: ``forward(V, S)`` writes its rows and returns them; ``backward(V, S, GV, GS)`` adds its
    parents' gradients and returns the local derivatives it used. Both run with NumPy's warnings off:
    the caller checks that every returned number is finite, and names the op and sample when one is not."""

    def __init__(self, nodes: list[Value], varying: bool, first: int) -> None:
        self.nodes, self.varying, self.first = nodes, varying, first
        self.rows = slice(first, first + len(nodes))

    def forward(self, V: Array, S: Array) -> Array:
        raise NotImplementedError

    def backward(self, V: Array, S: Array, GV: Array, GS: Array) -> list[Array]:
        raise NotImplementedError


class MatmulKernel(Kernel):
    """dot nodes with weights (and biases) that are numbers: Z = W @ X + b. Nodes come in k runs of m, one run
    per vector of input rows (k = 1 for a layer of one sample's graph; one per sample or token when the graph
    holds several, as a Replay's step does), each run with the same m weight rows: one product for all."""

    def __init__(self, runs: list[list[Value]], first: int, plan: Plan, swapped: bool) -> None:
        nodes = [v for run in runs for v in run]
        super().__init__(nodes, plan.varies(nodes[0]), first)  # inputs in V, or (one step's graph) all in S
        self.k, self.m = len(runs), len(runs[0])
        n = len(nodes[0].parents) // 2
        w_part, x_part = (slice(n, 2 * n), slice(0, n)) if swapped else (slice(0, n), slice(n, 2 * n))
        weights = [v.parents[w_part] for v in runs[0]]
        self.w_rows = np.array([[plan.row[id(p)] for p in ws] for ws in weights], dtype=np.intp)
        x_rows = [[plan.row[id(p)] for p in run[0].parents[x_part]] for run in runs]
        start = x_rows[0][0]
        self.x_rows: Any = (
            np.array(x_rows)  # (k, n): X is (k, n, B)
            if self.k > 1
            else slice(start, start + n)  # X is (n, B)
            if x_rows[0] == list(range(start, start + n))
            else np.array(x_rows[0])
        )
        first_run = runs[0]
        biased = len(nodes[0].parents) % 2 == 1
        self.bias = np.array([plan.row[id(v.parents[-1])] for v in first_run]) if biased else None
        w_needed = [plan.needs(p) for ws in weights for p in ws]
        self.w_pick = None if all(w_needed) else np.flatnonzero(w_needed)
        flat_w = self.w_rows.ravel() if self.w_pick is None else self.w_rows.ravel()[self.w_pick]
        self.add_w = adder(flat_w.tolist()) if any(w_needed) else None
        needed_bias = self.bias is not None and all(plan.needs(v.parents[-1]) for v in first_run)
        self.add_bias = adder(self.bias.tolist()) if needed_bias and self.bias is not None else None
        self.partial_bias = (
            self.bias is not None and not needed_bias and any(plan.needs(v.parents[-1]) for v in first_run)
        )
        if self.partial_bias and self.bias is not None:  # some biases are constants: add only the parameters'
            keep = [i for i, v in enumerate(first_run) if plan.needs(v.parents[-1])]
            self.bias_keep, self.add_bias = np.array(keep), adder(self.bias[keep].tolist())
        x_needed = any(plan.needs(p) for run in runs for p in run[0].parents[x_part])
        self.add_x = adder([r for rows in x_rows for r in rows]) if x_needed else None
        self.saved: tuple[Array, Array] = (None, None)

    def forward(self, V: Array, S: Array) -> Array:
        W = S[self.w_rows]
        X = V[self.x_rows] if self.varying else S[self.x_rows][..., None]  # (n, B) for one run, (k, n, B) for k
        out = W @ X  # (m, B), or (k, m, B): one product per run, in one call
        if self.bias is not None:
            out += S[self.bias][:, None]
        out = out.reshape(self.k * self.m, -1)
        if self.varying:
            V[self.rows] = out
        else:
            S[self.rows] = out[:, 0]
        self.saved = (W, X)
        return out

    def backward(self, V: Array, S: Array, GV: Array, GS: Array) -> list[Array]:
        W, X = self.saved
        G = GV[self.rows] if self.varying else GS[self.rows][:, None]
        if self.k > 1:
            G = G.reshape(self.k, self.m, -1)
        if self.add_w is not None:  # dW = Σ_runs G_r @ X_rᵀ
            dW = (G @ X.T if self.k == 1 else np.matmul(G, X.transpose(0, 2, 1)).sum(axis=0)).ravel()
            self.add_w(GS, dW if self.w_pick is None else dW[self.w_pick])
        if self.add_bias is not None:
            db = G.sum(axis=-1) if self.k == 1 else G.sum(axis=(0, 2))
            self.add_bias(GS, db[self.bias_keep] if self.partial_bias else db)
        if self.add_x is not None:
            dX = W.T @ G
            dX = dX if self.k == 1 else dX.reshape(-1, dX.shape[-1])
            self.add_x(GV, dX) if self.varying else self.add_x(GS, dX[:, 0])
        return []  # the local derivatives are the operands themselves, already checked


class GeneralKernel(Kernel):
    """Any op over k nodes: operands gathered into X (k nodes, n operands, B samples), one array call."""

    def __init__(self, nodes: list[Value], varying: bool, first: int, plan: Plan) -> None:
        super().__init__(nodes, varying, first)
        entry = nodes[0].entry
        if entry is None:
            raise ValueError("a group needs nodes made by an op, not leaves")
        self.op: ops.Op = entry
        k, a = len(nodes), len(nodes[0].parents)
        self.shape = (k, a)
        self.reduction = entry in arrayforms.REDUCTIONS
        self.function = arrayforms.forward(entry, a)
        index = np.array([[plan.row[id(p)] for p in v.parents] for v in nodes], dtype=np.intp)
        in_v = [plan.varies(p) for p in nodes[0].parents]
        self.in_v = [j for j in range(a) if in_v[j]]
        self.in_s = [j for j in range(a) if not in_v[j]]
        self.index_v, self.index_s = index[:, self.in_v], index[:, self.in_s]
        flat = index.ravel()
        self.view = None  # operands that are adjacent rows of V in order: a view, no copy
        if not self.in_s and flat[-1] - flat[0] == len(flat) - 1 and bool(np.all(np.diff(flat) == 1)):
            self.view = slice(int(flat[0]), int(flat[0]) + len(flat))
        self.targets = []  # (positions picked from C, add function, whether summed over the samples)
        for space, positions in ((True, self.in_v), (False, self.in_s)):
            picked = [(i, j) for i, v in enumerate(nodes) for j in positions if plan.needs(v.parents[j])]
            if picked:
                ii, jj = np.array([p[0] for p in picked]), np.array([p[1] for p in picked])
                rows = index[ii, jj].tolist()
                full = space and not self.in_s and len(picked) == k * a
                self.targets.append((None if full else (ii, jj), adder(rows), space))
        self.saved: tuple[Array, Array] = (None, None)

    def _gather(self, V: Array, S: Array) -> Array:
        k, a = self.shape
        if self.view is not None:
            return V[self.view].reshape(k, a, V.shape[1])
        if not self.in_s:
            return V[self.index_v]
        if not self.in_v:
            return S[self.index_s][:, :, None]
        X = np.empty((k, a, V.shape[1]))
        X[:, self.in_v] = V[self.index_v]
        X[:, self.in_s] = S[self.index_s][:, :, None]
        return X

    def forward(self, V: Array, S: Array) -> Array:
        X = self._gather(V, S)
        out = self.function(X) if self.reduction else self.function(*[X[:, j] for j in range(self.shape[1])])
        out = np.broadcast_to(np.asarray(out, dtype=float), (self.shape[0], X.shape[2]))
        if self.varying:
            V[self.rows] = out
        else:
            S[self.rows] = out[:, 0]
        self.saved = (X, out)
        return out

    def backward(self, V: Array, S: Array, GV: Array, GS: Array) -> list[Array]:
        if not self.targets:
            return []
        X, out = self.saved
        G = GV[self.rows] if self.varying else GS[self.rows][:, None]
        if self.reduction:
            found = arrayforms.derivatives(self.op, [X], out)
            C = np.asarray(found[0]) * G[:, None, :]
        else:
            found = arrayforms.derivatives(self.op, [X[:, j] for j in range(self.shape[1])], out)
            C = np.empty(X.shape[:2] + G.shape[1:])
            for j, d in enumerate(found):
                C[:, j] = np.asarray(d) * G
        for picked, add, space in self.targets:
            values = C.reshape(-1, C.shape[2]) if picked is None else C[picked[0], picked[1]]
            add(GV if space else GS, values if space else values.sum(axis=-1))
        return [np.asarray(d) for d in found]


class Plan:
    """Rows for every value and the groups, level by level, of one sample's graph."""

    def __init__(self, order: list[Value], params: Sequence[Value], inputs: Sequence[Value]) -> None:
        self.row: dict[int, int] = {}
        self._varying: set[int] = {id(x) for x in inputs}
        self._needed: set[int] = {id(p) for p in params}
        constants = [v for v in order if not v.parents and id(v) not in self._varying and id(v) not in self._needed]
        for k, v in enumerate([*params, *constants]):
            self.row[id(v)] = k
        for k, v in enumerate(inputs):
            self.row[id(v)] = k
        self.n_s, self.n_v = len(params) + len(constants), len(inputs)
        self.constants = [v.data for v in constants]
        self.kernels: list[Kernel] = []
        levels: dict[int, int] = {}
        by_level: dict[int, list[Value]] = {}
        for v in order:
            if not v.parents:
                levels[id(v)] = 0
                continue
            levels[id(v)] = level = 1 + max(levels[id(p)] for p in v.parents)
            by_level.setdefault(level, []).append(v)
            if any(id(p) in self._varying for p in v.parents):
                self._varying.add(id(v))
            if any(id(p) in self._needed for p in v.parents):
                self._needed.add(id(v))
        for level in sorted(by_level):
            self._group(by_level[level])

    def varies(self, v: Value) -> bool:
        return id(v) in self._varying

    def needs(self, v: Value) -> bool:
        """True for a parameter and every node that depends on one: the rows whose gradients are wanted."""
        return id(v) in self._needed

    def _key(self, v: Value) -> tuple[Any, ...]:
        parents = v.parents
        spaces = tuple(id(p) in self._varying for p in parents)
        if v.entry is ops.DOT and len(parents) >= 2:
            n = len(parents) // 2
            bias_fixed = len(parents) % 2 == 0 or not spaces[-1]
            for swapped, w_part, x_part in (
                (False, spaces[:n], parents[n : 2 * n]),
                (True, spaces[n : 2 * n], parents[:n]),
            ):
                x_spaces = spaces[:n] if swapped else spaces[n : 2 * n]
                if bias_fixed and not any(w_part) and all(x_spaces):
                    return ("matmul", swapped, len(parents), tuple(self.row[id(p)] for p in x_part), True)
            if not any(spaces):  # all numbers of S (one step's graph, replayed by Replay): leaves times nodes
                for swapped, weights, inputs in (
                    (False, parents[:n], parents[n : 2 * n]),
                    (True, parents[n : 2 * n], parents[:n]),
                ):
                    if not any(p.parents for p in weights) and any(p.parents for p in inputs):
                        return ("matmul", swapped, len(parents), tuple(self.row[id(p)] for p in inputs), False)
        return (v.entry, len(parents), spaces)

    def _weights_of(self, members: list[Value], swapped: bool) -> tuple[Any, ...]:
        """What a run of dot nodes multiplies its input vector by: the weight rows (and bias rows), in order."""
        n = len(members[0].parents) // 2
        part = slice(n, 2 * n) if swapped else slice(0, n)
        bias = len(members[0].parents) % 2 == 1
        row = self.row
        return (
            swapped,
            id(members[0]) in self._varying,
            len(members[0].parents),
            tuple(tuple(row[id(p)] for p in v.parents[part]) for v in members),
            tuple(row[id(v.parents[-1])] for v in members) if bias else (),
        )

    def _group(self, nodes: list[Value]) -> None:
        groups: dict[tuple[Any, ...], list[Value]] = {}
        for v in nodes:
            groups.setdefault(self._key(v), []).append(v)
        # dot groups that differ only in their input vector and share the weight rows (one layer over several
        # samples or tokens) run as one product: a run of nodes per input vector
        runs: dict[tuple[Any, ...], list[list[Value]]] = {}
        for key, members in groups.items():
            if key[0] == "matmul":
                runs.setdefault(self._weights_of(members, key[1]), []).append(members)
        merged: list[tuple[tuple[Any, ...], list[Value], list[list[Value]]]] = []
        for key, members in groups.items():
            if key[0] != "matmul":
                merged.append((key, members, [members]))
            elif (same := runs.pop(self._weights_of(members, key[1]), None)) is not None:
                merged.append((key, [v for run in same for v in run], same))
        for key, members, member_runs in merged:
            varying = id(members[0]) in self._varying
            first = self.n_v if varying else self.n_s
            for k, v in enumerate(members):
                self.row[id(v)] = first + k
            if varying:
                self.n_v += len(members)
            else:
                self.n_s += len(members)
            if key[0] == "matmul":
                self.kernels.append(MatmulKernel(member_runs, first, self, swapped=key[1]))
            else:
                self.kernels.append(GeneralKernel(members, varying, first, self))
