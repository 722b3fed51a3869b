"""What a survey keeps of a failed send: no recipient in the text, codes and a category."""

from __future__ import annotations

import pytest

from survey.channels.base import SendResult
from survey.delivery.errors import note_failure, without_recipient
from survey.models import ErrorCategory, ErrorPhase, Survey


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "The 'To' number +46703000200 is not a valid phone number.",
            "The 'To' number [phone] is not a valid phone number.",
        ),
        ("SMTP 550 at RCPT TO: 5.1.1 <kund@example.se>: User unknown", None),
        ("Recipient användare@exempel.se not found", "Recipient [e-mail] not found"),
        ("number 070-300 02 00 unreachable", "number [phone] unreachable"),
        ("(+46) 70 300 02 00 blocked", "([phone] blocked"),
    ],
)
def test_phone_numbers_and_addresses_become_placeholders(text: str, kept: str | None) -> None:
    redacted = without_recipient(text)
    assert "300" not in redacted and "kund@" not in redacted and "användare" not in redacted
    if kept is not None:
        assert redacted == kept


@pytest.mark.parametrize(
    "text",
    [
        "Twilio HTTP 429 error 20429: Too Many Requests",
        "SMTP 451 at RCPT TO: 4.3.0 Try again later",
        "client [192.0.2.1] blocked, see 5.7.1",
        "Twilio reported undelivered (error 30003)",
    ],
)
def test_codes_and_other_numbers_are_kept(text: str) -> None:
    assert without_recipient(text) == text


def test_the_recipient_is_removed_even_in_a_form_no_pattern_knows() -> None:
    assert without_recipient("no such mailbox: kund at example", "kund at example") == (
        "no such mailbox: [phone]"
    )
    assert without_recipient("refused x@y", "x@y") == "refused [e-mail]"


def test_a_failure_keeps_its_code_category_and_phase_and_a_redacted_text() -> None:
    survey = Survey()
    result = SendResult.permanent(
        "SMTP 550 at RCPT TO: <a.person@example.se> unknown",
        code=550,
        category=ErrorCategory.invalid_recipient,
        phase=ErrorPhase.rcpt_to,
    )
    note_failure(survey, result, "a.person@example.se", prefix="reminder permanent: ")
    assert survey.last_error == "reminder permanent: SMTP 550 at RCPT TO: <[e-mail]> unknown"
    assert (survey.error_code, survey.error_category, survey.error_phase) == (
        550,
        "invalid_recipient",
        "rcpt_to",
    )


def test_a_failure_without_a_category_gets_one_from_its_outcome() -> None:
    survey = Survey()
    note_failure(survey, SendResult.unknown("read timeout"), "+46701234567")
    assert survey.error_category == ErrorCategory.no_answer
    note_failure(survey, SendResult.retry("HTTP 503"), "+46701234567")
    assert survey.error_category == ErrorCategory.provider_error
