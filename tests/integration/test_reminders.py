"""One reminder with the same link while a survey is open; expiry after SURVEY_EXPIRY_DAYS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.delivery.reminders import expire_surveys, send_reminders
from survey.identifiers import identifier_hashes
from survey.models import OutboxMessage, ResponseStatus, Survey
from survey.optouts import record_opt_out
from tests.factories import make_survey
from tests.plugins.delivery import DELIVERY_SETTINGS


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, **DELIVERY_SETTINGS}


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(ctx: Context) -> Clock:
    clock = Clock()
    ctx.now = clock
    return clock


def _outbox(ctx: Context) -> list[OutboxMessage]:
    with ctx.session() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def _reload(ctx: Context, survey_id: int | None) -> Survey:
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return survey


def _sent_survey(ctx: Context, clock: Clock, **fields: Any) -> Survey:
    with ctx.session() as session:
        survey = make_survey(ctx, session, **fields)
    dispatch_due_surveys(ctx)
    return _reload(ctx, survey.id)


def test_one_reminder_with_the_same_link_after_the_delay(ctx: Context, clock: Clock) -> None:
    survey = _sent_survey(ctx, clock)
    clock.now += timedelta(hours=47)
    assert send_reminders(ctx) == {}
    clock.now += timedelta(hours=2)
    assert send_reminders(ctx)["sent"] == 1
    clock.now += timedelta(hours=24)
    assert send_reminders(ctx) == {}
    first, reminder = _outbox(ctx)
    assert reminder.kind == "reminder" and "Kundservice påminner:" in reminder.body
    assert reminder.link == first.link and reminder.to_address == first.to_address
    assert _reload(ctx, survey.id).reminder_sent_at is not None


@pytest.mark.parametrize(
    "status", [ResponseStatus.answered, ResponseStatus.declined, ResponseStatus.opted_out]
)
def test_no_reminder_once_answered_declined_or_opted_out(
    ctx: Context, clock: Clock, status: ResponseStatus
) -> None:
    survey = _sent_survey(ctx, clock)
    with ctx.session() as session:
        row = session.get(Survey, survey.id)
        assert row is not None
        row.response_status = status
        session.commit()
    clock.now += timedelta(hours=49)
    assert send_reminders(ctx) == {}
    assert len(_outbox(ctx)) == 1


def test_an_opened_survey_is_still_reminded(ctx: Context, clock: Clock) -> None:
    survey = _sent_survey(ctx, clock)
    with ctx.session() as session:
        row = session.get(Survey, survey.id)
        assert row is not None
        row.response_status = ResponseStatus.opened
        session.commit()
    clock.now += timedelta(hours=49)
    assert send_reminders(ctx)["sent"] == 1


def test_an_opt_out_after_sending_stops_the_reminder(ctx: Context, clock: Clock) -> None:
    survey = _sent_survey(ctx, clock)
    with ctx.session() as session:
        hashes = identifier_hashes(ctx.settings.identifier_key, "+46701234567", None, None)
        record_opt_out(session, hashes=hashes, source="sms_stop", now=clock.now)
        session.commit()
    clock.now += timedelta(hours=49)
    assert send_reminders(ctx) == {"skipped_opted_out": 1}
    assert _reload(ctx, survey.id).reminder_due_at is None
    assert len(_outbox(ctx)) == 1


def test_reminders_wait_for_the_end_of_quiet_hours(make_ctx: Any) -> None:
    ctx = make_ctx(quiet_hours="20:00-09:00")
    clock = Clock()
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 11:00 in Stockholm
    ctx.now = clock
    _sent_survey(ctx, clock, send_at=clock.now - timedelta(minutes=1))
    clock.now = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)  # 22:00, reminder due since 11:00
    assert send_reminders(ctx) == {}
    clock.now = datetime(2026, 3, 5, 8, 5, tzinfo=UTC)  # 09:05
    assert send_reminders(ctx)["sent"] == 1


def test_zero_turns_reminders_off(make_ctx: Any) -> None:
    ctx = make_ctx(reminder_after_hours=0)
    clock = Clock()
    ctx.now = clock
    survey = _sent_survey(ctx, clock)
    assert survey.reminder_due_at is None
    clock.now += timedelta(days=3)
    assert send_reminders(ctx) == {}


def test_an_unanswered_survey_expires_after_the_expiry_days(ctx: Context, clock: Clock) -> None:
    open_survey = _sent_survey(ctx, clock)
    answered = _sent_survey(ctx, clock)
    with ctx.session() as session:
        row = session.get(Survey, answered.id)
        assert row is not None
        row.response_status = ResponseStatus.answered
        session.commit()
    clock.now += timedelta(days=6, hours=23)
    assert expire_surveys(ctx) == 0
    clock.now += timedelta(hours=2)
    assert expire_surveys(ctx) == 1
    assert _reload(ctx, open_survey.id).response_status == ResponseStatus.expired
    assert _reload(ctx, answered.id).response_status == ResponseStatus.answered
    assert send_reminders(ctx) == {}


def test_the_jobs_run_once_from_the_command_line(ctx: Context, runner: Any) -> None:
    with ctx.session() as session:
        make_survey(ctx, session)
    for name in ("dispatch", "remind", "expire"):
        result = runner("jobs", "run-once", name)
        assert result.exit_code == 0, result.output
        line = json.loads(result.output.strip().splitlines()[-1])
        assert line["job"] == name
    assert len(_outbox(ctx)) == 1
