"""Answering by replying to the SMS (SURVEY_SMS_MODE=reply): a digit answers the overall question
of the number's latest SMS survey, once; every other reply gets at most one short answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import col
from twilio.request_validator import RequestValidator

from survey.channels.outbox import list_messages
from survey.config import ConfigError
from survey.context import Context
from survey.identifiers import identifier_hash
from survey.models import DeliveryStatus, Response, ResponseStatus, SmsReply, Survey
from survey.optouts import opted_out_hashes
from survey.privacy.retention import purge_expired
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.sampling.policy import change_policy
from survey.startup import start_context
from tests.factories import make_survey

TOKEN = "test-twilio-auth-token"
PHONE = "+46701234567"
INBOUND = "/webhooks/twilio/inbound"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "twilio_auth_token": TOKEN, "sms_mode": "reply"}


def _reply(client: FlaskClient, body: str, sid: str) -> None:
    form = {"From": PHONE, "Body": body, "MessageSid": sid}
    signature = RequestValidator(TOKEN).compute_signature(f"https://survey.test{INBOUND}", form)
    response = client.post(INBOUND, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and response.mimetype == "text/xml"


def _sent_survey(ctx: Context, *, sent_at: datetime | None = None, **fields: Any) -> Survey:
    sent = sent_at or ctx.now() - timedelta(hours=1)
    with ctx.session() as session:
        return make_survey(
            ctx,
            session,
            delivery_status=DeliveryStatus.delivered,
            sent_at=sent,
            first_sent_at=sent,
            language="sv",
            **fields,
        )


def _replies_sent(ctx: Context) -> list[tuple[str, str, str]]:
    """The SMS sent back (kind, recipient, text), oldest first."""
    with ctx.session() as session:
        rows = list_messages(session)
        return [(row.kind, row.to_address, row.body) for row in rows]


def _response(ctx: Context, survey_id: int | None) -> tuple[str, int | None]:
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        overall = session.scalar(
            select(col(Response.overall)).where(col(Response.survey_id) == survey_id)
        )
        return str(survey.response_status), overall


def test_a_digit_answers_the_overall_question_once_and_is_thanked_once(
    ctx: Context, client: FlaskClient
) -> None:
    survey = _sent_survey(ctx)
    _reply(client, " 4 ", "SM-a")
    assert _response(ctx, survey.id) == (ResponseStatus.answered, 4)
    (thanks,) = _replies_sent(ctx)
    assert thanks[:2] == ("thanks", PHONE)
    assert "Tack för ditt svar" in thanks[2] and "https://survey.test/s/" in thanks[2]
    _reply(client, "5", "SM-b")
    assert _response(ctx, survey.id) == (ResponseStatus.answered, 4)
    assert len(_replies_sent(ctx)) == 1
    today = ctx.now().date()
    with ctx.session() as session:
        request = ReportRequest(today - timedelta(days=2), today + timedelta(days=2))
        report = satisfaction_report(session, request, min_group_size=1)
    assert report["total"]["responses"] == 1
    assert report["total"]["overall"]["mean"] == 4


def test_an_unreadable_reply_gets_one_help_reply_however_often_it_comes(
    ctx: Context, client: FlaskClient
) -> None:
    survey = _sent_survey(ctx)
    _reply(client, "hej", "SM-a")
    _reply(client, "hej igen", "SM-b")
    _reply(client, "6", "SM-c")
    assert _response(ctx, survey.id) == (ResponseStatus.pending, None)
    (help_reply,) = _replies_sent(ctx)
    assert help_reply[0] == "help" and "Svara med en siffra 1-5" in help_reply[2]
    _reply(client, "3", "SM-d")  # help given, the survey still takes an answer
    assert _response(ctx, survey.id) == (ResponseStatus.answered, 3)
    assert [kind for kind, _, _ in _replies_sent(ctx)] == ["help", "thanks"]


def test_a_reply_after_the_expiry_gets_the_closed_reply(ctx: Context, client: FlaskClient) -> None:
    expiry = ctx.started_policy().expiry_days
    survey = _sent_survey(ctx, sent_at=ctx.now() - timedelta(days=expiry + 1))
    _reply(client, "4", "SM-a")
    _reply(client, "5", "SM-b")
    assert _response(ctx, survey.id) == (ResponseStatus.pending, None)
    (closed,) = _replies_sent(ctx)
    assert closed[0] == "closed" and "stängd" in closed[2]


def test_the_same_message_sid_applies_once(ctx: Context, client: FlaskClient) -> None:
    survey = _sent_survey(ctx)
    _reply(client, "hej", "SM-same")
    _reply(client, "hej", "SM-same")
    _reply(client, "2", "SM-same")  # a replay whose body differs changes nothing either
    assert _response(ctx, survey.id) == (ResponseStatus.pending, None)
    assert [kind for kind, _, _ in _replies_sent(ctx)] == ["help"]


def test_the_latest_sms_survey_to_the_number_is_answered(ctx: Context, client: FlaskClient) -> None:
    older = _sent_survey(ctx, sent_at=ctx.now() - timedelta(days=40))
    latest = _sent_survey(ctx)
    _reply(client, "5", "SM-a")
    assert _response(ctx, latest.id) == (ResponseStatus.answered, 5)
    assert _response(ctx, older.id) == (ResponseStatus.pending, None)


def test_a_reply_from_a_number_never_surveyed_changes_nothing_and_gets_no_reply(
    ctx: Context, client: FlaskClient
) -> None:
    survey = _sent_survey(ctx, contact={"customer_phone": "+46709999999"})
    _reply(client, "4", "SM-a")
    assert _response(ctx, survey.id) == (ResponseStatus.pending, None)
    assert _replies_sent(ctx) == []


def test_stopp_still_opts_out_in_reply_mode(ctx: Context, client: FlaskClient) -> None:
    survey = _sent_survey(ctx)
    _reply(client, "STOPP", "SM-a")
    digest = identifier_hash(ctx.settings.identifier_key, "phone", PHONE)
    with ctx.session() as session:
        assert opted_out_hashes(session, [digest]) == {digest}
    assert _response(ctx, survey.id) == (ResponseStatus.opted_out, None)
    assert _replies_sent(ctx) == []


def _start(overrides: dict[str, Any]) -> None:
    started = start_context(overrides)
    started.store.dispose()


def test_start_up_refuses_an_alphanumeric_sender_in_reply_mode(
    ctx: Context, settings_overrides: dict[str, Any]
) -> None:
    twilio = {**settings_overrides, "sms_backend": "twilio", "twilio_account_sid": "AC" + "0" * 32}
    with pytest.raises(ConfigError, match=r"TWILIO_FROM_NUMBER .* not 'Kundservice'"):
        _start({**twilio, "twilio_from_number": "Kundservice"})
    _start({**twilio, "twilio_from_number": "+46701112233"})
    _start({**twilio, "twilio_from_number": "Kundservice", "twilio_messaging_service_sid": "MG1"})
    _start({**twilio, "twilio_from_number": "Kundservice", "sms_mode": "link"})


def test_start_up_refuses_a_frequency_cap_shorter_than_the_expiry_in_reply_mode(
    ctx: Context, settings_overrides: dict[str, Any]
) -> None:
    _start(settings_overrides)
    with ctx.session() as session:
        change_policy(
            session, key="frequency_cap_days", value=6, who="a", reason=None, now=ctx.now()
        )
    with pytest.raises(ConfigError, match=r"frequency_cap_days \(6\) .* expiry_days \(7\)"):
        _start(settings_overrides)
    _start({**settings_overrides, "sms_mode": "link"})


def test_the_purge_forgets_the_message_sid_of_an_old_reply(
    ctx: Context, client: FlaskClient
) -> None:
    _sent_survey(ctx)
    _reply(client, "hej", "SM-old")
    with ctx.session() as session:
        purge_expired(session, retention_days=30, now=ctx.now() + timedelta(days=29))
        assert session.scalars(select(SmsReply.message_sid)).all() == ["SM-old"]
        purge_expired(session, retention_days=30, now=ctx.now() + timedelta(days=31))
        assert session.scalars(select(SmsReply.message_sid)).all() == [None]
        assert session.scalars(select(SmsReply.outcome)).all() == ["help"]
