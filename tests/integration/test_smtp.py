"""E-mail through smtplib to a real SMTP server (aiosmtpd) on the loopback interface."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from survey.channels.base import Message, Outcome
from survey.channels.smtp import SmtpChannel, SmtpTarget
from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.models import DeliveryStatus, Survey
from survey.tokens import opt_out_url, survey_url
from tests.factories import make_survey
from tests.plugins.delivery import SmtpServer, start_smtp

MAIL_FROM = "Kundtjänst Åkesson <no-reply@example.se>"


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], smtp_server: SmtpServer
) -> dict[str, Any]:
    return {
        **settings_overrides,
        "quiet_hours": "",
        "email_rate_per_second": 1000.0,
        "email_backend": "smtp",
        "smtp_url": f"smtp://127.0.0.1:{smtp_server.port}",
        "mail_from": MAIL_FROM,
        "organisation_name": "Kundtjänst Åkesson",
    }


def _email_survey(ctx: Context, address: str = "kund@example.se", **fields: Any) -> Survey:
    with ctx.session() as session:
        return make_survey(
            ctx,
            session,
            contact={"channel": "email", "customer_email": address, "customer_phone": None},
            **fields,
        )


def _reload(ctx: Context, survey: Survey) -> Survey:
    with ctx.session() as session:
        found = session.get(Survey, survey.id)
        assert found is not None
        return found


def test_a_survey_e_mail_is_multipart_with_one_click_unsubscribe(
    ctx: Context, smtp_server: SmtpServer
) -> None:
    survey = _email_survey(ctx)
    counts = dispatch_due_surveys(ctx)
    assert counts.get("sent") == 1, (counts, _reload(ctx, survey))
    (received,) = smtp_server.received
    mail = received.message
    assert received.envelope_from == "no-reply@example.se"
    assert received.recipients == ["kund@example.se"]
    assert str(mail["From"]) == MAIL_FROM
    assert mail["Subject"] == "Vad tyckte du om din kontakt med Kundtjänst Åkesson?"
    assert survey.id is not None
    key = ctx.settings.secret_key
    assert mail["List-Unsubscribe"] == f"<{opt_out_url('https://survey.test', key, survey.id)}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Date"] is not None
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.sent
    assert done.provider_message_id == mail["Message-ID"]
    assert mail["Message-ID"].endswith("@example.se>")
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    link = survey_url("https://survey.test", key, survey.id)
    assert link in text.get_content() and f'href="{link}"' in html.get_content()
    assert "https://survey.test/privacy" in text.get_content()


def test_several_e_mails_share_the_connection_and_all_arrive(
    ctx: Context, smtp_server: SmtpServer
) -> None:
    for n in range(5):
        _email_survey(ctx, f"kund{n}@example.se")
    assert dispatch_due_surveys(ctx)["sent"] == 5
    recipients = sorted(r.recipients[0] for r in smtp_server.received)
    assert recipients == [f"kund{n}@example.se" for n in range(5)]


@pytest.mark.parametrize(
    ("address", "status", "error", "why"),
    [
        (
            "tempfail@example.se",
            DeliveryStatus.scheduled,
            "attempt 1: SMTP 451 at RCPT TO",
            (451, "temporarily_refused", "rcpt_to"),
        ),
        (
            "reject@example.se",
            DeliveryStatus.failed,
            "SMTP 550 at RCPT TO",
            (550, "invalid_recipient", "rcpt_to"),
        ),
        (
            "datafail@example.se",
            DeliveryStatus.unknown,
            "SMTP 451 after DATA",
            (451, "temporarily_refused", "data"),
        ),
        (
            "datareject@example.se",
            DeliveryStatus.failed,
            "SMTP 554 after DATA",
            (554, "content_refused", "data"),
        ),
    ],
)
def test_smtp_answers_are_classified_by_when_they_come(
    ctx: Context, address: str, status: DeliveryStatus, error: str, why: tuple[int, str, str]
) -> None:
    survey = _email_survey(ctx, address)
    dispatch_due_surveys(ctx)
    done = _reload(ctx, survey)
    assert done.delivery_status == status
    assert (done.error_code, done.error_category, done.error_phase) == why
    assert done.last_error and done.last_error.startswith(error)
    # The server quoted the recipient; what is kept does not.
    assert "@example.se" not in done.last_error and "[e-mail]" in done.last_error


def test_a_server_that_is_down_for_a_while_gets_the_message_later(
    make_ctx: Any, closed_port: int
) -> None:
    ctx = make_ctx(smtp_url=f"smtp://127.0.0.1:{closed_port}")
    survey = _email_survey(ctx)
    dispatch_due_surveys(ctx)
    first = _reload(ctx, survey)
    assert first.delivery_status == DeliveryStatus.scheduled
    assert first.last_error and "connect failed" in first.last_error
    assert (first.error_category, first.error_phase) == ("connection_failed", "connect")
    server = start_smtp(closed_port)
    try:
        later = first.send_at + timedelta(seconds=1)
        ctx.now = lambda: later
        assert dispatch_due_surveys(ctx)["sent"] == 1
        assert len(server.received) == 1
    finally:
        server.controller.stop()
    assert _reload(ctx, survey).attempts == 2


def test_starttls_and_login_from_the_url(ctx: Context, smtp_tls_server: SmtpServer) -> None:
    survey = _email_survey(ctx)
    target = SmtpTarget.parse(f"smtp://mailer:s3cret@127.0.0.1:{smtp_tls_server.port}?starttls=1")
    assert target.starttls and target.username == "mailer"
    context = ssl.create_default_context(cafile=str(smtp_tls_server.cafile))
    channel = SmtpChannel(target, MAIL_FROM, ssl_context=context)
    try:
        dispatch_due_surveys(ctx, channels={"email": channel})
    finally:
        channel.close()
    assert _reload(ctx, survey).delivery_status == DeliveryStatus.sent
    assert [r.recipients for r in smtp_tls_server.received] == [["kund@example.se"]]


def test_a_wrong_password_sends_nothing_and_is_retried(
    ctx: Context, smtp_tls_server: SmtpServer
) -> None:
    survey = _email_survey(ctx)
    target = SmtpTarget.parse(f"smtp://mailer:wrong@127.0.0.1:{smtp_tls_server.port}?starttls=1")
    context = ssl.create_default_context(cafile=str(smtp_tls_server.cafile))
    dispatch_due_surveys(
        ctx, channels={"email": SmtpChannel(target, MAIL_FROM, ssl_context=context)}
    )
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.scheduled
    assert done.last_error and "SMTP login refused: 535" in done.last_error
    assert (done.error_code, done.error_category) == (535, "authentication_failed")
    assert smtp_tls_server.received == []


def test_a_kept_connection_the_server_dropped_is_replaced_without_a_lost_message() -> None:
    first = start_smtp()
    channel = SmtpChannel(SmtpTarget.parse(f"smtp://127.0.0.1:{first.port}"), MAIL_FROM)
    message = Message(1, "survey", "email", "kund@example.se", "hej", "l", "o", "Ämne")
    try:
        assert channel.send(message).outcome is Outcome.sent
    finally:
        first.controller.stop()
    second = start_smtp(first.port)
    try:
        assert channel.send(message).outcome is Outcome.sent
        assert len(second.received) == 1
    finally:
        channel.close()
        second.controller.stop()


@pytest.fixture
def smtputf8_server() -> Iterator[SmtpServer]:
    server = start_smtp(enable_SMTPUTF8=True)
    yield server
    server.controller.stop()


@pytest.fixture
def ascii_only_server() -> Iterator[SmtpServer]:
    """A server that does not offer SMTPUTF8 (aiosmtpd's controller offers it by default)."""
    server = start_smtp(enable_SMTPUTF8=False)
    yield server
    server.controller.stop()


def test_an_internationalised_address_goes_out_with_smtputf8_where_the_server_offers_it(
    make_ctx: Any, smtputf8_server: SmtpServer
) -> None:
    ctx = make_ctx(smtp_url=f"smtp://127.0.0.1:{smtputf8_server.port}")
    survey = _email_survey(ctx, "användare@exempel.se")
    assert dispatch_due_surveys(ctx).get("sent") == 1
    (received,) = smtputf8_server.received
    assert received.recipients == ["användare@exempel.se"]
    assert "SMTPUTF8" in received.mail_options
    assert "To: användare@exempel.se\r\n".encode() in received.content  # a raw UTF-8 header
    assert received.message.get_body(("plain",)) is not None
    assert _reload(ctx, survey).delivery_status == DeliveryStatus.sent


def test_an_ascii_address_does_not_ask_for_smtputf8(
    make_ctx: Any, smtputf8_server: SmtpServer
) -> None:
    ctx = make_ctx(smtp_url=f"smtp://127.0.0.1:{smtputf8_server.port}")
    _email_survey(ctx, "kund@example.se")
    assert dispatch_due_surveys(ctx).get("sent") == 1
    (received,) = smtputf8_server.received
    assert "SMTPUTF8" not in received.mail_options


def test_without_smtputf8_an_internationalised_address_fails_for_good_with_its_reason(
    make_ctx: Any, ascii_only_server: SmtpServer
) -> None:
    ctx = make_ctx(smtp_url=f"smtp://127.0.0.1:{ascii_only_server.port}")
    survey = _email_survey(ctx, "användare@exempel.se")
    counts = dispatch_due_surveys(ctx)
    assert counts.get("permanent") == 1 and "unknown" not in counts
    done = _reload(ctx, survey)
    assert done.delivery_status == DeliveryStatus.failed
    assert (done.error_category, done.error_phase) == ("smtputf8_unsupported", "mail_from")
    assert done.last_error and "SMTPUTF8" in done.last_error
    assert "användare" not in done.last_error
    dispatch_due_surveys(ctx)
    assert ascii_only_server.received == [] and _reload(ctx, survey).attempts == 1


def test_an_internationalised_domain_alone_is_sent_in_its_ascii_form_without_smtputf8(
    make_ctx: Any, ascii_only_server: SmtpServer
) -> None:
    ctx = make_ctx(smtp_url=f"smtp://127.0.0.1:{ascii_only_server.port}")
    survey = _email_survey(ctx, "kund@räksmörgås.se")
    assert dispatch_due_surveys(ctx).get("sent") == 1
    (received,) = ascii_only_server.received
    assert received.recipients == ["kund@xn--rksmrgs-5wao1o.se"]
    assert "SMTPUTF8" not in received.mail_options
    assert received.message["To"] == "kund@xn--rksmrgs-5wao1o.se"
    assert _reload(ctx, survey).delivery_status == DeliveryStatus.sent
