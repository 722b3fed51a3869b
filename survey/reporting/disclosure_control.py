"""Which groupings may be published for which periods (SPEC section 6), as pure functions.

Groups that can fall below the minimum size (an agent, or a team split by another attribute)
are published only per whole calendar week or month. Over an arbitrary range, two requests
that differ by one day would give one answer by subtraction, even though each group of each
request keeps the minimum size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

# Attributes that split a team into groups small enough to name a person.
SPLITS_A_TEAM = ("channel", "case_type", "language")

# The rules a request can break: the problem body names the rule and the parameters it concerns.
WHOLE_PERIODS = "whole-calendar-periods"
AGENT_REPORTING_OFF = "agent-reporting-off"
WHOLE_WEEKS = "whole-weeks"
MEASURED_WHOLE_PERIODS = "measured-whole-periods"
RULES: dict[str, tuple[tuple[str, ...], str]] = {
    WHOLE_PERIODS: (
        ("from", "to", "group_by"),
        "scores grouped by agent, or by team with channel, case_type or language, are "
        "published only per whole calendar week or month: give from/to as one ISO week "
        "(Monday to Monday) or one calendar month, or add group_by=week with from/to on "
        "Mondays, or group_by=month with from/to on the first day of a month",
    ),
    MEASURED_WHOLE_PERIODS: (
        ("from", "to", "group_by"),
        "an actor's key sees its figures only per whole calendar week or month, never by day: "
        "give from/to as one ISO week or one calendar month, or group_by=week with from/to on "
        "Mondays, or group_by=month with from/to on the first day of a month",
    ),
    WHOLE_WEEKS: (
        ("from", "to"),
        "comments are listed per whole ISO week: 'from' and 'to' must be Mondays",
    ),
    AGENT_REPORTING_OFF: (
        ("group_by",),
        "agent-level reporting is off (SURVEY_AGENT_REPORTING): group_by=agent is not accepted",
    ),
}


def needs_whole_periods(group_by: Sequence[str]) -> bool:
    """Whether a grouping's groups can be small enough that only whole periods may be shown."""
    return "agent" in group_by or (
        "team" in group_by and any(key in SPLITS_A_TEAM for key in group_by)
    )


def is_monday(day: date) -> bool:
    return day.isoweekday() == 1


def next_month(day: date) -> date:
    """The first day of the month after the one of `day`."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def is_one_week_or_month(start: date, end: date) -> bool:
    """[start, end) is exactly one ISO week or exactly one calendar month."""
    one_week = is_monday(start) and end == start + timedelta(days=7)
    one_month = start.day == 1 and end == next_month(start)
    return one_week or one_month


def cells_are_whole(start: date, end: date, group_by: Sequence[str]) -> bool:
    """Every cell of the grouping over [start, end) covers exactly one whole week or month.

    A cell is the period cut by the grouping's time key: with `week` every week must lie
    whole in the period (from/to on Mondays), with `month` every month (from/to on the 1st);
    without a time key the period itself must be one week or one month. Days are never whole
    weeks, and weeks cut by months are not whole either.
    """
    times = {key for key in group_by if key in ("day", "week", "month")}
    if not times:
        return is_one_week_or_month(start, end)
    if times == {"week"}:
        return is_monday(start) and is_monday(end)
    if times == {"month"}:
        return start.day == 1 and end.day == 1
    return False


def disclosure_problem(
    start: date,
    end: date,
    group_by: Sequence[str],
    *,
    agent_reporting: bool,
    measured: bool = False,
) -> str | None:
    """The rule (a key of RULES) a report of this period and grouping breaks; None if none.

    `measured`: the request comes from an actor's key. The measured know their own contacts,
    so any cell of theirs can be small (a rare case type on one day): they get whole weeks or
    months only, whatever the grouping, so that neither a small cell nor the difference of
    two overlapping ranges singles out one customer's answer."""
    if "agent" in group_by and not agent_reporting:
        return AGENT_REPORTING_OFF
    if needs_whole_periods(group_by) and not cells_are_whole(start, end, group_by):
        return WHOLE_PERIODS
    if measured and not cells_are_whole(start, end, group_by):
        return MEASURED_WHOLE_PERIODS
    return None
