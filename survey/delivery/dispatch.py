"""Dispatch due surveys: claim a slice, re-check opt-out, commit `sending`, send, record.

A customer never gets the same survey twice: each slice's claim is committed before the
provider is called, and a survey whose outcome was never recorded stays `sending` until its
lease ends, then becomes `unknown` (reconciled with the provider later), never sent again.
Slices are as small as the dispatch concurrency, so a killed process leaves at most that many.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from survey.accounts.audit_log import audit
from survey.channels.base import Channel, Message, Outcome, SendResult
from survey.channels.configured import channels_for
from survey.context import Context
from survey.delivery.claim import ClaimSlice, Slice, claim_slice
from survey.delivery.errors import clear_error, note_failure, note_reason
from survey.delivery.messages import MessageTooLong, render_for_survey
from survey.delivery.sending import Outcomes, deliver
from survey.identifiers import identifier_hash
from survey.models import (
    CancelCause,
    Contact,
    DeliveryStatus,
    ErrorCategory,
    IdentifierKind,
    OptOutSource,
    ResponseStatus,
    Survey,
    SurveyIdentifier,
)
from survey.optouts import latest_opt_out_source, record_opt_out
from survey.policy_fields import QuietHours
from survey.sampling.draw import is_quiet, out_of_quiet_hours
from survey.sampling.policy import PolicyTimeline, policy_timeline
from survey.sampling.postpone import audit_do_not_survey_cancel

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
RUN_SECONDS = 15.0  # slices claimed for at most this long per run; the job runs every 20 s
# A claimed survey is sent at once; the lease covers the provider's timeouts and the record.
CLAIM_LEASE = timedelta(minutes=3)
BATCH_LIMIT = 1000
LEASE_LOST = "the sending process stopped before recording the outcome; not re-sent"


def dispatch_due_surveys(
    ctx: Context,
    *,
    channels: dict[str, Channel] | None = None,
    run_seconds: float = RUN_SECONDS,
    batch_limit: int = BATCH_LIMIT,
) -> dict[str, int]:
    """One dispatch pass; returns counts by outcome."""
    counts: Counter[str] = Counter()
    counts["unknown_after_lease"] = mark_lost_sends_unknown(ctx)
    now = ctx.now()
    timeline = load_timeline(ctx)
    if is_quiet(timeline.at(now).quiet, now):
        return dict(counts)
    with channels_for(ctx, channels) as using:
        deliver(
            ctx,
            using,
            _claimer(ctx, now, timeline, counts),
            lambda s, o, t: _record(ctx, timeline, s, o, t, counts),
            run_seconds=run_seconds,
            batch_limit=batch_limit,
        )
    return dict(counts)


def mark_lost_sends_unknown(ctx: Context) -> int:
    """Surveys left in `sending` past their lease become `unknown` (never re-sent)."""
    with ctx.session() as session:
        result = session.execute(
            update(Survey)
            .where(col(Survey.delivery_status) == DeliveryStatus.sending)
            .where(col(Survey.lease_until) < ctx.now())
            .values(
                delivery_status=DeliveryStatus.unknown,
                last_error=LEASE_LOST,
                error_code=None,
                error_category=ErrorCategory.interrupted,
                error_phase=None,
                lease_until=None,
            )
        )
        session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


def load_timeline(ctx: Context) -> PolicyTimeline:
    with ctx.session() as session:
        return policy_timeline(session)


def _claimer(
    ctx: Context, now: datetime, timeline: PolicyTimeline, counts: Counter[str]
) -> ClaimSlice:
    """Claims slices of the surveys due at the start of the pass."""

    def due(channel: str) -> SelectOfScalar[Survey]:
        return (
            select(Survey)
            .where(col(Survey.delivery_status) == DeliveryStatus.scheduled)
            .where(col(Survey.send_at) <= now)
            .where(col(Survey.send_channel) == channel)
            .order_by(col(Survey.send_at), col(Survey.id))
        )

    def prepare(session: Session, surveys: list[Survey], opted: set[int]) -> list[Message]:
        flagged = do_not_survey_cases(session, [s.case_ref for s in surveys])
        claimed_at = ctx.now()
        messages = []
        for survey in surveys:
            if survey.case_ref in flagged:
                _cancel(survey, CancelCause.do_not_survey, counts)
                assert survey.id is not None
                audit_do_not_survey_cancel(session, survey.id, survey.case_ref)
                continue
            message = _prepare(ctx, session, survey, claimed_at, timeline, opted, counts)
            if message is not None:
                messages.append(message)
        return messages

    def claim(session: Session, channel: str, limit: int) -> Slice:
        return claim_slice(session, due, prepare, channel, limit)

    return claim


def _prepare(
    ctx: Context,
    session: Session,
    survey: Survey,
    now: datetime,
    timeline: PolicyTimeline,
    opted: set[int],
    counts: Counter[str],
) -> Message | None:
    assert survey.id is not None
    if survey.id in opted:
        survey.response_status = ResponseStatus.opted_out
        _cancel(survey, CancelCause.opted_out, counts)
        _audit_opted_out_cancel(session, survey)
        return None
    if not survey.to_address:
        _fail(survey, ErrorCategory.no_address, "no address to send to", counts)
        return None
    try:
        message = render_for_survey(ctx.settings, survey)
    except MessageTooLong as exc:
        _fail(survey, ErrorCategory.message_too_long, str(exc), counts)
        return None
    policy = timeline.at(survey.closed_at)
    survey.delivery_status = DeliveryStatus.sending
    survey.attempts += 1
    survey.attempted_at = now
    survey.lease_until = now + CLAIM_LEASE
    survey.expires_at = now + timedelta(days=policy.expiry_days)
    hours = policy.reminder_after_hours
    survey.reminder_due_at = now + timedelta(hours=hours) if hours else None
    return message


def _audit_opted_out_cancel(session: Session, survey: Survey) -> None:
    """A stop after the draw is a recorded fact: who registered the opt-out that stopped it."""
    hashes = session.exec(
        select(col(SurveyIdentifier.identifier_hash)).where(
            col(SurveyIdentifier.survey_id) == survey.id
        )
    ).all()
    audit(
        session,
        who=latest_opt_out_source(session, hashes) or "unknown",
        action="survey.cancelled",
        subject=survey.case_ref,
        survey_id=survey.id,
        cause="opted_out",
    )


_CANCEL = {
    CancelCause.do_not_survey: (
        ErrorCategory.do_not_survey,
        "a contact of the case is marked do_not_survey",
    ),
    CancelCause.opted_out: (ErrorCategory.opted_out, "the customer opted out before sending"),
}


def _cancel(survey: Survey, cause: CancelCause, counts: Counter[str]) -> None:
    survey.delivery_status = DeliveryStatus.cancelled
    survey.cancel_cause = cause
    category, reason = _CANCEL[cause]
    note_reason(survey, category, f"cancelled: {reason}")
    counts["cancelled"] += 1


def _fail(survey: Survey, category: ErrorCategory, reason: str, counts: Counter[str]) -> None:
    survey.delivery_status = DeliveryStatus.failed
    note_reason(survey, category, reason)
    counts["failed"] += 1


def do_not_survey_cases(session: Session, case_refs: list[str]) -> set[str]:
    """Those cases that got a do_not_survey contact (possibly after the draw)."""
    if not case_refs:
        return set()
    return set(
        session.exec(
            select(col(Contact.case_ref))
            .where(col(Contact.case_ref).in_(case_refs))
            .where(col(Contact.do_not_survey).is_(True))
        )
    )


def surveys_by_id(session: Session, outcomes: Outcomes) -> dict[int | None, Survey]:
    """The surveys the outcomes are about, in one query."""
    ids = [message.survey_id for message, _ in outcomes]
    return {s.id: s for s in session.exec(select(Survey).where(col(Survey.id).in_(ids)))}


def _record(
    ctx: Context,
    timeline: PolicyTimeline,
    session: Session,
    outcomes: Outcomes,
    now: datetime,
    counts: Counter[str],
) -> None:
    surveys = surveys_by_id(session, outcomes)
    for message, result in outcomes:
        survey = surveys.get(message.survey_id)
        if survey is None:
            continue
        counts[result.outcome.value] += 1
        quiet = timeline.at(survey.closed_at).quiet
        apply_outcome(ctx, session, survey, message, result, now, quiet)


def apply_outcome(
    ctx: Context,
    session: Session,
    survey: Survey,
    message: Message,
    result: SendResult,
    now: datetime,
    quiet: QuietHours | None = None,
) -> None:
    """Move the survey on from `sending` according to what the provider said."""
    if survey.delivery_status not in (DeliveryStatus.sending, DeliveryStatus.unknown):
        return  # a status callback got there first
    survey.lease_until = None
    if result.outcome is Outcome.sent:
        mark_sent(survey, result.provider_id, now)
        return
    if result.opted_out:
        _record_carrier_opt_out(ctx, session, survey, message, now)
    if result.outcome is Outcome.retry and survey.attempts < MAX_ATTEMPTS:
        survey.delivery_status = DeliveryStatus.scheduled
        survey.send_at = out_of_quiet_hours(now + backoff(survey.attempts), quiet)
        note_failure(survey, result, message.to, prefix=f"attempt {survey.attempts}: ")
        survey.reminder_due_at = None
        return
    if result.outcome is Outcome.unknown:
        survey.delivery_status = DeliveryStatus.unknown
        note_failure(survey, result, message.to)
        return
    survey.delivery_status = DeliveryStatus.failed
    survey.reminder_due_at = None
    gave_up = f"gave up after {survey.attempts} attempts: "
    note_failure(survey, result, message.to, "" if result.outcome is Outcome.permanent else gave_up)


def mark_sent(survey: Survey, provider_id: str | None, now: datetime) -> None:
    survey.delivery_status = DeliveryStatus.sent
    survey.sent_at = survey.sent_at or now
    survey.provider_message_id = provider_id or survey.provider_message_id
    clear_error(survey)
    survey.lease_until = None


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: about 1, 2, 4, 8 ... minutes, at most an hour."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.5, 1.0)


def _record_carrier_opt_out(
    ctx: Context, session: Session, survey: Survey, message: Message, now: datetime
) -> None:
    if message.channel != "sms":
        return
    digest = identifier_hash(ctx.settings.identifier_key, IdentifierKind.phone, message.to)
    record_opt_out(
        session,
        hashes={digest: IdentifierKind.phone},
        source=OptOutSource.sms_stop,  # the carrier's record of the customer's STOP
        now=now,
        survey_id=survey.id,
    )
    survey.response_status = ResponseStatus.opted_out
