"""The change from the previous period: Welch's interval for the mean, Newcombe's hybrid score
interval for CSAT, each checked against an independent computation and by simulation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sp

from survey.reporting.change import (
    PeriodSums,
    csat_change,
    mean_change,
    newcombe_interval,
    welch_interval,
)
from survey.reporting.change_report import previous_period

scores = st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=300)


def sums(values: list[int] | np.ndarray) -> PeriodSums:
    values = [int(v) for v in values]
    return PeriodSums(
        len(values), sum(values), sum(v * v for v in values), sum(v >= 4 for v in values)
    )


@given(current=scores, previous=scores)
@settings(max_examples=200, deadline=None)
def test_welchs_interval_is_scipys(current: list[int], previous: list[int]) -> None:
    assume(len(set(current)) > 1 and len(set(previous)) > 1)
    interval = welch_interval(sums(current), sums(previous))
    expected = sp.ttest_ind(current, previous, equal_var=False).confidence_interval(0.95)
    assert interval == pytest.approx((expected.low, expected.high), rel=1e-7, abs=1e-9)


def test_without_spread_or_two_answers_there_is_no_interval() -> None:
    assert welch_interval(sums([4, 4, 4]), sums([5, 5])) is None
    assert welch_interval(sums([4]), sums([1, 5])) is None
    assert mean_change(sums([]), sums([1, 5])) == {
        "value": None,
        "ci95": None,
        "significant": None,
    }


def test_newcombes_worked_example() -> None:
    """Newcombe (1998), Statistics in Medicine 17:873, table II, example (a): 56/70 - 48/80,
    method 10: 0.0524 to 0.3339."""
    interval = newcombe_interval(PeriodSums(70, 0, 0, 56), PeriodSums(80, 0, 0, 48))
    assert interval == pytest.approx((0.0524, 0.3339), abs=5e-5)


@given(
    n1=st.integers(min_value=1, max_value=500),
    n2=st.integers(min_value=1, max_value=500),
    data=st.data(),
)
@settings(max_examples=200, deadline=None)
def test_newcombes_interval_is_built_on_scipys_wilson_intervals(
    n1: int, n2: int, data: st.DataObject
) -> None:
    k1 = data.draw(st.integers(min_value=0, max_value=n1))
    k2 = data.draw(st.integers(min_value=0, max_value=n2))
    w1 = sp.binomtest(k1, n1).proportion_ci(method="wilson")
    w2 = sp.binomtest(k2, n2).proportion_ci(method="wilson")
    p1, p2 = k1 / n1, k2 / n2
    expected = (
        p1 - p2 - np.hypot(p1 - w1.low, w2.high - p2),
        p1 - p2 + np.hypot(w1.high - p1, p2 - w2.low),
    )
    interval = newcombe_interval(PeriodSums(n1, 0, 0, k1), PeriodSums(n2, 0, 0, k2))
    assert interval == pytest.approx(expected, abs=1e-9)
    assert interval is not None
    assert -1.0 <= interval[0] <= p1 - p2 <= interval[1] <= 1.0


@given(current=scores, previous=scores)
@settings(max_examples=100, deadline=None)
def test_significant_means_the_interval_excludes_zero(
    current: list[int], previous: list[int]
) -> None:
    for change in (
        mean_change(sums(current), sums(previous)),
        csat_change(sums(current), sums(previous)),
    ):
        if change["ci95"] is None:
            assert change["significant"] is None
            continue
        low, high = change["ci95"]
        assert low <= change["value"] <= high
        assert change["significant"] == (low > 0 or high < 0)


def _coverage(draw_pair, difference, true_difference: float, runs: int = 2000) -> float:
    covered = 0
    for _ in range(runs):
        current, previous = draw_pair()
        low, high = difference(sums(current), sums(previous))["ci95"]
        covered += low <= true_difference <= high
    return covered / runs


def test_both_intervals_cover_the_true_difference_at_about_the_nominal_rate() -> None:
    """Over a fixed seed: 2000 simulated pairs of periods with unequal sizes and spreads."""
    rng = np.random.default_rng(20261130)
    first, second = [0.05, 0.05, 0.1, 0.3, 0.5], [0.1, 0.1, 0.2, 0.3, 0.3]
    true_mean = np.dot(range(1, 6), first) - np.dot(range(1, 6), second)
    true_csat = sum(first[3:]) - sum(second[3:])

    def pair() -> tuple[np.ndarray, np.ndarray]:
        return rng.choice(range(1, 6), 40, p=first), rng.choice(range(1, 6), 90, p=second)

    assert 0.935 <= _coverage(pair, mean_change, true_mean) <= 0.965
    assert 0.935 <= _coverage(pair, csat_change, true_csat) <= 0.965


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        ("2026-11-23", "2026-11-30", ("2026-11-16", "2026-11-23")),
        ("2026-03-01", "2026-04-01", ("2026-02-01", "2026-03-01")),
        ("2026-01-01", "2026-02-01", ("2025-12-01", "2026-01-01")),
        ("2026-03-01", "2026-04-02", ("2026-01-28", "2026-03-01")),
        ("2026-03-10", "2026-03-11", ("2026-03-09", "2026-03-10")),
    ],
)
def test_the_previous_period_has_the_same_length_a_month_the_month_before(
    start: str, end: str, before: tuple[str, str]
) -> None:
    found = previous_period(date.fromisoformat(start), date.fromisoformat(end))
    assert tuple(day.isoformat() for day in found) == before
