"""What the fairness report reads of a period: its contacts with their cases' decisions, the
stops of drawn cases, staff-registered opt-outs and the surveys sent, per actor and agent."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import or_, select
from sqlmodel import Session, col

from survey.identifiers import identifier_hashes
from survey.models import (
    Actor,
    AuditLog,
    Contact,
    OptOut,
    ResponseStatus,
    SamplingDecision,
    Survey,
)
from survey.reporting.counting import count_if, sent_condition
from survey.reporting.fairness_units import Cancellation, ContactFact, SurveyCounts, Unit

# Opt-outs that staff registered: through an API key (actor or organisation) or as an admin.
STAFF_SOURCE_PATTERNS = ("api:%", "admin:%")


@lru_cache(maxsize=1 << 16)
def _hashes(key: str, phone: str | None, email: str | None, ref: str | None) -> tuple[str, ...]:
    # Customers recur across contacts: each HMAC is computed once per process, not per contact.
    return tuple(identifier_hashes(key, phone, email, ref))


def contact_facts(
    session: Session, low: datetime, high: datetime, *, identifier_key: str
) -> list[ContactFact]:
    """The contacts closed in [low, high), each with its customer's hashes and case decision."""
    closed = col(Contact.closed_at)
    rows = session.execute(
        select(
            col(Actor.name),
            col(Contact.agent),
            col(Contact.case_ref),
            closed,
            col(Contact.do_not_survey),
            col(Contact.customer_phone),
            col(Contact.customer_email),
            col(Contact.customer_ref),
            col(SamplingDecision.decided_at),
            col(SamplingDecision.drawn),
        )
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .outerjoin(SamplingDecision, col(SamplingDecision.case_ref) == col(Contact.case_ref))
        .where(closed >= low, closed < high)
    )
    return [
        ContactFact(
            actor=row[0],
            agent=row[1],
            case_ref=row[2],
            closed_at=row[3],
            do_not_survey=bool(row[4]),
            hashes=_hashes(identifier_key, row[5], row[6], row[7]),
            decided_at=row[8],
            drawn=bool(row[9]),
        )
        for row in rows
    ]


def cancellations(session: Session, low: datetime, high: datetime) -> dict[str, Cancellation]:
    """The audited stops (survey.cancelled) of the cases of the period's contacts, by case."""
    closed = col(Contact.closed_at)
    cases = select(col(Contact.case_ref)).where(closed >= low, closed < high)
    rows = session.execute(
        select(col(AuditLog.subject), col(AuditLog.who), col(AuditLog.details))
        .where(col(AuditLog.action) == "survey.cancelled", col(AuditLog.subject).in_(cases))
        .order_by(col(AuditLog.id))
    )
    found: dict[str, Cancellation] = {}
    for subject, who, details in rows:
        cause = str((details or {}).get("cause") or "unknown")
        found.setdefault(subject, Cancellation(cause=cause, who=who))
    return found


def staff_opt_out_hashes(session: Session, low: datetime, high: datetime) -> set[str]:
    """Identifiers that staff opted out in [low, high)."""
    created = col(OptOut.created_at)
    rows = session.execute(
        select(col(OptOut.identifier_hash))
        .where(
            col(OptOut.opted_out).is_(True),
            or_(*(col(OptOut.source).like(p) for p in STAFF_SOURCE_PATTERNS)),
            created >= low,
            created < high,
        )
        .distinct()
    )
    return {digest for (digest,) in rows}


def survey_counts(session: Session, low: datetime, high: datetime) -> dict[Unit, SurveyCounts]:
    """Surveys sent, declined and answered per (actor, agent), by attributed closure time."""
    sent = sent_condition()
    closed = col(Survey.closed_at)
    rows = session.execute(
        select(
            col(Actor.name),
            col(Survey.agent),
            count_if(sent),
            count_if(col(Survey.response_status) == ResponseStatus.declined),
            count_if(col(Survey.response_status) == ResponseStatus.answered),
        )
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(closed >= low, closed < high)
        .group_by(col(Actor.name), col(Survey.agent))
    )
    return {
        (actor, agent): SurveyCounts(int(n_sent), int(declined), int(answered))
        for actor, agent, n_sent, declined, answered in rows
    }
