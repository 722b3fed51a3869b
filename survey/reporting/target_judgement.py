"""Targets against figures, judged with the 95 % interval (pure: no database).

A target is met when the interval lies entirely on the good side of it, not met when entirely
on the bad side, and not significant otherwise (the interval covers the target). A figure
without an interval (a suppressed group, no data) gets no judgement at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from survey.reporting import stats


class Judgement(StrEnum):
    met = "met"
    not_met = "not_met"
    not_significant = "not_significant"


@dataclass(frozen=True)
class Kpi:
    name: str
    lower_is_better: bool
    low: float  # the range a target may take
    high: float
    share: bool  # a proportion (0..1), entered and shown in per cent


KPIS: dict[str, Kpi] = {
    kpi.name: kpi
    for kpi in (
        Kpi("csat", False, 0.0, 1.0, True),
        Kpi("overall_mean", False, 1.0, 5.0, False),
        Kpi("response_rate", False, 0.0, 1.0, True),
        Kpi("fcr", False, 0.0, 1.0, True),
        Kpi("resolution_time_hours", True, 0.0, 24.0 * 366, False),
        Kpi("repeat_contact_ratio", True, 0.0, 1.0, True),
    )
}


def judge(
    interval: tuple[float, float] | list[float] | None, target: float, *, lower_is_better: bool
) -> Judgement | None:
    """Met, not met or not significant: where the interval lies against the target."""
    if interval is None or len(interval) != 2:
        return None
    low, high = interval
    if low > high:
        raise ValueError(f"an interval's low end is above its high end: {low} > {high}")
    above, below = low > target, high < target
    if not (above or below):
        return Judgement.not_significant
    good = below if lower_is_better else above
    return Judgement.met if good else Judgement.not_met


def share_interval(successes: int, n: int) -> tuple[float, float] | None:
    """The 95 % Wilson interval of a share (None without observations)."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes of {n}")
    return stats.wilson_interval(successes, n)


def judge_median_below(within: int, n: int) -> Judgement | None:
    """A median against a target where lower is better, from the number of cases at or below
    the target (the sign test's dual of the median's distribution-free interval): met when
    significantly more than half are within the target, not met when significantly fewer."""
    return judge(share_interval(within, n), 0.5, lower_is_better=False)
