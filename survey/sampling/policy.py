"""The sampling policy: a complete initial version, then audited, forward-only changes.

The first `survey db upgrade` (or the first start on a database without one) records the
environment's values of every key as the initial version (survey.sampling.recorded); from then on
the stored policy is the policy, and the environment is only compared with it. Each
PolicyVersion holds every value (a change copies the last version and sets one key), so the
version in force at a moment is the whole policy. A case follows the version in force at its last
closure; a moment before the initial version follows the initial version, so that no case,
however early it closed, is decided by the environment.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.config import Settings, error_message
from survey.errors import Conflict, ServiceError
from survey.models import PolicyVersion
from survey.policy_fields import PolicySettings
from survey.store import store_of


class Policy(PolicySettings):
    """The policy in force at a moment."""

    @property
    def rate(self) -> str:
        return self.sampling_rate


class PolicyNotRecorded(ServiceError):
    """No initial policy in the database: nothing may be decided on the environment alone."""

    def __init__(self) -> None:
        super().__init__(
            "no sampling policy is recorded in the database; run `survey db upgrade` first"
        )


# A policy key is its settings field's name, but for the rate (set by SURVEY_SAMPLING_RATE).
_RENAMED = {"sampling_rate": "rate"}
_SETTING_OF = {_RENAMED.get(name, name): name for name in PolicySettings.model_fields}
POLICY_KEYS: tuple[str, ...] = tuple(_SETTING_OF)


def settings_policy(settings: Settings) -> Policy:
    """The policy as the environment sets it: the initial version's values, and what the stored
    policy is compared with at start."""
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

    def between(self, start: datetime, end: datetime) -> list[Policy]:
        """Every policy in force at some moment from `start` to `end` (exclusive)."""
        first = bisect.bisect_right(self._starts, start)
        last = bisect.bisect_left(self._starts, end)
        return [self.at(start), *self._policies[first:last]]


def policy_timeline(session: Session) -> PolicyTimeline:
    """The recorded versions over the initial one (the first complete version recorded: a
    database from before it may hold partial versions, laid over it); PolicyNotRecorded when
    there is none."""
    rows = session.execute(
        select(
            col(PolicyVersion.id), col(PolicyVersion.effective_from), col(PolicyVersion.values)
        ).order_by(col(PolicyVersion.effective_from), col(PolicyVersion.id))
    ).all()
    initial = min((row[0] for row in rows if is_complete(row[2])), default=None)
    if initial is None:
        raise PolicyNotRecorded()
    base = next(_laid_over(Policy(), row[2]) for row in rows if row[0] == initial)
    return PolicyTimeline(base, [(row[1], dict(row[2])) for row in rows])


def effective_policy(session: Session, at: datetime) -> Policy:
    """The policy in force at `at`: the latest version from at or before it (else the initial)."""
    return policy_timeline(session).at(at)


def current_policy(session: Session) -> Policy:
    """The policy of the last recorded version: the one a new change builds on."""
    values = _latest_values(session)
    if values is None or not is_complete(values):
        raise PolicyNotRecorded()
    return _laid_over(Policy(), values)


def is_complete(values: dict[str, Any]) -> bool:
    """Whether a version's values name every policy key (the initial version and all after)."""
    return all(key in values for key in POLICY_KEYS)


def change_policy(
    session: Session,
    *,
    key: str,
    value: str | int,
    who: str,
    reason: str | None,
    now: datetime,
) -> PolicyVersion:
    """Validate, then record a version effective from `now` and audit it; commits.

    The new version copies the last recorded one and sets `key`. Raises Conflict with a message
    for the person changing it when key or value is invalid or the value is the one in force
    (a version that changes nothing would only crowd the history and the audit log),
    PolicyNotRecorded before the initial version.
    """
    if key not in POLICY_KEYS:
        raise Conflict(f"unknown policy key {key!r}; choose from {', '.join(POLICY_KEYS)}")
    parsed = parse_value(key, value)
    # Changes are serialised: each version builds on the last.
    store_of(session).lock_policy(session)
    current = policy_dict(current_policy(session))
    old = current[key]
    if _same(old, parsed):
        session.rollback()  # releases the policy lock; nothing is recorded or audited
        raise Conflict(f"{key} is already {parsed}: nothing changed, nothing recorded")
    version = PolicyVersion(
        effective_from=now,
        values={**current, key: parsed},
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


def _latest_values(session: Session) -> dict[str, Any] | None:
    query = select(col(PolicyVersion.values)).order_by(col(PolicyVersion.id).desc()).limit(1)
    row = session.execute(query).first()
    return dict(row[0]) if row else None


def _same(old: Any, new: Any) -> bool:
    """Whether two values of a key are the same (a rate of 0.30 is the rate 0.3)."""
    try:
        return Decimal(str(old)) == Decimal(str(new))
    except InvalidOperation:
        return bool(old == new)


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
