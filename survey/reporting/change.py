"""The change of the overall mean and of CSAT from one period to the next, with 95 % intervals.

Pure functions over the counts and sums a report scan returns (n, Σy, Σy², CSAT yes count).
The mean's difference has Welch's interval: standard error sqrt(s₁²/n₁ + s₂²/n₂) and t at the
Welch-Satterthwaite degrees of freedom. CSAT's difference has Newcombe's hybrid score interval
(his method 10), built on each period's Wilson interval: unlike the Wald interval it stays
within [-1, 1] and keeps near its nominal coverage for shares close to 0 or 1 and for the
small groups a report shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from survey.reporting import stats


@dataclass(frozen=True)
class PeriodSums:
    """One group's answers in one period: the overall score's count, sum, sum of squares and
    the count of CSAT answers (4 or 5)."""

    n: int
    total: float
    total_sq: float
    csat: int


def difference(value: float | None, interval: tuple[float, float] | None) -> dict[str, Any]:
    """`{value, ci95, significant}`; significant when the interval excludes 0."""
    return {
        "value": value,
        "ci95": list(interval) if interval else None,
        "significant": None if interval is None else (interval[0] > 0 or interval[1] < 0),
    }


def welch_interval(current: PeriodSums, previous: PeriodSums) -> tuple[float, float] | None:
    """Welch's 95 % interval for the current mean minus the previous one; None without two
    answers in each period, or without any spread (no standard error to speak of)."""
    v1 = stats.sample_variance(current.n, current.total, current.total_sq)
    v2 = stats.sample_variance(previous.n, previous.total, previous.total_sq)
    if v1 is None or v2 is None:
        return None
    a, b = v1 / current.n, v2 / previous.n
    if a + b <= 0:
        return None
    # At least min(n1, n2) - 1 in exact arithmetic; the floor guards against rounding.
    df = max(1.0, (a + b) ** 2 / (a * a / (current.n - 1) + b * b / (previous.n - 1)))
    diff = current.total / current.n - previous.total / previous.n
    half = stats.t_quantile(0.975, df) * math.sqrt(a + b)
    return (diff - half, diff + half)


def newcombe_interval(current: PeriodSums, previous: PeriodSums) -> tuple[float, float] | None:
    """Newcombe's hybrid score 95 % interval for the current CSAT minus the previous one."""
    first = stats.wilson_interval(current.csat, current.n)
    second = stats.wilson_interval(previous.csat, previous.n)
    if first is None or second is None:
        return None
    p1, p2 = current.csat / current.n, previous.csat / previous.n
    (l1, u1), (l2, u2) = first, second
    diff = p1 - p2
    return (
        diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def mean_change(current: PeriodSums, previous: PeriodSums) -> dict[str, Any]:
    value = (
        current.total / current.n - previous.total / previous.n
        if current.n and previous.n
        else None
    )
    return difference(value, welch_interval(current, previous))


def csat_change(current: PeriodSums, previous: PeriodSums) -> dict[str, Any]:
    value = (
        current.csat / current.n - previous.csat / previous.n if current.n and previous.n else None
    )
    return difference(value, newcombe_interval(current, previous))
