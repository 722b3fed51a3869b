"""Customer identifiers: normalised, then matched by keyed hashes that outlive the purge."""

from __future__ import annotations

from survey.keyed import hmac_sha256
from survey.models import IdentifierKind


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
