"""Twilio webhooks: signatures checked against the public URL, state moves forward only."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import col
from twilio.request_validator import RequestValidator

from survey.context import Context
from survey.identifiers import identifier_hash
from survey.models import DeliveryStatus, OptOut, ResponseStatus, Survey
from survey.optouts import opted_out_hashes
from tests.factories import make_survey

TOKEN = "test-twilio-auth-token"
PHONE = "+46701234567"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "twilio_auth_token": TOKEN}


def _post(client: FlaskClient, path: str, form: dict[str, str], url: str | None = None) -> Any:
    signature = RequestValidator(TOKEN).compute_signature(url or f"https://survey.test{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _status(client: FlaskClient, survey_id: int | None, status: str, sid: str = "SM1") -> Any:
    path = f"/webhooks/twilio/status?survey_id={survey_id}&kind=survey"
    form = {"MessageSid": sid, "MessageStatus": status, "To": PHONE}
    if status in ("failed", "undelivered"):
        form["ErrorCode"] = "30003"
    return _post(client, path, form)


def _reload(ctx: Context, survey_id: int | None) -> Survey:
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return survey


@pytest.mark.parametrize("signed_for", [None, "wrong", "http://127.0.0.1/webhooks/twilio/inbound"])
def test_a_request_without_a_valid_signature_is_refused(
    client: FlaskClient, signed_for: str | None
) -> None:
    form = {"From": PHONE, "Body": "STOP"}
    if signed_for is None:
        response = client.post("/webhooks/twilio/inbound", data=form)
    elif signed_for == "wrong":
        headers = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
        response = client.post("/webhooks/twilio/inbound", data=form, headers=headers)
    else:
        response = _post(client, "/webhooks/twilio/inbound", form, url=signed_for)
    assert response.status_code == 403


def test_an_unknown_send_is_reconciled_and_moves_forward_only(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, delivery_status=DeliveryStatus.unknown, attempts=1)
    assert _status(client, survey.id, "sent").status_code == 200
    sent = _reload(ctx, survey.id)
    assert sent.delivery_status == DeliveryStatus.sent and sent.provider_message_id == "SM1"
    assert sent.sent_at is not None
    assert _status(client, survey.id, "delivered").status_code == 200
    for late in ("sent", "queued", "failed", "delivered"):
        assert _status(client, survey.id, late).status_code == 204
    done = _reload(ctx, survey.id)
    assert done.delivery_status == DeliveryStatus.delivered and done.delivered_at is not None


def test_a_failed_delivery_is_recorded_with_the_error_code(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, delivery_status=DeliveryStatus.sent, provider_message_id="SM9"
        )
    assert _status(client, survey.id, "undelivered", sid="SM9").status_code == 200
    done = _reload(ctx, survey.id)
    assert done.delivery_status == DeliveryStatus.failed
    assert done.last_error == "Twilio reported undelivered (error 30003)"
    assert (done.error_code, done.error_category) == (30003, "recipient_unreachable")


def test_a_callback_for_another_message_sid_is_ignored(ctx: Context, client: FlaskClient) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, delivery_status=DeliveryStatus.sent, provider_message_id="SM9"
        )
    assert _status(client, survey.id, "delivered", sid="SM8").status_code == 204
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.sent


def test_a_callback_never_touches_a_survey_that_was_not_sent(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    assert _status(client, survey.id, "delivered").status_code == 204
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.scheduled


@pytest.mark.parametrize("word", ["STOP", "stop", "Stopp", "avsluta", " UNSUBSCRIBE "])
def test_stop_opts_out_that_phone_only_and_start_lifts_it(
    ctx: Context, client: FlaskClient, word: str
) -> None:
    key = ctx.settings.identifier_key
    phone, email = identifier_hash(key, "phone", PHONE), identifier_hash(key, "email", "a@b.se")
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, delivery_status=DeliveryStatus.sent, contact={"customer_email": "a@b.se"}
        )
    response = _post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": word})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    with ctx.session() as session:
        assert opted_out_hashes(session, [phone, email]) == {phone}
    assert _reload(ctx, survey.id).response_status == ResponseStatus.opted_out
    _post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "start"})
    with ctx.session() as session:
        assert opted_out_hashes(session, [phone, email]) == set()


def test_an_ordinary_reply_changes_nothing(ctx: Context, client: FlaskClient) -> None:
    key = ctx.settings.identifier_key
    response = _post(
        client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "stop sending me reminders"}
    )
    assert response.status_code == 200
    with ctx.session() as session:
        assert opted_out_hashes(session, [identifier_hash(key, "phone", PHONE)]) == set()


def test_each_inbound_message_applies_once_in_order_of_receipt(
    ctx: Context, client: FlaskClient
) -> None:
    """A replayed START (same MessageSid) cannot undo a later STOP."""
    phone = identifier_hash(ctx.settings.identifier_key, "phone", PHONE)
    start = {"From": PHONE, "Body": "START", "MessageSid": "SM-start-1"}
    _post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "STOP", "MessageSid": "SM1"})
    _post(client, "/webhooks/twilio/inbound", start)
    _post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "STOP", "MessageSid": "SM2"})
    replayed = _post(client, "/webhooks/twilio/inbound", start)
    assert replayed.status_code == 200
    with ctx.session() as session:
        assert opted_out_hashes(session, [phone]) == {phone}
        entries = session.scalars(select(OptOut).order_by(col(OptOut.id))).all()
    assert [(e.source, e.message_sid) for e in entries] == [
        ("sms-stop", "SM1"),
        ("sms-start", "SM-start-1"),
        ("sms-stop", "SM2"),
    ]


def _callback(client: FlaskClient, survey_id: object, form: dict[str, str]) -> Any:
    return _post(client, f"/webhooks/twilio/status?survey_id={survey_id}&kind=survey", form)


def test_an_unknown_send_is_not_reconciled_by_a_message_to_someone_else(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, delivery_status=DeliveryStatus.unknown, attempts=1)
    form = {"MessageSid": "SM7", "MessageStatus": "delivered", "To": "+46709999999"}
    assert _callback(client, survey.id, form).status_code == 204
    assert _callback(client, survey.id, {**form, "To": "not a number"}).status_code == 204
    kept = _reload(ctx, survey.id)
    assert kept.delivery_status == DeliveryStatus.unknown and kept.provider_message_id is None


def test_an_unknown_send_whose_address_was_purged_is_matched_by_its_keyed_hash(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, delivery_status=DeliveryStatus.unknown, attempts=1, to_address=None
        )
    # The same number as Twilio writes it, or as the customer might: normalised before hashing.
    form = {"MessageSid": "SM5", "MessageStatus": "sent", "To": "070-123 45 67"}
    assert _callback(client, survey.id, form).status_code == 200
    sent = _reload(ctx, survey.id)
    assert (sent.delivery_status, sent.provider_message_id) == (DeliveryStatus.sent, "SM5")
    # From now on only that message counts, whoever it names.
    other = {"MessageSid": "SM6", "MessageStatus": "delivered", "To": PHONE}
    assert _callback(client, survey.id, other).status_code == 204
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.sent


def test_a_callback_for_an_email_survey_is_answered_and_ignored(
    ctx: Context, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            delivery_status=DeliveryStatus.unknown,
            attempts=1,
            contact={"channel": "email", "customer_email": "a@b.se"},
        )
    assert survey.send_channel == "email"
    form = {"MessageSid": "SM4", "MessageStatus": "delivered", "To": PHONE}
    with caplog.at_level("WARNING", logger="survey.delivery.status_callbacks"):
        answer = _callback(client, survey.id, form)
    assert answer.status_code == 204  # a 2xx: Twilio does not send it again
    kept = _reload(ctx, survey.id)
    assert kept.delivery_status == DeliveryStatus.unknown and kept.provider_message_id is None
    assert kept.delivered_at is None
    assert [r.getMessage() for r in caplog.records] == [
        f"status callback for survey {survey.id} ignored: not an SMS survey"
    ]


@pytest.mark.parametrize("survey_id", [str(2**63), "9" * 40, "-1", "1e3", "²", "", "0x10"])
def test_a_malformed_survey_id_is_a_client_error(client: FlaskClient, survey_id: str) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": PHONE}
    answer = _callback(client, survey_id, form)
    assert answer.status_code == 400
    assert answer.get_json()["status"] == 400


def test_the_largest_survey_id_is_looked_up_without_error(client: FlaskClient) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": PHONE}
    assert _callback(client, 2**63 - 1, form).status_code == 204


def test_an_error_code_too_long_for_its_column_is_left_out(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, delivery_status=DeliveryStatus.sent, provider_message_id="SM9"
        )
    form = {"MessageSid": "SM9", "MessageStatus": "failed", "To": PHONE, "ErrorCode": "9" * 30}
    assert _callback(client, survey.id, form).status_code == 200
    failed = _reload(ctx, survey.id)
    assert failed.delivery_status == DeliveryStatus.failed and failed.error_code is None
