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

from survey.models import Contact, DecisionReason, PolicyVersion, SamplingDecision, Survey
from survey.models.accounts import Actor
from survey.reporting.counting import local_midnight
from survey.reporting.funnel import last_contact_id
from survey.sampling.policy import is_complete

TOO_OLD_WARNING = 0.10
DISCLOSED_POLICY = ("rate", "frequency_cap_days", "max_contact_age_hours", "quiet_hours")


def disclosures(session: Session, request: Any) -> dict[str, Any]:
    """The disclosures of a report request (its period and actor)."""
    low, high = local_midnight(request.start), local_midnight(request.end)
    return {
        "policies": policies_in_force(session, low, high),
        "too_old_by_actor": too_old_by_actor(session, request, low, high),
    }


def policies_in_force(session: Session, low: datetime, high: datetime) -> list[dict[str, Any]]:
    """The version in force at the start and every version that began before the end; a period
    before the initial version follows the initial version (sampling.policy), so shows it."""
    versions = session.scalars(
        select(PolicyVersion).order_by(col(PolicyVersion.effective_from), col(PolicyVersion.id))
    ).all()
    initial = min((v for v in versions if is_complete(v.values)), key=_id, default=None)
    first = 0
    for i, version in enumerate(versions):
        if version.effective_from <= low:
            first = i
    shown = [v for v in versions[first:] if v.effective_from < high]
    if initial is not None and (not shown or shown[0].effective_from > low):
        shown = [initial, *(v for v in shown if v is not initial)]
    return [
        {
            "effective_from": version.effective_from.isoformat(),
            **{name: version.values.get(name) for name in DISCLOSED_POLICY},
        }
        for version in shown
    ]


def _id(version: PolicyVersion) -> int:
    return version.id or 0


def too_old_by_actor(
    session: Session, request: Any, low: datetime, high: datetime
) -> dict[str, dict[str, Any]]:
    """Per actor: drawn cases of the period and those suppressed as too old when decided.

    A drawn case has a survey (counted by its attribution) or was suppressed (counted by its
    last closed contact): the second are few, so only they need the contact looked up."""
    drawn: dict[str, int] = {}
    old: dict[str, int] = {}
    surveys = (
        select(col(Actor.name), func.count())
        .select_from(Survey)
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(
            col(Survey.closed_local_date) >= request.start,
            col(Survey.closed_local_date) < request.end,
        )
        .group_by(col(Actor.name))
    )
    reason = col(SamplingDecision.reason)
    suppressed = (
        select(col(Actor.name), func.count(), func.sum(case((reason == "too_old", 1), else_=0)))
        .select_from(SamplingDecision)
        .join(Contact, col(Contact.id) == last_contact_id())
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .where(
            col(SamplingDecision.drawn).is_(True),
            reason != DecisionReason.selected,
            col(SamplingDecision.last_closed_at) >= low,
            col(SamplingDecision.last_closed_at) < high,
        )
        .group_by(col(Actor.name))
    )
    if request.actor_id is not None:
        surveys = surveys.where(col(Survey.actor_id) == request.actor_id)
        suppressed = suppressed.where(col(Contact.actor_id) == request.actor_id)
    for name, count in session.execute(surveys).all():
        drawn[str(name)] = int(count)
    for name, count, too_old in session.execute(suppressed).all():
        drawn[str(name)] = drawn.get(str(name), 0) + int(count)
        old[str(name)] = int(too_old or 0)
    return {
        name: {
            "drawn": n,
            "too_old": old.get(name, 0),
            "warning": old.get(name, 0) / n > TOO_OLD_WARNING if n else False,
        }
        for name, n in sorted(drawn.items())
    }
