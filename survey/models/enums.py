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
    followup = "followup"  # the follow-up list (SPEC section 6)


class FollowUpStatus(StrEnum):
    open = "open"
    contacted = "contacted"
    closed = "closed"


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


class CancelCause(StrEnum):
    """Why a drawn survey was stopped before it was sent (the funnel's cancelled_before_send)."""

    do_not_survey = "do_not_survey"  # a contact of the case marked do_not_survey
    opted_out = "opted_out"  # the customer was opted out at the time of sending
    erasure = "erasure"  # the customer's data was erased


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


class ErrorCategory(StrEnum):
    """Why a survey was not sent (or not yet), beside the provider's code: stored instead of
    trusting free text, which may name the recipient."""

    rate_limited = "rate_limited"  # Twilio 429 (20429)
    provider_error = "provider_error"  # the provider failed (5xx)
    connection_failed = "connection_failed"  # refused, unreachable, dropped before DATA
    authentication_failed = "authentication_failed"  # our credentials were refused
    no_answer = "no_answer"  # the request went out and its answer was lost (`unknown`)
    temporarily_refused = "temporarily_refused"  # SMTP 4xx
    invalid_recipient = "invalid_recipient"  # Twilio 21211, 21612, 21614; SMTP 550/551/553 at RCPT
    recipient_opted_out = "recipient_opted_out"  # Twilio 21610
    recipient_unreachable = "recipient_unreachable"  # Twilio 30003, 30005, 30006
    content_refused = "content_refused"  # Twilio 21617, 30007; SMTP 5xx at or after DATA
    refused = "refused"  # any other refusal for good
    smtputf8_unsupported = "smtputf8_unsupported"  # an internationalised address, no SMTPUTF8
    undelivered = "undelivered"  # the provider reported a failed delivery without a code
    interrupted = "interrupted"  # the sending process stopped before recording the outcome
    unexpected = "unexpected"  # an error of ours: the request may have gone out
    not_at_provider = "not_at_provider"  # asked afterwards, Twilio held no such message
    # Not sent by decision, before any provider was asked:
    opted_out = "opted_out"
    do_not_survey = "do_not_survey"
    no_address = "no_address"
    message_too_long = "message_too_long"
    erased = "erased"


class ErrorPhase(StrEnum):
    """The step of an SMTP transaction a reply or failure belongs to."""

    connect = "connect"  # connection, TLS and login
    mail_from = "mail_from"
    rcpt_to = "rcpt_to"
    data = "data"  # the DATA command, the content and the reply to it
