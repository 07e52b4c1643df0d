"""Hypothesis strategies for plain-float inputs: numbers in a domain, points, magnitudes across decades.

For checking derivatives of plain functions with :func:`micrograd_plus.check_grad`;
the strategies for functions of Values (``op_inputs``, ``expressions``) are in
:mod:`micrograd_plus.check.op_table`, whose :class:`~micrograd_plus.check.op_table.Domain`
(an interval minus neighbourhoods of kinks and poles) these reuse. Hypothesis
is needed only here (install the ``dev`` extra).

>>> from hypothesis import given, settings
>>> from micrograd_plus import check_grad
>>> @given(points(Domain(0.1, 5.0), size=2))
... @settings(max_examples=10)
... def check(x):
...     assert check_grad(lambda v: v[0] * v[1] ** 2, lambda v: [v[1] ** 2, 2 * v[0] * v[1]], x).ok
>>> check()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from micrograd_plus._validate import check_count, check_real
from micrograd_plus.check.op_table import Domain

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["Domain", "floats_in", "magnitudes", "points"]


def _strategies() -> Any:
    try:
        from hypothesis import strategies
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("the strategies need Hypothesis: pip install 'micrograd_plus[dev]'") from error
    return strategies


def _domain(domain: object) -> Domain:
    if not isinstance(domain, Domain):
        raise TypeError(
            f"domain must be a micrograd_plus.check.op_table.Domain, got {type(domain).__name__} {domain!r}"
        )
    if not domain.low < domain.high:
        raise ValueError(f"the domain is empty: low = {domain.low} must be below high = {domain.high}")
    return domain


def floats_in(domain: Domain) -> SearchStrategy[float]:
    """Floats x with low <= x <= high, at least ``margin`` away from every point in ``avoid``.

    >>> from hypothesis import given
    >>> @given(floats_in(Domain(-1.0, 1.0, avoid=(0.0,), margin=0.1)))
    ... def check(x):
    ...     assert 0.1 <= abs(x) <= 1.0
    >>> check()
    """
    d = _domain(domain)
    st = _strategies()
    strategy: SearchStrategy[float] = st.floats(d.low, d.high, allow_nan=False, allow_infinity=False)
    return strategy.filter(d.contains)


def points(domain: Domain, size: int, *, array: bool = False) -> SearchStrategy[Any]:
    """Lists of ``size`` floats from ``domain`` (1-D NumPy arrays when ``array=True``)."""
    size = check_count("size", size)
    st = _strategies()
    lists: SearchStrategy[list[float]] = st.lists(floats_in(domain), min_size=size, max_size=size)
    if not array:
        return lists
    import numpy

    return lists.map(numpy.array)


def magnitudes(smallest: float = 1e-8, largest: float = 1e12, *, signed: bool = True) -> SearchStrategy[float]:
    """Floats whose magnitude is spread evenly over the decades from ``smallest`` to ``largest``
    (10^u for u uniform in [log10 smallest, log10 largest]), both signs when ``signed``.

    >>> from hypothesis import given
    >>> @given(magnitudes(1e-3, 1e3, signed=False))
    ... def check(x):
    ...     assert 1e-3 <= x <= 1e3 * (1 + 1e-12)
    >>> check()
    """
    import math

    smallest = check_real("smallest", smallest, low=0.0, low_open=True)
    largest = check_real("largest", largest, low=smallest, low_open=True)
    st = _strategies()
    low, high = math.log10(smallest), math.log10(largest)
    exponents: SearchStrategy[float] = st.floats(low, high, allow_nan=False)
    values = exponents.map(lambda u: 10.0**u)
    if not signed:
        return values
    strategy: SearchStrategy[float] = st.tuples(values, st.booleans()).map(
        lambda pair: -pair[0] if pair[1] else pair[0]
    )
    return strategy
