"""When a period's figures settle: no survey about it can be sent, postponed or answered any
more. Monthly snapshots turn final then, and an actor's own reports key sees a period only
from then on (SPEC section 6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from survey.reporting.kpi import local_midnight
from survey.sampling.policy import policy_timeline

QUIET_MARGIN = timedelta(hours=24)  # the longest quiet-hours shift, with room to spare


def settles_at(session: Session, start: date, end: date) -> datetime:
    """The moment after which no survey of a period [start, end) can change, by the stored
    policies in force for its closures (the longest of them, when the policy changed)."""
    policies = policy_timeline(session).between(local_midnight(start), local_midnight(end))
    longest = max(
        timedelta(minutes=policy.send_delay_minutes)
        + timedelta(hours=policy.max_postpone_hours)
        + timedelta(days=policy.expiry_days)
        for policy in policies
    )
    return local_midnight(end) + QUIET_MARGIN + longest


# What an actor's key may not see of the funnel: everything before (or beside) `answered`,
# which would tell the measured how many of their cases were drawn and sent.
BEFORE_ANSWERED = ("sent", "response_rate", "declined", "opted_out")


def as_seen_by_an_actor(report: dict[str, object]) -> dict[str, object]:
    """The report without the stages before `answered`, in every group and the total."""
    groups = report.get("groups")
    total = report.get("total")
    return {
        **report,
        "groups": [_answered_only(g) for g in groups] if isinstance(groups, list) else groups,
        "total": _answered_only(total) if isinstance(total, dict) else total,
    }


def _answered_only(figures: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in figures.items() if k not in BEFORE_ANSWERED}
