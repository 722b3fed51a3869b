"""Targets judged with the 95 % interval: met, not met, not significant, nothing without data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.reporting.target_judgement import (
    KPIS,
    Judgement,
    judge,
    judge_median_below,
    share_interval,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


def test_an_interval_above_the_target_meets_it_when_higher_is_better() -> None:
    assert judge((0.81, 0.9), 0.8, lower_is_better=False) is Judgement.met
    assert judge((0.7, 0.79), 0.8, lower_is_better=False) is Judgement.not_met
    assert judge((0.75, 0.85), 0.8, lower_is_better=False) is Judgement.not_significant


def test_lower_is_better_turns_the_judgement_round() -> None:
    assert judge((10.0, 20.0), 24.0, lower_is_better=True) is Judgement.met
    assert judge((30.0, 40.0), 24.0, lower_is_better=True) is Judgement.not_met
    assert judge((20.0, 30.0), 24.0, lower_is_better=True) is Judgement.not_significant


def test_an_interval_touching_the_target_is_not_significant() -> None:
    assert judge((0.8, 0.9), 0.8, lower_is_better=False) is Judgement.not_significant
    assert judge((0.7, 0.8), 0.8, lower_is_better=True) is Judgement.not_significant


def test_no_interval_no_judgement() -> None:
    assert judge(None, 0.8, lower_is_better=False) is None
    assert share_interval(0, 0) is None
    assert judge_median_below(0, 0) is None


def test_a_reversed_interval_is_an_error() -> None:
    with pytest.raises(ValueError, match="low end"):
        judge((0.9, 0.1), 0.5, lower_is_better=False)


@given(finite, finite, finite, st.booleans())
def test_the_judgement_follows_where_the_interval_lies(
    a: float, b: float, target: float, lower_is_better: bool
) -> None:
    low, high = sorted((a, b))
    found = judge((low, high), target, lower_is_better=lower_is_better)
    if low <= target <= high:
        assert found is Judgement.not_significant
    else:
        good = (high < target) if lower_is_better else (low > target)
        assert found is (Judgement.met if good else Judgement.not_met)
    assert (
        judge((low, high), target, lower_is_better=not lower_is_better)
        is {
            Judgement.met: Judgement.not_met,
            Judgement.not_met: Judgement.met,
            Judgement.not_significant: Judgement.not_significant,
        }[found]
    )


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_a_share_judged_against_its_own_value_is_never_significant(
    n: int, data: st.DataObject
) -> None:
    successes = data.draw(st.integers(min_value=0, max_value=n))
    interval = share_interval(successes, n)
    assert interval is not None
    assert judge(interval, successes / n, lower_is_better=False) is Judgement.not_significant


@given(st.integers(min_value=1, max_value=2000), st.data())
def test_more_successes_never_judge_a_share_worse(n: int, data: st.DataObject) -> None:
    target = data.draw(st.floats(min_value=0.0, max_value=1.0))
    order = {Judgement.not_met: 0, Judgement.not_significant: 1, Judgement.met: 2}
    ranks = [
        order[judge(share_interval(k, n), target, lower_is_better=False)]  # type: ignore[index]
        for k in range(0, n + 1, max(1, n // 50))
    ]
    assert ranks == sorted(ranks)


def test_a_median_is_judged_by_the_cases_within_the_target() -> None:
    assert judge_median_below(90, 100) is Judgement.met
    assert judge_median_below(10, 100) is Judgement.not_met
    assert judge_median_below(55, 100) is Judgement.not_significant
    assert judge_median_below(4, 5) is Judgement.not_significant  # too few to tell


def test_the_kpis_and_which_way_is_better() -> None:
    assert sorted(KPIS) == sorted(
        [
            "csat",
            "overall_mean",
            "response_rate",
            "fcr",
            "resolution_time_hours",
            "repeat_contact_ratio",
        ]
    )
    assert {k for k, kpi in KPIS.items() if kpi.lower_is_better} == {
        "resolution_time_hours",
        "repeat_contact_ratio",
    }
