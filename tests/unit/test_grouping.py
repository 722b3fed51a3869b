"""The report keys: the API, CLI and admin forms offer these, in this order."""

from __future__ import annotations

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
