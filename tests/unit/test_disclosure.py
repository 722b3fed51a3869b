"""The disclosure rule: groups that can name a person only per whole calendar week or month."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from survey.reporting.disclosure_control import (
    AGENT_REPORTING_OFF,
    WHOLE_PERIODS,
    cells_are_whole,
    disclosure_problem,
    needs_whole_periods,
)
from survey.reporting.report import InvalidReportRequest, ReportRequest

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("group_by", "fine"),
    [
        ((), False),
        (("team",), False),
        (("team", "week"), False),
        (("team", "actor"), False),
        (("channel", "case_type"), False),
        (("agent",), True),
        (("agent", "month"), True),
        (("team", "channel"), True),
        (("team", "case_type"), True),
        (("language", "team"), True),
    ],
)
def test_which_groupings_can_name_a_person(group_by: tuple[str, ...], fine: bool) -> None:
    assert needs_whole_periods(group_by) is fine


@pytest.mark.parametrize(
    ("start", "end", "group_by", "whole"),
    [
        (MONDAY, MONDAY + timedelta(days=7), ("agent",), True),
        (date(2026, 11, 1), date(2026, 12, 1), ("agent",), True),
        (date(2026, 12, 1), date(2027, 1, 1), ("agent",), True),
        (date(2026, 11, 28), date(2026, 11, 29), ("agent",), False),
        (date(2026, 11, 28), date(2026, 11, 30), ("agent",), False),
        (MONDAY, MONDAY + timedelta(days=14), ("agent",), False),
        (date(2026, 11, 1), date(2027, 1, 1), ("agent",), False),
        (MONDAY, MONDAY + timedelta(days=14), ("agent", "week"), True),
        (MONDAY + timedelta(days=1), MONDAY + timedelta(days=14), ("agent", "week"), False),
        (date(2026, 1, 1), date(2026, 12, 1), ("agent", "month"), True),
        (date(2026, 1, 1), date(2026, 12, 2), ("agent", "month"), False),
        (MONDAY, MONDAY + timedelta(days=7), ("agent", "day"), False),
        (date(2026, 6, 1), date(2026, 7, 1), ("agent", "week", "month"), False),
    ],
)
def test_periods_whose_every_cell_is_a_whole_week_or_month(
    start: date, end: date, group_by: tuple[str, ...], whole: bool
) -> None:
    assert cells_are_whole(start, end, group_by) is whole


def _brute_force_whole(start: date, end: date, time_key: str | None) -> bool:
    """Every cell (the period cut by the time key) is exactly one whole unit of its key: an
    ISO week for `week`, a calendar month for `month` (a month cut to one week is a partial
    month), either for no time key."""
    cells: dict[object, set[date]] = {}
    day = start
    while day < end:
        label = {
            None: None,
            "day": day,
            "week": day.isocalendar()[:2],
            "month": (day.year, day.month),
        }[time_key]
        cells.setdefault(label, set()).add(day)
        day += timedelta(days=1)
    for days in cells.values():
        first = min(days)
        monday = first - timedelta(days=first.weekday())
        week = {monday + timedelta(days=i) for i in range(7)}
        month_days = calendar.monthrange(first.year, first.month)[1]
        month = {date(first.year, first.month, d) for d in range(1, month_days + 1)}
        whole = {"week": days == week, "month": days == month}
        if time_key in whole and not whole[time_key]:
            return False
        if time_key not in whole and days != week and days != month:
            return False
    return True


@example(start=date(2024, 1, 1), length=98, time_key="month", fine=("agent",))
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    length=st.integers(min_value=1, max_value=120),
    time_key=st.sampled_from([None, "day", "week", "month"]),
    fine=st.sampled_from([("agent",), ("team", "channel"), ("team", "language", "actor")]),
)
def test_the_rule_admits_exactly_the_periods_of_whole_cells(
    start: date, length: int, time_key: str | None, fine: tuple[str, ...]
) -> None:
    end = start + timedelta(days=length)
    group_by = (*fine, time_key) if time_key else fine
    assert cells_are_whole(start, end, group_by) is _brute_force_whole(start, end, time_key)
    allowed = disclosure_problem(start, end, group_by, agent_reporting=True) is None
    assert allowed is _brute_force_whole(start, end, time_key)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    length=st.integers(min_value=1, max_value=120),
)
def test_coarse_groupings_take_any_period(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    for group_by in ((), ("team",), ("channel", "case_type", "day"), ("team", "actor")):
        assert disclosure_problem(start, end, group_by, agent_reporting=True) is None


def test_agent_reporting_off_refuses_agent_even_for_a_whole_week() -> None:
    week = (MONDAY, MONDAY + timedelta(days=7))
    assert disclosure_problem(*week, ("agent",), agent_reporting=False) == AGENT_REPORTING_OFF
    assert disclosure_problem(*week, ("team",), agent_reporting=False) is None
    assert disclosure_problem(*week, ("agent", "day"), agent_reporting=True) == WHOLE_PERIODS


def test_parse_names_the_rule_and_its_parameters() -> None:
    with pytest.raises(InvalidReportRequest) as refused:
        ReportRequest.parse("2026-11-28", "2026-11-30", ["agent"])
    assert refused.value.rule == WHOLE_PERIODS
    assert refused.value.params == ("from", "to", "group_by")
    with pytest.raises(InvalidReportRequest) as off:
        ReportRequest.parse("2026-11-23", "2026-11-30", ["agent"], agent_reporting=False)
    assert off.value.rule == AGENT_REPORTING_OFF and off.value.params == ("group_by",)
    assert ReportRequest.parse("2026-11-23", "2026-11-30", ["agent"]).group_by == ("agent",)
