"""SMS segment counting, provider error classification, SMTP URL and e-mail headers."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.policy import SMTP

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from survey.channels.base import Message, Outcome
from survey.channels.sms import encoding, segments
from survey.channels.smtp import SmtpTarget, build_email
from survey.channels.twilio import classify_api_error, classify_transport_error


def test_swedish_letters_fit_gsm7() -> None:
    text = "Hur nöjd var du? Åsa, Östen och Ärla svarar gärna."
    assert encoding(text) == "GSM-7"
    assert segments("å" * 160) == 1
    assert segments("å" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_typographic_quotes_force_ucs2() -> None:
    assert encoding("Tack för ditt “svar”") == "UCS-2"
    apostrophe = "\u2019"  # typographic, as word processors write it
    assert encoding(f"It{apostrophe}s fine") == "UCS-2"
    assert segments(apostrophe + "a" * 69) == 1
    assert segments(apostrophe + "a" * 70) == 2
    assert segments(apostrophe + "a" * 134) == 3


def test_gsm7_extension_characters_count_double() -> None:
    assert encoding("Pris: 10 €") == "GSM-7"
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2


def _rest(status: int, code: int) -> TwilioRestException:
    return TwilioRestException(status, "/Messages.json", "msg", code, "POST")


@pytest.mark.parametrize(
    ("status", "code", "outcome", "opted_out"),
    [
        (429, 20429, Outcome.retry, False),
        (500, 20500, Outcome.retry, False),
        (503, 20503, Outcome.retry, False),
        (400, 21211, Outcome.permanent, False),
        (400, 21610, Outcome.permanent, True),
        (401, 20003, Outcome.permanent, False),
    ],
)
def test_twilio_api_errors(status: int, code: int, outcome: Outcome, opted_out: bool) -> None:
    result = classify_api_error(_rest(status, code))
    assert (result.outcome, result.opted_out) == (outcome, opted_out)
    assert result.error and str(code) in result.error


def test_a_refused_connection_is_retried_but_a_dropped_one_is_unknown() -> None:
    refused = requests.ConnectionError(
        MaxRetryError(None, "/x", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    )
    dropped = requests.ConnectionError(ProtocolError("Connection aborted."))
    assert classify_transport_error(refused).outcome is Outcome.retry
    assert classify_transport_error(requests.ConnectTimeout()).outcome is Outcome.retry
    assert classify_transport_error(dropped).outcome is Outcome.unknown
    assert classify_transport_error(requests.ReadTimeout()).outcome is Outcome.unknown


def test_the_smtp_url_gives_host_port_credentials_and_starttls() -> None:
    target = SmtpTarget.parse("smtp://us%40er:p%3Ass@mail.example.se:587?starttls=1")
    assert (target.host, target.port, target.username, target.password) == (
        "mail.example.se",
        587,
        "us@er",
        "p:ss",
    )
    assert target.starttls and not target.implicit_tls
    assert SmtpTarget.parse("smtps://mail.example.se").port == 465
    assert not SmtpTarget.parse("smtp://localhost:25").starttls
    with pytest.raises(ValueError, match="SURVEY_SMTP_URL"):
        SmtpTarget.parse("http://mail.example.se")


def test_the_e_mail_encodes_utf8_names_and_subjects_and_has_one_click_headers() -> None:
    message = Message(
        7, "survey", "email", "kund@example.se", "Hej ö", "https://s/s/t", "https://s/o/t",
        "Vad tyckte du om Kundtjänst?", "<p>Hej ö</p>",
    )  # fmt: skip
    raw = build_email(message, "Kundtjänst Åkesson <no-reply@example.se>").as_bytes(policy=SMTP)
    assert raw.isascii()  # names and subject are RFC 2047 encoded, bodies transfer-encoded
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Vad tyckte du om Kundtjänst?"
    assert str(parsed["From"]) == "Kundtjänst Åkesson <no-reply@example.se>"
    assert parsed["List-Unsubscribe"] == "<https://s/o/t>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"].endswith("@example.se>") and parsed["Date"]
