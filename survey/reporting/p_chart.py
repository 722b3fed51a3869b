"""A p-chart (Shewhart control chart for a share) of CSAT per week or month: plain functions.

The centre line is the unit's pooled CSAT over the period, p̄; each period i with n_i answers
has its own limits p̄ ± 3·sqrt(p̄(1 - p̄)/n_i), clipped to [0, 1]. A period whose CSAT lies
outside its limits is out of control: a cause worth looking for, not a verdict on anyone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SIGMAS = 3.0
ABOVE, BELOW = "above", "below"


@dataclass(frozen=True)
class Sample:
    """One period's answers: how many gave 4 or 5 (`yes`) of `n`."""

    label: str
    yes: int
    n: int


@dataclass(frozen=True)
class ChartPoint:
    label: str
    n: int
    share: float
    lower: float
    upper: float
    outside: str | None  # ABOVE, BELOW or None (within the limits)


@dataclass(frozen=True)
class PChart:
    centre: float | None
    points: tuple[ChartPoint, ...]

    @property
    def out_of_control(self) -> tuple[ChartPoint, ...]:
        return tuple(p for p in self.points if p.outside is not None)


def pooled_share(samples: Sequence[Sample]) -> float | None:
    """Σ yes / Σ n over the samples; None without any answer."""
    n = sum(s.n for s in samples)
    return sum(s.yes for s in samples) / n if n else None


def limits(centre: float, n: int) -> tuple[float, float]:
    """The control limits of a period with n answers around the centre line."""
    half = SIGMAS * math.sqrt(centre * (1 - centre) / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def p_chart(samples: Sequence[Sample], centre: float | None = None) -> PChart:
    """The chart of the samples (periods without answers left out) around `centre`, by default
    the samples' pooled share."""
    centre = pooled_share(samples) if centre is None else centre
    if centre is None:
        return PChart(None, ())
    points = []
    for sample in samples:
        if sample.n <= 0:
            continue
        share = sample.yes / sample.n
        lower, upper = limits(centre, sample.n)
        outside = ABOVE if share > upper else BELOW if share < lower else None
        points.append(ChartPoint(sample.label, sample.n, share, lower, upper, outside))
    return PChart(centre, tuple(points))
