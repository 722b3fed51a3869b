"""The sampling policy: environment values with audited, forward-only changes layered on top.

Each PolicyVersion holds every value changed through the policy so far (not only the last
change), so the version in force at a moment, laid over the settings, is the whole policy.
A case follows the version in force at its last closure.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.accounts import audit
from survey.config import QuietHours, Settings
from survey.errors import Conflict
from survey.models import PolicyVersion
from survey.store import store_of


@dataclass(frozen=True)
class Policy:
    rate: str
    send_delay_minutes: int
    quiet_hours: str
    frequency_cap_days: int
    max_contact_age_hours: int
    max_postpone_hours: int
    expiry_days: int
    reminder_after_hours: int

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours)


POLICY_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Policy))
# The settings field behind each policy key (the environment gives the starting value).
_SETTING_OF = {key: ("sampling_rate" if key == "rate" else key) for key in POLICY_KEYS}
# Changing the policy of an organisation is serialised: each version builds on the last.


def settings_policy(settings: Settings) -> Policy:
    """The policy as the environment sets it, before any change."""
    return Policy(**{key: getattr(settings, _SETTING_OF[key]) for key in POLICY_KEYS})


class PolicyTimeline:
    """Every policy version, loaded once, for resolving many moments (the sampling job)."""

    def __init__(self, base: Policy, versions: list[tuple[datetime, dict[str, Any]]]) -> None:
        self._base = base
        self._starts = [start for start, _ in versions]
        self._policies = [replace(base, **_known(values)) for _, values in versions]

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
    return replace(settings_policy(settings), **_known(values or {}))


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
    store_of(session).lock_policy(session)
    overrides = _values_at(session, None) or {}
    old = overrides.get(key)
    if old is None and settings is not None:
        old = getattr(settings_policy(settings), key)
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
    parser = _PARSERS[key]
    try:
        return parser(value)
    except (ValueError, InvalidOperation) as exc:
        raise Conflict(f"invalid value for {key}: {exc}") from None


def policy_dict(policy: Policy) -> dict[str, Any]:
    return asdict(policy)


def _values_at(session: Session, at: datetime | None) -> dict[str, Any] | None:
    query = select(col(PolicyVersion.values))
    if at is not None:
        query = query.where(col(PolicyVersion.effective_from) <= at)
    query = query.order_by(col(PolicyVersion.effective_from).desc(), col(PolicyVersion.id).desc())
    row = session.execute(query.limit(1)).first()
    return dict(row[0]) if row else None


def _known(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key in POLICY_KEYS}


def _rate(value: str | int) -> str:
    text_value = str(value).strip()
    rate = Decimal(text_value)
    if not rate.is_finite() or not (0 <= rate <= 1):
        raise ValueError("the rate must be a decimal number from 0 to 1, e.g. 0.2")
    return text_value


def _quiet(value: str | int) -> str:
    text_value = str(value).strip()
    QuietHours.parse(text_value)
    return text_value


def _count(minimum: int) -> Callable[[str | int], int]:
    def parse(value: str | int) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("expected a whole number") from None
        if number < minimum:
            raise ValueError(f"must be {minimum} or more")
        return number

    return parse


_PARSERS: dict[str, Callable[[str | int], str | int]] = {
    "rate": _rate,
    "send_delay_minutes": _count(0),
    "quiet_hours": _quiet,
    "frequency_cap_days": _count(0),
    "max_contact_age_hours": _count(0),
    "max_postpone_hours": _count(0),
    "expiry_days": _count(1),
    "reminder_after_hours": _count(0),
}
