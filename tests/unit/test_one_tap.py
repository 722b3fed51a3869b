"""The scanner-burst rule of the one-tap links, as a pure function (respondent/one_tap.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from survey.models import ResponseStatus
from survey.respondent.one_tap import BURST, after_tap

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _tap(
    overall: int,
    at: datetime,
    *,
    status: str = ResponseStatus.pending,
    opened_at: datetime | None = None,
    tapped_at: datetime | None = None,
    tapped_overall: int | None = None,
) -> dict[str, Any]:
    return after_tap(
        response_status=status,
        opened_at=opened_at,
        tapped_at=tapped_at,
        tapped_overall=tapped_overall,
        overall=overall,
        now=at,
    )


def test_the_first_one_tap_view_opens_the_survey_and_is_remembered() -> None:
    assert _tap(4, T0) == {
        "tapped_at": T0,
        "tapped_overall": 4,
        "response_status": ResponseStatus.opened,
        "opened_at": T0,
    }


def test_a_second_score_within_five_seconds_undoes_the_opening_of_the_first() -> None:
    later = T0 + timedelta(seconds=1)
    values = _tap(
        5,
        later,
        status=ResponseStatus.opened,
        opened_at=T0,
        tapped_at=T0,
        tapped_overall=4,
    )
    assert values == {
        "tapped_at": later,
        "tapped_overall": 5,
        "response_status": ResponseStatus.pending,
        "opened_at": None,
    }


def test_a_view_in_a_burst_opens_nothing() -> None:
    values = _tap(
        3, T0 + timedelta(seconds=2), tapped_at=T0 + timedelta(seconds=1), tapped_overall=5
    )
    assert "response_status" not in values and "opened_at" not in values


def test_the_same_score_again_is_not_a_burst() -> None:
    values = _tap(4, T0 + timedelta(seconds=1), tapped_at=T0, tapped_overall=4)
    assert values["response_status"] == ResponseStatus.opened


def test_another_score_five_seconds_later_counts_as_opened() -> None:
    values = _tap(2, T0 + BURST, tapped_at=T0, tapped_overall=4)
    assert values["response_status"] == ResponseStatus.opened


def test_a_burst_keeps_an_opening_older_than_five_seconds() -> None:
    values = _tap(
        5,
        T0 + timedelta(seconds=61),
        status=ResponseStatus.opened,
        opened_at=T0,
        tapped_at=T0 + timedelta(seconds=60),
        tapped_overall=1,
    )
    assert values == {"tapped_at": T0 + timedelta(seconds=61), "tapped_overall": 5}


def test_a_burst_never_touches_an_answered_survey() -> None:
    values = _tap(
        1,
        T0 + timedelta(seconds=1),
        status=ResponseStatus.answered,
        opened_at=T0,
        tapped_at=T0,
        tapped_overall=5,
    )
    assert set(values) == {"tapped_at", "tapped_overall"}
