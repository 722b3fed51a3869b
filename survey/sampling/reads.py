"""What a batch reads besides its own cases: surveys of its cases and customers, and other
processes' undecided cases."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from survey.context import Context
from survey.models import Case, DeliveryStatus, Survey, SurveyIdentifier
from survey.sampling.attribution import CaseView, Key, load_contacts
from survey.sampling.draw import draw_threshold, drawer
from survey.sampling.policy import PolicyTimeline
from survey.store import store_of

# Surveys that count against the frequency cap: scheduled or (possibly) sent.
CAPPED_STATUSES = (
    DeliveryStatus.scheduled,
    DeliveryStatus.sending,
    DeliveryStatus.sent,
    DeliveryStatus.delivered,
    DeliveryStatus.unknown,
)


def surveyed_cases(session: Session, refs: list[str]) -> set[str]:
    """The cases among `refs` that have a survey already."""
    found: set[str] = set()
    for condition in store_of(session).among(session, col(Survey.case_ref), refs):
        found.update(session.scalars(select(col(Survey.case_ref)).where(condition)))
    return found


def earlier_undecided(
    ctx: Context, session: Session, timeline: PolicyTimeline, claimed: list[tuple[str, datetime]]
) -> dict[str, Key]:
    """Identifier hash -> the first key of the drawn cases with that identifier that other
    processes have not decided yet and that come before our last."""
    ours = {ref for ref, _ in claimed}
    last = max(closed for _, closed in claimed)
    # Ordered as the undecided index is, so that the planner walks the index, not the table.
    rows = (
        session.connection()
        .execute(
            select(col(Case.case_ref), col(Case.last_closed_at))
            .where(col(Case.decided_at).is_(None))
            .where(col(Case.last_closed_at) <= last)
            .order_by(col(Case.last_closed_at))
        )
        .all()
    )
    draw = drawer(ctx.settings.sampling_secret)
    views = {
        ref: CaseView(ref, closed)
        for ref, closed in rows
        if ref not in ours and draw(ref) < draw_threshold(timeline.at(closed).rate)
    }
    load_contacts(ctx.store, session, views.values(), ctx.settings.identifier_key)
    first: dict[str, Key] = {}
    for view in views.values():
        for digest in view.hashes:
            if digest not in first or view.key < first[digest]:
                first[digest] = view.key
    return first


def capped_surveys(
    session: Session, views: list[CaseView], timeline: PolicyTimeline
) -> dict[str, list[datetime]]:
    """Identifier hash -> closures of surveys that may count against the views' frequency cap."""
    hashes = sorted({h for view in views for h in view.hashes})
    if not hashes:
        return {}
    cap = max(timeline.at(view.last_closed_at).frequency_cap_days for view in views)
    low = min(view.last_closed_at for view in views) - timedelta(days=cap)
    high = max(view.last_closed_at for view in views) + timedelta(days=cap)
    counted = (
        select(col(Survey.id))
        .where(col(Survey.id) == col(SurveyIdentifier.survey_id))
        .where(col(Survey.delivery_status).in_([str(s) for s in CAPPED_STATUSES]))
    )
    found: dict[str, list[datetime]] = {}
    store = store_of(session)
    for condition in store.among(session, col(SurveyIdentifier.identifier_hash), hashes):
        # EXISTS, not a join: joined, SQLite would scan every survey by its status index.
        rows = session.connection().execute(  # Core rows: no ORM result steps
            select(col(SurveyIdentifier.identifier_hash), col(SurveyIdentifier.closed_at))
            .where(condition)
            .where(col(SurveyIdentifier.closed_at).between(low, high))
            .where(counted.exists())
        )
        for digest, closed_at in rows:
            found.setdefault(digest, []).append(closed_at)
    return found
