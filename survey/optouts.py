"""The opt-out log: append-only per identifier hash; the latest entry per identifier wins.

The customer's objection, consulted by sampling, dispatch and reminders and written by the
respondent's pages, the API and SMS replies: it sits below all of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session, col

from survey.models import (
    SENT_STATUSES,
    DeliveryStatus,
    IdentifierKind,
    OptOut,
    Survey,
    SurveyIdentifier,
)
from survey.store import store_of


def api_source(actor_name: str) -> str:
    """The source of an opt-out registered with an actor's API key."""
    return f"api:{actor_name}"


def organisation_source(label: str) -> str:
    """The source of an opt-out registered with an organisation's API key."""
    return f"api:organisation:{label}"


def admin_source(user: str) -> str:
    """The source of an opt-out registered by an admin user."""
    return f"admin:{user}"


API_SOURCE_PATTERN = "api:%"  # every opt-out registered through the API


def record_opt_out(
    session: Session,
    *,
    hashes: Mapping[str, IdentifierKind | str],
    source: str,
    now: datetime,
    opted_out: bool = True,
    agent: str | None = None,
    actor_id: int | None = None,
    survey_id: int | None = None,
    message_sid: str | None = None,
) -> int:
    """Append one entry per identifier hash (opted_out=False lifts an opt-out); caller commits."""
    if opted_out:
        wait_for_claims(session, hashes)
    for digest, kind in hashes.items():
        session.add(
            OptOut(
                identifier_hash=digest,
                kind=str(kind),
                opted_out=opted_out,
                source=source,
                agent=agent,
                actor_id=actor_id,
                survey_id=survey_id,
                message_sid=message_sid,
                created_at=now,
            )
        )
    return len(hashes)


def wait_for_claims(session: Session, hashes: Iterable[str]) -> None:
    """Lock the customer's surveys that a send or a reminder may still claim, until the opt-out
    commits: a claim under way on one (it read the opt-outs before this one existed) commits
    first, and a claim that comes later skips them, then sees the opt-out. Otherwise an opt-out
    committed between a claim's reading and its commit would have a message sent after it."""
    store = store_of(session)
    claimable = (col(Survey.delivery_status) == DeliveryStatus.scheduled) | (
        col(Survey.delivery_status).in_(SENT_STATUSES)
        & col(Survey.reminder_sent_at).is_(None)
        & col(Survey.reminder_due_at).is_not(None)
    )
    for condition in store.among(session, col(SurveyIdentifier.identifier_hash), list(hashes)):
        theirs = select(col(SurveyIdentifier.survey_id)).where(condition)
        session.execute(
            store.locked(
                select(col(Survey.id))
                .where(col(Survey.id).in_(theirs))
                .where(claimable)
                .order_by(col(Survey.id))  # one order for all: no deadlock between opt-outs
            )
        )


class Standing(NamedTuple):
    """The entry that keeps an identifier opted out: its latest, an opt-out."""

    id: int
    source: str
    survey_id: int | None


def standing_opt_outs(session: Session, hashes: Iterable[str]) -> dict[str, Standing]:
    """Those of `hashes` whose latest entry is an opt-out, with that entry."""
    found: dict[str, Standing] = {}
    # A batch of thousands of hashes is one statement where the store can (an array on PostgreSQL).
    store = store_of(session)
    for condition in store.among(session, col(OptOut.identifier_hash), dict.fromkeys(hashes)):
        latest = (
            select(col(OptOut.identifier_hash), func.max(OptOut.id).label("last_id"))
            .where(condition)
            .group_by(col(OptOut.identifier_hash))
            .subquery()
        )
        rows = session.execute(
            select(
                col(OptOut.identifier_hash),
                col(OptOut.id),
                col(OptOut.source),
                col(OptOut.survey_id),
            )
            .join(latest, col(OptOut.id) == latest.c.last_id)
            .where(col(OptOut.opted_out).is_(True))
        )
        found.update({digest: Standing(*entry) for digest, *entry in rows})
    return found


def opted_out_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    """Those of `hashes` whose latest entry is an opt-out."""
    return set(standing_opt_outs(session, hashes))


def is_opted_out(session: Session, hashes: Iterable[str]) -> bool:
    return bool(opted_out_hashes(session, hashes))


def latest_opt_out_source(session: Session, hashes: Iterable[str]) -> str | None:
    """Who registered the newest opt-out that stands among `hashes` (None when none stands)."""
    standing = standing_opt_outs(session, hashes).values()
    return max(standing, key=lambda entry: entry.id).source if standing else None
