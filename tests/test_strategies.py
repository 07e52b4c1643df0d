"""Strategies for plain-float inputs: inside their domain, across decades, and usable with check_grad."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from micrograd_plus import check_grad
from micrograd_plus.check.strategies import Domain, floats_in, magnitudes, points


@given(points(Domain(-3.0, 3.0, avoid=(0.0, 1.0), margin=0.05), size=3))
def test_points_stay_in_the_domain(x: list[float]) -> None:
    assert len(x) == 3 and all(-3 <= t <= 3 and abs(t) >= 0.05 and abs(t - 1) >= 0.05 for t in x)


@given(magnitudes())
@settings(max_examples=200)
def test_magnitudes_span_the_decades_and_gradients_check_there(x: float) -> None:
    assert 1e-8 <= abs(x) <= 1e12 * (1 + 1e-12)
    # atol = 0: the derivative 3x² is far below the default atol = 1e-8 for small x
    assert check_grad(lambda t: t * t * t, lambda t: 3 * t * t, x, atol=0.0).ok
    assert not check_grad(lambda t: t * t * t, lambda t: 3.0015 * t * t, x, atol=0.0).ok  # 0.05% wrong


@given(points(Domain(0.1, 4.0), size=2, array=True))
@settings(max_examples=30)
def test_array_points_check_numpy_gradients(x: object) -> None:
    np = pytest.importorskip("numpy")
    assert isinstance(x, np.ndarray) and x.shape == (2,)
    assert check_grad(lambda v: float(np.log(v).sum()), lambda v: 1 / v, x).ok


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"size must be a whole number >= 1, got 0"):
        points(Domain(), 0)
    with pytest.raises(ValueError, match=r"the domain is empty: low = 2.0 must be below high = 1.0"):
        floats_in(Domain(2.0, 1.0))
    with pytest.raises(TypeError, match=r"domain must be a micrograd_plus.check.op_table.Domain, got tuple"):
        floats_in((0.0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"largest must be a finite number > 1, got 0\.5"):
        magnitudes(1.0, 0.5)
    with pytest.raises(ValueError, match=r"smallest must be a finite number > 0, got 0\.0"):
        magnitudes(0.0, 1.0)
    with pytest.raises(ValueError, match=r"smallest must be a finite number > 0, got str '1'"):
        magnitudes("1", 2.0)  # type: ignore[arg-type]
