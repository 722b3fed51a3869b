"""SMS through the real twilio client against a local server that answers as Twilio does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select
from twilio.request_validator import RequestValidator

from survey.channels.base import Message, Outcome
from survey.channels.twilio import TwilioChannel
from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.models import DeliveryStatus, OptOut, Survey
from survey.tokens import survey_url
from tests.factories import make_survey
from tests.plugins.delivery import TWILIO_TOKEN, FakeTwilio, free_port, twilio_settings


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], fake_twilio: FakeTwilio
) -> dict[str, Any]:
    return {
        **settings_overrides,
        **twilio_settings(
            fake_twilio, twilio_from_number="", twilio_messaging_service_sid="MG" + "1" * 32
        ),
    }


def _one(ctx: Context, **contact: Any) -> Survey:
    with ctx.session() as session:
        return make_survey(ctx, session, contact={"customer_phone": "+46701234567", **contact})


def _reload(ctx: Context, survey: Survey) -> Survey:
    with ctx.session() as session:
        found = session.get(Survey, survey.id)
        assert found is not None
        return found


def test_an_accepted_sms_records_the_message_sid(ctx: Context, fake_twilio: FakeTwilio) -> None:
    survey = _one(ctx)
    assert dispatch_due_surveys(ctx)["sent"] == 1
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.sent
    assert done.provider_message_id and done.provider_message_id.startswith("SM")
    (request,) = fake_twilio.requests
    assert request["To"] == "+46701234567"
    assert request["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in request
    assert request["ValidityPeriod"] == "900"
    assert survey.id is not None
    assert survey_url("https://survey.test", ctx.settings.secret_key, survey.id) in request["Body"]
    callback = urlsplit(request["StatusCallback"])
    assert callback.netloc == "survey.test" and callback.path == "/webhooks/twilio/status"
    assert parse_qs(callback.query)["survey_id"] == [str(survey.id)]


def test_a_from_number_is_used_without_a_messaging_service(
    make_ctx: Any, fake_twilio: FakeTwilio
) -> None:
    ctx = make_ctx(twilio_messaging_service_sid="", twilio_from_number="+46700000001")
    _one(ctx)
    dispatch_due_surveys(ctx)
    (request,) = fake_twilio.requests
    assert request["From"] == "+46700000001" and "MessagingServiceSid" not in request


@pytest.mark.parametrize(
    ("number", "code", "category"),
    [("+46700000429", 20429, "rate_limited"), ("+46700000500", 20500, "provider_error")],
)
def test_429_and_5xx_are_retried_later(ctx: Context, number: str, code: int, category: str) -> None:
    survey = _one(ctx, customer_phone=number)
    assert dispatch_due_surveys(ctx)["retry"] == 1
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.scheduled and done.attempts == 1
    assert done.send_at > datetime.now(UTC)
    assert done.last_error and number[-3:] in done.last_error
    assert (done.error_code, done.error_category, done.error_phase) == (code, category, None)


def test_an_invalid_number_fails_at_once_and_its_text_keeps_no_number(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    survey = _one(ctx, customer_phone="+46700021211")
    dispatch_due_surveys(ctx)
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.failed
    assert (done.error_code, done.error_category) == (21211, "invalid_recipient")
    assert done.last_error and done.last_error.startswith("Twilio HTTP 400 error 21211: ")
    assert done.last_error.endswith("The 'To' number [phone] is not a valid phone number.")
    assert fake_twilio.requests[0]["To"] == "+46700021211"  # the provider did quote it


def test_21610_fails_and_records_an_opt_out(ctx: Context) -> None:
    survey = _one(ctx, customer_phone="+46700021610")
    dispatch_due_surveys(ctx)
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.failed
    assert done.last_error and "21610" in done.last_error
    assert "46700021610" not in done.last_error
    assert (done.error_code, done.error_category) == (21610, "recipient_opted_out")
    with ctx.session() as session:
        (opt_out,) = session.exec(select(OptOut)).all()
    assert opt_out.kind == "phone" and opt_out.opted_out and opt_out.source == "sms-stop"


def test_a_refused_connection_is_retried(make_ctx: Any) -> None:
    ctx = make_ctx(twilio_base_url=f"http://127.0.0.1:{free_port()}")
    survey = _one(ctx)
    assert dispatch_due_surveys(ctx)["retry"] == 1
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.scheduled
    assert done.last_error and "refused" in done.last_error
    assert (done.error_code, done.error_category) == (None, "connection_failed")


def test_a_timeout_after_the_request_went_out_is_unknown_and_never_retried(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.delay = 1.0
    survey = _one(ctx)
    channel = TwilioChannel.from_settings(ctx.settings, timeout=0.3)
    dispatch_due_surveys(ctx, channels={"sms": channel})
    dispatch_due_surveys(ctx, channels={"sms": channel})
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.unknown
    assert done.last_error and "ReadTimeout" in done.last_error
    assert done.error_category == "no_answer"
    assert len(fake_twilio.requests) == 1


def test_the_channel_reports_the_outcome_kinds(ctx: Context) -> None:
    channel = TwilioChannel.from_settings(ctx.settings)
    outcomes = {
        number: channel.send(Message(1, "survey", "sms", number, "hej", "l", "o")).outcome
        for number in ("+46701234567", "+46700000429", "+46700021211")
    }
    assert outcomes == {
        "+46701234567": Outcome.sent,
        "+46700000429": Outcome.retry,
        "+46700021211": Outcome.permanent,
    }


def test_the_status_callback_url_given_to_twilio_is_accepted_by_the_webhook(
    ctx: Context, fake_twilio: FakeTwilio, client: Any
) -> None:
    survey = _one(ctx)
    dispatch_due_surveys(ctx)
    (request,) = fake_twilio.requests
    callback = urlsplit(request["StatusCallback"])
    form = {
        "MessageSid": _reload(ctx, survey).provider_message_id or "",
        "MessageStatus": "delivered",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(request["StatusCallback"], form)
    response = client.post(
        f"{callback.path}?{callback.query}", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200
    assert _reload(ctx, survey).delivery_status == DeliveryStatus.delivered
