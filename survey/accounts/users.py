"""Admin users: passwords hashed with argon2, logins audited; a server-side session version that
logout and deactivation raise, so that every session issued before stops working."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey.accounts.audit_log import audit
from survey.errors import Conflict, NotFound
from survey.models import Role, User

_hasher = PasswordHasher()


def create_user(session: Session, *, email: str, password: str, role: str, who: str) -> User:
    if role not in {r.value for r in Role}:
        raise Conflict(f"role must be one of {', '.join(r.value for r in Role)}")
    if len(password) < 12:
        raise Conflict("the password must have at least 12 characters")
    user = User(email=email.strip().lower(), password_hash=_hasher.hash(password), role=role)
    try:
        session.add(user)
        session.flush()  # a taken address fails here, before the audit entry
        audit(session, who=who, action="user.create", subject=user.email, role=role)
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


def active_user(session: Session, user_id: int, session_version: int) -> User | None:
    """The user of a login session, unless missing, deactivated, or the session was ended."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return user


def log_out(session: Session, *, user_id: int, session_version: int) -> None:
    """End every session of the user (the cookie alone proves nothing after this); commits."""
    user = active_user(session, user_id, session_version)
    if user is None:
        return
    user.session_version += 1
    audit(session, who=f"admin:{user.email}", action="admin.logout", subject=user.email)
    session.commit()


def deactivate_user(session: Session, *, email: str, who: str) -> User:
    """Refuse the user's logins and end every session of theirs; audited; commits."""
    user = session.execute(
        select(User).where(User.email == email.strip().lower())  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {email!r}")
    if not user.active:
        raise Conflict(f"the user {user.email} is deactivated already")
    user.active = False
    user.session_version += 1
    audit(session, who=who, action="user.deactivate", subject=user.email)
    session.commit()
    return user
