"""The follow-up list and its cases, for the organisation's followup users: read, take, set
status and note. Every view of a case (it shows the customer's contact details) and every
change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from survey.accounts.audit_log import audit
from survey.errors import Conflict, NotFound
from survey.models import (
    SCALE_ITEMS,
    Actor,
    Contact,
    FollowUp,
    FollowUpStatus,
    Response,
    Survey,
    User,
)

VIEWS = ("open", "overdue", "mine", "all")
NOTE_MAX = 2000
PAGE = 200


@dataclass(frozen=True)
class Listed:
    follow_up: FollowUp
    actor: str
    team: str | None
    owner: str | None
    overdue: bool


@dataclass(frozen=True)
class Case:
    """A follow-up with what its page shows: the customer's contact details (none once erased
    or past retention), the survey's attribution, and the answers."""

    follow_up: FollowUp
    actor: str
    team: str | None
    channel: str
    closed_at: datetime
    language: str
    owner: str | None
    contact_details: dict[str, str]
    answers: dict[str, Any]


def list_follow_ups(session: Session, *, view: str, user_id: int, now: datetime) -> list[Listed]:
    """The follow-ups of a view (open, overdue, mine, all), the soonest due first."""
    if view not in VIEWS:
        raise Conflict(f"view: must be one of {', '.join(VIEWS)}")
    query = (
        select(FollowUp, Actor.name, Survey.team, User.email)
        .join(Survey, col(Survey.id) == col(FollowUp.survey_id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .outerjoin(User, col(User.id) == col(FollowUp.owner_id))
        .order_by(col(FollowUp.due_at), col(FollowUp.id))
        .limit(PAGE)
    )
    not_closed = col(FollowUp.status) != FollowUpStatus.closed
    if view == "open":
        query = query.where(not_closed)
    elif view == "overdue":
        query = query.where(not_closed, col(FollowUp.due_at) < now)
    elif view == "mine":
        query = query.where(not_closed, col(FollowUp.owner_id) == user_id)
    return [
        Listed(f, actor, team, owner, f.status != FollowUpStatus.closed and f.due_at < now)
        for f, actor, team, owner in session.exec(query).all()
    ]


def open_case(session: Session, follow_up_id: int, *, who: str) -> Case:
    """A follow-up's page; the view is audited (it discloses contact details). Commits."""
    follow_up = _get(session, follow_up_id)
    survey = session.get(Survey, follow_up.survey_id)
    assert survey is not None
    contact = session.get(Contact, survey.contact_id)
    response = session.exec(select(Response).where(col(Response.survey_id) == survey.id)).one()
    actor = session.get(Actor, survey.actor_id)
    owner = session.get(User, follow_up.owner_id) if follow_up.owner_id else None
    details = {
        "survey_address": survey.to_address,
        "phone": contact.customer_phone if contact else None,
        "email": contact.customer_email if contact else None,
    }
    audit(session, who=who, action="followup.view", subject=f"follow-up {follow_up.id}")
    session.commit()
    return Case(
        follow_up,
        actor.name if actor else "",
        survey.team,
        survey.channel,
        survey.closed_at,
        survey.language,
        owner.email if owner else None,
        {k: v for k, v in details.items() if v},
        _answers(response),
    )


def take_follow_up(
    session: Session, follow_up_id: int, *, user_id: int, who: str, now: datetime
) -> None:
    """Make the user the owner; audited; commits."""
    follow_up = _get(session, follow_up_id)
    before = follow_up.owner_id
    follow_up.owner_id = user_id
    follow_up.updated_at = now
    session.add(follow_up)
    audit(
        session,
        who=who,
        action="followup.take",
        subject=f"follow-up {follow_up.id}",
        previous_owner_id=before,
    )
    session.commit()


def update_follow_up(
    session: Session, follow_up_id: int, *, status: str, note: str, who: str, now: datetime
) -> None:
    """Set the status and the note; audited (the note's text is not: it may name the person)."""
    if status not in {s.value for s in FollowUpStatus}:
        raise Conflict(f"status: must be one of {', '.join(s.value for s in FollowUpStatus)}")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Conflict(f"note: at most {NOTE_MAX} characters (got {len(note)})")
    follow_up = _get(session, follow_up_id)
    if follow_up.purged_at is not None and note:
        raise Conflict("note: this follow-up's personal data was erased; no note can be added")
    changed_note = (follow_up.note or "") != note
    previous = follow_up.status
    follow_up.status, follow_up.note = status, note or None
    follow_up.updated_at = now
    session.add(follow_up)
    audit(
        session,
        who=who,
        action="followup.update",
        subject=f"follow-up {follow_up.id}",
        status_from=previous,
        status_to=status,
        note_changed=changed_note,
    )
    session.commit()


def _get(session: Session, follow_up_id: int) -> FollowUp:
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(f"no follow-up {follow_up_id}")
    return follow_up


def _answers(response: Response) -> dict[str, Any]:
    columns = {name: getattr(response, name) for name in SCALE_ITEMS}
    columns.update(resolution=response.resolution, fcr=response.fcr, comment=response.comment)
    return {**response.answers, **columns}
