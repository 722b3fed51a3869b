"""GET /api/v1/reports/agents: each team's agents ranked by their shrunk mean (ranking.py), for
one whole calendar week or month, as any figure by agent (disclosure_control)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import Session

from survey.reporting.ranking import AgentSums, rank_team
from survey.reporting.report import ReportRequest, scan_surveys, sort_key


def agent_ranking(
    session: Session, request: ReportRequest, *, min_group_size: int
) -> dict[str, Any]:
    """The ranking per team for a request parsed with group_by agent (its publication rules)."""
    rows = scan_surveys(session, replace(request, group_by=("team", "agent"))).rows
    rows.sort(key=lambda r: sort_key(r["key"]))
    teams: dict[str | None, list[AgentSums]] = {}
    for row in rows:
        teams.setdefault(row["key"]["team"], []).append(
            AgentSums(row["key"]["agent"], row["responses"], row["overall_sum"], row["overall_sq"])
        )
    return {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "teams": [
            {"team": team, **rank_team(agents, min_group_size=min_group_size)}
            for team, agents in teams.items()
        ],
    }
