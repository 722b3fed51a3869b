"""The policy and the sampling secret's fingerprint, recorded once from the environment.

The first `survey db upgrade`, or the first process to start on a database without them (one
made by create_all, or from before), records every policy key's environment value as the initial
complete policy version, with the fingerprint of SURVEY_SAMPLING_SECRET, in one audited
transaction under the policy lock: of several processes starting at once, one records and the
others find it. From then on the stored policy is in force; an environment value that differs
from it is only named in a warning at start.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.config import Settings, env_name
from survey.models import PolicyVersion
from survey.sampling.keys import add_first_key, current_key
from survey.sampling.policy import (
    POLICY_KEYS,
    current_policy,
    is_complete,
    policy_dict,
    settings_policy,
)
from survey.store import store_of

INITIAL_REASON = "initial policy from the environment"


@dataclass(frozen=True)
class Drift:
    """A policy key whose environment value differs from the stored policy in force."""

    key: str
    environment: Any
    stored: Any

    def message(self) -> str:
        variable = env_name("sampling_rate" if self.key == "rate" else self.key)
        value = shlex.quote(str(self.environment))
        return (
            f"{variable}={self.environment} in the environment differs from the stored policy's "
            f"{self.key} {self.stored}, which stays in force; to change the policy: "
            f"survey policy set {self.key} {value} --reason TEXT"
        )


def record_initial_policy(session: Session, settings: Settings, *, who: str, now: datetime) -> bool:
    """Record the initial policy version and secret fingerprint unless both are there; commits.

    True when this call recorded something (audited as `policy.initial`).
    """
    if _recorded(session):
        session.rollback()
        return False
    store_of(session).lock_policy(session)
    missing_policy, missing_key = not _has_initial_version(session), current_key(session) is None
    if not (missing_policy or missing_key):
        session.rollback()  # another process recorded them while this one waited for the lock
        return False
    details: dict[str, Any] = {"effective_from": now.isoformat()}
    if missing_policy:
        values = _initial_values(session, settings)
        session.add(
            PolicyVersion(effective_from=now, values=values, changed_by=who, reason=INITIAL_REASON)
        )
        details["values"] = values
    if missing_key:
        details["key_fingerprint"] = add_first_key(session, settings, who=who, now=now)
    audit(session, who=who, action="policy.initial", reason=INITIAL_REASON, **details)
    session.commit()
    return True


def policy_drift(session: Session, settings: Settings) -> list[Drift]:
    """The keys whose environment value differs from the stored policy in force."""
    stored = policy_dict(current_policy(session))
    environment = policy_dict(settings_policy(settings))
    return [
        Drift(key, environment[key], stored[key])
        for key in POLICY_KEYS
        if environment[key] != stored[key]
    ]


def _recorded(session: Session) -> bool:
    return _has_initial_version(session) and current_key(session) is not None


def _has_initial_version(session: Session) -> bool:
    rows = session.scalars(select(col(PolicyVersion.values)).order_by(col(PolicyVersion.id)))
    return any(is_complete(dict(values)) for values in rows)


def _initial_values(session: Session, settings: Settings) -> dict[str, Any]:
    """The environment's values, under the last partial version of a database from before the
    initial version (the policy that was in force there)."""
    latest = session.scalars(
        select(col(PolicyVersion.values)).order_by(col(PolicyVersion.id).desc()).limit(1)
    ).first()
    known = {k: v for k, v in (latest or {}).items() if k in POLICY_KEYS}
    return {**policy_dict(settings_policy(settings)), **known}
