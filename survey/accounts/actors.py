"""Actors: the units and companies that handle contacts and are measured."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.errors import Conflict, NotFound
from survey.models import Actor


def create_actor(session: Session, *, name: str, who: str) -> Actor:
    name = name.strip()
    if not name:
        raise Conflict("an actor needs a name")
    actor = Actor(name=name)
    try:
        session.add(actor)
        session.flush()  # a taken name fails here, before the audit entry
        audit(session, who=who, action="actor.create", subject=name)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"an actor named {name!r} exists already") from None
    return actor


def get_actor(session: Session, *, name: str) -> Actor:
    actor = session.execute(select(Actor).where(Actor.name == name)).scalar_one_or_none()  # type: ignore[arg-type]
    if actor is None:
        raise NotFound(f"no actor named {name!r}; create it with `survey actors create`")
    return actor


def actor_names(session: Session) -> list[str]:
    """Every actor's name, in order (the choices of the admin's forms)."""
    return list(session.scalars(select(col(Actor.name)).order_by(col(Actor.name))))
