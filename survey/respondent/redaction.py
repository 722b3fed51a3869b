"""Free text as it is stored: phone numbers, e-mail addresses and Swedish personal identity
numbers (personnummer, samordningsnummer) replaced by a placeholder first (pure; no I/O).

A customer writes "call me on 070-123 45 67" in good faith; the comment is read by staff who
must not learn who wrote it, so what identifies the writer directly never reaches the database.
"""

from __future__ import annotations

import re

import phonenumbers

PLACEHOLDER = "[borttaget]"
# The region a number written without a country code belongs to.
DEFAULT_REGION = "SE"

# Loose on purpose: anything shaped like an address goes, valid or not.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# YYMMDD or YYYYMMDD, an optional - or + (100 years or older), four digits; not inside a
# longer run of digits.
_PERSONAL_NUMBER = re.compile(r"(?<!\d)(?:(1[89]|20)?(\d{6}))([-+]?)(\d{4})(?!\d)")


def redact_personal_data(text: str, *, region: str = DEFAULT_REGION) -> str:
    """The text with every e-mail address, personal identity number and phone number replaced
    by PLACEHOLDER; everything else as written."""
    text = _EMAIL.sub(PLACEHOLDER, text)
    text = _PERSONAL_NUMBER.sub(_personal_number_or_kept, text)
    return _redact_phone_numbers(text, region)


def is_personal_identity_number(digits: str) -> bool:
    """True for the ten digits (YYMMDDNNNC) of a personnummer or samordningsnummer: a month,
    a day of the month (plus 60 for a samordningsnummer) and a Luhn check digit that holds."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    month, day = int(digits[2:4]), int(digits[4:6])
    if day > 60:
        day -= 60
    return 1 <= month <= 12 and 1 <= day <= 31 and luhn_valid(digits)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of digits, the last one being the check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _personal_number_or_kept(match: re.Match[str]) -> str:
    digits = match.group(2) + match.group(4)
    return PLACEHOLDER if is_personal_identity_number(digits) else match.group(0)


def _redact_phone_numbers(text: str, region: str) -> str:
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region)]
    for start, end in reversed(spans):
        text = text[:start] + PLACEHOLDER + text[end:]
    return text
