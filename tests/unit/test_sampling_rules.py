"""The suppression order, the age and cap rules, the send channel and the send time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.models import DecisionReason
from survey.policy_fields import QuietHours
from survey.sampling.draw import (
    STOCKHOLM,
    CaseFacts,
    closure_period,
    decide,
    is_too_old,
    postponed_send_time,
    send_channel,
    send_time,
    within_frequency_cap,
)

CLEAR = CaseFacts(
    do_not_survey=False,
    opted_out=False,
    case_already_surveyed=False,
    surveyed_recently=False,
    too_old=False,
    reachable=True,
)
ORDER = [
    ("do_not_survey", DecisionReason.do_not_survey),
    ("opted_out", DecisionReason.opted_out),
    ("case_already_surveyed", DecisionReason.case_already_surveyed),
    ("surveyed_recently", DecisionReason.customer_surveyed_recently),
    ("too_old", DecisionReason.too_old),
    ("reachable", DecisionReason.no_reachable_address),
]
QUIET = QuietHours.parse("20:00-09:00")


def test_not_drawn_needs_no_facts() -> None:
    assert decide(False, None) == DecisionReason.not_drawn


def test_a_drawn_case_with_nothing_against_it_is_selected() -> None:
    assert decide(True, CLEAR) == DecisionReason.selected


@given(st.lists(st.sampled_from(range(len(ORDER))), min_size=1, unique=True))
def test_the_first_rule_in_spec_order_gives_the_reason(triggered: list[int]) -> None:
    facts = replace(CLEAR, **{ORDER[i][0]: ORDER[i][0] != "reachable" for i in triggered})
    assert decide(True, facts) == ORDER[min(triggered)][1]


def test_too_old_is_measured_against_received_at() -> None:
    closed = datetime(2026, 1, 1, tzinfo=UTC)
    assert is_too_old(closed, closed + timedelta(hours=72, seconds=1), 72)
    assert not is_too_old(closed, closed + timedelta(hours=72), 72)
    assert not is_too_old(closed, closed + timedelta(days=400), 0)  # 0 turns it off


def test_frequency_cap_counts_both_ways_and_zero_is_off() -> None:
    closed = datetime(2026, 3, 1, tzinfo=UTC)
    assert within_frequency_cap(closed - timedelta(days=30), closed, 30)
    assert not within_frequency_cap(closed - timedelta(days=30, seconds=1), closed, 30)
    assert within_frequency_cap(closed + timedelta(days=2), closed, 30)
    assert not within_frequency_cap(closed, closed, 0)


@pytest.mark.parametrize(
    ("channel", "phone", "email", "expected"),
    [
        ("phone", "+4670", "a@b.se", ("sms", "+4670")),
        ("sms", "+4670", "a@b.se", ("sms", "+4670")),
        ("email", "+4670", "a@b.se", ("email", "a@b.se")),
        ("chat", "+4670", "a@b.se", ("email", "a@b.se")),
        ("chat", "+4670", None, ("sms", "+4670")),
        ("phone", None, "a@b.se", ("email", "a@b.se")),
        ("visit", None, "a@b.se", ("email", "a@b.se")),
        ("visit", "+4670", None, ("sms", "+4670")),
        ("phone", None, None, None),
    ],
)
def test_send_channel(
    channel: str, phone: str | None, email: str | None, expected: tuple[str, str] | None
) -> None:
    found = send_channel(channel, phone, email)
    assert (None if found is None else (str(found[0]), found[1])) == expected


@pytest.mark.parametrize(
    ("closed", "expected"),
    [
        # 11:00 Stockholm + 1 h: outside quiet hours
        (datetime(2026, 3, 10, 10, 0, tzinfo=UTC), datetime(2026, 3, 10, 11, 0, tzinfo=UTC)),
        # 19:30 + 1 h = 20:30: next morning 09:00 (CET)
        (datetime(2026, 3, 10, 18, 30, tzinfo=UTC), datetime(2026, 3, 11, 8, 0, tzinfo=UTC)),
        # 01:00 local: 09:00 the same day
        (datetime(2026, 3, 10, 0, 0, tzinfo=UTC), datetime(2026, 3, 10, 8, 0, tzinfo=UTC)),
        # across the spring DST change (29 March 2026): 09:00 CEST is 07:00 UTC
        (datetime(2026, 3, 28, 20, 0, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
    ],
)
def test_send_time_moves_out_of_quiet_hours(closed: datetime, expected: datetime) -> None:
    assert send_time(closed, 60, QUIET) == expected


def test_no_quiet_hours_means_closure_plus_delay() -> None:
    closed = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
    assert send_time(closed, 90, None) == closed + timedelta(minutes=90)


@given(st.datetimes(timezones=st.just(UTC)), st.integers(0, 3000))
def test_send_time_is_never_in_quiet_hours_nor_before_the_delay(
    closed: datetime, delay: int
) -> None:
    sent = send_time(closed, delay, QUIET)
    assert sent >= closed + timedelta(minutes=delay)
    assert QUIET is not None
    assert not QUIET.contains(sent.astimezone(STOCKHOLM).time())


def test_postponement_follows_the_last_closure_up_to_the_maximum() -> None:
    first = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
    moved = postponed_send_time(
        current=first,
        first_send_at=first,
        last_closed_at=first + timedelta(hours=1),
        delay_minutes=60,
        quiet=None,
        max_postpone_hours=72,
    )
    assert moved == first + timedelta(hours=2)
    capped = postponed_send_time(
        current=first,
        first_send_at=first,
        last_closed_at=first + timedelta(days=10),
        delay_minutes=60,
        quiet=None,
        max_postpone_hours=72,
    )
    assert capped == first + timedelta(hours=72)


def test_a_capped_postponement_stays_out_of_quiet_hours() -> None:
    first = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)  # 12:00 local; +10 h = 22:00 local
    capped = postponed_send_time(
        current=first,
        first_send_at=first,
        last_closed_at=first + timedelta(days=3),
        delay_minutes=60,
        quiet=QUIET,
        max_postpone_hours=10,
    )
    assert capped == datetime(2026, 3, 10, 18, 59, tzinfo=UTC)  # 19:59 local


def test_closure_period_uses_stockholm_dates_and_iso_weeks() -> None:
    # 23:30 UTC on Sunday 3 Jan 2027 is Monday 00:30 in Stockholm: ISO week 1 of 2027
    assert closure_period(datetime(2027, 1, 3, 23, 30, tzinfo=UTC))[1:] == ("2027-W01", "2027-01")
    day, week, month = closure_period(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert (str(day), week, month) == ("2027-01-01", "2026-W53", "2027-01")
