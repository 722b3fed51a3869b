"""A follow-up's due time counts working days (Monday to Friday) in Stockholm time."""

from __future__ import annotations

from datetime import datetime

from survey.followups.rules import due_at
from survey.sampling.draw import STOCKHOLM


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def test_two_working_days_from_a_tuesday_is_the_thursday() -> None:
    assert due_at(_local(2026, 3, 10, 14, 5), 2) == _local(2026, 3, 12, 14, 5)


def test_two_working_days_from_a_thursday_skip_the_weekend() -> None:
    assert due_at(_local(2026, 3, 12, 9), 2) == _local(2026, 3, 16, 9)


def test_an_answer_on_a_saturday_counts_from_monday_morning() -> None:
    assert due_at(_local(2026, 3, 14, 22), 2) == _local(2026, 3, 18, 0)


def test_zero_working_days_is_due_at_once_on_a_weekday() -> None:
    assert due_at(_local(2026, 3, 10, 8), 0) == _local(2026, 3, 10, 8)
