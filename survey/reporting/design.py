"""The figures of SPEC section 7 beside each group's scores: the funnel, its AAPOR rates and
the design-weighted overall figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from survey.reporting.funnel import funnel, rates
from survey.reporting.weighted import RateSums, weighted_overall


def design_figures(
    stages: dict[str, int], sums: dict[str, RateSums], *, suppressed: bool
) -> dict[str, Any]:
    """The funnel, its AAPOR rates and the design-weighted overall figures of a group."""
    stage_counts = funnel(stages)
    return {
        "funnel": stage_counts,
        "rates": rates(stage_counts),
        "weighted": {"overall": weighted_overall(sums, suppressed=suppressed)},
    }


def with_funnel_only_groups(
    rows: list[dict[str, Any]], stages: dict[tuple[Any, ...], dict[str, int]], keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The groups with surveys, and those with only undrawn or suppressed cases (no figures)."""
    present = {tuple(row["key"].values()) for row in rows}
    for key in stages:
        if key not in present:
            rows.append({"key": dict(zip(keys, key, strict=True)), "surveys": 0})
    return rows


def sum_counts(groups: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in groups:
        for name, value in counts.items():
            total[name] = total.get(name, 0) + value
    return total
