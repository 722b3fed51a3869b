"""One reminder for an unanswered survey, and expiry of surveys left unanswered."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from survey.channels.base import Channel, Message, Outcome
from survey.channels.configured import channels_for
from survey.context import Context
from survey.delivery.claim import ClaimSlice, Slice, claim_slice
from survey.delivery.dispatch import (
    RUN_SECONDS,
    backoff,
    load_timeline,
    surveys_by_id,
)
from survey.delivery.errors import note_failure
from survey.delivery.messages import MessageTooLong, render_for_survey
from survey.delivery.sending import Outcomes, deliver
from survey.models import (
    OPEN_RESPONSE_STATES,
    SENT_STATUSES,
    ResponseStatus,
    Survey,
)
from survey.policy_fields import QuietHours
from survey.sampling.draw import is_quiet, out_of_quiet_hours


def send_reminders(
    ctx: Context, *, channels: dict[str, Channel] | None = None, batch_limit: int = 1000
) -> dict[str, int]:
    """Remind once, with the same link, where the survey is still open; not in quiet hours."""
    counts: Counter[str] = Counter()
    now = ctx.now()
    policy = load_timeline(ctx).at(now)
    if policy.reminder_after_hours == 0 or is_quiet(policy.quiet, now):
        return dict(counts)
    quiet = policy.quiet
    with channels_for(ctx, channels) as using:
        deliver(
            ctx,
            using,
            _claimer(ctx, now, counts),
            lambda s, o, t: _record(quiet, s, o, t, counts),
            run_seconds=RUN_SECONDS,
            batch_limit=batch_limit,
        )
    return dict(counts)


def _claimer(ctx: Context, now: datetime, counts: Counter[str]) -> ClaimSlice:
    def due(channel: str) -> SelectOfScalar[Survey]:
        return (
            select(Survey)
            .where(col(Survey.delivery_status).in_(SENT_STATUSES))
            .where(col(Survey.response_status).in_(OPEN_RESPONSE_STATES))
            .where(col(Survey.send_channel) == channel)
            .where(col(Survey.reminder_sent_at).is_(None))
            .where(col(Survey.reminder_due_at) <= now)
            .where((col(Survey.expires_at).is_(None)) | (col(Survey.expires_at) > now))
            .order_by(col(Survey.reminder_due_at), col(Survey.id))
        )

    def prepare(_session: Session, surveys: list[Survey], opted: set[int]) -> list[Message]:
        prepared = (_prepare(ctx, survey, now, opted, counts) for survey in surveys)
        return [message for message in prepared if message is not None]

    def claim(session: Session, channel: str, limit: int) -> Slice:
        return claim_slice(session, due, prepare, channel, limit)

    return claim


def _prepare(
    ctx: Context, survey: Survey, now: datetime, opted: set[int], counts: Counter[str]
) -> Message | None:
    assert survey.id is not None and survey.to_address
    if survey.id in opted:
        survey.reminder_due_at = None
        counts["skipped_opted_out"] += 1
        return None
    try:
        message = render_for_survey(ctx.settings, survey, reminder=True)
    except MessageTooLong:
        survey.reminder_due_at = None
        counts["failed"] += 1
        return None
    survey.reminder_sent_at = now  # when claimed, before it goes out: at most one reminder
    return message


def _record(
    quiet: QuietHours | None,
    session: Session,
    outcomes: Outcomes,
    now: datetime,
    counts: Counter[str],
) -> None:
    surveys = surveys_by_id(session, outcomes)
    for message, result in outcomes:
        counts[result.outcome.value] += 1
        survey = surveys.get(message.survey_id)
        if survey is None or result.outcome is Outcome.sent:
            continue
        if result.outcome is Outcome.retry:
            # Nothing went out: offer the reminder again after a pause.
            survey.reminder_sent_at = None
            survey.reminder_due_at = out_of_quiet_hours(now + backoff(1), quiet)
        else:
            note_failure(survey, result, message.to, prefix=f"reminder {result.outcome}: ")


def expire_surveys(ctx: Context) -> int:
    """Open surveys past their expiry become `expired`."""
    now = ctx.now()
    with ctx.session() as session:
        result = session.execute(
            update(Survey)
            .where(col(Survey.response_status).in_(OPEN_RESPONSE_STATES))
            .where(col(Survey.expires_at) <= now)
            .values(response_status=ResponseStatus.expired)
        )
        session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]
