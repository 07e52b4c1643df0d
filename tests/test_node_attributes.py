"""Every node, whichever way it was made, exposes the public attributes with their meaning.

``data`` its value (a float), ``grad`` d(root)/d(node) after backward() (a float), ``op`` the name of the op
that made it ('' for a leaf), ``parents`` its operands in order (a tuple of Values), ``local_grads[i]`` =
d(node)/d(parents[i]) at the forward values (a tuple of floats, one per parent), ``label`` a string and
``scope`` the module call that made it (``(tag, enclosing scope)`` or None).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from micrograd_plus import Value, fn
from micrograd_plus import functional as F
from micrograd_plus.nn import MLP
from micrograd_plus.scopes import scope

a, b, c = 1.5, -0.5, 2.0

# (how the node is made from leaves x, y, z; its op; its value; d/d(each parent))
CASES: list[tuple[str, Callable[[Value, Value, Value], Value], str, float, tuple[float, ...]]] = [
    ("add", lambda x, y, z: x + y, "+", a + b, (1.0, 1.0)),
    ("sub", lambda x, y, z: x - y, "-", a - b, (1.0, -1.0)),
    ("mul", lambda x, y, z: x * y, "*", a * b, (b, a)),
    ("neg", lambda x, y, z: -x, "neg", -a, (-1.0,)),
    ("relu on", lambda x, y, z: x.relu(), "relu", a, (1.0,)),
    ("relu off", lambda x, y, z: y.relu(), "relu", 0.0, (0.0,)),
    ("tanh", lambda x, y, z: x.tanh(), "tanh", math.tanh(a), (1.0 - math.tanh(a) ** 2,)),
    ("exp", lambda x, y, z: x.exp(), "exp", math.exp(a), (math.exp(a),)),
    ("fn.log", lambda x, y, z: fn.log(z), "log", math.log(c), (1.0 / c,)),
    ("dot", lambda x, y, z: F.dot([x, y], [y, z]), "dot", a * b + b * c, (b, c, a, b)),
    ("affine", lambda x, y, z: F.affine([x, y], [y, z], z), "dot", a * b + b * c + c, (b, c, a, b, 1.0)),
    ("sum", lambda x, y, z: F.sum([x, y, z]), "sum", a + b + c, (1.0, 1.0, 1.0)),
    ("mean", lambda x, y, z: F.mean([x, y]), "mean", (a + b) / 2, (0.5, 0.5)),
    ("from_op", lambda x, y, z: Value.from_op(a**3, [x], [3 * a**2], "cube"), "cube", a**3, (3 * a**2,)),
]


def leaves() -> tuple[Value, Value, Value]:
    return Value(a, label="x"), Value(b, label="y"), Value(c, label="z")


@pytest.mark.parametrize(("name", "make", "op", "value", "local"), CASES, ids=[case[0] for case in CASES])
def test_every_public_attribute_with_its_meaning(
    name: str, make: Callable[[Value, Value, Value], Value], op: str, value: float, local: tuple[float, ...]
) -> None:
    x, y, z = leaves()
    with scope("made here"):
        v = make(x, y, z)
    assert type(v.data) is float and v.data == pytest.approx(value)
    assert v.op == op and v.label == "" and v.scope == ("made here", None)
    assert type(v.parents) is tuple and all(isinstance(p, Value) for p in v.parents)
    assert type(v.local_grads) is tuple and all(type(g) is float for g in v.local_grads)
    assert len(v.local_grads) == len(v.parents) and v.local_grads == pytest.approx(local)
    assert {p.label for p in v.parents} <= {"x", "y", "z"}
    assert type(v.grad) is float and v.grad == 0.0
    v.backward()
    assert v.grad == 1.0
    for leaf in (x, y, z):  # d(v)/d(leaf) = Σ over the leaf's edges of its local derivative
        expected = sum(g for p, g in zip(v.parents, v.local_grads) if p is leaf)
        assert leaf.grad == pytest.approx(expected)
    assert v.named("v") is v and v.label == "v"


def test_a_leaf() -> None:
    x = Value(2.0, label="x")
    assert (x.data, x.grad, x.op, x.parents, x.local_grads, x.label, x.scope) == (2.0, 0.0, "", (), (), "x", None)


def test_the_nodes_of_a_model_record_their_module_calls() -> None:
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])[0]
    hidden, last = model.layers
    assert out.scope is not None and out.scope[0] is last.neurons[0]
    assert out.scope[1] == (last, (model, None))
    z = out  # the last layer has no activation: its output is the dot node itself
    assert z.op == "dot" and len(z.parents) == 2 * 3 + 1
    assert z.parents[:3] == tuple(last.neurons[0].w) and z.parents[-1] is last.neurons[0].b
    assert z.local_grads[3:6] == tuple(w.data for w in last.neurons[0].w)  # d/dx_i = w_i
    assert z.local_grads[:3] == tuple(h.data for h in z.parents[3:6])  # d/dw_i = x_i
    relu = z.parents[3]
    assert relu.op == "relu" and relu.scope is not None and relu.scope[1] == (hidden, (model, None))
