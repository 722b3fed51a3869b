"""The sampling secret's fingerprints in the database: the one in force, every one recorded, and
their rotation (`survey audit rotate-secret`).

The secret stays in the environment; the database holds its SHA-256, so that a changed
SURVEY_SAMPLING_SECRET cannot re-roll the draw unseen: a process whose secret is not the one in
force refuses to start, and a rotation is an audited fact with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.config import Settings
from survey.errors import Conflict, ServiceError
from survey.models import SamplingKey
from survey.sampling.draw import key_fingerprint
from survey.sampling.policy import PolicyNotRecorded
from survey.store import store_of

ROTATE_COMMAND = "survey audit rotate-secret --reason TEXT"


class SecretNotInForce(ServiceError):
    """SURVEY_SAMPLING_SECRET is not the secret recorded as in force."""

    def __init__(self, environment: str, in_force: str) -> None:
        super().__init__(
            f"SURVEY_SAMPLING_SECRET (fingerprint {environment}) is not the sampling secret in "
            f"force (fingerprint {in_force}), so nothing starts: a new secret would change the "
            "draw unrecorded. To change the secret, keep the one in force in "
            f"SURVEY_PREVIOUS_SAMPLING_SECRETS and run `{ROTATE_COMMAND}`; otherwise set "
            "SURVEY_SAMPLING_SECRET back to the secret in force."
        )


@dataclass(frozen=True)
class Rotation:
    old: str
    new: str
    changed: bool


def current_key(session: Session) -> SamplingKey | None:
    """The fingerprint in force: the last one recorded."""
    query = select(SamplingKey).order_by(col(SamplingKey.id).desc()).limit(1)
    return session.execute(query).scalars().first()


def recorded_fingerprints(session: Session) -> set[str]:
    """Every fingerprint ever in force: the keys a recorded decision may have been drawn with."""
    return set(session.scalars(select(col(SamplingKey.fingerprint))))


def add_first_key(session: Session, settings: Settings, *, who: str, now: datetime) -> str:
    """Record SURVEY_SAMPLING_SECRET's fingerprint as the first in force; the caller commits."""
    fingerprint = key_fingerprint(settings.sampling_secret)
    session.add(
        SamplingKey(
            effective_from=now,
            fingerprint=fingerprint,
            recorded_by=who,
            reason="initial sampling secret from the environment",
        )
    )
    return fingerprint


def check_secret(session: Session, settings: Settings) -> None:
    """SecretNotInForce unless SURVEY_SAMPLING_SECRET is the secret in force."""
    in_force = current_key(session)
    fingerprint = key_fingerprint(settings.sampling_secret)
    if in_force is not None and in_force.fingerprint != fingerprint:
        raise SecretNotInForce(fingerprint, in_force.fingerprint)


def rotate_secret(
    session: Session, settings: Settings, *, who: str, reason: str, now: datetime
) -> Rotation:
    """Record SURVEY_SAMPLING_SECRET's fingerprint as in force from `now`, and audit it; commits.

    The secret in force until now must be in SURVEY_PREVIOUS_SAMPLING_SECRETS, so that
    `survey audit verify` can still recompute the draws made with it (Conflict otherwise).
    """
    reason = reason.strip()
    if not reason:
        raise Conflict("a reason is required: it is kept in the audit log")
    store_of(session).lock_policy(session)
    in_force = current_key(session)
    if in_force is None:
        raise PolicyNotRecorded()
    new = key_fingerprint(settings.sampling_secret)
    if new == in_force.fingerprint:
        session.rollback()
        return Rotation(old=in_force.fingerprint, new=new, changed=False)
    previous = {key_fingerprint(secret) for secret in settings.previous_sampling_secrets}
    if in_force.fingerprint not in previous:
        raise Conflict(
            f"the sampling secret in force (fingerprint {in_force.fingerprint}) is not in "
            "SURVEY_PREVIOUS_SAMPLING_SECRETS: add it there, so that `survey audit verify` can "
            "still recompute the draws made with it"
        )
    session.add(SamplingKey(effective_from=now, fingerprint=new, recorded_by=who, reason=reason))
    audit(
        session,
        who=who,
        action="sampling.secret_rotated",
        old_fingerprint=in_force.fingerprint,
        new_fingerprint=new,
        reason=reason,
        effective_from=now.isoformat(),
    )
    session.commit()
    return Rotation(old=in_force.fingerprint, new=new, changed=True)
