"""`unknown` SMS surveys reconciled with Twilio through the real twilio client and the fake's
Messages list: each outcome, the one retry, and e-mail left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from survey.channels.twilio import TwilioChannel
from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.delivery.reconcile import SILENCE_PROVES_NOTHING_SENT, reconcile_unknown_sms
from survey.models import AuditLog, DeliveryStatus, Survey
from tests.factories import make_survey
from tests.plugins.delivery import FakeTwilio, twilio_settings

PHONE = "+46701234567"


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], fake_twilio: FakeTwilio
) -> dict[str, Any]:
    return {
        **settings_overrides,
        **twilio_settings(fake_twilio),
    }


def _reload(ctx: Context, survey_id: int | None) -> Survey:
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return survey


def _lost_answer(ctx: Context, fake_twilio: FakeTwilio, **contact: Any) -> Survey:
    """A survey whose send reached Twilio but whose answer never came back: `unknown`."""
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact={"customer_phone": PHONE, **contact})
    fake_twilio.delay = 1.0
    impatient = TwilioChannel.from_settings(ctx.settings, timeout=0.3)
    dispatch_due_surveys(ctx, channels={"sms": impatient})
    fake_twilio.delay = 0.0
    lost = _reload(ctx, survey.id)
    assert lost.delivery_status == DeliveryStatus.unknown and lost.provider_message_id is None
    return lost


def _never_reached(ctx: Context, attempted_at: datetime, **fields: Any) -> Survey:
    """An `unknown` survey whose request never reached Twilio."""
    with ctx.session() as session:
        return make_survey(
            ctx,
            session,
            contact={"customer_phone": PHONE},
            delivery_status=DeliveryStatus.unknown,
            attempted_at=attempted_at,
            **{"attempts": 1, **fields},
        )


def _moves(ctx: Context) -> list[tuple[Any, ...]]:
    with ctx.session() as session:
        entries = session.exec(
            select(AuditLog)
            .where(col(AuditLog.action) == "survey.reconciled")
            .order_by(col(AuditLog.id))
        ).all()
    return [(e.who, e.details["survey_id"], e.details["moved_to"]) for e in entries]


def test_a_lost_answer_for_a_message_twilio_holds_becomes_sent_with_its_sid(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    survey = _lost_answer(ctx, fake_twilio)
    assert reconcile_unknown_sms(ctx) == {"sent": 1}
    done = _reload(ctx, survey.id)
    held = fake_twilio.message_for(survey.id or 0)
    assert done.delivery_status == DeliveryStatus.sent
    assert done.provider_message_id == held["sid"] and done.sent_at is not None
    assert done.last_error is None and done.error_category is None
    assert fake_twilio.list_requests[-1]["To"] == PHONE
    assert _moves(ctx) == [("system:reconcile", survey.id, "sent")]
    assert len(fake_twilio.requests) == 1  # asked, never sent again


@pytest.mark.parametrize(
    ("twilio_status", "error_code", "expected", "category"),
    [
        ("delivered", None, DeliveryStatus.delivered, None),
        ("undelivered", 30006, DeliveryStatus.failed, "recipient_unreachable"),
        ("failed", None, DeliveryStatus.failed, "undelivered"),
    ],
)
def test_a_lost_answer_takes_the_status_twilio_reports(
    ctx: Context,
    fake_twilio: FakeTwilio,
    twilio_status: str,
    error_code: int | None,
    expected: DeliveryStatus,
    category: str | None,
) -> None:
    survey = _lost_answer(ctx, fake_twilio)
    held = fake_twilio.message_for(survey.id or 0)
    held.update(status=twilio_status, error_code=error_code)
    assert reconcile_unknown_sms(ctx) == {expected.value: 1}
    done = _reload(ctx, survey.id)
    assert done.delivery_status == expected and done.provider_message_id == held["sid"]
    assert done.error_category == category and done.error_code == error_code
    if expected == DeliveryStatus.delivered:
        assert done.delivered_at is not None and done.sent_at is not None
    assert _moves(ctx) == [("system:reconcile", survey.id, expected.value)]


def test_only_its_own_link_matches_another_survey_to_the_same_number_does_not(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    with ctx.session() as session:
        make_survey(ctx, session, contact={"customer_phone": PHONE})
    dispatch_due_surveys(ctx)  # an earlier survey to the same customer, sent
    attempted = datetime.now(UTC) - timedelta(minutes=5)
    survey = _never_reached(ctx, attempted)
    assert reconcile_unknown_sms(ctx) == {"waiting": 1}
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.unknown
    assert _moves(ctx) == []


def test_twilio_silence_after_the_validity_period_allows_one_retry_only(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    attempted = datetime.now(UTC) - timedelta(minutes=30)
    survey = _never_reached(ctx, attempted)
    # Before the validity period and the hour after it have passed: wait.
    ctx.now = lambda: attempted + SILENCE_PROVES_NOTHING_SENT - timedelta(seconds=1)
    assert reconcile_unknown_sms(ctx) == {"waiting": 1}
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.unknown

    later = attempted + SILENCE_PROVES_NOTHING_SENT + timedelta(seconds=1)
    ctx.now = lambda: later
    assert reconcile_unknown_sms(ctx) == {"retried": 1}
    retried = _reload(ctx, survey.id)
    assert retried.delivery_status == DeliveryStatus.scheduled
    assert retried.reconcile_retried_at == later and retried.error_category == "not_at_provider"

    assert dispatch_due_surveys(ctx)["sent"] == 1
    assert fake_twilio.per_survey()[str(survey.id)] == 1
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.sent
    assert _moves(ctx) == [("system:reconcile", survey.id, "scheduled")]


def test_a_retried_send_that_twilio_again_never_got_fails_and_is_not_sent_a_third_time(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    attempted = datetime.now(UTC) - timedelta(hours=3)
    survey = _never_reached(
        ctx, attempted, attempts=2, reconcile_retried_at=attempted - timedelta(hours=2)
    )
    assert reconcile_unknown_sms(ctx) == {"failed_after_retry": 1}
    done = _reload(ctx, survey.id)
    assert done.delivery_status == DeliveryStatus.failed
    assert done.error_category == "not_at_provider"
    assert reconcile_unknown_sms(ctx) == {}
    assert dispatch_due_surveys(ctx).get("sent", 0) == 0 and fake_twilio.requests == []
    assert _moves(ctx) == [("system:reconcile", survey.id, "failed")]


def test_an_unknown_email_stays_unknown_and_twilio_is_not_asked(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            contact={"channel": "email", "customer_email": "a@example.se", "customer_phone": None},
            delivery_status=DeliveryStatus.unknown,
            attempted_at=datetime.now(UTC) - timedelta(days=1),
        )
    assert reconcile_unknown_sms(ctx) == {}
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.unknown
    assert fake_twilio.list_requests == []


def test_the_reconcile_job_runs_once_from_the_command_line(
    ctx: Context, fake_twilio: FakeTwilio, runner: Any
) -> None:
    survey = _lost_answer(ctx, fake_twilio)
    result = runner("jobs", "run-once", "reconcile")
    assert result.exit_code == 0, result.output
    assert '"sent": 1' in result.output
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.sent
