"""The statistics of the reports: intervals, percentiles and small-group suppression.

Plain functions over counts and sums (what SQL aggregates return), no database, no scipy.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from statistics import NormalDist
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

Z95 = NormalDist().inv_cdf(0.975)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float, y: float | None = None) -> float:
    """I_x(a, b), the regularized incomplete beta function; y = 1 - x, if known more exactly."""
    y = 1.0 - x if y is None else y
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, y) / b


def t_cdf(t: float, df: float) -> float:
    """The cumulative distribution function of Student's t."""
    t2 = t * t
    # Both x and 1 - x from the same ratio: near t = 0 or for large |t| one of them is tiny.
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile (0.5 < p < 1) of Student's t with df degrees of freedom, by bisection."""
    if not 0.5 < p < 1.0 or df < 1:
        raise ValueError("need 0.5 < p < 1 and df >= 1")
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def mean_from_sums(n: int, total: float) -> float | None:
    return total / n if n else None


def sample_variance(n: int, total: float, total_sq: float) -> float | None:
    """Sample variance (n - 1 in the denominator) from the count, sum and sum of squares."""
    if n < 2:
        return None
    return max(0.0, (total_sq - total * total / n) / (n - 1))


def t_interval(n: int, total: float, total_sq: float) -> tuple[float, float] | None:
    """The 95 % t-interval for the mean, from the count, sum and sum of squares."""
    variance = sample_variance(n, total, total_sq)
    if variance is None:
        return None
    mean = total / n
    half = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return (mean - half, mean + half)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion (95 % by default)."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (lo, hi)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percentile_cont(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    below = math.floor(position)
    above = min(below + 1, len(sorted_values) - 1)
    weight = position - below
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * weight


def percentile_positions(count: int, fraction: float) -> tuple[int, int, float]:
    """The two 1-based ranks percentile_cont interpolates between, and the weight of the upper."""
    position = fraction * (count - 1)
    below = math.floor(position)
    return below + 1, min(below + 2, count), position - below


def suppressed_groups(responses: Mapping[K, int], min_size: int) -> set[K]:
    """Groups whose scores must be hidden.

    A group with fewer responses than `min_size` is hidden. Where exactly one group with
    answers is hidden, the next smallest group with answers is hidden too, so that it cannot be
    recovered from the total by subtraction. A group without answers has nothing to protect
    and nothing to give away: it never causes, nor serves as, this complementary suppression.
    Ties are broken by the order of the mapping, so the result is deterministic.
    """
    small = {key for key, n in responses.items() if n < min_size}
    protected = [key for key in small if responses[key] > 0]
    if len(protected) == 1:
        position = {key: i for i, key in enumerate(responses)}
        rest = sorted(
            (key for key in responses if key not in small),
            key=lambda key: (responses[key], position[key]),
        )
        if rest:
            small.add(rest[0])
    return small
