"""An answer by replying to a reply-mode SMS (SURVEY_SMS_MODE=reply).

A digit 1-5 answers the overall question of the latest SMS survey sent to the number (found by
the keyed hash of the number, which is never stored), through the survey page's own answer. The
survey then gets one thank-you; an unreadable reply one help reply at most, a reply after the
expiry one "closed" reply at most. Each inbound MessageSid applies once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.channels.base import Message
from survey.config import Settings
from survey.delivery.messages import render_sms_answer
from survey.identifiers import identifier_hash, normalise_phone
from survey.models import DeliveryStatus, IdentifierKind, SendChannel, SmsReply, Survey
from survey.models import SurveyIdentifier as Identifier
from survey.questionnaire import Questionnaire
from survey.respondent.answers import submit_answers
from survey.respondent.states import PageState, SurveyClosed, page_state

DIGIT = re.compile(r"[1-5]")


class ReplyOutcome(StrEnum):
    answered = "answered"  # the reply answered the overall question: a thank-you is sent
    help = "help"  # unreadable: says how to answer
    closed = "closed"  # after the expiry
    ignored = "ignored"  # nothing to do (answered before, or its one reply already sent)


def answer_by_sms(
    session: Session,
    *,
    settings: Settings,
    questionnaires: Mapping[str, Questionnaire],
    phone: str,
    body: str,
    message_sid: str | None,
    now: datetime,
    expiry_days: int,
) -> Message | None:
    """Apply a reply that is no STOP or START and commit; the SMS to send back, if any."""
    if message_sid and _seen(session, message_sid):
        return None
    survey = _latest_sms_survey(session, settings.identifier_key, phone)
    if survey is None or survey.id is None:
        return None  # no survey of ours was sent to the number
    outcome = _apply(session, survey, questionnaires, body.strip().strip(".!"), now, expiry_days)
    once = None if outcome is ReplyOutcome.ignored else f"{outcome}:{survey.id}"
    if not _record(session, survey.id, message_sid, outcome, once):
        return None
    if outcome is ReplyOutcome.ignored:
        return None
    kind = "thanks" if outcome is ReplyOutcome.answered else str(outcome)
    return render_sms_answer(
        settings, survey_id=survey.id, to=phone, language=survey.language, kind=kind
    )


def _apply(
    session: Session,
    survey: Survey,
    questionnaires: Mapping[str, Questionnaire],
    reply: str,
    now: datetime,
    expiry_days: int,
) -> ReplyOutcome:
    state = page_state(survey, now=now, expiry_days=expiry_days)
    if state is PageState.expired:
        return ReplyOutcome.closed
    if state is not PageState.open:
        return ReplyOutcome.ignored
    questionnaire = questionnaires.get(survey.questionnaire)
    asks_overall = questionnaire is not None and any(
        q.id == "overall" for q in questionnaire.questions
    )
    if not DIGIT.fullmatch(reply) or questionnaire is None or not asks_overall:
        return ReplyOutcome.help
    try:
        submit_answers(session, survey, questionnaire, {"overall": int(reply)}, now=now)
    except SurveyClosed:
        return ReplyOutcome.ignored
    return ReplyOutcome.answered


def _record(
    session: Session, survey_id: int, sid: str | None, outcome: ReplyOutcome, once: str | None
) -> bool:
    """Keep the reply; False when its MessageSid or its once-per-survey reply is already kept
    (then it is kept as ignored where its MessageSid is new)."""
    session.add(SmsReply(message_sid=sid, survey_id=survey_id, outcome=outcome, once=once))
    try:
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
    if once is not None:
        _record(session, survey_id, sid, ReplyOutcome.ignored, None)
    return False


def _seen(session: Session, message_sid: str) -> bool:
    found = session.scalar(select(col(SmsReply.id)).where(col(SmsReply.message_sid) == message_sid))
    return found is not None


def _latest_sms_survey(session: Session, identifier_key: str, phone: str) -> Survey | None:
    """The latest SMS survey sent to the number (through its keyed hash)."""
    try:
        number = normalise_phone(phone)
    except ValueError:
        return None
    digest = identifier_hash(identifier_key, IdentifierKind.phone, number)
    sent_to = select(col(Identifier.survey_id)).where(col(Identifier.identifier_hash) == digest)
    return session.exec(
        select(Survey)
        .where(col(Survey.id).in_(sent_to))
        .where(col(Survey.send_channel) == SendChannel.sms)
        .where(col(Survey.delivery_status).not_in([DeliveryStatus.scheduled]))
        .where(col(Survey.sent_at).is_not(None))
        .order_by(col(Survey.sent_at).desc(), col(Survey.id).desc())
        .limit(1)
    ).first()
