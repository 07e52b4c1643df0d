"""Each op rule held once: the arithmetic mixin, op families that stay bounded, built-ins that survive
``replace=True``, constant operands, derivative messages, imports without side effects."""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from micrograd_plus import Value, define_op, ops
from micrograd_plus.autodiff import Dual
from micrograd_plus.compile import compile_graph
from micrograd_plus.ops.symbols import Symbol
from micrograd_plus.viz.explain import local_formula

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # this checkout's package
FUNCTIONS = sorted(n for n, op in ops.BUILTINS.items() if op.kind in ("function", "activation") and n.isidentifier())
ARITHMETIC = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__pow__", "__rpow__", "__neg__", "__abs__"]  # fmt: skip


# -- one arithmetic mixin ---------------------------------------------------------------------------------------------


def test_the_guard_sees_every_registry_function() -> None:
    registered = {n for n, op in ops.REGISTRY.items() if op.kind in ("function", "activation") and n.isidentifier()}
    assert registered <= set(FUNCTIONS) and len(FUNCTIONS) >= 20
    assert {"arcsin", "atan2", "leaky_relu", "softplus", "expm1"} <= set(FUNCTIONS)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_registry_function_has_a_method_on_arithmetic(name: str) -> None:
    method = ops.Arithmetic.__dict__.get(name)
    assert method is not None, f"add a method {name}(self) to micrograd_plus.ops.arithmetic.Arithmetic"
    assert method.__doc__ and "d/d" in method.__doc__, f"give Arithmetic.{name} a one-line docstring with its math"
    entry = ops.BUILTINS[name]
    others = [0.7] if entry.arity == 2 else []
    assert getattr(Dual(0.3, 1.0), name)(*others) == Dual.apply_op(entry, Dual(0.3, 1.0), *others)
    assert getattr(Symbol("x"), name)(*others).code == Symbol.apply_op(entry, Symbol("x"), *others).code


def test_dual_and_symbol_take_their_arithmetic_from_the_mixin() -> None:
    assert issubclass(Dual, ops.Arithmetic) and issubclass(Symbol, ops.Arithmetic)
    assert not set(Dual.__dict__) & {*ARITHMETIC, *FUNCTIONS}
    assert not set(Symbol.__dict__) & {"__abs__", *FUNCTIONS}  # only the infix operators, for their parentheses
    assert ops.Arithmetic.__slots__ == ()
    d, e = Dual(2.0, 1.0), Dual(3.0, 0.5)
    assert (d + 1, 1 + d, d - 1, 1 - d, d * 2, 2 * d) == (Dual(3.0, 1.0), Dual(3.0, 1.0), Dual(1.0, 1.0),
                                                          Dual(-1.0, -1.0), Dual(4.0, 2.0), Dual(4.0, 2.0))  # fmt: skip
    assert (d / 2, 2 / d, -d, abs(-d)) == (Dual(1.0, 0.5), Dual(1.0, -0.5), Dual(-2.0, -1.0), Dual(2.0, 1.0))
    assert d**3 == Dual(8.0, 12.0) and (d**3).value == 8.0
    assert (d**e).tangent == pytest.approx(3.0 * 4.0 * 1.0 + 8.0 * math.log(2.0) * 0.5)
    assert (2**d).tangent == pytest.approx(4.0 * math.log(2.0))


def test_a_subclass_can_write_a_hot_method_out() -> None:
    made: list[str] = []

    class Traced(ops.Arithmetic):
        __slots__ = ("x",)

        def __init__(self, x: float) -> None:
            self.x = x

        @classmethod
        def apply_op(cls, op: ops.Op, *operands: Any) -> Traced:
            made.append(op.name)
            return Traced(op.evaluate(*[o.x if isinstance(o, Traced) else float(o) for o in operands]))

        def __add__(self, other: Any) -> Traced:  # written out: no registry lookup
            return Traced(self.x + (other.x if isinstance(other, Traced) else other))

    t = Traced(2.0)
    assert (t + 1).x == 3.0 and made == []
    assert (1 + t).x == 3.0 and (t * t).x == 4.0 and t.exp().x == math.exp(2.0) and (t**2).x == 4.0
    assert made == ["+", "*", "exp", "**2"]


# -- op families that stay bounded ------------------------------------------------------------------------------------


def _churn(x: Value, start: int, n: int) -> None:
    for i in range(start, start + n):
        p, slope = 1.0 + i * 1e-6, 0.01 + i * 1e-7
        y = x**p
        assert (y.op, y.parameter) == (f"**{p!r}", p)
        z = Value(-0.5).leaky_relu(slope)
        assert (z.op, z.parameter, z.local_grads) == (f"leaky_relu({slope!r})", slope, (slope,))
        assert Value.from_op(1.0, [x], [2.0], f"made{i}").op == f"made{i}"


def test_op_families_stay_bounded() -> None:
    names, x = set(ops.REGISTRY), Value(1.5)
    gc.collect()
    tracemalloc.start()
    try:
        _churn(x, 0, 10_000)
        gc.collect()
        first = tracemalloc.get_traced_memory()[0]
        _churn(x, 10_000, 10_000)
        gc.collect()
        second = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert second - first < 100_000, f"10,000 more exponents, slopes and names kept {second - first} bytes"
    assert set(ops.REGISTRY) == names


def test_family_members_work_after_their_cache_entry_is_gone() -> None:
    x = Value(2.0, "x")
    cube, leaky = x**3, Value(-2.0, "v").leaky_relu(0.2)
    _churn(Value(1.5), 0, 2 * ops.FAMILY_CACHE)  # evicts both entries from the caches
    assert ops.power(3) is ops.power(3) and ops.power(3).name == "**3" and ops.power(3.0).name == "**3.0"
    assert (cube.op, cube.parameter, leaky.op, leaky.parameter) == ("**3", 3.0, "leaky_relu(0.2)", 0.2)
    assert local_formula(cube, 0, lambda v: v.label) == "3·x^2 = 3·2^2 = 12"
    assert local_formula(leaky, 0, lambda v: v.label) == "v = -2 ≤ 0, so the slope 0.2"
    compiled = compile_graph(cube * leaky, [x])
    assert compiled.value_and_grad([3.0]) == (pytest.approx(27.0 * -0.4), [pytest.approx(3 * 9.0 * -0.4)])
    assert ops.power(3).expression == "{0} ** 3" and ops.power(3).emit == "({0} ** 3.0)"


@pytest.mark.parametrize("make", [lambda np: np.float64(2.0), lambda np: np.int64(2), lambda np: np.array(2.0)])
def test_numpy_exponents_and_slopes_are_numbers(make: Any) -> None:
    np = pytest.importorskip("numpy")
    assert (Value(3.0) ** make(np)).data == 9.0
    assert Value(-1.0).leaky_relu(make(np)).data == -2.0


# -- replacing a built-in keeps every built-in user working -----------------------------------------------------------


USERS = """
import math
from micrograd_plus import Value, fn, losses, ops
from micrograd_plus.autodiff import Dual, grad
from micrograd_plus.nn import MLP
for activation in ("sigmoid", "tanh", "relu", "leaky_relu", "softplus"):
    model = MLP(2, [3, 1], activation=activation, output_activation="sigmoid", seed=0)
    loss = losses.binary_cross_entropy(model([0.5, -1.0]), [1.0])
    loss.backward()
    assert math.isfinite(loss.data) and ops.activation(activation) is ops.BUILTINS[activation], activation
assert abs(losses.binary_cross_entropy_with_logits(Value(0.3), 1.0).data - math.log1p(math.exp(-0.3))) < 1e-15
for name in ("sigmoid", "tanh", "relu", "exp", "softplus"):
    entry = ops.BUILTINS[name]
    assert getattr(fn, name)(0.5) == entry.forward(0.5), name
    assert getattr(Value(0.5), name)().entry is entry, name
    assert getattr(Dual(0.5, 1.0), name)().tangent == entry.local_grads((0.5,), entry.forward(0.5))[0], name
s = fn.sigmoid(0.5)
assert abs(grad(grad(lambda v: v.softplus()))(0.5) - s * (1 - s)) < 1e-15
"""


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "exp"])
def test_replacing_a_builtin_keeps_every_builtin_user_working(name: str) -> None:
    original = ops.REGISTRY[name]
    try:
        mine = define_op(name, lambda x: 2.0 * x, lambda x, out: (2.0,), replace=True)
        assert ops.lookup(name) is mine.entry and mine(Value(1.0)).data == 2.0
        exec(USERS, {})
    finally:
        ops.register(original, replace=True)
    assert ops.REGISTRY[name] is ops.BUILTINS[name]


def test_replacing_builtins_before_their_first_use_in_a_fresh_process() -> None:
    script = (
        "from micrograd_plus import define_op\n"
        "for name in ('sigmoid', 'tanh', 'relu', 'exp', 'softplus', 'sign', 'xlogy', 'leaky_relu'):\n"
        "    define_op(name, lambda x: 0.0, lambda x, out: (0.0,), replace=True)\n" + USERS
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV)
    assert run.returncode == 0, run.stderr[-2000:]


# -- no import changes the registry -----------------------------------------------------------------------------------


def test_no_import_changes_the_registry() -> None:
    script = """
import importlib, pkgutil, warnings
import micrograd_plus
from micrograd_plus import ops
before = {name: op for name, op in ops.REGISTRY.items()}
import micrograd_plus.check.op_table
warnings.simplefilter("ignore")
for module in pkgutil.walk_packages(micrograd_plus.__path__, "micrograd_plus."):
    if module.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(module.name)
    except ImportError:
        pass
changed = {n for n in set(before) | set(ops.REGISTRY) if before.get(n) is not ops.REGISTRY.get(n)}
assert not changed, changed
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV)
    assert run.returncode == 0, run.stderr[-2000:]


# -- a constant operand never makes an op refuse ----------------------------------------------------------------------


def test_a_constant_operand_needs_no_derivative() -> None:
    with pytest.raises(ValueError, match=r"derivative d\(x \*\* y\)/dx is infinite at x = 0 for y = 0\.5"):
        ops.POW.local_grads((0.0, 0.5), 0.0)
    assert ops.POW.local_grads((0.0, 0.5), 0.0, constant=(0,)) == (0.0, 0.0)  # 0 ** y is 0 for all y > 0
    assert ops.POW.local_grads((-2.0, 3.0), -8.0, constant=[1]) == (12.0, 0.0)  # ln(-2) is not needed
    assert ops.ATAN2.local_grads((0.0, 0.0), 0.0, constant={0, 1}) == (0.0, 0.0)
    assert ops.SQRT.local_grads((0.0,), 0.0, constant=(0,)) == (0.0,)
    assert ops.XLOGY.local_grads((0.0, 0.0), 0.0, constant=(0, 1)) == (0.0, 0.0)
    with pytest.raises(ValueError, match=r"a·ln b has no derivative at b = 0\.0"):
        ops.XLOGY.local_grads((0.0, 0.0), 0.0, constant=(0,))
    wild = ops.Op("wild", lambda x, y: x * y, lambda x, y, out: (math.inf, x), arity=2, builtin=False)
    assert wild.local_grads((2.0, 3.0), 6.0, constant=(0,)) == (0.0, 2.0)
    with pytest.raises(OverflowError, match="derivative of 'wild' is inf"):
        wild.local_grads((2.0, 3.0), 6.0)


@pytest.mark.parametrize("y", [0.25, 0.5, 0.999, 1.0, 2.5])
def test_zero_to_a_dual_power(y: float) -> None:
    assert 0.0 ** Dual(y, 1.0) == Dual(0.0, 0.0)
    assert Dual.apply_op(ops.POW, 0.0, Dual(y, 1.0)) == Dual(0.0, 0.0)


@pytest.mark.parametrize("y", [0.0, -0.5])
def test_zero_to_a_power_without_a_derivative_is_refused(y: float) -> None:
    with pytest.raises(ValueError, match=r"needs x > 0 \(or x = 0 with y > 0\)"):
        0.0 ** Dual(y, 1.0)


@pytest.mark.parametrize("y", [0.25, 0.5, 0.999])
def test_zero_to_a_value_power_below_one(y: float) -> None:
    v = Value(y)
    out = 0.0**v
    out.backward()
    assert (out.data, v.grad) == (0.0, 0.0)


# -- a derivative that is not finite is called infinite; only an op without a value is undefined -------------------


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: Value(0.0, "x").sqrt(), r"the derivative of sqrt, 1/\(2√x\), is infinite at x = 0\.0 \(node 'x'\)"),
        (lambda: Dual(0.0, 1.0).sqrt(), r"the derivative of sqrt.* is infinite at x = 0\.0 \(operand 0\)"),
        (lambda: Value(1.0, "x").arcsin(), r"the derivative of arcsin.* is infinite at x = 1\.0 \(node 'x'\)"),
        (lambda: Value(-1.0).arcsin(), r"the derivative of arcsin.* is infinite at x = -1\.0"),
        (lambda: Value(1.0).arccos(), r"the derivative of arccos.* is infinite at x = 1\.0.*\(-1, 1\)"),
        (lambda: Value(0.0, "x") ** 0.5, r"the derivative d\(x \*\* 0\.5\)/dx is infinite at x = 0\.0 \(node 'x'\)"),
        (lambda: Value(0.0) ** 0.25, r"the derivative d\(x \*\* 0\.25\)/dx is infinite at x = 0\.0"),
        (lambda: Value(0.0) ** Value(0.5), r"the derivative d\(x \*\* y\)/dx is infinite at x = 0"),
    ],
)
def test_an_infinite_derivative_is_not_called_undefined(make: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern) as raised:
        make()
    assert "undefined" not in str(raised.value)


def test_the_forward_is_defined_where_only_the_derivative_is_not() -> None:
    assert (ops.fn.sqrt(0.0), ops.fn.arcsin(1.0), ops.fn.arccos(-1.0)) == (0.0, math.pi / 2, math.pi)
    assert ops.SQRT.evaluate(0.0) == 0.0 and ops.power(0.5).evaluate(0.0) == 0.0


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: Value(-1.0, "x").sqrt(), r"sqrt is undefined for x = -1\.0 \(node 'x'\); inputs must be >= 0"),
        (lambda: Value(1.5).arcsin(), r"arcsin is undefined for x = 1\.5.*\[-1, 1\]"),
        (lambda: Value(-1.0).log1p(), r"log1p is undefined for x = -1\.0"),  # log1p(-1) = -inf
        (lambda: Value(0.0).log(), r"log is undefined for x = 0\.0"),
    ],
)
def test_an_op_without_a_value_is_undefined(make: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        make()


def test_a_plain_number_operand_of_a_value_op_needs_no_derivative() -> None:
    y = Value(5e-324)
    out = 0.0 / y  # d/dx = 1/y would overflow, but the numerator is a constant
    out.backward()
    assert (out.data, out.local_grads, y.grad) == (0.0, (0.0, -0.0), -0.0)
    with pytest.raises(OverflowError, match=r"derivative of '/' is inf"):
        Value(0.0) / y
