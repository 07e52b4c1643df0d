"""Higher-order derivatives and transforms: the three derivative rules agree, second and third
derivatives match formulas and finite differences, forward mode matches reverse, Newton converges."""

from __future__ import annotations

import itertools
import math
import warnings

import pytest
from hypothesis import given, settings

from micrograd_plus import Value, check_forward_reverse, gradgradcheck, losses
from micrograd_plus.autodiff import (
    Dual,
    grad,
    gradients,
    hessian,
    hvp,
    jacobian,
    jvp,
    local_derivative_values,
    value_and_grad,
)
from micrograd_plus.check.op_table import OPS, Expression, OpSpec, expressions, op_inputs
from micrograd_plus.nn import MLP
from micrograd_plus.viz import to_dot


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


# -- one source of truth: the float, Value and dual rules of every op agree ----------------------


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_value_and_dual_rules_agree_with_the_float_rules(spec: OpSpec) -> None:
    if not spec.second_order:
        pytest.skip(f"{spec.name} has no derivative rule over Values at its points (see its row)")

    @given(op_inputs(spec))
    @settings(max_examples=30, deadline=None)
    def check(xs: tuple[float, ...]) -> None:
        node = spec.build(*[Value(x) for x in xs])
        as_values = [v.data for v in local_derivative_values(node)]
        assert all(close(a, b, 1e-12) for a, b in zip(as_values, node.local_grads))
        for j in range(len(node.parents)):
            duals = [Dual(p.data, 1.0 if k == j else 0.0) for k, p in enumerate(node.parents)]
            result = Dual.apply_op(node.entry, *duals)
            assert close(result.value, node.data, 1e-12)
            # a parent used twice (x * x) gets both tangents; compare with the summed local derivatives
            same = [k for k, p in enumerate(node.parents) if p is node.parents[j]]
            if len(same) == 1:
                assert close(result.tangent, node.local_grads[j], 1e-10)

    check()


# -- second and third derivatives ---------------------------------------------------------------


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_second_derivatives_of_every_op_match_finite_differences(spec: OpSpec) -> None:
    if not spec.second_order:
        pytest.skip(f"{spec.name} has no second derivative at its points (see its row)")

    @given(op_inputs(spec))
    @settings(max_examples=15, deadline=None)
    def check(xs: tuple[float, ...]) -> None:
        report = gradgradcheck(spec.build, list(xs))
        assert report.ok, str(report)

    check()


SECOND = {
    "tanh": lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
    "sigmoid": lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
    "exp": math.exp,
    "log": lambda x: -1 / x**2,
    "sqrt": lambda x: -0.25 * x**-1.5,
    "sin": lambda x: -math.sin(x),
    "cos": lambda x: -math.cos(x),
    "a ** 3": lambda x: 6 * x,
    "2 ** a": lambda x: math.log(2) ** 2 * 2**x,
    "relu": lambda x: 0.0,
}
THIRD = {
    "tanh": lambda x: -2 * (1 - math.tanh(x) ** 2) * (1 - 3 * math.tanh(x) ** 2),
    "exp": math.exp,
    "sin": lambda x: -math.cos(x),
    "log": lambda x: 2 / x**3,
    "a ** 3": lambda x: 6.0,
}


@pytest.mark.filterwarnings("ignore:f's output does not depend")  # relu' is piecewise constant
@pytest.mark.parametrize("name", list(SECOND))
def test_second_derivatives_match_formulas(name: str) -> None:
    spec = OPS[name]
    for x in (0.3, 1.1, 2.4):
        assert close(grad(grad(spec.build))(x), SECOND[name](x))


@pytest.mark.parametrize("name", list(THIRD))
def test_third_derivatives_match_formulas_and_finite_differences(name: str) -> None:
    spec = OPS[name]
    third = grad(grad(grad(spec.build)))
    second = grad(grad(spec.build))
    for x in (0.4, 1.3):
        assert close(third(x), THIRD[name](x))
        h = 1e-4
        assert math.isclose(third(x), (second(x + h) - second(x - h)) / (2 * h), rel_tol=1e-6, abs_tol=1e-6)


def test_mixed_partials() -> None:
    def f(x: Value, y: Value) -> Value:
        return x**2 * y**3 + (x * y).sin()

    x, y = 0.7, -1.3
    dxy = grad(grad(f, argnums=0), argnums=1)(x, y)
    dyx = grad(grad(f, argnums=1), argnums=0)(x, y)
    expected = 6 * x * y**2 + math.cos(x * y) - x * y * math.sin(x * y)
    assert close(dxy, expected) and close(dyx, expected)
    assert gradgradcheck(f, [x, y]).ok


def test_hessian_of_a_small_mlp_loss_matches_finite_differences() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    params = model.parameters()
    X, y = [[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]], [0.3, -0.4, 0.9]

    def loss() -> Value:
        return losses.mse([model(x)[0] for x in X], y)

    first = gradients(loss(), params, create_graph=True)
    rows = [gradients(g, params) for g in first]
    h = 1e-5
    for i, p in enumerate(params):
        saved = p.data
        p.data = saved + h
        up = gradients(loss(), params)
        p.data = saved - h
        down = gradients(loss(), params)
        p.data = saved
        for j in range(len(params)):
            numeric = (up[j] - down[j]) / (2 * h)
            assert math.isclose(rows[i][j], numeric, rel_tol=1e-5, abs_tol=1e-7), (i, j)
    assert all(close(rows[i][j], rows[j][i]) for i in range(len(params)) for j in range(len(params)))


def test_backward_create_graph_gives_differentiable_gradients() -> None:
    x = Value(0.7, label="x")
    y = (x.sin() * x).named("y")
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value) and close(first.data, math.cos(0.7) * 0.7 + math.sin(0.7))
    x.grad = 0.0
    first.backward()
    assert close(x.grad, 2 * math.cos(0.7) - 0.7 * math.sin(0.7))
    assert "digraph" in to_dot(first)  # the derivative is a graph like any other, and can be drawn
    x.grad = 0.0
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert "grad 1.18" in to_dot(y) and repr(x).startswith("Value(data=0.7, grad=1.17")  # Value grads shown
    z = Value(2.0)
    w = z * z
    w.backward(create_graph=True)
    w.backward(create_graph=True)  # leaves accumulate: 2 × 2z
    assert isinstance(z.grad, Value) and z.grad.data == 8.0


def test_first_order_path_is_untouched() -> None:
    x = Value(0.5)
    (x.tanh() * x).backward()
    assert isinstance(x.grad, float)


# -- transforms -------------------------------------------------------------------------------------


def test_grad_value_and_grad_and_argnums() -> None:
    def f(x: Value, y: Value) -> Value:
        return x * y.exp()

    assert value_and_grad(f)(2.0, 0.0) == (2.0, 1.0)
    dx, dy = grad(f, argnums=(0, 1))(2.0, 0.0)
    assert (dx, dy) == (1.0, 2.0)
    assert grad(f, argnums=-1)(2.0, 0.0) == 2.0
    assert grad(lambda v: v[0] * v[1])([3.0, 4.0]) == [4.0, 3.0]


def test_jacobian_and_hessian() -> None:
    jac = jacobian(lambda v: [v[0] * v[1], v[0].sin(), v[1] ** 2])([0.5, 2.0])
    assert jac == [[2.0, 0.5], [math.cos(0.5), 0.0], [0.0, 4.0]]
    hess = hessian(lambda v: v[0] ** 3 * v[1])([2.0, 5.0])
    assert hess == [[6 * 2.0 * 5.0, 3 * 4.0], [3 * 4.0, 0.0]]
    assert hvp(lambda v: v[0] ** 3 * v[1])([2.0, 5.0], [1.0, -1.0]) == [60.0 - 12.0, 12.0]


@given(expressions(max_inputs=3, max_steps=10))
@settings(max_examples=150, deadline=None)
def test_forward_mode_agrees_with_reverse_mode(e: Expression) -> None:
    forward, reverse, ok = check_forward_reverse(e, list(e.inputs), seed=len(e.steps))
    assert ok, (e, forward, reverse)
    tangents = [1.0] + [0.0] * (len(e.inputs) - 1)
    _, derivative = jvp(e, list(e.inputs), tangents)
    assert close(derivative, jacobian(lambda vs: e(*vs))(list(e.inputs))[0][0], 1e-10)


def test_jvp_of_vector_functions() -> None:
    values, tangents = jvp(lambda a, b: [a * b, (a - b).exp()], [1.0, 2.0], [0.5, 0.25])
    assert values == [2.0, math.exp(-1.0)]
    assert tangents == [0.5 * 2.0 + 1.0 * 0.25, math.exp(-1.0) * 0.25]


def test_newton_converges_quadratically() -> None:
    def f(x: Value) -> Value:
        return x**4 - 3 * x**3 + 2  # minimum at x = 9/4, where f'(x) = x²(4x - 9) = 0

    first, second = grad(f), grad(grad(f))
    x, errors = 3.0, []
    while abs(x - 2.25) > 1e-13 and len(errors) < 50:
        x -= first(x) / second(x)
        errors.append(abs(x - 2.25))
    assert len(errors) <= 7
    # quadratic: each error is about a constant times the square of the one before
    ratios = [e1 / e0**2 for e0, e1 in itertools.pairwise(errors) if e0 > 1e-6]
    assert ratios and max(ratios) < 5.0
    descent, steps = 3.0, 0
    while abs(descent - 2.25) > 1e-12 and steps < 10_000:
        descent -= 0.01 * first(descent)
        steps += 1
    assert steps > 10 * len(errors)  # gradient descent needs far more iterations


# -- bad input ---------------------------------------------------------------------------------------


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="use jacobian for vector outputs"):
        grad(lambda x: [x, x])(1.0)
    with pytest.raises(ValueError, match=r"argnums=2 is out of range for a function called with 1 arguments"):
        grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(TypeError, match="argument 0 must be a finite number or a Value, got str"):
        grad(lambda x: x)("1")
    with pytest.raises(TypeError, match="f must return a Value"):
        grad(lambda x: 3.0)(1.0)
    with pytest.raises(ValueError, match="hvp needs a vector v as long as x"):
        hvp(lambda v: v[0])([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="one tangent per primal"):
        jvp(lambda x: x, [1.0], [])
    with pytest.warns(UserWarning, match="does not depend on the differentiated inputs; the gradient is 0"):
        assert grad(lambda x, y: y * 2, argnums=0)(1.0, 3.0) == 0.0


def test_no_second_derivative_at_a_point() -> None:
    with pytest.raises(ValueError, match=r"relu has no derivative at x = 0\.0 \(a kink\)"):
        grad(grad(lambda x: x.relu()))(0.0)
    with pytest.raises(ValueError, match=r"infinite at x = 0"):
        grad(grad(lambda x: x**1.5))(0.0)
    cube = lambda x: Value.from_op(x.data**3, [x], [3 * x.data**2], "cube")  # noqa: E731
    with pytest.raises(ValueError, match="op 'cube' has no derivative rule over Values"):
        grad(grad(cube))(1.0)
    assert grad(cube)(2.0) == 12.0  # first order still works
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert grad(grad(lambda x: x.relu() * x))(0.5) == 2.0


# -- numbers in forward mode are checked like every other number -----------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"), ("1", "str '1'"), (True, "bool True"),
     (None, "NoneType None"), ([1.0], r"list \[1\.0\]")],
)  # fmt: skip
def test_jvp_refuses_tangents_and_primals_that_are_not_finite_numbers(bad: object, shown: str) -> None:
    with pytest.raises(ValueError, match=rf"tangent 1 must be a finite number, got {shown}"):
        jvp(lambda x, y: 2 * x * y, [1.0, 2.0], [1.0, bad])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=rf"primal 0 must be a finite number, got {shown}"):
        jvp(lambda x, y: 2 * x * y, [bad, 2.0], [1.0, 1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=rf"a dual number's tangent must be a finite number, got {shown}"):
        Dual(1.0, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=rf"v 0 must be a finite number, got {shown}"):
        hvp(lambda v: v[0] * v[0])([1.0], [bad])  # type: ignore[list-item]


@pytest.mark.parametrize("make", [lambda np, x: np.float64(x), lambda np, x: np.float32(x), lambda np, x: np.array(x),
                                  lambda np, x: np.int64(x)])  # fmt: skip
def test_jvp_takes_numpy_numbers(make: object) -> None:
    np = pytest.importorskip("numpy")
    tangent = make(np, 1)  # type: ignore[operator]
    assert jvp(lambda x: 2 * x, [make(np, 1)], [tangent]) == (2.0, 2.0)  # type: ignore[operator]
    assert Dual(make(np, 1), tangent) == Dual(1.0, 1.0)  # type: ignore[operator]
    assert hvp(lambda v: v[0] ** 3)([make(np, 1)], [tangent]) == [6.0]  # type: ignore[operator]


def test_jvp_refuses_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="one tangent per primal, got 1 primals and 2 tangents"):
        jvp(lambda x: x, [1.0], [1.0, 2.0])
    for bad in (1.0, "12", None):
        with pytest.raises(TypeError, match="tangents must be a list of numbers"):
            jvp(lambda x: x, [1.0], bad)  # type: ignore[arg-type]


def test_an_overflowing_tangent_raises_naming_the_op() -> None:
    with pytest.raises(
        OverflowError, match=r"the tangent of '\*' overflowed to inf .* rescale the tangents \(at node 'y'\)"
    ):
        jvp(lambda x: (x * 1e300).named("y"), [1.0], [1e300])
    with pytest.raises(OverflowError, match=r"the tangent of 'exp' overflowed to inf"):
        jvp(lambda x: x.exp(), [700.0], [1e10])
    with pytest.raises(OverflowError, match=r"the tangent of '\*' overflowed to inf"):
        Dual(1.0, 1e300) * 1e300
    with pytest.raises(OverflowError, match=r"the tangent of '\+' overflowed to inf"):
        Dual(1.0, 1e308) + Dual(1.0, 1e308)
    assert jvp(lambda x: x * 1e300, [1.0], [1.0]) == (1e300, 1e300)


def test_argnums_are_whole_numbers() -> None:
    np = pytest.importorskip("numpy")
    assert grad(lambda x, y: x * y, argnums=np.int64(1))(3.0, 2.0) == 3.0
    assert grad(lambda x, y: x * y, argnums=[np.int64(0), 1])(3.0, 2.0) == (2.0, 3.0)
    assert grad(lambda x, y: x * y)(np.float64(3.0), np.array(2.0)) == 2.0
    for bad in (True, 0.0, "0"):
        with pytest.raises(ValueError, match=rf"argnums={bad!r} is out of range.*whole number"):
            grad(lambda x, y: x * y, argnums=bad)(3.0, 2.0)  # type: ignore[arg-type]
