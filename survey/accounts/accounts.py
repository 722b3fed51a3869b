"""Actors, their API keys (stored only as hashes) and admin users (argon2)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey.errors import Conflict, NotFound
from survey.models import Actor, ApiKey, AuditLog, Role, User

_hasher = PasswordHasher()
KEY_PREFIX = "sk_"


def hash_api_key(key: str) -> str:
    # API keys carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(key.encode()).hexdigest()


def create_actor(session: Session, *, name: str, who: str) -> Actor:
    name = name.strip()
    if not name:
        raise Conflict("an actor needs a name")
    actor = Actor(name=name)
    session.add(actor)
    session.add(AuditLog(who=who, action="actor.create", subject=name))
    try:
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
    session.add(
        AuditLog(who=who, action="apikey.create", subject=actor.name, details={"prefix": prefix})
    )
    session.commit()
    return key


def actor_for_api_key(session: Session, key: str) -> Actor | None:
    row = session.execute(
        select(Actor)
        .join(ApiKey, ApiKey.actor_id == Actor.id)  # type: ignore[arg-type]
        .where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))  # type: ignore[union-attr,arg-type]
    ).scalar_one_or_none()
    return row


def create_user(session: Session, *, email: str, password: str, role: str, who: str) -> User:
    if role not in {r.value for r in Role}:
        raise Conflict(f"role must be one of {', '.join(r.value for r in Role)}")
    if len(password) < 12:
        raise Conflict("the password must have at least 12 characters")
    user = User(email=email.strip().lower(), password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.add(AuditLog(who=who, action="user.create", subject=user.email, details={"role": role}))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"a user {email!r} exists already") from None
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    user = session.execute(
        select(User).where(User.email == email.strip().lower())  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if user is None or not user.active:
        _hasher.hash(password)  # same work either way: no timing hint that the user exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def log_in(session: Session, *, email: str, password: str) -> User | None:
    """The user when the password is right, else None; the attempt is audited; commits."""
    user = authenticate(session, email=email, password=password)
    if user is None:
        audit(session, who="web", action="admin.login_failed", subject=email.strip().lower()[:200])
    else:
        audit(session, who=f"admin:{user.email}", action="admin.login", subject=user.email)
    session.commit()
    return user


def active_user(session: Session, user_id: int) -> User | None:
    """The user with this id, unless missing or deactivated."""
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def audit(
    session: Session, *, who: str, action: str, subject: str | None = None, **details: Any
) -> None:
    """Add an audit entry to the session's transaction (the caller commits)."""
    session.add(AuditLog(who=who, action=action, subject=subject, details=details))
