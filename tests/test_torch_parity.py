"""Development-only: the same numbers as PyTorch for losses and optimizer steps (skipped without torch)."""

from __future__ import annotations

import pytest

from micrograd_plus import Value, losses, optim

torch = pytest.importorskip("torch")


def as_tensor(xs: list[float]) -> object:
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def test_losses_match_torch() -> None:
    nn_functional = torch.nn.functional
    preds, targets = [0.2, 0.7, 0.9], [0.0, 1.0, 1.0]
    logits = [-3.0, 0.5, 1000.0]
    cases = [
        (
            losses.mse(preds, targets),
            nn_functional.mse_loss(as_tensor(preds), torch.tensor(targets, dtype=torch.float64)),
        ),
        (
            losses.binary_cross_entropy(preds, targets),
            nn_functional.binary_cross_entropy(as_tensor(preds), torch.tensor(targets, dtype=torch.float64)),
        ),
        (
            losses.binary_cross_entropy_with_logits(logits, targets),
            nn_functional.binary_cross_entropy_with_logits(
                as_tensor(logits), torch.tensor(targets, dtype=torch.float64)
            ),
        ),
        (
            losses.cross_entropy([[1.0, 2.0, -1.0], [1000.0, 0.0, -1000.0]], [2, 1]),
            nn_functional.cross_entropy(
                torch.tensor([[1.0, 2.0, -1.0], [1000.0, 0.0, -1000.0]], dtype=torch.float64), torch.tensor([2, 1])
            ),
        ),
    ]
    for ours, theirs in cases:
        assert ours.data == pytest.approx(theirs.item(), rel=1e-12)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
            lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.9, weight_decay=0.01),
        ),
        (
            lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
            lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.9, nesterov=True),
        ),
        (
            lambda ps: optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
            lambda ts: torch.optim.Adam(ts, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
        ),
    ],
)
def test_optimizer_steps_match_torch(ours: object, theirs: object) -> None:
    start = [1.0, -0.5, 2.0]
    params = [Value(x) for x in start]
    tensor = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt, topt = ours(params), theirs([tensor])  # type: ignore[operator]
    for step in range(5):
        grads = [0.3 * step - 1.0, 2.0, -0.1 * step]
        for p, g in zip(params, grads):
            p.grad = g
        tensor.grad = torch.tensor(grads, dtype=torch.float64)
        opt.step()
        topt.step()
        assert [p.data for p in params] == pytest.approx(tensor.detach().tolist(), rel=1e-14, abs=1e-15)


@pytest.mark.parametrize(
    ("p", "t"),
    [(0.0, 1.0), (1e-20, 1.0), (1e-13, 1.0), (1e-12, 1.0), (1e-11, 1.0), (1e-45, 1.0), (1e-50, 0.0), (1e-17, 0.0),
     (1.0, 0.0), (1.0 - 1e-13, 0.0), (0.0, 0.0), (1.0, 1.0), (0.0, 0.5), (0.5, 0.3), (0.999, 0.2)],
)  # fmt: skip
def test_binary_cross_entropy_matches_torch_where_its_clamps_are_active(p: float, t: float) -> None:
    x = Value(p)
    loss = losses.binary_cross_entropy(x, t)
    loss.backward()
    theirs_x = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy(theirs_x, torch.tensor(t, dtype=torch.float64))
    theirs.backward()
    assert loss.data == pytest.approx(theirs.item(), rel=1e-12, abs=1e-15)
    assert x.grad == pytest.approx(theirs_x.grad.item(), rel=1e-12, abs=1e-15)
