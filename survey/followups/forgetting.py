"""What erasure and retention do to follow-ups. A follow-up holds no contact details (its page
reads them from the survey and contact, which erasure and retention clear); its note is staff's
free text about the person: it goes, and the follow-up is marked purged. An erased person's
consent goes too, so that no later pass raises a follow-up about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from survey.models import FollowUp, Response, Survey


def erase_follow_ups(session: Session, survey_ids: list[int], *, now: datetime) -> int:
    """The erasure's part: notes and consent of the surveys; the follow-ups changed."""
    if not survey_ids:
        return 0
    session.execute(
        update(Response)
        .where(col(Response.survey_id).in_(survey_ids), col(Response.contact_consent).is_(True))
        .values(contact_consent=False)
    )
    return _purge(session, col(FollowUp.survey_id).in_(survey_ids), now=now)


def expire_follow_ups(session: Session, *, cutoff: datetime, now: datetime) -> int:
    """The retention's part: the follow-ups of surveys about contacts closed before the cutoff."""
    old = select(col(Survey.id)).where(col(Survey.closed_at) < cutoff)
    return _purge(session, col(FollowUp.survey_id).in_(old), now=now)


def _purge(session: Session, which: object, *, now: datetime) -> int:
    result = session.execute(
        update(FollowUp)
        .where(
            which,  # type: ignore[arg-type]
            or_(col(FollowUp.purged_at).is_(None), col(FollowUp.note).is_not(None)),
        )
        .values(note=None, purged_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
