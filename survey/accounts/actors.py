"""Actors (the measured units) and their API keys, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey.accounts.audit_log import audit
from survey.errors import Conflict, NotFound
from survey.models import Actor, ApiKey

KEY_PREFIX = "sk_"


def hash_api_key(key: str) -> str:
    # API keys carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(key.encode()).hexdigest()


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


def create_api_key(session: Session, *, actor_name: str, who: str) -> str:
    """Create a key for an actor and return it; only its hash is kept."""
    actor = get_actor(session, name=actor_name)
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    assert actor.id is not None
    session.add(ApiKey(actor_id=actor.id, prefix=prefix, key_hash=hash_api_key(key)))
    audit(session, who=who, action="apikey.create", subject=actor.name, prefix=prefix)
    session.commit()
    return key


def actor_for_api_key(session: Session, key: str) -> Actor | None:
    row = session.execute(
        select(Actor)
        .join(ApiKey, ApiKey.actor_id == Actor.id)  # type: ignore[arg-type]
        .where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))  # type: ignore[union-attr,arg-type]
    ).scalar_one_or_none()
    return row
