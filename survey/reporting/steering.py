"""Steering measures of the fairness report: one rate per unit, judged against the rest.

A unit is an actor (agent null) or one of its agents. Each measure is a share `num / den` with
its Wilson 95 % interval and control limits from the rest of the organisation (the unit
excluded; for an agent, everything but that agent's):

    limits = p0 +- 3.09 * sqrt(p0 * (1 - p0) / den), clipped to [0, 1]

3.09 is the one-sided 0.1 % point of the normal distribution, the funnel plot's outer limit.
A flag names a measure outside its limits in the direction that steering would push it: above
the upper limit for the five steering shares and the decline rate (a low share steers nothing,
and with two actors the honest one's p0 is the dishonest one's rate, so a two-sided rule would
flag the honest actor too), on either side for the response rate. Where the rest has a rate of
0, its limits are [0, 0] and any case of the behaviour in the unit is flagged.

Plain functions over counts: no database.
"""

from __future__ import annotations

import math
from typing import Any

from survey.reporting import stats

Z_LIMIT = 3.09

# The measures in report order; those flagged on one side only, when above the upper limit.
STEERING_SHARES = (
    "do_not_survey_share",
    "staff_opt_out_share",
    "post_draw_cancel_share",
    "split_case_share",
    "reused_case_share",
)
MEASURES = (*STEERING_SHARES, "decline_rate", "response_rate")
UPPER_ONLY = frozenset((*STEERING_SHARES, "decline_rate"))


def control_limits(p0: float | None, den: int) -> list[float] | None:
    """p0 +- 3.09 standard errors at a denominator of `den`, clipped to [0, 1]."""
    if p0 is None or den <= 0:
        return None
    half = Z_LIMIT * math.sqrt(p0 * (1.0 - p0) / den)
    return [max(0.0, p0 - half), min(1.0, p0 + half)]


def measure(num: int, den: int, rest_num: int, rest_den: int) -> dict[str, Any]:
    """One measure of a unit: its share, Wilson interval and limits from the rest's rate."""
    if den <= 0:
        return {"num": num, "den": den, "rate": None, "ci95": None, "limits": None}
    interval = stats.wilson_interval(num, den)
    return {
        "num": num,
        "den": den,
        "rate": num / den,
        "ci95": list(interval) if interval else None,
        "limits": control_limits(stats.share(rest_num, rest_den), den),
    }


def is_flagged(name: str, figures: dict[str, Any]) -> bool:
    """Whether a measure lies outside its limits in the direction that indicates steering."""
    rate, limits = figures["rate"], figures["limits"]
    if rate is None or limits is None:
        return False
    if rate > limits[1]:
        return True
    return name not in UPPER_ONLY and rate < limits[0]


def flags(measures: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name in MEASURES if name in measures and is_flagged(name, measures[name])]
