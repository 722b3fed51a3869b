"""The domain's enumerations: channels, roles, decision reasons, survey states, identifiers."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    phone = "phone"
    chat = "chat"
    email = "email"
    sms = "sms"
    social = "social"
    video = "video"
    visit = "visit"
    other = "other"


class SendChannel(StrEnum):
    sms = "sms"
    email = "email"


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    dpo = "dpo"  # customer export and erasure, per-answer rows (SPEC section 6)
    followup = "followup"  # the follow-up list (SPEC section 6; no pages yet)


class ApiScope(StrEnum):
    """What an API key may do (SPEC section 6); each route needs one."""

    contacts = "contacts"
    opt_outs = "opt-outs"
    reports = "reports"
    privacy = "privacy"


class DecisionReason(StrEnum):
    selected = "selected"
    not_drawn = "not_drawn"
    do_not_survey = "do_not_survey"
    opted_out = "opted_out"
    case_already_surveyed = "case_already_surveyed"
    customer_surveyed_recently = "customer_surveyed_recently"
    too_old = "too_old"
    no_reachable_address = "no_reachable_address"


class DeliveryStatus(StrEnum):
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    unknown = "unknown"
    cancelled = "cancelled"


# Surveys that reached the customer as far as anyone knows: accepted by the provider or delivered.
SENT_STATUSES = (DeliveryStatus.sent, DeliveryStatus.delivered)


class ResponseStatus(StrEnum):
    pending = "pending"
    opened = "opened"
    answered = "answered"
    declined = "declined"
    expired = "expired"
    opted_out = "opted_out"


# The states in which a survey can still be answered, declined, reminded of or expired.
OPEN_RESPONSE_STATES = (ResponseStatus.pending, ResponseStatus.opened)


class IdentifierKind(StrEnum):
    phone = "phone"
    email = "email"
    ref = "ref"


class OptOutSource(StrEnum):
    """Who registered an opt-out, recorded by the server (SPEC section 6); besides these,
    `api:<actor>`, `api:organisation:<label>` and `admin:<user>` (see respondent.optouts)."""

    link = "link"  # the opt-out page's form
    one_click = "one-click"  # RFC 8058: POST /o/<token> with List-Unsubscribe=One-Click
    sms_stop = "sms-stop"  # a STOP reply, or the carrier saying the number opted out
    sms_start = "sms-start"  # a START reply: lifts an SMS STOP
    erasure = "erasure"
