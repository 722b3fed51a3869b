"""Who gets the scheduled reports: the organisation's monthly report and each actor's weekly
one (that actor's own figures). Set by admins in the database, audited; SURVEY_REPORT_RECIPIENTS
gives the organisation's recipients while none are set there."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.accounts.audit_log import audit
from survey.errors import Conflict, NotFound
from survey.followups.recipients import valid_email
from survey.models import Actor, ReportRecipient

ORGANISATION = "organisation"


def actor_scope(actor_id: int) -> str:
    return f"actor:{actor_id}"


def add_report_recipient(
    session: Session, *, actor_name: str | None, email: str, who: str
) -> ReportRecipient:
    """Add a recipient of the organisation's report (no actor) or of an actor's."""
    scope, subject = ORGANISATION, ORGANISATION
    if actor_name:
        actor = session.exec(select(Actor).where(col(Actor.name) == actor_name.strip())).first()
        if actor is None or actor.id is None:
            raise NotFound(f"actor: no actor {actor_name!r}")
        scope, subject = actor_scope(actor.id), actor.name
    row = ReportRecipient(scope=scope, email=valid_email(email))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"email: {row.email} gets this report already") from None
    audit(session, who=who, action="report.recipient_add", subject=subject, email=row.email)
    session.commit()
    return row


def remove_report_recipient(session: Session, *, recipient_id: int, who: str) -> None:
    row = session.get(ReportRecipient, recipient_id)
    if row is None:
        raise NotFound(f"no report recipient {recipient_id}")
    session.delete(row)
    audit(session, who=who, action="report.recipient_remove", subject=row.scope, email=row.email)
    session.commit()


def report_recipients(session: Session) -> list[tuple[ReportRecipient, str]]:
    """Every recipient with what they get: the organisation's report or an actor's name."""
    names = {f"actor:{a.id}": a.name for a in session.exec(select(Actor))}
    rows = session.exec(select(ReportRecipient).order_by(col(ReportRecipient.scope))).all()
    return [(row, names.get(row.scope, row.scope)) for row in rows]


def recipients_of(session: Session, scope: str, fallback: list[str] | None = None) -> list[str]:
    """The addresses of a scope; the fallback when none are set."""
    rows = session.exec(
        select(col(ReportRecipient.email))
        .where(col(ReportRecipient.scope) == scope)
        .order_by(col(ReportRecipient.email))
    ).all()
    return list(rows) or list(fallback or [])
