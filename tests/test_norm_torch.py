"""Development-only: BatchNorm1d and LayerNorm give PyTorch's numbers, forward, backward and running statistics."""

from __future__ import annotations

import random

import pytest

from micrograd_plus import Value
from micrograd_plus import functional as F
from micrograd_plus.nn import BatchNorm1d, LayerNorm

torch = pytest.importorskip("torch")
REL = 1e-10


def tensor(rows: list[list[float]]) -> object:
    return torch.tensor(rows, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("seed", range(4))
def test_batch_norm_matches_torch_over_several_steps(seed: int) -> None:
    rng = random.Random(seed)
    features, momentum = rng.randint(1, 4), rng.choice([0.1, 0.3, 1.0])
    ours = BatchNorm1d(features, eps=1e-5, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(features, eps=1e-5, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        for j in range(features):
            gamma, beta = rng.uniform(0.5, 2.0), rng.uniform(-1.0, 1.0)
            ours.weight[j].data, ours.bias[j].data = gamma, beta
            theirs.weight[j], theirs.bias[j] = gamma, beta
    for step in range(4):
        if step == 3:
            ours.eval()
            theirs.eval()
        rows = [[rng.gauss(0.5, 2.0) for _ in range(features)] for _ in range(rng.randint(2, 6))]
        upstream = [[rng.uniform(-1.0, 1.0) for _ in range(features)] for _ in rows]
        batch = [[Value(v) for v in row] for row in rows]
        out = ours(batch)
        x = tensor(rows)
        y = theirs(x)
        assert [v.data for sample in out for v in sample] == pytest.approx(y.flatten().tolist(), rel=REL)
        ours.zero_grad()
        F.dot([g for row in upstream for g in row], [v for sample in out for v in sample]).backward()
        theirs.zero_grad()
        (y * torch.tensor(upstream, dtype=torch.float64)).sum().backward()
        assert [v.grad for row in batch for v in row] == pytest.approx(x.grad.flatten().tolist(), rel=REL, abs=1e-12)
        assert [w.grad for w in ours.weight] == pytest.approx(theirs.weight.grad.tolist(), rel=REL, abs=1e-12)
        assert [b.grad for b in ours.bias] == pytest.approx(theirs.bias.grad.tolist(), rel=REL, abs=1e-12)
        assert ours.running_mean == pytest.approx(theirs.running_mean.tolist(), rel=1e-12)
        assert ours.running_var == pytest.approx(theirs.running_var.tolist(), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_layer_norm_matches_torch(seed: int) -> None:
    rng = random.Random(50 + seed)
    n = rng.randint(2, 6)
    ours, theirs = LayerNorm(n), torch.nn.LayerNorm(n, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        for j in range(n):
            gamma, beta = rng.uniform(0.5, 2.0), rng.uniform(-1.0, 1.0)
            ours.weight[j].data, ours.bias[j].data = gamma, beta
            theirs.weight[j], theirs.bias[j] = gamma, beta
    row = [rng.gauss(0.0, 3.0) for _ in range(n)]
    upstream = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    xs = [Value(v) for v in row]
    out = ours(xs)
    x = tensor([row])
    y = theirs(x)
    assert [v.data for v in out] == pytest.approx(y[0].tolist(), rel=REL)
    F.dot(upstream, out).backward()
    (y[0] * torch.tensor(upstream, dtype=torch.float64)).sum().backward()
    assert [v.grad for v in xs] == pytest.approx(x.grad[0].tolist(), rel=REL, abs=1e-12)
    assert [w.grad for w in ours.weight] == pytest.approx(theirs.weight.grad.tolist(), rel=REL, abs=1e-12)
    assert [b.grad for b in ours.bias] == pytest.approx(theirs.bias.grad.tolist(), rel=REL, abs=1e-12)
