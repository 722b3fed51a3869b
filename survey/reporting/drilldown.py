"""The quality manager's drill-down: organisation -> actor -> team -> agent, each a unit.

A unit's figures are cells of an ordinary report grouping (the unit's keys, its channel or case
type filter and, for a trend, the time grain), picked out of the report of that grouping. So the
drill-down publishes nothing the reports page would not show for the same grouping: the same
minimum group size and complementary suppression, the same rule that agents and teams split by
channel or case type are shown only per whole calendar week or month, the same refusal of agent
figures when agent-level reporting is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from survey.models import Actor, Response, Survey
from survey.reporting.comments import comment_list
from survey.reporting.counting import period_labels
from survey.reporting.disclosure_control import is_monday, is_one_week_or_month
from survey.reporting.grouping import GROUPINGS
from survey.reporting.kpi import contact_kpis
from survey.reporting.p_chart import PChart, Sample, p_chart
from survey.reporting.ranking import AgentSums, rank_team
from survey.reporting.report import (
    ReportRequest,
    scan_surveys,
    sort_key,
    survey_filter,
)

LEVELS = ("actor", "team", "agent")
FILTERS = ("channel", "case_type")
TREND_CELLS = 12  # an agent's trend: the twelve weeks or months up to the one chosen


@dataclass(frozen=True)
class Unit:
    """The organisation (no actor), an actor, a team of an actor or an agent of a team, with
    an optional channel and case type filter."""

    actor: str | None = None
    team: str | None = None
    agent: str | None = None
    channel: str | None = None
    case_type: str | None = None

    @property
    def level(self) -> str:
        named = [key for key in LEVELS if getattr(self, key) is not None]
        return named[-1] if named else "organisation"

    def values(self) -> dict[str, str]:
        """The unit's keys and their values: the cells of a grouping that belong to it."""
        return {
            key: value for key in (*LEVELS, *FILTERS) if (value := getattr(self, key)) is not None
        }

    def keys(self) -> tuple[str, ...]:
        return tuple(self.values())


def unit_request(
    unit: Unit, start: date, end: date, *extra: str, agent_reporting: bool
) -> ReportRequest:
    """The report request of the unit's grouping (and extra keys), with the reports' rules:
    InvalidReportRequest when the period or grouping may not be published."""
    keys = [*unit.keys(), *(key for key in extra if key not in unit.values())]
    return ReportRequest.parse(
        start.isoformat(), end.isoformat(), keys, agent_reporting=agent_reporting
    )


def pick(groups: list[dict[str, Any]], unit: Unit) -> list[dict[str, Any]]:
    """The groups of a report (or KPIs) that belong to the unit."""
    wanted = unit.values()
    return [g for g in groups if all(g["key"].get(k) == v for k, v in wanted.items())]


def summary(report: dict[str, Any], unit: Unit) -> dict[str, Any] | None:
    """The unit's own group of a report grouped by its keys (the total when it has none)."""
    if not unit.keys():
        return report["total"] if report["groups"] else None
    found = pick(report["groups"], unit)
    return found[0] if found else None


def trend(report: dict[str, Any], unit: Unit, grain: str) -> list[tuple[str, Any]]:
    """(label, the unit's group or None) for every week or month of the report's period."""
    start, end = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    cells = {g["key"][grain]: g for g in pick(report["groups"], unit)}
    return [(label, cells.get(label)) for label in period_labels(start, end, grain)]


def unit_kpis(
    session: Session,
    request: ReportRequest,
    unit: Unit,
    *,
    min_group_size: int,
    report: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The unit's contact-stream KPIs over the request's period (`report`: the satisfaction
    report of the same request, if at hand)."""
    kpis = contact_kpis(
        session,
        request,
        min_group_size=min_group_size,
        survey_report=report,
        with_total=not unit.keys(),
    )
    if not unit.keys():
        return kpis["total"]
    found = pick(kpis["groups"], unit)
    return found[0] if found else None


def unit_distribution(session: Session, request: ReportRequest, unit: Unit) -> dict[int, int]:
    """How many of the unit's answers gave each overall score 1-5 (the caller shows it only
    where the report shows the unit's scores)."""
    overall = col(Response.overall)
    query = (
        select(overall, func.count())
        .select_from(Survey)
        .join(Response, col(Response.survey_id) == col(Survey.id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(overall.is_not(None), *survey_filter(request))
        .where(*(GROUPINGS[key].survey == value for key, value in unit.values().items()))
        .group_by(overall)
    )
    counts = {score: 0 for score in range(1, 6)}
    for score, count in session.execute(query).all():
        counts[int(score)] = int(count)
    return counts


def csat_chart(cells: list[tuple[str, Any]], unit_group: dict[str, Any] | None) -> PChart:
    """The p-chart of the cells whose CSAT is shown, around the unit's CSAT over the period."""
    centre = unit_group["overall"]["csat"] if unit_group else None
    samples = [
        Sample(label, round(g["overall"]["csat"] * g["responses"]), g["responses"])
        for label, g in cells
        if g is not None and g["overall"]["csat"] is not None
    ]
    if centre is None:
        return PChart(None, ())
    return p_chart(samples, centre)


def team_ranking(
    session: Session, request: ReportRequest, unit: Unit, *, min_group_size: int
) -> dict[str, Any]:
    """The team's agents by shrunk mean with intervals (reporting.ranking), for a request parsed
    with the agent key (one whole week or month)."""
    rows = pick(scan_surveys(session, request).rows, unit)
    rows.sort(key=lambda r: sort_key(r["key"]))
    agents = [
        AgentSums(r["key"]["agent"], r["responses"], r["overall_sum"], r["overall_sq"])
        for r in rows
    ]
    return rank_team(agents, min_group_size=min_group_size)


def unit_comments(
    session: Session, start: date, end: date, unit: Unit, *, min_group_size: int
) -> list[tuple[str, str | None, str, str]] | None:
    """The unit's rows of the analysts' comment list (actor, team, ISO week, text; groups of at
    least the minimum size); None when the period is not whole ISO weeks."""
    if not (is_monday(start) and is_monday(end)):
        return None
    found = comment_list(session, start=start, end=end, min_group_size=min_group_size)
    return [
        row
        for row in found.rows
        if (unit.actor is None or row[0] == unit.actor)
        and (unit.team is None or row[1] == unit.team)
    ]


def single_period_grain(start: date, end: date) -> str | None:
    """'week' or 'month' when [start, end) is one ISO week or calendar month, else None."""
    if not is_one_week_or_month(start, end):
        return None
    return "week" if (end - start).days == 7 and is_monday(start) else "month"


def trailing_cells(end: date, grain: str) -> date:
    """The start of the TREND_CELLS weeks or months that end at `end` (a Monday or a 1st)."""
    if grain == "week":
        return end - timedelta(weeks=TREND_CELLS)
    start = end
    for _ in range(TREND_CELLS):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def last_whole_week(start: date, end: date) -> tuple[date, date] | None:
    """The last ISO week lying whole in [start, end), if any."""
    monday = end - timedelta(days=end.weekday())
    return (monday - timedelta(weeks=1), monday) if monday - timedelta(weeks=1) >= start else None
