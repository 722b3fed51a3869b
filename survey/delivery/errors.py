"""What a survey keeps of a failed or stopped send: codes and a category, and a text without
the recipient (providers quote the number or address they refused)."""

from __future__ import annotations

import re

from survey.channels.base import Outcome, SendResult
from survey.models import ErrorCategory, Survey

PHONE_PLACEHOLDER = "[phone]"
EMAIL_PLACEHOLDER = "[e-mail]"
_MAX_TEXT = 500
_EMAIL = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+")
# Seven digits or more, perhaps after a +, with at most two spaces, dashes or brackets between
# them: phone numbers in any form, never the codes (3 to 5 digits, or dotted like 5.1.1).
_PHONE = re.compile(r"(?<![\w.])\+?\d(?:[ ()-]{0,2}\d){6,}(?![\w.])")
# When a provider says nothing more specific.
_DEFAULT_CATEGORY = {
    Outcome.retry: ErrorCategory.provider_error,
    Outcome.permanent: ErrorCategory.refused,
    Outcome.unknown: ErrorCategory.no_answer,
}


def without_recipient(text: str, recipient: str | None = None) -> str:
    """The text with the recipient, and any phone number or e-mail address, replaced."""
    if recipient:
        placeholder = EMAIL_PLACEHOLDER if "@" in recipient else PHONE_PLACEHOLDER
        text = text.replace(recipient, placeholder)
    text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    return _PHONE.sub(PHONE_PLACEHOLDER, text)


def note_failure(survey: Survey, result: SendResult, recipient: str, prefix: str = "") -> None:
    """Keep why a send failed on the survey: code, category, SMTP phase, the text redacted."""
    text = prefix + without_recipient(result.error or "", recipient)
    survey.last_error = text[:_MAX_TEXT]
    survey.error_code = result.code
    survey.error_category = result.category or _DEFAULT_CATEGORY.get(result.outcome)
    survey.error_phase = result.phase


def note_reason(
    survey: Survey, category: ErrorCategory, text: str, code: int | None = None
) -> None:
    """Keep why a survey was stopped or failed without a provider's phase."""
    survey.last_error = without_recipient(text)[:_MAX_TEXT]
    survey.error_code = code
    survey.error_category = category
    survey.error_phase = None


def clear_error(survey: Survey) -> None:
    survey.last_error = survey.error_category = survey.error_phase = None
    survey.error_code = None
