"""Survey link tokens: derived from the survey id with a server key, never stored."""

from __future__ import annotations

import base64
import hmac

from survey.keyed import hmac_sha256

# 8 bytes of id and 16 bytes (128 bits) of MAC, URL-safe without padding.
_ID_BYTES = 8
_MAC_BYTES = 16


def _mac(secret_key: str, message: str) -> bytes:
    return hmac_sha256(secret_key.encode(), message.encode())[:_MAC_BYTES]


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_token(secret_key: str, survey_id: int, purpose: str = "survey") -> str:
    mac = _mac(secret_key, f"{purpose}:{survey_id}")
    return _encode(survey_id.to_bytes(_ID_BYTES, "big") + mac)


def read_token(secret_key: str, token: str, purpose: str = "survey") -> int | None:
    """The survey id a token stands for, or None when it is not one of ours."""
    if len(token) != 32:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != _ID_BYTES + _MAC_BYTES:
        return None
    survey_id = int.from_bytes(raw[:_ID_BYTES], "big")
    if not hmac.compare_digest(raw[_ID_BYTES:], _mac(secret_key, f"{purpose}:{survey_id}")):
        return None
    return survey_id


def form_token(secret_key: str, token: str) -> str:
    """The CSRF token of the forms on a survey's pages: a MAC of the survey's link token.

    It takes the place of a session cookie's token. Whoever can forge a respondent's POST must
    know the link, and with the link they could fetch either kind of token, so this one is as
    strong; and the respondent's pages set no cookie, so they work with cookies turned off.
    """
    return _encode(_mac(secret_key, f"form:{token}"))


def survey_url(base_url: str, secret_key: str, survey_id: int) -> str:
    return f"{base_url}/s/{make_token(secret_key, survey_id)}"


def opt_out_url(base_url: str, secret_key: str, survey_id: int) -> str:
    return f"{base_url}/o/{make_token(secret_key, survey_id)}"


def one_tap_url(base_url: str, secret_key: str, survey_id: int, overall: str) -> str:
    """The survey's link with an answer to the overall question chosen (nothing is recorded)."""
    return f"{survey_url(base_url, secret_key, survey_id)}?overall={overall}"
