"""Scheduled surveys after the draw: a later contact postpones, a do_not_survey one cancels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.context import Context
from survey.models import (
    Actor,
    AuditLog,
    CancelCause,
    Case,
    Contact,
    DeliveryStatus,
    ErrorCategory,
    Survey,
)
from survey.sampling.draw import postponed_send_time, postponement_limit, send_time
from survey.sampling.policy import policy_timeline

POSTPONEMENT_CAPPED = "survey.postponement_capped"


def postpone_surveys(ctx: Context, session: Session) -> int:
    """Move the send of still-scheduled surveys whose case got a later contact; a send held at
    the maximum postponement is audited, once per survey (the caller commits)."""
    timeline = policy_timeline(session)
    rows = session.execute(
        select(
            col(Survey.id),
            col(Survey.case_ref),
            col(Survey.send_at),
            col(Survey.first_send_at),
            col(Case.last_closed_at),
        )
        .join(Case, col(Case.case_ref) == col(Survey.case_ref))
        .where(col(Survey.delivery_status) == DeliveryStatus.scheduled)
        .where(col(Case.last_closed_at) > col(Survey.closed_at))
    ).all()
    moved, capped = 0, []
    for survey_id, case_ref, send_at, first_send_at, last_closed_at in rows:
        policy = timeline.at(last_closed_at)
        new = postponed_send_time(
            current=send_at,
            first_send_at=first_send_at,
            last_closed_at=last_closed_at,
            delay_minutes=policy.send_delay_minutes,
            quiet=policy.quiet,
            max_postpone_hours=policy.max_postpone_hours,
        )
        wanted = send_time(last_closed_at, policy.send_delay_minutes, policy.quiet)
        if wanted > postponement_limit(first_send_at, policy.max_postpone_hours):
            capped.append(Capped(survey_id, case_ref, wanted, new, policy.max_postpone_hours))
        if new != send_at:
            changed = session.execute(
                update(Survey)
                .where(col(Survey.id) == survey_id)
                .where(col(Survey.delivery_status) == DeliveryStatus.scheduled)
                .where(col(Survey.send_at) == send_at)
                .values(send_at=new)
            )
            moved += changed.rowcount  # type: ignore[attr-defined]
    audit_capped_postponements(session, capped)
    return moved


@dataclass(frozen=True)
class Capped:
    """A survey whose case's later contact wants its send past the maximum postponement."""

    survey_id: int
    case_ref: str
    wanted: datetime
    held_at: datetime
    max_postpone_hours: int


def audit_capped_postponements(session: Session, capped: list[Capped]) -> None:
    """A send held at the maximum postponement is a recorded fact: who (the actor of the case's
    latest contact), which case, why; once per survey. Adds to the caller's transaction."""
    if not capped:
        return
    done = set(
        session.scalars(
            select(col(AuditLog.subject))
            .where(col(AuditLog.action) == POSTPONEMENT_CAPPED)
            .where(col(AuditLog.subject).in_([c.case_ref for c in capped]))
        )
    )
    for item in capped:
        if item.case_ref in done:
            continue
        actor, external_id = _latest_contact(session, item.case_ref)
        audit(
            session,
            who=f"actor:{actor}",
            action=POSTPONEMENT_CAPPED,
            subject=item.case_ref,
            survey_id=item.survey_id,
            cause="a later contact would postpone the send past the maximum postponement",
            contact=external_id,
            wanted=item.wanted.isoformat(),
            held_at=item.held_at.isoformat(),
            max_postpone_hours=item.max_postpone_hours,
        )


def _latest_contact(session: Session, case_ref: str) -> tuple[str | None, str | None]:
    row = session.execute(
        select(col(Actor.name), col(Contact.external_id))
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .where(col(Contact.case_ref) == case_ref)
        .order_by(col(Contact.closed_at).desc(), col(Contact.id).desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def cancel_do_not_survey(session: Session) -> int:
    """Cancel still-scheduled surveys of cases that got a do_not_survey contact after the draw;
    each cancellation is audited with the actor whose contact stopped it (the caller commits)."""
    flagged = (
        select(col(Contact.id))
        .where(col(Contact.case_ref) == col(Survey.case_ref))
        .where(col(Contact.do_not_survey).is_(True))
    )
    result = session.execute(
        update(Survey)
        .where(col(Survey.delivery_status) == DeliveryStatus.scheduled)
        .where(flagged.exists())
        .values(
            delivery_status=DeliveryStatus.cancelled,
            cancel_cause=CancelCause.do_not_survey,
            last_error="cancelled: a contact of the case is marked do_not_survey",
            error_category=ErrorCategory.do_not_survey,
        )
        .returning(col(Survey.id), col(Survey.case_ref))
        .execution_options(synchronize_session=False)
    )
    cancelled = result.all()
    for survey_id, case_ref in cancelled:
        audit_do_not_survey_cancel(session, survey_id, case_ref)
    return len(cancelled)


def audit_do_not_survey_cancel(session: Session, survey_id: int, case_ref: str) -> None:
    """A stop after the draw is a recorded fact: who stopped it (the actor whose contact is
    marked do_not_survey), which case, why. Adds to the caller's transaction."""
    flagged_by = session.execute(
        select(col(Actor.name), col(Contact.external_id), col(Contact.do_not_survey_reason))
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .where(col(Contact.case_ref) == case_ref, col(Contact.do_not_survey).is_(True))
        .order_by(col(Contact.id).desc())
        .limit(1)
    ).first()
    actor, external_id, reason = flagged_by or (None, None, None)
    audit(
        session,
        who=f"actor:{actor}",
        action="survey.cancelled",
        subject=case_ref,
        survey_id=survey_id,
        cause="do_not_survey",
        contact=external_id,
        reason=reason,
    )
