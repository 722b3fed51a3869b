"""Identifiers: a case's reference, and a customer's phone, e-mail and ref, normalised; customers
are matched by keyed hashes that outlive the purge."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from survey.keyed import hmac_sha256
from survey.models import IdentifierKind

# The case-reference normalisations, each in force for references received from its moment on
# (SPEC section 6). References stored under an earlier version are never rewritten, and
# `survey audit verify` checks each decided case against the version in force at its decision.
# 1: trimmed, Unicode NFC. 2: also without format characters (Unicode category Cf: zero-width
# space and joiners, BOM, bidirectional marks), which would otherwise split one case in two.
CASE_REF_VERSIONS: tuple[tuple[int, datetime], ...] = (
    (1, datetime(1970, 1, 1, tzinfo=UTC)),
    (2, datetime(2026, 11, 30, tzinfo=UTC)),
)
LATEST_CASE_REF_VERSION = CASE_REF_VERSIONS[-1][0]


def case_ref_version(at: datetime) -> int:
    """The normalisation in force at a moment."""
    return max(version for version, start in CASE_REF_VERSIONS if start <= at)


def normalise_case_ref(case_ref: str, version: int = 1) -> str:
    """A case reference as cases are compared and drawn (version 1: trimmed, Unicode NFC; the
    draw applies it to stored references, which every later version leaves unchanged)."""
    value = unicodedata.normalize("NFC", case_ref.strip())
    if version >= 2:
        value = "".join(ch for ch in value if unicodedata.category(ch) != "Cf").strip()
    return value


def normalise_phone(value: str, region: str = "SE") -> str:
    """E.164 form of a phone number (default region Sweden); ValueError when it is not one."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return result.normalized.lower()


def envelope_address(address: str) -> str:
    """An e-mail address as it is sent: an internationalised domain in its ASCII (IDNA) form,
    so that only a non-ASCII local part needs a server with SMTPUTF8."""
    if address.isascii():
        return address
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address
    return valid.ascii_email or f"{valid.local_part}@{valid.ascii_domain}"


def identifier_hash(key: str, kind: IdentifierKind | str, value: str) -> str:
    """HMAC-SHA256 of kind and normalised value with SURVEY_IDENTIFIER_KEY (hex)."""
    message = f"{kind}:{value}".encode()
    return hmac_sha256(key.encode(), message).hex()


def customer_identifiers(
    phone: str | None, email: str | None, ref: str | None
) -> list[tuple[IdentifierKind, str]]:
    """The identifiers of a customer from already-normalised values (E.164, lower-case e-mail)."""
    found = []
    if phone:
        found.append((IdentifierKind.phone, phone))
    if email:
        found.append((IdentifierKind.email, email.lower()))
    if ref:
        found.append((IdentifierKind.ref, ref.strip()))
    return found


def identifier_hashes(
    key: str, phone: str | None, email: str | None, ref: str | None
) -> dict[str, IdentifierKind]:
    return {
        identifier_hash(key, kind, value): kind
        for kind, value in customer_identifiers(phone, email, ref)
    }
