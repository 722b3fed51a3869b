"""What every report discloses about how its figures came about (SPEC section 7).

The policy versions in force during the period (rate, frequency cap, maximum contact age,
quiet hours), and per actor how many drawn cases were suppressed as too old: an actor that
uploads its contacts late has its drawn cases suppressed and silently vanishes from the
figures, so a share above TOO_OLD_WARNING is flagged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from survey.models import Contact, DecisionReason, PolicyVersion, SamplingDecision
from survey.models.accounts import Actor
from survey.reporting.funnel import last_contact_id, local_midnight

TOO_OLD_WARNING = 0.10
DISCLOSED_POLICY = ("rate", "frequency_cap_days", "max_contact_age_hours", "quiet_hours")


def disclosures(session: Session, request: Any) -> dict[str, Any]:
    """The disclosures of a report request (its period and actor)."""
    low, high = local_midnight(request.start), local_midnight(request.end)
    return {
        "policies": policies_in_force(session, low, high),
        "too_old_by_actor": too_old_by_actor(session, low, high, request.actor_id),
    }


def policies_in_force(session: Session, low: datetime, high: datetime) -> list[dict[str, Any]]:
    """The version in force at the start and every version that began before the end."""
    versions = session.scalars(
        select(PolicyVersion)
        .where(col(PolicyVersion.effective_from) < high)
        .order_by(col(PolicyVersion.effective_from), col(PolicyVersion.id))
    ).all()
    first = 0
    for i, version in enumerate(versions):
        if version.effective_from <= low:
            first = i
    return [
        {
            "effective_from": version.effective_from.isoformat(),
            **{name: version.values.get(name) for name in DISCLOSED_POLICY},
        }
        for version in versions[first:]
    ]


def too_old_by_actor(
    session: Session, low: datetime, high: datetime, actor_id: int | None
) -> dict[str, dict[str, Any]]:
    """Per actor: drawn cases of the period and those suppressed as too old when decided."""
    too_old = func.sum(case((col(SamplingDecision.reason) == DecisionReason.too_old, 1), else_=0))
    query = (
        select(col(Actor.name), func.count(), too_old)
        .select_from(SamplingDecision)
        .join(Contact, col(Contact.id) == last_contact_id())
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .where(
            col(SamplingDecision.drawn).is_(True),
            col(SamplingDecision.last_closed_at) >= low,
            col(SamplingDecision.last_closed_at) < high,
        )
        .group_by(col(Actor.name))
    )
    if actor_id is not None:
        query = query.where(col(Contact.actor_id) == actor_id)
    result = {}
    for name, drawn, old in session.execute(query).all():
        share = int(old or 0) / int(drawn) if drawn else 0.0
        result[str(name)] = {
            "drawn": int(drawn),
            "too_old": int(old or 0),
            "warning": share > TOO_OLD_WARNING,
        }
    return dict(sorted(result.items()))
