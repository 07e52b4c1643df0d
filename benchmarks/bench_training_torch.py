"""The PyTorch row of bench_training.py, run in its own process (importing torch adds ~150,000 objects for the
collector to walk, which would slow the pure-Python contenders). Reads one request per line, ``[weights, window]``:
loads the weights (per layer: rows, biases), runs ``window`` W1 steps and answers ``[seconds, losses]``."""

from __future__ import annotations

import json
import sys
import time

from bench_nn import Y_PM1, X


def torch_worker() -> None:
    try:
        import torch
    except ImportError:
        print("no torch", flush=True)
        return
    torch.set_num_threads(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).double()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    inputs, targets = torch.tensor(X, dtype=torch.float64), torch.tensor(Y_PM1, dtype=torch.float64)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)

    def step() -> float:
        loss = torch.relu(1.0 - targets * model(inputs)[:, 0]).mean()
        loss = loss + 1e-4 * sum((p * p).sum() for p in model.parameters())
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        return float(loss.item())

    print("ready", flush=True)
    for line in sys.stdin:
        state, window = json.loads(line)
        with torch.no_grad():
            for linear, (rows, bias) in zip(linears, state):
                linear.weight.copy_(torch.tensor(rows, dtype=torch.float64))
                linear.bias.copy_(torch.tensor(bias, dtype=torch.float64))
        start = time.perf_counter()
        found = [step() for _ in range(window)]
        print(json.dumps([time.perf_counter() - start, found]), flush=True)


if __name__ == "__main__":
    torch_worker()
