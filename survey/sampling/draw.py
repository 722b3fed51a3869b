"""The draw and the suppression rules: pure functions, no Flask, no database (SPEC section 3).

An auditor recomputes every draw from the secret alone:
    h = int.from_bytes(HMAC_SHA256(key, b"sample:" + case_ref_utf8)[:8], "big")
    drawn  iff  h < floor(rate * 2**64)
with `case_ref` trimmed and NFC-normalised and the rate a decimal string, all in integers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from survey.identifiers import normalise_case_ref
from survey.keyed import hmac_sha256, prefixed_hmac_sha256
from survey.models import DecisionReason, SendChannel
from survey.policy_fields import QuietHours

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_date(moment: datetime) -> date:
    """The Europe/Stockholm date of an instant (the date reports count it under)."""
    return moment.astimezone(STOCKHOLM).date()


SPACE = 2**64
DRAW_PREFIX = b"sample:"


@lru_cache(maxsize=64)
def draw_threshold(rate: str) -> int:
    """floor(rate * 2**64), exact: the rate's decimal digits become an integer fraction."""
    try:
        value = Decimal(rate.strip())
    except InvalidOperation:
        raise ValueError(f"a sampling rate is a decimal from 0 to 1, not {rate!r}") from None
    if not value.is_finite() or not (0 <= value <= 1):
        raise ValueError(f"a sampling rate is a decimal from 0 to 1, not {rate!r}")
    numerator, denominator = value.as_integer_ratio()
    return numerator * SPACE // denominator


def draw_value(secret: str, case_ref: str) -> int:
    """The case's 64-bit draw value under the secret."""
    message = DRAW_PREFIX + normalise_case_ref(case_ref).encode("utf-8")
    digest = hmac_sha256(secret.encode("utf-8"), message)
    return int.from_bytes(digest[:8], "big")


def drawer(secret: str) -> Callable[[str], int]:
    """draw_value under one secret, with the key and the prefix set up once: for many cases."""
    mac = prefixed_hmac_sha256(secret.encode("utf-8"), DRAW_PREFIX)

    def value(case_ref: str) -> int:
        return int.from_bytes(mac(normalise_case_ref(case_ref).encode("utf-8"))[:8], "big")

    return value


def is_drawn(secret: str, case_ref: str, rate: str) -> bool:
    return draw_value(secret, case_ref) < draw_threshold(rate)


def key_fingerprint(secret: str) -> str:
    """SHA-256 (hex) of the secret: the commitment published before the key is revealed."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CaseFacts:
    """What the suppression rules look at, gathered for one drawn case."""

    do_not_survey: bool
    opted_out: bool
    case_already_surveyed: bool
    surveyed_recently: bool
    too_old: bool
    reachable: bool


def decide(drawn: bool, facts: CaseFacts | None) -> DecisionReason:
    """The decision for a case: the draw first, then the suppression rules in SPEC order."""
    if not drawn:
        return DecisionReason.not_drawn
    assert facts is not None, "a drawn case needs its facts"
    for suppressed, reason in (
        (facts.do_not_survey, DecisionReason.do_not_survey),
        (facts.opted_out, DecisionReason.opted_out),
        (facts.case_already_surveyed, DecisionReason.case_already_surveyed),
        (facts.surveyed_recently, DecisionReason.customer_surveyed_recently),
        (facts.too_old, DecisionReason.too_old),
        (not facts.reachable, DecisionReason.no_reachable_address),
    ):
        if suppressed:
            return reason
    return DecisionReason.selected


def is_too_old(closed_at: datetime, received_at: datetime, max_age_hours: int) -> bool:
    """Closed more than the maximum age before the engine received it (0 turns the rule off).

    Measured against `received_at`, not the clock, so that a scheduler outage suppresses nothing.
    """
    return max_age_hours > 0 and received_at - closed_at > timedelta(hours=max_age_hours)


def within_frequency_cap(earlier: datetime, closed_at: datetime, cap_days: int) -> bool:
    """Whether a survey about a closure at `earlier` counts against a case closed at `closed_at`.

    The window runs cap days both ways: a late-arriving case must not bring a second survey
    close to one already scheduled for a later closure.
    """
    return cap_days > 0 and abs(closed_at - earlier) <= timedelta(days=cap_days)


def send_channel(
    channel: str, phone: str | None, email: str | None
) -> tuple[SendChannel, str] | None:
    """SMS for phone/SMS contacts, e-mail for e-mail/chat contacts, else whichever exists."""
    if channel in ("phone", "sms") and phone:
        return SendChannel.sms, phone
    if channel in ("email", "chat") and email:
        return SendChannel.email, email
    if phone:
        return SendChannel.sms, phone
    if email:
        return SendChannel.email, email
    return None


def is_quiet(quiet: QuietHours | None, moment: datetime) -> bool:
    """Whether `moment` falls in the quiet hours (Europe/Stockholm)."""
    return quiet is not None and quiet.contains(moment.astimezone(STOCKHOLM).time())


def out_of_quiet_hours(moment: datetime, quiet: QuietHours | None) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in (Europe/Stockholm)."""
    local = moment.astimezone(STOCKHOLM)
    if quiet is None or not quiet.contains(local.time()):
        return moment
    end = _local(local.date(), quiet)
    if end <= moment:
        end = _local(local.date() + timedelta(days=1), quiet)
    return end


def _local(day: date, quiet: QuietHours) -> datetime:
    return datetime.combine(day, quiet.end, tzinfo=STOCKHOLM).astimezone(UTC)


def last_allowed_before(moment: datetime, quiet: QuietHours | None) -> datetime:
    """The moment itself, or the last minute before the quiet hours it falls in."""
    local = moment.astimezone(STOCKHOLM)
    if quiet is None or not quiet.contains(local.time()):
        return moment
    start = datetime.combine(local.date(), quiet.start, tzinfo=STOCKHOLM)
    if start > local:
        start = datetime.combine(local.date() - timedelta(days=1), quiet.start, tzinfo=STOCKHOLM)
    return (start - timedelta(minutes=1)).astimezone(UTC)


def send_time(last_closed_at: datetime, delay_minutes: int, quiet: QuietHours | None) -> datetime:
    """Last closure of the case + delay, moved out of the quiet hours."""
    return out_of_quiet_hours(last_closed_at + timedelta(minutes=delay_minutes), quiet)


def postponed_send_time(
    *,
    current: datetime,
    first_send_at: datetime,
    last_closed_at: datetime,
    delay_minutes: int,
    quiet: QuietHours | None,
    max_postpone_hours: int,
) -> datetime:
    """The send time after a later contact on the case: never earlier, never past the maximum."""
    wanted = send_time(last_closed_at, delay_minutes, quiet)
    limit = postponement_limit(first_send_at, max_postpone_hours)
    if wanted > limit:
        wanted = last_allowed_before(limit, quiet)
    return max(current, wanted)


def postponement_limit(first_send_at: datetime, max_postpone_hours: int) -> datetime:
    """The latest a later contact may move a survey's send: past it the send is held there."""
    return first_send_at + timedelta(hours=max_postpone_hours)


def closure_period(closed_at: datetime) -> tuple[date, str, str]:
    """Local date, ISO week ('YYYY-Www') and month ('YYYY-MM') of a closure in Stockholm."""
    local = closed_at.astimezone(STOCKHOLM)
    iso = local.isocalendar()
    return local.date(), f"{iso.year}-W{iso.week:02d}", f"{local.year}-{local.month:02d}"
