"""Where follow-up notices go: an address per actor and team, or per actor (the team lead or a
shared mailbox; never an agent's own). Set by admins, audited."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.accounts.audit_log import audit
from survey.errors import Conflict, NotFound
from survey.identifiers import normalise_email
from survey.models import Actor, FollowUpRecipient


def valid_email(value: str, *, field: str = "email") -> str:
    try:
        return normalise_email(value)
    except ValueError as exc:
        raise Conflict(f"{field}: not an e-mail address ({exc})") from None


def set_follow_up_recipient(
    session: Session, *, actor_name: str, team: str, email: str, who: str
) -> FollowUpRecipient:
    """Set (or replace) the address of an actor's team, or of the whole actor (team empty)."""
    actor = session.exec(select(Actor).where(col(Actor.name) == actor_name.strip())).first()
    if actor is None or actor.id is None:
        raise NotFound(f"actor: no actor {actor_name!r}")
    team = team.strip()
    if len(team) > 100:
        raise Conflict("team: at most 100 characters")
    address = valid_email(email)
    row = session.exec(
        select(FollowUpRecipient).where(
            col(FollowUpRecipient.actor_id) == actor.id, col(FollowUpRecipient.team) == team
        )
    ).first()
    if row is None:
        row = FollowUpRecipient(actor_id=actor.id, team=team, email=address)
    row.email = address
    session.add(row)
    audit(
        session,
        who=who,
        action="followup.recipient_set",
        subject=actor.name,
        team=team or None,
        email=address,
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("team: set at the same moment by someone else; try again") from None
    return row


def remove_follow_up_recipient(session: Session, *, recipient_id: int, who: str) -> None:
    row = session.get(FollowUpRecipient, recipient_id)
    if row is None:
        raise NotFound(f"no follow-up recipient {recipient_id}")
    actor = session.get(Actor, row.actor_id)
    session.delete(row)
    audit(
        session,
        who=who,
        action="followup.recipient_remove",
        subject=actor.name if actor else str(row.actor_id),
        team=row.team or None,
        email=row.email,
    )
    session.commit()


def follow_up_recipients(session: Session) -> list[tuple[FollowUpRecipient, str]]:
    """Every configured address with its actor's name, by actor and team."""
    rows = session.exec(
        select(FollowUpRecipient, Actor.name)
        .join(Actor, col(Actor.id) == col(FollowUpRecipient.actor_id))
        .order_by(col(Actor.name), col(FollowUpRecipient.team))
    ).all()
    return [(row, name) for row, name in rows]


def recipient_for(session: Session, *, actor_id: int, team: str | None) -> str | None:
    """The team's address, else the actor's, else none."""
    rows = session.exec(
        select(FollowUpRecipient).where(
            col(FollowUpRecipient.actor_id) == actor_id,
            col(FollowUpRecipient.team).in_([team or "", ""]),
        )
    ).all()
    by_team = {row.team: row.email for row in rows}
    return by_team.get(team or "") or by_team.get("")
