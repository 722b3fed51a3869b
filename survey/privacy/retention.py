"""The retention purge: contact details, message copies and comments older than
SURVEY_RETENTION_DAYS go; anonymous answers and the opt-out log stay."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.context import Context
from survey.models import Contact, OutboxMessage, Response, Survey
from survey.privacy.query import CUSTOMER_FIELDS


@dataclass(frozen=True)
class PurgeResult:
    contacts: int
    surveys: int
    messages: int
    comments: int


def purge_expired(session: Session, *, retention_days: int, now: datetime) -> PurgeResult:
    """Remove contact details and message copies older than the retention period."""
    cutoff = now - timedelta(days=retention_days)
    contacts = session.execute(
        update(Contact)
        .where(
            col(Contact.closed_at) < cutoff,
            col(Contact.purged_at).is_(None),
            or_(*(col(getattr(Contact, f)).is_not(None) for f in CUSTOMER_FIELDS)),
        )
        .values(customer_phone=None, customer_email=None, customer_ref=None, purged_at=now)
    ).rowcount  # type: ignore[attr-defined]
    old_surveys = select(col(Survey.id)).where(col(Survey.closed_at) < cutoff)
    surveys = session.execute(
        update(Survey)
        .where(col(Survey.closed_at) < cutoff, col(Survey.to_address).is_not(None))
        .values(to_address=None)
    ).rowcount  # type: ignore[attr-defined]
    messages = session.execute(
        delete(OutboxMessage).where(col(OutboxMessage.created_at) < cutoff)
    ).rowcount  # type: ignore[attr-defined]
    comments = session.execute(
        update(Response)
        .where(col(Response.survey_id).in_(old_surveys), col(Response.comment).is_not(None))
        .values(comment=None)
    ).rowcount  # type: ignore[attr-defined]
    if contacts or surveys or messages or comments:
        audit(
            session,
            who="system",
            action="retention.purge",
            contacts=contacts,
            surveys=surveys,
            messages=messages,
            comments=comments,
        )
    session.commit()
    return PurgeResult(contacts, surveys, messages, comments)


def run_purge(ctx: Context) -> dict[str, Any]:
    """The daily purge, by one process at a time (the others skip): what it removed."""
    with ctx.store.singleton("purge", now=ctx.now(), lease=timedelta(minutes=10)) as mine:
        if not mine:
            return {"skipped": "another process is purging"}
        with ctx.session() as session:
            result = purge_expired(
                session, retention_days=ctx.settings.retention_days, now=ctx.now()
            )
    return asdict(result)
