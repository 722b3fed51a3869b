from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sp

from survey.reporting.stats import (
    percentile_cont,
    percentile_positions,
    suppressed_groups,
    t_cdf,
    t_interval,
    t_quantile,
    wilson_interval,
)

scores = st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=400)


@given(df=st.integers(min_value=1, max_value=100_000))
@settings(max_examples=200, deadline=None)
def test_t_quantile_matches_scipy(df: int) -> None:
    assert t_quantile(0.975, df) == pytest.approx(sp.t.ppf(0.975, df), rel=1e-9)


@given(t=st.floats(min_value=-50, max_value=50), df=st.integers(min_value=1, max_value=500))
@settings(max_examples=200, deadline=None)
def test_t_cdf_matches_scipy(t: float, df: int) -> None:
    # With one degree of freedom t is Cauchy, with a closed form. SciPy rounds it to 0.5 for
    # |t| near 1e-9 (hypothesis found t = 1.27e-9, where the true value is 0.5 + 4.0e-10).
    expected = 0.5 + math.atan(t) / math.pi if df == 1 else sp.t.cdf(t, df)
    assert t_cdf(t, df) == pytest.approx(expected, abs=1e-11)


@given(values=scores)
@settings(max_examples=200, deadline=None)
def test_t_interval_for_the_mean_matches_scipy(values: list[int]) -> None:
    n = len(values)
    interval = t_interval(n, sum(values), sum(v * v for v in values))
    assert interval is not None
    sem = sp.sem(values)
    mean = sum(values) / n
    if sem == 0:
        assert interval == pytest.approx((mean, mean))
        return
    lo, hi = sp.t.interval(0.95, n - 1, loc=mean, scale=sem)
    assert interval == pytest.approx((lo, hi), rel=1e-9, abs=1e-12)


def test_t_interval_needs_two_answers() -> None:
    assert t_interval(1, 4, 16) is None
    assert t_interval(0, 0, 0) is None


@given(n=st.integers(min_value=1, max_value=5000), data=st.data())
@settings(max_examples=300, deadline=None)
def test_wilson_interval_matches_scipy(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    expected = sp.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)  # type: ignore[misc]
    assert lo == pytest.approx(expected.low, abs=1e-12)
    assert hi == pytest.approx(expected.high, abs=1e-12)
    assert 0 <= lo <= k / n <= hi <= 1


def test_wilson_interval_of_nothing_is_none() -> None:
    assert wilson_interval(0, 0) is None


@given(
    values=st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=200),
    fraction=st.sampled_from([0.5, 0.9, 0.1, 0.0, 1.0]),
)
@settings(max_examples=200, deadline=None)
def test_percentile_cont_is_linear_interpolation(values: list[float], fraction: float) -> None:
    import numpy as np

    ordered = sorted(values)
    got = percentile_cont(ordered, fraction)
    assert got == pytest.approx(float(np.percentile(ordered, fraction * 100)), rel=1e-9, abs=1e-9)
    lo, hi, weight = percentile_positions(len(ordered), fraction)
    by_ranks = ordered[lo - 1] + (ordered[hi - 1] - ordered[lo - 1]) * weight
    assert got == pytest.approx(by_ranks, rel=1e-12, abs=1e-12)


def test_percentile_of_nothing_is_none() -> None:
    assert percentile_cont([], 0.5) is None


def test_small_groups_are_suppressed() -> None:
    assert suppressed_groups({"a": 10, "b": 3, "c": 2}, 5) == {"b", "c"}


def test_a_lone_suppressed_group_takes_the_next_smallest_with_it() -> None:
    assert suppressed_groups({"a": 10, "b": 3, "c": 7, "d": 9}, 5) == {"b", "c"}


def test_ties_for_next_smallest_follow_the_group_order() -> None:
    assert suppressed_groups({"x": 8, "y": 8, "z": 1}, 5) == {"z", "x"}


def test_nothing_is_suppressed_when_every_group_is_large_enough() -> None:
    assert suppressed_groups({"a": 5, "b": 6}, 5) == set()


def test_a_group_without_answers_never_triggers_complementary_suppression() -> None:
    """Nothing to protect: the group of 13 stays visible beside an empty one."""
    assert suppressed_groups({"a": 13, "b": 0}, 5) == {"b"}
    # Nor is an empty group a complement: it would give nothing away.
    assert suppressed_groups({"a": 13, "b": 0, "c": 2}, 5) == {"a", "b", "c"}


def test_a_single_group_has_no_neighbour_to_suppress() -> None:
    assert suppressed_groups({"a": 2}, 5) == {"a"}


@given(st.dictionaries(st.text(max_size=3), st.integers(min_value=0, max_value=30), max_size=12))
def test_suppression_never_leaves_exactly_one_group_with_answers_hidden(
    counts: dict[str, int],
) -> None:
    """Subtracting the published groups from the total never isolates one group's answers."""
    hidden = suppressed_groups(counts, 5)
    assert all(counts[k] >= 5 for k in counts if k not in hidden)
    with_answers = [k for k in hidden if counts[k] > 0]
    assert len(with_answers) != 1 or len([k for k in counts if counts[k] > 0]) == 1
    # Only the small groups and at most one neighbour are hidden.
    assert len(hidden - {k for k, n in counts.items() if n < 5}) <= 1
