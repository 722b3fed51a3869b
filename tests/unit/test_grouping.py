"""The report keys: the API, CLI and admin forms offer these, in this order."""

from __future__ import annotations

import pytest

from survey.reporting.grouping import GROUP_KEYS, TIME_KEYS


def test_the_report_keys_and_which_of_them_are_time_keys() -> None:
    assert GROUP_KEYS == (
        "day",
        "week",
        "month",
        "channel",
        "actor",
        "team",
        "agent",
        "case_type",
        "language",
    )
    assert TIME_KEYS == ("day", "week", "month")


def test_periods_are_bounded_per_time_grouping() -> None:
    from survey.reporting.report import InvalidReportRequest, ReportRequest

    assert ReportRequest.parse("2025-01-01", "2026-01-02", ["day"]).group_by == ("day",)
    with pytest.raises(InvalidReportRequest, match="at most 366 days"):
        ReportRequest.parse("2025-01-01", "2026-01-03", ["day"])
    assert ReportRequest.parse("2020-01-06", "2025-01-06", ["week"])  # 261 weeks
    with pytest.raises(InvalidReportRequest, match="at most 261 weeks"):
        ReportRequest.parse("2020-01-06", "2025-01-07", ["week"])
    assert ReportRequest.parse("2016-01-01", "2026-01-01", ["month"])  # 120 months
    with pytest.raises(InvalidReportRequest, match="at most 120 months"):
        ReportRequest.parse("2016-01-01", "2026-01-02", ["team", "month"])
    assert ReportRequest.parse("1990-01-01", "2026-01-01", ["team"])  # no time grouping
    with pytest.raises(InvalidReportRequest, match="1900"):
        ReportRequest.parse("0001-01-01", "2026-01-01", [])
