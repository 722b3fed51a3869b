"""The sampling policy: environment values with audited, forward-only changes layered on top.

Each PolicyVersion holds every value changed through the policy so far (not only the last
change), so the version in force at a moment, laid over the settings, is the whole policy.
A case follows the version in force at its last closure.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.config import Settings, error_message
from survey.errors import Conflict
from survey.models import PolicyVersion
from survey.policy_fields import PolicySettings
from survey.store import store_of


class Policy(PolicySettings):
    """The policy in force at a moment: the settings' values with the policy changes laid over."""

    @property
    def rate(self) -> str:
        return self.sampling_rate


# A policy key is its settings field's name, but for the rate (set by SURVEY_SAMPLING_RATE).
_RENAMED = {"sampling_rate": "rate"}
_SETTING_OF = {_RENAMED.get(name, name): name for name in PolicySettings.model_fields}
POLICY_KEYS: tuple[str, ...] = tuple(_SETTING_OF)


def settings_policy(settings: Settings) -> Policy:
    """The policy as the environment sets it, before any change."""
    return Policy.model_validate({name: getattr(settings, name) for name in _SETTING_OF.values()})


class PolicyTimeline:
    """Every policy version, loaded once, for resolving many moments (the sampling job)."""

    def __init__(self, base: Policy, versions: list[tuple[datetime, dict[str, Any]]]) -> None:
        self._base = base
        self._starts = [start for start, _ in versions]
        self._policies = [_laid_over(base, values) for _, values in versions]

    def at(self, moment: datetime) -> Policy:
        index = bisect.bisect_right(self._starts, moment)
        return self._policies[index - 1] if index else self._base


def policy_timeline(session: Session, settings: Settings) -> PolicyTimeline:
    rows = session.execute(
        select(col(PolicyVersion.effective_from), col(PolicyVersion.values)).order_by(
            col(PolicyVersion.effective_from), col(PolicyVersion.id)
        )
    ).all()
    return PolicyTimeline(settings_policy(settings), [(row[0], row[1]) for row in rows])


def effective_policy(session: Session, settings: Settings, at: datetime) -> Policy:
    """The policy in force at `at`: the latest version from at or before it, over the settings."""
    values = _values_at(session, at)
    return _laid_over(settings_policy(settings), values or {})


def change_policy(
    session: Session,
    *,
    key: str,
    value: str | int,
    who: str,
    reason: str | None,
    now: datetime,
    settings: Settings | None = None,
) -> PolicyVersion:
    """Validate, then record a version effective from `now` and audit it; commits.

    With `settings`, the audited old value of a key never changed before is the environment's.
    Raises Conflict with a message for the person changing it when key or value is invalid.
    """
    if key not in POLICY_KEYS:
        raise Conflict(f"unknown policy key {key!r}; choose from {', '.join(POLICY_KEYS)}")
    parsed = parse_value(key, value)
    # Changes are serialised: each version builds on the last.
    store_of(session).lock_policy(session)
    overrides = _values_at(session, None) or {}
    old = overrides.get(key)
    if old is None and settings is not None:
        old = policy_dict(settings_policy(settings))[key]
    version = PolicyVersion(
        effective_from=now,
        values={**overrides, key: parsed},
        changed_by=who,
        reason=(reason or None),
    )
    session.add(version)
    audit(
        session,
        who=who,
        action="policy.change",
        subject=key,
        old=old,
        new=parsed,
        reason=reason,
        effective_from=now.isoformat(),
    )
    session.commit()
    return version


def recent_versions(session: Session, *, limit: int) -> list[PolicyVersion]:
    """The last `limit` policy versions, newest first."""
    query = select(PolicyVersion).order_by(col(PolicyVersion.id).desc()).limit(limit)
    return list(session.execute(query).scalars())


def parse_value(key: str, value: str | int) -> str | int:
    """The value of a policy key in its stored form; Conflict when it is not allowed."""
    name = _SETTING_OF[key]
    try:
        return _checked(name, _whole_number(value) if _is_count(name) else str(value))
    except ValueError as exc:
        raise Conflict(f"invalid value for {key}: {exc}") from None


def policy_dict(policy: Policy) -> dict[str, Any]:
    """The policy by its keys, in their order."""
    return {key: getattr(policy, name) for key, name in _SETTING_OF.items()}


def _values_at(session: Session, at: datetime | None) -> dict[str, Any] | None:
    query = select(col(PolicyVersion.values))
    if at is not None:
        query = query.where(col(PolicyVersion.effective_from) <= at)
    query = query.order_by(col(PolicyVersion.effective_from).desc(), col(PolicyVersion.id).desc())
    row = session.execute(query.limit(1)).first()
    return dict(row[0]) if row else None


def _laid_over(base: Policy, values: dict[str, Any]) -> Policy:
    """The policy with a version's values over it; keys no longer known are ignored."""
    known = {_SETTING_OF[key]: value for key, value in values.items() if key in _SETTING_OF}
    return base.model_copy(update=known)


def _checked(name: str, value: str | int) -> Any:
    """The value after the rule that its setting meets in the environment; ValueError if not."""
    try:
        return getattr(PolicySettings.model_validate({name: value}), name)
    except ValidationError as exc:
        raise ValueError(error_message(exc.errors()[0])) from None


def _is_count(name: str) -> bool:
    return PolicySettings.model_fields[name].annotation is int


def _whole_number(value: str | int) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("expected a whole number") from None
