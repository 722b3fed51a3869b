"""When a period's figures settle: no survey about it can be sent, postponed or answered any
more. Monthly snapshots turn final then, and an actor's own reports key sees a period only
from then on (SPEC section 6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from survey.config import Settings
from survey.reporting.kpi import local_midnight

QUIET_MARGIN = timedelta(hours=24)  # the longest quiet-hours shift, with room to spare


def settles_at(end: date, settings: Settings) -> datetime:
    """The moment after which no survey of a period ending at `end` (exclusive) can change."""
    return (
        local_midnight(end)
        + timedelta(minutes=settings.send_delay_minutes)
        + timedelta(hours=settings.max_postpone_hours)
        + QUIET_MARGIN
        + timedelta(days=settings.expiry_days)
    )


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
