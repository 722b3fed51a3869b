"""What Twilio tells us afterwards: status callbacks (forward only) and STOP / START replies."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.channels.twilio import CATEGORIES
from survey.delivery.dispatch import mark_sent
from survey.delivery.errors import note_reason
from survey.identifiers import identifier_hash, normalise_phone
from survey.models import (
    OPEN_RESPONSE_STATES,
    DeliveryStatus,
    ErrorCategory,
    IdentifierKind,
    OptOut,
    OptOutSource,
    ResponseStatus,
    SendChannel,
    Survey,
)
from survey.models import SurveyIdentifier as Identifier
from survey.optouts import record_opt_out

log = logging.getLogger(__name__)

# Twilio's message status -> ours.
TWILIO_STATUS = {
    "accepted": DeliveryStatus.sent,
    "scheduled": DeliveryStatus.sent,
    "queued": DeliveryStatus.sent,
    "sending": DeliveryStatus.sent,
    "sent": DeliveryStatus.sent,
    "delivered": DeliveryStatus.delivered,
    "read": DeliveryStatus.delivered,
    "undelivered": DeliveryStatus.failed,
    "failed": DeliveryStatus.failed,
    "canceled": DeliveryStatus.failed,
}
# A callback moves a survey only to a later stage; `delivered` and `failed` are both final.
_STAGE = {
    DeliveryStatus.sending: 1,
    DeliveryStatus.unknown: 1,
    DeliveryStatus.sent: 2,
    DeliveryStatus.delivered: 3,
    DeliveryStatus.failed: 3,
}
STOP_WORDS = frozenset(
    {"STOP", "STOPP", "AVSLUTA", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT"}
)
START_WORDS = frozenset({"START", "UNSTOP", "BÖRJA"})
# A message SID as stored (Twilio's are two letters and 32 hex digits).
MESSAGE_SID = re.compile(r"[A-Za-z0-9]{1,64}")
# Twilio's error codes have five digits; more would not fit the column.
ERROR_CODE = re.compile(r"[0-9]{1,9}")


def apply_status_callback(
    session: Session,
    *,
    survey_id: int,
    kind: str,
    message_sid: str,
    to: str,
    status: str,
    error_code: str | None,
    identifier_key: str,
    now: datetime,
) -> bool:
    """Move the survey's delivery state forward and commit; False when nothing changes.

    Only the survey's own SMS counts: its MessageSid must be the one stored for the survey, or,
    where none is (an `unknown` send), its To must be the survey's recipient, and then the SID is
    stored. An e-mail survey has no Twilio message: a callback naming one changes nothing.
    """
    target = TWILIO_STATUS.get(status.lower())
    survey = session.get(Survey, survey_id)
    if kind != "survey" or target is None or survey is None:
        return False
    if survey.send_channel != SendChannel.sms:
        log.warning("status callback for survey %s ignored: not an SMS survey", survey_id)
        return False
    if not _own_message(session, survey, message_sid, to, identifier_key):
        log.warning("status callback for survey %s ignored: not its message", survey_id)
        return False
    current = _STAGE.get(DeliveryStatus(survey.delivery_status))
    if current is None or _STAGE[target] <= current:
        return False  # not sent by us yet, or a repeated or out-of-order callback
    mark_sent(survey, message_sid, now)
    if target is DeliveryStatus.delivered:
        survey.delivery_status = DeliveryStatus.delivered
        survey.delivered_at = now
    elif target is DeliveryStatus.failed:
        survey.delivery_status = DeliveryStatus.failed
        code = int(error_code) if error_code and ERROR_CODE.fullmatch(error_code) else None
        category = CATEGORIES.get(code or 0, ErrorCategory.undelivered)
        note_reason(survey, category, f"Twilio reported {status} (error {code or 'none'})", code)
        survey.reminder_due_at = None
    session.commit()
    return True


def _own_message(
    session: Session, survey: Survey, message_sid: str, to: str, identifier_key: str
) -> bool:
    """Whether the callback is about the message sent for this survey."""
    if survey.provider_message_id:
        return survey.provider_message_id == message_sid
    if not MESSAGE_SID.fullmatch(message_sid):
        return False
    return _is_recipient(session, survey, to, identifier_key)


def _is_recipient(session: Session, survey: Survey, to: str, identifier_key: str) -> bool:
    """`to` is the survey's phone number: its address while kept, else its keyed hash."""
    try:
        phone = normalise_phone(to)
    except ValueError:
        return False
    if survey.to_address:
        return survey.to_address == phone
    digest = identifier_hash(identifier_key, IdentifierKind.phone, phone)
    return session.get(Identifier, (survey.id, digest)) is not None


def keyword(body: str) -> str | None:
    """ "stop" or "start" when the reply is one of the keywords (any case), else None."""
    word = body.strip().strip(".!").upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


def apply_inbound_sms(
    session: Session,
    *,
    identifier_key: str,
    phone: str,
    body: str,
    now: datetime,
    message_sid: str | None = None,
) -> str | None:
    """STOP opts this phone number out (only it), START lifts that; commits and returns what
    was done (None for any other reply, or for a message applied before).

    Inbound SMS carry no time of their own: they apply in the order they arrive, each
    MessageSid once, so that a replayed START cannot undo a later STOP.
    """
    action = keyword(body)
    if action is None or not phone or _seen(session, message_sid):
        return None
    digest = identifier_hash(identifier_key, IdentifierKind.phone, phone)
    record_opt_out(
        session,
        hashes={digest: IdentifierKind.phone},
        source=OptOutSource.sms_stop if action == "stop" else OptOutSource.sms_start,
        now=now,
        opted_out=action == "stop",
        message_sid=message_sid or None,
    )
    if action == "stop":
        open_surveys = select(col(Identifier.survey_id)).where(
            col(Identifier.identifier_hash) == digest
        )
        for survey in session.exec(
            select(Survey)
            .where(col(Survey.id).in_(open_surveys))
            .where(col(Survey.response_status).in_(OPEN_RESPONSE_STATES))
            .where(col(Survey.delivery_status) != DeliveryStatus.scheduled)
        ):
            survey.response_status = ResponseStatus.opted_out
    try:
        session.commit()
    except IntegrityError:  # the same message, delivered twice at once: the first one counts
        session.rollback()
        return None
    return action


def _seen(session: Session, message_sid: str | None) -> bool:
    if not message_sid:
        return False
    found = session.scalar(select(col(OptOut.id)).where(col(OptOut.message_sid) == message_sid))
    return found is not None
