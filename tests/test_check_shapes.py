"""check_grad and check_jacobian on the shapes a NumPy user has: numbers, Values, N-d arrays, nested lists and
dicts of them; names like the user's structure, planted bugs named at the right component, bad input refused."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from micrograd_plus import Value, check_grad, check_jacobian
from micrograd_plus.check.verdicts import NudgedPointError

np = pytest.importorskip("numpy")


# -- an independent flattening, so the test does not trust the module it tests --------------------


def flat(x: Any) -> list[float]:
    if isinstance(x, Value):
        return [x.data]
    if isinstance(x, dict):
        return [v for item in x.values() for v in flat(item)]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in flat(item)]
    if isinstance(x, np.ndarray):
        return [float(v) for v in x.ravel()]
    return [float(x)]


def unflat(values: list[float], like: Any) -> Any:
    """values in the structure of ``like`` (arrays as arrays, lists as lists, dicts as dicts)."""
    it = iter(values)

    def build(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: build(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(build(v) for v in x)
        if isinstance(x, np.ndarray):
            return np.array([next(it) for _ in range(x.size)]).reshape(x.shape)
        return next(it)

    return build(like)


def coefficients(n: int) -> tuple[list[float], list[float]]:
    return [1.0 + 0.1 * i for i in range(n)], [(-1) ** i * (0.5 + 0.2 * i) for i in range(n)]


def loss(x: Any) -> float:
    """Σ a_i·v_i³ + (Σ b_i·v_i)²: every partial derivative different, the gradient of no matrix symmetric."""
    v = flat(x)
    a, b = coefficients(len(v))
    s = sum(bi * vi for bi, vi in zip(b, v))
    return sum(ai * vi**3 for ai, vi in zip(a, v)) + s * s


def loss_grad(x: Any, drop: int | None = None) -> list[float]:
    """The gradient, flat; ``drop`` leaves out the cubic term of one component (a missing term)."""
    v = flat(x)
    a, b = coefficients(len(v))
    s = sum(bi * vi for bi, vi in zip(b, v))
    return [(0.0 if i == drop else 3 * ai * vi * vi) + 2 * bi * s for i, (ai, vi, bi) in enumerate(zip(a, v, b))]


def points(n: int) -> list[float]:
    return [(-1) ** i * (0.3 + 0.17 * i) for i in range(n)]


@dataclass(frozen=True)
class Shape:
    """A point in the user's structure; ``names`` of its components in order, ``block`` a square matrix in it."""

    name: str
    make: Callable[[], Any]
    names: list[str]
    block: str | None = None


def grid(prefix: str, *shape: int) -> list[str]:
    return [f"{prefix}[{', '.join(map(str, i))}]" for i in np.ndindex(*shape)]


P = points(16)
SHAPES = [
    Shape("scalar", lambda: 0.7, ["x"]),
    Shape("numpy scalar", lambda: np.float32(0.75), ["x"]),
    Shape("list", lambda: P[:3], ["x[0]", "x[1]", "x[2]"]),
    Shape("tuple", lambda: tuple(P[:2]), ["x[0]", "x[1]"]),
    Shape("nested list", lambda: [P[:3], P[3:6]], [f"x[{i}][{j}]" for i in range(2) for j in range(3)]),
    Shape("square nested list", lambda: [P[:3], P[3:6], P[6:9]], [f"x[{i}][{j}]" for i in range(3) for j in range(3)],
          "x"),
    Shape("1-D array", lambda: np.array(P[:4]), grid("x", 4)),
    Shape("2-D array", lambda: np.array(P[:9]).reshape(3, 3), grid("x", 3, 3), "x"),
    Shape("3-D array", lambda: np.array(P[:12]).reshape(2, 2, 3), grid("x", 2, 2, 3)),
    Shape("int array", lambda: np.array([[1, -2], [3, 2]]), grid("x", 2, 2), "x"),
    Shape("dict of arrays", lambda: {"W1": np.array(P[:9]).reshape(3, 3), "b": np.array(P[9:12])},
          grid("W1", 3, 3) + grid("b", 3), "W1"),
    Shape("list of arrays", lambda: [np.array(P[:4]).reshape(2, 2), np.array(P[4:7])], grid("x[0]", 2, 2) +
          grid("x[1]", 3), "x[0]"),
    Shape("nested dict", lambda: {"params": {"b": np.array(P[:4]), "w": 0.4}},
          ['params["b"][0]', 'params["b"][1]', 'params["b"][2]', 'params["b"][3]', 'params["w"]']),
    Shape("dict with odd keys", lambda: {"layer 1": np.array(P[:2]), 2: 0.5},
          ['x["layer 1"][0]', 'x["layer 1"][1]', "x[2]"]),
    Shape("Values", lambda: [Value(0.3), Value(-0.5, "b")], ["x[0]", "x[1]"]),
    Shape("dict with a Value", lambda: {"w": Value(0.4), "b": np.array(P[:2])}, ["w", "b[0]", "b[1]"]),
]  # fmt: skip
IDS = [s.name for s in SHAPES]


def same_structure(given: Any, seen: Any) -> bool:
    """f sees x as given: dicts as dicts, lists as lists, arrays as float64 arrays of the same shape."""
    if isinstance(given, dict):
        return isinstance(seen, dict) and list(seen) == list(given) and all(
            same_structure(given[k], seen[k]) for k in given)  # fmt: skip
    if isinstance(given, (list, tuple)):
        return type(seen) is type(given) and len(seen) == len(given) and all(map(same_structure, given, seen))
    if isinstance(given, np.ndarray):
        return isinstance(seen, np.ndarray) and seen.shape == given.shape and seen.dtype == np.float64
    if isinstance(given, Value):
        return isinstance(seen, Value) and seen.label == given.label
    return isinstance(seen, float)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_a_right_gradient_passes_in_every_shape(shape: Shape) -> None:
    x = shape.make()
    seen: list[Any] = []

    def f(p: Any) -> float:
        seen.append(p)
        return loss(p)

    report = check_grad(f, lambda p: unflat(loss_grad(p), x), x)
    assert report.ok, str(report)
    assert [r.name for r in report.rows] == shape.names
    assert all(same_structure(x, p) for p in seen), seen[0]
    flat_list = check_grad(loss, lambda p: loss_grad(p), x)  # a flat list is taken too
    assert flat_list.ok and [r.name for r in flat_list.rows] == shape.names


BUGS: dict[str, tuple[Callable[[list[float], int], list[float]], str]] = {
    "sign": (lambda g, k: [-t if i == k else t for i, t in enumerate(g)], "sign flipped"),
    "factor 2": (lambda g, k: [2 * t if i == k else t for i, t in enumerate(g)], "factor 2 too large"),
}


@pytest.mark.parametrize("bug", list(BUGS))
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_a_planted_bug_is_named_at_its_component(shape: Shape, bug: str) -> None:
    x = shape.make()
    k = len(shape.names) - 1 if len(shape.names) < 3 else len(shape.names) // 2
    plant, words = BUGS[bug]
    report = check_grad(loss, lambda p: unflat(plant(loss_grad(p), k), x), x)
    assert not report.ok and [r.name for r in report.failures] == [shape.names[k]], str(report)
    first = report.diagnosis()
    assert first.startswith(f"{words} at {shape.names[k]}: analytic "), first
    assert len(first) <= 80


@pytest.mark.parametrize("shape", [s for s in SHAPES if len(s.names) > 1], ids=lambda s: s.name)
def test_a_missing_term_is_named_at_its_component(shape: Shape) -> None:
    x = shape.make()
    k = len(shape.names) // 2
    report = check_grad(loss, lambda p: unflat(loss_grad(p, drop=k), x), x)
    assert [r.name for r in report.failures] == [shape.names[k]], str(report)
    assert f" at {shape.names[k]}: analytic " in report.diagnosis()
    assert "missing or wrong term" in report.diagnosis() or "missing term" in report.diagnosis()
    assert report.findings[0].startswith(f"only {shape.names[k]} is wrong")


def transpose_block(x: Any, block: str, g: Any) -> Any:
    """The gradient with the square matrix named ``block`` transposed."""
    if isinstance(g, dict):
        return {k: (np.asarray(v).T if k == block else v) for k, v in g.items()}
    if block == "x[0]":
        return [g[0].T, *g[1:]]
    return [list(row) for row in zip(*g)] if isinstance(g, list) else g.T


@pytest.mark.parametrize("shape", [s for s in SHAPES if s.block], ids=lambda s: s.name)
def test_a_transposed_matrix_gradient_is_called_transposed(shape: Shape) -> None:
    x = shape.make()
    assert shape.block is not None
    block = shape.block
    report = check_grad(loss, lambda p: transpose_block(x, block, unflat(loss_grad(p), x)), x)
    assert not report.ok and report.findings[0].startswith(f"{block} is transposed: "), str(report)
    assert not any("swapped" in line for line in report.findings)
    assert (
        report.diagnosis().startswith(f"{block} is transposed at ")
        and f"(+{len(report.failures) - 1} more)" in report.diagnosis()
    )
    assert all(r.note.startswith("transposed: holds the derivative for ") for r in report.failures)


def test_a_symmetric_gradient_transposed_is_still_right_and_other_bugs_are_not_transposes() -> None:
    w = np.array([[1.0, 0.2], [0.2, 3.0]])
    assert check_grad(lambda m: float(np.sum(m * m)), lambda m: (2 * m).T, w).ok
    swapped = check_grad(loss, lambda p: unflat(swap(loss_grad(p), 0, 3), p), np.array(P[:9]).reshape(3, 3))
    assert swapped.findings[0] == "x[0, 0] and x[1, 0] are swapped (each analytic value is the other's numeric)"


def swap(g: list[float], i: int, j: int) -> list[float]:
    g = list(g)
    g[i], g[j] = g[j], g[i]
    return g


# -- shape mismatches and bad input --------------------------------------------------------------


PARAMS = {"W1": np.ones((3, 3)), "b": np.ones(3)}


@pytest.mark.parametrize(
    ("x", "gradient", "pattern"),
    [
        (PARAMS, {"W1": np.ones((3, 3))}, r"grad_f\(x\) has the wrong shape: expected dict with keys 'W1', 'b' "
         r"\(like x\), got dict with keys 'W1' \(missing key 'b'\)"),
        (PARAMS, {"W1": np.ones((3, 2)), "b": np.ones(3)}, r"wrong shape at W1: expected array \(3, 3\) \(like x\), "
         r"got array \(3, 2\); .*flat list of its 12 numbers"),
        (np.ones((2, 3)), np.ones((3, 2)), r"expected array \(2, 3\) \(like x\), got array \(3, 2\)"),
        ([np.ones(2), 1.0], [np.ones(3), 1.0], r"wrong shape at x\[0\]: expected array \(2,\) .*got array \(3,\)"),
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0]], r"expected list of 2 \(like x\), got list of 1"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], r"returned 3 components for 2 inputs \(x is list of 2\)"),
        (2.0, [1.0, 2.0], r"returned 2 components for 1 input \(x is number\)"),
        (PARAMS, "oops", r"expected dict with keys 'W1', 'b' \(like x\), got str"),
    ],
)  # fmt: skip
def test_a_gradient_of_another_shape_is_refused_naming_both_shapes(x: Any, gradient: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        check_grad(lambda p: 0.0, lambda p: gradient, x)


class Opaque:
    def __repr__(self) -> str:
        return "Opaque(" + "x" * 500 + ")"


@pytest.mark.parametrize(
    ("x", "error", "pattern"),
    [
        ({1.0, 2.0}, TypeError, r"check_grad: x must be a real number, a Value, a NumPy array, or a "
         r"list, tuple or dict of them, got set$"),
        ({"W1": np.ones((2, 2)), "b": Opaque()}, TypeError, r"check_grad: b must be .*got Opaque$"),
        ([1.0, None], TypeError, r"x\[1\] must be .*got NoneType None$"),
        ("1.0", TypeError, r"x must be .*got str '1.0'$"),
        (True, TypeError, r"x must be .*got bool True$"),
        ([1.0, 2 + 1j], TypeError, r"x\[1\] must be .*got complex \(2\+1j\)$"),
        (np.array([True, False]), TypeError, r"x must be an array of real numbers \(int or float dtype\), got dtype b"),
        (np.array([1j]), TypeError, r"got dtype complex128"),
        (np.array(["a"]), TypeError, r"got dtype <U1"),
        ({"w": np.array([1.0, np.nan])}, ValueError, r"w\[1\] must be finite, got nan"),
        ([], ValueError, r"check_grad: x is empty; pass at least one number"),
        ({}, ValueError, r"x is empty"),
        (np.zeros((0, 3)), ValueError, r"x is empty"),
        ({"W": np.zeros((0, 3)), "b": np.ones(2)}, ValueError, r"check_grad: W is empty"),
        ([[1.0], []], ValueError, r"x\[1\] is empty"),
    ],
)  # fmt: skip
def test_bad_points_get_one_short_line(x: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern) as caught:
        check_grad(lambda p: 0.0, lambda p: 0.0, x)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 160 and "xxxxxxxx" not in message


def test_a_large_dict_is_never_dumped() -> None:
    params = {"W1": np.ones((50, 50)), "b": {1, 2}}
    with pytest.raises(TypeError) as caught:
        check_grad(lambda p: 0.0, lambda p: 0.0, params)
    assert len(str(caught.value)) < 160 and "1." not in str(caught.value)
    with pytest.raises(ValueError) as wrong_shape:
        check_grad(lambda p: 0.0, lambda p: {"W1": np.ones((50, 49))}, {"W1": np.ones((50, 50))})
    assert len(str(wrong_shape.value)) < 250 and "1." not in str(wrong_shape.value)


# -- Jacobians of structured inputs ----------------------------------------------------------------


def layer(p: Any) -> Any:
    return np.tanh(p["W"] @ np.array([0.5, -1.0]) + p["b"])


def layer_jacobian_rows(p: Any) -> list[dict[str, Any]]:
    z = layer(p)
    rows = []
    for i in range(2):
        dW = np.zeros((2, 2))
        dW[i] = (1 - z[i] ** 2) * np.array([0.5, -1.0])
        db = np.zeros(2)
        db[i] = 1 - z[i] ** 2
        rows.append({"W": dW, "b": db})
    return rows


def test_a_jacobian_of_a_parameter_dict_is_read_row_by_row_in_its_structure() -> None:
    params = {"W": np.array([[0.3, -0.2], [0.1, 0.4]]), "b": np.array([0.05, -0.1])}
    report = check_jacobian(layer, layer_jacobian_rows, params)
    assert report.ok and report.shape == (2, 6), str(report)
    assert [r.name for r in report.rows][:3] == ["df[0]/dW[0, 0]", "df[0]/dW[0, 1]", "df[0]/dW[1, 0]"]
    assert "W[1, 1]" in report.matrix().splitlines()[1]

    def wrong(p: Any) -> list[dict[str, Any]]:
        rows = layer_jacobian_rows(p)
        rows[1]["b"][1] *= -1
        return rows

    bad = check_jacobian(layer, wrong, params)
    assert [r.name for r in bad.failures] == ["df[1]/db[1]"]
    assert bad.diagnosis().startswith("sign flipped at df[1]/db[1]: analytic ")


def test_a_jacobian_in_the_layout_of_jax_is_taken() -> None:
    x = np.array([[0.5, -0.3, 0.2], [0.1, 0.7, -0.4]])

    def jac(m: Any) -> Any:  # d(sum of squares of each row)/dx, shape (2,) + (2, 3)
        out = np.zeros((2, 2, 3))
        out[0, 0], out[1, 1] = 2 * m[0], 2 * m[1]
        return out

    assert check_jacobian(lambda m: np.sum(m * m, axis=1), jac, x).ok
    with pytest.raises(ValueError, match=r"jac_f\(x\)\[0\] has the wrong shape: expected array \(2, 3\)"):
        check_jacobian(lambda m: np.sum(m * m, axis=1), lambda m: np.zeros((2, 3, 2)), x)


# -- near the edge of the domain -------------------------------------------------------------------


@pytest.mark.parametrize("point", [1e-3, 5e-3, 1e-8])
@pytest.mark.parametrize(
    "form",
    [
        (lambda x: x**0.5, lambda x, c: c * x**-0.5, lambda t: t),  # a complex number left of 0
        (lambda v: math.sqrt(v[0]), lambda v, c: [c / math.sqrt(v[0])], lambda t: [t]),  # a ValueError
        (lambda a: float(np.sum(np.sqrt(a))), lambda a, c: c / np.sqrt(a), lambda t: np.array([t, 2 * t])),  # nan
    ],
    ids=["power", "math.sqrt", "numpy"],
)
def test_sqrt_near_zero_is_differenced_inside_its_domain(point: float, form: Any) -> None:
    f, derivative, make = form
    right = check_grad(f, lambda x: derivative(x, 0.5), make(point))
    assert right.ok, str(right)
    wrong = check_grad(f, lambda x: derivative(x, 0.4), make(point))
    assert not wrong.ok and "off by -20.000%" in wrong.diagnosis(), str(wrong)


def test_complex_values_say_where_they_came_from() -> None:
    with pytest.raises(NudgedPointError, match=r"f failed at x = 2 \+ \(-0\.\d+\).*complex number .* outside f's real"):
        check_grad(lambda x: (x - 2) ** 0.5, lambda x: 1.0, 2.0)
    with pytest.raises(NudgedPointError, match=r"f failed at b\[0\] = 0 \+ \(-0\.\d+\).*complex number"):
        check_grad(lambda p: sum(p["b"]) ** 0.5, lambda p: {"b": [1.0, 1.0]}, {"b": [0.0, 0.0]})
    with pytest.raises(TypeError, match=r"f\(x\) must be a real number, got complex"):
        check_grad(lambda x: (x - 3) ** 0.5, lambda x: 1.0, 2.0)


def test_the_failure_line_stays_within_80_columns() -> None:
    name = "weights_of_the_first_fully_connected_layer_of_the_network"
    x = {name: np.array(P[:4]).reshape(2, 2), "b": np.array([1e-3, 2.0])}
    report = check_grad(loss, lambda p: unflat(BUGS["sign"][0](loss_grad(p), 1), p), x)
    first = report.diagnosis()
    assert len(first) <= 80 and first.startswith(f"sign flipped at {name}[0, 1]"), first


def test_the_complex_step_and_functions_of_values_keep_the_structure() -> None:
    params = {"w": np.array([[0.2, -0.4], [1.1, 0.3]]), "c": 0.5}
    seen: list[Any] = []

    def f(p: Any) -> Any:
        seen.append(p["w"].dtype)
        return np.sum(np.exp(p["w"])) * p["c"]

    report = check_grad(f, lambda p: {"w": np.exp(p["w"]) * p["c"], "c": float(np.sum(np.exp(p["w"])))}, params,
                        method="complex")  # fmt: skip
    assert report.ok and np.complex128 in seen and report.rows[1].name == "w[0, 1]"
    wrong = check_grad(f, lambda p: {"w": np.exp(p["w"]).T * p["c"], "c": 1.0}, params, method="complex")
    assert wrong.findings[0].startswith("w is transposed")

    def tanh_of_product(v: list[Value]) -> Value:  # f may compute with the Values it is given
        return (v[0] * v[1]).tanh()

    def by_hand(v: list[Value]) -> list[float]:
        d = 1 - math.tanh(v[0].data * v[1].data) ** 2
        return [v[1].data * d, v[0].data * d]

    assert check_grad(tanh_of_product, by_hand, [Value(0.3), Value(0.7)]).ok
    assert check_grad(tanh_of_product, lambda v: [by_hand(v)[0], -by_hand(v)[1]], [Value(0.3), Value(0.7)]).diagnosis(
    ).startswith("sign flipped at ")  # fmt: skip


@pytest.mark.parametrize("bad", [3, "f", None, [1.0]], ids=repr)
def test_what_is_not_a_function_is_refused_before_any_call(bad: Any) -> None:
    calls: list[Any] = []

    def f(x: Any) -> float:
        calls.append(x)
        return float(x[0]) ** 2

    with pytest.raises(TypeError, match=r"check_grad: f must be a function, got .*; pass the function itself"):
        check_grad(bad, lambda x: [2 * x[0]], [1.0])
    with pytest.raises(TypeError, match=r"check_grad: grad_f must be a function"):
        check_grad(f, bad, [1.0])
    with pytest.raises(TypeError, match=r"check_jacobian: jac_f must be a function"):
        check_jacobian(f, bad, [1.0])
    assert calls == []
