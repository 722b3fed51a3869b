"""Fairness signals: does anyone steer who answers, or which contacts reach the engine?

Decline and opt-out rates per team and agent, opt-outs registered through the API per agent,
do_not_survey contacts per actor, team and agent, and contact volume per actor over time.
Rates of groups with fewer surveys sent than the minimum group size are hidden (counts kept).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from survey.models import Actor, OptOut
from survey.optouts import API_SOURCE_PATTERN
from survey.reporting import stats
from survey.reporting.kpi import contact_counts, period_bounds
from survey.reporting.report import ReportRequest, aggregate_rows, sort_key


def _keyed(request: ReportRequest, *keys: str) -> ReportRequest:
    return ReportRequest(request.start, request.end, keys)


def response_rates(
    session: Session, request: ReportRequest, key: str, *, min_group_size: int
) -> list[dict[str, Any]]:
    rows = sorted(aggregate_rows(session, _keyed(request, key)), key=lambda r: sort_key(r["key"]))
    result = []
    for row in rows:
        hidden = row["sent"] < min_group_size
        result.append(
            {
                "key": row["key"],
                "sent": row["sent"],
                "declined": row["declined"],
                "opted_out": row["opted_out"],
                "decline_rate": None if hidden else stats.share(row["declined"], row["sent"]),
                "opt_out_rate": None if hidden else stats.share(row["opted_out"], row["sent"]),
            }
        )
    return result


def api_opt_outs_by_agent(session: Session, request: ReportRequest) -> list[dict[str, Any]]:
    """Opt-outs that staff systems registered through the API, per actor and agent."""
    low, high = period_bounds(request.start, request.end)
    rows = session.execute(
        select(col(Actor.name), col(OptOut.agent), func.count())
        .select_from(OptOut)
        .outerjoin(Actor, col(Actor.id) == col(OptOut.actor_id))
        .where(
            col(OptOut.source).like(API_SOURCE_PATTERN),
            col(OptOut.opted_out).is_(True),
            col(OptOut.created_at) >= low,
            col(OptOut.created_at) < high,
        )
        .group_by(col(Actor.name), col(OptOut.agent))
    ).all()
    found = [{"key": {"actor": a, "agent": g}, "opt_outs": int(n)} for a, g, n in rows]
    return sorted(found, key=lambda r: (-r["opt_outs"], sort_key(r["key"])))


def do_not_survey(session: Session, request: ReportRequest, key: str) -> list[dict[str, Any]]:
    counts = contact_counts(session, _keyed(request, key))
    rows = [
        {
            "key": {key: k[0]},
            "contacts": c["contacts"],
            "do_not_survey": c["do_not_survey"],
            "share": stats.share(c["do_not_survey"], c["contacts"]),
        }
        for k, c in counts.items()
    ]
    return sorted(rows, key=lambda r: sort_key(r["key"]))


def contact_volume(session: Session, request: ReportRequest, grain: str) -> list[dict[str, Any]]:
    counts = contact_counts(session, _keyed(request, "actor", grain))
    rows = [
        {"key": {"actor": k[0], grain: k[1]}, "contacts": c["contacts"]} for k, c in counts.items()
    ]
    return sorted(rows, key=lambda r: sort_key(r["key"]))


def fairness_signals(
    session: Session, request: ReportRequest, *, min_group_size: int, grain: str = "week"
) -> dict[str, Any]:
    return {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "rates_by_team": response_rates(session, request, "team", min_group_size=min_group_size),
        "rates_by_agent": response_rates(session, request, "agent", min_group_size=min_group_size),
        "api_opt_outs_by_agent": api_opt_outs_by_agent(session, request),
        "do_not_survey": {
            k: do_not_survey(session, request, k) for k in ("actor", "team", "agent")
        },
        "contact_volume": contact_volume(session, request, grain),
    }
