"""microgpt's GPT from scalar Values: attention against its formula, the cache against the whole sequence,
microgpt's weights against a plain-float forward, gradients, training, Adam with linear decay, bad input."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from micrograd_plus import Value, gradcheck_module, losses, optim
from micrograd_plus.nn import GPT, CausalSelfAttention, Embedding, RMSNorm, load_microgpt_weights

Floats = list[list[float]]
TINY = {"vocab_size": 5, "n_embd": 4, "n_head": 2, "block_size": 4}


def grads_of(params: Sequence[Value], loss: Value) -> list[float]:
    """d loss / d p for each p, read after a fresh backward (gradients zeroed first, left zeroed after)."""
    for p in params:
        p.grad = 0.0
    loss.backward()
    out = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return out


def weighted(rows: Sequence[Sequence[Value]], seed: int) -> Value:
    """Σ c_ij · y_ij with fixed random c: a loss that reaches every output with its own weight."""
    rng = random.Random(seed)
    total = Value(0.0)
    for row in rows:
        for y in row:
            total = total + rng.uniform(-1.0, 1.0) * y
    return total


# -- attention against its formula, written out with plain Value operations ----------------------------------


def attention_by_hand(attn: CausalSelfAttention, xs: list[list[Value]]) -> list[list[Value]]:
    """y_t = Wo·concat_h Σ_τ≤t softmax_τ(q_t[h]·k_τ[h] / √d) v_τ[h], with +, *, /, exp only (no library helpers)."""

    def matvec(w: list[list[Value]], x: list[Value]) -> list[Value]:
        out = []
        for row in w:
            total = Value(0.0)
            for a, b in zip(row, x):
                total = total + a * b
            out.append(total)
        return out

    d = attn.head_dim
    qs, ks, vs = ([matvec(w, x) for x in xs] for w in (attn.wq, attn.wk, attn.wv))
    outputs = []
    for t in range(len(xs)):
        concat: list[Value] = []
        for h in range(attn.n_head):
            cols = range(h * d, (h + 1) * d)
            scores = []
            for tau in range(t + 1):
                s = Value(0.0)
                for j in cols:
                    s = s + qs[t][j] * ks[tau][j]
                scores.append(s / math.sqrt(d))
            top = max(s.data for s in scores)
            exps = [(s - top).exp() for s in scores]
            norm = Value(0.0)
            for e in exps:
                norm = norm + e
            for j in cols:
                acc = Value(0.0)
                for tau in range(t + 1):
                    acc = acc + exps[tau] / norm * vs[tau][j]
                concat.append(acc)
        outputs.append(matvec(attn.wo, concat))
    return outputs


@pytest.mark.parametrize(
    ("n_embd", "n_head", "length", "seed"), [(4, 2, 3, 0), (6, 3, 4, 1), (8, 1, 5, 2), (6, 6, 2, 3)]
)
def test_attention_equals_its_formula_in_values_and_gradients(n_embd: int, n_head: int, length: int, seed: int) -> None:
    rng = random.Random(seed)
    attn = CausalSelfAttention(n_embd, n_head, block_size=length, std=0.5, seed=seed)
    xs = [[Value(rng.gauss(0.0, 1.0)) for _ in range(n_embd)] for _ in range(length)]
    leaves = [*attn.parameters(), *(x for row in xs for x in row)]
    ours, reference = attn(xs), attention_by_hand(attn, xs)
    for row, ref in zip(ours, reference):
        assert [y.data for y in row] == pytest.approx([r.data for r in ref], rel=1e-12, abs=1e-15)
    got = grads_of(leaves, weighted(ours, seed))
    want = grads_of(leaves, weighted(reference, seed))
    assert got == pytest.approx(want, rel=1e-10, abs=1e-14)
    assert any(abs(g) > 1e-3 for g in got)  # the comparison is not of zeros


def test_attention_at_the_first_position_is_wo_wv_x_and_later_positions_do_not_reach_back() -> None:
    attn = CausalSelfAttention(4, 2, block_size=3, std=0.5, seed=4)
    xs = [[0.3, -0.2, 0.9, 0.1], [1.0, 0.5, -0.5, 0.2], [-0.4, 0.8, 0.0, 0.6]]
    first = attn(xs)[0]
    wv = [[w.data for w in row] for row in attn.wv]
    wo = [[w.data for w in row] for row in attn.wo]
    v0 = [sum(a * b for a, b in zip(row, xs[0])) for row in wv]  # one key: its softmax weight is 1
    assert [y.data for y in first] == pytest.approx([sum(a * b for a, b in zip(row, v0)) for row in wo], rel=1e-12)
    inputs = [[Value(x) for x in row] for row in xs]
    out = attn(inputs)
    grads = grads_of([x for row in inputs for x in row], weighted([out[1]], 0))
    assert all(g == 0.0 for g in grads[8:]) and any(grads[:8])  # causal: y_1 depends on x_0, x_1 only


# -- one token at a time with the cache equals the whole sequence -------------------------------------------


def test_cached_attention_equals_the_whole_sequence_in_values_and_gradients() -> None:
    attn = CausalSelfAttention(6, 2, block_size=5, std=0.4, seed=7)
    rng = random.Random(7)
    xs = [[Value(rng.gauss(0.0, 1.0)) for _ in range(6)] for _ in range(5)]
    leaves = [*attn.parameters(), *(x for row in xs for x in row)]
    cache = attn.new_cache()
    stepped = [attn.step(x, cache) for x in xs]
    whole = attn(xs)
    assert len(cache) == 5 and len(cache.values) == 5 and "5 of 5" in repr(cache)
    assert [y.data for row in stepped for y in row] == pytest.approx([y.data for row in whole for y in row], rel=1e-14)
    assert grads_of(leaves, weighted(stepped, 1)) == pytest.approx(grads_of(leaves, weighted(whole, 1)), rel=1e-12)


@pytest.mark.parametrize("tokens", [[0], [0, 3], [1, 4, 2, 0], [2, 2, 2, 2]])
def test_gpt_one_token_at_a_time_equals_the_whole_sequence(tokens: list[int]) -> None:
    model = GPT(**TINY, n_layer=2, std=0.3, seed=11)
    cache = model.new_cache()
    stepped = [model.step(t, cache) for t in tokens]
    whole = model(tokens)
    assert [z.data for row in stepped for z in row] == pytest.approx([z.data for row in whole for z in row], rel=1e-14)
    params = model.parameters()
    targets = [(t + 1) % 5 for t in tokens]
    by_step = grads_of(params, losses.cross_entropy(stepped, targets))
    assert by_step == pytest.approx(grads_of(params, losses.cross_entropy(whole, targets)), rel=1e-12, abs=1e-16)
    assert any(by_step)


# -- microgpt's weights: the logits of a plain-float forward written as microgpt writes it -------------------


def microgpt_logits(weights: dict[str, Floats], tokens: list[int], n_head: int) -> list[list[float]]:
    """microgpt's ``gpt`` over plain floats, position by position with its keys/values lists."""
    n_layer = sum(name.endswith("attn_wq") for name in weights)

    def linear(x: list[float], w: Floats) -> list[float]:
        return [sum(wi * xi for wi, xi in zip(wo, x)) for wo in w]

    def softmax(logits: list[float]) -> list[float]:
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def rmsnorm(x: list[float]) -> list[float]:
        ms = sum(xi * xi for xi in x) / len(x)
        scale = (ms + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    keys: list[list[list[float]]] = [[] for _ in range(n_layer)]
    values: list[list[list[float]]] = [[] for _ in range(n_layer)]
    out = []
    for pos_id, token_id in enumerate(tokens):
        x = [t + p for t, p in zip(weights["wte"][token_id], weights["wpe"][pos_id])]
        x = rmsnorm(x)
        for li in range(n_layer):
            x_residual = x
            x = rmsnorm(x)
            q = linear(x, weights[f"layer{li}.attn_wq"])
            k = linear(x, weights[f"layer{li}.attn_wk"])
            v = linear(x, weights[f"layer{li}.attn_wv"])
            keys[li].append(k)
            values[li].append(v)
            head_dim = len(x) // n_head
            x_attn: list[float] = []
            for h in range(n_head):
                hs = h * head_dim
                q_h = q[hs : hs + head_dim]
                k_h = [ki[hs : hs + head_dim] for ki in keys[li]]
                v_h = [vi[hs : hs + head_dim] for vi in values[li]]
                attn_logits = [
                    sum(q_h[j] * k_h[t][j] for j in range(head_dim)) / head_dim**0.5 for t in range(len(k_h))
                ]
                attn_weights = softmax(attn_logits)
                x_attn.extend(sum(attn_weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(head_dim))
            x = linear(x_attn, weights[f"layer{li}.attn_wo"])
            x = [a + b for a, b in zip(x, x_residual)]
            x_residual = x
            x = rmsnorm(x)
            x = linear(x, weights[f"layer{li}.mlp_fc1"])
            x = [max(xi, 0.0) for xi in x]
            x = linear(x, weights[f"layer{li}.mlp_fc2"])
            x = [a + b for a, b in zip(x, x_residual)]
        out.append(linear(x, weights["lm_head"]))
    return out


def microgpt_weights(
    vocab: int, n_embd: int, block: int, n_layer: int, seed: int, std: float = 0.3
) -> dict[str, Floats]:
    """A state dict in microgpt's layout (name -> rows of floats), drawn as its ``matrix(nout, nin)``."""
    rng = random.Random(seed)

    def matrix(nout: int, nin: int) -> Floats:
        return [[rng.gauss(0, std) for _ in range(nin)] for _ in range(nout)]

    weights = {"wte": matrix(vocab, n_embd), "wpe": matrix(block, n_embd), "lm_head": matrix(vocab, n_embd)}
    for i in range(n_layer):
        for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo"):
            weights[f"layer{i}.{name}"] = matrix(n_embd, n_embd)
        weights[f"layer{i}.mlp_fc1"] = matrix(4 * n_embd, n_embd)
        weights[f"layer{i}.mlp_fc2"] = matrix(n_embd, 4 * n_embd)
    return weights


@pytest.mark.parametrize(
    ("vocab", "n_embd", "n_head", "block", "n_layer", "tokens"),
    [(5, 4, 2, 4, 1, [0, 3, 1, 4]), (27, 16, 4, 16, 1, [26, 4, 12, 12, 0, 26]), (7, 6, 3, 5, 2, [1, 6, 2, 0, 5])],
)
def test_loading_microgpt_weights_gives_the_logits_and_loss_of_its_forward(
    vocab: int, n_embd: int, n_head: int, block: int, n_layer: int, tokens: list[int]
) -> None:
    weights = microgpt_weights(vocab, n_embd, block, n_layer, seed=vocab)
    model = GPT(vocab, n_embd=n_embd, n_head=n_head, n_layer=n_layer, block_size=block, seed=0)
    load_microgpt_weights(model, weights)
    reference = microgpt_logits(weights, tokens, n_head)
    cache = model.new_cache()
    for ours in (model(tokens), [model.step(t, cache) for t in tokens]):
        for row, ref in zip(ours, reference):
            assert [z.data for z in row] == pytest.approx(ref, rel=1e-12, abs=1e-14)
    ref_loss = sum(
        math.log(sum(math.exp(z) for z in ref)) - ref[target] for ref, target in zip(reference[:-1], tokens[1:])
    ) / (len(tokens) - 1)
    assert model.loss(tokens).data == pytest.approx(ref_loss, rel=1e-12)
    state = model.state_dict()  # the names are microgpt's, entries name.row.column
    assert state["wte.2.1"] == weights["wte"][2][1]
    assert state[f"layer{n_layer - 1}.mlp_fc2.1.3"] == weights[f"layer{n_layer - 1}.mlp_fc2"][1][3]


def test_microgpt_values_load_as_they_are_and_names_are_listed_in_its_order() -> None:
    class MicroValue:  # microgpt's own Value: a number in .data
        def __init__(self, data: float) -> None:
            self.data = data

    weights = microgpt_weights(5, 4, 4, 1, seed=1)
    as_values = {name: [[MicroValue(x) for x in row] for row in rows] for name, rows in weights.items()}
    model = GPT(**TINY, seed=0)
    load_microgpt_weights(model, as_values)  # type: ignore[arg-type]
    assert model.wte[4][3].data == weights["wte"][4][3]
    prefixes = list(dict.fromkeys(name.rsplit(".", 2)[0] for name in model.state_dict()))
    assert prefixes == list(weights)  # wte, wpe, lm_head, layer0.attn_wq ... layer0.mlp_fc2


def test_default_init_draws_n_0_008_in_microgpts_order() -> None:
    model = GPT(vocab_size=27, seed=random.Random(42))
    rng = random.Random(42)
    drawn = [rng.gauss(0, 0.08) for _ in range(len(model.parameters()))]
    assert [p.data for p in model.parameters()] == drawn  # same order as microgpt's state_dict, value for value
    assert model.config() == {
        "vocab_size": 27,
        "n_embd": 16,
        "n_head": 4,
        "n_layer": 1,
        "block_size": 16,
        "std": 0.08,
        "eps": 1e-5,
    }
    assert len(model.parameters()) == 27 * 16 * 2 + 16 * 16 + 4 * 16 * 16 + 2 * 64 * 16  # 4192, as microgpt


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda w: w.pop("lm_head"), r"missing \['lm_head'\]"),
        (lambda w: w.update({"layer1.attn_wq": w["layer0.attn_wq"]}), r"unexpected \['layer1\.attn_wq'\]"),
        (lambda w: w["wte"].pop(), r"weights\['wte'\] must have 5 rows, got 4; .*vocab_size 5"),
        (lambda w: w["layer0.mlp_fc1"][3].append(0.0), r"weights\['layer0\.mlp_fc1'\]\[3\] must have 4 numbers, got 5"),
        (lambda w: w["wpe"][0].__setitem__(1, "x"), r"weights\['wpe'\]\[0\]\[1\] must be a number, got"),
        (lambda w: w["wpe"][0].__setitem__(1, math.nan), r"'wpe\.0\.1' must be a finite number"),
        (lambda w: w["wpe"][0].__setitem__(1, 10**400), r"weights\['wpe'\]\[0\]\[1\] = int 1000.* too large for a"),
        (lambda w: w.update(wte=np.zeros((4, 4))), r"weights\['wte'\] must have 5 rows, got 4"),
    ],
)
def test_microgpt_weights_that_do_not_fit_are_refused_and_nothing_is_loaded(
    change: Callable[[dict[str, Floats]], object], message: str
) -> None:
    model = GPT(**TINY, seed=3)
    before = model.state_dict()
    weights = microgpt_weights(5, 4, 4, 1, seed=2)
    change(weights)
    with pytest.raises((ValueError, TypeError), match=message):
        load_microgpt_weights(model, weights)
    assert model.state_dict() == before


def test_microgpt_weights_as_numpy_matrices_load_as_their_lists() -> None:
    model, twin = GPT(**TINY, seed=3), GPT(**TINY, seed=4)
    weights = microgpt_weights(5, 4, 4, 1, seed=2)
    load_microgpt_weights(model, weights)
    load_microgpt_weights(twin, {name: np.array(rows) for name, rows in weights.items()})
    assert twin.state_dict() == model.state_dict()


# -- gradients, training, Adam with linear decay ---------------------------------------------------------------


def test_gradcheck_module_passes_on_a_tiny_gpt() -> None:
    model = GPT(**TINY, std=0.5, seed=5)
    report = gradcheck_module(model, lambda m: m.loss([0, 3, 1, 4, 2]))
    assert report.ok, report


def test_rmsnorm_and_embedding_values_and_gradients() -> None:
    xs = [Value(3.0), Value(-4.0), Value(1.0)]
    ys = RMSNorm(3)(xs)
    s = (26.0 / 3 + 1e-5) ** -0.5
    assert [y.data for y in ys] == pytest.approx([3 * s, -4 * s, s], rel=1e-15)
    grads = grads_of(xs, ys[0])  # ∂y_0/∂x_i = s·δ_0i − s³·x_0·x_i / n
    assert grads == pytest.approx([s - s**3 * 9 / 3, s**3 * 12 / 3, -(s**3) * 3 / 3], rel=1e-12)
    assert RMSNorm(3).parameters() == []
    table = Embedding(4, 3, seed=0)
    row = table(np.int64(2))
    assert [v is w for v, w in zip(row, table.weight[2])] == [True] * 3
    grads = grads_of(table.parameters(), row[1] * 5.0)
    assert grads[2 * 3 + 1] == 5.0 and sum(map(abs, grads)) == 5.0  # the gradient lands in the row looked up


def test_training_twenty_steps_with_adam_and_linear_decay_lowers_the_loss() -> None:
    data = [[0, 1, 2, 3, 0], [0, 2, 1, 0], [0, 3, 3, 4, 0], [0, 4, 1, 0]]
    model = GPT(**TINY, seed=0)

    def mean_loss() -> float:
        return sum(model.loss(d).data for d in data) / len(data)

    before = mean_loss()
    schedule = optim.LinearDecay(optim.Adam(model.parameters(), lr=0.05, betas=(0.85, 0.99)), total_steps=20)
    for step in range(20):
        model.zero_grad()
        model.loss(data[step % len(data)]).backward()
        schedule.step()
    after = mean_loss()
    assert after < before - 0.3, (before, after)
    assert schedule.optimizer.lr == pytest.approx(0.05 / 20)  # the last step's lr, lr·(1 − 19/20)
    with pytest.raises(ValueError, match=r"the schedule's 20 steps are done .* larger total_steps"):
        schedule.step()


def test_adam_with_linear_decay_is_microgpts_update_step_by_step() -> None:
    rng = random.Random(0)
    start = [rng.uniform(-1, 1) for _ in range(4)]
    gradients = [[rng.uniform(-2, 2) for _ in range(4)] for _ in range(3)]
    params = [Value(x) for x in start]
    schedule = optim.LinearDecay(optim.Adam(params, lr=0.01, betas=(0.85, 0.99), eps=1e-8), total_steps=3)
    # microgpt's loop, written as it is
    learning_rate, beta1, beta2, eps_adam, num_steps = 0.01, 0.85, 0.99, 1e-8, 3
    data, m, v = list(start), [0.0] * 4, [0.0] * 4
    for step in range(num_steps):
        lr_t = learning_rate * (1 - step / num_steps)
        for i, g in enumerate(gradients[step]):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g**2
            m_hat = m[i] / (1 - beta1 ** (step + 1))
            v_hat = v[i] / (1 - beta2 ** (step + 1))
            data[i] -= lr_t * m_hat / (v_hat**0.5 + eps_adam)
        for p, g in zip(params, gradients[step]):
            p.grad = g
        schedule.step()
        assert schedule.optimizer.lr == lr_t
        assert [p.data for p in params] == pytest.approx(data, rel=1e-14)
    assert [p.data for p in params] != pytest.approx(start)


def test_a_scheduled_step_that_fails_changes_neither_parameters_nor_learning_rate() -> None:
    p = Value(1.0)
    schedule = optim.LinearDecay(optim.Adam([p], lr=0.1), total_steps=4)
    p.grad = 1.0
    schedule.step()
    lr, data = schedule.optimizer.lr, p.data
    p.grad = math.nan
    with pytest.raises(ValueError, match="gradient of parameter 0 is nan"):
        schedule.step()
    assert (schedule.optimizer.lr, p.data, schedule.optimizer.steps) == (lr, data, 1)
    with pytest.raises(ValueError, match=r"total_steps must be a whole number >= 1, got 0"):
        optim.LinearDecay(schedule.optimizer, total_steps=0)
    with pytest.raises(TypeError, match="LinearDecay schedules an optimizer"):
        optim.LinearDecay([p], total_steps=3)  # type: ignore[arg-type]


def test_a_schedules_learning_rate_is_read_only_and_says_where_to_set_it() -> None:
    p = Value(1.0)
    schedule = optim.LinearDecay(optim.SGD([p], lr=0.1), total_steps=10)
    assert schedule.lr == 0.1
    with pytest.raises(AttributeError, match=r"lr = 0.0001 would be overwritten; set base_lr"):
        schedule.lr = 1e-4
    p.grad = 1.0
    schedule.step()
    assert schedule.lr == pytest.approx(0.09) and p.data == pytest.approx(0.9)
    schedule.base_lr = 0.2
    schedule.step()
    assert p.data == pytest.approx(0.9 - 0.2 * 0.9)


def test_a_gpt_saves_and_loads_under_microgpts_names(tmp_path: Path) -> None:
    model, copy = GPT(**TINY, n_layer=2, seed=1), GPT(**TINY, n_layer=2, seed=2)
    model.save(tmp_path / "gpt.json")
    copy.load(tmp_path / "gpt.json")
    assert copy.state_dict() == model.state_dict()
    assert [z.data for z in copy([0, 1])[1]] == [z.data for z in model([0, 1])[1]]
    assert [path for path, _ in model.named_modules()][:4] == [
        "layer0",
        "layer0.attn_norm",
        "layer0.mlp_norm",
        "layer0.attn",
    ]


def test_a_schedule_zeroes_its_optimizers_gradients() -> None:
    params = [Value(1.0), Value(-2.0)]
    schedule = optim.LinearDecay(optim.SGD(params, lr=0.1), total_steps=3)
    for p in params:
        p.grad = 5.0
    schedule.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]
